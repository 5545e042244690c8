"""The VC API scanned against its own OpenAPI document with schemathesis (issue #10, hardening).

schemathesis loads ``/openapi.json`` from the app itself (ASGI in process: no server, no sockets) and, for every
operation, sends requests made from the document: schema-valid ones (positive) and ones that break it (negative), in
its coverage phase (boundary values, each documented constraint broken in turn, undeclared HTTP methods) and its
fuzzing phase (Hypothesis, derandomized, ``MAX_EXAMPLES`` per operation). Every response goes through all of
schemathesis's default checks: no 5xx, documented status code, documented content type, body matches the documented
schema, documented headers present, schema-valid data accepted, schema-breaking data rejected with a 4xx, declared
auth enforced (re-sent without the token and with a wrong one), undeclared methods answered 405 with ``Allow``.

Random credentials never verify, random templates never sign and random ids are never in the registry, so a share of
the generated cases gets a real signed credential, signed presentation, issuable template or registry id swapped in
(which share is decided by the generated value itself, so Hypothesis replays stay deterministic). The swap assigns
``case.body`` / ``case.path_parameters``, so schemathesis re-labels the case positive or negative before its checks
run: a negative case stays negative when another part of it (``options``, say) still breaks the document.

Known-good requests are also sent as explicit cases through the same checks, and each finding of the scan has its
regression test at the end.
"""

from __future__ import annotations

import atexit
import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from starlette.applications import Starlette
from starlette.testclient import TestClient

from openbadge_ctq import Recipient, issue_credential, load_catalog
from openbadge_ctq.interfaces import MapFetcher
from openbadge_ctq.registry import Registry
from openbadge_ctq.web import Settings, create_app
from openbadge_ctq.web.openapi import openapi_document
from openbadge_ctq.web.security import hash_token

from .conftest import ACHIEVEMENT, CREDENTIAL_URL, KEY, NOW
from .test_vcapi import ISSUER, TOKEN, presentation, template

SEED = 20261123
MAX_EXAMPLES = 50
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def scan_config() -> SchemathesisConfig:
    """Deterministic and bounded; every default check on; the bearer token for operations that declare security.

    The VC API answers a well-formed credential or presentation that does not verify with 400 (the verification
    result in the body), and a well-formed template that our OB 3.0 schema or issuer refuses with 422: both are
    documented outcomes for schema-valid requests, so ``positive_data_acceptance`` accepts them there.
    """
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "output": {"sanitization": {"enabled": False}},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},
            "operations": [
                {
                    "include-path": ["/credentials/verify", "/presentations/verify"],
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
                },
                {
                    "include-path": "/credentials/issue",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422"]}},
                },
            ],
        }
    )


def _signed() -> dict[str, Any]:
    recipient = Recipient(email="teacher@example.org", name="Jo Rivera")
    return dict(issue_credential(load_catalog(), ACHIEVEMENT, recipient, KEY, now=NOW).credential)


def _registry(folder: Path) -> tuple[str, str, str]:
    """A registry with one credential of each format: (url, data-integrity id, JWT id)."""
    url = f"sqlite:///{folder / 'registry.sqlite'}"
    with Registry(url) as registry:
        catalog = load_catalog()
        di = registry.issue(catalog, ACHIEVEMENT, Recipient(email="a@example.org"), KEY, now=NOW, actor="scan")
        jwt = registry.issue(
            catalog, ACHIEVEMENT, Recipient(email="b@example.org"), KEY, now=NOW, actor="scan", fmt="ob3-jwt"
        )
    return url, di.record.id, jwt.record.id


def make_app(**overrides: Any) -> Starlette:
    """The service as deployed for the VC API (issuer, token, registry), the rate limit out of the way."""
    settings: dict[str, Any] = {
        "fetcher_factory": lambda: MapFetcher({CREDENTIAL_URL: json.dumps(SIGNED).encode("utf-8")}),
        "clock": lambda: NOW,
        "issuer": ISSUER,
        "api_token_hashes": frozenset({hash_token(TOKEN)}),
        "registry_url": REGISTRY_URL,
        "rate_per_minute": 1e9,  # the rate limit has its own tests; here it would only turn cases into 429s
        "rate_burst": 1_000_000_000,
        **overrides,
    }
    return create_app(Settings(**settings))


# schemathesis makes one pytest test per operation at collection time, from a schema loaded at import, so the app and
# its registry are built here (``schemathesis.pytest.from_fixture`` would defer this to a fixture, but schemathesis
# 4.32 sets ``Function._nodeid``, which pytest 9.2 no longer has). The folder goes when the process ends (a
# ``--collect-only`` run included).
FOLDER = Path(tempfile.mkdtemp(prefix="openapi-scan-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
SIGNED = _signed()
REGISTRY_URL, DI_ID, JWT_ID = _registry(FOLDER)
APP = make_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=scan_config())


# ---- the scan ----------------------------------------------------------------------------------------------------


def _with_known_good(case: Case) -> None:
    """Swap a known-good value into about half of the generated cases (chosen by the generated value's length)."""
    if case.operation.path == "/credentials/{id}":
        wanted = case.path_parameters.get("id") if case.path_parameters else None
        if isinstance(wanted, str) and len(wanted) % 4 in (0, 2):
            case.path_parameters = {**case.path_parameters, "id": DI_ID if len(wanted) % 4 == 0 else JWT_ID}
        return
    body = case.body
    if not isinstance(body, dict):
        return
    name, good = {
        "/credentials/verify": ("verifiableCredential", lambda: copy.deepcopy(SIGNED)),
        "/presentations/verify": ("verifiablePresentation", lambda: presentation(SIGNED)),
        "/credentials/issue": ("credential", lambda: template(SIGNED)),
    }[case.operation.path]
    value = body.get(name)
    if isinstance(value, dict) and len(value) % 2 == 0:
        case.body = {**body, name: good()}
    elif name == "verifiableCredential" and isinstance(value, str) and len(value) % 2 == 0:
        case.body = {**body, name: CREDENTIAL_URL}  # the fetcher serves the signed credential there


@schema.parametrize()
def test_the_vc_api_conforms_to_its_openapi_document(case: Case) -> None:
    _with_known_good(case)
    case.call_and_validate()
    if case.operation.path == "/credentials/issue" and case.method == "POST":
        assert_needs_a_token(case)


def assert_needs_a_token(case: Case) -> None:
    """The same request without the token, or with a wrong one, is refused with 401 and a problem body."""
    sent = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: v for k, v in (sent.get("headers") or {}).items() if k.lower() != "authorization"}
    body: dict[str, Any] = {"json": sent["json"]} if "json" in sent else {"content": sent.get("data")}
    client = TestClient(case.operation.schema.app)
    for extra in ({}, {"authorization": "Bearer obt_not-a-token"}, {"authorization": "Basic b2J0Og=="}):
        response = client.request(sent["method"], sent["url"], headers={**headers, **extra}, **body)
        assert response.status_code == 401, (extra, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status"] == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


# ---- known-good requests, through the same checks ----------------------------------------------------------------


def test_verified_credential_and_presentation_conform() -> None:
    verify = schema["/credentials/verify"]["POST"]
    ok = verify.Case(body={"verifiableCredential": SIGNED, "options": {}}).call_and_validate()
    assert ok.status_code == 200 and ok.json()["verified"] is True
    by_url = verify.Case(body={"verifiableCredential": CREDENTIAL_URL}).call_and_validate()
    assert by_url.status_code == 200
    options = {"challenge": "c-123", "domain": "district.example"}
    vp = schema["/presentations/verify"]["POST"]
    ok_vp = vp.Case(body={"verifiablePresentation": presentation(SIGNED), "options": options}).call_and_validate()
    assert ok_vp.status_code == 200 and ok_vp.json()["verified"] is True


def test_issue_conforms_and_enforces_its_token() -> None:
    issue = schema["/credentials/issue"]["POST"]
    case = issue.Case(body={"credential": template(SIGNED), "options": {"credentialId": "urn:uuid:1"}})
    assert schema.apply_auth(case, schemathesis.AuthContext(operation=issue, app=APP))  # the token, from the config
    created = case.call_and_validate()  # ``ignored_auth`` re-sends it without the token and with a wrong one
    assert created.status_code == 201 and created.json()["verifiableCredential"]["id"] == "urn:uuid:1"
    assert_needs_a_token(case)


@pytest.mark.parametrize("accept", [None, "application/json", "application/vc+ld+json", BROWSER])
def test_registry_credentials_conform(accept: str | None) -> None:
    get = schema["/credentials/{id}"]["GET"]
    headers = {"Accept": accept} if accept else None  # spelt as requests spells its default, or that one wins
    for credential_id, media in ((DI_ID, "application/vc+ld+json"), (JWT_ID, "application/vc+jwt")):
        for wanted in (credential_id, credential_id.removeprefix("urn:uuid:")):  # the whole id or the UUID
            response = get.Case(path_parameters={"id": wanted}).call_and_validate(headers=headers)
            assert response.status_code == 200, (wanted, response.text)
            got = response.headers["content-type"][0]  # schemathesis keeps lists of header values
            assert got.startswith("text/html" if accept == BROWSER else media)


# ---- the document itself -----------------------------------------------------------------------------------------


def test_openapi_json_is_a_valid_openapi_3_1_document() -> None:
    served = TestClient(APP).get("/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    doc = served.json()
    assert doc == openapi_document()
    assert doc["openapi"].startswith("3.1.")
    schema.validate()  # against the OpenAPI 3.1 meta-schema schemathesis ships; raises when invalid
    for component in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(component)
    operations = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert len(operations) == len(list(schema.get_all_operations())) == 4
    assert all("operationId" in doc["paths"][path][method] for path, method in operations)


# ---- regressions: one per finding ---------------------------------------------------------------------------------
# 1. (scan, unsupported_method) an undeclared method got 405 without ``Allow``, as an HTML page on API paths.
# 2. (scan, negative_data_rejection) /credentials/verify ignored ``options`` of the wrong type: 200.
# 3. (scan, negative_data_rejection) /credentials/issue ignored a ``credentialId`` of the wrong type: 201.
# 4. (known-good cases) GET /credentials/{id} with the whole id (``urn:uuid:…``) was 404 for a registry credential.
# 5. (known-good cases, validate_response) 413, 415, 501 and /presentations/verify's 429 were undocumented; 429 came
#    as HTML unless the client sent ``Accept: application/json``; the 400s of the verify operations are problem
#    details for malformed requests, not only verification results; response schemas had no required members.
# 6. (review while building the scan) /presentations/verify took a ``null`` challenge or domain as "not asked": 200.
# 7. (scan, coverage phase Content-Type probes) the API parsed ``text/plain`` and form bodies as JSON: 200.


@pytest.mark.parametrize(
    ("method", "path"),
    [("TRACE", "/credentials/verify"), ("PUT", "/credentials/issue"), ("GET", "/presentations/verify")],
)
def test_finding_1_wrong_method_is_405_with_allow_and_a_problem(method: str, path: str) -> None:
    response = TestClient(APP).request(method, path)
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == 405


def test_finding_1_pages_keep_html_405_with_allow() -> None:
    response = TestClient(APP).request("DELETE", "/trust")
    assert response.status_code == 405 and response.headers["allow"]
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("options", [0.0, "x", [], None])
def test_finding_2_verify_refuses_options_that_are_not_an_object(options: Any) -> None:
    response = TestClient(APP).post("/credentials/verify", json={"verifiableCredential": SIGNED, "options": options})
    assert response.status_code == 400 and "'options'" in response.json()["detail"]


@pytest.mark.parametrize("credential_id", [{}, "", None, 7])
def test_finding_3_issue_refuses_a_credential_id_that_is_not_a_string(credential_id: Any) -> None:
    body = {"credential": template(SIGNED), "options": {"credentialId": credential_id}}
    response = TestClient(APP).post("/credentials/issue", json=body, headers=AUTH)
    assert response.status_code == 400 and "credentialId" in response.json()["detail"]


def test_finding_4_get_credential_by_its_whole_urn() -> None:
    client = TestClient(APP)
    response = client.get(f"/credentials/{DI_ID}")
    assert response.status_code == 200 and json.loads(response.content)["id"] == DI_ID
    assert client.get("/credentials/urn:uuid:00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/credentials/..%2Fregistry.sqlite").status_code == 404


@pytest.mark.parametrize("path", ["/credentials/verify", "/presentations/verify"])
def test_finding_5_rate_limited_api_calls_get_a_documented_json_429(path: str) -> None:
    app = make_app(rate_per_minute=1.0, rate_burst=1)
    operation = schema[path]["POST"]
    body = {"verifiableCredential": SIGNED} if path == "/credentials/verify" else {"verifiablePresentation": {}}
    operation.Case(body=body).call(app=app)
    limited = operation.Case(body=body).call(app=app)
    assert limited.status_code == 429
    assert limited.headers["content-type"][0].startswith("application/json")  # no Accept header: still JSON
    operation.Case(body=body).validate_response(limited)  # documented status, content type, Retry-After, body


def test_finding_5_issue_without_an_issuer_is_a_documented_501() -> None:
    operation = schema["/credentials/issue"]["POST"]
    case = operation.Case(body={"credential": template(SIGNED)})
    response = case.call(app=make_app(issuer=None), headers=AUTH)
    assert response.status_code == 501
    case.validate_response(response, excluded_checks=[not_a_server_error])  # 501 is this server's answer


@pytest.mark.parametrize("path", ["/credentials/verify", "/credentials/issue", "/presentations/verify"])
def test_finding_5_too_large_bodies_get_a_documented_413(path: str) -> None:
    operation = schema[path]["POST"]
    case = operation.Case(body={"padding": "x" * 2048})
    response = case.call(app=make_app(max_upload_bytes=1024), headers=AUTH)
    assert response.status_code == 413
    case.validate_response(response)


@pytest.mark.parametrize(("name", "value"), [("challenge", None), ("domain", None), ("challenge", 1)])
def test_finding_6_presentation_options_must_be_strings(name: str, value: Any) -> None:
    body = {"verifiablePresentation": presentation(SIGNED), "options": {name: value}}
    response = TestClient(APP).post("/presentations/verify", json=body)
    assert response.status_code == 400 and f"'options.{name}'" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/credentials/verify", "/credentials/issue", "/presentations/verify"])
@pytest.mark.parametrize("media", ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded", None])
def test_finding_7_api_bodies_must_be_sent_as_json(path: str, media: str | None) -> None:
    headers = {**AUTH, **({"content-type": media} if media else {})}
    body = json.dumps({"verifiableCredential": CREDENTIAL_URL, "credential": {}, "verifiablePresentation": {}})
    response = TestClient(APP).post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("media", ["application/json; charset=utf-8", "application/ld+json", "application/vc+ld+json"])
def test_finding_7_json_media_types_are_read(media: str) -> None:
    body = json.dumps({"verifiableCredential": CREDENTIAL_URL})
    response = TestClient(APP).post("/credentials/verify", content=body, headers={"content-type": media})
    assert response.status_code == 200, response.text
