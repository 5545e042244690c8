"""``badge publish`` and :func:`openbadge_ctq.publish.build_site`: the issuer's static public site.

End to end: the fictional Riverbend district (baseUrl https://riverbend.example/badges/, did:web) issues an OB 2.0
hosted assertion (``badge issue --format ob2-hosted --out-dir site``) and OB 3.0 credentials through the registry
(status ``1edtech``), ``badge publish --out site`` writes the rest, and ``openbadge_ctq.verify`` checks them against
the folder (``UrlMapFetcher``, as ``badge verify --url-map`` does); ``python -m http.server`` serves the folder on
loopback with usable content types. A revocation shows after publishing again.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.fetch import UrlMapFetcher
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.publish import build_site, credential_page, credential_path, did_document_path
from openbadge_ctq.registry import CredentialRecord, Registry
from openbadge_ctq.store import KeyStore
from openbadge_ctq.verify import Status, VerificationReport
from openbadge_ctq_cli.commands.publish import publish
from openbadge_ctq_cli.main import BadgeGroup, badge

from .test_registry import KEY, NOW, RIVERBEND_MC

BASE = "https://riverbend.example/badges/"
PASSPHRASE = "correct horse battery staple"
LATER = NOW + timedelta(days=2)
loopback = pytest.mark.allow_hosts(["127.0.0.1"])

# ``badge`` with ``publish`` (registered in cli/commands/__init__.py by the lead; added here so the test stands alone)
CLI = BadgeGroup(name="badge", callback=badge.callback, params=badge.params, commands={**badge.commands})
CLI.add_command(publish)


def run(*args: str) -> Any:
    result = CliRunner().invoke(CLI, list(args), env={"BADGE_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    return result


@dataclass
class Issuer:
    home: Path
    db_url: str
    out: Path
    registry: Registry
    key: SigningKey

    def publish(self) -> dict[str, Any]:
        result = run(
            "--home",
            str(self.home),
            "publish",
            "--issuer",
            "riverbend",
            "--out",
            str(self.out),
            "--db",
            self.db_url,
            "--now",
            LATER.isoformat(),
            "--json",
        )
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def issue(self, email: str, *, status: str = "1edtech", fmt: str = "ob3-di") -> CredentialRecord:
        return self.registry.issue(
            load_catalog(),
            RIVERBEND_MC,
            Recipient(email=email, name="Maria Garcia"),
            self.key,
            now=NOW,
            actor="registrar",
            status=status,
            fmt=fmt,
        ).record

    def issue_ob2_hosted(self) -> str:
        result = run(
            "--home",
            str(self.home),
            "issue",
            "--issuer",
            "riverbend",
            "--achievement",
            RIVERBEND_MC,
            "--recipient",
            "teacher@example.org",
            "--format",
            "ob2-hosted",
            "--out-dir",
            str(self.out),
            "--now",
            NOW.isoformat(),
            "--json",
        )
        assertion_id: str = json.loads(result.stdout)["id"]
        return assertion_id

    def check(self, source: Any) -> VerificationReport:
        return verify(source, fetcher=UrlMapFetcher([(BASE, self.out)]), now=LATER + timedelta(hours=1))


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    home = tmp_path / "home"
    record = KeyStore(home, kdf_rounds=MIN_PBKDF2_ROUNDS).add(
        "riverbend", KEY.private_key, passphrase=PASSPHRASE.encode()
    )
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    with Registry(url) as registry:
        yield Issuer(home, url, tmp_path / "site", registry, SigningKey(KEY.private_key, record.key_id))


def status_of(report: VerificationReport) -> list[Status]:
    return [c.status for c in report.checks if c.id == "status"]


# ------------------------------------------------------------------------------------------------------------
# build_site: the files


def test_build_site_lays_out_every_public_file(issuer: Issuer) -> None:
    record = issuer.issue("maria@example.org")
    jwt = issuer.issue("sam@example.org", fmt="ob3-jwt")
    snapshot = issuer.registry.status_snapshot("riverbend")
    retired = SigningKey(Ed25519PrivateKey.generate(), "key-old")
    site = build_site(
        load_catalog(),
        "riverbend",
        issuer.key,
        issuer.registry.list(issuer_id="riverbend"),
        lists=snapshot.lists,
        revoked=snapshot.revoked,
        keys=[],
        retired_keys=[(retired.key_id, retired.private_key.public_key())],
        now=LATER,
    )
    assert site.did == "did:web:riverbend.example:badges"
    assert site.did_document_path == "did.json"
    assert set(site.credentials) == {record.id, jwt.id}
    files = site.files
    path = credential_path(BASE, record.id)
    assert path is not None and path.startswith("credentials/")
    assert files[path] == record.document.encode("utf-8") == files[path + ".json"]
    jwt_path = credential_path(BASE, jwt.id)
    assert jwt_path is not None
    assert files[jwt_path].decode("ascii").strip() == jwt.document.strip() == files[jwt_path + ".jwt"].decode().strip()
    name = path.rsplit("/", 1)[1]
    assert files[f"qr/{name}.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert files[f"qr/{name}.svg"].lstrip().startswith(b"<")
    did_doc = json.loads(files["did.json"])
    assert did_doc["id"] == site.did
    assert did_doc["assertionMethod"] == [f"{site.did}#{issuer.key.key_id}", f"{site.did}#key-old"]
    assert did_doc["authentication"] == [f"{site.did}#{issuer.key.key_id}"]
    achievement = json.loads(files[f"achievements/{RIVERBEND_MC}"])
    assert achievement["id"] == f"{BASE}achievements/{RIVERBEND_MC}"
    assert record.credential["credentialSubject"]["achievement"]["id"] == achievement["id"]
    assert json.loads(files["profile.json"])["id"] == site.did
    assert json.loads(files["status/revocations.json"])["revokedCredential"] == []
    image_url = record.credential["credentialSubject"]["achievement"]["image"]["id"]
    assert image_url.startswith(BASE) and image_url[len(BASE) :] in files
    page = files[path + ".html"].decode("utf-8")
    assert '<meta property="og:title" content="Hosting Family Reading Nights">' in page
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', page)
    assert og_image is not None and og_image.group(1).endswith(".png") and og_image.group(1)[len(BASE) :] in files
    assert '<meta property="og:description" content="Awarded by Riverbend School District (fictional)' in page
    assert f'<link rel="alternate" type="application/ld+json" href="{record.id}">' in page
    assert "Status: <strong>Valid</strong>" in page
    assert "<script" not in page


def test_did_document_paths_and_credential_paths() -> None:
    assert did_document_path("https://badges.example.org/") == ".well-known/did.json"
    assert did_document_path("https://district.example/badges/") == "did.json"
    assert did_document_path("https://example.org/a/b/") == "did.json"
    assert credential_path(BASE, BASE + "credentials/0f1e") == "credentials/0f1e"
    assert credential_path(BASE, "urn:uuid:0f1e") is None
    assert credential_path(BASE, BASE + "credentials/../did.json") is None
    assert credential_path(BASE, "https://elsewhere.example/credentials/1") is None


def test_credential_page_escapes_everything() -> None:
    evil = '"><script>alert(1)</script>'
    page = credential_page(
        {
            "issuer": {"name": evil},
            "credentialSubject": {"achievement": {"name": evil, "description": evil, "image": "javascript:x"}},
        },
        page_url="https://example.org/p",
        json_url="https://example.org/j",
        state="revoked",
        state_reason=evil,
    ).decode("utf-8")
    assert "<script>" not in page
    assert "og:image" not in page and "javascript:" not in page
    assert "Status: <strong>Revoked</strong>" in page


def test_publish_refuses_an_issuer_without_base_url(issuer: Issuer) -> None:
    result = CliRunner().invoke(
        CLI,
        ["--home", str(issuer.home), "publish", "--issuer", "ctq", "--out", str(issuer.out), "--db", issuer.db_url],
    )
    assert result.exit_code != 0
    assert "baseUrl" in result.output


# ------------------------------------------------------------------------------------------------------------
# End to end: badge publish, then verify against the folder (and over loopback http.server)


def test_published_site_verifies_ob2_and_ob3_and_shows_a_revocation_after_republishing(issuer: Issuer) -> None:
    assertion_id = issuer.issue_ob2_hosted()
    kept = issuer.issue("maria@example.org")
    to_revoke = issuer.issue("sam@example.org")
    jwt = issuer.issue("jo@example.org", fmt="ob3-jwt")
    out = issuer.publish()
    assert out["didDocument"] == "did.json"
    assert set(out["credentials"]) == {kept.id, to_revoke.id, jwt.id}
    assert (issuer.out / "ob2" / "issuer.json").is_file()  # the OB 2.0 files are kept

    ob2 = issuer.check(assertion_id)
    assert ob2.verified, ob2.to_json()
    for record in (kept, to_revoke, jwt):
        by_url = issuer.check(record.id)  # fetched from its id URL, like a verifier given the link
        assert by_url.verified, by_url.to_json()
        assert status_of(by_url) == [Status.PASS]

    issuer.registry.revoke(to_revoke.id, reason="Issued in error", actor="registrar", now=NOW + timedelta(days=1))
    assert issuer.check(to_revoke.id).verified  # not published yet
    issuer.publish()
    revoked = issuer.check(to_revoke.id)
    assert not revoked.verified
    assert status_of(revoked) == [Status.FAIL]
    assert issuer.check(kept.id).verified
    page = (issuer.out / f"{credential_path(BASE, to_revoke.id)}.html").read_text(encoding="utf-8")
    assert "Status: <strong>Revoked</strong> (Issued in error)" in page

    run("--home", str(issuer.home), "ob2", "revoke", assertion_id, "--reason", "Duplicate", "--site", str(issuer.out))
    issuer.publish()  # publishing again leaves the OB 2.0 revocation alone
    assert not issuer.check(assertion_id).verified


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def http_server(folder: Path) -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("python -m http.server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept": "application/ld+json, application/json"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


@loopback
def test_http_server_serves_the_published_folder(issuer: Issuer) -> None:
    assertion_id = issuer.issue_ob2_hosted()
    record = issuer.issue("maria@example.org")
    issuer.publish()
    with http_server(issuer.out) as port:
        credential = "/" + record.id[len(BASE) :]
        status, _, body = _get(port, credential)  # the exact id URL: no extension, the JSON itself
        assert status == 200 and json.loads(body)["id"] == record.id
        report = verify(body, fetcher=UrlMapFetcher([(BASE, issuer.out)]), now=LATER + timedelta(hours=1))
        assert report.verified and status_of(report) == [Status.PASS]
        for path, media in [
            (credential + ".json", "application/json"),
            ("/did.json", "application/json"),
            ("/status/revocations.json", "application/json"),
            ("/" + assertion_id[len(BASE) :], "application/json"),
            (credential + ".html", "text/html"),
            ("/images/mc-family-reading-nights.png", "image/png"),
            ("/qr/" + credential.rsplit("/", 1)[1] + ".png", "image/png"),
        ]:
            status, content_type, body = _get(port, path)
            assert status == 200, path
            assert content_type.startswith(media), (path, content_type)
            if media == "application/json":
                json.loads(body)
        did_doc = json.loads(_get(port, "/did.json")[2])
        assert did_doc["id"] == "did:web:riverbend.example:badges"
