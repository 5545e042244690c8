"""The OB 2.0 verification pipeline (openbadge_ctq.verify.ob2): our own hosted and signed output, revocation (hosted
``revoked: true``, HTTP 410, revocation lists), the 1EdTech legacy samples and spec examples, every failure as a
check, and hostile servers on loopback that fail cleanly in bounded time."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from openbadge_ctq import MapFetcher, Recipient, SigningKey, load_catalog, verify
from openbadge_ctq import fetch as fetch_module
from openbadge_ctq.errors import FetchError
from openbadge_ctq.fetch import HttpFetcher
from openbadge_ctq.interfaces import OFFLINE, Fetched, Fetcher
from openbadge_ctq.issue_ob2 import IssuedOB2, issue_ob2, revoke_ob2
from openbadge_ctq.jsonld import DEFAULT_LOADER
from openbadge_ctq.keys import public_key_to_pem
from openbadge_ctq.model import Catalog
from openbadge_ctq.proofs.jws import encode_compact
from openbadge_ctq.verify import Status
from openbadge_ctq.verify.ob2 import (
    is_ob2,
    is_ob2_fetched,
    looks_like_ob2_jws,
    run_ob2,
    verify_ob2,
)
from openbadge_ctq.verify.ob3 import Options

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MC = "riverbend-family-reading-nights"
BASE = "https://riverbend.example/badges/"
RSA_KEY = SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "key-rsa1")
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VECTORS = Path(__file__).resolve().parents[2].parent / "shared/vectors"
LEGACY = VECTORS / "fixtures/ob-v2p0/validator-core/test_components"
SPEC = VECTORS / "examples/ob-v2p0-spec"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _options(fetcher: Fetcher, *, now: datetime = NOW, recipient: str | None = None) -> Options:
    return Options(fetcher=fetcher, now=now, loader=DEFAULT_LOADER, recipient=recipient)


def _site(issued: IssuedOB2, **overrides: bytes) -> dict[str, bytes]:
    docs = {issued.base_url + p: b for p, b in issued.files.items()}
    docs.update({issued.base_url + p: b for p, b in overrides.items()})
    return docs


def _statuses(checks: Any) -> dict[str, Status]:
    out: dict[str, Status] = {}
    for check in checks:
        out.setdefault(check.id, check.status)
    return out


def _check(checks: Any, check_id: str) -> Any:
    return next(c for c in checks if c.id == check_id)


@pytest.fixture(scope="module")
def hosted(catalog: Catalog) -> IssuedOB2:
    return issue_ob2(catalog, MC, Recipient(email="Teacher@Example.org"), fmt="ob2-hosted", now=NOW, key=RSA_KEY)


@pytest.fixture(scope="module")
def signed(catalog: Catalog) -> IssuedOB2:
    return issue_ob2(catalog, MC, Recipient(email="Teacher@Example.org"), fmt="ob2-signed", now=NOW, key=RSA_KEY)


class GoneFetcher:
    """Serves a map, except that some URLs answer HTTP 410 Gone (MapFetcher cannot)."""

    def __init__(self, docs: Mapping[str, bytes], gone: set[str]) -> None:
        self.inner = MapFetcher(docs)
        self.gone = gone

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        if url in self.gone:
            return Fetched(url=url, body=b"", content_type="text/plain", status=410)
        return self.inner.fetch(url, accept=accept, trusted_only=trusted_only)


class FailingFetcher:
    """Like a network fetcher that cannot reach some URLs (not offline)."""

    def __init__(self, docs: Mapping[str, bytes], down: set[str]) -> None:
        self.inner = MapFetcher(docs)
        self.down = down

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        if url in self.down:
            raise FetchError(f"could not fetch {url}: timed out after 20 s", url=url)
        return self.inner.fetch(url, accept=accept, trusted_only=trusted_only)


# ----------------------------------------------------------------------------------------------------------
# Our own output verifies offline


@pytest.mark.parametrize("fmt", ["ob2-hosted", "ob2-signed"])
def test_our_output_verifies_with_every_check_passing(hosted: IssuedOB2, signed: IssuedOB2, fmt: str) -> None:
    issued = hosted if fmt == "ob2-hosted" else signed
    sources = (issued.assertion, issued.document, issued.id) if fmt == "ob2-hosted" else (issued.document,)
    for source in (*sources, issued.document.encode()):
        result = verify_ob2(source, _options(MapFetcher(_site(issued)), recipient="teacher@example.org"))
        assert result.verified, [c.to_json() for c in result.checks]
        assert result.format == fmt
        statuses = _statuses(result.checks)
        for check_id in (
            "parse",
            "context",
            "type",
            "schema",
            "proof",
            "issuer.binding",
            "dates",
            "status",
            "recipient",
        ):
            assert statuses[check_id] is Status.PASS, (check_id, [c.to_json() for c in result.checks])
        assert not any(c.status is Status.WARN for c in result.checks)
        assert result.summary["name"] == "Hosting Family Reading Nights"
        assert result.summary["issuer"]["name"] == "Riverbend School District (fictional)"
        assert result.summary["issuedOn"] == "2026-11-23T12:00:00Z" == result.summary["validFrom"]
        assert result.summary["recipient"] == {
            "id": None,
            "name": None,
            "type": "email",
            "hashed": True,
            "identity": None,
        }
        assert result.summary["image"]["id"].startswith(BASE + "images/")


def test_run_ob2_returns_format_checks_assertion_and_summary(hosted: IssuedOB2) -> None:
    fmt, checks, assertion, summary = run_ob2(hosted.id, _options(MapFetcher(_site(hosted))))
    assert fmt == "ob2-hosted" and assertion == hosted.assertion and summary["name"]
    assert [c.id for c in checks][:2] == ["parse", "context"]


def test_verify_dispatches_open_badges_2(hosted: IssuedOB2, signed: IssuedOB2) -> None:
    """openbadge_ctq.verify() reads OB 2.0 too (needs the dispatch in verify/__init__.py)."""
    for issued, source in ((hosted, hosted.document), (hosted, hosted.id), (signed, signed.document)):
        report = verify(source, fetcher=MapFetcher(_site(issued)), now=NOW, recipient="teacher@example.org")
        assert report.verified, report.to_json()["errors"]
        assert report.format == issued.format
        assert report.summary["name"] == "Hosting Family Reading Nights"
        assert report.credential is not None and report.credential["id"] == issued.id


def test_recognisers(hosted: IssuedOB2, signed: IssuedOB2) -> None:
    assert is_ob2(hosted.assertion) and is_ob2(_json(LEGACY / "0_5_assertion.json"))
    assert not is_ob2({"@context": ["https://www.w3.org/ns/credentials/v2"], "recipient": {}, "badge": "x"})
    assert not is_ob2({"hello": "world"}) and not is_ob2(["list"])
    assert looks_like_ob2_jws(signed.document) and not looks_like_ob2_jws("a.b.c") and not looks_like_ob2_jws("nope")
    vc_jwt = encode_compact({"alg": "RS256"}, {"vc": {"type": ["VerifiableCredential"]}}, RSA_KEY.private_key)
    assert not looks_like_ob2_jws(vc_jwt)
    assert is_ob2_fetched(Fetched(url="u", body=b"", status=410))
    assert is_ob2_fetched(Fetched(url="u", body=b"<html></html>", content_type="text/html"))
    assert is_ob2_fetched(Fetched(url="u", body=hosted.document.encode(), content_type="application/json"))
    assert is_ob2_fetched(Fetched(url="u", body=signed.document.encode(), content_type="text/plain"))
    assert not is_ob2_fetched(Fetched(url="u", body=b'{"@context": ["https://www.w3.org/ns/credentials/v2"]}'))
    assert not is_ob2_fetched(Fetched(url="u", body=b"<svg xmlns='http://www.w3.org/2000/svg'/>"))


# ----------------------------------------------------------------------------------------------------------
# Revocation round trips


def test_hosted_revoked_true_fails_status(hosted: IssuedOB2) -> None:
    profile = json.loads(hosted.files["ob2/issuer.json"])
    revoked = revoke_ob2(profile, hosted.id, reason="Issued in error")
    fetcher = MapFetcher(_site(hosted, **revoked.files))
    for source in (hosted.assertion, hosted.id):
        result = verify_ob2(source, _options(fetcher))
        assert not result.verified
        status = _check(result.checks, "status")
        assert status.status is Status.FAIL
        assert "marked revoked" in status.message and "Issued in error" in status.message
        assert _check(result.checks, "dates").status is Status.SKIP


def test_hosted_http_410_fails_status(hosted: IssuedOB2) -> None:
    fetcher = GoneFetcher(_site(hosted), {hosted.id})
    for source in (hosted.assertion, hosted.id):
        result = verify_ob2(source, _options(fetcher))
        assert not result.verified
        status = _check(result.checks, "status")
        assert status.status is Status.FAIL and "410 Gone" in status.message, status


def test_hosted_listed_in_the_revocation_list_fails_status(hosted: IssuedOB2) -> None:
    profile = json.loads(hosted.files["ob2/issuer.json"])
    revoked = revoke_ob2(profile, hosted.id, reason="Duplicate")
    only_list = {"ob2/revocations.json": revoked.files["ob2/revocations.json"]}
    result = verify_ob2(hosted.id, _options(MapFetcher(_site(hosted, **only_list))))
    status = _check(result.checks, "status")
    assert status.status is Status.FAIL and status.message.endswith(": Duplicate")


def test_signed_revocation_list_round_trip(signed: IssuedOB2) -> None:
    profile = json.loads(signed.files["ob2/issuer.json"])
    revoked = revoke_ob2(profile, signed.id, reason="Honor code violation")
    result = verify_ob2(signed.document, _options(MapFetcher(_site(signed, **revoked.files))))
    assert not result.verified
    assert _check(result.checks, "proof").status is Status.PASS
    status = _check(result.checks, "status")
    assert status.status is Status.FAIL
    assert status.message == f"revoked by the issuer (RevocationList {BASE}ob2/revocations.json): Honor code violation"


def test_an_unreachable_revocation_list_fails_closed_but_warns_offline(signed: IssuedOB2) -> None:
    docs = _site(signed)
    listing = BASE + "ob2/revocations.json"
    result = verify_ob2(signed.document, _options(FailingFetcher(docs, {listing})))
    status = _check(result.checks, "status")
    assert status.status is Status.FAIL and "timed out" in status.message
    del docs[listing]
    result = verify_ob2(signed.document, _options(MapFetcher(docs)))
    status = _check(result.checks, "status")
    assert status.status is Status.WARN and "not available offline" in status.message


# ----------------------------------------------------------------------------------------------------------
# Failures become checks


def _resign(issued: IssuedOB2, assertion: Mapping[str, Any], key: Any = None) -> str:
    return encode_compact({"alg": "RS256", "typ": "JWT"}, assertion, key or RSA_KEY.private_key)


def test_a_changed_payload_fails_the_signature(signed: IssuedOB2) -> None:
    head, _, sig = signed.document.split(".")
    forged = encode_compact({"alg": "RS256"}, {**signed.assertion, "issuedOn": "2020-01-01T00:00:00Z"}, OTHER_RSA)
    token = ".".join([head, forged.split(".")[1], sig])
    result = verify_ob2(token, _options(MapFetcher(_site(signed))))
    proof = _check(result.checks, "proof")
    assert (
        proof.status is Status.FAIL
        and proof.message == f"signature does not match the key {BASE}ob2/keys/key-rsa1.json"
    )
    assert _check(result.checks, "issuer.binding").status is Status.SKIP
    assert _check(result.checks, "status").status is Status.SKIP


def test_a_key_the_issuer_does_not_list_is_never_fetched(signed: IssuedOB2) -> None:
    evil = {**signed.assertion, "verification": {"type": "SignedBadge", "creator": "https://evil.example/key.json"}}
    token = _resign(signed, evil, OTHER_RSA)
    key_doc = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "CryptographicKey",
        "id": "https://evil.example/key.json",
        "owner": BASE + "ob2/issuer.json",
        "publicKeyPem": public_key_to_pem(OTHER_RSA.public_key()),
    }
    docs = _site(signed)
    docs["https://evil.example/key.json"] = _bytes(key_doc)
    result = verify_ob2(token, _options(MapFetcher(docs)))
    proof = _check(result.checks, "proof")
    assert proof.status is Status.FAIL and "is not in the issuer's publicKey" in proof.message
    assert proof.pointer == "/verification/creator"


def test_a_key_owned_by_someone_else_fails_the_binding(signed: IssuedOB2) -> None:
    key_path = "ob2/keys/key-rsa1.json"
    key_doc = {**json.loads(signed.files[key_path]), "owner": "https://evil.example/issuer.json"}
    result = verify_ob2(signed.document, _options(MapFetcher(_site(signed, **{key_path: _bytes(key_doc)}))))
    assert _check(result.checks, "proof").status is Status.PASS
    binding = _check(result.checks, "issuer.binding")
    assert binding.status is Status.FAIL and "evil.example" in binding.message
    assert not result.verified


def test_signed_without_creator_tries_the_issuers_keys(signed: IssuedOB2) -> None:
    token = _resign(signed, {**signed.assertion, "verification": {"type": "SignedBadge"}})
    result = verify_ob2(token, _options(MapFetcher(_site(signed))))
    assert result.verified, [c.to_json() for c in result.checks]


def test_signed_json_without_its_jws_and_hosted_inside_a_jws_fail(hosted: IssuedOB2, signed: IssuedOB2) -> None:
    result = verify_ob2(signed.assertion, _options(MapFetcher(_site(signed))))
    assert result.format == "ob2-signed"
    assert "carries no signature" in _check(result.checks, "proof").message
    token = _resign(hosted, hosted.assertion)
    result = verify_ob2(token, _options(MapFetcher(_site(hosted))))
    proof = _check(result.checks, "proof")
    assert proof.status is Status.FAIL and "never from a JWS" in proof.message


def test_the_hosted_copy_wins_over_the_given_one(hosted: IssuedOB2) -> None:
    tampered = {**hosted.assertion, "narrative": "I did much more"}
    result = verify_ob2(tampered, _options(MapFetcher(_site(hosted))))
    assert result.verified
    assert "differs from the hosted one" in _check(result.checks, "proof").message
    assert result.assertion == hosted.assertion


def test_hosted_failures(hosted: IssuedOB2) -> None:
    # not served
    result = verify_ob2(hosted.assertion, _options(OFFLINE))
    proof = _check(result.checks, "proof")
    assert proof.status is Status.FAIL and "not available offline" in proof.message
    # a hosted id that is not a URL
    result = verify_ob2({**hosted.assertion, "id": "urn:uuid:1"}, _options(MapFetcher(_site(hosted))))
    assert "must be an https URL" in _check(result.checks, "proof").message
    # served under another id
    relative = hosted.id[len(BASE) :]
    moved = {relative: _bytes({**hosted.assertion, "id": BASE + "ob2/assertions/other.json"})}
    result = verify_ob2(hosted.id, _options(MapFetcher(_site(hosted, **moved))))
    assert not result.verified


def test_hosted_outside_the_issuers_policy_fails_the_binding(hosted: IssuedOB2) -> None:
    elsewhere = "https://evil.example/badges/ob2/assertions/x.json"
    copy = {**hosted.assertion, "id": elsewhere}
    docs = _site(hosted)
    docs[elsewhere] = _bytes(copy)
    result = verify_ob2(elsewhere, _options(MapFetcher(docs)))
    binding = _check(result.checks, "issuer.binding")
    assert binding.status is Status.FAIL and "does not start with" in binding.message and binding.pointer == "/id"
    profile = json.loads(hosted.files["ob2/issuer.json"])
    del profile["verification"]
    docs[BASE + "ob2/issuer.json"] = _bytes(profile)
    result = verify_ob2(elsewhere, _options(MapFetcher(docs)))
    binding = _check(result.checks, "issuer.binding")
    assert binding.status is Status.FAIL and "hosted on evil.example" in binding.message


def test_missing_badge_class_fails_the_binding(hosted: IssuedOB2) -> None:
    docs = _site(hosted)
    del docs[BASE + f"ob2/badges/{MC}.json"]
    result = verify_ob2(hosted.id, _options(MapFetcher(docs)))
    binding = _check(result.checks, "issuer.binding")
    assert binding.status is Status.FAIL and "not available offline" in binding.message and binding.pointer == "/badge"
    assert _check(result.checks, "status").status is Status.SKIP


def test_dates_and_recipient(catalog: Catalog, hosted: IssuedOB2) -> None:
    fetcher = MapFetcher(_site(hosted))
    result = verify_ob2(hosted.id, _options(fetcher, now=NOW - timedelta(days=1)))
    assert "issued in the future" in _check(result.checks, "dates").message
    expiring = issue_ob2(
        catalog, MC, Recipient(email="t@example.org"), fmt="ob2-hosted", now=NOW, expires=NOW + timedelta(days=30)
    )
    result = verify_ob2(expiring.id, _options(MapFetcher(_site(expiring)), now=NOW + timedelta(days=31)))
    dates = _check(result.checks, "dates")
    assert dates.status is Status.FAIL and dates.message == f"expired on {expiring.assertion['expires']}"
    result = verify_ob2(hosted.id, _options(fetcher, recipient="someone@example.org"))
    assert _check(result.checks, "recipient").status is Status.FAIL
    result = verify_ob2(hosted.id, _options(fetcher, recipient="  TEACHER@example.org "))
    assert _check(result.checks, "recipient").status is Status.PASS


def test_structural_problems_fail_schema(hosted: IssuedOB2) -> None:
    broken = {k: v for k, v in hosted.assertion.items() if k != "recipient"}
    relative = hosted.id[len(BASE) :]
    result = verify_ob2(hosted.id, _options(MapFetcher(_site(hosted, **{relative: _bytes(broken)}))))
    schema = _check(result.checks, "schema")
    assert schema.status is Status.FAIL and schema.pointer == "/recipient"
    no_tz = {**hosted.assertion, "issuedOn": "2026-11-23T12:00:00"}
    result = verify_ob2(hosted.id, _options(MapFetcher(_site(hosted, **{relative: _bytes(no_tz)}))))
    assert _check(result.checks, "schema").pointer == "/issuedOn"
    assert "no time zone" in _check(result.checks, "dates").message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"@context": ["https://www.w3.org/ns/credentials/v2"]}', "not an Open Badges 2.0 assertion"),
        ("[1, 2]", "not a JSON object"),
        ("e30.e30.e30", "not allowed"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_unreadable_input_fails_parse(source: Any, message: str) -> None:
    _, checks, assertion, summary = run_ob2(source, _options(OFFLINE))
    assert [c.id for c in checks] == ["parse"] and checks[0].status is Status.FAIL
    assert message in checks[0].message and assertion is None and summary == {}


_WEIRD = [None, 0, 1.5, True, "", "x", [], [None], {}, {"id": 5}, "https://riverbend.example/badges/nowhere.json"]


@pytest.mark.parametrize("target", ["assertion", "badge", "issuer", "key", "list"])
def test_nothing_raises_whatever_the_documents_hold(signed: IssuedOB2, hosted: IssuedOB2, target: str) -> None:
    """Every property of every document replaced by values of the wrong type: checks, never an exception."""
    paths = {
        "badge": f"ob2/badges/{MC}.json",
        "issuer": "ob2/issuer.json",
        "key": "ob2/keys/key-rsa1.json",
        "list": "ob2/revocations.json",
    }
    for issued in (hosted, signed):
        base_doc = issued.assertion if target == "assertion" else json.loads(issued.files[paths[target]])
        for name in base_doc:
            for value in _WEIRD:
                doc = {**base_doc, name: value}
                if target == "assertion":
                    overrides = {issued.id[len(BASE) :]: _bytes(doc)} if issued.format == "ob2-hosted" else {}
                    source: Any = _resign(issued, doc) if issued.format == "ob2-signed" else doc
                else:
                    overrides = {paths[target]: _bytes(doc)}
                    source = issued.document
                result = verify_ob2(source, _options(MapFetcher(_site(issued, **overrides))))
                assert result.checks and result.checks[0].id == "parse"


# ----------------------------------------------------------------------------------------------------------
# The 1EdTech legacy samples and spec examples


def test_open_badges_2_0_sample() -> None:
    docs = {
        "https://example.org/beths-robotics-badge.json": (LEGACY / "2_0_basic_assertion.json").read_bytes(),
        "https://example.org/robotics-badge.json": (LEGACY / "2_0_basic_badgeclass.json").read_bytes(),
        "https://example.org/organization.json": (LEGACY / "2_0_basic_issuer.json").read_bytes(),
    }
    result = verify_ob2(
        _json(LEGACY / "2_0_basic_assertion.json"), _options(MapFetcher(docs), recipient="nobody@example.org")
    )
    assert result.verified and not any(c.status is Status.WARN for c in result.checks), [
        c.to_json() for c in result.checks
    ]
    assert result.summary["name"] == "Awesome Robotics Badge"
    assert result.summary["issuer"] == {
        "id": "https://example.org/organization.json",
        "name": "An Example Badge Issuer",
    }
    assert result.summary["evidence"] == ["https://example.org/beths-robot-work.html"]


def test_open_badges_1_1_sample_is_upgraded_with_a_warning() -> None:
    docs = {
        "https://example.org/beths-robotics-badge.json": (LEGACY / "1_1_basic_assertion.json").read_bytes(),
        "https://example.org/robotics-badge.json": (LEGACY / "1_1_basic_badgeclass.json").read_bytes(),
        "https://example.org/organization.json": (LEGACY / "1_1_basic_issuer.json").read_bytes(),
    }
    result = verify_ob2(
        "https://example.org/beths-robotics-badge.json", _options(MapFetcher(docs), recipient="nobody@example.org")
    )
    assert result.verified, [c.to_json() for c in result.checks]
    legacy = [c for c in result.checks if c.id == "legacy"]
    assert legacy and all(c.status is Status.WARN for c in legacy)
    assert "Open Badges 1.1 assertion upgraded to 2.0" in legacy[0].message
    assert result.version == "1.1" and result.summary["openBadgesVersion"] == "1.1"


@pytest.mark.parametrize("name", ["1_0_basic_assertion.json", "1_0_basic_assertion_with_extra_properties.json"])
def test_open_badges_1_0_samples_are_upgraded(name: str) -> None:
    assertion = _json(LEGACY / name)
    url = assertion["verify"]["url"]
    docs = {
        url: (LEGACY / name).read_bytes(),
        "http://a.com/badgeclass": (LEGACY / "1_0_basic_badgeclass.json").read_bytes(),
        "http://a.com/issuer": (LEGACY / "1_0_basic_issuer.json").read_bytes(),
    }
    for source in (assertion, url):
        result = verify_ob2(source, _options(MapFetcher(docs), recipient="test@example.com"))
        assert result.verified, [c.to_json() for c in result.checks]
        assert result.assertion is not None and result.assertion["id"] == url
        assert result.assertion["issuedOn"] == "2015-04-30T00:00:00Z"
        assert result.summary["name"] == "Basic Badge" and result.summary["issuer"]["name"] == "Basic Issuer"
        assert result.summary["recipient"]["identity"] == "test@example.com"
        assert {c.id for c in result.checks if c.status is Status.WARN} == {"legacy"}


def test_open_badges_1_0_with_errors_fails_schema() -> None:
    doc = _json(LEGACY / "1_0_assertion_with_errors.json")
    docs = {
        "http://a.com/instance": _bytes(doc),
        "http://a.com/badgeclass": (LEGACY / "1_0_basic_badgeclass.json").read_bytes(),
        "http://a.com/issuer": (LEGACY / "1_0_basic_issuer.json").read_bytes(),
    }
    result = verify_ob2(doc, _options(MapFetcher(docs)))
    schema = _check(result.checks, "schema")
    assert schema.status is Status.FAIL and schema.pointer == "/recipient" and not result.verified


@pytest.mark.parametrize(
    ("name", "recipient"), [("0_5_assertion.json", "test@example.com"), ("0_5_1_assertion.json", "TEST@example.com")]
)
def test_open_badges_0_5_samples_are_upgraded(name: str, recipient: str) -> None:
    url = "http://oldstyle.com/assertions/" + name
    result = verify_ob2(url, _options(MapFetcher({url: (LEGACY / name).read_bytes()}), recipient=recipient))
    assert result.verified, [c.to_json() for c in result.checks]
    assert result.version == "0.5" and result.assertion is not None and result.assertion["id"] == url
    assert result.summary["name"] == "Basic McBadge" and result.summary["issuer"]["name"] == "Basic Issuer"
    assert _check(result.checks, "issuer.binding").message.startswith("the assertion is hosted on oldstyle.com")
    assert _check(result.checks, "legacy").status is Status.WARN
    dates = _check(result.checks, "dates")
    assert dates.status is (Status.WARN if name == "0_5_assertion.json" else Status.PASS)
    # a 0.5 assertion handed over without its URL has no id to verify at
    result = verify_ob2(_json(LEGACY / name), _options(OFFLINE))
    assert not result.verified and "must be an https URL" in _check(result.checks, "proof").message


def _spec_site() -> dict[str, bytes]:
    return {
        "https://example.org/beths-robotics-badge.json": (SPEC / "Assertion_Example-1.json").read_bytes(),
        "https://example.org/robotics-badge.json": (SPEC / "BadgeClass_Example-1.json").read_bytes(),
        "https://example.org/organization.json": (SPEC / "IssuerProfile_Example-1.json").read_bytes(),
        "https://example.org/revocationList.json": (SPEC / "RevocationList_Example-1.json").read_bytes(),
        "https://example.org/publicKey.json": (SPEC / "CryptographicKey_Example-1.json").read_bytes(),
    }


def test_spec_hosted_example() -> None:
    fetcher = MapFetcher(_spec_site())
    result = verify_ob2(
        "https://example.org/beths-robotics-badge.json", _options(fetcher, now=datetime(2017, 1, 1, tzinfo=UTC))
    )
    assert result.verified, [c.to_json() for c in result.checks]
    assert result.summary["validUntil"] == "2017-06-30T23:59:59Z"
    assert (
        _check(result.checks, "status").message
        == "not listed in the issuer's revocation list https://example.org/revocationList.json"
    )
    result = verify_ob2("https://example.org/beths-robotics-badge.json", _options(fetcher))
    assert _check(result.checks, "dates").message == "expired on 2017-06-30T23:59:59Z"


def test_spec_revoked_hosted_example() -> None:
    docs = _spec_site()
    docs["https://example.org/beths-robotics-badge.json"] = (
        SPEC / "Revoked_Hosted_Assertion_Example-1.json"
    ).read_bytes()
    for source in (_json(SPEC / "Assertion_Example-1.json"), "https://example.org/beths-robotics-badge.json"):
        result = verify_ob2(source, _options(MapFetcher(docs)))
        status = _check(result.checks, "status")
        assert status.status is Status.FAIL and "three stacked children" in status.message


def test_spec_signed_example() -> None:
    """Signed_Badges_Example-2 signed with a key of ours (the spec's PEM is elided), then with the spec's key doc."""
    payload = _json(SPEC / "Signed_Badges_Example-2.json")
    header = _json(SPEC / "Signed_Badges_Example-1.json")
    token = encode_compact(header, payload, RSA_KEY.private_key)
    docs = _spec_site()
    key_doc = {
        **_json(SPEC / "CryptographicKey_Example-1.json"),
        "publicKeyPem": public_key_to_pem(RSA_KEY.private_key.public_key()),
    }
    ours = {**docs, "https://example.org/publicKey.json": _bytes(key_doc)}
    result = verify_ob2(token, _options(MapFetcher(ours)))
    assert result.verified, [c.to_json() for c in result.checks]
    assert result.format == "ob2-signed"
    result = verify_ob2(token, _options(MapFetcher(docs)))
    proof = _check(result.checks, "proof")
    assert proof.status is Status.FAIL and "not a PEM public key" in proof.message


def test_html_page_linking_to_its_json(hosted: IssuedOB2) -> None:
    page = "https://riverbend.example/badges/page.html"
    html = f'<html><head><link rel="alternate" type="application/ld+json" href="{hosted.id}"></head></html>'
    docs = _site(hosted)
    docs[page] = html.encode()
    fetcher = MapFetcher(docs, content_types={page: "text/html; charset=utf-8"})
    result = verify_ob2(page, _options(fetcher))
    assert result.verified, [c.to_json() for c in result.checks]
    docs[page] = b"<html><body>Congratulations!</body></html>"
    result = verify_ob2(page, _options(MapFetcher(docs, content_types={page: "text/html"})))
    assert "HTML page without a <link" in result.checks[0].message


# ----------------------------------------------------------------------------------------------------------
# Hostile servers on loopback: every failure is a clean check, in bounded time

loopback = pytest.mark.allow_hosts(["127.0.0.1"])
PUBLIC_IP = "93.184.216.34"  # never contacted: the connection seam maps it to 127.0.0.1
Route = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.stop = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up on purpose are expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                _reply(404, b"no such route")(self)
            else:
                route(self)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _reply(status: int, body: bytes, content_type: str = "application/json", location: str | None = None) -> Route:
    def route(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        if location is not None:
            h.send_header("Location", location)
        h.end_headers()
        h.wfile.write(body)

    return route


def _drip(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    while not h.server.stop.is_set():
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.3)


def _huge(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()  # 50 MB without a Content-Length
    block = b" " * 65536
    for _ in range(800):
        if h.server.stop.is_set():
            break
        h.wfile.write(block)


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def _loopback_fetcher(**options: Any) -> HttpFetcher:
    return HttpFetcher(allow_http=True, allow_private=True, timeout=1.0, total_timeout=1.5, **options)


@loopback
@pytest.mark.timeout(60)
def test_a_hosted_badge_served_over_http_with_an_html_page(server: _Server) -> None:
    base = server.url("/")
    assertion = {
        **_json(LEGACY / "2_0_basic_assertion.json"),
        "id": base + "assertion.json",
        "badge": base + "badge.json",
    }
    badge = {**_json(LEGACY / "2_0_basic_badgeclass.json"), "id": base + "badge.json", "issuer": base + "issuer.json"}
    issuer = {**_json(LEGACY / "2_0_basic_issuer.json"), "id": base + "issuer.json"}
    page = b'<!doctype html><html><head><link rel="alternate" type="application/ld+json" href="/assertion.json">'
    server.routes.update(
        {
            "/": _reply(200, page, "text/html"),
            "/assertion.json": _reply(200, _bytes(assertion), "application/ld+json"),
            "/badge.json": _reply(200, _bytes(badge), "text/plain; charset=utf-8"),
            "/issuer.json": _reply(200, _bytes(issuer)),
        }
    )
    with _loopback_fetcher() as fetcher:
        result = verify_ob2(base, _options(fetcher, recipient="nobody@example.org"))
    assert result.verified, [c.to_json() for c in result.checks]


@loopback
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("route", "message"),
    [
        (_drip, "timed out after 1.5 s"),
        (_huge, "larger than"),
        (_reply(302, b"", location="/hostile"), "too many redirects"),
        (_reply(200, b"\x89PNG\r\n\x1a\n", "image/png"), "has content type 'image/png'"),
        (
            _reply(200, b'{"@context": "https://w3id.org/openbadges/v2", "id": ', "application/json"),
            "is not valid JSON",
        ),
        (_reply(200, b"<html><p>no link here</p></html>", "text/html"), "HTML page without a <link"),
        (_reply(500, b"boom"), "HTTP 500"),
    ],
    ids=["slow-drip", "50MB", "redirect-loop", "wrong-type", "invalid-json", "html-without-link", "500"],
)
def test_hostile_assertion_urls_fail_parse_cleanly(server: _Server, route: Route, message: str) -> None:
    server.routes["/hostile"] = route
    started = time.monotonic()
    with _loopback_fetcher(max_bytes=1024 * 1024) as fetcher:
        result = verify_ob2(server.url("/hostile"), _options(fetcher))
    assert time.monotonic() - started < 10
    assert [c.id for c in result.checks] == ["parse"]
    parse = result.checks[0]
    assert parse.status is Status.FAIL and message in parse.message, parse.message
    assert "\n" not in parse.message


@loopback
@pytest.mark.timeout(60)
def test_hostile_badge_class_fails_the_binding_not_the_process(server: _Server) -> None:
    base = server.url("/")
    assertion = {**_json(LEGACY / "2_0_basic_assertion.json"), "id": base + "assertion.json", "badge": base + "slow"}
    server.routes.update({"/assertion.json": _reply(200, _bytes(assertion)), "/slow": _drip})
    started = time.monotonic()
    with _loopback_fetcher() as fetcher:
        result = verify_ob2(base + "assertion.json", _options(fetcher))
    assert time.monotonic() - started < 10
    binding = _check(result.checks, "issuer.binding")
    assert binding.status is Status.FAIL and "timed out" in binding.message


class _ConnectRecorder:
    """Replaces fetch's connection seam: maps PUBLIC_IP to 127.0.0.1 and refuses anything else."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.attempts.append(address)
        if address[0] == PUBLIC_IP:
            return socket.create_connection(("127.0.0.1", address[1]), timeout=timeout)
        raise AssertionError(f"the fetcher tried to connect to {address}")


@loopback
@pytest.mark.timeout(60)
def test_a_redirect_from_a_public_name_to_loopback_is_refused(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _ConnectRecorder()
    monkeypatch.setattr(fetch_module, "_create_connection", recorder)
    server.routes["/badge.json"] = _reply(302, b"", location=server.url("/secret"))
    server.routes["/secret"] = _reply(200, b'{"internal": true}')

    def resolve(host: str, port: int) -> list[str]:
        if host == "public.test":
            return [PUBLIC_IP]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with HttpFetcher(allow_http=True, resolver=resolve, total_timeout=5) as fetcher:
        result = verify_ob2(server.url("/badge.json", host="public.test"), _options(fetcher))
    parse = result.checks[0]
    assert parse.status is Status.FAIL and "refused private address 127.0.0.1 (loopback)" in parse.message
    assert recorder.attempts == [(PUBLIC_IP, server.port)]


@pytest.mark.parametrize(
    "name",
    ["openbadges-bakery/baked_heart.png", "openbadges-bakery/baked_example.svg", "validator-core/baked_heart.png"],
)
def test_baked_ob2_fixtures_are_read_as_open_badges_2(name: str) -> None:
    from openbadge_ctq import verify

    path = Path(__file__).resolve().parents[2].parent / "shared/vectors/fixtures/ob-v2p0" / name
    report = verify(path.read_bytes(), now="2026-11-23T00:00:00Z")
    assert report.format == "ob2-hosted" and report.image is not None
    assert report.check("parse").status.value == "pass"  # type: ignore[union-attr]
    # offline, the hosted assertion cannot be confirmed at its own URL: a clear proof failure, never a crash
    assert not report.verified and "offline" in report.check("proof").message  # type: ignore[union-attr]
