"""The W3C VC API endpoints: verify, issue (bearer tokens), presentations, credential lookup, OpenAPI."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from openbadge_ctq import verify
from openbadge_ctq.keys import did_key_from_public_key, public_key_to_multibase
from openbadge_ctq.proofs import data_integrity
from openbadge_ctq.web import IssuerConfig
from openbadge_ctq.web.security import hash_token
from openbadge_ctq.web.tokens import TokenStore

from .conftest import KEY, NOW

TOKEN = "obt_test-token-for-the-issue-endpoint"
PUBLIC = KEY.private_key.public_key()
ISSUER_DID = did_key_from_public_key(PUBLIC)
ISSUER = IssuerConfig(
    issuer_id=ISSUER_DID, key=KEY, verification_method=f"{ISSUER_DID}#{public_key_to_multibase(PUBLIC)}"
)
HOLDER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
HOLDER_DID = did_key_from_public_key(HOLDER.public_key())
HOLDER_VM = f"{HOLDER_DID}#{public_key_to_multibase(HOLDER.public_key())}"


@pytest.fixture
def api(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(issuer=ISSUER, api_token_hashes=frozenset({hash_token(TOKEN)}))


def template(signed: dict[str, Any]) -> dict[str, Any]:
    unsigned = {k: v for k, v in copy.deepcopy(signed).items() if k not in ("proof", "id")}
    return unsigned


def test_verify_credential_200_when_verified(api: TestClient, signed: dict[str, Any]) -> None:
    response = api.post("/credentials/verify", json={"verifiableCredential": signed, "options": {}})
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True
    assert "proof" in body["checks"] and body["errors"] == []
    assert body["report"]["format"] == "ob3-di"


def test_verify_credential_400_with_the_report_when_not(api: TestClient, signed: dict[str, Any]) -> None:
    tampered = copy.deepcopy(signed)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    response = api.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert any(e["id"] == "proof" for e in body["errors"])
    assert body["problemDetails"][0]["title"] == "proof"


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"not json", "not valid JSON"),
        (b"[]", "'verifiableCredential'"),
        (b'{"credential": {}}', "'verifiableCredential'"),
        (b'{"verifiableCredential": 42}', "JSON object or a compact JWT"),
    ],
)
def test_verify_credential_malformed_requests(api: TestClient, payload: bytes, detail: str) -> None:
    response = api.post("/credentials/verify", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_issue_needs_a_bearer_token(api: TestClient, signed: dict[str, Any]) -> None:
    body = {"credential": template(signed)}
    assert api.post("/credentials/issue", json=body).status_code == 401
    wrong = api.post("/credentials/issue", json=body, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")


def test_issue_signs_a_template_that_then_verifies(api: TestClient, signed: dict[str, Any]) -> None:
    response = api.post(
        "/credentials/issue",
        json={
            "credential": template(signed),
            "options": {"credentialId": "urn:uuid:7f2b6c1e-0000-4000-8000-000000000001"},
        },
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    assert credential["id"] == "urn:uuid:7f2b6c1e-0000-4000-8000-000000000001"
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify(credential, now=NOW).verified


def test_issue_refuses_another_issuer_and_bad_schema(api: TestClient, signed: dict[str, Any]) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    other = template(signed)
    other["issuer"] = {**other["issuer"], "id": "did:web:someone-else.example"}
    refused = api.post("/credentials/issue", json={"credential": other}, headers=auth)
    assert refused.status_code == 422 and "issues only for" in refused.json()["detail"]
    broken = template(signed)
    del broken["credentialSubject"]
    bad = api.post("/credentials/issue", json={"credential": broken}, headers=auth)
    assert bad.status_code == 422 and bad.json()["problems"]
    assert api.post("/credentials/issue", json={"nothing": 1}, headers=auth).status_code == 400
    assert api.post("/credentials/issue", json={"credential": signed}, headers=auth).status_code == 400


def test_issue_accepts_tokens_from_the_badge_home(
    make_client: Callable[..., TestClient], tmp_path: Path, signed: dict[str, Any]
) -> None:
    store = TokenStore(tmp_path)
    record, token = store.create("district-sis", now=NOW)
    assert token.startswith("obt_") and token not in (tmp_path / "api-tokens.json").read_text()
    client = make_client(issuer=ISSUER, token_home=tmp_path)
    auth = {"authorization": f"Bearer {token}"}
    assert client.post("/credentials/issue", json={"credential": template(signed)}, headers=auth).status_code == 201
    store.revoke(record.id, now=NOW)
    assert client.post("/credentials/issue", json={"credential": template(signed)}, headers=auth).status_code == 401


def test_issue_without_an_issuer_is_501(make_client: Callable[..., TestClient], signed: dict[str, Any]) -> None:
    client = make_client(api_token_hashes=frozenset({hash_token(TOKEN)}))
    response = client.post(
        "/credentials/issue", json={"credential": template(signed)}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 501


def presentation(
    signed: dict[str, Any], *, challenge: str = "c-123", domain: str = "district.example"
) -> dict[str, Any]:
    vp: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER_DID,
        "verifiableCredential": [signed],
    }
    proof = data_integrity.create_proof(
        vp,
        HOLDER,
        verification_method=HOLDER_VM,
        created=NOW,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )
    return {**vp, "proof": proof}


def test_presentation_verifies_with_challenge_and_domain(api: TestClient, signed: dict[str, Any]) -> None:
    vp = presentation(signed)
    ok = api.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {"challenge": "c-123", "domain": "district.example"}},
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["verified"] is True and {"proof", "challenge", "domain", "credentials"} <= set(body["checks"])
    wrong = api.post("/presentations/verify", json={"verifiablePresentation": vp, "options": {"challenge": "other"}})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["id"] == "challenge"
    wrong_domain = api.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": {"domain": "evil.example"}}
    )
    assert wrong_domain.status_code == 400


def test_presentation_with_a_tampered_credential_or_proof_fails(api: TestClient, signed: dict[str, Any]) -> None:
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Forged"
    bad_credential = api.post("/presentations/verify", json={"verifiablePresentation": presentation(tampered)})
    assert bad_credential.status_code == 400
    assert any(e["id"] == "credential" for e in bad_credential.json()["errors"])
    vp = presentation(signed)
    vp["holder"] = "did:example:someone-else"
    assert api.post("/presentations/verify", json={"verifiablePresentation": vp}).status_code == 400
    assert api.post("/presentations/verify", json={"verifiablePresentation": {"type": "X"}}).status_code == 400


def test_get_credential_without_registry_is_404(api: TestClient) -> None:
    response = api.get("/credentials/urn:uuid:1234")
    assert response.status_code == 404 and response.json()["title"] == "Not Found"


def test_openapi_document(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/credentials/verify", "/credentials/issue", "/presentations/verify", "/credentials/{id}"} <= set(
        doc["paths"]
    )
