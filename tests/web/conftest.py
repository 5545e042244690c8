"""Fixtures for the web service tests: a signed credential, a baked PNG, an app whose fetcher serves saved copies."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.bake import bake_png
from openbadge_ctq.interfaces import MapFetcher
from openbadge_ctq.web import Settings, create_app

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-test")
ACHIEVEMENT = "writing-publicly-to-influence-policymakers"
CREDENTIAL_URL = "https://badges.example.org/credentials/1"
HEART = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "fixtures" / "ob-v2p0" / "openbadges-bakery"


@pytest.fixture(scope="session")
def signed() -> dict[str, Any]:
    issued = issue_credential(
        load_catalog(),
        ACHIEVEMENT,
        Recipient(email="teacher@example.org", name="Jo Rivera"),
        KEY,
        now=NOW,
        levels="Exemplary",
    )
    return dict(issued.credential)


@pytest.fixture(scope="session")
def png() -> bytes:
    path = HEART / "public_domain_heart.png"
    if not path.is_file():
        pytest.fail(f"the shared vectors are missing: expected {path}")
    return path.read_bytes()


@pytest.fixture(scope="session")
def baked_png(signed: dict[str, Any], png: bytes) -> bytes:
    return bake_png(png, json.dumps(signed))


@pytest.fixture
def make_client(signed: dict[str, Any]) -> Callable[..., TestClient]:
    def make(**overrides: Any) -> TestClient:
        docs = {CREDENTIAL_URL: json.dumps(signed).encode("utf-8")}
        settings = Settings(
            **{"fetcher_factory": lambda: MapFetcher(docs), "clock": lambda: NOW, **overrides}  # type: ignore[arg-type]
        )
        return TestClient(create_app(settings))

    return make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def csrf(client: TestClient) -> str:
    """Load the page so the CSRF cookie is set; return the token."""
    page = client.get("/verify")
    assert page.status_code == 200
    token = client.cookies.get("badge_csrf")
    assert token
    return str(token)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian chromium through Playwright (pytest -m browser)")
