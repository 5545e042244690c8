"""Key rotation end to end, as an issuer lives it: sign, rotate, sign again, publish, verify; then revoke a key.

did:web issuer (Riverbend, baseUrl https://riverbend.example/badges/): credential A is signed with key 1, the store
rotates to key 2 (key 1 retired), credential B is signed with key 2, and ``badge publish`` writes the site. A
verifier that fetches the published ``did.json`` (served from the folder with ``UrlMapFetcher``, as ``badge verify
--url-map`` does; no network) accepts both, each through its own verification method, in both OB 3.0 formats. When
key 1 is revoked (compromised), the next ``badge publish`` drops it from ``did.json``, and everything it signed —
including anything the thief signs with a copy of it — fails the ``proof`` check.

did:key issuer (ctq without a baseUrl): the DID *is* the key, so rotating changes the issuer's id. Old credentials
keep verifying (did:key is self-contained) — and so does anything signed with a revoked did:key key: revocation
cannot reach a did:key. Only a verifier's trust list can (a district distrusts the old DID).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.did import did_web_from_base_url
from openbadge_ctq.errors import KeyMaterialError
from openbadge_ctq.fetch import UrlMapFetcher
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey, issue_credential
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS, KeyType, PrivateKey
from openbadge_ctq.model import Catalog
from openbadge_ctq.proofs.jws import decode_compact
from openbadge_ctq.store import KeyRecord, KeyStatus, KeyStore
from openbadge_ctq.trust import TrustList
from openbadge_ctq.verify import Check, Status, VerificationReport
from openbadge_ctq_cli.main import badge

from ..unit.test_registry import CTQ_MC, RIVERBEND_MC

BASE = "https://riverbend.example/badges/"
DID = did_web_from_base_url(BASE)
PASSPHRASE = b"correct horse battery staple"
FORMATS = ("ob3-di", "ob3-jwt")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@dataclass
class Issuer:
    """An issuer's keys in a badge home, and what it signed with which key."""

    home: Path
    store: KeyStore
    catalog: Catalog
    issuer_id: str
    achievement: str

    def generate(self, at: datetime) -> tuple[KeyRecord, PrivateKey]:
        record = self.store.generate(self.issuer_id, KeyType.ED25519, passphrase=PASSPHRASE, now=at)
        return record, self.store.load_private(record, PASSPHRASE)

    def sign(self, private: PrivateKey, key_id: str, fmt: str, at: datetime, email: str) -> str:
        key = SigningKey(private, key_id)
        return issue_credential(self.catalog, self.achievement, Recipient(email=email), key, fmt=fmt, now=at).document

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(badge, ["--home", str(self.home), *args])
        assert result.exit_code == 0, result.output
        return result.stdout


def key_named_by(document: str) -> str:
    """The verification method a credential names: the DI proof's, or the JWT's ``kid``."""
    if document.lstrip().startswith("{"):
        return str(json.loads(document)["proof"][0]["verificationMethod"])
    return str(decode_compact(document).header["kid"])


def check(report: VerificationReport, check_id: str) -> Check:
    (found,) = [c for c in report.checks if c.id == check_id]
    return found


def failed(report: VerificationReport) -> list[str]:
    return [c.id for c in report.checks if c.status is Status.FAIL]


# ----------------------------------------------------------------------------------------------------------
# did:web


@dataclass
class WebSite:
    issuer: Issuer
    site: Path
    key1: KeyRecord
    key1_private: PrivateKey
    key2: KeyRecord
    signed_by_1: dict[str, str]
    signed_by_2: dict[str, str]

    def publish(self, now: datetime) -> dict[str, Any]:
        self.issuer.cli("publish", "--issuer", "riverbend", "--out", str(self.site), "--now", now.isoformat())
        did_json: dict[str, Any] = json.loads((self.site / "did.json").read_text(encoding="utf-8"))
        # ``badge did document`` builds the same document for issuers who publish by hand
        assert json.loads(self.issuer.cli("did", "document", "--issuer", "riverbend")) == did_json
        return did_json

    def check(self, document: str, now: datetime) -> VerificationReport:
        return verify(document, fetcher=UrlMapFetcher([(BASE, self.site)]), now=now)


@pytest.fixture
def web(badge_home: Path, tmp_path: Path, catalog: Catalog, now: datetime) -> WebSite:
    issuer = Issuer(badge_home, KeyStore(badge_home, kdf_rounds=MIN_PBKDF2_ROUNDS), catalog, "riverbend", RIVERBEND_MC)
    key1, private1 = issuer.generate(now - timedelta(days=60))
    signed_by_1 = {
        fmt: issuer.sign(private1, key1.key_id, fmt, now - timedelta(days=59), "a@example.org") for fmt in FORMATS
    }
    key2, private2 = issuer.generate(now - timedelta(days=30))  # rotation: key 1 is retired
    signed_by_2 = {
        fmt: issuer.sign(private2, key2.key_id, fmt, now - timedelta(days=29), "b@example.org") for fmt in FORMATS
    }
    return WebSite(issuer, tmp_path / "site", key1, private1, key2, signed_by_1, signed_by_2)


def test_rotation_keeps_old_credentials_verifying_and_new_ones_name_the_new_key(web: WebSite, now: datetime) -> None:
    key1, key2 = f"{DID}#{web.key1.key_id}", f"{DID}#{web.key2.key_id}"
    assert [(r.key_id, r.status) for r in web.issuer.store.list("riverbend")] == [
        (web.key1.key_id, KeyStatus.RETIRED),
        (web.key2.key_id, KeyStatus.ACTIVE),
    ]
    did_json = web.publish(now)
    assert [m["id"] for m in did_json["verificationMethod"]] == [key2, key1]
    assert did_json["assertionMethod"] == [key2, key1]  # the retired key still vouches for what it signed
    assert did_json["authentication"] == [key2]  # ... but no longer authenticates the issuer
    for fmt in FORMATS:
        old, new = web.signed_by_1[fmt], web.signed_by_2[fmt]
        assert (key_named_by(old), key_named_by(new)) == (key1, key2), fmt
        for document in (old, new):
            report = web.check(document, now)
            assert report.verified, (fmt, report.to_json())
            assert check(report, "issuer.binding").status is Status.PASS


def test_each_credential_verifies_through_its_own_key(web: WebSite, now: datetime) -> None:
    """The two keys are not interchangeable: a did.json that lists only one of them refuses the other's credentials
    (so the test above really used the retired key for A and the new key for B)."""
    did_json = web.publish(now)
    for keep, refused, named in (
        (web.key1.key_id, web.signed_by_2, web.key2.key_id),
        (web.key2.key_id, web.signed_by_1, web.key1.key_id),
    ):
        only = {
            **did_json,
            "verificationMethod": [m for m in did_json["verificationMethod"] if m["id"].endswith("#" + keep)],
            "assertionMethod": [f"{DID}#{keep}"],
        }
        (web.site / "did.json").write_text(json.dumps(only), encoding="utf-8")
        for fmt in FORMATS:
            report = web.check(refused[fmt], now)
            assert failed(report) == ["proof"], (fmt, report.to_json())
            assert f"{DID}#{named} is not in the DID document" in check(report, "proof").message


def test_a_revoked_key_leaves_did_json_and_everything_it_signed_is_refused(web: WebSite, now: datetime) -> None:
    web.issuer.store.revoke("riverbend", web.key1.key_id, now=now - timedelta(days=1))
    did_json = web.publish(now)
    assert web.key1.key_id not in json.dumps(did_json)
    assert did_json["assertionMethod"] == [f"{DID}#{web.key2.key_id}"]
    # the thief kept a copy of key 1 and signs a new credential with it after the revocation
    forged = {
        fmt: web.issuer.sign(web.key1_private, web.key1.key_id, fmt, now - timedelta(hours=1), "thief@example.org")
        for fmt in FORMATS
    }
    for fmt in FORMATS:
        for document in (web.signed_by_1[fmt], forged[fmt]):
            report = web.check(document, now)
            assert not report.verified and failed(report) == ["proof"], (fmt, report.to_json())
            assert f"{DID}#{web.key1.key_id} is not in the DID document of {DID}" in check(report, "proof").message
            assert check(report, "issuer.binding").status is Status.SKIP
        assert web.check(web.signed_by_2[fmt], now).verified
    # and the store will not sign with it any more
    with pytest.raises(KeyMaterialError, match="is revoked: its private key was deleted"):
        web.issuer.store.load_private(web.issuer.store.get("riverbend", web.key1.key_id), PASSPHRASE)


# ----------------------------------------------------------------------------------------------------------
# did:key


def test_did_key_rotation_changes_the_issuer_and_revocation_cannot_reach_old_credentials(
    badge_home: Path, catalog: Catalog, now: datetime
) -> None:
    issuer = Issuer(badge_home, KeyStore(badge_home, kdf_rounds=MIN_PBKDF2_ROUNDS), catalog, "ctq", CTQ_MC)
    key1, private1 = issuer.generate(now - timedelta(days=60))
    old = {fmt: issuer.sign(private1, key1.key_id, fmt, now - timedelta(days=59), "a@example.org") for fmt in FORMATS}
    assert issuer.cli("did", "show", "--issuer", "ctq").strip() == key1.did_key()
    key2, private2 = issuer.generate(now - timedelta(days=30))
    new = {fmt: issuer.sign(private2, key2.key_id, fmt, now - timedelta(days=29), "b@example.org") for fmt in FORMATS}
    assert issuer.cli("did", "show", "--issuer", "ctq").strip() == key2.did_key() != key1.did_key()

    for fmt in FORMATS:  # offline: a did:key needs nothing fetched
        before, after = verify(old[fmt], now=now), verify(new[fmt], now=now)
        assert before.verified and after.verified, fmt
        assert (before.summary["issuer"]["id"], after.summary["issuer"]["id"]) == (key1.did_key(), key2.did_key())

    issuer.store.revoke("ctq", key1.key_id, now=now - timedelta(days=1))
    forged = issuer.sign(private1, key1.key_id, "ob3-di", now - timedelta(hours=1), "thief@example.org")
    for document in (*old.values(), forged):
        # documented limit: nothing a did:key issuer publishes can withdraw the key, so these still verify
        assert verify(document, now=now).verified
    # what does stop them: the verifier's trust list, moved to the new DID
    trust = TrustList.parse({"trusted": [key2.did_key()], "distrusted": [key1.did_key()]})
    assert trust.judge(verify(forged, now=now).summary["issuer"]["id"]) == "distrusted"
    assert trust.judge(verify(new["ob3-di"], now=now).summary["issuer"]["id"]) == "trusted"
