"""``verify()``: one entry point for every credential format, returning a :class:`VerificationReport`.

It never raises for a bad badge: every problem becomes a check. It raises ``TypeError`` only when misused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..bake import unbake_png, unbake_svg
from ..errors import BadgeError, InputError
from ..interfaces import OFFLINE, Fetched, Fetcher, JSONObject
from ..jsonld import ContextLoader
from ..timefmt import parse_datetime
from .ob2 import is_ob2, is_ob2_fetched, looks_like_ob2_jws, verify_ob2
from .ob3 import Options, run_di, run_jwt, summarize
from .report import CHECK_IDS, Check, Status, VerificationReport
from .sniff import load_source, sniff

logger = logging.getLogger(__name__)

__all__ = ["CHECK_IDS", "INTERNAL_ERROR", "MAX_CLOCK_SKEW", "Check", "Status", "VerificationReport", "verify"]

SchemaValidator = Callable[[Mapping[str, Any]], list[tuple[str, str]] | None]
StatusChecker = Callable[[JSONObject, Options], Iterable[Check]]


def _now(now: datetime | str | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if isinstance(now, str):
        return parse_datetime(now, what="now")
    if now.tzinfo is None:
        raise TypeError("now must be timezone-aware (e.g. datetime(2026, 1, 1, tzinfo=UTC))")
    return now


MAX_CLOCK_SKEW = timedelta(days=1)
"""The largest ``max_clock_skew`` accepted. More is not a clock being off: judge at another moment with ``now=``."""


def _skew(value: Any) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(
            f"max_clock_skew must be a datetime.timedelta (e.g. timedelta(minutes=5)), not {type(value).__name__}"
        )
    if value < timedelta(0) or value > MAX_CLOCK_SKEW:
        raise InputError(
            f"max_clock_skew must be between 0 and {MAX_CLOCK_SKEW} (a tolerance for clocks that are slightly off), "
            f"found {value}",
            hint="timedelta(300) is 300 days: write timedelta(seconds=300); use now= to verify as of another time",
        )
    return value


def _failed(fmt: str, message: str) -> VerificationReport:
    return VerificationReport(format=fmt, checks=(Check(id="parse", status=Status.FAIL, message=message),))


def verify(
    source: Any,
    *,
    fetcher: Fetcher = OFFLINE,
    now: datetime | str | None = None,
    recipient: str | None = None,
    contexts: Mapping[str, Any] | None = None,
    allow_remote_contexts: bool = False,
    strict_binding: bool = False,
    max_clock_skew: timedelta = timedelta(0),
    schema_validator: SchemaValidator | None = None,
    status_checker: StatusChecker | None = None,
) -> VerificationReport:
    """Verify a credential and return a report (never raises for a bad credential).

    Args:
        source: a credential as a dict, JSON text, compact JWS/JWT, bytes, or a :class:`pathlib.Path`.
        fetcher: how URLs (DID documents, keys, status lists) are fetched. Default: offline, fetches nothing.
        now: the time to judge validity at (datetime or ISO 8601 string). Default: the current time.
        recipient: an email or DID the credential must have been issued to.
        contexts: extra JSON-LD contexts (URL → parsed JSON) the caller trusts like the bundled ones.
        allow_remote_contexts: fetch unknown JSON-LD contexts through ``fetcher``. Off by default.
        strict_binding: fail, instead of warn, when the key is only self-asserted (JWT ``jwk`` header or the
            ``https://issuer#z6Mk…`` convention) and not published by the issuer.
        max_clock_skew: tolerance for clocks that are slightly off, applied to validFrom/validUntil (VC 1.1:
            issuanceDate/expirationDate), the JWT ``nbf``/``exp`` claims and OB 2.0 issuedOn/expires; both ends are
            inclusive. A ``timedelta`` from 0 to :data:`MAX_CLOCK_SKEW` (one day).
        schema_validator: overrides the JSON Schema check (default: our OB 3.0 schemas).
        status_checker: overrides the credentialStatus check (default: Bitstring Status List and 1EdTech
            Revocation List through ``fetcher``).

    Raises:
        TypeError: misuse: a fetcher without ``fetch``, a naive ``now``, a ``max_clock_skew`` that is not a timedelta.
        InputError: ``now`` is not an ISO 8601 date-time, or ``max_clock_skew`` is negative or more than one day.
    """
    if not isinstance(fetcher, Fetcher):
        raise TypeError("fetcher must have a fetch(url, *, accept, trusted_only) method")
    moment = _now(now)
    max_clock_skew = _skew(max_clock_skew)
    if schema_validator is None:
        schema_validator = _default_schema_validator()
    options = Options(
        fetcher=fetcher,
        now=moment,
        loader=ContextLoader(contexts, fetcher=fetcher, allow_remote=allow_remote_contexts),
        recipient=recipient,
        strict_binding=strict_binding,
        max_clock_skew=max_clock_skew,
        validate_schema=schema_validator,
        check_status=status_checker if status_checker is not None else _default_status_checker(),
    )
    try:
        return _verify(source, options)
    except (RecursionError, MemoryError):
        return _failed("unknown", "the input is too deeply nested or too large to verify")
    except Exception as exc:  # fail closed: a bug must never turn into a crash for the person verifying
        logger.exception("internal error while verifying")
        return _failed("unknown", f"{INTERNAL_ERROR}: {type(exc).__name__}; the credential was not verified")


INTERNAL_ERROR = "internal error while verifying"


def _default_schema_validator() -> SchemaValidator | None:
    try:
        from ..validate import schema_kind_for, validate_document
    except ImportError:  # pragma: no cover - the module ships with the package
        return None

    def validator(doc: Mapping[str, Any]) -> list[tuple[str, str]] | None:
        kind = schema_kind_for(doc)
        return None if kind is None else validate_document(doc, kind)

    return validator


def _default_status_checker() -> StatusChecker | None:
    try:
        from .status import check_credential_status
    except ImportError:
        return None
    return check_credential_status


def _verify(
    source: Any, options: Options, *, fetched_from: str | None = None, baked_in: str | None = None
) -> VerificationReport:
    try:
        sniffed = sniff(load_source(source))
    except BadgeError as exc:
        return _failed("unknown", exc.message)
    if sniffed.kind == "url":
        if fetched_from is not None:
            return _failed("unknown", f"{fetched_from} holds only another URL, not a credential")
        try:
            fetched = options.fetcher.fetch(
                sniffed.text,
                accept="application/vc+ld+json, application/ld+json, application/json, text/plain",
            )
        except BadgeError as exc:
            return _failed("unknown", exc.message)
        if is_ob2_fetched(fetched):
            return _ob2(sniffed.text, options, fetched=fetched)
        return _verify(fetched.body, options, fetched_from=sniffed.text, baked_in=baked_in)
    if sniffed.kind == "json":
        doc = sniffed.data
        if not isinstance(doc, dict):
            return _failed("unknown", "input is JSON but not a JSON object")
        if is_ob2(doc):
            return _ob2(doc, options)
        checks = run_di(doc, options, _nested)
        if "ClrCredential" in _types(doc):
            checks.extend(_clr_bundle(doc, options))
        return VerificationReport(format="ob3-di", checks=tuple(checks), credential=doc, summary=summarize(doc))
    if sniffed.kind == "jws":
        if looks_like_ob2_jws(sniffed.text):
            return _ob2(sniffed.text, options)
        checks, credential = run_jwt(sniffed.text, options, _nested)
        return VerificationReport(
            format="ob3-jwt",
            checks=tuple(checks),
            credential=credential or None,
            summary=summarize(credential) if credential else {},
        )
    if sniffed.kind in ("png", "svg"):
        if baked_in is not None:
            return _failed(sniffed.kind, "a baked image holds another image, not a credential")
        try:
            baked = unbake_png(sniffed.raw) if sniffed.kind == "png" else unbake_svg(sniffed.raw)
        except BadgeError as exc:
            return _failed(sniffed.kind, exc.message)
        inner = _verify(baked.payload, options, fetched_from=fetched_from, baked_in=sniffed.kind)
        image = baked.to_json()
        if image.get("verify") == baked.payload:  # the SVG verify= attribute holds the JWS itself
            image.pop("verify")
        return replace(inner, image=image)
    return _failed(sniffed.kind, f"{sniffed.kind} input is not supported by this verifier")


def _nested(source: Any, options: Options) -> VerificationReport:
    """Verify an embedded credential (an endorsement): never follows URLs."""
    if isinstance(source, str) and source.startswith(("https://", "http://")):
        return _failed("unknown", "an embedded endorsement must be a credential, not a URL")
    return _verify(source, options)


def _ob2(source: Any, options: Options, *, fetched: Fetched | None = None) -> VerificationReport:
    """An Open Badges 2.0 (or 0.5/1.x) assertion: hosted, signed, or a URL (an HTML page that links to its JSON)."""
    result = verify_ob2(source, options, fetched=fetched)
    return VerificationReport(
        format=result.format, checks=tuple(result.checks), credential=result.assertion, summary=result.summary
    )


def _types(doc: Mapping[str, Any]) -> list[str]:
    value = doc.get("type")
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


def _clr_bundle(doc: JSONObject, options: Options) -> list[Check]:
    """A CLR verifies only if every bundled credential verifies on its own, with the same options."""
    subject = doc.get("credentialSubject")
    items = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    bundled = [items] if isinstance(items, Mapping | str) else list(items or [])
    if not bundled:
        return [
            Check(
                id="clr.credential",
                status=Status.FAIL,
                message="the CLR bundles no credential",
                pointer="/credentialSubject/verifiableCredential",
            )
        ]
    out: list[Check] = []
    for i, item in enumerate(bundled):
        pointer = f"/credentialSubject/verifiableCredential/{i}"
        if options.depth >= 2 or (isinstance(item, str) and item.startswith(("https://", "http://"))):
            out.append(
                Check(
                    id="clr.credential",
                    status=Status.FAIL,
                    pointer=pointer,
                    message="a bundled credential must be embedded, not referenced",
                )
            )
            continue
        report = _verify(item, replace(options, depth=options.depth + 1))
        if report.verified:
            message = f"bundled credential {i} verified"
        else:
            message = f"bundled credential {i} failed: {report.errors[0].message if report.errors else 'not verified'}"
        out.append(
            Check(
                id="clr.credential",
                status=Status.PASS if report.verified else Status.FAIL,
                message=message,
                pointer=pointer,
            )
        )
    return out
