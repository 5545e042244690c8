"""``openbadge_ctq.web.hosting``: credentials with content negotiation, the published folder, OB 2.0 410 Gone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from openbadge_ctq import verify
from openbadge_ctq.errors import FetchError
from openbadge_ctq.interfaces import Fetched
from openbadge_ctq.verify import Status
from openbadge_ctq.web import Settings
from openbadge_ctq.web.hosting import hosting_routes, prefers_html

from ..unit.test_publish import BASE, LATER, Issuer, issuer, run, status_of

__all__ = ["issuer"]  # the fixture, re-exported for pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class ClientFetcher:
    """Serves ``BASE…`` URLs from the hosting app (as a verifier on the internet would see them)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        if not url.startswith(BASE):
            raise FetchError(f"{url} is not served here", url=url)
        response = self.client.get("/" + url[len(BASE) :].split("#", 1)[0], headers={"accept": accept})
        if response.status_code not in (200, 410):
            raise FetchError(f"{url}: HTTP {response.status_code}", url=url)
        return Fetched(
            url=url,
            body=response.content,
            content_type=response.headers.get("content-type", ""),
            status=response.status_code,
        )


def client_for(issuer: Issuer, *, registry: bool, site: bool = True) -> TestClient:
    settings = Settings(registry_url=issuer.db_url if registry else None)
    app = Starlette(routes=hosting_routes(settings, site_dir=issuer.out if site else None))
    return TestClient(app)


def test_prefers_html() -> None:
    assert prefers_html(BROWSER)
    assert prefers_html("text/html")
    assert not prefers_html("")
    assert not prefers_html("*/*")
    assert not prefers_html("application/ld+json, application/json")
    assert not prefers_html("application/vc+ld+json, application/ld+json, application/json, text/plain")
    assert not prefers_html("application/json, text/html;q=0.5")
    assert prefers_html("application/json;q=0.5, text/html")
    assert not prefers_html("text/html;q=0")


@pytest.mark.parametrize("registry", [True, False], ids=["registry", "folder"])
def test_credentials_are_negotiated(issuer: Issuer, registry: bool) -> None:
    record = issuer.issue("maria@example.org")
    jwt = issuer.issue("sam@example.org", fmt="ob3-jwt")
    issuer.publish()
    client = client_for(issuer, registry=registry)
    path = "/" + record.id[len(BASE) :]
    for accept in ("application/ld+json", "application/json", "*/*", ""):
        response = client.get(path, headers={"accept": accept} if accept else {})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vc+ld+json")
        assert json.loads(response.content)["id"] == record.id
        assert "accept" in response.headers["vary"].lower()
    page = client.get(path, headers={"accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta property="og:title" content="Hosting Family Reading Nights">' in page.text
    assert (
        client.get(path + "?format=json", headers={"accept": BROWSER})
        .headers["content-type"]
        .startswith("application/vc+ld+json")
    )
    token = client.get("/" + jwt.id[len(BASE) :], headers={"accept": "application/json"})
    assert token.headers["content-type"].startswith("application/vc+jwt")
    assert token.text.strip() == jwt.document.strip()
    assert client.get("/credentials/nope").status_code == 404
    assert client.get("/credentials/..%2Fdid.json").status_code == 404


def test_a_verifier_checks_credentials_and_status_through_the_app(issuer: Issuer) -> None:
    record = issuer.issue("maria@example.org")
    issuer.publish()
    client = client_for(issuer, registry=True)
    fetcher = ClientFetcher(client)
    report = verify(record.id, fetcher=fetcher, now=LATER + timedelta(hours=1))
    assert report.verified, report.to_json()
    assert status_of(report) == [Status.PASS]
    issuer.registry.revoke(record.id, reason="Issued in error", actor="registrar", now=LATER)
    issuer.publish()
    revoked = verify(record.id, fetcher=fetcher, now=LATER + timedelta(hours=1))
    assert not revoked.verified
    assert status_of(revoked) == [Status.FAIL]
    page = client.get("/" + record.id[len(BASE) :], headers={"accept": BROWSER})
    assert "Status: <strong>Revoked</strong>" in page.text


def test_revoked_ob2_hosted_assertions_answer_410_gone(issuer: Issuer) -> None:
    assertion_id = issuer.issue_ob2_hosted()
    client = client_for(issuer, registry=False)
    fetcher = ClientFetcher(client)
    path = "/" + assertion_id[len(BASE) :]
    live = client.get(path)
    assert live.status_code == 200 and live.headers["content-type"].startswith("application/ld+json")
    assert verify(assertion_id, fetcher=fetcher, now=LATER).verified
    run("--home", str(issuer.home), "ob2", "revoke", assertion_id, "--reason", "Duplicate", "--site", str(issuer.out))
    gone = client.get(path)
    assert gone.status_code == 410
    stub: dict[str, Any] = gone.json()
    assert stub["id"] == assertion_id and stub["revoked"] is True
    report = verify(assertion_id, fetcher=fetcher, now=LATER)
    assert not report.verified


def test_published_files_are_served_with_their_types(issuer: Issuer) -> None:
    issuer.issue("maria@example.org")
    issuer.publish()
    client = client_for(issuer, registry=False)
    did = client.get("/did.json")
    assert did.status_code == 200 and did.json()["id"] == "did:web:riverbend.example:badges"
    assert client.get("/status/revocations.json").headers["content-type"].startswith("application/ld+json")
    assert client.get("/achievements/riverbend-family-reading-nights").json()["type"] == ["Achievement"]
    assert client.get("/images/mc-family-reading-nights.png").headers["content-type"] == "image/png"
    assert client.get("/profile.json").json()["id"] == "did:web:riverbend.example:badges"
    assert client.get("/.well-known/did.json").status_code == 404  # this issuer's DID has a path
    assert client.get("/status/..%2F..%2Fregistry.sqlite").status_code == 404
    assert client.get("/images/../../registry.sqlite").status_code == 404
    empty = TestClient(Starlette(routes=hosting_routes(Settings())))
    assert empty.get("/did.json").status_code == 404
    assert empty.get("/credentials/x").status_code == 404


def test_site_dir_is_optional(tmp_path: Path) -> None:
    routes = hosting_routes(Settings(), site_dir=tmp_path)
    assert {r.path for r in routes} >= {"/credentials/{name}", "/ob2/assertions/{name}", "/did.json"}
