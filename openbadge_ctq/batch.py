"""Use case: verify many credentials (a district's CSV of badge URLs) and report one row per credential.

``verify_batch`` takes the fetcher (one for the whole batch, so an issuer's profile, DID document and status list
are fetched once) and ``now``; it never raises for a bad badge — a row that cannot be read is a row whose verdict
is ``not verified`` with the reason in ``problem``.

A batch CSV has a header with a ``url`` column (also accepted: ``credential``, ``badge``, ``link``), and optionally
``recipient`` (an email the credential must have been issued to). A file without a header row, holding only URLs, is
read too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import InputError
from .interfaces import Fetcher
from .trust import TrustList
from .verify import Check, Status, VerificationReport, verify

__all__ = ["BATCH_COLUMNS", "MAX_BATCH_ROWS", "BatchRow", "parse_batch_csv", "report_row", "verify_batch", "write_csv"]

BATCH_COLUMNS: tuple[str, ...] = (
    "row",
    "url",
    "verdict",
    "teacher",
    "micro_credential",
    "issuer",
    "issuer_id",
    "trust",
    "issued",
    "expires",
    "status",
    "hours",
    "problem",
)
"""The columns of a batch report, in order (CSV header and JSON keys)."""

MAX_BATCH_ROWS = 1000
_URL_HEADERS = ("url", "credential", "badge", "link", "credential_url", "badge_url")


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRow:
    """One credential to verify: where it is (usually a URL) and, optionally, who it must have been issued to."""

    row: int
    source: str
    recipient: str | None = None


def parse_batch_csv(text: str, *, max_rows: int = MAX_BATCH_ROWS) -> list[BatchRow]:
    """Read a CSV of badge URLs (see the module docstring). Blank lines are skipped.

    Raises:
        InputError: no URL column, an empty file, or more than ``max_rows`` rows.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    numbered = [(reader.line_num, line) for line in reader]
    numbered = [(n, line) for n, line in numbered if any(cell.strip() for cell in line)]
    if not numbered:
        raise InputError("the batch file has no rows", hint="one badge URL per line, or a CSV with a 'url' column")
    lines = [line for _, line in numbered]
    header = [cell.strip().lower() for cell in lines[0]]
    url_col = next((header.index(h) for h in _URL_HEADERS if h in header), None)
    if url_col is None:
        if not lines[0][0].strip().startswith(("https://", "http://", "{", "ey")):
            raise InputError(
                f"the batch file has no 'url' column (found: {', '.join(h for h in header if h)[:200]})",
                hint="name the column of badge URLs 'url'",
            )
        url_col, recipient_col, body = 0, None, numbered
    else:
        recipient_col = header.index("recipient") if "recipient" in header else None
        body = numbered[1:]
    if len(body) > max_rows:
        raise InputError(f"the batch file has {len(body)} rows; at most {max_rows} are verified at once")
    rows = []
    for number, line in body:
        source = line[url_col].strip() if url_col < len(line) else ""
        recipient = line[recipient_col].strip() if recipient_col is not None and recipient_col < len(line) else ""
        rows.append(BatchRow(row=number, source=source, recipient=recipient or None))
    return rows


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _status_word(report: VerificationReport) -> str:
    check = report.check("status")
    if check is None:
        return ""
    if check.status is Status.SKIP:
        return "no status list" if "no credentialStatus" in check.message else "not checked"
    if check.status is Status.PASS:
        return "active"
    if check.status is Status.WARN:
        return "not checked"
    lowered = check.message.lower()
    for word in ("revoked", "suspended"):
        if word in lowered:
            return word
    return "unknown"


def report_row(
    row: int, source: str, report: VerificationReport, *, trust: TrustList | None = None
) -> dict[str, str | int]:
    """One batch report row (the :data:`BATCH_COLUMNS`) from a verification report."""
    summary: Mapping[str, Any] = report.summary or {}
    issuer = _mapping(summary.get("issuer"))
    achievement = _mapping(summary.get("achievement"))
    recipient = _mapping(summary.get("recipient"))
    issuer_id = _text(issuer.get("id"))
    hours = summary.get("creditsEarned")
    first_error = report.errors[0] if report.errors else None
    problem = f"{first_error.id}: {first_error.message}" if first_error else ""
    if not problem and not report.verified:
        problem = "no proof was verified"
    return {
        "row": row,
        "url": source if len(source) <= 2048 else source[:2047] + "…",
        "verdict": "verified" if report.verified else "not verified",
        "teacher": _text(recipient.get("name")),
        "micro_credential": _text(achievement.get("name")) or _text(summary.get("name")),
        "issuer": _text(issuer.get("name")),
        "issuer_id": issuer_id,
        "trust": (trust.judge(issuer_id) if issuer_id else "unknown") if trust is not None else "",
        "issued": _text(summary.get("awardedDate")) or _text(summary.get("validFrom")),
        "expires": _text(summary.get("validUntil")),
        "status": _status_word(report),
        "hours": "" if not isinstance(hours, int | float) or isinstance(hours, bool) else f"{hours:g}",
        "problem": problem,
    }


def verify_batch(
    rows: Iterable[BatchRow | str | Mapping[str, Any]],
    *,
    fetcher: Fetcher,
    now: datetime | str | None = None,
    trust: TrustList | None = None,
) -> Iterator[dict[str, str | int]]:
    """Verify each row and yield its report row (lazily, in order).

    Args:
        rows: :class:`BatchRow` values, bare sources (URLs, JSON text), or mappings with ``url``/``recipient``.
        fetcher: used for every row (pass one ``HttpFetcher`` for the batch; the caller closes it).
        now: the moment validity is judged at (default: the current time, fixed once for the whole batch).
        trust: when given, the ``trust`` column says whether each issuer is trusted, unknown or distrusted.
    """
    for number, item in enumerate(rows, start=1):
        row = _as_row(number, item)
        if not row.source:
            report = VerificationReport(
                format="unknown", checks=(Check(id="parse", status=Status.FAIL, message="the row has no badge URL"),)
            )
        else:
            report = verify(row.source, fetcher=fetcher, now=now, recipient=row.recipient)
        yield report_row(row.row, row.source, report, trust=trust)


def _as_row(number: int, item: BatchRow | str | Mapping[str, Any]) -> BatchRow:
    if isinstance(item, BatchRow):
        return item
    if isinstance(item, str):
        return BatchRow(row=number, source=item.strip())
    if isinstance(item, Mapping):
        source = next((item[h] for h in _URL_HEADERS if isinstance(item.get(h), str)), "")
        recipient = item.get("recipient")
        return BatchRow(
            row=int(item.get("row", number)),
            source=str(source).strip(),
            recipient=recipient if isinstance(recipient, str) and recipient else None,
        )
    raise TypeError(f"a batch row must be a BatchRow, a string or a mapping, not {type(item).__name__}")


def write_csv(rows: Iterable[Mapping[str, Any]], out: Any) -> int:
    """Write report rows as CSV (header :data:`BATCH_COLUMNS`) to a text stream; return the number of rows.

    Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are prefixed with
    ``'`` so a hostile credential name cannot become a formula.
    """
    writer = csv.DictWriter(out, fieldnames=BATCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _cell(row.get(k, "")) for k in BATCH_COLUMNS})
        count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
