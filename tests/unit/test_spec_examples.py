"""The 8 embedded-proof and 8 VC-JWT examples of the OB 3.0 spec verify offline; any one-character change fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbadge_ctq.verify import Status, verify

NOW = "2026-11-23T00:00:00Z"
SPEC = Path(__file__).resolve().parents[2].parent / "shared/vectors/test-vectors/ob-v3p0-spec-rendered"
DI_FILES = sorted((SPEC / "embedded-proof").glob("*.json"))
JWT_FILES = sorted((SPEC / "vc-jwt").glob("*.jwt"))


def test_all_sixteen_examples_are_present() -> None:
    assert len(DI_FILES) == 8 and len(JWT_FILES) == 8, f"expected 8+8 spec examples under {SPEC}"


@pytest.mark.parametrize("path", DI_FILES + JWT_FILES, ids=lambda p: p.name)
def test_spec_example_verifies_offline(path: Path) -> None:
    report = verify(path.read_bytes(), now=NOW)
    assert report.verified, report.to_json()["errors"]
    assert report.format == ("ob3-jwt" if path.suffix == ".jwt" else "ob3-di")
    # the spec examples use self-asserted keys: a warning, and a failure when binding is strict
    assert report.check("issuer.binding").status is Status.WARN  # type: ignore[union-attr]
    assert not verify(path.read_bytes(), now=NOW, strict_binding=True).verified


def _string_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string value and every key, as (path, kind)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), "key"
            yield from _string_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _string_paths(v, (*path, i))
    elif isinstance(node, str) and node:
        yield path, "value"


def _mutate_char(text: str) -> str:
    i = len(text) // 2
    c = text[i]
    replacement = "x" if c != "x" else "y"
    return text[:i] + replacement + text[i + 1 :]


def _mutated(doc: Any, path: tuple[Any, ...], kind: str) -> Any:
    copy = json.loads(json.dumps(doc))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "key":
        parent[_mutate_char(last)] = parent.pop(last)
    else:
        parent[last] = _mutate_char(parent[last])
    return copy


@pytest.mark.parametrize("path", DI_FILES, ids=lambda p: p.name)
def test_any_one_character_change_fails_the_proof(path: Path) -> None:
    doc = json.loads(path.read_text())
    tried = 0
    for where, kind in _string_paths(doc):
        if kind == "key" and where[0] == "@context":
            continue
        mutated = _mutated(doc, where, kind)
        report = verify(mutated, now=NOW)
        failed = {c.id for c in report.errors}
        assert not report.verified, f"{where} ({kind}) changed but the credential still verified"
        expected = "proof"
        assert expected in failed or "parse" in failed, f"{where}: failed {failed}, expected {expected}"
        tried += 1
    assert tried > 20


@pytest.mark.parametrize("path", JWT_FILES, ids=lambda p: p.name)
def test_any_one_character_change_to_a_jwt_fails(path: Path) -> None:
    token = path.read_text().strip()
    dots = [i for i, c in enumerate(token) if c == "."]
    # every character of the header and signature, and a spread of payload positions
    positions = [*range(dots[0]), *range(dots[0] + 1, dots[1], 11), *range(dots[1] + 1, len(token))]
    for i in positions:
        c = token[i]
        replacement = "A" if c != "A" else "B"
        mutated = token[:i] + replacement + token[i + 1 :]
        report = verify(mutated, now=NOW)
        failed = {c.id for c in report.errors}
        assert not report.verified, f"position {i} changed but the JWT still verified"
        assert failed & {"parse", "proof"}, f"position {i}: failed {failed}"
