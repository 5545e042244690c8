"""Issue → verify round trips, and any single-field change to a signed credential fails (both proof formats)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadge_ctq import Evidence, InputError, Recipient, SigningKey, issue_credential, load_catalog, verify
from openbadge_ctq.errors import CatalogError, KeyMaterialError
from openbadge_ctq.issue import issue_endorsement
from openbadge_ctq.model import Catalog
from openbadge_ctq.verify import Status

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-test")
ACHIEVEMENT = "writing-publicly-to-influence-policymakers"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _issue(catalog: Catalog, fmt: str, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "fmt": fmt,
        "now": NOW,
        "levels": "Exemplary",
        "evidence": [Evidence(url="https://example.org/op-ed", name="Op-ed", narrative="In the *Gazette*")],
    }
    args.update(kw)
    return issue_credential(catalog, ACHIEVEMENT, Recipient(email="Teacher@Example.org", name="Jo"), KEY, **args)


@pytest.fixture(scope="module")
def signed_di(catalog: Catalog) -> dict[str, Any]:
    return dict(_issue(catalog, "ob3-di").credential)


@pytest.fixture(scope="module")
def signed_jwt(catalog: Catalog) -> str:
    return str(_issue(catalog, "ob3-jwt").document)


@pytest.mark.parametrize("fmt", ["ob3-di", "ob3-jwt"])
def test_issued_credential_verifies_with_every_check_passing(catalog: Catalog, fmt: str) -> None:
    issued = _issue(catalog, fmt)
    report = verify(issued.document, now=NOW, recipient="teacher@example.org")
    assert report.verified, report.to_json()["errors"]
    assert report.format == fmt
    statuses = {c.id: c.status for c in report.checks}
    for check_id in ("parse", "context", "type", "schema", "subject", "proof", "issuer.binding", "dates", "recipient"):
        assert statuses[check_id] is Status.PASS, (check_id, report.to_json())
    assert not report.warnings
    summary = report.summary
    assert summary["issuer"]["name"] == "Center for Teaching Quality"
    assert summary["results"] and all(r["level"] == "Exemplary" for r in summary["results"])


def test_credential_shape(signed_di: dict[str, Any]) -> None:
    assert signed_di["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert signed_di["issuer"]["id"].startswith("did:key:z6Mk")
    assert signed_di["proof"][0]["verificationMethod"].startswith(signed_di["issuer"]["id"] + "#z6Mk")
    ident = signed_di["credentialSubject"]["identifier"][0]
    assert ident["hashed"] is True and ident["identityHash"].startswith("sha256$") and ident["salt"]
    assert "teacher@example.org" not in json.dumps(signed_di).lower()  # the email is never in plaintext
    achievement = signed_di["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    rd = achievement["resultDescription"][0]
    assert rd["requiredLevel"] in [lvl["id"] for lvl in rd["rubricCriterionLevel"]]
    assert achievement["image"]["caption"]


def test_wrong_recipient_and_dates(catalog: Catalog) -> None:
    issued = _issue(catalog, "ob3-di", valid_until=NOW + timedelta(days=365))
    assert verify(issued.document, now=NOW, recipient="someone@example.org").check("recipient").status is Status.FAIL  # type: ignore[union-attr]
    expired = verify(issued.document, now=NOW + timedelta(days=400))
    assert not expired.verified and expired.check("dates").status is Status.FAIL  # type: ignore[union-attr]
    early = verify(issued.document, now=NOW - timedelta(days=1))
    assert not early.verified and "not yet valid" in early.check("dates").message  # type: ignore[union-attr]


def test_level_below_required_is_refused(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="below the required level"):
        _issue(catalog, "ob3-di", levels="Developing")


def test_unknown_achievement_and_wrong_issuer(catalog: Catalog) -> None:
    with pytest.raises(CatalogError):
        issue_credential(catalog, "no-such-thing", Recipient(email="t@example.org"), KEY, now=NOW)
    with pytest.raises(InputError, match="issued by 'ctq'"):
        _issue(catalog, "ob3-di", issuer_id="teachingpartners")


def test_did_key_issuer_refuses_non_ed25519_keys(catalog: Catalog) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = SigningKey(ec.generate_private_key(ec.SECP256R1()), "p256")
    with pytest.raises(KeyMaterialError, match="did:key"):
        issue_credential(catalog, ACHIEVEMENT, Recipient(email="t@example.org"), key, fmt="ob3-jwt", now=NOW)


def test_endorsement_round_trip(catalog: Catalog, signed_di: dict[str, Any]) -> None:
    endorsement = issue_endorsement(
        catalog.organization("digital-promise"),
        KEY,
        now=NOW,
        subject_id=signed_di["credentialSubject"]["achievement"]["id"],
        comment="A rigorous micro-credential.",
    )
    report = verify(endorsement.document, now=NOW)
    assert report.verified, report.to_json()["errors"]


# ---- any single change fails -------------------------------------------------------------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*path, k))
            out.extend(_paths(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*path, i))
            out.extend(_paths(v, (*path, i)))
    return out


def _apply(doc: Any, path: tuple[Any, ...], op: str, data: st.DataObject) -> Any:
    doc = json.loads(json.dumps(doc))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    value = parent[last]
    if op == "remove":
        del parent[last]
    elif op == "change":
        if isinstance(value, str):
            parent[last] = value + data.draw(st.text(min_size=1, max_size=3), label="suffix")
        elif isinstance(value, bool):
            parent[last] = not value
        elif isinstance(value, int | float):
            parent[last] = value + 1
        elif isinstance(value, list):
            parent[last] = [*value, value[0]] if value else ["x"]
        else:
            parent[last] = {**value, "name": "changed"} if value.get("name") != "changed" else {**value, "name": "x"}
    else:  # add a field next to this one
        target = parent if isinstance(parent, dict) else value
        if not isinstance(target, dict):
            target = doc
        key = data.draw(st.sampled_from(["name", "description", "narrative", "foo", "extraField", "id"]), label="key")
        target[key] = "added" if target.get(key) != "added" else "added again"
    return doc


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_field_change_to_a_di_credential_fails(signed_di: dict[str, Any], data: st.DataObject) -> None:
    paths = _paths(signed_di)
    path = data.draw(st.sampled_from(paths), label="path")
    op = data.draw(st.sampled_from(["change", "remove", "add"]), label="op")
    mutated = _apply(signed_di, path, op, data)
    if mutated == signed_di:
        return
    report = verify(mutated, now=NOW)
    assert not report.verified, f"{op} at {path} still verified"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_field_change_to_a_jwt_payload_fails(signed_jwt: str, data: st.DataObject) -> None:
    header, payload64, signature = signed_jwt.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload64 + "=" * (-len(payload64) % 4)))
    path = data.draw(st.sampled_from(_paths(payload)), label="path")
    op = data.draw(st.sampled_from(["change", "remove", "add"]), label="op")
    mutated = _apply(payload, path, op, data)
    if mutated == payload:
        return
    body = base64.urlsafe_b64encode(json.dumps(mutated).encode()).rstrip(b"=").decode()
    report = verify(f"{header}.{body}.{signature}", now=NOW)
    assert not report.verified and report.check("proof").status is Status.FAIL  # type: ignore[union-attr]
