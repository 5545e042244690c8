"""JSON-LD processing: the only module that imports pyld.

* :class:`ContextLoader` serves the bundled contexts (``openbadge_ctq/contexts``), plus documents the caller trusts
  (its own saved copies, e.g. from ``--url-map``). Any other URL is refused unless the caller passes a fetcher
  explicitly allowed to fetch contexts.
* Safe mode is always on: a term the contexts do not define, a term that only expands through the VC 2.0
  ``@vocab`` (``issuer-dependent#``), or a relative ``@type``/``@id`` that RDF would silently drop raises
  :class:`~openbadge_ctq.errors.JsonLdError` naming the term and its JSON pointer.
* :func:`canonicalize` returns RDFC-1.0 (URDNA2015) canonical N-Quads.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015 as _URDNA2015
from pyld.context_resolver import ContextResolver as _ContextResolver
from pyld.identifier_issuer import IdentifierIssuer as _IdentifierIssuer

from .errors import FetchError, InputError, JsonLdError
from .fastld import MAX_HASH_WORK, TOO_COMPLEX, canonicalize_fast
from .interfaces import Fetcher, JSONObject
from .resources import data_dir

__all__ = [
    "ISSUER_DEPENDENT",
    "ContextLoader",
    "bundled_context_urls",
    "canonicalize",
    "expand",
    "find_pointer",
]

ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"
# plain Python errors pyld raises on malformed input: OverflowError for integers beyond a double (JSON allows them),
# RecursionError for documents nested deeper than the interpreter's recursion limit
_PYLD_INPUT_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError, RecursionError)
MAX_CONTEXT_BYTES = 1 << 20
_KEYWORD_PREFIX = "@"


@functools.lru_cache(maxsize=1)
def _bundled() -> Mapping[str, Any]:
    """URL → parsed context, read once from the package's contexts folder and its MANIFEST.json."""
    folder = data_dir("contexts")
    manifest_path = folder / "MANIFEST.json"
    if not manifest_path.is_file():
        return {}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries = manifest["contexts"] if isinstance(manifest, dict) else manifest
    out: dict[str, Any] = {}
    for entry in entries:
        out[entry["url"]] = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
    return out


def bundled_context_urls() -> list[str]:
    """The context URLs this installation serves offline, sorted."""
    return sorted(_bundled())


class ContextLoader:
    """A pyld document loader that serves only bundled contexts and documents the caller trusts.

    Args:
        extra: URL → parsed JSON-LD context the caller trusts like bundled data (its own saved copies).
        fetcher: asked for contexts that are neither bundled nor in ``extra``: only for the caller's trusted
            copies (``trusted_only=True``) unless ``allow_remote`` is true.
        allow_remote: fetch unknown contexts from the network through ``fetcher``. Off by default.
    """

    def __init__(
        self,
        extra: Mapping[str, Any] | None = None,
        *,
        fetcher: Fetcher | None = None,
        allow_remote: bool = False,
    ) -> None:
        self._extra = dict(extra or {})
        self._fetcher = fetcher
        self._allow_remote = allow_remote
        self._fetched: dict[str, Any] = {}

    def get(self, url: str) -> Any:
        """Return the parsed context for ``url`` or raise JsonLdError."""
        doc = self._extra.get(url)
        if doc is None:
            doc = _bundled().get(url)
        if doc is None:
            doc = self._fetched.get(url)
        if doc is None:
            refused = JsonLdError(
                f"JSON-LD context {url} is not bundled and remote contexts are not allowed",
                term=url,
                hint="serve a saved copy with --url-map PREFIX=PATH, or allow remote contexts explicitly",
            )
            if self._fetcher is None:
                raise refused
            try:
                fetched = self._fetcher.fetch(
                    url, accept="application/ld+json, application/json", trusted_only=not self._allow_remote
                )
            except FetchError as exc:
                if not self._allow_remote:
                    raise refused from exc
                raise JsonLdError(f"JSON-LD context {url} could not be fetched: {exc.message}", term=url) from exc
            if len(fetched.body) > MAX_CONTEXT_BYTES:
                raise JsonLdError(f"JSON-LD context {url} is larger than {MAX_CONTEXT_BYTES} bytes", term=url)
            try:
                doc = json.loads(fetched.body)
            except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
                raise JsonLdError(f"JSON-LD context {url} is not valid JSON", term=url) from exc
            self._fetched[url] = doc
        return doc

    def knows(self, url: str) -> bool:
        return url in self._extra or url in _bundled() or url in self._fetched

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        """The pyld document-loader interface."""
        try:
            document = self.get(url)
        except JsonLdError as exc:
            # pyld wraps loader errors; keep ours recognisable for _translate
            raise _pyld.JsonLdError(exc.message, "jsonld.LoadDocumentError", {"url": url}) from exc
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}


DEFAULT_LOADER = ContextLoader()


def _translate(exc: Exception) -> JsonLdError:
    """Turn a pyld error into a one-line JsonLdError (the innermost cause carries the useful message)."""
    cause: BaseException | None = exc
    ours: JsonLdError | None = None
    messages: list[str] = []
    while cause is not None:
        if isinstance(cause, JsonLdError):
            ours = cause
            break
        msg = getattr(cause, "message", None) or str(cause).split("\n")[0]
        if msg:
            messages.append(str(msg))
        cause = cause.__cause__ or cause.__context__
    if ours is not None:
        return ours
    detail = messages[-1] if messages else type(exc).__name__
    return JsonLdError(f"invalid JSON-LD: {detail}")


def find_pointer(doc: Any, *, key: str | None = None, value: str | None = None) -> str:
    """The RFC 6901 pointer of the first place ``key`` is used as a property (or ``value`` as a type/id)."""
    try:
        for pointer, k, v in _walk(doc, ""):
            if key is not None and k == key:
                return pointer
            if (
                value is not None
                and k in {"type", "@type", "id", "@id"}
                and (v == value or (isinstance(v, list) and value in v))
            ):
                return pointer
    except RecursionError:  # nested deeper than the walk can go: no pointer
        pass
    return ""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "@context":
                continue
            child = f"{pointer}/{_escape(k)}"
            yield child, k, v
            yield from _walk(v, child)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{pointer}/{i}")


def _is_absolute(iri: str) -> bool:
    return ":" in iri and not iri.startswith(_KEYWORD_PREFIX)


def _check_expanded(expanded: Any, doc: Any) -> None:
    """Safe mode over the expanded form: no issuer-dependent terms, no relative @type or @id."""
    stack = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for k, v in node.items():
            if k.startswith(ISSUER_DEPENDENT):
                term = k[len(ISSUER_DEPENDENT) :]
                raise JsonLdError(
                    f"term {term!r} is not defined by the credential's contexts",
                    term=term,
                    pointer=find_pointer(doc, key=term),
                )
            if k == "@type" and "@value" not in node:
                for t in v if isinstance(v, list) else [v]:
                    if isinstance(t, str) and t.startswith(ISSUER_DEPENDENT):
                        term = t[len(ISSUER_DEPENDENT) :]
                        raise JsonLdError(
                            f"type {term!r} is not defined by the credential's contexts",
                            term=term,
                            pointer=find_pointer(doc, value=term),
                        )
                    if isinstance(t, str) and not t.startswith("_:") and not _is_absolute(t):
                        raise JsonLdError(
                            f"type {t!r} is not defined by the credential's contexts",
                            term=t,
                            pointer=find_pointer(doc, value=t),
                        )
            elif k == "@id" and isinstance(v, str) and not v.startswith("_:") and not _is_absolute(v):
                raise JsonLdError(
                    f"identifier {v!r} is a relative IRI; an absolute IRI was expected",
                    term=v,
                    pointer=find_pointer(doc, value=v),
                )
            if isinstance(v, list | dict) and k != "@value":
                stack.append(v)


def _safe_processor(doc: Any) -> tuple[Any, list[str]]:
    dropped: list[str] = []

    def on_dropped(prop: str | None) -> None:
        dropped.append(prop if prop is not None else "")

    return _pyld.JsonLdProcessor(on_property_dropped=on_dropped), dropped


def _raise_dropped(doc: Any, dropped: list[str]) -> None:
    if dropped:
        term = dropped[0]
        raise JsonLdError(
            f"term {term!r} is not defined by the credential's contexts",
            term=term,
            pointer=find_pointer(doc, key=term),
        )


def _options(loader: ContextLoader) -> dict[str, Any]:
    """pyld options for one call, with a context cache of its own: pyld's default cache is process-wide, and its
    ``@import`` processing rewrites the cached imported context in place, so one document could change how every
    later document using that context expands (redefining protected terms, defining undefined ones)."""
    return {"documentLoader": loader, "base": None, "contextResolver": _ContextResolver({}, loader)}


def expand(doc: JSONObject, *, loader: ContextLoader = DEFAULT_LOADER) -> list[Any]:
    """Expand ``doc`` in safe mode. Raises JsonLdError for undefined terms or invalid JSON-LD."""
    processor, dropped = _safe_processor(doc)
    try:
        # base None: relative IRIs stay relative so safe mode sees them (pyld would resolve "" against a
        # placeholder base, http://example.org/base/, and hide them)
        expanded = processor.expand(doc, _options(loader))
    except _pyld.JsonLdError as exc:
        raise _translate(exc) from exc
    except _PYLD_INPUT_ERRORS as exc:  # pyld trips over some malformed input with plain Python errors
        raise JsonLdError(f"invalid JSON-LD ({type(exc).__name__} in the JSON-LD processor)") from exc
    _raise_dropped(doc, dropped)
    _check_expanded(expanded, doc)
    return list(expanded)


ENGINES = ("fast", "pyld")


class _Budget:
    """The RDFC-1.0 work left (see :data:`openbadge_ctq.fastld.MAX_HASH_WORK`, counted the same way there)."""

    def __init__(self) -> None:
        self.left = MAX_HASH_WORK

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise JsonLdError(TOO_COMPLEX)


class _CountingIssuer(_IdentifierIssuer):  # type: ignore[misc]
    """pyld's identifier issuer; Hash N-Degree Quads deep-copies it once per permutation, which is counted."""

    budget: _Budget

    @classmethod
    def of(cls, issuer: Any, budget: _Budget) -> _CountingIssuer:
        out = cls(issuer.prefix)
        out.counter = issuer.counter
        out.existing = dict(issuer.existing)
        out.order = list(issuer.order)
        out.budget = budget
        return out

    def __deepcopy__(self, memo: Any) -> _CountingIssuer:
        self.budget.spend(1 + len(self.existing))
        return _CountingIssuer.of(self, self.budget)


class _BoundedURDNA2015(_URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with the poison-graph guard: Hash N-Degree Quads stops at MAX_HASH_WORK."""

    def __init__(self) -> None:
        super().__init__()
        self.budget = _Budget()

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self.budget.spend(1 + len(self.blank_node_info[id_]["quads"]))
        if not isinstance(issuer, _CountingIssuer):
            issuer = _CountingIssuer.of(issuer, self.budget)
        return super().hash_n_degree_quads(id_, issuer)


def canonicalize(doc: JSONObject, *, loader: ContextLoader = DEFAULT_LOADER, engine: str = "fast") -> str:
    """RDFC-1.0 canonical N-Quads of ``doc`` (safe mode). Never uses pyld's global loader.

    ``engine="fast"`` answers from :mod:`openbadge_ctq.fastld` when it handles the document (its output is identical
    to pyld's: a differential test checks it) and falls back to pyld otherwise, which also raises the safe-mode
    errors; ``engine="pyld"`` uses pyld only (the reference path). Both refuse, with the same JsonLdError, blank
    nodes that need more than :data:`~openbadge_ctq.fastld.MAX_HASH_WORK` of RDFC-1.0 work (poison graphs).
    """
    if engine == "fast":
        fast = canonicalize_fast(doc, loader=loader)
        if fast is not None:
            return fast
    elif engine != "pyld":
        raise InputError(f"unknown JSON-LD engine {engine!r}; expected one of {', '.join(ENGINES)}")
    expanded = expand(doc, loader=loader)
    processor, _ = _safe_processor(doc)
    try:
        # what processor.normalize(algorithm URDNA2015) does, with the work-limited URDNA2015
        dataset = processor.to_rdf(expanded, {**_options(loader), "algorithm": "URDNA2015"})
        result = _BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
    except _pyld.JsonLdError as exc:
        raise _translate(exc) from exc
    except _PYLD_INPUT_ERRORS as exc:
        raise JsonLdError(f"invalid JSON-LD ({type(exc).__name__} in the JSON-LD processor)") from exc
    return str(result)
