"""Status end to end: credentials recorded in the registry, lists written by ``badge status publish``, credentials
checked by ``openbadge_ctq.verify`` against those files (``UrlMapFetcher``, as ``badge verify --url-map`` does).

Revoked and suspended credentials fail the ``status`` check; active and reinstated ones pass. Both status methods
(1EdTech Revocation List, Bitstring Status List), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.fetch import UrlMapFetcher
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.registry import Registry
from openbadge_ctq.status import decode_bitstring, get_bit
from openbadge_ctq.store import KeyStore
from openbadge_ctq.verify import Status, VerificationReport
from openbadge_ctq_cli.main import badge

from .test_registry import KEY, NOW, RIVERBEND_MC
from .test_registry_db import BACKENDS, fresh_database

BASE = "https://riverbend.example/badges/"
PASSPHRASE = "correct horse battery staple"
LATER = NOW + timedelta(days=2)


@dataclass
class Site:
    home: Path
    db_url: str
    out: Path
    registry: Registry
    key: SigningKey

    def publish(self) -> dict[str, object]:
        result = CliRunner().invoke(
            badge,
            [
                "--home",
                str(self.home),
                "status",
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
            ],
            env={"BADGE_PASSPHRASE": PASSPHRASE},
        )
        assert result.exit_code == 0, result.output
        data: dict[str, object] = json.loads(result.stdout)
        return data

    def check(self, document: str) -> VerificationReport:
        return verify(document, fetcher=UrlMapFetcher([(BASE, self.out)]), now=LATER + timedelta(hours=1))


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    home = tmp_path / "home"
    record = KeyStore(home, kdf_rounds=MIN_PBKDF2_ROUNDS).add(
        "riverbend", KEY.private_key, passphrase=PASSPHRASE.encode()
    )
    out = tmp_path / "site"
    did = CliRunner().invoke(badge, ["--home", str(home), "did", "document", "--issuer", "riverbend"])
    assert did.exit_code == 0, did.output
    out.mkdir()
    (out / "did.json").write_text(did.stdout, encoding="utf-8")  # did:web:riverbend.example:badges
    with fresh_database(request.param, tmp_path) as url, Registry(url) as registry:
        yield Site(home, url, out, registry, SigningKey(KEY.private_key, record.key_id))


def status_checks(report: VerificationReport) -> list[tuple[Status, str]]:
    return [(c.status, c.message) for c in report.checks if c.id == "status"]


@pytest.mark.parametrize("method", ["1edtech", "bitstring"])
def test_revoked_and_suspended_credentials_fail_the_status_check(site: Site, method: str) -> None:
    catalog = load_catalog()
    states = ["revoked", "active", "reinstated"] + (["suspended"] if method == "1edtech" else [])
    records = {
        state: site.registry.issue(
            catalog,
            RIVERBEND_MC,
            Recipient(email=f"{state}@example.org"),
            site.key,
            now=NOW,
            actor="registrar",
            status=method,
        ).record
        for state in states
    }
    assert {r.status_method.value for r in records.values()} == {method}
    site.publish()
    for record in records.values():  # before anything changes, every credential verifies
        report = site.check(record.document)
        assert report.verified, report.to_json()
        assert [s for s, _ in status_checks(report)] == [Status.PASS]
    site.registry.revoke(records["revoked"].id, reason="Issued in error", actor="registrar", now=NOW)
    if "suspended" in records:
        site.registry.suspend(records["suspended"].id, reason="Under review", actor="registrar", now=NOW)
        site.registry.suspend(records["reinstated"].id, actor="registrar", now=NOW)
        site.registry.reinstate(records["reinstated"].id, actor="registrar", now=NOW)
    site.publish()

    expected_files = {"status/revocations.json"} | ({"status/revocation-1.json"} if method == "bitstring" else set())
    assert {str(p.relative_to(site.out)) for p in (site.out / "status").iterdir()} == expected_files

    revoked = site.check(records["revoked"].document)
    assert not revoked.verified
    if method == "1edtech":
        assert status_checks(revoked) == [(Status.FAIL, "the credential is revoked: Issued in error")]
    else:
        assert status_checks(revoked) == [(Status.FAIL, "the credential is revoked")]
    assert [c.id for c in revoked.checks if c.status is Status.FAIL] == ["status"]
    if "suspended" in records:
        suspended = site.check(records["suspended"].document)
        assert not suspended.verified
        assert status_checks(suspended) == [(Status.FAIL, "the credential is revoked: Suspended")]
        assert "Under review" not in (site.out / "status" / "revocations.json").read_text()  # stays private
    for state in ("active", "reinstated"):
        report = site.check(records[state].document)
        assert report.verified, (state, report.to_json())


def test_the_published_bitstring_list_is_a_signed_status_list_credential(site: Site) -> None:
    catalog = load_catalog()
    issued = [
        site.registry.issue(
            catalog,
            RIVERBEND_MC,
            Recipient(email=f"b{i}@example.org"),
            site.key,
            now=NOW,
            actor="r",
            status="bitstring",
        ).record
        for i in range(3)
    ]
    site.registry.revoke(issued[1].id, reason="Issued in error", actor="r", now=NOW)
    site.publish()
    document = json.loads((site.out / "status" / "revocation-1.json").read_text())
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["id"] == BASE + "status/revocation-1.json"
    assert document["issuer"] == "did:web:riverbend.example:badges"
    subject = document["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert document["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["proof"][0]["verificationMethod"] == f"did:web:riverbend.example:badges#{site.key.key_id}"
    bits = decode_bitstring(subject["encodedList"])
    assert len(bits) * 8 == 131_072
    assert [get_bit(bits, r.status_indexes[0].index) for r in issued] == [False, True, False]
    assert sum(bin(b).count("1") for b in bits) == 1
    # a list whose bits were changed after signing is refused, so the credential does not verify
    flipped = bytearray(bits)
    flipped[issued[1].status_indexes[0].index // 8] = 0
    from openbadge_ctq.status import encode_bitstring

    subject["encodedList"] = encode_bitstring(bytes(flipped))
    (site.out / "status" / "revocation-1.json").write_text(json.dumps(document), encoding="utf-8")
    report = site.check(issued[1].document)
    assert not report.verified
    ((status, message),) = status_checks(report)
    assert status is Status.FAIL and "is not validly signed" in message


def test_publishing_needs_a_base_url_and_a_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(
        badge, ["--home", str(home), "status", "publish", "--issuer", "ctq", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert "issuer 'ctq' has no baseUrl, so it has nowhere to publish status lists" in result.stderr
    result = CliRunner().invoke(
        badge, ["--home", str(home), "status", "publish", "--issuer", "riverbend", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert "issuer 'riverbend' has no active ed25519 key" in result.stderr


def test_an_expired_status_list_is_not_trusted(site: Site) -> None:
    """A status list past its own validUntil could be an old copy served again to hide a revocation: status fails
    (the clock skew option widens the window as for credentials)."""
    from datetime import UTC, datetime

    from openbadge_ctq.proofs import data_integrity

    record = site.registry.issue(
        load_catalog(), RIVERBEND_MC, Recipient(email="x@example.org"), site.key, now=NOW, actor="r", status="bitstring"
    ).record
    site.publish()
    path = site.out / "status" / "revocation-1.json"
    listed = json.loads(path.read_text(encoding="utf-8"))
    unsigned = {k: v for k, v in listed.items() if k != "proof"}
    unsigned["validUntil"] = (LATER + timedelta(minutes=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resigned = data_integrity.sign(
        unsigned,
        site.key.private_key,
        verification_method=listed["proof"][0]["verificationMethod"],
        created=datetime(2026, 11, 23, tzinfo=UTC),
    )
    path.write_text(json.dumps(resigned), encoding="utf-8")
    fetcher = UrlMapFetcher([(BASE, site.out)])
    expired = verify(record.document, fetcher=fetcher, now=LATER + timedelta(hours=1))
    assert not expired.verified
    [(status, message)] = status_checks(expired)
    assert status is Status.FAIL and "expired at" in message
    assert verify(record.document, fetcher=fetcher, now=LATER).verified
    widened = verify(
        record.document, fetcher=fetcher, now=LATER + timedelta(hours=1), max_clock_skew=timedelta(hours=1)
    )
    assert widened.verified, widened.to_json()
