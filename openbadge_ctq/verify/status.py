"""The ``status`` check: Bitstring Status List (and StatusList2021) entries and 1EdTech Revocation Lists.

Policy: a list that cannot be fetched fails the check (fail closed), except when the caller verifies offline
(nothing could be fetched by choice), which is a warning that says the status was not checked.
Lists are fetched once per verification (the fetcher may cache across runs). A status list credential must carry a
valid proof by the same issuer as the credential, and its purpose must match the entry's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import BadgeError, FetchError
from ..interfaces import JSONObject, OfflineFetcher
from ..status import decode_bitstring, get_bit
from ..timefmt import parse_datetime
from .ob3 import Ctx, Options, _as_list, check_di_proof, issuer_id
from .report import Check, Status

__all__ = ["check_credential_status"]

_BITSTRING_TYPES = {"BitstringStatusListEntry", "StatusList2021Entry"}
_LIST_TYPES = {"BitstringStatusListCredential", "StatusList2021Credential"}
MAX_LIST_BYTES = 4 * 1024 * 1024


def _fetch_json(url: str, options: Options) -> Any:
    fetched = options.fetcher.fetch(url, accept="application/vc+ld+json, application/ld+json, application/json")
    if len(fetched.body) > MAX_LIST_BYTES:
        raise FetchError(f"status list at {url} is larger than {MAX_LIST_BYTES} bytes", url=url)
    try:
        return json.loads(fetched.body)
    except (ValueError, UnicodeDecodeError):
        raise FetchError(f"status list at {url} is not valid JSON", url=url) from None


def _unreachable(url: str, exc: BadgeError, options: Options, pointer: str) -> Check:
    # decided by the error's type, never by its message: a message can quote a server (a redirect target)
    offline = isinstance(options.fetcher, OfflineFetcher) or (isinstance(exc, FetchError) and exc.offline)
    if offline:
        return Check(
            id="status",
            status=Status.WARN,
            pointer=pointer,
            message=f"status not checked: {url} is not available offline",
        )
    return Check(
        id="status",
        status=Status.FAIL,
        pointer=pointer,
        message=f"status list {url} could not be checked: {exc.message}",
    )


def _bitstring(entry: Mapping[str, Any], credential: JSONObject, options: Options, pointer: str) -> Check:
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose", "revocation")
    raw_index = entry.get("statusListIndex")
    try:
        index = int(raw_index) if isinstance(raw_index, int | str) and not isinstance(raw_index, bool) else -1
    except ValueError:
        index = -1
    if not isinstance(url, str) or index < 0:
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message="status entry needs statusListCredential (URL) and a non-negative statusListIndex",
        )
    try:
        list_vc = _fetch_json(url, options)
    except BadgeError as exc:
        return _unreachable(url, exc, options, pointer)
    if not isinstance(list_vc, dict) or not _LIST_TYPES & set(_as_list(list_vc.get("type"))):
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message=f"{url} is not a BitstringStatusListCredential",
        )
    list_ctx = Ctx(list_vc, options)
    check_di_proof(list_ctx)
    if not list_ctx.proof_ok:
        failure = next((c.message for c in list_ctx.checks if c.status is Status.FAIL), "no valid proof")
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message=f"status list {url} is not validly signed: {failure}",
        )
    if issuer_id(list_vc) != issuer_id(credential):
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message=f"status list {url} is issued by {issuer_id(list_vc)}, not by the credential's issuer",
        )
    outside = _outside_validity(list_vc, options)
    if outside is not None:
        return Check(id="status", status=Status.FAIL, pointer=pointer, message=f"status list {url} {outside}")
    subject = _as_list(list_vc.get("credentialSubject"))
    subject0 = subject[0] if subject and isinstance(subject[0], Mapping) else {}
    list_purposes = _as_list(subject0.get("statusPurpose"))
    if purpose not in list_purposes:
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message=f"status list {url} is for {list_purposes}, not {purpose!r}",
        )
    try:
        bits = decode_bitstring(str(subject0.get("encodedList", "")))
        is_set = get_bit(bits, index)
    except BadgeError as exc:
        return Check(id="status", status=Status.FAIL, pointer=pointer, message=f"status list {url}: {exc.message}")
    if is_set:
        word = {"revocation": "revoked", "suspension": "suspended"}.get(str(purpose), f"flagged ({purpose})")
        return Check(id="status", status=Status.FAIL, pointer=pointer, message=f"the credential is {word}")
    return Check(id="status", status=Status.PASS, pointer=pointer, message=f"not {purpose}-flagged in {url}")


def _outside_validity(list_vc: Mapping[str, Any], options: Options) -> str | None:
    """Why the status list credential is not valid now (its own validFrom/validUntil, widened by the clock skew),
    or None. An expired list must not be trusted: it could be an old copy served again to hide a revocation."""
    try:
        start = list_vc.get("validFrom")
        if start is not None and parse_datetime(start, what="validFrom") > options.now + options.max_clock_skew:
            return f"is not valid before {start}"
        end = list_vc.get("validUntil")
        if end is not None and parse_datetime(end, what="validUntil") < options.now - options.max_clock_skew:
            return f"expired at {end} (the issuer must publish a fresh one)"
    except BadgeError as exc:
        return f"has an unreadable validity period: {exc.message}"
    return None


def _revocation_list(entry: Mapping[str, Any], credential: JSONObject, options: Options, pointer: str) -> Check:
    url = entry.get("id")
    if not isinstance(url, str):
        return Check(id="status", status=Status.FAIL, pointer=pointer, message="1EdTechRevocationList entry has no id")
    try:
        doc = _fetch_json(url, options)
    except BadgeError as exc:
        return _unreachable(url, exc, options, pointer)
    revoked = doc.get("revokedCredential") if isinstance(doc, Mapping) else None
    if not isinstance(revoked, list):
        return Check(
            id="status",
            status=Status.FAIL,
            pointer=pointer,
            message=f"{url} is not a 1EdTech revocation list (no revokedCredential array)",
        )
    cid = credential.get("id")
    for item in revoked:
        if isinstance(item, Mapping) and item.get("id") == cid and item.get("revoked", True) is not False:
            reason = item.get("revocationReason")
            return Check(
                id="status",
                status=Status.FAIL,
                pointer=pointer,
                message=f"the credential is revoked{': ' + str(reason) if reason else ''}",
            )
    return Check(id="status", status=Status.PASS, pointer=pointer, message=f"not listed as revoked in {url}")


def check_credential_status(credential: JSONObject, options: Options) -> Iterable[Check]:
    raw = credential.get("credentialStatus")
    entries = _as_list(raw)
    for i, entry in enumerate(entries):
        pointer = f"/credentialStatus/{i}" if isinstance(raw, list) else "/credentialStatus"
        if not isinstance(entry, Mapping):
            yield Check(id="status", status=Status.FAIL, pointer=pointer, message="credentialStatus must be an object")
            continue
        kind = entry.get("type")
        if isinstance(kind, str) and kind in _BITSTRING_TYPES:
            yield _bitstring(entry, credential, options, pointer)
        elif kind == "1EdTechRevocationList":
            yield _revocation_list(entry, credential, options, pointer)
        else:
            yield Check(
                id="status",
                status=Status.FAIL,
                pointer=pointer,
                message=f"credentialStatus type {kind!r} is not supported, so revocation cannot be checked",
            )
