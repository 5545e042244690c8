"""verify() on hostile input: any bytes, any JSON, any mutation of a real credential returns a report — never an
exception, never a hang. (Issue 10 extends this with atheris; this is the always-on, time-boxed part.)"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog, verify
from openbadge_ctq.verify import INTERNAL_ERROR

NOW = datetime(2026, 11, 23, tzinfo=UTC)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=40,
)
KEYS = [
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "proof",
    "evidence",
    "credentialStatus",
    "endorsement",
    "endorsementJwt",
    "achievement",
    "identifier",
    "result",
    "name",
]


@pytest.fixture(scope="module")
def issued() -> tuple[dict[str, Any], str]:
    catalog = load_catalog()
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x07" * 32), "k")
    recipient = Recipient(email="t@example.org")
    di = issue_credential(catalog, "cultivating-a-shared-purpose", recipient, key, now=NOW)
    jwt = issue_credential(catalog, "cultivating-a-shared-purpose", recipient, key, fmt="ob3-jwt", now=NOW)
    return dict(di.credential), str(jwt.document)


def _never_raises(source: Any) -> None:
    report = verify(source, now=NOW)
    assert not any(INTERNAL_ERROR in c.message for c in report.checks), report.to_json()
    data = report.to_json()
    json.dumps(data)  # the report is always serialisable
    assert isinstance(report.verified, bool)


@SETTINGS
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _never_raises(data)


@SETTINGS
@given(st.text(max_size=2048))
def test_random_text(text: str) -> None:
    _never_raises(text)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), json_values, max_size=12))
def test_random_credential_shaped_json(doc: dict[str, Any]) -> None:
    _never_raises(doc)
    _never_raises(json.dumps(doc))


@SETTINGS
@given(data=st.data())
def test_real_credential_with_any_subtree_replaced(issued: tuple[dict[str, Any], str], data: st.DataObject) -> None:
    doc = json.loads(json.dumps(issued[0]))
    node: Any = doc
    for _ in range(data.draw(st.integers(0, 4))):
        if isinstance(node, dict) and node:
            node = node[data.draw(st.sampled_from(sorted(node)))]
        elif isinstance(node, list) and node:
            node = node[data.draw(st.integers(0, len(node) - 1))]
    if isinstance(node, dict):
        node[data.draw(st.sampled_from(KEYS))] = data.draw(json_values)
    elif isinstance(node, list):
        node.append(data.draw(json_values))
    _never_raises(doc)


@SETTINGS
@given(part=st.integers(0, 2), value=json_values)
def test_jwt_with_any_header_or_payload(issued: tuple[dict[str, Any], str], part: int, value: Any) -> None:
    pieces = issued[1].split(".")
    pieces[part] = base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    _never_raises(".".join(pieces))


def test_deeply_nested_json_is_refused_cleanly() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    report = verify(deep)
    assert not report.verified and report.check("parse").status.value == "fail"  # type: ignore[union-attr]
    nested: Any = {}
    cur = nested
    for _ in range(200):
        cur["credentialSubject"] = {}
        cur = cur["credentialSubject"]
    assert not verify(nested).verified


def test_huge_numbers_and_duplicate_keys() -> None:
    assert not verify('{"validFrom": 1e999999}').verified
    report = verify('{"id": "a", "id": "b"}')
    assert "twice" in report.check("parse").message  # type: ignore[union-attr]
    assert not verify("9" * 100_000).verified
