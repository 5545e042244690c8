"""The registry through its Python API: issue, revoke, suspend, reinstate, audit log, listing, natural keys, status
index allocation. Every test runs on SQLite and on PostgreSQL (see ``test_registry_db``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.errors import CatalogError, InputError
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.model import Catalog
from openbadge_ctq.ob3 import Evidence
from openbadge_ctq.registry import (
    AuditAction,
    CredentialState,
    Registry,
    StatusDialect,
    StatusPurpose,
    status_alloc,
)
from openbadge_ctq.status_publish import STATUS_LIST_SIZE

from .test_registry_db import fresh_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RIVERBEND_MC = "riverbend-family-reading-nights"  # riverbend has a baseUrl (did:web)
CTQ_MC = "writing-publicly-to-influence-parents"  # ctq as packaged has none (did:key)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-fixed")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    with fresh_database(request.param, tmp_path) as url, Registry(url) as opened:
        yield opened


def issue(
    registry: Registry,
    catalog: Catalog,
    email: str,
    *,
    achievement: str = RIVERBEND_MC,
    now: datetime = NOW,
    **kwargs: Any,
) -> str:
    issuance = registry.issue(catalog, achievement, Recipient(email=email), KEY, now=now, actor="registrar", **kwargs)
    assert issuance.created
    return issuance.record.id


def test_issue_records_the_credential(registry: Registry, catalog: Catalog) -> None:
    evidence = (Evidence(url="https://example.org/reading-night", name="Reading night plan"),)
    issuance = registry.issue(
        catalog,
        RIVERBEND_MC,
        Recipient(email="Ana.Lopez@Example.org", name="Ana López"),
        KEY,
        now=NOW,
        actor="registrar@riverbend.example",
        evidence=evidence,
        valid_until=NOW + timedelta(days=365),
        locale="es-MX",
    )
    record = issuance.record
    assert issuance.created
    assert record.id.startswith("https://riverbend.example/badges/credentials/")
    assert (record.issuer_id, record.issuer_did) == ("riverbend", "did:web:riverbend.example:badges")
    assert record.achievement_id == RIVERBEND_MC
    assert record.format == "ob3-di" and record.state is CredentialState.ACTIVE
    assert record.issued_at == NOW and record.valid_until == NOW + timedelta(days=365)
    assert record.locale == "es-MX" and record.status_method is StatusDialect.REVOCATION_LIST
    # the recipient is kept as a keyed hash only
    assert record.recipient_email is None
    assert record.recipient_hash.startswith("hmac-sha256$") and "ana" not in record.recipient_hash.lower()
    assert record.recipient_hash == registry.recipient_hash("ana.lopez@example.org")
    # the signed document is kept exactly as issued, with the 1EdTech status entry (one, as OB 3.0 allows)
    credential = json.loads(record.document)
    assert credential == record.credential and credential["id"] == record.id
    assert credential["credentialStatus"] == {
        "id": "https://riverbend.example/badges/status/revocations.json",
        "type": "1EdTechRevocationList",
    }
    stored = registry.get(record.id)
    assert stored == record
    assert [(e.action, e.actor, e.at) for e in registry.audit(record.id)] == [
        (AuditAction.ISSUE, "registrar@riverbend.example", NOW)
    ]


def test_email_is_kept_in_plaintext_only_on_request(registry: Registry, catalog: Catalog) -> None:
    kept = registry.issue(
        catalog, RIVERBEND_MC, Recipient(email="kim@example.org"), KEY, now=NOW, actor="me", store_email=True
    ).record
    assert kept.recipient_email == "kim@example.org"
    plain = registry.issue(catalog, RIVERBEND_MC, Recipient(email="lee@example.org"), KEY, now=NOW, actor="me")
    assert plain.record.recipient_email is None


def test_issuer_without_base_url_gets_no_status(registry: Registry, catalog: Catalog) -> None:
    record = registry.get(issue(registry, catalog, "sam@example.org", achievement=CTQ_MC))
    assert record.id.startswith("urn:uuid:") and record.issuer_did.startswith("did:key:z6Mk")
    assert record.status_method is StatusDialect.NONE and "credentialStatus" not in record.credential
    with pytest.raises(InputError, match="has no baseUrl, so it has nowhere to publish status lists"):
        registry.issue(catalog, CTQ_MC, Recipient(email="x@example.org"), KEY, now=NOW, actor="me", status="1edtech")
    # revocation is still recorded (the registry's own record), though no verifier can see it
    assert registry.revoke(record.id, reason="Issued in error", actor="me", now=NOW).state is CredentialState.REVOKED


def test_bitstring_status_gets_a_random_revocation_index(registry: Registry, catalog: Catalog) -> None:
    records = [registry.get(issue(registry, catalog, f"t{i}@example.org", status="bitstring")) for i in range(20)]
    indexes = [r.status_indexes for r in records]
    assert all(len(i) == 1 and i[0].purpose is StatusPurpose.REVOCATION for i in indexes)
    assert all(i[0].list_name == "revocation-1" and 0 <= i[0].index < STATUS_LIST_SIZE for i in indexes)
    assert len({i[0].index for i in indexes}) == 20
    assert [i[0].index for i in indexes] != sorted(i[0].index for i in indexes)  # not sequential
    entry = records[0].credential["credentialStatus"]
    assert entry == {
        "id": f"https://riverbend.example/badges/status/revocation-1.json#{indexes[0][0].index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(indexes[0][0].index),
        "statusListCredential": "https://riverbend.example/badges/status/revocation-1.json",
    }


def test_a_full_list_opens_the_next_one(registry: Registry, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_alloc, "STATUS_LIST_SIZE", 16)
    records = [registry.get(issue(registry, catalog, f"f{i}@example.org", status="bitstring")) for i in range(40)]
    slots = [(r.status_indexes[0].list_name, r.status_indexes[0].index) for r in records]
    assert len(set(slots)) == 40
    assert {name for name, _ in slots} == {"revocation-1", "revocation-2", "revocation-3"}
    assert sorted(i for name, i in slots if name == "revocation-1") == list(range(16))
    assert sorted(i for name, i in slots if name == "revocation-2") == list(range(16))
    assert all(0 <= i < 16 for _, i in slots)
    snapshot = registry.status_snapshot("riverbend")
    assert [(c.name, c.size) for c in snapshot.lists] == [
        ("revocation-1", 16),
        ("revocation-2", 16),
        ("revocation-3", 16),
    ]


def test_revoke_suspend_reinstate_and_the_audit_log(registry: Registry, catalog: Catalog) -> None:
    revoked = issue(registry, catalog, "rev@example.org")
    suspended = issue(registry, catalog, "sus@example.org")
    later = NOW + timedelta(days=3)
    record = registry.suspend(suspended, reason="plagiarism inquiry", actor="dean", now=later)
    assert (record.state, record.state_reason, record.state_changed_at) == (
        CredentialState.SUSPENDED,
        "plagiarism inquiry",
        later,
    )
    record = registry.reinstate(suspended, actor="dean", now=later + timedelta(days=1))
    assert (record.state, record.state_reason) == (CredentialState.ACTIVE, None)
    registry.suspend(suspended, actor="dean", now=later + timedelta(days=2))
    record = registry.revoke(revoked, reason="  Issued   in error ", actor="registrar", now=later)
    assert (record.state, record.state_reason) == (CredentialState.REVOKED, "Issued in error")
    # revocation is final
    with pytest.raises(InputError, match="revocation is final: it cannot be reinstated") as caught:
        registry.reinstate(revoked, actor="registrar", now=later)
    assert caught.value.hint == "issue a new credential if it was revoked in error"
    with pytest.raises(InputError, match="revocation is final: it cannot be suspended"):
        registry.suspend(revoked, actor="registrar", now=later)
    with pytest.raises(InputError, match="already revoked"):
        registry.revoke(revoked, reason="again", actor="registrar", now=later)
    # a suspended credential can be revoked
    assert registry.revoke(suspended, reason="Confirmed", actor="dean", now=later).state is CredentialState.REVOKED
    active = issue(registry, catalog, "act@example.org")
    with pytest.raises(InputError, match="is not suspended, so there is nothing to reinstate"):
        registry.reinstate(active, actor="dean", now=later)
    with pytest.raises(InputError, match="needs a reason"):
        registry.revoke(active, reason=" ", actor="dean", now=later)
    with pytest.raises(InputError, match="has no credential"):
        registry.revoke("urn:uuid:nope", reason="x", actor="dean", now=later)
    with pytest.raises(InputError, match="actor"):
        registry.suspend(active, actor="", now=later)
    log = [(e.credential_id, e.action.value, e.actor, e.reason) for e in registry.audit()]
    assert log == [
        (revoked, "issue", "registrar", None),
        (suspended, "issue", "registrar", None),
        (suspended, "suspend", "dean", "plagiarism inquiry"),
        (suspended, "reinstate", "dean", None),
        (suspended, "suspend", "dean", None),
        (revoked, "revoke", "registrar", "Issued in error"),
        (suspended, "revoke", "dean", "Confirmed"),
        (active, "issue", "registrar", None),
    ]
    assert [e.seq for e in registry.audit()] == sorted(e.seq for e in registry.audit())


def test_a_bitstring_credential_cannot_be_suspended(registry: Registry, catalog: Catalog) -> None:
    cid = issue(registry, catalog, "bit@example.org", status="bitstring")
    with pytest.raises(InputError, match="cannot express suspension") as caught:
        registry.suspend(cid, actor="dean", now=NOW)
    assert caught.value.hint and "--status 1edtech" in caught.value.hint
    assert registry.get(cid).state is CredentialState.ACTIVE
    assert [e.action for e in registry.audit(cid)] == [AuditAction.ISSUE]


def test_status_snapshot(registry: Registry, catalog: Catalog) -> None:
    bit_revoked = issue(registry, catalog, "a@example.org", status="bitstring")
    bit_active = issue(registry, catalog, "b@example.org", status="bitstring")
    list_revoked = issue(registry, catalog, "c@example.org")
    list_suspended = issue(registry, catalog, "d@example.org")
    issue(registry, catalog, "e@example.org")
    registry.revoke(bit_revoked, reason="Issued in error", actor="me", now=NOW)
    registry.revoke(list_revoked, reason="Fraud", actor="me", now=NOW)
    registry.suspend(list_suspended, reason="private detail", actor="me", now=NOW)
    snapshot = registry.status_snapshot("riverbend")
    (revocations,) = snapshot.lists
    assert revocations.name == "revocation-1" and revocations.purpose == "revocation"
    assert revocations.set_indexes == {registry.get(bit_revoked).status_indexes[0].index}
    assert registry.get(bit_active).status_indexes[0].index not in revocations.set_indexes
    # the 1EdTech list names only credentials that use it; a suspension's reason stays private
    assert sorted((i.credential_id, i.reason) for i in snapshot.revoked) == sorted(
        [(list_revoked, "Fraud"), (list_suspended, "Suspended")]
    )
    registry.reinstate(list_suspended, actor="me", now=NOW)
    assert [i.credential_id for i in registry.status_snapshot("riverbend").revoked] == [list_revoked]
    assert registry.status_snapshot("ctq").lists == ()


def test_natural_key_makes_issuing_idempotent(registry: Registry, catalog: Catalog) -> None:
    recipient = Recipient(email="nat@example.org")
    key = registry.natural_key(
        issuer_id="riverbend", recipient=recipient, achievement_id=RIVERBEND_MC, evidence_url="https://e.org/1"
    )
    assert key == registry.natural_key(
        issuer_id="riverbend", recipient="NAT@example.org ", achievement_id=RIVERBEND_MC, evidence_url="https://e.org/1"
    )
    other = registry.natural_key(
        issuer_id="riverbend", recipient=recipient, achievement_id=RIVERBEND_MC, evidence_url="https://e.org/2"
    )
    assert other != key and "nat" not in key
    first = registry.issue(catalog, RIVERBEND_MC, recipient, KEY, now=NOW, actor="me", natural_key=key)
    again = registry.issue(
        catalog, RIVERBEND_MC, recipient, KEY, now=NOW + timedelta(hours=1), actor="me", natural_key=key
    )
    assert first.created and not again.created
    assert again.record == first.record
    assert registry.count() == 1 and registry.find(natural_key=key) == first.record
    assert registry.find(natural_key="nothing") is None


def test_list_filters(registry: Registry, catalog: Catalog) -> None:
    a = issue(registry, catalog, "one@example.org")
    b = issue(registry, catalog, "two@example.org", now=NOW + timedelta(days=1))
    c = issue(
        registry, catalog, "one@example.org", achievement="riverbend-home-reading-routines", now=NOW + timedelta(days=2)
    )
    d = issue(registry, catalog, "ctq@example.org", achievement=CTQ_MC, now=NOW + timedelta(days=3))
    registry.revoke(b, reason="x", actor="me", now=NOW)

    def ids(**filters: Any) -> list[str]:
        return [r.id for r in registry.list(**filters)]

    assert ids() == [a, b, c, d]
    assert ids(issuer_id="riverbend") == [a, b, c]
    assert ids(achievement_id=RIVERBEND_MC) == [a, b]
    assert ids(recipient="ONE@example.org") == [a, c]
    assert ids(state="revoked") == [b] and ids(state=CredentialState.ACTIVE) == [a, c, d]
    assert ids(since=NOW + timedelta(days=1)) == [b, c, d]
    assert ids(until=NOW + timedelta(days=1)) == [a]
    assert ids(since=NOW + timedelta(days=1), until=NOW + timedelta(days=3)) == [b, c]
    assert ids(limit=2) == [a, b]
    assert registry.count() == 4 and registry.count(issuer_id="ctq") == 1
    with pytest.raises(InputError, match="state 'gone'"):
        registry.list(state="gone")
    with pytest.raises(InputError, match="not a valid email"):
        registry.list(recipient="not-an-email")


def test_problems_are_found_before_indexes_are_reserved(registry: Registry, catalog: Catalog) -> None:
    recipient = Recipient(email="early@example.org")
    with pytest.raises(InputError, match="below the required level"):
        registry.issue(
            catalog, RIVERBEND_MC, recipient, KEY, now=NOW, actor="me", status="bitstring", levels="beginning"
        )
    with pytest.raises(InputError, match="validUntil must be later"):
        registry.issue(catalog, RIVERBEND_MC, recipient, KEY, now=NOW, actor="me", status="bitstring", valid_until=NOW)
    with pytest.raises(InputError, match="is issued by 'riverbend', not 'ctq'"):
        registry.issue(catalog, RIVERBEND_MC, recipient, KEY, now=NOW, actor="me", issuer_id="ctq")
    with pytest.raises(InputError, match="status 'both' is not one of"):
        registry.issue(catalog, RIVERBEND_MC, recipient, KEY, now=NOW, actor="me", status="both")
    with pytest.raises(CatalogError):
        registry.issue(catalog, "no-such-badge", recipient, KEY, now=NOW, actor="me")
    assert registry.count() == 0
    assert registry.status_snapshot("riverbend").lists == ()


def test_jwt_credentials_are_recorded_too(registry: Registry, catalog: Catalog) -> None:
    record = registry.get(issue(registry, catalog, "jwt@example.org", fmt="ob3-jwt", status="bitstring"))
    assert record.format == "ob3-jwt" and record.suffix == ".jwt" and record.document.count(".") == 2
    assert record.credential["id"] == record.id
    assert record.credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert record.to_json()["statusIndexes"] == [
        {"list": "revocation-1", "purpose": "revocation", "index": record.status_indexes[0].index}
    ]
