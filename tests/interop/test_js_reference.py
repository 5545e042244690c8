"""Interop: our eddsa-rdfc-2022 credentials verify with the JavaScript reference implementation.

The reference is Digital Bazaar's ``@digitalbazaar/vc`` with ``DataIntegrityProof`` and the
``eddsa-rdfc-2022`` cryptosuite (``tests/interop/js``, installed by ``npm ci``). Its document loader serves
only the contexts packaged in ``openbadge_ctq/contexts`` and did:key documents resolved locally, so nothing
here touches the network. Run: ``cd tests/interop/js && npm ci``, then ``pytest -m interop``.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import openbadge_ctq
from openbadge_ctq import (
    Catalog,
    Evidence,
    Recipient,
    SigningKey,
    issue_credential,
    issue_endorsement,
    issuer_identity,
)
from openbadge_ctq.did import build_did_web_document
from openbadge_ctq.model import MicroCredential
from openbadge_ctq.ob3 import achievement_id

pytestmark = pytest.mark.interop

JS_DIR = Path(__file__).resolve().parent / "js"
VERIFY_SCRIPT = JS_DIR / "verify.mjs"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
NOW_ISO = "2026-11-23T12:00:00Z"
# A fixed Ed25519 key: the same seed gives the same did:key issuer on every run.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, once the reference packages are installed."""
    if not (JS_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci` in tests/interop/js (the .ci/run script does)")
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH: the interop tests need Node.js 18 or later")
    return found


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return openbadge_ctq.load_catalog()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey(private_key=Ed25519PrivateKey.from_private_bytes(SEED), key_id="key-1")


def reference_verify(
    node: str, tmp_path: Path, credentials: dict[str, Any], did_documents: Sequence[dict[str, Any]] = ()
) -> dict[str, dict[str, Any]]:
    """Write each credential to ``<name>.json`` and verify them all with the reference.

    ``did_documents`` are served by the reference's (offline) loader besides did:key: a did:web issuer's.

    Returns: name → the reference's result line ``{"file", "verified", "error"}``.
    """
    options: list[str] = []
    for index, document in enumerate(did_documents):
        path = tmp_path / f"did-document-{index}.did.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        options += ["--did-document", str(path)]
    paths = []
    for name, credential in credentials.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(credential, indent=2, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    proc = subprocess.run(
        [node, str(VERIFY_SCRIPT), "--now", NOW_ISO, *options, *map(str, paths)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if proc.returncode not in (0, 1):
        pytest.fail(f"verify.mjs failed to run (exit {proc.returncode}):\n{proc.stderr}\n{proc.stdout}")
    results = {Path(line["file"]).stem: line for line in map(json.loads, proc.stdout.splitlines())}
    assert sorted(results) == sorted(credentials), proc.stdout + proc.stderr
    failed = any(not r["verified"] for r in results.values())
    assert proc.returncode == (1 if failed else 0), proc.stdout + proc.stderr
    return results


def rejections(results: dict[str, dict[str, Any]]) -> str:
    """The reference's error for every credential it rejected, one JSON line each."""
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in results.values() if not r["verified"])


def exemplary_micro_credential(catalog: Catalog, key: SigningKey) -> dict[str, Any]:
    """A CTQ micro-credential: hashed email, name, Exemplary on every criterion, evidence."""
    entry = catalog.achievement("writing-publicly-to-influence-colleagues")
    assert isinstance(entry, MicroCredential)
    assert all(any(level.name == "Exemplary" for level in c.levels) for c in entry.rubric.criteria)
    issued = issue_credential(
        catalog,
        entry.id,
        Recipient(email="Jordan.Rivera@Example.org", name="Jordan Rivera", salt="4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99"),
        key,
        now=NOW,
        credential_id="urn:uuid:6c9d7c3e-2f0a-4b8e-9a57-0d4b1f6e2a11",
        levels="Exemplary",
        evidence=[
            Evidence(
                url="https://example.org/blog/why-our-school-rethought-homework",
                name="Why our school rethought homework",
                narrative="A blog post for colleagues across the district, with their comments.",
                description="Published on the district's teacher blog.",
                genre="Blog post",
                audience="Colleagues",
            )
        ],
        narrative="Scored Exemplary on every rubric criterion.",
    )
    assert issued.format == "ob3-di"
    return issued.credential


def test_micro_credential_verifies(node: str, catalog: Catalog, key: SigningKey, tmp_path: Path) -> None:
    credential = exemplary_micro_credential(catalog, key)
    assert credential["issuer"]["id"].startswith("did:key:z6Mk")
    assert credential["proof"][0]["verificationMethod"].startswith(credential["issuer"]["id"] + "#z6Mk")
    results = reference_verify(node, tmp_path, {"micro-credential": credential})
    assert results["micro-credential"]["verified"], rejections(results)


def test_every_active_achievement_verifies(node: str, catalog: Catalog, key: SigningKey, tmp_path: Path) -> None:
    active = [entry for entry in catalog.achievements() if getattr(entry, "status", "active") == "active"]
    assert any(catalog.issuer_of(entry).id == "ctq" for entry in active), "no active CTQ achievement in the catalog"
    credentials = {}
    did_documents = {}
    for entry in active:
        identity = issuer_identity(catalog.issuer_of(entry), key)
        if identity.id.startswith("did:web:"):
            # An issuer with a baseUrl is a did:web: serve the DID document it would publish.
            did_documents[identity.id] = build_did_web_document(
                identity.id, [(key.key_id, key.private_key.public_key())]
            )
        issued = issue_credential(
            catalog,
            entry.id,
            Recipient(email="teacher@example.org", salt="00112233445566778899aabbccddeeff"),
            key,
            now=NOW,
            credential_id=f"urn:uuid:{entry.id}",
        )
        credentials[entry.id] = issued.credential
    results = reference_verify(node, tmp_path, credentials, list(did_documents.values()))
    rejected = sorted(name for name, r in results.items() if not r["verified"])
    assert not rejected, f"the reference rejected {rejected}:\n{rejections(results)}"


def test_endorsement_verifies(node: str, catalog: Catalog, key: SigningKey, tmp_path: Path) -> None:
    entry = catalog.achievement("writing-publicly-to-influence-colleagues")
    issued = issue_endorsement(
        catalog.organization("ctq"),
        key,
        subject_id=achievement_id(entry, catalog.issuer_of(entry)),
        comment="Our panel of National Board teachers reviewed the rubric and the evidence requirements.",
        now=NOW,
        credential_id="urn:uuid:0b5e8a52-6f35-4c1e-8d2a-4c61f1b9c7d2",
    )
    assert issued.credential["type"] == ["VerifiableCredential", "EndorsementCredential"]
    results = reference_verify(node, tmp_path, {"endorsement": issued.credential})
    assert results["endorsement"]["verified"], rejections(results)


def test_reference_rejects_tampered_and_unknown_context(
    node: str, catalog: Catalog, key: SigningKey, tmp_path: Path
) -> None:
    """Negative controls: the harness can fail, and its document loader refuses what it does not hold."""
    credential = exemplary_micro_credential(catalog, key)
    tampered = copy.deepcopy(credential)
    tampered["name"] = tampered["name"] + " (edited)"
    unknown_context = copy.deepcopy(credential)
    unknown_context["@context"] = [*credential["@context"], "https://example.org/not-packaged-context.jsonld"]
    results = reference_verify(
        node, tmp_path, {"original": credential, "tampered": tampered, "unknown-context": unknown_context}
    )

    assert results["original"]["verified"], "the untampered credential must verify first:\n" + rejections(results)
    assert not results["tampered"]["verified"]
    assert "Invalid signature" in json.dumps(results["tampered"]["error"]), results["tampered"]
    assert not results["unknown-context"]["verified"]
    assert "offline document loader: refusing" in json.dumps(results["unknown-context"]), results["unknown-context"]
