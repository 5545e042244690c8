"""Bulk issuance: a roster (CSV, UTF-8) in, one result per row out, every award recorded in the registry.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first award row 2 (a quoted field with line
breaks still counts as one row). A row that cannot be read or validated becomes an ``error`` result with a reason;
the other rows are issued. Re-running the same roster issues nothing twice: an award's natural key (issuer,
recipient, achievement, evidence URL) is recorded with it, and a row whose key is already recorded is ``skipped``
with the existing credential's id. Each row is committed before its result is yielded, so an interrupted run loses
nothing it reported, and the next run finishes the rest.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import io
import multiprocessing
import os
import pickle
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization

from ..bake import bake_image
from ..errors import BadgeError, CatalogError, InputError, StoreError
from ..identity import Recipient
from ..interfaces import JSONObject
from ..issue import SigningKey
from ..jsonld import DEFAULT_LOADER, ContextLoader
from ..model import Catalog
from ..ob3 import Evidence
from ..timefmt import format_datetime, parse_datetime
from .db import IssuePlan, Registry, _actor, sign_plan
from .models import CredentialRecord, StatusDialect

__all__ = [
    "CSV_COLUMNS",
    "MAX_ROSTER_BYTES",
    "REPORT_FIELDS",
    "REQUIRED_COLUMNS",
    "Roster",
    "RosterRow",
    "RowOutcome",
    "RowResult",
    "issue_many",
    "parse_levels",
    "parse_roster",
    "read_roster",
]

CSV_COLUMNS: Final = (
    "recipient_email",
    "recipient_name",
    "achievement",
    "evidence_url",
    "evidence_name",
    "evidence_narrative",
    "narrative",
    "level",
    "valid_until",
    "locale",
)
REQUIRED_COLUMNS: Final = ("recipient_email", "achievement")
REPORT_FIELDS: Final = ("row", "outcome", "credential_id", "recipient_email", "achievement", "reason")
MAX_ROSTER_BYTES: Final = 64 * 1024 * 1024
MAX_ROWS: Final = 200_000
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class RowOutcome(StrEnum):
    ISSUED = "issued"
    """Issued and recorded by this run."""
    SKIPPED = "skipped"
    """Already recorded (by an earlier run, or an earlier row of this one); nothing new was issued."""
    ERROR = "error"
    """Not issued; ``reason`` says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterRow:
    """One award row as read from the file: values by column, and the reason when it could not be read (then
    ``values`` holds what could be read, for the report)."""

    row: int
    values: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Roster:
    columns: tuple[str, ...]
    rows: tuple[RosterRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RowResult:
    """What happened to one row."""

    row: int
    outcome: RowOutcome
    reason: str | None = None
    credential_id: str | None = None
    recipient_email: str | None = None
    achievement: str | None = None
    record: CredentialRecord | None = None
    baked: bytes | None = None
    """The credential baked into its achievement's image, when ``issue_many`` was asked to bake."""

    @property
    def ok(self) -> bool:
        return self.outcome is not RowOutcome.ERROR

    def to_json(self) -> JSONObject:
        return {
            "row": self.row,
            "outcome": self.outcome.value,
            "credentialId": self.credential_id,
            "recipientEmail": self.recipient_email,
            "achievement": self.achievement,
            "reason": self.reason,
        }

    def to_csv_row(self) -> dict[str, str]:
        """A row of the CSV report (columns :data:`REPORT_FIELDS`)."""
        return {
            "row": str(self.row),
            "outcome": self.outcome.value,
            "credential_id": self.credential_id or "",
            "recipient_email": self.recipient_email or "",
            "achievement": self.achievement or "",
            "reason": self.reason or "",
        }


# -- reading -----------------------------------------------------------------------------------------------------


def _first_bad_byte(text: str) -> tuple[int, int] | None:
    """(position in ``text``, byte value) of the first byte that was not UTF-8 (decoded with surrogateescape)."""
    for pos, char in enumerate(text):
        if 0xDC80 <= ord(char) <= 0xDCFF:
            return pos, ord(char) - 0xDC00
    return None


def _readable(field: str) -> str:
    """A field with surrounding spaces removed and undecodable bytes shown as U+FFFD."""
    return "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in field.strip())


def _byte_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def parse_roster(data: bytes, *, name: str = "roster") -> Roster:
    """Read a roster: UTF-8 CSV (a byte-order mark is allowed) with a header row of :data:`CSV_COLUMNS`.

    Raises:
        InputError: for the whole file: UTF-16, a header that is not UTF-8 (the message names the byte offset),
            no header, unknown, repeated or missing required columns, too many rows, malformed CSV. A row that is
            not UTF-8, or has the wrong number of fields, is returned with ``error`` set instead.
    """
    if len(data) > MAX_ROSTER_BYTES:
        raise InputError(f"{name} is larger than {MAX_ROSTER_BYTES} bytes; split it into several files")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"{name} is UTF-16 text, not UTF-8", hint="save it as 'CSV UTF-8 (comma delimited)'")
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    text = data[skip:].decode("utf-8", "surrogateescape")
    lines = list(io.StringIO(text, newline=""))
    starts = [skip]
    for line in lines:
        starts.append(starts[-1] + _byte_len(line))
    reader = csv.reader(iter(lines))
    columns: tuple[str, ...] | None = None
    rows: list[RosterRow] = []
    number = 0
    consumed = 0
    try:
        for fields in reader:
            number += 1
            first, consumed = consumed, reader.line_num
            raw = "".join(lines[first:consumed])
            bad = _first_bad_byte(raw)
            where = ""
            if bad is not None:
                offset = starts[first] + _byte_len(raw[: bad[0]])
                where = f"not UTF-8: byte 0x{bad[1]:02X} at byte offset {offset} of the file"
            if columns is None:
                if bad is not None:
                    raise InputError(
                        f"{name}: the header row is {where}", hint="save the file as 'CSV UTF-8 (comma delimited)'"
                    )
                if not any(f.strip() for f in fields):
                    raise InputError(f"{name}: row {number} is empty; the first row must be the header")
                columns = _header(fields, name)
                continue
            if not any(f.strip() for f in fields):
                continue  # blank line
            if len(rows) >= MAX_ROWS:
                raise InputError(f"{name} has more than {MAX_ROWS} rows; split it into several files")
            values = dict(zip(columns, (_readable(f) for f in fields), strict=False))
            if bad is not None:
                rows.append(RosterRow(row=number, values=values, error=f"{where} (save the file as CSV UTF-8)"))
            elif len(fields) != len(columns):
                rows.append(
                    RosterRow(
                        row=number,
                        values=values,
                        error=f"the row has {len(fields)} fields but the header has {len(columns)} "
                        "(a missing column, or an unquoted comma)",
                    )
                )
            else:
                rows.append(RosterRow(row=number, values=values))
    except csv.Error as exc:
        raise InputError(f"{name}, row {number + 1}: malformed CSV ({exc})") from None
    if columns is None:
        raise InputError(f"{name} is empty; expected a header row: {','.join(CSV_COLUMNS)}")
    return Roster(columns=columns, rows=tuple(rows))


def _header(fields: Sequence[str], name: str) -> tuple[str, ...]:
    columns = tuple(f.strip().lstrip("\ufeff").strip().lower() for f in fields)
    known = ", ".join(CSV_COLUMNS)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(f"{name}: column {repeated[0]!r} appears twice in the header")
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        hint = "the file must be comma-separated" if any(";" in c for c in unknown) else f"known columns: {known}"
        raise InputError(f"{name}: unknown column {unknown[0]!r} in the header", hint=hint)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"{name}: the header has no {missing[0]!r} column (required: {', '.join(REQUIRED_COLUMNS)})")
    return columns


def read_roster(path: Path) -> Roster:
    """Read and parse a roster file (see :func:`parse_roster`)."""
    try:
        size = path.stat().st_size
        if size > MAX_ROSTER_BYTES:
            raise InputError(f"{path} is larger than {MAX_ROSTER_BYTES} bytes; split it into several files")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_roster(data, name=str(path))


# -- validating --------------------------------------------------------------------------------------------------


def parse_levels(value: str) -> Mapping[str, str] | str | None:
    """``Exemplary`` (every criterion) or ``criterion=level; criterion=level``; empty means the required level."""
    text = value.strip()
    if not text:
        return None
    if "=" not in text:
        return text
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        criterion, sep, level = part.partition("=")
        if not sep or not criterion.strip() or not level.strip():
            raise InputError(f"level {value!r} must be LEVEL or CRITERION=LEVEL; CRITERION=LEVEL; ...")
        out[criterion.strip()] = level.strip()
    return out


def _date(value: str, column: str) -> datetime:
    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    return parse_datetime(text, what=column)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Award:
    recipient: Recipient
    achievement_id: str
    evidence: tuple[Evidence, ...]
    narrative: str | None
    levels: Mapping[str, str] | str | None
    valid_until: datetime | None
    locale: str | None


def _validate(values: Mapping[str, str | None], *, catalog: Catalog, issuer_id: str, now: datetime) -> _Award:
    def get(column: str) -> str:
        value = values.get(column)
        return value.strip() if isinstance(value, str) else ""

    for column in REQUIRED_COLUMNS:
        if not get(column):
            raise InputError(f"{column} is empty")
    achievement_id = get("achievement")
    try:
        entry = catalog.achievement(achievement_id)
    except CatalogError:
        raise InputError(f"achievement {achievement_id!r} is not in the catalog") from None
    if entry.issuer != issuer_id:
        raise InputError(f"achievement {achievement_id!r} is issued by {entry.issuer!r}, not {issuer_id!r}")
    recipient = Recipient(email=get("recipient_email"), name=get("recipient_name") or None, hashed=True)
    evidence: tuple[Evidence, ...] = ()
    if get("evidence_url") or get("evidence_name") or get("evidence_narrative"):
        evidence = (
            Evidence(
                url=get("evidence_url") or None,
                name=get("evidence_name") or None,
                narrative=get("evidence_narrative") or None,
            ),
        )
    valid_until = _date(get("valid_until"), "valid_until") if get("valid_until") else None
    if valid_until is not None and valid_until <= now:
        raise InputError(
            f"valid_until {get('valid_until')} is not in the future (the credential would be expired when issued "
            f"at {format_datetime(now)})"
        )
    locale = get("locale") or None
    if locale is not None and not _LOCALE.match(locale):
        raise InputError(f"locale {locale!r} is not a language tag such as en or es-MX")
    return _Award(
        recipient=recipient,
        achievement_id=entry.id,
        evidence=evidence,
        narrative=get("narrative") or None,
        levels=parse_levels(get("level")),
        valid_until=valid_until,
        locale=locale,
    )


# -- issuing -----------------------------------------------------------------------------------------------------

DEFAULT_CHUNK: Final = 32
"""Rows per chunk: signed together by one worker and recorded in one transaction."""


@dataclass(frozen=True, slots=True)
class _Signed:
    document: str | None = None
    baked: bytes | None = None
    error: str | None = None


@dataclass(slots=True)
class _Worker:
    catalog: Catalog
    key: SigningKey
    now: datetime
    loader: ContextLoader
    art: Mapping[str, bytes]


_WORKER: _Worker | None = None


def _sign_chunk(plans: Sequence[IssuePlan], worker: _Worker | None = None) -> list[_Signed]:
    """Sign (and bake) each plan; a row's BadgeError becomes that row's error, never the chunk's."""
    state = worker or _WORKER
    if state is None:  # pragma: no cover - a worker process always has its state
        raise RuntimeError("bulk signing worker was not initialised")
    out: list[_Signed] = []
    for plan in plans:
        try:
            issued = sign_plan(plan, state.catalog, state.key, now=state.now, loader=state.loader)
            image = state.art.get(plan.achievement_id)
            baked = bake_image(image, issued.document, ob_version=3) if image is not None else None
        except BadgeError as exc:
            out.append(_Signed(error=exc.message))
            continue
        out.append(_Signed(document=issued.document, baked=baked))
    return out


def _die_with(parent: int) -> None:
    """End this worker when the parent process dies (even by SIGKILL): Linux asks the kernel, elsewhere a thread
    watches the parent id."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent:  # the parent died before prctl
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG: Final = 1


def _init_worker(
    parent: int, catalog: Catalog, key_der: bytes, key_id: str, now: datetime, loader: ContextLoader, art: Any
) -> None:
    global _WORKER
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops between rows
    private = serialization.load_der_private_key(key_der, password=None)
    _WORKER = _Worker(catalog, SigningKey(private, key_id), now, loader, art)  # type: ignore[arg-type]


class _Signer:
    """Signs chunks of plans: in this process (``workers=1``) or in a pool of worker processes."""

    def __init__(
        self,
        workers: int,
        *,
        catalog: Catalog,
        key: SigningKey,
        now: datetime,
        loader: ContextLoader,
        art: Mapping[str, bytes],
    ) -> None:
        self._state = _Worker(catalog, key, now, loader, dict(art))
        self._pool: ProcessPoolExecutor | None = None
        self.depth = 1
        if workers > 1:
            try:
                pickle.dumps((catalog, loader))
            except Exception as exc:
                raise InputError(
                    f"bulk issuing with {workers} workers needs a catalog and context loader that can be sent to "
                    f"worker processes ({type(exc).__name__}: {exc})",
                    hint="use workers=1",
                ) from None
            key_der = key.private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            # spawn: a fresh interpreter (no inherited locks, threads or database connections), a direct child
            # that dies with this process; the catalog and key travel once, through the worker's pipe
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(), catalog, key_der, key.key_id, now, loader, self._state.art),
            )
            self.depth = 2 * workers

    def submit(self, plans: list[IssuePlan]) -> Future[list[_Signed]]:
        if self._pool is not None:
            return self._pool.submit(_sign_chunk, plans)
        done: Future[list[_Signed]] = Future()
        done.set_result(_sign_chunk(plans, self._state))
        return done

    @staticmethod
    def result(future: Future[list[_Signed]]) -> list[_Signed]:
        try:
            return future.result()
        except BrokenProcessPool:
            raise BadgeError(
                "bulk issuing: a signing worker process died; every row reported so far is recorded",
                hint="run the same roster again to issue the rest",
            ) from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass(slots=True)
class _Pending:
    """A row on its way: its final result, or what is needed to produce it once its chunk is recorded."""

    number: int
    email: str | None
    achievement: str | None
    result: RowResult | None = None
    plan: IssuePlan | None = None
    same_as: int | None = None
    natural_key: str | None = None


def issue_many(
    rows: Iterable[RosterRow | Mapping[str, str | None]],
    *,
    registry: Registry,
    catalog: Catalog,
    key: SigningKey,
    issuer_id: str,
    now: datetime,
    actor: str,
    fmt: str = "ob3-di",
    status: StatusDialect | str | None = None,
    store_email: bool = False,
    loader: ContextLoader = DEFAULT_LOADER,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    bake: Mapping[str, bytes] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[RowResult]:
    """Issue one credential per row and yield one :class:`RowResult` per row, in order.

    ``rows`` are :class:`RosterRow` (from :func:`parse_roster`) or plain mappings column → value (numbered from 1).
    Row problems (a bad email, an unknown achievement, a level below the required one, ...) become ``error``
    results; a database failure (StoreError) stops the run.

    Rows go in chunks of ``chunk_size``: a chunk's status indexes are reserved in one transaction, its credentials
    signed (in one of ``workers`` processes when ``workers`` > 1, so bulk issuing uses every core) and recorded in
    one transaction, and only then are its results yielded: every yielded row is committed, and a run stopped at
    any point loses nothing it reported. ``bake`` maps achievement ids to badge art (PNG or SVG bytes): each issued
    credential is baked into its achievement's image (``RowResult.baked``) where it is signed.

    ``should_stop`` is asked before each chunk is recorded: once it returns true, the run ends after the rows
    already recorded are yielded (rows signed but not recorded are dropped; a re-run issues them). Closing the
    generator early instead can leave recorded rows of the current chunk unreported (a re-run skips them).
    """
    actor = _actor(actor)
    if workers < 1 or chunk_size < 1:
        raise InputError(f"workers ({workers}) and chunk_size ({chunk_size}) must be at least 1")
    signer = _Signer(workers, catalog=catalog, key=key, now=now, loader=loader, art=bake or {})
    seen: dict[str, int] = {}
    in_flight: deque[tuple[list[_Pending], Future[list[_Signed]] | None]] = deque()
    stopped = should_stop or (lambda: False)
    try:
        for chunk in _chunks(rows, chunk_size):
            if stopped():
                return
            pending = [
                _prepare(
                    item,
                    position,
                    registry=registry,
                    catalog=catalog,
                    key=key,
                    issuer_id=issuer_id,
                    now=now,
                    fmt=fmt,
                    status=status,
                    store_email=store_email,
                    seen=seen,
                )
                for position, item in chunk
            ]
            in_flight.append(_submit(pending, registry=registry, signer=signer, now=now))
            while len(in_flight) > signer.depth:
                if stopped():
                    return
                yield from _finish(*in_flight.popleft(), registry=registry, actor=actor, now=now)
        while in_flight:
            if stopped():
                return
            yield from _finish(*in_flight.popleft(), registry=registry, actor=actor, now=now)
    finally:
        signer.close()


def _chunks(
    rows: Iterable[RosterRow | Mapping[str, str | None]], size: int
) -> Iterator[list[tuple[int, RosterRow | Mapping[str, str | None]]]]:
    chunk: list[tuple[int, RosterRow | Mapping[str, str | None]]] = []
    for position, item in enumerate(rows, start=1):
        chunk.append((position, item))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepare(
    item: RosterRow | Mapping[str, str | None],
    position: int,
    *,
    registry: Registry,
    catalog: Catalog,
    key: SigningKey,
    issuer_id: str,
    now: datetime,
    fmt: str,
    status: StatusDialect | str | None,
    store_email: bool,
    seen: dict[str, int],
) -> _Pending:
    values: Mapping[str, str | None]
    if isinstance(item, RosterRow):
        number, values, error = item.row, item.values, item.error
    else:
        number, values, error = position, item, None
    email = values.get("recipient_email") or None
    achievement = values.get("achievement") or None
    row = _Pending(number, email, achievement)
    if error is not None:
        row.result = RowResult(
            row=number, outcome=RowOutcome.ERROR, reason=error, recipient_email=email, achievement=achievement
        )
        return row
    try:
        award = _validate(values, catalog=catalog, issuer_id=issuer_id, now=now)
        row.email, row.achievement = award.recipient.email, award.achievement_id
        evidence_url = award.evidence[0].url if award.evidence else None
        natural_key = registry.natural_key(
            issuer_id=issuer_id,
            recipient=award.recipient,
            achievement_id=award.achievement_id,
            evidence_url=evidence_url,
        )
        row.natural_key = natural_key
        if natural_key in seen:
            row.same_as = seen[natural_key]
            return row
        seen[natural_key] = number
        row.plan = registry.plan(
            catalog,
            award.achievement_id,
            award.recipient,
            key,
            now=now,
            issuer_id=issuer_id,
            fmt=fmt,
            status=status,
            natural_key=natural_key,
            store_email=store_email,
            locale=award.locale,
            valid_until=award.valid_until,
            levels=award.levels,
            evidence=award.evidence,
            narrative=award.narrative,
        )
    except StoreError:
        raise
    except BadgeError as exc:
        row.result = RowResult(
            row=number, outcome=RowOutcome.ERROR, reason=exc.message, recipient_email=email, achievement=achievement
        )
    return row


def _submit(
    pending: list[_Pending], *, registry: Registry, signer: _Signer, now: datetime
) -> tuple[list[_Pending], Future[list[_Signed]] | None]:
    """Skip the awards already recorded, reserve the chunk's status indexes and hand it to the signer."""
    planned = [row for row in pending if row.plan is not None]
    existing = registry.find_many([row.plan.natural_key for row in planned if row.plan and row.plan.natural_key])
    for row in planned:
        assert row.plan is not None
        record = existing.get(row.plan.natural_key or "")
        if record is not None:
            row.plan = None
            row.result = _existing(row.number, record, row.email)
    planned = [row for row in planned if row.plan is not None]
    if not planned:
        return pending, None
    plans = registry.reserve([row.plan for row in planned if row.plan is not None], now=now)
    for row, plan in zip(planned, plans, strict=True):
        row.plan = plan
    return pending, signer.submit(plans)


def _existing(number: int, record: CredentialRecord, email: str | None) -> RowResult:
    reason = f"already issued on {format_datetime(record.issued_at)}"
    if record.state.value != "active":
        reason += f" (now {record.state.value})"
    return RowResult(
        row=number,
        outcome=RowOutcome.SKIPPED,
        reason=reason,
        credential_id=record.id,
        recipient_email=email,
        achievement=record.achievement_id,
        record=record,
    )


def _finish(
    pending: list[_Pending],
    future: Future[list[_Signed]] | None,
    *,
    registry: Registry,
    actor: str,
    now: datetime,
) -> Iterator[RowResult]:
    """Record the chunk's signed credentials in one transaction, then yield the chunk's results in row order."""
    planned = [row for row in pending if row.plan is not None]
    signed = _Signer.result(future) if future is not None else []
    baked: dict[int, bytes | None] = {}
    to_record: list[tuple[IssuePlan, str]] = []
    recorded_rows: list[_Pending] = []
    for row, outcome in zip(planned, signed, strict=True):
        assert row.plan is not None
        if outcome.document is None:
            row.result = RowResult(
                row=row.number,
                outcome=RowOutcome.ERROR,
                reason=outcome.error,
                recipient_email=row.email,
                achievement=row.achievement,
            )
            continue
        to_record.append((row.plan, outcome.document))
        recorded_rows.append(row)
        baked[row.number] = outcome.baked
    for row, issuance in zip(recorded_rows, registry.record(to_record, actor=actor, now=now), strict=True):
        if issuance.created:
            row.result = RowResult(
                row=row.number,
                outcome=RowOutcome.ISSUED,
                credential_id=issuance.record.id,
                recipient_email=row.email,
                achievement=issuance.record.achievement_id,
                record=issuance.record,
                baked=baked.get(row.number),
            )
        else:
            row.result = _existing(row.number, issuance.record, row.email)
    for row in pending:
        if row.same_as is not None:
            existing = registry.find(natural_key=row.natural_key) if row.natural_key else None
            row.result = RowResult(
                row=row.number,
                outcome=RowOutcome.SKIPPED,
                reason=f"same award as row {row.same_as}",
                credential_id=existing.id if existing else None,
                recipient_email=row.email,
                achievement=row.achievement,
                record=existing,
            )
        assert row.result is not None
        yield row.result
