"""openbadge_ctq.ob2 and openbadge_ctq.issue_ob2: OB 2.0 documents from the catalog, revocation, legacy upgrade,
and migration to OB 3.0 (verified with our OB 3.0 verifier)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import (
    CatalogError,
    Evidence,
    InputError,
    KeyMaterialError,
    MapFetcher,
    Recipient,
    SigningKey,
    load_catalog,
    verify,
)
from openbadge_ctq.did import build_did_web_document, did_web_from_base_url, did_web_to_url
from openbadge_ctq.identity import identity_hash
from openbadge_ctq.issue_ob2 import (
    JWS_HEADER,
    ORIGINAL_EVIDENCE_NAME,
    find_catalog_issuer,
    issue_ob2,
    merge_published,
    migrate_ob2_to_ob3,
    revoke_ob2,
    site_base_url,
)
from openbadge_ctq.model import Catalog
from openbadge_ctq.ob2 import (
    CONTEXT_OB2,
    add_revocation,
    build_assertion,
    build_badge_class,
    build_cryptographic_key,
    build_evidence,
    build_issuer_profile,
    build_revocation_list,
    build_revoked_assertion,
    detect_version,
    find_revocation,
    ob2_urls,
    revoked_ids,
    upgrade,
    verification_type,
)
from openbadge_ctq.proofs.jws import decode_compact, verify_signature

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RSA_KEY = SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "key-rsa1")
ED_KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-ed1")
MC = "riverbend-family-reading-nights"
BASE = "https://riverbend.example/badges/"
LEGACY = Path(__file__).resolve().parents[2].parent / "shared/vectors/fixtures/ob-v2p0/validator-core/test_components"
SPEC = Path(__file__).resolve().parents[2].parent / "shared/vectors/examples/ob-v2p0-spec"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _with_org(catalog: Catalog, org_id: str, **changes: Any) -> Catalog:
    orgs = dict(catalog.organizations)
    orgs[org_id] = dataclasses.replace(orgs[org_id], **changes)
    return dataclasses.replace(catalog, organizations=orgs)


# ----------------------------------------------------------------------------------------------------------
# Builders


def test_urls_are_stable_and_under_the_base(catalog: Catalog) -> None:
    urls = ob2_urls(catalog.organization("riverbend"))
    assert urls.issuer == BASE + "ob2/issuer.json"
    assert urls.badge_class(MC) == BASE + f"ob2/badges/{MC}.json"
    assert urls.assertion("abc") == BASE + "ob2/assertions/abc.json"
    assert urls.key("key-1") == BASE + "ob2/keys/key-1.json"
    assert urls.revocation_list == BASE + "ob2/revocations.json"
    assert urls.path_of(urls.issuer) == "ob2/issuer.json"
    with pytest.raises(InputError):
        urls.path_of("https://elsewhere.example/ob2/issuer.json")
    with pytest.raises(InputError, match="cannot be used in a URL path"):
        urls.key("../../etc/passwd")


def test_an_issuer_without_base_url_is_refused_with_a_hint(catalog: Catalog) -> None:
    ctq = catalog.organization("ctq")
    with pytest.raises(CatalogError) as info:
        build_issuer_profile(ctq)
    assert "has no baseUrl" in info.value.message
    assert (
        info.value.hint is not None and "baseUrl" in info.value.hint and "issuers/ctq/profile.json" in info.value.hint
    )
    with pytest.raises(CatalogError, match="baseUrl"):
        issue_ob2(
            catalog,
            "writing-publicly-to-influence-parents",
            Recipient(email="a@example.org"),
            fmt="ob2-hosted",
            now=NOW,
        )


def test_an_issuer_without_email_is_refused_with_a_hint(catalog: Catalog) -> None:
    no_email = _with_org(catalog, "riverbend", email=None)
    with pytest.raises(CatalogError) as info:
        issue_ob2(no_email, MC, Recipient(email="a@example.org"), fmt="ob2-hosted", now=NOW)
    assert "requires an email" in info.value.message
    assert info.value.hint is not None and '"email"' in info.value.hint


def test_issuer_profile(catalog: Catalog) -> None:
    org = catalog.organization("riverbend")
    profile = build_issuer_profile(org, public_key_ids=[BASE + "ob2/keys/a.json", BASE + "ob2/keys/b.json"])
    assert profile["@context"] == CONTEXT_OB2 and profile["type"] == "Issuer"
    assert profile["id"] == BASE + "ob2/issuer.json"
    assert (profile["name"], profile["url"], profile["email"]) == (org.name, org.url, org.email)
    assert profile["publicKey"] == [BASE + "ob2/keys/a.json", BASE + "ob2/keys/b.json"]
    assert profile["revocationList"] == BASE + "ob2/revocations.json"
    assert profile["verification"] == {
        "type": "VerificationObject",
        "verificationProperty": "id",
        "startsWith": BASE + "ob2/assertions/",
    }
    assert profile["image"]["id"] == BASE + "images/riverbend-logo.svg" and profile["image"]["caption"]
    assert "publicKey" not in build_issuer_profile(org)


def test_badge_class(catalog: Catalog) -> None:
    org = catalog.organization("riverbend")
    entry = catalog.achievement(MC)
    badge = build_badge_class(entry, catalog, org)
    assert badge["type"] == "BadgeClass" and badge["id"] == BASE + f"ob2/badges/{MC}.json"
    assert badge["issuer"] == BASE + "ob2/issuer.json"
    assert (badge["name"], badge["description"]) == (entry.name, entry.description)
    assert badge["image"]["id"].startswith(BASE + "images/") and badge["image"]["caption"]
    assert badge["criteria"]["narrative"].startswith(entry.criteria_narrative.rstrip())
    assert "Rubric (required levels)" in badge["criteria"]["narrative"]
    no_image = dataclasses.replace(entry, image=None)
    with pytest.raises(CatalogError, match="has no image"):
        build_badge_class(no_image, catalog, org)


def test_hosted_assertion_hashes_the_email_with_a_salt(catalog: Catalog) -> None:
    org = catalog.organization("riverbend")
    entry = catalog.achievement(MC)
    recipient = Recipient(email="Teacher@Example.org", salt="pepper")
    assertion = build_assertion(
        entry,
        recipient,
        org,
        assertion_id=BASE + "ob2/assertions/1.json",
        issued_on=NOW,
        expires=NOW + timedelta(days=365),
        evidence=[build_evidence(url="https://example.org/work", name="Work")],
        narrative="Hosted two nights",
    )
    assert assertion["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": "pepper",
        "identity": identity_hash("teacher@example.org", "pepper"),
    }
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert assertion["badge"] == BASE + f"ob2/badges/{MC}.json"
    assert assertion["issuedOn"] == "2026-11-23T12:00:00Z" and assertion["expires"] == "2027-11-23T12:00:00Z"
    assert assertion["evidence"] == [{"type": "Evidence", "id": "https://example.org/work", "name": "Work"}]
    assert "teacher@example.org" not in json.dumps(assertion).lower()
    plain = build_assertion(
        entry,
        Recipient(email="t@example.org", hashed=False),
        org,
        assertion_id=BASE + "ob2/assertions/2.json",
        issued_on=NOW,
    )
    assert plain["recipient"] == {"type": "email", "hashed": False, "identity": "t@example.org"}


def test_assertion_refusals(catalog: Catalog) -> None:
    org = catalog.organization("riverbend")
    entry = catalog.achievement(MC)
    r = Recipient(email="t@example.org", salt="s")
    with pytest.raises(InputError, match=r"under https://riverbend\.example/badges/ob2/assertions/"):
        build_assertion(entry, r, org, assertion_id="https://evil.example/a.json", issued_on=NOW)
    with pytest.raises(InputError, match="key_id"):
        build_assertion(entry, r, org, assertion_id="urn:uuid:1", issued_on=NOW, verification="signed")
    with pytest.raises(InputError, match="hosted, signed"):
        build_assertion(entry, r, org, assertion_id="urn:uuid:1", issued_on=NOW, verification="baked")
    with pytest.raises(InputError, match="only a DID"):
        build_assertion(entry, Recipient(did="did:key:z6Mk1"), org, assertion_id="urn:uuid:1", issued_on=NOW)
    with pytest.raises(InputError, match="later than issuedOn"):
        build_assertion(
            entry, r, org, assertion_id=BASE + "ob2/assertions/x.json", issued_on=NOW, expires=NOW - timedelta(days=1)
        )
    with pytest.raises(InputError, match="evidence needs"):
        build_evidence()
    with pytest.raises(InputError, match="https"):
        build_evidence(url="javascript:alert(1)")
    with pytest.raises(InputError, match="PEM"):
        build_cryptographic_key(BASE + "ob2/keys/k.json", BASE + "ob2/issuer.json", "not a key")


def test_revocation_lists() -> None:
    doc = build_revocation_list(
        "https://x.example/r.json", "https://x.example/i.json", [("a", None), ("b", "why"), ("a", "dup")]
    )
    assert doc["type"] == "RevocationList" and doc["revokedAssertions"] == ["a", {"id": "b", "revocationReason": "why"}]
    updated = add_revocation(doc, "a", "now with a reason")
    assert updated["revokedAssertions"] == [
        {"id": "b", "revocationReason": "why"},
        {"id": "a", "revocationReason": "now with a reason"},
    ]
    assert doc["revokedAssertions"][0] == "a"  # the argument is not changed
    spec = _json(SPEC / "RevocationList_Example-1.json")
    assert find_revocation(spec, "urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e") == (True, None)
    assert find_revocation(spec, "urn:uuid:e79a6c18-787e-4868-8e65-e6a4530fb418") == (True, "Honor code violation")
    assert find_revocation(spec, "urn:uuid:other", uid="abc123") == (True, "Issued in error.")
    assert find_revocation(spec, "urn:uuid:other") == (False, None)
    assert "abc123" in revoked_ids(spec)
    stub = build_revoked_assertion("https://x.example/a.json", "Issued in error")
    assert stub == {
        "@context": CONTEXT_OB2,
        "id": "https://x.example/a.json",
        "revoked": True,
        "revocationReason": "Issued in error",
    }
    assert set(build_revoked_assertion("https://x.example/a.json", None)) == {"@context", "id", "revoked"}


# ----------------------------------------------------------------------------------------------------------
# Legacy versions


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("0_5_assertion.json", "0.5"),
        ("0_5_1_assertion.json", "0.5"),
        ("1_0_basic_assertion.json", "1.0"),
        ("1_0_assertion_with_errors.json", "1.0"),
        ("1_0_basic_badgeclass.json", "1.0"),
        ("1_1_basic_assertion.json", "1.1"),
        ("1_1_basic_issuer.json", "1.1"),
        ("2_0_basic_assertion.json", "2.0"),
        ("2_0_basic_badgeclass.json", "2.0"),
    ],
)
def test_versions_are_detected_like_the_reference_validator(name: str, version: str) -> None:
    assert detect_version(_json(LEGACY / name)) == version


def test_vc_credentials_are_not_open_badges_2() -> None:
    assert (
        detect_version({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}) is None
    )


def test_upgrade_0_5_maps_every_field() -> None:
    doc = _json(LEGACY / "0_5_1_assertion.json")
    upgraded, version = upgrade(doc, "Assertion", node_id="http://oldstyle.com/assertions/2")
    assert version == "0.5"
    assert upgraded["@context"] == CONTEXT_OB2 and upgraded["type"] == "Assertion"
    assert upgraded["id"] == "http://oldstyle.com/assertions/2"
    assert upgraded["recipient"] == {
        "type": "email",
        "hashed": True,
        "identity": "sha256$85c4196c5516561cef673642157499b70066cb1070852b2a37fdbf3cc599b087",
        "salt": "sel gris",
    }
    assert upgraded["issuedOn"] == "2011-06-01T00:00:00Z"
    assert upgraded["verification"] == {"type": "HostedBadge"}
    assert upgraded["badge"]["type"] == "BadgeClass"
    assert upgraded["badge"]["issuer"] == {
        "url": "http://oldstyle.com",
        "name": "Basic Issuer",
        "type": "Issuer",
        "@context": CONTEXT_OB2,
    }
    assert doc["recipient"].startswith("sha256$")  # the input is not changed


def test_upgrade_1_0_and_1_1() -> None:
    one, version = upgrade(_json(LEGACY / "1_0_basic_assertion.json"), "Assertion")
    assert version == "1.0"
    assert one["id"] == "http://a.com/instance" and one["verification"] == {"type": "HostedBadge"}
    assert one["issuedOn"] == "2015-04-30T00:00:00Z" and one["uid"] == "123abc" and "verify" not in one
    badge, version = upgrade(
        _json(LEGACY / "1_0_basic_badgeclass.json"), "BadgeClass", node_id="http://a.com/badgeclass"
    )
    assert version == "1.0" and badge["id"] == "http://a.com/badgeclass" and badge["type"] == "BadgeClass"
    issuer, _ = upgrade(_json(LEGACY / "1_0_basic_issuer.json"), "Profile", node_id="http://a.com/issuer")
    assert issuer["type"] == "Issuer" and issuer["id"] == "http://a.com/issuer"
    eleven, version = upgrade(_json(LEGACY / "1_1_basic_assertion.json"), "Assertion")
    assert version == "1.1" and eleven["verification"] == {"type": "HostedBadge"} and eleven["@context"] == CONTEXT_OB2
    signed, _ = upgrade(
        {"uid": "u1", "recipient": {}, "badge": "x", "verify": {"type": "signed", "url": "https://k"}}, "Assertion"
    )
    assert signed["verification"] == {"type": "SignedBadge", "creator": "https://k"} and signed["id"] == "urn:uid:u1"
    dated, _ = upgrade(
        {"uid": "u", "recipient": {}, "badge": "x", "issuedOn": 1430352000, "expires": "2016-01-01T00:00:00"},
        "Assertion",
    )
    assert dated["issuedOn"] == "2015-04-30T00:00:00Z" and dated["expires"] == "2016-01-01T00:00:00Z"


def test_verification_type_aliases() -> None:
    assert verification_type({"type": "hosted"}) == "HostedBadge"
    assert verification_type({"type": ["SignedBadge"]}) == "SignedBadge"
    assert verification_type({"type": "Baked"}) is None
    assert verification_type("hosted") is None


# ----------------------------------------------------------------------------------------------------------
# Issuing


def test_issue_hosted_returns_every_file_to_publish(catalog: Catalog) -> None:
    issued = issue_ob2(
        catalog,
        MC,
        Recipient(email="t@example.org"),
        fmt="ob2-hosted",
        now=NOW,
        evidence=[Evidence(url="https://example.org/night", name="Reading night")],
    )
    assert issued.format == "ob2-hosted" and issued.base_url == BASE
    assert issued.id.startswith(BASE + "ob2/assertions/") and issued.id.endswith(".json")
    relative = issued.id[len(BASE) :]
    assert set(issued.files) == {
        "ob2/issuer.json",
        f"ob2/badges/{MC}.json",
        "ob2/revocations.json",
        relative,
        "images/mc-family-reading-nights.svg",
        "images/riverbend-logo.svg",
    }
    assert json.loads(issued.files[relative]) == issued.assertion == json.loads(issued.document)
    assert issued.assertion["recipient"]["salt"]  # a random salt was drawn
    assert issued.assertion["evidence"][0]["id"] == "https://example.org/night"
    assert issued.media_type == "application/ld+json" and issued.suffix == ".json"
    assert issued.files["images/riverbend-logo.svg"].lstrip().startswith(b"<")
    for path, data in issued.files.items():
        if path.endswith(".json"):
            assert json.loads(data)["id"] == BASE + path  # every document is served at its own id


def test_issue_signed_is_an_rs256_jws_over_the_assertion(catalog: Catalog) -> None:
    issued = issue_ob2(catalog, MC, Recipient(email="t@example.org"), fmt="ob2-signed", now=NOW, key=RSA_KEY)
    assert issued.id.startswith("urn:uuid:") and issued.suffix == ".jws"
    jws = decode_compact(issued.document)
    assert jws.header == dict(JWS_HEADER)
    assert jws.payload_json() == issued.assertion
    assert verify_signature(jws, RSA_KEY.private_key.public_key())
    key_url = BASE + "ob2/keys/key-rsa1.json"
    assert issued.assertion["verification"] == {"type": "SignedBadge", "creator": key_url}
    key_doc = json.loads(issued.files["ob2/keys/key-rsa1.json"])
    assert key_doc["owner"] == BASE + "ob2/issuer.json" and key_doc["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY")
    assert json.loads(issued.files["ob2/issuer.json"])["publicKey"] == key_url
    assert not any(p.startswith("ob2/assertions/") for p in issued.files)  # a signed assertion is not hosted


def test_signed_needs_an_rsa_key(catalog: Catalog) -> None:
    for key in (None, ED_KEY):
        with pytest.raises(KeyMaterialError) as info:
            issue_ob2(catalog, MC, Recipient(email="t@example.org"), fmt="ob2-signed", now=NOW, key=key)
        assert "RS256" in info.value.message
        assert info.value.hint == "badge keys generate --issuer riverbend --type rsa"


def test_issue_refusals(catalog: Catalog) -> None:
    r = Recipient(email="t@example.org")
    with pytest.raises(InputError, match="not one of ob2-hosted, ob2-signed"):
        issue_ob2(catalog, MC, r, fmt="ob2-baked", now=NOW)
    with pytest.raises(InputError, match="is issued by 'riverbend', not 'ctq'"):
        issue_ob2(catalog, MC, r, fmt="ob2-hosted", now=NOW, issuer_id="ctq")


def test_published_keys_and_revocations_are_kept(catalog: Catalog) -> None:
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    issued = issue_ob2(
        catalog,
        MC,
        Recipient(email="t@example.org"),
        fmt="ob2-signed",
        now=NOW,
        key=RSA_KEY,
        published_keys=[("key-old", old), ("key-ed", ED_KEY.private_key.public_key())],
        revoked=[("urn:uuid:gone", "Issued in error")],
    )
    profile = json.loads(issued.files["ob2/issuer.json"])
    assert profile["publicKey"] == [BASE + "ob2/keys/key-rsa1.json", BASE + "ob2/keys/key-old.json"]
    assert "ob2/keys/key-ed.json" not in issued.files  # only RSA keys are OB 2.0 keys here
    assert json.loads(issued.files["ob2/revocations.json"])["revokedAssertions"] == [
        {"id": "urn:uuid:gone", "revocationReason": "Issued in error"}
    ]
    existing = {
        "ob2/revocations.json": json.dumps(
            {**json.loads(issued.files["ob2/revocations.json"]), "revokedAssertions": ["urn:uuid:a"]}
        ).encode(),
        "ob2/issuer.json": json.dumps({**profile, "publicKey": BASE + "ob2/keys/key-elsewhere.json"}).encode(),
    }
    merged = merge_published(issued.files, existing)
    assert json.loads(merged["ob2/revocations.json"])["revokedAssertions"] == [
        "urn:uuid:a",
        {"id": "urn:uuid:gone", "revocationReason": "Issued in error"},
    ]
    assert json.loads(merged["ob2/issuer.json"])["publicKey"] == [
        BASE + "ob2/keys/key-elsewhere.json",
        BASE + "ob2/keys/key-rsa1.json",
        BASE + "ob2/keys/key-old.json",
    ]
    assert (
        merge_published(issued.files, {"ob2/issuer.json": b"not json"})["ob2/issuer.json"]
        == issued.files["ob2/issuer.json"]
    )


def test_revoke_hosted_writes_the_stub_and_the_list(catalog: Catalog) -> None:
    issued = issue_ob2(catalog, MC, Recipient(email="t@example.org"), fmt="ob2-hosted", now=NOW)
    profile = json.loads(issued.files["ob2/issuer.json"])
    assert site_base_url(profile) == BASE
    result = revoke_ob2(
        profile, issued.id, reason="Issued in error", revocation_list=json.loads(issued.files["ob2/revocations.json"])
    )
    assert result.hosted and result.reason == "Issued in error"
    relative = issued.id[len(BASE) :]
    assert json.loads(result.files[relative]) == build_revoked_assertion(issued.id, "Issued in error")
    assert json.loads(result.files["ob2/revocations.json"])["revokedAssertions"] == [
        {"id": issued.id, "revocationReason": "Issued in error"}
    ]
    signed = revoke_ob2(profile, "urn:uuid:1234", reason="  ")
    assert not signed.hosted and signed.reason is None and set(signed.files) == {"ob2/revocations.json"}
    with pytest.raises(InputError, match="not an assertion of this site"):
        revoke_ob2(profile, "https://elsewhere.example/a.json")
    with pytest.raises(InputError, match=r"is not <baseUrl>ob2/issuer\.json"):
        revoke_ob2({"id": "https://x.example/profile"}, "urn:uuid:1")


# ----------------------------------------------------------------------------------------------------------
# Migration to OB 3.0


def _published(issued: Any) -> MapFetcher:
    return MapFetcher({issued.base_url + p: b for p, b in issued.files.items()})


def test_migrate_as_another_issuer_points_back_to_the_original(catalog: Catalog) -> None:
    issued = issue_ob2(
        catalog,
        MC,
        Recipient(email="t@example.org"),
        fmt="ob2-hosted",
        now=NOW,
        expires=NOW + timedelta(days=400),
        evidence=[Evidence(url="https://example.org/night", name="Night")],
        narrative="Two nights",
    )
    files = {p: json.loads(b) for p, b in issued.files.items() if p.endswith(".json")}
    migrated = migrate_ob2_to_ob3(
        issued.assertion,
        files[f"ob2/badges/{MC}.json"],
        files["ob2/issuer.json"],
        key=ED_KEY,
        now=NOW + timedelta(days=1),
        catalog=catalog,
        issuer=catalog.organization("ctq"),
    )
    credential = migrated.credential
    assert credential["evidence"][0] == {"id": issued.id, "type": ["Evidence"], "name": ORIGINAL_EVIDENCE_NAME}
    assert credential["evidence"][1]["id"] == "https://example.org/night"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["related"] == [{"id": BASE + f"ob2/badges/{MC}.json", "type": ["Related"]}]
    assert achievement["name"] == catalog.achievement(MC).name
    ident = credential["credentialSubject"]["identifier"][0]
    assert ident["identityHash"] == issued.assertion["recipient"]["identity"]
    assert ident["salt"] == issued.assertion["recipient"]["salt"] and ident["identityType"] == "emailAddress"
    assert credential["validFrom"] == issued.assertion["issuedOn"] == credential["awardedDate"]
    assert credential["validUntil"] == issued.assertion["expires"]
    assert credential["credentialSubject"]["narrative"] == "Two nights"
    report = verify(migrated.document, now=NOW + timedelta(days=2), recipient="t@example.org")
    assert report.verified, report.to_json()["errors"]
    assert not report.warnings


def test_migrate_our_own_badge_uses_the_catalog_achievement_and_did_web(catalog: Catalog) -> None:
    issued = issue_ob2(catalog, MC, Recipient(email="t@example.org"), fmt="ob2-signed", now=NOW, key=RSA_KEY)
    files = {p: json.loads(b) for p, b in issued.files.items() if p.endswith(".json")}
    org = find_catalog_issuer(catalog, files["ob2/issuer.json"]["id"])
    assert org is not None and org.id == "riverbend"
    migrated = migrate_ob2_to_ob3(
        issued.assertion,
        files[f"ob2/badges/{MC}.json"],
        files["ob2/issuer.json"],
        key=ED_KEY,
        now=NOW,
        catalog=catalog,
        fmt="ob3-jwt",
    )
    achievement = migrated.credential["credentialSubject"]["achievement"]
    assert achievement["id"] == "https://riverbend.example/badges/achievements/" + MC
    assert achievement["resultDescription"]  # the rubric comes from the catalog
    assert migrated.credential["evidence"][0]["id"] == issued.id
    did = did_web_from_base_url(BASE)
    document = build_did_web_document(did, [(ED_KEY.key_id, ED_KEY.private_key.public_key())])
    fetcher = MapFetcher({did_web_to_url(did): json.dumps(document).encode()})
    report = verify(migrated.document, now=NOW, fetcher=fetcher)
    assert report.verified, report.to_json()["errors"]
    assert report.format == "ob3-jwt"


def test_migrate_a_legacy_badge_and_refusals(catalog: Catalog) -> None:
    assertion = _json(LEGACY / "1_1_basic_assertion.json")
    badge = _json(LEGACY / "1_1_basic_badgeclass.json")
    issuer = _json(LEGACY / "1_1_basic_issuer.json")
    with pytest.raises(InputError) as info:
        migrate_ob2_to_ob3(assertion, badge, issuer, key=ED_KEY, now=NOW, catalog=catalog)
    assert (
        "not one of the catalog's issuers" in info.value.message
        and info.value.hint == "badge migrate SOURCE --issuer ID"
    )
    migrated = migrate_ob2_to_ob3(assertion, badge, issuer, key=ED_KEY, now=NOW, issuer=catalog.organization("ctq"))
    achievement = migrated.credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "Awesome Robotics Badge" and achievement["criteria"] == {"id": badge["criteria"]}
    assert achievement["id"].startswith("urn:uuid:")
    assert verify(migrated.document, now=NOW).verified
    with pytest.raises(KeyMaterialError, match="Ed25519"):
        migrate_ob2_to_ob3(
            assertion,
            badge,
            issuer,
            key=RSA_KEY,
            now=NOW,
            issuer=_with_org(catalog, "ctq", base_url=BASE).organization("ctq"),
        )
    with pytest.raises(InputError, match="BadgeClass is needed"):
        migrate_ob2_to_ob3(assertion, None, issuer, key=ED_KEY, now=NOW, issuer=catalog.organization("ctq"))
