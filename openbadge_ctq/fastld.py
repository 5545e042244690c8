"""Fast JSON-LD → RDFC-1.0 canonical N-Quads for the JSON shapes of OB 3.0 / CLR 2.0 / VC 2.0 documents.

:func:`canonicalize_fast` returns exactly what the pyld path (:func:`openbadge_ctq.jsonld.canonicalize`) returns, or
``None`` to *decline*: the caller then falls back to pyld, which also raises the safe-mode errors. It declines on
anything it does not fully handle, and on every safe-mode violation (undefined or dropped term, relative IRI,
keyword other than ``@id``/``@type``, embedded ``@context``, language maps, ``@json``, ``@reverse``, …).

How it is fast:

1. **Compiled contexts.** The context URLs of a document are resolved through its :class:`ContextLoader` and
   processed once into an immutable active context (a port of pyld 3.3's context processing, term by term, so
   protected-term and IRI-expansion rules match it exactly). Compiled contexts are cached by the URL tuple and the
   identity of the context documents the loader served (never by serialising JSON), so bundled contexts are shared
   by every loader, and a caller's own copies are cached as long as the cache pins them. Type- and
   property-scoped contexts are derived lazily and memoised on the context they extend; so are term lookups.
2. **Expansion straight to quads.** One walk over the JSON mirrors pyld's expansion (type-scoped contexts that do
   not propagate, property-scoped contexts, ``@protected``, ``@id``/``@vocab``/datatype coercion, ``@list`` and
   ``@graph`` containers), its node map (blank nodes, merging of nodes with the same ``@id``, pyld's rules for
   duplicate values) and its toRdf (native numbers and booleans, canonical doubles) — without building the
   expanded document.
3. **RDFC-1.0** (URDNA2015) in pure Python over pre-serialised N-Quads terms, byte-compatible with pyld's
   serialiser (same escaping: ``\\``, ``\\t``, ``\\n``, ``\\r``, ``"`` only) and hashing, including the
   hash-N-degree-quads algorithm for blank nodes that share a first-degree hash.

pyld itself is never imported here (only :mod:`openbadge_ctq.jsonld` may); the port was checked against pyld by
``tests/unit/test_fastld.py``.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from .errors import JsonLdError

if TYPE_CHECKING:
    from .jsonld import ContextLoader

__all__ = ["MAX_HASH_WORK", "canonicalize_fast", "clear_caches"]

ISSUER_DEPENDENT: Final = "https://www.w3.org/ns/credentials/issuer-dependent#"
_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XSD: Final = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING: Final = _XSD + "string"
_XSD_BOOLEAN: Final = _XSD + "boolean"
_XSD_INTEGER: Final = _XSD + "integer"
_XSD_DOUBLE: Final = _XSD + "double"
_RDF_TYPE: Final = _RDF + "type"
_TYPE_TOKEN: Final = "<" + _RDF_TYPE + ">"
_FIRST_TOKEN: Final = "<" + _RDF + "first>"
_REST_TOKEN: Final = "<" + _RDF + "rest>"
_NIL_TOKEN: Final = "<" + _RDF + "nil>"

# pyld 3.3 constants and checks, reproduced exactly (jsonld.py: KEYWORDS, KEYWORD_PATTERN, _is_absolute_iri)
_KEYWORDS: Final = frozenset(
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@first", "@graph",
        "@id", "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault",
        "@propagate", "@protected", "@preserve", "@requireAll", "@reverse", "@set", "@type", "@value",
        "@version", "@vocab",
    }
)  # fmt: skip
_KEYWORD_RE: Final = re.compile(r"^@[a-zA-Z]+$")
_PYLD_ABSOLUTE_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
# what we emit must be absolute for pyld *and* have no trailing newline (pyld's "$" allows one)
_ABSOLUTE_RE: Final = re.compile(r"(?:[A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*")
_IRI_LIKE_TERM_RE: Final = re.compile(r".*((:[^:])|/)")
_GEN_DELIM_END_RE: Final = re.compile(r".*[:/\?#\[\]@]$")
_PREFIX_TERM_RE: Final = re.compile(r".*(:|/)")
_VALID_TERM_KEYS: Final = frozenset(
    {"@container", "@id", "@language", "@reverse", "@type", "@context", "@direction", "@index", "@nest",
     "@prefix", "@protected"}
)  # fmt: skip
_VALID_CONTAINERS: Final = ("@list", "@set", "@index", "@language", "@graph", "@id", "@type")
_DOUBLE_RE: Final = re.compile(r"(\d)0*E\+?(-)?0*(\d)")

MAX_CONTEXT_URLS: Final = 10  # pyld's ContextResolver limit
_MEMO_LIMIT: Final = 4096  # per active context: term lookups
_DERIVED_LIMIT: Final = 256  # per active context: scoped contexts derived from it
_COMPILED_LIMIT: Final = 64  # top-level context sets
MAX_HASH_WORK: Final = 100_000
"""RDFC-1.0 poison-graph guard: the most Hash N-Degree Quads work one canonicalisation may do, counted as
1 + the blank node's quads per call and 1 + the issued identifiers per issuer copy (one per permutation). Blank
nodes that share a first-degree hash (e.g. a clique of blank nodes linked by ``"id": "_:x"``) make the work grow
factorially; a credential with a handful of identical sibling objects needs a few hundred units."""
TOO_COMPLEX: Final = (
    f"the document's blank nodes are too interlinked to canonicalise (RDFC-1.0 work limit of {MAX_HASH_WORK} exceeded)"
)


class _Decline(Exception):
    """Internal: the fast path does not handle this input; the caller falls back to pyld."""


class _Absent:
    """Sentinel type for "no such entry"."""


_ABSENT: Final = _Absent()

# --------------------------------------------------------------------------------------------------------------
# Active contexts (a port of pyld 3.3's context processing, restricted to what this module supports)
# --------------------------------------------------------------------------------------------------------------

# property kinds in _Ctx.props
_P_ID: Final = 0
_P_TYPE: Final = 1
_P_PLAIN: Final = 2
_P_LIST: Final = 3
_P_GRAPH: Final = 4
# how a string value is coerced
_C_NONE: Final = 0
_C_ID: Final = 1
_C_VOCAB: Final = 2
_C_DATATYPE: Final = 3
_C_LANGUAGE: Final = 4  # language- or direction-tagged strings: declined

# (kind, predicate token, term context, string coercion, datatype) — datatype: the coerced datatype IRI or None
_PropInfo = tuple[int, str, "_Ctx", int, "str | None"]


class _Ctx:
    """An active context: pyld-shaped term definitions plus memo tables for everything derived from it."""

    __slots__ = ("aliases", "derived", "ids", "mappings", "previous", "props", "typed", "types", "vocab")

    def __init__(self, mappings: dict[str, dict[str, Any]], vocab: str | None, previous: _Ctx | None) -> None:
        self.mappings = mappings
        self.vocab = vocab
        self.previous = previous
        self.derived: dict[tuple[Any, ...], tuple[Any, _Ctx]] = {}
        self.props: dict[str, _PropInfo | None] = {}
        self.types: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.typed: dict[Any, tuple[_Ctx, tuple[str, ...]]] = {}
        self.aliases: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def clone(self) -> _Ctx:
        return _Ctx(dict(self.mappings), self.vocab, self.previous)


_INITIAL: Final = _Ctx({}, None, None)


def _pyld_absolute(value: Any) -> bool:
    return isinstance(value, str) and _PYLD_ABSOLUTE_RE.match(value) is not None


def _expand_iri(
    active: _Ctx,
    value: Any,
    *,
    vocab: bool = False,
    document_relative: bool = False,
    local: dict[str, Any] | None = None,
    defined: dict[str, Any] | None = None,
) -> Any:
    """pyld ``_expand_iri``; where pyld would resolve against a base IRI, raise _Decline (or, without a base,
    return the value unchanged, as pyld does)."""
    if value is None or not isinstance(value, str) or value in _KEYWORDS:
        return value
    if _KEYWORD_RE.match(value):
        return None
    if local and value in local and defined is not None and defined.get(value) is not True:
        _create_term(active, local, value, defined)
    if vocab and value in active.mappings:
        return active.mappings[value]["@id"]
    colon = value.find(":")
    if colon > 0:
        prefix = value[:colon]
        suffix = value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        if local and prefix in local and defined is not None and not defined.get(prefix):
            _create_term(active, local, prefix, defined)
        mapping = active.mappings.get(prefix)
        if mapping and mapping["_prefix"]:
            base = mapping["@id"]
            if not isinstance(base, str):
                raise _Decline
            return base + suffix
        if _pyld_absolute(value):
            return value
    if vocab and active.vocab is not None:
        return active.vocab + value
    if document_relative:
        raise _Decline
    return value


def _create_term(
    active: _Ctx, local: dict[str, Any], term: str, defined: dict[str, Any], override_protected: bool = False
) -> None:
    """pyld ``_create_term_definition``. Every pyld error (and every warning) becomes _Decline."""
    if term in defined:
        if defined[term]:
            return
        raise _Decline  # cyclic definition
    defined[term] = False
    value = local.get(term)
    if term == "@type" and isinstance(value, dict) and value.get("@container", "@set") == "@set":
        if not value or any(k not in ("@container", "@id", "@protected") for k in value):
            raise _Decline
    elif term in _KEYWORDS or _KEYWORD_RE.match(term) or term == "":
        raise _Decline  # keyword redefinition / reserved (pyld warns) / empty term
    previous = active.mappings.pop(term, None)
    value = local[term]
    simple = False
    if isinstance(value, str) or value is None:
        simple = True
        value = {"@id": value}
    if not isinstance(value, dict):
        raise _Decline
    mapping: dict[str, Any] = {"reverse": False, "protected": False, "_prefix": False}
    if any(kw not in _VALID_TERM_KEYS for kw in value):
        raise _Decline
    colon = term.find(":")
    mapping["_term_has_colon"] = colon > 0
    if "@reverse" in value:
        raise _Decline  # not supported here
    if "@id" in value:
        id_ = value["@id"]
        if id_ is None:
            mapping["@id"] = None
        elif not isinstance(id_, str):
            raise _Decline
        elif id_ not in _KEYWORDS and _KEYWORD_RE.match(id_):
            raise _Decline  # pyld warns and ignores the term
        elif id_ != term:
            id_ = _expand_iri(active, id_, vocab=True, local=local, defined=defined)
            if not (_pyld_absolute(id_) or id_ in _KEYWORDS):
                raise _Decline
            if _IRI_LIKE_TERM_RE.match(term):
                updated = dict(defined)
                updated[term] = True
                if _expand_iri(active, term, vocab=True, local=local, defined=updated) != id_:
                    raise _Decline
            mapping["@id"] = id_
            mapping["_prefix"] = (
                simple
                and not mapping["_term_has_colon"]
                and (id_.startswith("_:") or _GEN_DELIM_END_RE.match(id_) is not None)
            )
    if "@id" not in mapping:
        if mapping["_term_has_colon"]:
            prefix = term[:colon]
            if prefix in local:
                _create_term(active, local, prefix, defined)
            parent = active.mappings.get(prefix)
            if parent is not None:
                if not isinstance(parent["@id"], str):
                    raise _Decline
                mapping["@id"] = parent["@id"] + term[colon + 1 :]
            else:
                mapping["@id"] = term
        elif term == "@type":
            mapping["@id"] = term
        else:
            if active.vocab is None:
                raise _Decline
            mapping["@id"] = active.vocab + term
    if value.get("@protected") or (defined.get("@protected") and value.get("@protected", True)):
        mapping["protected"] = True
    if "@type" in value:
        type_ = value["@type"]
        if not isinstance(type_, str):
            raise _Decline
        if type_ not in ("@json", "@none", "@id", "@vocab"):
            type_ = _expand_iri(active, type_, vocab=True, local=local, defined=defined)
            if not _pyld_absolute(type_) or type_.startswith("_:"):
                raise _Decline
        mapping["@type"] = type_
    if "@container" in value:
        container = value["@container"]
        container = container if isinstance(container, list) else [container]
        has_set = "@set" in container
        is_valid = True
        if "@list" in container:
            if len(container) != 1:
                raise _Decline
        elif "@graph" in container:
            if any(kw not in ("@graph", "@id", "@index", "@set") for kw in container):
                raise _Decline
        else:
            is_valid = len(container) <= (2 if has_set else 1)
        if "@type" in container:
            if not mapping.get("@type"):
                mapping["@type"] = "@id"
            if mapping["@type"] not in ("@id", "@vocab"):
                raise _Decline
        is_valid = is_valid and all(kw in _VALID_CONTAINERS for kw in container)
        if not is_valid or (has_set and "@list" in container):
            raise _Decline
        mapping["@container"] = container
    if "@index" in value:
        index = value["@index"]
        if "@container" not in value or "@index" not in mapping["@container"]:
            raise _Decline
        if not isinstance(index, str) or index.startswith("@"):
            raise _Decline
        mapping["@index"] = index
    if "@context" in value:
        mapping["@context"] = False if value["@context"] is None else value["@context"]
    if "@language" in value and "@type" not in value:
        language = value["@language"]
        if language is not None and not isinstance(language, str):
            raise _Decline
        mapping["@language"] = language.lower() if isinstance(language, str) else None
    if "@prefix" in value:
        if _PREFIX_TERM_RE.match(term) or mapping["@id"] in _KEYWORDS or not isinstance(value["@prefix"], bool):
            raise _Decline
        mapping["_prefix"] = value["@prefix"]
    if "@direction" in value:
        direction = value["@direction"]
        if direction and direction not in ("ltr", "rtl"):
            raise _Decline
        mapping["@direction"] = direction
    if "@nest" in value:
        nest = value["@nest"]
        if not isinstance(nest, str) or not nest or (nest != "@nest" and nest[0] == "@"):
            raise _Decline
        mapping["@nest"] = nest
    if mapping["@id"] in ("@context", "@preserve"):
        raise _Decline
    if previous is not None and previous["protected"] and not override_protected:
        mapping["protected"] = True
        if previous != mapping:
            raise _Decline  # protected term redefinition
    active.mappings[term] = mapping
    defined[term] = True


def _resolve_embedded(local: Any) -> list[dict[str, Any] | bool]:
    """pyld ``ContextResolver.resolve`` for a context embedded in a context (scoped): objects and nulls only."""
    if isinstance(local, dict) and "@context" in local:
        local = local["@context"]
    out: list[dict[str, Any] | bool] = []
    for item in local if isinstance(local, list) else [local]:
        if item is None or item is False:
            out.append(False)
        elif isinstance(item, dict):
            out.append(item)
        else:
            raise _Decline  # remote scoped contexts (URL strings) are left to pyld
    return out


def _process(
    active: _Ctx,
    local: Any,
    *,
    override_protected: bool = False,
    propagate: bool = True,
    resolved: list[dict[str, Any] | bool] | None = None,
) -> _Ctx:
    """pyld ``_process_context``. ``resolved``: the already-resolved list for top-level context URLs."""
    if resolved is None:
        if isinstance(local, dict) and isinstance(local.get("@context"), list):
            local = local["@context"]
        ctxs: list[Any] = local if isinstance(local, list) else [local]
        if not ctxs:
            return active
        resolved = _resolve_embedded(local)
    else:
        ctxs = local
    if not resolved:
        raise _Decline  # pyld fails on a context URL that resolves to nothing (IndexError)
    first = resolved[0]
    if isinstance(first, dict) and isinstance(first.get("@propagate"), bool):
        head = ctxs[0]
        if not isinstance(head, dict) or "@propagate" not in head:
            raise _Decline  # pyld fails here (it reads @propagate from the unresolved entry)
        propagate = head["@propagate"]
    rval = active
    if not propagate and rval.previous is None:
        rval = rval.clone()
        rval.previous = active
    for ctx in resolved:
        if ctx is False:
            if not override_protected and any(m.get("protected") for m in rval.mappings.values()):
                raise _Decline  # invalid context nullification
            rval = _INITIAL
            continue
        assert isinstance(ctx, dict)
        if "@context" in ctx:
            ctx = ctx["@context"]
            if not isinstance(ctx, dict):
                raise _Decline
        rval = rval.clone()
        defined: dict[str, Any] = {}
        if "@version" in ctx:
            if ctx["@version"] != 1.1:
                raise _Decline
            defined["@version"] = True
        if any(k in ctx for k in ("@import", "@base", "@language", "@direction")):
            raise _Decline  # not supported here
        if "@vocab" in ctx:
            vocab = ctx["@vocab"]
            if vocab is None:
                if rval.vocab is None:
                    raise _Decline  # pyld raises KeyError
                rval.vocab = None
            else:
                if not isinstance(vocab, str):
                    raise _Decline
                expanded = _expand_iri(rval, vocab, vocab=True, document_relative=True)
                if not isinstance(expanded, str):
                    raise _Decline
                rval.vocab = expanded
            defined["@vocab"] = True
        if "@propagate" in ctx:
            if not isinstance(ctx["@propagate"], bool):
                raise _Decline
            defined["@propagate"] = True
        defined["@protected"] = ctx.get("@protected", False)
        defined["_uuid"] = True  # pyld's own bookkeeping key: a term named "_uuid" is skipped
        for key, value in ctx.items():
            _create_term(rval, ctx, key, defined, override_protected)
            if isinstance(value, dict) and "@context" in value:
                scoped = value["@context"]
                if isinstance(scoped, str):
                    raise _Decline
                # pyld validates every scoped context against the context built so far; so do we (uncached)
                _process(rval, scoped, override_protected=True)
    return rval


def _derive(ctx: _Ctx, local: Any, *, override_protected: bool, propagate: bool) -> _Ctx:
    """``_process`` memoised on ``ctx`` (keyed by the identity of the scoped context, which the entry pins)."""
    key = (id(local), override_protected, propagate)
    hit = ctx.derived.get(key)
    if hit is not None and hit[0] is local:
        return hit[1]
    result = _process(ctx, local, override_protected=override_protected, propagate=propagate)
    if len(ctx.derived) < _DERIVED_LIMIT:
        ctx.derived[key] = (local, result)
    return result


def _vocab_iri(ctx: _Ctx, value: str) -> Any:
    """Vocabulary-relative IRI expansion of a document key or type, without a base (pyld's behaviour for keys)."""
    return _expand_iri(ctx, value, vocab=True)


def _prop_info(ctx: _Ctx, key: str) -> _PropInfo | None:
    """What a document key means in ``ctx`` (memoised). None: declined."""
    try:
        return ctx.props[key]
    except KeyError:
        pass
    info: _PropInfo | None
    try:
        info = _compute_prop_info(ctx, key)
    except _Decline:
        info = None
    if len(ctx.props) < _MEMO_LIMIT:
        ctx.props[key] = info
    return info


def _compute_prop_info(ctx: _Ctx, key: str) -> _PropInfo:
    expanded = _vocab_iri(ctx, key)
    if expanded == "@id":
        return (_P_ID, "", ctx, _C_NONE, None)
    if expanded == "@type":
        return (_P_TYPE, "", ctx, _C_NONE, None)
    if not isinstance(expanded, str) or not _ABSOLUTE_RE.fullmatch(expanded):
        raise _Decline  # dropped term (safe mode), relative IRI or another keyword
    if expanded.startswith(("_:", ISSUER_DEPENDENT)) or expanded == _RDF_TYPE:
        raise _Decline
    mapping = ctx.mappings.get(key)
    term_ctx = ctx
    if mapping is None:
        return (_P_PLAIN, "<" + expanded + ">", ctx, _C_NONE, None)
    scoped = mapping.get("@context", _ABSENT)
    if scoped is not _ABSENT:
        term_ctx = _derive(ctx, scoped, override_protected=True, propagate=True)
        if term_ctx.mappings.get(key) != mapping:
            raise _Decline  # the scoped context redefines its own term
    if mapping["reverse"] or "@nest" in mapping or "@index" in mapping:
        raise _Decline
    container = mapping.get("@container", ())
    kind = _P_PLAIN
    if "@list" in container:
        kind = _P_LIST
    elif "@graph" in container:
        if any(c not in ("@graph", "@set") for c in container):
            raise _Decline
        kind = _P_GRAPH
    elif any(c != "@set" for c in container):
        raise _Decline  # language, index, id and type maps
    type_ = mapping.get("@type")
    datatype: str | None = None
    if type_ == "@json":
        raise _Decline
    if type_ == "@id":
        coerce = _C_ID
    elif type_ == "@vocab":
        coerce = _C_VOCAB
    elif type_ is None or type_ == "@none":
        coerce = _C_LANGUAGE if ("@language" in mapping or "@direction" in mapping) else _C_NONE
    else:
        if not _ABSOLUTE_RE.fullmatch(type_):
            raise _Decline
        coerce = _C_DATATYPE
        datatype = type_
    return (kind, "<" + expanded + ">", term_ctx, coerce, datatype)


def _aliases(ctx: _Ctx) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys that mean ``@id`` and ``@type`` in ``ctx`` (the keywords and the terms aliasing them)."""
    found = ctx.aliases
    if found is None:
        ids = ["@id", *(t for t, m in ctx.mappings.items() if m["@id"] == "@id")]
        types = ["@type", *(t for t, m in ctx.mappings.items() if m["@id"] == "@type" and t != "@type")]
        found = ctx.aliases = (tuple(ids), tuple(types))
    return found


def _vocab_expanded(ctx: _Ctx, value: str) -> str:
    """A type or ``@vocab``-coerced value, expanded against the vocabulary (memoised); not absolute → _Decline."""
    found = ctx.types.get(value)
    if found is not None:
        return found
    expanded = _vocab_iri(ctx, value)
    if not isinstance(expanded, str) or not _ABSOLUTE_RE.fullmatch(expanded):
        raise _Decline
    if len(ctx.types) < _MEMO_LIMIT:
        ctx.types[value] = expanded
    return expanded


def _type_token(ctx: _Ctx, value: str) -> str:
    """The N-Quads token of a node type (expanded in the type-scoped context), or _Decline."""
    expanded = _vocab_expanded(ctx, value)
    if expanded.startswith(("_:", ISSUER_DEPENDENT)):
        raise _Decline
    return "<" + expanded + ">"


def _typed(ctx: _Ctx, value: Any) -> tuple[_Ctx, tuple[str, ...]]:
    """A node's ``@type`` value (a name or a tuple of names) in ``ctx``: the context its type-scoped contexts make
    (applied in sorted order, not propagated, each looked up in ``ctx``) and the types' tokens (memoised)."""
    found = ctx.typed.get(value)
    if found is not None:
        return found
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        raise _Decline
    result = ctx
    for name in sorted(names) if len(names) > 1 else names:
        mapping = ctx.mappings.get(name)
        if mapping is not None:
            scoped = mapping.get("@context")
            if scoped is not None and scoped is not False:
                result = _derive(result, scoped, override_protected=False, propagate=False)
    found = (result, tuple(_type_token(ctx, name) for name in names))
    if len(ctx.typed) < _MEMO_LIMIT:
        ctx.typed[value] = found
    return found


# --------------------------------------------------------------------------------------------------------------
# Top-level context sets
# --------------------------------------------------------------------------------------------------------------

_Resolved = list[dict[str, Any] | bool]
_compiled: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], _Ctx | None]] = OrderedDict()
_compiled_lock = threading.Lock()


def clear_caches() -> None:
    """Forget every compiled context (tests; or after mutating a context document a loader serves)."""
    with _compiled_lock:
        _compiled.clear()


class _Resolver:
    """pyld's ContextResolver for context URLs, through the caller's loader; one per document (pyld's per-operation
    cache: a URL is fetched once per document)."""

    __slots__ = ("done", "loader")

    def __init__(self, loader: ContextLoader) -> None:
        self.loader = loader
        self.done: dict[str, tuple[_Resolved, list[Any]]] = {}

    def resolve(self, urls: list[str]) -> tuple[_Resolved, tuple[Any, ...]]:
        """The flat list of context objects (False for null) and every document involved, in order."""
        cycles: set[str] = set()
        docs: list[Any] = []
        flat = self._items(urls, cycles, docs)
        return flat, tuple(docs)

    def _remote(self, url: str, cycles: set[str], docs: list[Any]) -> _Resolved:
        hit = self.done.get(url)
        if hit is not None and hit[0]:  # pyld's cache treats an empty resolution as a miss
            docs.extend(hit[1])
            return hit[0]
        # pyld resolves the URL first (dot segments); only plain absolute URLs are passed through unchanged
        if not _ABSOLUTE_RE.fullmatch(url) or "/." in url or url.startswith("_:"):
            raise _Decline
        if len(cycles) > MAX_CONTEXT_URLS or url in cycles:
            raise _Decline
        cycles.add(url)
        try:
            document = self.loader.get(url)
        except Exception as exc:  # pyld reports every loader failure as a JsonLdError: leave it to pyld
            raise _Decline from exc
        if not isinstance(document, dict):
            raise _Decline
        mine: list[Any] = [document]
        inner = document.get("@context", {})
        result = self._items({"@context": inner}, cycles, mine)
        self.done[url] = (result, mine)
        docs.extend(mine)
        return result

    def _items(self, context: Any, cycles: set[str], docs: list[Any]) -> _Resolved:
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        out: _Resolved = []
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, str):
                out.extend(self._remote(item, cycles, docs))
            elif item is None or item is False:
                out.append(False)
            elif isinstance(item, dict):
                out.append(item)
            else:
                raise _Decline
        return out


def _context_urls(value: Any) -> list[str]:
    """A ``@context`` we handle: a URL or a non-empty array of URLs."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(u, str) for u in value):
        return list(value)
    raise _Decline


def _top_context(urls: list[str], resolver: _Resolver) -> _Ctx:
    """The document's top-level active context, compiled once per context set (global, bounded)."""
    resolved, docs = resolver.resolve(urls)
    key = (tuple(urls), *map(id, docs))
    with _compiled_lock:
        hit = _compiled.get(key)
        if hit is not None:
            _compiled.move_to_end(key)
    if hit is not None:  # the entry pins the documents, so equal ids mean the very same documents
        if hit[1] is None:
            raise _Decline
        return hit[1]
    ctx: _Ctx | None
    try:
        ctx = _process(_INITIAL, urls, resolved=resolved)
    except (_Decline, TypeError, ValueError, KeyError, AttributeError, RecursionError):
        ctx = None
    with _compiled_lock:
        _compiled[key] = (docs, ctx)
        while len(_compiled) > _COMPILED_LIMIT:
            _compiled.popitem(last=False)
    if ctx is None:
        raise _Decline
    return ctx


def _embedded_context(ctx: _Ctx, urls: list[str], resolver: _Resolver) -> _Ctx:
    """A node's own ``@context`` URLs applied to ``ctx`` (embedded credentials, e.g. endorsements), memoised."""
    resolved, docs = resolver.resolve(urls)
    key = ("urls", tuple(urls), *map(id, docs))
    hit = ctx.derived.get(key)
    if hit is not None:
        return hit[1]
    result = _process(ctx, urls, resolved=resolved)
    if len(ctx.derived) < _DERIVED_LIMIT:
        ctx.derived[key] = (docs, result)
    return result


# --------------------------------------------------------------------------------------------------------------
# Expansion straight to quads (pyld _expand + _create_node_map + toRdf)
# --------------------------------------------------------------------------------------------------------------

_Quad = tuple[str, str, str, str]  # subject, predicate, object, graph ("" = default graph): N-Quads tokens


def _escape(value: str) -> str:
    """pyld's N-Quads literal escaping (nquads.escape): only backslash, tab, newline, return and quote."""
    if not ("\\" in value or '"' in value or "\n" in value or "\r" in value or "\t" in value):
        return value
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace('"', '\\"')
    )


def _canonical_double(value: float) -> str:
    return _DOUBLE_RE.sub(r"\1E\2\3", f"{value:1.15E}")


class _Walker:
    """Walks one document, emitting quads with pyld's node-map semantics for duplicate values.

    Duplicates: pyld's node map adds a value to a node's property unless an equal one is there already
    (``JsonLdProcessor.compare_values``: same node ``@id``; or same ``@type`` coercion and equal ``@value``, where
    ``1 == 1.0`` but ``1 != True``); lists are always added. ``seen`` holds those keys, per graph and subject.
    """

    __slots__ = ("count", "labels", "quads", "resolver", "seen")

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver
        self.quads: list[_Quad] = []
        self.seen: set[tuple[Any, ...]] = set()
        self.count = 0
        self.labels: dict[str, str] = {}

    def bnode(self) -> str:
        n = self.count
        self.count = n + 1
        return f"_:b{n}"

    def label(self, name: str) -> str:
        """The blank node for a blank node identifier written in the document."""
        found = self.labels.get(name)
        if found is None:
            found = self.labels[name] = self.bnode()
        return found

    def id_token(self, ctx: _Ctx, value: str) -> str:
        """A node identifier (``@id`` or ``@id``-coerced string), expanded without a base; relative → _Decline."""
        token = ctx.ids.get(value)
        if token is not None:
            return token
        colon = value.find(":")
        if colon <= 0:
            raise _Decline
        prefix = value[:colon]
        if prefix == "_":
            return self.label(value)
        suffix = value[colon + 1 :]
        iri = value
        if not suffix.startswith("//"):
            mapping = ctx.mappings.get(prefix)
            if mapping and mapping["_prefix"]:
                base = mapping["@id"]
                if not isinstance(base, str) or base.startswith("_:"):
                    raise _Decline
                iri = base + suffix
        if not _ABSOLUTE_RE.fullmatch(iri):
            raise _Decline
        token = "<" + iri + ">"
        if len(ctx.ids) < _MEMO_LIMIT:
            ctx.ids[value] = token
        return token

    def vocab_token(self, ctx: _Ctx, value: str) -> str:
        expanded = _vocab_expanded(ctx, value)
        if expanded.startswith("_:"):
            return self.label(expanded)
        return "<" + expanded + ">"

    def scalar(self, ctx: _Ctx, value: Any, coerce: int, datatype: str | None) -> tuple[str, tuple[Any, ...]]:
        """pyld _expand_value + _object_to_rdf for a JSON scalar: (object token, duplicate key)."""
        if isinstance(value, str):
            if coerce == _C_ID:
                token = self.id_token(ctx, value)
                return token, (token,)
            if coerce == _C_VOCAB:
                token = self.vocab_token(ctx, value)
                return token, (token,)
            if coerce == _C_LANGUAGE or datatype == _XSD_DOUBLE:
                raise _Decline
            if datatype is None or datatype == _XSD_STRING:
                return '"' + _escape(value) + '"', (datatype, False, value)
            return '"' + _escape(value) + '"^^<' + datatype + ">", (datatype, False, value)
        if isinstance(value, bool):
            lexical = "true" if value else "false"
            dt = datatype or _XSD_BOOLEAN
            key: tuple[Any, ...] = (datatype, True, value)
        elif isinstance(value, int):
            if datatype == _XSD_DOUBLE or abs(value) >= 10**21:
                try:
                    lexical = _canonical_double(float(value))
                except OverflowError as exc:
                    raise _Decline from exc
                dt = datatype or _XSD_DOUBLE
            else:
                lexical = str(value)
                dt = datatype or _XSD_INTEGER
            key = (datatype, False, value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _Decline
            if not value.is_integer() or datatype == _XSD_DOUBLE or abs(value) >= 1e21:
                lexical = _canonical_double(value)
                dt = datatype or _XSD_DOUBLE
            else:
                lexical = str(int(value))
                dt = datatype or _XSD_INTEGER
            key = (datatype, False, value)
        else:
            raise _Decline
        if dt == _XSD_STRING:
            return '"' + lexical + '"', key
        return '"' + lexical + '"^^<' + dt + ">", key

    def emit(
        self,
        ctx: _Ctx,
        key: str,
        value: Any,
        graph: str,
        subject: str,
        predicate: str,
        coerce: int,
        datatype: str | None,
    ) -> None:
        """One value (or array of values) of a plain property of ``subject``."""
        cls = value.__class__
        if cls is str and coerce == _C_NONE:
            dup: tuple[Any, ...] = (graph, subject, predicate, datatype, False, value)
            if dup not in self.seen:
                self.seen.add(dup)
                if datatype is None or datatype == _XSD_STRING:
                    obj = '"' + _escape(value) + '"'
                else:
                    obj = '"' + _escape(value) + '"^^<' + datatype + ">"
                self.quads.append((subject, predicate, obj, graph))
            return
        if cls is dict:
            obj = self.node(ctx, key, value, graph)
            dup = (graph, subject, predicate, obj)
        elif cls is list:
            for item in value:
                self.emit(ctx, key, item, graph, subject, predicate, coerce, datatype)
            return
        elif value is None:
            return
        else:
            obj, value_key = self.scalar(ctx, value, coerce, datatype)
            dup = (graph, subject, predicate, *value_key)
        if dup not in self.seen:
            self.seen.add(dup)
            self.quads.append((subject, predicate, obj, graph))

    def container(self, info: _PropInfo, key: str, value: Any, graph: str, subject: str) -> None:
        """The value(s) of an ``@list`` or ``@graph`` property of ``subject``."""
        kind, predicate, ctx, coerce, datatype = info
        if kind == _P_LIST:
            if value is None:
                return
            objects: list[str] = []
            for item in value if isinstance(value, list) else [value]:
                if item is None:
                    continue
                if isinstance(item, list):
                    raise _Decline  # lists of lists
                if isinstance(item, dict):
                    objects.append(self.node(ctx, key, item, graph))
                else:
                    objects.append(self.scalar(ctx, item, coerce, datatype)[0])
            head = _NIL_TOKEN
            if objects:
                cells = [self.bnode() for _ in objects]
                cells.append(_NIL_TOKEN)
                head = cells[0]
                for i, obj in enumerate(objects):
                    self.quads.append((cells[i], _FIRST_TOKEN, obj, graph))
                    self.quads.append((cells[i], _REST_TOKEN, cells[i + 1], graph))
            self.quads.append((subject, predicate, head, graph))  # lists are never merged as duplicates
        else:  # _P_GRAPH: each value becomes a named graph with a blank node name
            for item in _flatten(value):
                if not isinstance(item, dict):
                    raise _Decline
                name = self.bnode()
                self.quads.append((subject, predicate, name, graph))
                self.node(ctx, key, item, name)

    def node(self, ctx: _Ctx, prop: str | None, element: dict[str, Any], graph: str, top: bool = False) -> str:
        """Expand a node object (pyld ``_expand`` for a map) and emit its quads; return its subject token."""
        if not top:
            term = ctx.mappings.get(prop) if prop is not None else None
            previous = ctx.previous
            if previous is not None:
                # revert a non-propagated (type-scoped) context unless this is a node reference (or a value
                # object, which pyld expands in the type-scoped context: declined)
                if len(element) > 2 or "@context" in element:
                    ctx = previous
                else:
                    if any(_vocab_iri(ctx, key) == "@value" for key in element):
                        raise _Decline
                    if len(element) != 1:
                        ctx = previous
                    else:
                        info = _prop_info(ctx, next(iter(element)))
                        if info is None or info[0] != _P_ID:
                            ctx = previous
            if term is not None and "@context" in term:
                ctx = _derive(ctx, term["@context"], override_protected=True, propagate=True)
            if "@context" in element:
                ctx = _embedded_context(ctx, _context_urls(element["@context"]), self.resolver)
        # the type key, found in the context before type-scoped contexts apply
        type_key: str | None = None
        for alias in (ctx.aliases or _aliases(ctx))[1]:
            if alias in element:
                if type_key is not None:
                    raise _Decline
                type_key = alias
        type_scoped = ctx
        tokens: tuple[str, ...] = ()
        if type_key is not None:
            raw = element[type_key]
            typed = _typed(type_scoped, raw if raw.__class__ is str else tuple(raw) if raw.__class__ is list else raw)
            ctx, tokens = typed
        id_key: str | None = None
        aliases = ctx.aliases or _aliases(ctx)
        if ctx is not type_scoped:
            for alias in aliases[1]:
                if alias in element and alias != type_key:
                    raise _Decline
            if type_key is not None and type_key not in aliases[1]:
                raise _Decline
        for alias in aliases[0]:
            if alias in element:
                if id_key is not None:
                    raise _Decline  # colliding keywords
                id_key = alias
        if id_key is None:
            subject = self.bnode()
        else:
            node_id = element[id_key]
            if node_id.__class__ is not str:
                raise _Decline
            subject = self.id_token(ctx, node_id)
        seen = self.seen
        quads = self.quads
        for token in tokens:
            dup: tuple[Any, ...] = (graph, subject, _TYPE_TOKEN, token)
            if dup not in seen:
                seen.add(dup)
                quads.append((subject, _TYPE_TOKEN, token, graph))
        props = ctx.props
        for key, value in element.items():
            if key in (type_key, id_key, "@context"):
                continue
            info = props.get(key)
            if info is None and key not in props:
                info = _prop_info(ctx, key)
            if info is None:
                raise _Decline  # undefined term, relative IRI, unsupported keyword or feature
            kind, predicate, term_ctx, coerce, datatype = info
            if kind == _P_PLAIN:
                cls = value.__class__
                if cls is str and coerce == _C_NONE:
                    dup = (graph, subject, predicate, datatype, False, value)
                    if dup not in seen:
                        seen.add(dup)
                        if datatype is None or datatype == _XSD_STRING:
                            quads.append((subject, predicate, '"' + _escape(value) + '"', graph))
                        else:
                            quads.append((subject, predicate, '"' + _escape(value) + '"^^<' + datatype + ">", graph))
                elif cls is dict:
                    obj = self.node(term_ctx, key, value, graph)
                    dup = (graph, subject, predicate, obj)
                    if dup not in seen:
                        seen.add(dup)
                        quads.append((subject, predicate, obj, graph))
                else:
                    self.emit(term_ctx, key, value, graph, subject, predicate, coerce, datatype)
            elif kind >= _P_LIST:
                self.container(info, key, value, graph, subject)
            else:
                raise _Decline
        return subject


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


# --------------------------------------------------------------------------------------------------------------
# RDFC-1.0 (URDNA2015), as pyld 3.3 implements it
# --------------------------------------------------------------------------------------------------------------


class _Issuer:
    __slots__ = ("counter", "existing", "order", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.existing: dict[str, str] = {}
        self.order: list[str] = []

    def issue(self, old: str) -> str:
        found = self.existing.get(old)
        if found is not None:
            return found
        new = self.prefix + str(self.counter)
        self.counter += 1
        self.existing[old] = new
        self.order.append(old)
        return new

    def copy(self) -> _Issuer:
        other = _Issuer(self.prefix)
        other.counter = self.counter
        other.existing = dict(self.existing)
        other.order = list(self.order)
        return other


def _line(s: str, p: str, o: str, g: str) -> str:
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


def _permutations(elements: list[str]) -> Iterator[list[str]]:
    """pyld's Steinhaus-Johnson-Trotter permutations (same order, same in-place list)."""
    elements.sort()
    left = dict.fromkeys(elements, True)
    length = len(elements)
    last = length - 1
    while True:
        yield elements
        k: str | None = None
        pos = 0
        for i in range(length):
            e = elements[i]
            is_left = left[e]
            if (k is None or e > k) and (
                (is_left and i > 0 and e > elements[i - 1]) or (not is_left and i < last and e > elements[i + 1])
            ):
                k, pos = e, i
        if k is None:
            return
        swap = pos - 1 if left[k] else pos + 1
        elements[pos], elements[swap] = elements[swap], k
        for i in range(length):
            if elements[i] > k:
                left[elements[i]] = not left[elements[i]]


class _TooComplex(Exception):
    """Internal: the blank nodes need more than MAX_HASH_WORK units of Hash N-Degree Quads work."""


class _Canonicalizer:
    __slots__ = ("canonical", "hashes", "quads_of", "work")

    def __init__(self, quads: list[_Quad]) -> None:
        quads_of: dict[str, list[_Quad]] = {}
        for quad in quads:
            s, _, o, g = quad
            # pyld adds the quad once per blank node *position* (a self-loop adds it twice)
            if s[0] == "_":
                found = quads_of.get(s)
                if found is None:
                    quads_of[s] = [quad]
                else:
                    found.append(quad)
            if o[0] == "_":
                found = quads_of.get(o)
                if found is None:
                    quads_of[o] = [quad]
                else:
                    found.append(quad)
            if g:  # graph names are always blank nodes here
                found = quads_of.get(g)
                if found is None:
                    quads_of[g] = [quad]
                else:
                    found.append(quad)
        self.quads_of = quads_of
        self.hashes: dict[str, str] = {}
        self.canonical = _Issuer("_:c14n")
        self.work = MAX_HASH_WORK

    def spend(self, units: int) -> None:
        """Count Hash N-Degree Quads work exactly as :mod:`openbadge_ctq.jsonld` counts it for pyld."""
        self.work -= units
        if self.work < 0:
            raise _TooComplex

    def first_degree(self, node: str) -> str:
        found = self.hashes.get(node)
        if found is not None:
            return found
        lines = []
        for s, p, o, g in self.quads_of[node]:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g and g[0] == "_":
                g = "_:a" if g == node else "_:z"
            lines.append(_line(s, p, o, g))
        lines.sort()
        digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
        self.hashes[node] = digest
        return digest

    def related_hash(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        if related in self.canonical.existing:
            ident = self.canonical.existing[related]
        elif related in issuer.existing:
            ident = issuer.existing[related]
        else:
            ident = self.first_degree(related)
        text = position + (predicate if position != "g" else "") + ident
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self.spend(1 + len(self.quads_of[node]))
        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.quads_of[node]:
            for component, position in ((s, "s"), (o, "o"), (g, "g")):
                if component and component[0] == "_" and component != node:
                    digest = self.related_hash(component, p, issuer, position)
                    related_by_hash.setdefault(digest, []).append(component)
        md = hashlib.sha256()
        for digest, related_nodes in sorted(related_by_hash.items()):
            md.update(digest.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in _permutations(related_nodes):
                self.spend(1 + len(issuer.existing))
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    if related in self.canonical.existing:
                        path += self.canonical.existing[related]
                    else:
                        if related not in issuer_copy.existing:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            md.update(chosen_path.encode("utf-8"))
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return md.hexdigest(), issuer

    def run(self, quads: list[_Quad]) -> str:
        by_hash: dict[str, list[str]] = {}
        for node in self.quads_of:
            by_hash.setdefault(self.first_degree(node), []).append(node)
        shared: list[tuple[str, list[str]]] = []
        for digest, nodes in sorted(by_hash.items()):
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append((digest, nodes))
        for _digest, nodes in shared:
            paths: list[tuple[str, _Issuer]] = []
            for node in nodes:
                if node in self.canonical.existing:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(node)
                paths.append(self.n_degree(node, issuer))
            for _path_hash, path_issuer in sorted(paths, key=lambda r: r[0]):
                for existing in path_issuer.order:
                    self.canonical.issue(existing)
        labels = self.canonical.existing
        lines = [
            (
                f"{labels[s] if s[0] == '_' else s} {p} {labels[o] if o[0] == '_' else o} {labels[g]} .\n"
                if g
                else f"{labels[s] if s[0] == '_' else s} {p} {labels[o] if o[0] == '_' else o} .\n"
            )
            for s, p, o, g in quads
        ]
        lines.sort()
        return "".join(lines)


# --------------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------------


def canonicalize_fast(doc: Mapping[str, Any], *, loader: ContextLoader) -> str | None:
    """RDFC-1.0 canonical N-Quads of ``doc``, identical to pyld's, or None to decline (fall back to pyld).

    ``doc`` must have a top-level ``@context`` that is a URL or an array of URLs, served by ``loader``. The
    context documents a loader serves are treated as immutable (call :func:`clear_caches` after changing one).

    Raises:
        JsonLdError: the blank nodes need more than :data:`MAX_HASH_WORK` of RDFC-1.0 work (the pyld path in
            :mod:`openbadge_ctq.jsonld` counts the same work and refuses the same documents).
    """
    try:
        if not isinstance(doc, dict) or "@context" not in doc:
            return None
        resolver = _Resolver(loader)
        ctx = _top_context(_context_urls(doc["@context"]), resolver)
        walker = _Walker(resolver)
        walker.node(ctx, None, doc, "", top=True)
        quads = walker.quads
        return _Canonicalizer(quads).run(quads)
    except _TooComplex:
        raise JsonLdError(TOO_COMPLEX) from None  # pyld would refuse it too, after more work
    except (_Decline, RecursionError, OverflowError, TypeError, ValueError, KeyError, AttributeError):
        return None
