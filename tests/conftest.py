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


def shared_context_map() -> dict[str, Any]:
    """URL → parsed context for every context file in ../shared/vectors/contexts (read from its MANIFEST)."""
    out: dict[str, Any] = {}
    section = ""
    for line in (VECTORS / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("### `contexts/"):
            section = line.split("`")[1]
            continue
        if line.startswith("### "):
            section = ""
            continue
        if section and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            name = cells[0].strip("`")
            url = cells[1]
            out[url] = load_json(VECTORS / section / name)
    return out


@pytest.fixture(scope="session")
def shared_contexts() -> dict[str, Any]:
    return shared_context_map()
