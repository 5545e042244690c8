"""The bundled JSON-LD contexts (openbadge_ctq/contexts): manifest integrity and agreement with ../shared.

The files come from npm packages through scripts/bundle_contexts.py
(see docs/decisions/0002-bundled-contexts.md). Offline: reads only the repository and ../shared/vectors.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTEXTS = REPO / "openbadge_ctq" / "contexts"
SHARED_VECTORS = REPO.parent / "shared" / "vectors"

REQUIRED_KEYS = {"url", "file", "package", "version", "path_in_package", "sha256", "tarball_integrity"}
# Files in the contexts folder that are not contexts.
NOT_CONTEXTS = {"MANIFEST.json", "__init__.py", "__pycache__"}

# Contexts in ../shared that are deliberately not bundled.
TEST_ONLY = {
    "https://www.w3.org/2018/credentials/examples/v1",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://www.w3.org/ns/credentials/undefined-terms/v2",
}
# Contexts the product needs that no npm package publishes: verification paths that meet them need --url-map.
NOT_ON_NPM = {
    "https://w3id.org/openbadges/v1",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://w3id.org/security/jwk/v1",
}


def _manifest() -> list[dict[str, Any]]:
    path = CONTEXTS / "MANIFEST.json"
    assert path.is_file(), f"{path} is missing: run scripts/bundle_contexts.py"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, "MANIFEST.json must be a non-empty list"
    return data


def _shared_contexts() -> dict[str, Path]:
    """URL -> shared file, read from the context tables of ../shared/vectors/MANIFEST.md.

    The URL is the "published at (URL)" column; the folder is the table's ``contexts/...`` heading.
    """
    manifest = SHARED_VECTORS / "MANIFEST.md"
    if not manifest.is_file():
        pytest.fail(f"the shared vectors are missing: expected {manifest}")
    out: dict[str, Path] = {}
    section = ""
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            section = line.split("`")[1] if line.startswith("### `contexts/") else ""
            continue
        if section and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            path = SHARED_VECTORS / section / cells[0].strip("`")
            if not path.is_file():
                pytest.fail(f"{path} is listed in {manifest} but missing")
            out[cells[1]] = path
    if not out:
        pytest.fail(f"no context table found in {manifest}")
    return out


def _load(path: Path) -> Any:
    return json.loads(path.read_bytes())


# ---- 1. manifest -------------------------------------------------------------------------------------------


def test_manifest_entries_are_complete_and_unique() -> None:
    entries = _manifest()
    for e in entries:
        missing = REQUIRED_KEYS - e.keys()
        assert not missing, f"{e.get('url')}: missing keys {sorted(missing)}"
        assert e["tarball_integrity"].startswith("sha512-"), e["url"]
        assert "/" not in e["file"] and e["file"].endswith((".json", ".jsonld")), e["file"]
    urls = [e["url"] for e in entries]
    files = [e["file"] for e in entries]
    assert len(set(urls)) == len(urls), "duplicate URL in MANIFEST.json"
    assert len(set(files)) == len(files), "duplicate file in MANIFEST.json"
    assert urls == sorted(urls), "MANIFEST.json must be sorted by URL"


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_bundled_file_matches_manifest_sha256(entry: dict[str, Any]) -> None:
    path = CONTEXTS / entry["file"]
    assert path.is_file(), f"{entry['file']} is listed but missing"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{entry['file']}: sha256 differs from MANIFEST"
    parsed = json.loads(data)
    assert isinstance(parsed, dict) and "@context" in parsed, f"{entry['file']} is not a JSON-LD context document"


# ---- 2. agreement with ../shared/vectors/contexts ----------------------------------------------------------


def _security_v2_known_difference(bundled: Any, shared: Any) -> None:
    """npm security-context@4.0.0 is the w3c-ccg/security-vocab context served at w3id.org/security/v2.

    The shared copy is w3c/vc-data-model's test mirror (a January 2019 snapshot): it imports its own
    https://www.w3.org/2018/credentials/security/v1 instead of https://w3id.org/security/v1, and lacks the
    terms security-context 2.0.0-4.0.0 added (KMS operations, EcdsaSecp256* suites and keys, ...).
    """
    b, s = bundled["@context"], shared["@context"]
    assert b[0] == s[0] == {"@version": 1.1}
    assert b[1] == "https://w3id.org/security/v1"
    assert s[1] == "https://www.w3.org/2018/credentials/security/v1"
    for term, definition in s[2].items():
        assert b[2].get(term) == definition, f"security/v2: shared term {term!r} differs"
    added = sorted(set(b[2]) - set(s[2]))
    assert len(added) == 24 and "EcdsaSecp256k1Signature2019" in added and "KmsOperation" in added, added


def _openbadges_v2_known_difference(bundled: Any, shared: Any) -> None:
    """npm @blockcerts/schemas ships the pre-2020 OB 2.0 context; the shared copy has the 2020 errata.

    The only difference is AlignmentObject.targetFramework: schema:targetFramework (bundled) versus
    schema:educationalFramework (errata, what https://w3id.org/openbadges/v2 serves). No npm package carries
    the errata revision.
    """
    b, s = bundled["@context"], shared["@context"]
    assert b.keys() == s.keys()
    differing = sorted(k for k in b if b[k] != s[k])
    assert differing == ["targetFramework"], differing
    assert b["targetFramework"] == {"@id": "schema:targetFramework"}
    assert s["targetFramework"] == {"@id": "schema:educationalFramework"}


# URL -> check that the npm copy differs from the shared copy exactly as known (and in no other way).
KNOWN_DIFFERENCES = {
    "https://w3id.org/security/v2": _security_v2_known_difference,
    "https://w3id.org/openbadges/v2": _openbadges_v2_known_difference,
}


# bundled contexts that ../shared/vectors has no copy of (so they are checked only against npm, by sha256)
NO_REFERENCE_COPY = {"https://w3id.org/security/suites/jws-2020/v1"}


def test_only_the_listed_contexts_lack_a_reference_copy() -> None:
    shared = _shared_contexts()
    assert {e["url"] for e in _manifest() if e["url"] not in shared} == NO_REFERENCE_COPY


@pytest.mark.parametrize(
    "entry", [e for e in _manifest() if e["url"] not in NO_REFERENCE_COPY], ids=lambda e: e["file"]
)
def test_bundled_context_equals_shared_copy(entry: dict[str, Any]) -> None:
    shared = _shared_contexts()
    url = entry["url"]
    bundled_json = _load(CONTEXTS / entry["file"])
    shared_json = _load(shared[url])
    if url in KNOWN_DIFFERENCES:
        assert bundled_json != shared_json, (
            f"{url}: the npm copy now equals the shared copy; remove it from KNOWN_DIFFERENCES"
        )
        KNOWN_DIFFERENCES[url](bundled_json, shared_json)
        return
    assert bundled_json == shared_json, f"{entry['file']} ({entry['package']}@{entry['version']}) != {shared[url]}"


def test_every_shared_context_is_bundled_or_accounted_for() -> None:
    shared = set(_shared_contexts())
    bundled = {e["url"] for e in _manifest()}
    assert not (bundled & TEST_ONLY), "test-only contexts must not be bundled"
    assert not (bundled & NOT_ON_NPM), "a context listed as not on npm is now bundled: update NOT_ON_NPM and the ADR"
    unaccounted = shared - bundled - TEST_ONLY - NOT_ON_NPM
    assert not unaccounted, f"shared contexts neither bundled nor accounted for: {sorted(unaccounted)}"


# ---- 3. nothing unlisted -----------------------------------------------------------------------------------


def test_contexts_folder_has_nothing_unlisted() -> None:
    listed = {e["file"] for e in _manifest()}
    present = {p.name for p in CONTEXTS.iterdir() if p.name not in NOT_CONTEXTS}
    assert present == listed, f"unlisted: {sorted(present - listed)}; missing: {sorted(listed - present)}"


# ---- the script's helpers (no network) ---------------------------------------------------------------------


def _script() -> Any:
    import importlib.util
    import sys

    name = "_openbadge_ctq_bundle_contexts"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "bundle_contexts.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look the module up while the script is executed
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_commonjs_literal_is_read_as_data() -> None:
    source = b"""/* header */ 'use strict';
module.exports = {
  // a comment
  "@context": {id: '@id', "x": {"@id": "https://ex.org/x#y", n: -1.5e2, ok: true, no: null},
    list: [1, 'a',],},
};
"""
    out = _script().commonjs_to_json(source)
    assert json.loads(out) == {
        "@context": {
            "id": "@id",
            "x": {"@id": "https://ex.org/x#y", "n": -150.0, "ok": True, "no": None},
            "list": [1, "a"],
        }
    }
    assert out.endswith(b"}\n")


@pytest.mark.parametrize(
    "source",
    [
        b"module.exports = require('./x');",
        b"module.exports = {a: foo()};",
        b"module.exports = {a: 1}; console.log(1);",
        b"module.exports = {a: 1, a: 2};",
    ],
)
def test_commonjs_code_is_refused(source: bytes) -> None:
    with pytest.raises(SystemExit):
        _script().commonjs_to_json(source)


@pytest.mark.parametrize("name", ["../evil.json", "/abs.json", "package/../../evil.json"])
def test_safe_extract_refuses_escaping_members(tmp_path: Path, name: str) -> None:
    import io
    import tarfile

    tarball = tmp_path / "t.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(SystemExit):
        _script().safe_extract(tarball, dest)
    assert not any(tmp_path.rglob("evil.json")) and not any(dest.iterdir())


def test_safe_extract_refuses_links(tmp_path: Path) -> None:
    import tarfile

    tarball = tmp_path / "t.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo("package/link.json")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(SystemExit):
        _script().safe_extract(tarball, dest)
