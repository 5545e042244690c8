"""End-to-end: a district user in a real browser (Debian chromium driven by Playwright) verifies credentials.

Run with ``pytest -m browser tests/web/test_browser.py``. Needs ``apt-get install -y chromium`` and the Python
``playwright`` package; Playwright's own browser download is not used (``executable_path`` points at the system
chromium). The app runs in uvicorn on loopback; the credential is served by a loopback static server, and only this
test gives the app a fetcher that may fetch from loopback over http.
"""

from __future__ import annotations

import copy
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from openbadge_ctq.bake import bake_png
from openbadge_ctq.fetch import HttpFetcher
from openbadge_ctq.web import Settings, create_app

from .conftest import NOW

pytestmark = [pytest.mark.browser, pytest.mark.allow_hosts(["127.0.0.1"])]

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "img"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    pytest.fail("chromium is not installed: run `apt-get install -y chromium` (Debian) to run the browser tests")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, signed: dict[str, Any]) -> Iterator[str]:
    """A loopback static server holding the credential, like an issuer's web site."""
    root = tmp_path_factory.mktemp("site")
    (root / "credentials").mkdir()
    (root / "credentials" / "1.json").write_text(json.dumps(signed), encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    import uvicorn

    settings = Settings(
        fetcher_factory=lambda: HttpFetcher(allow_http=True, allow_private=True, timeout=5, total_timeout=10),
        clock=lambda: NOW,
        rate_per_minute=600,
        rate_burst=100,
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the verification service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install playwright (no browser download needed)")
    executable = _chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": 1100, "height": 900},
            java_script_enabled=False,  # the service must work without JavaScript
        )
        try:
            page = context.new_page()
            yield page
        finally:
            context.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web-{name}.png"), full_page=True)


def test_paste_a_credential_url(browser_page: Any, app_url: str, site: str) -> None:
    page = browser_page
    page.goto(f"{app_url}/verify")
    assert page.locator("html").get_attribute("lang") == "en"
    _shot(page, "form")
    page.get_by_label("Credential link or text").fill(f"{site}/credentials/1.json")
    page.get_by_label("Teacher's email (optional)").fill("teacher@example.org")
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".verdict").inner_text() == "Verified"
    details = page.locator("dl.details").inner_text()
    assert "Writing Publicly" in details and "Jo Rivera" in details and "Issued to the person you named" in details
    _shot(page, "verified")


def test_upload_a_baked_png(
    browser_page: Any, app_url: str, signed: dict[str, Any], png: bytes, tmp_path: Path
) -> None:
    page = browser_page
    baked = tmp_path / "badge.png"
    baked.write_bytes(bake_png(png, json.dumps(signed)))
    page.goto(f"{app_url}/verify")
    page.set_input_files("#file", str(baked))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".verdict").inner_text() == "Verified"
    src = page.locator("img.art").get_attribute("src")
    assert src is not None and src.startswith("data:image/png;base64,")
    _shot(page, "baked-png")


def test_upload_a_tampered_png_shows_the_failed_check(
    browser_page: Any, app_url: str, signed: dict[str, Any], png: bytes, tmp_path: Path
) -> None:
    page = browser_page
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "A Badge Nobody Earned"
    path = tmp_path / "tampered.png"
    path.write_bytes(bake_png(png, json.dumps(tampered)))
    page.goto(f"{app_url}/verify")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".verdict").inner_text() == "Not verified"
    failed = page.locator(".failed").inner_text()
    assert "The issuer's digital signature is valid" in failed and "signature does not match" in failed
    _shot(page, "tampered")


def test_qr_link(browser_page: Any, app_url: str, site: str) -> None:
    page = browser_page
    page.goto(f"{app_url}/verify?url={site}/credentials/1.json")
    assert page.locator(".verdict").inner_text() == "Verified"
    assert page.title().startswith("Verified:")
    _shot(page, "qr-link")
