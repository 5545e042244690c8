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
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final

from ..errors import BadgeError, CatalogError, InputError, StoreError
from ..identity import Recipient
from ..interfaces import JSONObject
from ..issue import SigningKey
from ..jsonld import DEFAULT_LOADER, ContextLoader
from ..model import Catalog
from ..ob3 import Evidence
from ..timefmt import format_datetime, parse_datetime
from .db import Registry
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
) -> Iterator[RowResult]:
    """Issue one credential per row and yield one :class:`RowResult` per row, in order.

    ``rows`` are :class:`RosterRow` (from :func:`parse_roster`) or plain mappings column → value (numbered from 1).
    Each issued row is committed before its result is yielded. Row problems (a bad email, an unknown achievement,
    a level below the required one, ...) become ``error`` results; a database failure (StoreError) stops the run.
    """
    seen: dict[str, int] = {}
    for position, item in enumerate(rows, start=1):
        values: Mapping[str, str | None]
        if isinstance(item, RosterRow):
            number, values, error = item.row, item.values, item.error
        else:
            number, values, error = position, item, None
        email = values.get("recipient_email") or None
        achievement = values.get("achievement") or None
        if error is not None:
            yield RowResult(
                row=number, outcome=RowOutcome.ERROR, reason=error, recipient_email=email, achievement=achievement
            )
            continue
        try:
            award = _validate(values, catalog=catalog, issuer_id=issuer_id, now=now)
            evidence_url = award.evidence[0].url if award.evidence else None
            natural_key = registry.natural_key(
                issuer_id=issuer_id,
                recipient=award.recipient,
                achievement_id=award.achievement_id,
                evidence_url=evidence_url,
            )
            if natural_key in seen:
                existing = registry.find(natural_key=natural_key)
                yield RowResult(
                    row=number,
                    outcome=RowOutcome.SKIPPED,
                    reason=f"same award as row {seen[natural_key]}",
                    credential_id=existing.id if existing else None,
                    recipient_email=award.recipient.email,
                    achievement=award.achievement_id,
                    record=existing,
                )
                continue
            seen[natural_key] = number
            issuance = registry.issue(
                catalog,
                award.achievement_id,
                award.recipient,
                key,
                now=now,
                actor=actor,
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
                loader=loader,
            )
        except StoreError:
            raise
        except BadgeError as exc:
            yield RowResult(
                row=number,
                outcome=RowOutcome.ERROR,
                reason=exc.message,
                recipient_email=email,
                achievement=achievement,
            )
            continue
        record = issuance.record
        reason = None
        if not issuance.created:
            reason = f"already issued on {format_datetime(record.issued_at)}"
            if record.state.value != "active":
                reason += f" (now {record.state.value})"
        yield RowResult(
            row=number,
            outcome=RowOutcome.ISSUED if issuance.created else RowOutcome.SKIPPED,
            reason=reason,
            credential_id=record.id,
            recipient_email=award.recipient.email,
            achievement=record.achievement_id,
            record=record,
        )
