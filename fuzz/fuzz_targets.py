"""Atheris harnesses for the parsers, verify(), JSON-LD, VC-JWT and the web service.

    python fuzz/fuzz_targets.py TARGET [libFuzzer options, e.g. -max_total_time=120 -rss_limit_mb=2048 CORPUS_DIR]
    python fuzz/fuzz_targets.py list

A parser may raise only the library's own ``BadgeError`` subclasses; ``verify()`` may raise nothing at all and must
not report an internal error; the web service must never answer 5xx. Anything else propagates, and atheris reports
it as a crash with the input that caused it. ``tests/security/test_fuzz_parsers.py`` imports ``TARGETS`` and runs
each for a few seconds; ``fuzz/make_corpus.py`` writes seed corpora; ``fuzz/README.md`` says how to run long.

Byte-level targets (``verify``, ``unbake_png``, ``unbake_svg``, ``jws``, ``parse_json``, ``status_list``,
``did_document``) feed the input to the parser as it is. Structure-aware targets (``jsonld``, ``jws_structured``,
``web_forms``) read the input as a *program* through :class:`Provider`: each byte picks the next choice (which base
document, which mutation, which header, which endpoint), so libFuzzer's byte mutations become mutations of
plausible credentials, JWTs and requests. Such an input may end with :data:`SEP` and a JSON document (a seed from
``make_corpus.py``): that document is then the base instead of a built-in one.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import gzip
import hashlib
import hmac
import json
import logging
import os
import shlex
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(os.environ.get("BADGE_VECTORS", str(ROOT.parent / "shared" / "vectors")))
SEP = b"\xffSEP\xff"
"""Separates a structure-aware program from an optional base JSON document."""
STRICT = os.environ.get("FUZZ_STRICT", "") not in ("", "0")
"""FUZZ_STRICT=1: report the known findings of :data:`KNOWN` too (they are tolerated by default)."""

# Findings in files the fuzzing work may not change, reported to the maintainers and tolerated until fixed, so a
# long run keeps looking for new ones: (id, exception type names separated by |, text in the message or traceback).
KNOWN: list[tuple[str, str, str]] = [
    ("F5: batch.parse_batch_csv lets csv.Error out (500 from POST /verify/batch)", "Error", "parse_batch_csv"),
    ("F6: web.app._json_body lets RecursionError out (500 from the VC API)", "RecursionError", "_json_body"),
    ("F8: verify.resolve._fetch_json lets RecursionError out of the key resolvers", "RecursionError", "_fetch_json"),
    (
        "F9: vc_jwt.claim_problems: NumericDate beyond datetime",
        "OverflowError|ValueError|OSError|AssertionError",
        "claim_problems",
    ),
    ("F10: verify.ob3._numeric_date: math.isfinite on a huge int", "AssertionError", "in _numeric_date"),
    ("F11: verify.resolve: urldefrag raises ValueError (e.g. 'https://[#k')", "AssertionError", "in urldefrag"),
    ("F12: web JSON responses with a lone surrogate", "UnicodeEncodeError", "surrogates not allowed"),
    ("F13: verify._nested: an endorsement that is not a dict/str", "AssertionError", "in _nested"),
    ("F13: verify._clr_bundle: a bundled credential that is not a dict/str", "AssertionError", "in _clr_bundle"),
    ("F14: validate.validate_document: a lone surrogate", "AssertionError", "in validate_document"),
]


def _known(exc: BaseException) -> str | None:
    if STRICT:
        return None
    text = "".join(traceback.format_exception(exc))
    for name, type_name, needle in KNOWN:
        if type(exc).__name__ in type_name.split("|") and needle in text:
            return name
    return None


def _tolerating_known(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    @functools.wraps(target)
    def run(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:
            if _known(exc) is None:
                raise

    return run


def _errors() -> type[Exception]:
    from openbadge_ctq.errors import BadgeError

    return BadgeError


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------------------------------
# Byte-level targets
# ----------------------------------------------------------------------------------------------------------------


class _LastError(logging.Handler):
    """Keeps the traceback verify() logs with its internal-error check, for the crash report (and KNOWN)."""

    text = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            _LastError.text = "".join(traceback.format_exception(*record.exc_info))


logging.getLogger("openbadge_ctq.verify").addHandler(_LastError())


def _check_report(report: Any, *, serialisable: bool = True) -> None:
    """No internal error; and the report serialises (unless the input itself held something JSON cannot)."""
    from openbadge_ctq.verify import INTERNAL_ERROR

    if serialisable:
        json.dumps(report.to_json())
    if any(INTERNAL_ERROR in c.message for c in report.checks):
        raise AssertionError(f"verify() hit an internal error: {report.to_json()['checks']}\n{_LastError.text}")


def fuzz_verify(data: bytes) -> None:
    from openbadge_ctq.verify import verify

    for source in (data, _text(data)):
        _check_report(verify(source, now=NOW))


def fuzz_unbake_png(data: bytes) -> None:
    from openbadge_ctq.bake import unbake_png

    png = b"\x89PNG\r\n\x1a\n" + data if not data.startswith(b"\x89PNG") else data
    with contextlib.suppress(_errors()):
        unbake_png(png)


def fuzz_unbake_svg(data: bytes) -> None:
    from openbadge_ctq.bake import unbake_svg

    for svg in (data, _text(data)):
        with contextlib.suppress(_errors()):
            unbake_svg(svg)


def fuzz_jws(data: bytes) -> None:
    from openbadge_ctq.proofs.jws import decode_compact
    from openbadge_ctq.proofs.vc_jwt import parse_jwt

    with contextlib.suppress(_errors()):
        decode_compact(_text(data)).payload_json()
    with contextlib.suppress(_errors()):
        parse_jwt(_text(data))


def fuzz_parse_json(data: bytes) -> None:
    from openbadge_ctq.verify.sniff import parse_json

    for source in (data, _text(data)):
        with contextlib.suppress(_errors()):
            parse_json(source)


def fuzz_status_list(data: bytes) -> None:
    """Base64 text, and gzip of the input (a small input can expand to a bomb: the cap must hold)."""
    from openbadge_ctq.status import decode_bitstring, get_bit

    candidates = [_text(data), "u" + base64.urlsafe_b64encode(gzip.compress(data * 64)).decode()]
    if data[:2] == b"\x00\xbb":  # a gzip bomb: zeros just past the 16 MiB cap compress to ~16 KiB
        candidates.append(_bomb())
    for encoded in candidates:
        with contextlib.suppress(_errors()):
            bits = decode_bitstring(encoded)
            get_bit(bits, int.from_bytes(data[:4].ljust(4, b"\0"), "big"))


_BOMB: list[str] = []


def _bomb() -> str:
    from openbadge_ctq.status import MAX_LIST_BITS

    if not _BOMB:
        _BOMB.append("u" + base64.urlsafe_b64encode(gzip.compress(bytes(MAX_LIST_BITS // 8 + 1))).decode())
    return _BOMB[0]


def fuzz_did_document(data: bytes) -> None:
    """``find_verification_method`` on any JSON, and did:web resolution of the input served as ``did.json``."""
    from openbadge_ctq.did import find_verification_method, resolve_verification_method
    from openbadge_ctq.interfaces import MapFetcher
    from openbadge_ctq.verify.sniff import parse_json

    try:
        doc = parse_json(data)
    except _errors():
        doc = {"id": "did:web:example.org", "verificationMethod": _text(data)}
    vm_ids = ["#key-1", "did:web:example.org#key-1"]
    if isinstance(doc, dict):
        for vm in doc.get("verificationMethod") or [] if isinstance(doc.get("verificationMethod"), list) else []:
            if isinstance(vm, dict) and isinstance(vm.get("id"), str):
                vm_ids.append(vm["id"])
    for vm_id in vm_ids[:4]:
        for purpose in ("assertionMethod", "authentication"):
            with contextlib.suppress(_errors()):
                find_verification_method(doc, vm_id, purpose=purpose)  # type: ignore[arg-type]
    fetcher = MapFetcher({"https://example.org/.well-known/did.json": data})
    for vm_id in {v if v.startswith("did:") else "did:web:example.org" + v[v.find("#") :] for v in vm_ids[:4]}:
        with contextlib.suppress(_errors()):
            resolve_verification_method(vm_id, fetcher)


# ----------------------------------------------------------------------------------------------------------------
# Structure-aware helpers
# ----------------------------------------------------------------------------------------------------------------


class Provider:
    """Turns fuzz bytes into choices, like ``atheris.FuzzedDataProvider`` but in pure Python (so the hypothesis
    fallback and the regression tests replay inputs without atheris). Past the end it reads zeros."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def byte(self) -> int:
        if self._pos >= len(self._data):
            return 0
        self._pos += 1
        return self._data[self._pos - 1]

    def int(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        span = hi - lo
        if span <= 0:
            return lo
        value, shift = 0, 0
        while span >> shift:
            value = value << 8 | self.byte()
            shift += 8
        return lo + value % (span + 1)

    def bool(self) -> bool:
        return bool(self.byte() & 1)

    def pick(self, items: Any) -> Any:
        return items[self.int(0, len(items) - 1)]

    def raw(self, limit: int) -> bytes:
        n = self.int(0, limit)
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def text(self, limit: int) -> str:
        return self.raw(limit).decode("utf-8", "replace")


def _split(data: bytes) -> tuple[bytes, Any]:
    """(program, base document or None): the document is what follows :data:`SEP`, when it is a JSON object."""
    program, sep, rest = data.partition(SEP)
    if not sep:
        return data, None
    from openbadge_ctq.verify.sniff import parse_json

    try:
        doc = parse_json(rest)
    except _errors():
        return program, None
    return program, doc if isinstance(doc, dict) else None


VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_URLS = [
    VC2,
    OB3,
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/openbadges/v2",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://www.w3.org/ns/credentials/status/v1",
    "https://example.org/not-bundled.jsonld",
    "relative/context.jsonld",
    "",
]
KEYWORDS = [
    "@id", "@type", "@context", "@value", "@list", "@set", "@graph", "@language", "@direction", "@index",
    "@reverse", "@included", "@nest", "@json", "@none", "@vocab", "@base", "@protected", "@propagate", "@import",
    "@version", "@prefix", "@container", "@foo",
]  # fmt: skip
TERMS = [
    "id", "type", "name", "description", "issuer", "credentialSubject", "achievement", "validFrom", "validUntil",
    "proof", "evidence", "credentialStatus", "endorsement", "identifier", "result", "image", "criteria",
    "alignment", "source", "awardedDate", "narrative", "verificationMethod", "proofValue", "cryptosuite",
    "proofPurpose", "created", "url", "email", "salt", "hashed", "identityHash", "achievementType",
    "resultDescription", "creditsEarned", "unknownTerm", "schema:name", "ex:term", "xsd:string",
]  # fmt: skip
IRIS = [
    "https://example.org/vocab#term", "http://schema.org/name", "urn:uuid:3b1c3a2e-0e5d-4f4e-9a55-2b9a0a6b1a11",
    "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z", "did:web:example.org", "_:b0", "_:b1", "_:x",
    "#fragment", "relative", "../up", "./here", "//host.example/path", "?query", "", "term", "ex:foo", "xsd:integer",
    "https://www.w3.org/ns/credentials/issuer-dependent#x", "http://www.w3.org/2001/XMLSchema#dateTime",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON", "mailto:a@example.org", "a b", "https://example.org/\n",
    "@id", "@vocab", "@type",
]  # fmt: skip
STRINGS = [
    *IRIS, "2026-11-23T00:00:00Z", "2026-11-23", "not a date", "1e400", "VerifiableCredential",
    "OpenBadgeCredential", "Achievement", "AchievementSubject", "Profile", "DataIntegrityProof", "eddsa-rdfc-2022",
    "assertionMethod", "zBadProofValue", "\ud800", "a\u0000b", "line\nbreak", "quote\"", "back\\slash", "e\u0301",
    "\u202e", "\U0001f600", "x" * 300,
]  # fmt: skip
FLOATS = [0.0, -0.0, 1.5, 1e21, 1e-7, 1.7976931348623157e308, 5e-324, 123456789.125, -1e300]
CONTAINERS: list[Any] = [
    "@list", "@set", "@index", "@language", "@graph", "@id", "@type", ["@graph", "@id"], ["@graph", "@index"],
    ["@set", "@index"], ["@list", "@set"], ["@type", "@set"], [], "@json", 5,
]  # fmt: skip
TYPES: list[Any] = ["@id", "@vocab", "@json", "@none", "xsd:string", "xsd:integer", "xsd:dateTime", "term", 1, None]


def _json_value(p: Provider, depth: int = 0) -> Any:
    kind = p.int(0, 11)
    if kind == 0:
        return None
    if kind == 1:
        return p.bool()
    if kind == 2:
        return p.int(-300, 300)
    if kind == 3:  # huge: beyond 2**53, and past Python's 4300-digit str() limit
        magnitude = 10 ** p.pick([16, 21, 40, 308, 400, 4298])
        return magnitude if p.bool() else -magnitude
    if kind == 4:
        return p.pick(FLOATS)
    if kind in (5, 6):
        return p.pick(STRINGS)
    if kind == 7:
        return p.text(40)
    if kind == 8 and depth < 4:
        return [_json_value(p, depth + 1) for _ in range(p.int(0, 4))]
    if kind == 9 and depth < 4:
        return {_key(p): _json_value(p, depth + 1) for _ in range(p.int(0, 4))}
    if kind == 10:
        return {"@id": p.pick(IRIS)} if p.bool() else {"id": p.pick(IRIS)}
    return {"@value": _json_value(p, 4), "@type": p.pick(TYPES)} if p.bool() else {"@list": [p.pick(STRINGS)]}


def _key(p: Provider) -> str:
    choice = p.int(0, 7)
    if choice < 4:
        return str(p.pick(TERMS))
    if choice < 6:
        return str(p.pick(KEYWORDS))
    return p.text(12)


def _term_definition(p: Provider, depth: int) -> Any:
    shape = p.int(0, 5)
    if shape == 0:
        return p.pick(IRIS)
    if shape == 1:
        return None
    definition: dict[str, Any] = {}
    for _ in range(p.int(1, 4)):
        member = p.pick(
            [
                "@id",
                "@type",
                "@container",
                "@context",
                "@protected",
                "@reverse",
                "@language",
                "@prefix",
                "@nest",
                "@index",
                "@direction",
                "@bogus",
            ]
        )
        if member == "@id" or member == "@reverse":
            definition[member] = p.pick(IRIS) if p.int(0, 3) else p.pick(KEYWORDS)
        elif member == "@type":
            definition[member] = p.pick(TYPES)
        elif member == "@container":
            definition[member] = p.pick(CONTAINERS)
        elif member == "@context":
            definition[member] = _context(p, depth + 1)
        elif member in ("@protected", "@prefix"):
            definition[member] = p.bool() if p.int(0, 3) else "yes"
        else:
            definition[member] = p.pick(STRINGS)
    return definition


def _context(p: Provider, depth: int = 0) -> Any:
    """A JSON-LD context: a URL, null, an array, or an object with term definitions, @protected, @vocab,
    @import, @propagate, scoped contexts that recurse (to depth 4), cyclic terms and keyword redefinitions."""
    shape = p.int(0, 6)
    if shape == 0 or depth >= 4:
        return p.pick(CONTEXT_URLS)
    if shape == 1:
        return None
    if shape == 2:
        return [_context(p, depth + 1) for _ in range(p.int(0, 3))]
    ctx: dict[str, Any] = {}
    if p.int(0, 2) == 0:
        ctx["@protected"] = p.bool()
    for _ in range(p.int(0, 5)):
        what = p.int(0, 9)
        if what == 0:
            ctx["@vocab"] = p.pick(IRIS)
        elif what == 1:
            ctx["@base"] = p.pick(IRIS)
        elif what == 2:
            ctx["@import"] = p.pick(CONTEXT_URLS)
        elif what == 3:
            ctx["@propagate"] = p.bool()
        elif what == 4:
            ctx["@version"] = p.pick([1.1, 1.0, "1.1", 2])
        elif what == 5:  # cyclic term definitions: a → b:x, b → a:y
            a, b = p.pick(TERMS), p.pick(TERMS)
            ctx[a] = {"@id": f"{b}:x"}
            ctx[b] = {"@id": f"{a}:y"}
        elif what == 6:  # a term whose scoped context redefines the term itself
            term = p.pick(TERMS)
            ctx[term] = {"@id": p.pick(IRIS), "@context": {term: {"@id": p.pick(IRIS), "@protected": p.bool()}}}
        else:
            ctx[_key(p)] = _term_definition(p, depth)
    return ctx


def _containers(doc: Any, limit: int = 3000) -> list[Any]:
    """Every dict and list in ``doc`` (breadth-first, at most ``limit``)."""
    found: list[Any] = []
    queue = [doc]
    while queue and len(found) < limit:
        node = queue.pop(0)
        if isinstance(node, dict):
            found.append(node)
            queue.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            found.append(node)
            queue.extend(v for v in node if isinstance(v, dict | list))
    return found


def _objects(doc: Any) -> list[dict[str, Any]]:
    return [c for c in _containers(doc) if isinstance(c, dict)]


def _put(p: Provider, container: Any, value: Any) -> None:
    if isinstance(container, dict):
        keys = list(container)
        key = p.pick(keys) if keys and p.bool() else _key(p)
        container[key] = value
    elif container:
        container[p.int(0, len(container) - 1)] = value
    else:
        container.append(value)


def _mutate(p: Provider, doc: dict[str, Any], rounds: int = 8) -> None:
    """Apply up to ``rounds`` JSON-LD-aware mutations to ``doc`` in place, stopping when it passes 256 KiB."""
    for _ in range(p.int(0, rounds)):
        objects = _objects(doc)
        containers = _containers(doc)
        target = p.pick(objects)
        op = p.int(0, 15)
        if op == 0:  # replace a value anywhere
            _put(p, p.pick(containers), _json_value(p))
        elif op == 1:  # add a term or keyword
            target[_key(p)] = _json_value(p)
        elif op == 2:  # an embedded @context (scoped contexts can recurse)
            target["@context"] = _context(p)
        elif op == 3:  # @protected redefinition of a VC / OB term, at the top or inside the document
            ctx = doc.get("@context")
            local = {"@protected": p.bool(), p.pick(TERMS): _term_definition(p, 0)}
            if isinstance(ctx, list) and p.bool():
                ctx.insert(p.int(0, len(ctx)), local)
            else:
                target["@context"] = local
        elif op == 4:  # relative IRIs as id / @id / type
            target[p.pick(["id", "@id", "type", "@type"])] = p.pick(IRIS[6:])
        elif op == 5:  # a @type / @id / @index / @language map
            term = p.pick(TERMS)
            target["@context"] = {term: {"@id": p.pick(IRIS), "@container": p.pick(CONTAINERS)}}
            target[term] = {p.pick(STRINGS): _json_value(p, 2) for _ in range(p.int(1, 3))}
        elif op == 6:  # a large @list / @graph / @set (the expansion grows with it)
            keyword = p.pick(["@list", "@graph", "@set", "@included"])
            item = _copy(p.pick(objects) if p.bool() else _json_value(p, 2))
            count = min(p.pick([2, 16, 128, 1024]), max(1, MAX_DOC // max(1, _size(item))))
            _put(p, p.pick(containers), {keyword: [item] * count})  # the same object, `count` times
        elif op == 7:  # deep nesting (dicts passed to canonicalize() have no depth limit)
            node: Any = _json_value(p, 4)
            key = p.pick(TERMS)
            for _ in range(p.pick([10, 63, 64, 100, 300, 1000])):
                node = {key: node} if p.int(0, 3) else [node]
            _put(p, p.pick(containers), node)
        elif op == 8:  # copy a subtree elsewhere (repeated structure, shared blank nodes)
            _put(p, p.pick(containers), _copy(p.pick(containers)))
        elif op == 9:  # link objects through explicit blank node ids (cycles, cliques: RDFC-1.0's hard case)
            chosen = [p.pick(objects) for _ in range(p.int(2, 10))]
            prop = p.pick(TERMS)
            for i, obj in enumerate(chosen):
                obj["id"] = f"_:n{i}"
                obj[prop] = [{"id": f"_:n{j}"} for j in range(len(chosen)) if j != i]
        elif op == 10 and target:  # delete a member
            del target[p.pick(list(target))]
        elif op == 11:  # swap the context list
            doc["@context"] = [p.pick(CONTEXT_URLS) for _ in range(p.int(0, 4))] if p.int(0, 3) else _context(p)
        elif op == 12:  # a JSON-LD value object
            target[p.pick(TERMS)] = {
                "@value": _json_value(p, 3),
                p.pick(["@type", "@language", "@direction", "@index", "@id"]): p.pick(STRINGS),
            }
        elif op == 13:  # @reverse / @nest / @included
            target[p.pick(["@reverse", "@nest", "@included"])] = {p.pick(TERMS): _json_value(p, 2)}
        elif op == 14:  # many sibling nodes with the same shape (shared first-degree hashes)
            item = {"type": [p.pick(STRINGS)], p.pick(TERMS): p.pick(STRINGS)}
            target[p.pick(TERMS)] = [copy.deepcopy(item) for _ in range(p.int(2, 40))]
        else:  # a scalar edge case
            target[p.pick(TERMS)] = p.pick([*FLOATS, 10**30, -(10**30), True, "", "\ud800", 10**4298])
        if _size(doc) > MAX_DOC:
            break


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except RecursionError:  # deeper than copy manages: share it instead
        return value


MAX_DOC = 256 * 1024
"""Mutated documents stop growing at about this JSON size."""


def _size(doc: Any, limit: int = MAX_DOC) -> int:
    """Roughly the JSON size of ``doc``, without recursion (the documents can be nested deeper than json.dumps
    manages), counting a repeated (shared) object each time; stops counting past ``limit``."""
    total = 0
    stack = [doc]
    while stack and total <= limit:
        node = stack.pop()
        if isinstance(node, dict):
            total += 2 + sum(len(k) + 4 for k in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            total += 2 + len(node)
            stack.extend(node)
        elif isinstance(node, str):
            total += len(node) + 2
        else:
            total += 8
    return total


def _dumps(value: Any) -> bytes:
    """JSON bytes of ``value``; lone surrogates pass through as they are (invalid UTF-8, as an attacker may send).
    Values JSON text cannot hold for Python (nesting beyond the encoder's recursion limit, integers over 4300
    digits) become ``{}``: the byte-level deep-nesting and huge-number cases cover those."""
    try:
        return json.dumps(value, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return b"{}"


@functools.cache
def _keys() -> dict[str, Any]:
    """Fixed signing keys (RSA keys are generated once per process; their signatures are recomputed each run)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return {
        "ed": Ed25519PrivateKey.from_private_bytes(b"\x07" * 32),
        "ed2": Ed25519PrivateKey.from_private_bytes(b"\x08" * 32),
        "ec": ec.derive_private_key(0x5EED_0F_FA2E, ec.SECP256R1()),
        "ec384": ec.derive_private_key(0x5EED_0F_FA2E, ec.SECP384R1()),
        "rsa": rsa.generate_private_key(65537, 2048),
        "rsa1024": rsa.generate_private_key(65537, 1024),
    }


@functools.cache
def _issued() -> dict[str, Any]:
    """A CTQ credential issued by this library: Data Integrity and VC-JWT, both signed with the ``ed`` key."""
    from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog

    key = SigningKey(_keys()["ed"], "k")
    recipient = Recipient(email="t@example.org", name="Jo Rivera")
    catalog = load_catalog()
    di = issue_credential(catalog, "cultivating-a-shared-purpose", recipient, key, now=NOW, levels="Exemplary")
    jwt = issue_credential(catalog, "cultivating-a-shared-purpose", recipient, key, fmt="ob3-jwt", now=NOW)
    return {"di": dict(di.credential), "jwt": str(jwt.document)}


def _vector_documents() -> list[dict[str, Any]]:
    """JSON-LD credentials from the shared vectors, when they are next to the repository (optional)."""
    names = [
        "test-vectors/ob-v3p0-impl-guide/obv3p0/signed-credential.json",
        "test-vectors/ob-v3p0-impl-guide/clrv2p0/signed-credential.json",
        "test-vectors/vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json",
        "test-vectors/ob-v3p0-spec-rendered/embedded-proof/example-04-EndorsementCredential.json",
        "examples/ob-v3p0-spec/fullOpenBadge.json",
    ]
    out = []
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            doc = json.loads((VECTORS / name).read_text(encoding="utf-8"))
            if isinstance(doc, dict):
                out.append(doc)
    return out


@functools.cache
def _bases() -> tuple[str, ...]:
    """Base documents for the structure-aware targets, as JSON text (each run parses its own copy)."""
    return tuple(json.dumps(d) for d in [_issued()["di"], *_vector_documents()])


def _base(p: Provider, doc: Any) -> dict[str, Any]:
    if isinstance(doc, dict):
        return doc
    parsed: dict[str, Any] = json.loads(p.pick(_bases()))
    return parsed


# ----------------------------------------------------------------------------------------------------------------
# jsonld: both canonicalisation engines, the Data Integrity verify path and verify() on mutated credentials
# ----------------------------------------------------------------------------------------------------------------


def fuzz_jsonld(data: bytes) -> None:
    from openbadge_ctq.errors import BadgeError
    from openbadge_ctq.fastld import canonicalize_fast
    from openbadge_ctq.jsonld import DEFAULT_LOADER, canonicalize
    from openbadge_ctq.proofs import data_integrity
    from openbadge_ctq.verify import verify

    program, given = _split(data)
    p = Provider(program)
    doc = _base(p, given)
    _mutate(p, doc)
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    fast = canonicalize_fast(unsecured, loader=DEFAULT_LOADER)  # a str or None (declined); never raises
    reference: str | BadgeError
    try:
        reference = canonicalize(unsecured, engine="pyld")
    except BadgeError as exc:
        reference = exc
    if fast is not None:
        if isinstance(reference, BadgeError):
            raise AssertionError(f"fastld canonicalised a document the pyld path refuses ({reference.message})")
        if fast != reference:
            raise AssertionError(f"fastld and pyld disagree:\n--- fast\n{fast}\n--- pyld\n{reference}")
    try:
        public = canonicalize(unsecured)
    except BadgeError:
        public = None
    if public is not None and public != reference:
        raise AssertionError("canonicalize() differs from canonicalize(engine='pyld')")
    proofs = doc.get("proof")
    public_key = _keys()["ed"].public_key()
    for proof in (proofs if isinstance(proofs, list) else [proofs])[:2]:
        if isinstance(proof, dict):
            with contextlib.suppress(BadgeError):
                result = data_integrity.verify_proof(unsecured, proof, public_key)
                if not isinstance(result.valid, bool):
                    raise AssertionError("verify_proof returned a non-boolean verdict")
    _check_report(verify(doc, now=NOW), serialisable=_json_ok(doc))
    _check_canary()


CANARY: dict[str, Any] = {
    "@context": [VC2, OB3],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "canary",
    "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"type": ["Achievement"], "name": "n"}},
}


_CANARY_CALLS = [0]


@functools.cache
def _canary_expected() -> str:
    from openbadge_ctq.jsonld import canonicalize

    return canonicalize(CANARY, engine="pyld")


def _check_canary() -> None:
    """No input may change how a later, unrelated document canonicalises (state kept between calls, e.g. a
    shared context cache an input rewrote): a fixed document must keep its canonical form, and an undefined term
    in it must stay an error, with both engines."""
    from pyld import jsonld as pyld_jsonld

    from openbadge_ctq.errors import JsonLdError
    from openbadge_ctq.jsonld import canonicalize

    if len(pyld_jsonld._resolved_context_cache):  # F7: its @import handling rewrites cached contexts in place
        raise AssertionError("pyld's process-wide context cache is in use: one document can change later ones")
    _CANARY_CALLS[0] += 1
    if _CANARY_CALLS[0] % 16 != 1:  # four canonicalisations: not after every input
        return
    for engine in ("fast", "pyld"):
        if canonicalize(copy.deepcopy(CANARY), engine=engine) != _canary_expected():
            raise AssertionError(f"an earlier input changed how a fixed document canonicalises ({engine})")
        try:
            canonicalize({**copy.deepcopy(CANARY), "undefinedCanaryTerm": 1}, engine=engine)
        except JsonLdError:
            continue
        raise AssertionError(f"an earlier input made an undefined term acceptable ({engine})")


def _json_ok(value: Any) -> bool:
    try:
        json.dumps(value)
    except (ValueError, RecursionError):
        return False
    return True


# ----------------------------------------------------------------------------------------------------------------
# jws_structured: VC-JWTs with plausible headers, alg/key confusion, bad base64url and oversized parts
# ----------------------------------------------------------------------------------------------------------------

ALGS: list[Any] = ["EdDSA", "ES256", "RS256", "none", "None", "NONE", "HS256", "HS512", "ES384", "PS256", "RS512",
                   "", None, 0, ["EdDSA"], "eddsa", "EdDSA ", "Ed25519"]  # fmt: skip
_ALG_KEY = {"EdDSA": "ed", "ES256": "ec", "RS256": "rsa"}
_ABSENT = object()


@functools.cache
def _jwt_world() -> dict[str, Any]:
    """Keys, key identifiers and the documents a MapFetcher serves for them."""
    from openbadge_ctq.did import build_did_web_document
    from openbadge_ctq.interfaces import MapFetcher
    from openbadge_ctq.keys import did_key_from_public_key, public_key_to_jwk, public_key_to_multibase

    keys = _keys()
    pub = {name: key.public_key() for name, key in keys.items()}
    ed_did = did_key_from_public_key(pub["ed"])
    ec_did = did_key_from_public_key(pub["ec"])
    web = build_did_web_document(
        "did:web:example.org", [("key-ed", pub["ed"]), ("key-ec", pub["ec"]), ("key-rsa", pub["rsa"])]
    )
    controller = "https://issuer.example.org/issuer"
    docs = {
        "https://example.org/.well-known/did.json": json.dumps(web).encode(),
        "https://issuer.example.org/keys/rsa": json.dumps(public_key_to_jwk(pub["rsa"])).encode(),
        controller: json.dumps(
            {
                "id": controller,
                "verificationMethod": [
                    {
                        "id": controller + "#key-1",
                        "type": "Multikey",
                        "controller": controller,
                        "publicKeyMultibase": public_key_to_multibase(pub["ed"]),
                    }
                ],
                "assertionMethod": [controller + "#key-1"],
            }
        ).encode(),
        "https://issuer.example.org/deep": b"[" * 5000,
    }
    # kid → the key it resolves to (None: resolves to nothing usable)
    kids: list[tuple[Any, str | None]] = [
        (_ABSENT, None),
        (f"{ed_did}#{ed_did[8:]}", "ed"),
        (ed_did, "ed"),
        (f"{ec_did}#{ec_did[8:]}", "ec"),
        ("did:web:example.org#key-ed", "ed"),
        ("did:web:example.org#key-ec", "ec"),
        ("did:web:example.org#key-rsa", "rsa"),
        ("did:web:example.org#missing", None),
        ("did:web:example.org", None),
        (controller + "#key-1", "ed"),
        ("https://issuer.example.org/keys/rsa", "rsa"),
        ("https://issuer.example.org/deep#k", None),
        ("https://unknown.example/key#1", None),
        ("#key-1", None),
        ("", None),
        (123, None),
        (None, None),
        ("did:example:123#k", None),
        ("did:key:zzz", None),
        (f"{ed_did}#wrong", None),
    ]
    jwk_pub = {name: public_key_to_jwk(pub[name]) for name in ("ed", "ed2", "ec", "rsa")}
    private_ed = dict(jwk_pub["ed"], d=base64.urlsafe_b64encode(b"\x07" * 32).rstrip(b"=").decode())
    pem = _rsa_public_pem()
    jwks: list[tuple[Any, str | None]] = [
        (_ABSENT, None),
        (jwk_pub["ed"], "ed"),
        (jwk_pub["ec"], "ec"),
        (jwk_pub["rsa"], "rsa"),
        (jwk_pub["ed2"], "ed2"),
        (private_ed, None),
        ({"kty": "oct", "k": base64.urlsafe_b64encode(pem).rstrip(b"=").decode()}, None),
        ({"kty": "OKP", "crv": "X25519", "x": jwk_pub["ed"]["x"]}, None),
        ({"kty": "EC", "crv": "P-256", "x": jwk_pub["ec"]["x"], "y": jwk_pub["ed"]["x"]}, None),
        ({"kty": "EC", "crv": "P-384", "x": jwk_pub["ec"]["x"], "y": jwk_pub["ec"]["y"]}, None),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, None),
        ({"kty": "RSA", "n": jwk_pub["rsa"]["n"] + "=", "e": "AQAB"}, None),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 43}, None),
        ("not a jwk", None),
        ([], None),
        ({}, None),
    ]
    return {"fetcher": MapFetcher(docs), "kids": kids, "jwks": jwks, "pub": pub}


@functools.cache
def _rsa_public_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        _keys()["rsa"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encode_part(p: Provider, data: bytes) -> str:
    """base64url of ``data``, sometimes malformed: padded, standard alphabet, non-canonical, spaced, oversized."""
    text = _b64(data)
    how = p.int(0, 15)
    if how == 0:
        text = base64.urlsafe_b64encode(data).decode("ascii")
    elif how == 1:
        text = base64.b64encode(data).decode("ascii").rstrip("=")
    elif how == 2 and text and len(text) % 4:
        text = text[:-1] + p.pick("BCDEFGHIJKLMNOPQRSTUVWXYZbcdef")
    elif how == 3 and text:
        at = p.int(0, len(text))
        text = text[:at] + p.pick([" ", "\n", ".", "=", "*", "\u00e9"]) + text[at:]
    elif how == 4 and text:  # just past the header cap (16 KiB), or the whole-token cap (2 MiB), rarely
        size = p.pick([16 * 1024 + 4, 16 * 1024 + 4, 64 * 1024, 2 * 1024 * 1024 + 4])
        text = (text * (size // len(text) + 1))[:size]
    elif how == 5:
        text = text[: p.int(0, len(text))]
    return text


def _payload(p: Provider, given: Any) -> tuple[bytes, bool]:
    """The payload bytes, and whether they are the unmodified issued credential's claims."""
    from openbadge_ctq.proofs.vc_jwt import registered_claims

    mode = p.int(0, 7)
    base = given if isinstance(given, dict) else _issued()["di"]
    credential = {k: copy.deepcopy(v) for k, v in base.items() if k != "proof"}  # never mutate the cached one
    if mode <= 2:
        claims: dict[str, Any] = {}
        with contextlib.suppress(_errors()):
            claims = dict(registered_claims(credential))
        payload = {**credential, **claims}
        if mode == 1:
            payload = {"vc": credential, **claims}
        if mode == 2:
            for _ in range(p.int(1, 3)):
                payload[p.pick(["iss", "jti", "sub", "nbf", "exp", "iat", "aud", "vc"])] = _json_value(p)
        if p.int(0, 3) == 0:
            _mutate(p, payload, rounds=3)
        return _dumps(payload), False
    if mode == 3:
        return _dumps(_json_value(p)), False
    if mode == 4:
        return p.raw(64), False
    if mode == 5:  # deep nesting
        depth = p.pick([10, 64, 999, 1000, 3000, 100_000])
        return b"[" * depth + b"]" * depth if p.bool() else b'{"a":' * depth + b"1" + b"}" * depth, False
    if mode == 6:  # the library's own issued JWT payload
        token = _issued()["jwt"]
        return base64.urlsafe_b64decode(token.split(".")[1] + "=="), True
    return b"{}", False


def _sign(p: Provider, header: dict[str, Any], signing_input: bytes) -> tuple[bytes, str | None]:
    """A signature and the key that made it with the header's alg (None: not a valid signature by any key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    keys = _keys()
    alg = header.get("alg")
    mode = p.int(0, 9)
    if mode <= 2:  # with the key that fits the alg (or a second key of that type)
        name = _ALG_KEY.get(alg) if isinstance(alg, str) else None
        if name is None:
            return p.raw(80), None
        if name == "ed" and mode == 2:
            name = "ed2"
        key = keys[name]
        if name in ("ed", "ed2"):
            return key.sign(signing_input), name
        if name == "ec":
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big"), "ec"
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()), "rsa"
    if mode == 3:  # alg/key confusion: an Ed25519 signature whatever the alg says
        return keys["ed"].sign(signing_input), "ed" if alg == "EdDSA" else None
    if mode == 4:  # HS256 with the RSA public key as the secret
        return hmac.new(_rsa_public_pem(), signing_input, hashlib.sha256).digest(), None
    if mode == 5:  # a DER ECDSA signature (not JOSE's raw r||s)
        return keys["ec"].sign(signing_input, ec.ECDSA(hashes.SHA256())), None
    if mode == 6:  # an RSA key below 2048 bits
        return keys["rsa1024"].sign(signing_input, padding.PKCS1v15(), hashes.SHA256()), None
    if mode == 7:  # P-384 where P-256 is required
        r, s = decode_dss_signature(keys["ec384"].sign(signing_input, ec.ECDSA(hashes.SHA384())))
        return r.to_bytes(48, "big") + s.to_bytes(48, "big"), None
    if mode == 8:
        return b"", None
    return p.raw(600), None


def _jwt(p: Provider, given: Any) -> tuple[str, str | None, bytes]:
    """A compact JWS, the name of the key that validly signed it (None when nothing should verify) and the
    signature bytes (the signature part may be mangled on the way into the token)."""
    world = _jwt_world()
    header: dict[str, Any] = {}
    if p.int(0, 7):
        header["alg"] = p.pick(ALGS)
    typ = p.pick([_ABSENT, "JWT", "vc+jwt", "vc+ld+jwt", "JOSE", "jwt", None, 1])
    if typ is not _ABSENT:
        header["typ"] = typ
    kid, _ = p.pick(world["kids"])
    if kid is not _ABSENT:
        header["kid"] = kid
    jwk, _ = p.pick(world["jwks"])
    if jwk is not _ABSENT:
        header["jwk"] = jwk
    if p.int(0, 5) == 0:
        header[p.pick(["crit", "b64", "x5u", "jku", "x5c", "cty", "zip", "enc"])] = _json_value(p, 3)
    header_mode = p.int(0, 11)
    if header_mode == 0:  # deeply nested JSON where the header object belongs
        depth = p.pick([10, 999, 1000, 3000, 12_000])
        header_bytes = b"[" * depth + b"]" * depth
    elif header_mode == 1:
        header_bytes = p.raw(40)
    elif header_mode == 2:
        header_bytes = json.dumps(header).encode() + b" " * p.pick([1, 20_000])
    else:
        header_bytes = json.dumps(header).encode()
    payload, _ = _payload(p, given)
    h64 = _encode_part(p, header_bytes)
    p64 = _encode_part(p, payload)
    signing_input = f"{h64}.{p64}".encode("ascii", "replace")
    signature, signer = _sign(p, header, signing_input)
    parts = [h64, p64, _encode_part(p, signature)]
    shape = p.int(0, 11)
    if shape == 0:
        parts = parts[:2]
    elif shape == 1:
        parts.append(parts[2])
    elif shape == 2:
        parts = [" " + parts[0], *parts[1:-1], parts[-1] + "\n"]
    return ".".join(parts), signer, signature


def fuzz_jws_structured(data: bytes) -> None:
    from openbadge_ctq.errors import BadgeError
    from openbadge_ctq.keys import public_key_to_jwk
    from openbadge_ctq.proofs.jws import alg_for_key, decode_compact, verify_signature
    from openbadge_ctq.proofs.vc_jwt import claim_problems, parse_jwt
    from openbadge_ctq.verify import Status, verify
    from openbadge_ctq.verify.resolve import resolve_jwt_key

    program, given = _split(data)
    p = Provider(program)
    token, signer, signature = _jwt(p, given)
    world = _jwt_world()
    with contextlib.suppress(BadgeError):
        decode_compact(token).payload_json()
    try:
        parsed = parse_jwt(token)
    except BadgeError:
        parsed = None
    legit = False
    if parsed is not None:
        claim_problems(parsed)
        try:
            key = resolve_jwt_key(parsed.jws.header, world["fetcher"])
        except BadgeError:
            key = None
        if key is not None:
            ok = verify_signature(parsed.jws, key.key)
            if not isinstance(ok, bool):
                raise AssertionError("verify_signature returned a non-boolean")
            signer_pub = world["pub"].get(signer) if signer else None
            legit = signer_pub is not None and public_key_to_jwk(signer_pub) == public_key_to_jwk(key.key)
            legit = legit and parsed.jws.signature == signature
            legit = legit and parsed.jws.header.get("alg") == alg_for_key(key.key)
            if ok and not legit:
                raise AssertionError(f"a JWS verified that no key of its alg signed: header {parsed.jws.header}")
            if legit and not ok:
                raise AssertionError(f"a valid JWS did not verify: header {parsed.jws.header}")
    report = verify(token, fetcher=world["fetcher"], now=NOW)
    _check_report(report)
    proof = report.check("proof")
    if proof is not None and proof.status is Status.PASS and not legit:
        raise AssertionError(f"verify() passed the proof of a JWS no key of its alg signed: {proof.message}")


# ----------------------------------------------------------------------------------------------------------------
# web_forms: the Starlette app through TestClient; any exception or 5xx answer is a bug
# ----------------------------------------------------------------------------------------------------------------

CREDENTIAL_URL = "https://badges.example.org/credentials/1"
JWT_URL = "https://badges.example.org/credentials/2"
LINKS = [
    CREDENTIAL_URL,
    JWT_URL,
    "https://badges.example.org/deep",
    "https://unknown.example/x",
    "http://127.0.0.1/x",
    "javascript:alert(1)",
    "https://",
]
ODD_JSON = [  # escapes that decode to lone surrogates, huge numbers, duplicate keys, BOMs
    b'{"name": "\\ud800"}',
    b'{"verifiableCredential": {"type": ["\\udfff"]}}',
    b'{"verifiableCredential": "\\ud800.e30.AA"}',
    b'{"a": 1e999999}',
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"id": 1, "id": 2}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
]


@functools.cache
def _web() -> dict[str, Any]:
    from starlette.testclient import TestClient

    from openbadge_ctq.bake import bake_png, bake_svg
    from openbadge_ctq.interfaces import ChainFetcher, MapFetcher
    from openbadge_ctq.web import Settings, create_app

    for noisy in ("multipart", "python_multipart", "python_multipart.multipart", "httpx"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    issued = _issued()
    docs = {
        CREDENTIAL_URL: json.dumps(issued["di"]).encode(),
        JWT_URL: issued["jwt"].encode(),
        "https://badges.example.org/deep": b"[" * 3000,
        "https://badges.example.org/png": b"",
    }
    fetcher = ChainFetcher((MapFetcher(docs), _jwt_world()["fetcher"]))
    settings = Settings(
        fetcher_factory=lambda: fetcher,
        clock=lambda: NOW,
        rate_per_minute=1e9,
        rate_burst=10**9,
        max_upload_bytes=512 * 1024,
        max_batch_rows=8,
    )
    client = TestClient(create_app(settings), raise_server_exceptions=True, base_url="https://testserver")
    page = client.get("/verify")
    token = page.cookies.get("badge_csrf") or client.cookies.get("badge_csrf") or ""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    png = _tiny_png()
    return {
        "client": client,
        "csrf": token,
        "png": bake_png(png, json.dumps(issued["di"])),
        "svg": bake_svg(svg, issued["jwt"]),
        "plain_png": png,
    }


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def _source(p: Provider, given: Any) -> bytes:
    """Something a person might submit: a credential (maybe mutated), a JWT, a baked image, a URL, junk."""
    web = _web()
    kind = p.int(0, 11)
    if kind in (0, 1):
        doc = copy.deepcopy(given) if isinstance(given, dict) else copy.deepcopy(_issued()["di"])
        if kind == 1:
            _mutate(p, doc, rounds=3)
        return _dumps(doc)
    if kind == 2:
        return _jwt(p, given)[0].encode("utf-8", "replace")
    if kind == 3:
        return bytes(web["png"])
    if kind == 4:
        return bytes(web["svg"])
    if kind == 5:
        return str(p.pick(LINKS)).encode()
    if kind == 6:  # deep nesting
        depth = p.pick([64, 65, 1000, 5000, 100_000])
        return b"[" * depth + b"]" * depth if p.bool() else b'{"verifiableCredential":' * depth + b"1" + b"}" * depth
    if kind == 7:
        return bytes(p.pick(ODD_JSON))
    if kind == 8:
        return bytes(web["plain_png"])
    return p.raw(300)


def _multipart(p: Provider, fields: dict[str, str], file: tuple[str, bytes, str] | None) -> tuple[bytes, bytes]:
    boundary = p.pick(["fuzzboundary", "x", "a" * 70, "--", "ü"])
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode("utf-8", "replace"),
        ]
    if file is not None:
        filename, content, ctype = file
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="file"; filename="{filename}"'.encode("utf-8", "replace"),
            f"Content-Type: {ctype}".encode("utf-8", "replace"),
            b"",
            content,
        ]
    if p.int(0, 7):
        lines.append(f"--{boundary}--".encode())
    body = b"\r\n".join(lines) + b"\r\n"
    if p.int(0, 9) == 0:
        body = body[: p.int(0, len(body))]
    ctype = p.pick(
        [
            f"multipart/form-data; boundary={boundary}",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            f'multipart/form-data; boundary="{boundary}"; charset=latin-1',
        ]
    )
    return body, ctype.encode("utf-8")


def _csv(p: Provider) -> bytes:
    rows = [p.pick(["url", "url,recipient", "credential,recipient", "name,email", ""])]
    for _ in range(p.int(0, 10)):
        cell = p.pick(
            [
                CREDENTIAL_URL,
                JWT_URL,
                "https://unknown.example/x",
                '"quoted, url"',
                '"unterminated',
                "a\rb",
                "\x00",
                "x" * 140_000,
                p.text(30),
                "{}",
                _issued()["jwt"],
            ]
        )
        recipient = p.pick(["", ",t@example.org", ",other@example.org", ",\ud800", ',"a""b"'])
        rows.append(cell + recipient)
    return "\n".join(rows).encode("utf-8", p.pick(["replace", "surrogatepass"]))


def fuzz_web_forms(data: bytes) -> None:
    web = _web()
    client = web["client"]
    program, given = _split(data)
    p = Provider(program)
    csrf = p.pick([web["csrf"], web["csrf"], web["csrf"], "", "x" * 20, "\u00e9" * 30])
    form_csrf = csrf if p.int(0, 3) else p.pick(["", "wrong-token-wrong-token"])
    accept = p.pick(["", "application/json", "text/html", "*/*", "application/ld+json, text/html", "+json"])
    headers: dict[str, bytes] = {"accept": accept.encode()} if accept else {}
    if csrf:  # header values go out as bytes: httpx refuses non-ASCII text, a browser may still send it
        headers["cookie"] = b"badge_csrf=" + csrf.encode("utf-8")
    query = p.pick(["", "?format=json", "?recipient=t@example.org", "?recipient=%ED%A0%80", "?format=csv"])
    endpoint = p.int(0, 7)
    if endpoint == 0:  # pasted JSON / text body
        ctype = p.pick(
            [
                "application/json",
                "application/ld+json",
                "application/vc+ld+json",
                "text/plain",
                "text/plain; charset=utf-8",
                "application/json; charset=latin-1",
            ]
        )
        response = client.post(
            "/verify" + query, content=_source(p, given), headers={**headers, "content-type": ctype.encode()}
        )
    elif endpoint in (1, 2):  # the form: pasted text and/or an uploaded file
        fields = {"csrf_token": form_csrf, "recipient": p.pick(["", "t@example.org", "did:key:z", "x" * 400])}
        if p.bool():
            fields["credential"] = _source(p, given).decode("utf-8", "replace")
        file = None
        if endpoint == 2 or p.bool():
            filename = p.pick(["badge.png", "", "../../etc/passwd", "a\u0000b.svg", "\ud800.json", "x" * 300])
            file = (filename, _source(p, given), p.pick(["image/png", "image/svg+xml", "application/json", ""]))
        body, ctype = _multipart(p, fields, file)
        response = client.post("/verify" + query, content=body, headers={**headers, "content-type": ctype})
    elif endpoint == 3:  # url-encoded form
        form = {"csrf_token": form_csrf, "credential": _source(p, given).decode("utf-8", "replace")}
        if p.bool():
            form["recipient"] = p.pick(["t@example.org", "", "\u00e9"])
        response = client.post("/verify" + query, data=form, headers=headers)
    elif endpoint == 4:  # batch CSV
        fields = {"csrf_token": form_csrf, "format": p.pick(["csv", "json", "html", "", "xml"])}
        content = _csv(p) if p.int(0, 3) else p.raw(300)
        body, ctype = _multipart(p, fields, (p.pick(["batch.csv", ""]), content, "text/csv"))
        response = client.post("/verify/batch" + query, content=body, headers={**headers, "content-type": ctype})
    elif endpoint == 5:  # VC API verify
        shape = p.int(0, 3)
        if shape == 0:
            content = _source(p, given)
        else:
            source = _source(p, given)
            try:
                credential: Any = json.loads(source)
            except (ValueError, RecursionError):
                credential = source.decode("utf-8", "replace")
            body_doc = {"verifiableCredential": credential} if shape < 3 else {"verifiableCredential": [credential]}
            if p.bool():
                body_doc["options"] = _json_value(p, 2)
            content = _dumps(body_doc)
        response = client.post(
            "/credentials/verify", content=content, headers={**headers, "content-type": b"application/json"}
        )
    elif endpoint == 6:  # VC API presentations
        vp: dict[str, Any] = {"@context": [VC2], "type": ["VerifiablePresentation"]}
        if p.bool():
            vp["verifiableCredential"] = [_issued()["di"], _issued()["jwt"]][: p.int(0, 2)]
        if p.bool():
            vp["proof"] = {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "proofPurpose": "authentication",
                "verificationMethod": p.pick([k for k, _ in _jwt_world()["kids"] if isinstance(k, str)]),
                "proofValue": "z" + "1" * p.int(0, 90),
                "challenge": "c",
            }
        for _ in range(p.int(0, 2)):
            _mutate(p, vp, rounds=2)
        body_doc = {"verifiablePresentation": vp, "options": {"challenge": "c"} if p.bool() else _json_value(p, 2)}
        response = client.post(
            "/presentations/verify", content=_dumps(body_doc), headers={**headers, "content-type": b"application/json"}
        )
    else:  # GET with a link
        url = (
            _source(p, given).decode("utf-8", "replace")[:5000]
            if p.int(0, 3) == 0
            else p.pick([CREDENTIAL_URL, JWT_URL])
        )
        response = client.get("/verify", params={"url": url, "format": p.pick(["json", "html", ""])}, headers=headers)
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code} from the web service: {response.text[:500]}")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "verify": _tolerating_known(fuzz_verify),
    "unbake_png": fuzz_unbake_png,
    "unbake_svg": fuzz_unbake_svg,
    "jws": fuzz_jws,
    "parse_json": fuzz_parse_json,
    "status_list": fuzz_status_list,
    "did_document": fuzz_did_document,
    "jsonld": _tolerating_known(fuzz_jsonld),
    "jws_structured": _tolerating_known(fuzz_jws_structured),
    "web_forms": _tolerating_known(fuzz_web_forms),
}


def _warm(name: str) -> None:
    """Build the fixed keys, issued credentials and the app once, before fuzzing starts (not per input)."""
    if name in ("jsonld", "jws_structured", "web_forms"):
        _bases()
        _jwt_world()
        _canary_expected()
    if name == "web_forms":
        _web()


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        print("targets: " + ", ".join(TARGETS))
        raise SystemExit(0 if len(sys.argv) > 1 and sys.argv[1] == "list" else 2)
    import atheris

    name = sys.argv[1]
    with atheris.instrument_imports(include=["openbadge_ctq"]):
        import openbadge_ctq.bake
        import openbadge_ctq.did
        import openbadge_ctq.fastld
        import openbadge_ctq.jsonld
        import openbadge_ctq.proofs.data_integrity
        import openbadge_ctq.proofs.jws
        import openbadge_ctq.proofs.vc_jwt
        import openbadge_ctq.status
        import openbadge_ctq.verify
        import openbadge_ctq.verify.sniff

        if name == "web_forms":
            import openbadge_ctq.batch
            import openbadge_ctq.web  # noqa: F401
    _warm(name)
    # libFuzzer re-runs argv[0] through the shell for -minimize_crash, -merge and -jobs: make that this command
    argv0 = " ".join(shlex.quote(part) for part in (sys.executable, str(Path(__file__).resolve()), name))
    atheris.Setup([argv0, *sys.argv[2:]], TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
