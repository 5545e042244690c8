"""Shared fixtures. Tests never use the network (pytest-socket blocks it); they may read ../shared/vectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "vectors"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"the shared vectors are missing: expected them at {VECTORS}")
    return VECTORS


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def badge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("BADGE_HOME", str(home))
    monkeypatch.setenv("BADGE_PASSPHRASE", "correct horse battery staple")
    return home
