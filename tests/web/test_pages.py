"""The public verification pages: verdicts, escaping, security headers, CSRF, rate limits, upload limits, SSRF."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from openbadge_ctq.bake import bake_png
from openbadge_ctq.fetch import HttpFetcher
from openbadge_ctq.web import Settings, create_app
from openbadge_ctq.web.security import CSP

from .conftest import CREDENTIAL_URL, csrf


def test_security_headers_on_every_response(client: TestClient) -> None:
    for response in (
        client.get("/verify"),
        client.get("/no-such-page"),
        client.get("/openapi.json"),
        client.post("/credentials/verify", content=b"not json"),
        client.get("/static/style.css"),
    ):
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_form_page_is_accessible_html(client: TestClient) -> None:
    page = client.get("/verify")
    assert '<html lang="en">' in page.text
    assert "<h1>Verify a micro-credential</h1>" in page.text
    for field in ("credential", "file", "recipient", "batch-file"):
        assert f'<label for="{field}">' in page.text
    assert "<script" not in page.text


def test_qr_link_shows_verified_with_details(client: TestClient) -> None:
    page = client.get("/verify", params={"url": CREDENTIAL_URL})
    assert page.status_code == 200
    assert '<span class="verdict">Verified</span>' in page.text
    assert "Writing Publicly" in page.text
    assert "Jo Rivera" in page.text
    assert "Exemplary" in page.text
    assert "23 November 2026" in page.text


def test_content_negotiation_returns_the_report_as_json(client: TestClient) -> None:
    response = client.get("/verify", params={"url": CREDENTIAL_URL}, headers={"accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["verified"] is True and body["format"] == "ob3-di"
    assert {c["id"] for c in body["checks"]} >= {"parse", "proof"}
    html = client.get("/verify", params={"url": CREDENTIAL_URL}, headers={"accept": "text/html,*/*"})
    assert html.headers["content-type"].startswith("text/html")
    assert client.get("/verify", params={"url": CREDENTIAL_URL, "format": "json"}).json()["verified"] is True


def test_paste_json_and_recipient(client: TestClient, signed: dict[str, Any]) -> None:
    token = csrf(client)
    page = client.post(
        "/verify",
        data={"csrf_token": token, "credential": json.dumps(signed), "recipient": "someone.else@example.org"},
    )
    assert page.status_code == 200
    assert "Not verified" in page.text
    assert "NOT issued to the person you named" in page.text
    ok = client.post(
        "/verify", data={"csrf_token": token, "credential": json.dumps(signed), "recipient": "teacher@example.org"}
    )
    assert '<span class="verdict">Verified</span>' in ok.text
    assert "Issued to the person you named" in ok.text


def test_upload_baked_png_shows_image_as_data_uri(client: TestClient, baked_png: bytes) -> None:
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token}, files={"file": ("badge.png", baked_png, "image/png")})
    assert '<span class="verdict">Verified</span>' in page.text
    images = re.findall(r'<img[^>]*src="([^"]*)"', page.text)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert "Read from a baked PNG image." in page.text


def test_tampered_baked_png_names_the_failed_check(client: TestClient, signed: dict[str, Any], png: bytes) -> None:
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Something Else Entirely"
    token = csrf(client)
    page = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("badge.png", bake_png(png, json.dumps(tampered)), "image/png")},
    )
    assert "Not verified" in page.text
    assert "What failed" in page.text
    assert "The issuer&#39;s digital signature is valid" in page.text
    assert "signature does not match" in page.text


def test_script_in_credential_name_renders_as_text(client: TestClient, signed: dict[str, Any]) -> None:
    hostile = copy.deepcopy(signed)
    hostile["name"] = "<script>alert(1)</script>"
    hostile["credentialSubject"]["achievement"]["description"] = '"><img src=x onerror=alert(2)>'
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token, "credential": json.dumps(hostile)})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert "Not verified" in page.text  # the change breaks the signature too


def test_hostile_svg_is_never_shown(client: TestClient, signed: dict[str, Any]) -> None:
    from openbadge_ctq.bake import bake_svg

    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script>'
        b'<rect width="10" height="10"/></svg>'
    )
    try:
        baked = bake_svg(svg, json.dumps(signed))
    except Exception:  # the baker itself refuses unsafe art: build the hostile image by hand
        baked = svg.replace(
            b"<rect",
            b'<openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><![CDATA['
            + json.dumps(signed).encode()
            + b"]]></openbadges:credential><rect",
        )
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token}, files={"file": ("b.svg", baked, "image/svg+xml")})
    assert "<script>alert(1)</script>" not in page.text
    assert "data:image/svg+xml" not in page.text


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/credential.json", "plain http is refused"),
        ("https://127.0.0.1/credential.json", "refused private address 127.0.0.1"),
        ("https://localhost/credential.json", "refused private address"),
        ("https://169.254.169.254/latest/meta-data", "refused private address 169.254.169.254"),
    ],
)
def test_public_page_refuses_private_and_plain_http_urls(url: str, reason: str) -> None:
    # the public page's policy (HttpFetcher defaults); only name resolution is stubbed (pytest-socket blocks DNS),
    # answering as /etc/hosts does. IP literals are never resolved.
    def hosts(host: str, port: int) -> list[str]:
        return {"localhost": ["127.0.0.1", "::1"]}[host]

    client = TestClient(create_app(Settings(fetcher_factory=lambda: HttpFetcher(resolver=hosts))))
    page = client.get("/verify", params={"url": url})
    assert "Not verified" in page.text
    assert reason in page.text


def test_csrf_is_required_for_forms(client: TestClient, signed: dict[str, Any]) -> None:
    missing = client.post("/verify", data={"credential": json.dumps(signed)})
    assert missing.status_code == 403
    assert "form expired" in missing.text
    csrf(client)
    wrong = client.post("/verify", data={"credential": json.dumps(signed), "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    cookie = client.get("/verify").headers.get("set-cookie", "")
    assert cookie == "" or "SameSite=strict" in cookie


def test_rate_limit_per_client(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_per_minute=1, rate_burst=2)
    assert client.get("/verify", params={"url": CREDENTIAL_URL}).status_code == 200
    assert client.get("/verify", params={"url": CREDENTIAL_URL}).status_code == 200
    limited = client.get("/verify", params={"url": CREDENTIAL_URL})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many requests" in limited.text
    assert client.get("/verify").status_code == 200  # the form itself is never limited


def test_upload_limit_gives_a_clear_413(make_client: Callable[..., TestClient], baked_png: bytes) -> None:
    client = make_client(max_upload_bytes=1024)
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token}, files={"file": ("big.png", baked_png, "image/png")})
    assert page.status_code == 413
    assert "The file is too large" in page.text and "1 KiB" in page.text
    assert page.headers["content-security-policy"] == CSP
    api = client.post(
        "/credentials/verify", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"}
    )
    assert api.status_code == 413 and api.json()["status"] == 413


def test_empty_form_explains_what_to_do(client: TestClient) -> None:
    page = client.post("/verify", data={"csrf_token": csrf(client)})
    assert page.status_code == 400
    assert "Paste a credential link" in page.text


def test_not_found_page(client: TestClient) -> None:
    page = client.get("/nothing-here")
    assert page.status_code == 404 and "Page not found" in page.text


def test_internal_error_page_has_security_headers(signed: dict[str, Any]) -> None:
    def broken() -> Any:
        raise RuntimeError("boom")

    client = TestClient(create_app(Settings(fetcher_factory=broken)), raise_server_exceptions=False)
    page = client.get("/verify", params={"url": CREDENTIAL_URL})
    assert page.status_code == 500
    assert "Something went wrong" in page.text and "boom" not in page.text
    assert page.headers["content-security-policy"] == CSP
