"""Open Badges 2.0 on the command line: issue into a site folder, ``badge ob2 revoke``, ``badge migrate``.

The commands are tested in a group with the ``badge`` error boundary (so they work before and after they are
registered in ``badge``); the last tests go through ``badge issue`` itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from openbadge_ctq import Recipient, load_catalog, verify
from openbadge_ctq.fetch import UrlMapFetcher
from openbadge_ctq.jsonld import DEFAULT_LOADER
from openbadge_ctq.keys import KeyType
from openbadge_ctq.store import KeyStore
from openbadge_ctq.timefmt import parse_datetime
from openbadge_ctq.verify import Status
from openbadge_ctq.verify.ob2 import verify_ob2
from openbadge_ctq.verify.ob3 import Options
from openbadge_ctq_cli.commands.ob2 import issue_ob2_command_body, migrate, ob2
from openbadge_ctq_cli.context import AppContext
from openbadge_ctq_cli.main import BadgeGroup, badge

NOW = "2026-11-23T12:00:00Z"
MOMENT = parse_datetime(NOW)
MC = "riverbend-family-reading-nights"
BASE = "https://riverbend.example/badges/"
PASSPHRASE = b"correct horse battery staple"


@click.group(cls=BadgeGroup)
def group() -> None:
    """The OB 2.0 commands under the badge error boundary (the badge home comes from BADGE_HOME)."""


group.add_command(ob2)
group.add_command(migrate)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(group, list(args), env={"BADGE_HOME": str(home)})


def _site_fetcher(site: Path) -> UrlMapFetcher:
    return UrlMapFetcher([(BASE, site)])


def _verify_site(source: Any, site: Path) -> Any:
    return verify_ob2(source, Options(fetcher=_site_fetcher(site), now=MOMENT, loader=DEFAULT_LOADER))


@pytest.fixture
def keys(badge_home: Path) -> Path:
    store = KeyStore(badge_home)
    store.generate("riverbend", KeyType.RSA, passphrase=PASSPHRASE)
    store.generate("ctq", KeyType.ED25519, passphrase=PASSPHRASE)
    return badge_home


def _issue(home: Path, site: Path, fmt: str, capsys: pytest.CaptureFixture[str], *, as_json: bool = True) -> Any:
    issued = issue_ob2_command_body(
        AppContext(home=home),
        load_catalog(),
        issuer_id="riverbend",
        achievement_id=MC,
        recipient=Recipient(email="teacher@example.org"),
        fmt=fmt,
        now=MOMENT,
        out_dir=site,
        narrative="Hosted two reading nights",
        as_json=as_json,
    )
    out = capsys.readouterr().out
    return issued, (json.loads(out) if as_json else out)


def test_issue_hosted_writes_a_publishable_site(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    issued, printed = _issue(keys, site, "ob2-hosted", capsys)
    assert printed["id"] == issued.id and printed["baseUrl"] == BASE
    assert printed["assertionFile"] == str(site / issued.id[len(BASE) :])
    for relative in ("ob2/issuer.json", f"ob2/badges/{MC}.json", "ob2/revocations.json", "images/riverbend-logo.svg"):
        assert (site / relative).is_file(), relative
    keys_listed = json.loads((site / "ob2/issuer.json").read_text())["publicKey"]
    assert keys_listed.startswith(BASE + "ob2/keys/key-")  # the issuer's RSA key is published for later signed badges
    result = _verify_site(issued.id, site)
    assert result.verified, [c.to_json() for c in result.checks]
    _, text = _issue(keys, site, "ob2-hosted", capsys, as_json=False)
    assert f"Publish the folder {site} at {BASE}" in text


def test_issue_signed_then_revoke_then_verify(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    issued, printed = _issue(keys, site, "ob2-signed", capsys)
    jws_file = Path(printed["assertionFile"])
    assert jws_file.read_text().strip() == issued.document
    assert _verify_site(issued.document, site).verified
    result = run(keys, "ob2", "revoke", issued.id, "--reason", "Issued in error", "--site", str(site), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hosted"] is False
    after = _verify_site(jws_file.read_text(), site)
    status = next(c for c in after.checks if c.id == "status")
    assert status.status is Status.FAIL and status.message.endswith("Issued in error")


def test_revoke_hosted_and_issuing_again_keeps_the_revocation(
    keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    first, _ = _issue(keys, site, "ob2-hosted", capsys)
    result = run(keys, "ob2", "revoke", first.id, "--reason", "Duplicate", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert "Revoked" in result.stdout and "Publish the changed files" in result.stdout
    hosted = json.loads((site / first.id[len(BASE) :]).read_text())
    assert hosted == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": first.id,
        "revoked": True,
        "revocationReason": "Duplicate",
    }
    second, _ = _issue(keys, site, "ob2-hosted", capsys)  # rewrites revocations.json: the entry must stay
    listing = json.loads((site / "ob2/revocations.json").read_text())
    assert listing["revokedAssertions"] == [{"id": first.id, "revocationReason": "Duplicate"}]
    for source, verified in ((first.id, False), (second.id, True)):
        result_ = _verify_site(source, site)
        assert result_.verified is verified, [c.to_json() for c in result_.checks]
    revoked = _verify_site(first.assertion, site)
    assert next(c for c in revoked.checks if c.id == "status").status is Status.FAIL


def test_revoke_errors(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(keys, "ob2", "revoke", "urn:uuid:1", "--site", str(empty))
    assert result.exit_code == 3
    assert "has no ob2/issuer.json" in result.stderr and "Hint:" in result.stderr
    site = tmp_path / "site"
    _issue(keys, site, "ob2-hosted", capsys)
    result = run(keys, "ob2", "revoke", BASE + "ob2/assertions/missing.json", "--site", str(site))
    assert result.exit_code == 3 and "is not in" in result.stderr
    result = run(keys, "ob2", "revoke", "https://elsewhere.example/a.json", "--site", str(site))
    assert result.exit_code == 3 and "not an assertion of this site" in result.stderr


def test_migrate_one_assertion_to_ob3(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    issued, _ = _issue(keys, site, "ob2-hosted", capsys)
    source = site / issued.id[len(BASE) :]
    out = tmp_path / "migrated.json"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    args = ["migrate", str(source), "--issuer", "ctq", "--offline", "--url-map", f"{BASE}={site}", "--now", NOW]
    result = run(keys, *args, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["out"] == str(out) and printed["format"] == "ob3-di"
    credential = json.loads(out.read_text())
    assert credential["evidence"][0] == {
        "id": issued.id,
        "type": ["Evidence"],
        "name": "Original Open Badges 2.0 assertion",
    }
    assert credential["credentialSubject"]["achievement"]["related"][0]["id"] == BASE + f"ob2/badges/{MC}.json"
    report = verify(out.read_bytes(), now=NOW, recipient="teacher@example.org")
    assert report.verified, report.to_json()["errors"]
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before  # the OB 2.0 files are untouched
    result = run(keys, *args, "--format", "ob3-jwt")
    assert result.exit_code == 0, result.output
    assert verify(result.stdout.strip(), now=NOW).verified


def test_migrate_a_folder(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    ids = [_issue(keys, site, "ob2-hosted", capsys)[0].id for _ in range(3)]
    run(keys, "ob2", "revoke", ids[0], "--site", str(site))
    outdir = tmp_path / "ob3"
    result = run(
        keys,
        "migrate",
        str(site / "ob2/assertions"),
        "--issuer",
        "ctq",
        "--offline",
        "--url-map",
        f"{BASE}={site}",
        "--now",
        NOW,
        "--out",
        str(outdir),
    )
    assert result.exit_code == 1, result.output  # one of the three is revoked: it is skipped, the others migrate
    assert "2 migrated, 1 skipped" in result.stdout
    assert "revoked" in result.stderr
    written = sorted(outdir.glob("*.ob3.json"))
    assert len(written) == 2
    for path in written:
        assert verify(path.read_bytes(), now=NOW).verified


def test_migrate_errors(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    issued, _ = _issue(keys, site, "ob2-hosted", capsys)
    source = str(site / issued.id[len(BASE) :])
    result = run(keys, "migrate", source, "--offline", "--now", NOW)
    assert result.exit_code == 3
    assert "does not verify as an Open Badges 2.0 assertion" in result.stderr
    assert "Hint: badge verify" in result.stderr
    # without --issuer the badge's own issuer (riverbend) re-issues it, with its Ed25519 key
    result = run(keys, "migrate", source, "--offline", "--url-map", f"{BASE}={site}", "--now", NOW)
    assert result.exit_code == 3 and "issuer 'riverbend' has no active ed25519 key" in result.stderr
    KeyStore(keys).generate("riverbend", KeyType.ED25519, passphrase=PASSPHRASE)
    result = run(keys, "migrate", source, "--offline", "--url-map", f"{BASE}={site}", "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["document"].count("did:web:riverbend.example:badges") >= 2
    result = run(keys, "migrate", str(site / "ob2/assertions"), "--offline")
    assert result.exit_code == 2 and "needs --out OUTDIR" in result.output


def test_badge_issue_format_ob2_hosted(keys: Path, tmp_path: Path) -> None:
    """``badge issue --format ob2-hosted --out-dir`` (needs the wiring in commands/issue.py)."""
    site = tmp_path / "site"
    result = CliRunner().invoke(
        badge,
        [
            "issue",
            "--issuer",
            "riverbend",
            "--achievement",
            MC,
            "--recipient",
            "teacher@example.org",
            "--format",
            "ob2-hosted",
            "--now",
            NOW,
            "--out-dir",
            str(site),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert _verify_site(issued["id"], site).verified
    verified = CliRunner().invoke(badge, ["verify", issued["id"], "--url-map", f"{BASE}={site}", "--now", NOW])
    assert verified.exit_code == 0, verified.output
    assert "ob2-hosted" in verified.stdout
