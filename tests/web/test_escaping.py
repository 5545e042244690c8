"""Every credential field the verification page renders is escaped: a signed credential (so every field is shown,
not just an error) whose text fields are scripts, attribute breakers or javascript: URLs never yields active HTML."""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from openbadge_ctq.proofs import data_integrity

from .conftest import KEY, csrf

Path_ = tuple[str | int, ...]


def string_leaves(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("@context", "proof", "type"):
                yield from string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path


def put(doc: dict[str, Any], path: Path_, value: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def resign(doc: dict[str, Any]) -> dict[str, Any]:
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    vm = doc["proof"][0]["verificationMethod"]
    return data_integrity.sign(
        unsigned, KEY.private_key, verification_method=vm, created=datetime(2026, 11, 23, tzinfo=UTC)
    )


def payload(n: int, key: str) -> str:
    if key in ("id", "url", "image", "evidence") or key.endswith(("Url", "URL")):
        return f"javascript:alert({n})"
    return f'<script>alert({n})</script>"><img src=x onerror=alert({n})>'


ACTIVE = re.compile(r"<script>alert\(|<img src=x|(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def test_every_rendered_field_is_escaped(make_client: Callable[..., TestClient], signed: dict[str, Any]) -> None:
    client = make_client(rate_per_minute=1e9, rate_burst=1_000_000)
    leaves = list(string_leaves(signed))
    assert len(leaves) > 40
    verified = shown = 0
    for n, path in enumerate(leaves):
        hostile = resign(put(signed, path, payload(n, str(path[-1]))))
        page = client.post("/verify", data={"csrf_token": csrf(client), "credential": json.dumps(hostile)})
        assert page.status_code == 200, path
        match = ACTIVE.search(page.text)
        assert match is None, f"{'.'.join(map(str, path))}: active content {match.group(0)!r} in the page"
        verified += "Not verified" not in page.text
        shown += html.escape(f"<script>alert({n})</script>", quote=True) in page.text
    # the test means something only if hostile credentials verified and their fields were shown (escaped)
    assert verified >= len(leaves) // 3, (verified, len(leaves))
    assert shown >= 5, shown
    print(f"{len(leaves)} fields, {verified} hostile credentials verified, {shown} shown their script as text")


@pytest.mark.parametrize(
    "where",
    [("name",), ("credentialSubject", "achievement", "description"), ("issuer", "name")],
    ids=lambda path: ".".join(path),
)
def test_a_verified_credential_with_a_script_shows_it_as_text(
    client: TestClient, signed: dict[str, Any], where: tuple[str, ...]
) -> None:
    hostile = resign(put(signed, where, "<script>alert('x')</script>"))
    page = client.post("/verify", data={"csrf_token": csrf(client), "credential": json.dumps(hostile)})
    assert "Not verified" not in page.text
    assert "<script>alert(" not in page.text
    assert "&lt;script&gt;alert(" in page.text
