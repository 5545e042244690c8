"""Share links (LinkedIn "Add to profile", verification URL, summary) and reading the facts of a credential."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.bake import bake_png, bake_svg
from openbadge_ctq.errors import InputError
from openbadge_ctq.qr import qr_png
from openbadge_ctq.share import (
    LINKEDIN_ADD_TO_PROFILE,
    describe_credential,
    format_date,
    linkedin_add_to_profile_url,
    read_credential,
    share_links,
    verification_url_for,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), "k")
URL = "https://badges.example.org/verify/123"


@pytest.fixture(scope="module")
def issued() -> dict[str, Any]:
    catalog = load_catalog()
    out = {}
    for fmt in ("ob3-di", "ob3-jwt"):
        out[fmt] = issue_credential(
            catalog,
            "writing-publicly-to-influence-colleagues",
            Recipient(email="t@example.org", name="Zoë Brontë"),
            KEY,
            fmt=fmt,
            now=NOW,
            valid_until=datetime(2029, 11, 30, tzinfo=UTC),
            levels="Exemplary",
        )
    return out


def test_linkedin_url(issued: dict[str, Any]) -> None:
    credential = issued["ob3-di"].credential
    url = linkedin_add_to_profile_url(credential, verification_url=URL)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == LINKEDIN_ADD_TO_PROFILE
    assert "+" not in parts.query  # spaces are %20
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Writing Publicly to Influence Colleagues"),
        ("organizationName", "Center for Teaching Quality"),
        ("issueYear", "2026"),
        ("issueMonth", "3"),
        ("expirationYear", "2029"),
        ("expirationMonth", "11"),
        ("certUrl", URL),
        ("certId", credential["id"]),
    ]


def test_linkedin_organization_id_replaces_the_name(issued: dict[str, Any]) -> None:
    url = linkedin_add_to_profile_url(issued["ob3-di"].credential, verification_url=URL, organization_id="1337")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["organizationId"] == "1337" and "organizationName" not in params
    with pytest.raises(InputError, match="must be a number"):
        linkedin_add_to_profile_url(issued["ob3-di"].credential, verification_url=URL, organization_id="ctq")
    with pytest.raises(InputError, match="not an http"):
        linkedin_add_to_profile_url(issued["ob3-di"].credential, verification_url="urn:uuid:1")


def test_linkedin_url_of_a_sparse_credential() -> None:
    url = linkedin_add_to_profile_url({"name": "Café crème"}, verification_url=URL)
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Café crème",
        "certUrl": URL,
    }


def test_share_links(issued: dict[str, Any]) -> None:
    links = share_links(issued["ob3-di"].credential, URL)
    assert set(links) == {"verificationUrl", "linkedin", "summary"}
    assert links["verificationUrl"] == URL and links["linkedin"].startswith(LINKEDIN_ADD_TO_PROFILE + "?")
    assert links["summary"] == (
        "Zoë Brontë earned the micro-credential “Writing Publicly to Influence Colleagues” from Center for Teaching "
        f"Quality on March 4, 2026. Verify it at {URL}"
    )
    assert "\n" not in links["summary"]
    anonymous = share_links({"name": "A badge", "issuer": {"id": "did:key:z6Mk"}}, URL)
    assert anonymous["summary"] == f"The holder of this credential earned the badge “A badge”. Verify it at {URL}"


def test_describe_credential(issued: dict[str, Any]) -> None:
    facts = describe_credential(issued["ob3-di"].credential)
    assert facts.name == "Writing Publicly to Influence Colleagues"
    assert facts.recipient_name == "Zoë Brontë" and facts.issuer_name == "Center for Teaching Quality"
    assert facts.achievement_type == "MicroCredential" and facts.kind_words == "micro-credential"
    assert facts.issued == NOW and facts.expires == datetime(2029, 11, 30, tzinfo=UTC)
    assert facts.levels == (
        ("Audience and purpose", "Exemplary"),
        ("Call to change practice or act", "Exemplary"),
        ("Craft and supporting evidence", "Exemplary"),
    )
    assert facts.credits is None and facts.workshops == ()


def test_describe_completion_and_language_maps() -> None:
    credential = {
        "name": {"en": "Workshop series"},
        "validFrom": "2026-05-01T00:00:00+02:00",
        "credentialSubject": {
            "identifier": [
                {"identityType": "name", "hashed": True, "identityHash": "sha256$x"},
                {"identityType": "name", "hashed": False, "identityHash": "Ana Ñúñez"},
            ],
            "achievement": {"achievementType": "CertificateOfCompletion"},
            "creditsEarned": 12,
            "narrative": "Workshops completed:\n- **Finding your story**\n* Writing for colleagues\n3. Revising\nDone.",
        },
    }
    facts = describe_credential(credential)
    assert facts.name == "Workshop series" and facts.recipient_name == "Ana Ñúñez"
    assert facts.credits == 12.0 and facts.kind_words == "certificate of completion"
    assert facts.workshops == ("Finding your story", "Writing for colleagues", "Revising")
    assert facts.issued == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)


def test_describe_is_tolerant() -> None:
    facts = describe_credential({"credentialSubject": "x", "issuer": 3, "validFrom": "yesterday", "id": 5})
    assert facts.name == "Open Badge" and facts.id is None and facts.issued is None and facts.issuer_id is None
    with pytest.raises(TypeError):
        describe_credential([])  # type: ignore[arg-type]


def test_describe_ob2_assertion() -> None:
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "id": "https://example.org/assertions/1",
        "issuedOn": "2016-12-31",
        "expires": 1893456000,
        "badge": {"name": "Robotics", "description": "Built a robot", "issuer": {"id": "https://e.org/i", "name": "E"}},
    }
    facts = describe_credential(assertion)
    assert (facts.name, facts.issuer_name, facts.issuer_id) == ("Robotics", "E", "https://e.org/i")
    assert facts.issued == datetime(2016, 12, 31, tzinfo=UTC) and facts.expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert verification_url_for(assertion) == "https://example.org/assertions/1"


def test_read_credential(issued: dict[str, Any]) -> None:
    di, jwt = issued["ob3-di"], issued["ob3-jwt"]
    assert read_credential(di.document) == di.credential
    assert read_credential(di.document.encode("utf-8")) == di.credential
    assert read_credential(jwt.document) == jwt.credential  # the registered JWT claims are dropped
    png = bake_png(qr_png(URL), jwt.document)
    assert read_credential(png)["id"] == jwt.credential["id"]
    svg = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', di.document)
    assert read_credential(svg) == di.credential


def test_read_credential_unwraps_a_vc_claim() -> None:
    import base64

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'EdDSA'})}.{b64({'iss': 'x', 'vc': {'name': 'Legacy'}})}.{b64({'s': 1})}"
    assert read_credential(token) == {"name": "Legacy"}


@pytest.mark.parametrize(
    ("document", "message"),
    [("[1, 2]", "must be a JSON object"), ("hello", "neither JSON nor"), (b"\xff\xfe", "not UTF-8")],
)
def test_read_credential_errors(document: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_credential(document)


def test_verification_url_for(issued: dict[str, Any]) -> None:
    credential = issued["ob3-di"].credential
    assert verification_url_for(credential, URL) == URL
    assert verification_url_for({"id": "https://ctq.example/credentials/1"}) == "https://ctq.example/credentials/1"
    with pytest.raises(InputError, match="not an https URL") as exc:
        verification_url_for(credential)
    assert exc.value.hint and "--url" in exc.value.hint


def test_format_date() -> None:
    assert format_date(datetime(2026, 1, 2, 23, 0, tzinfo=UTC)) == "January 2, 2026"
