"""The body of ``badge issue --csv ROSTER``: issue one credential per row, record each, report each row.

Rows are committed one by one, so a killed process loses nothing that was finished; running the same command again
skips every row already recorded and issues the rest. Ctrl-C (or SIGTERM) stops after the row under way, so the
report accounts for every recorded row. A CSV report is written row by row as the run goes; a JSON report is
written at the end (also after Ctrl-C).
"""

from __future__ import annotations

import csv
import json
import re
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from openbadge_ctq.bake import bake_image
from openbadge_ctq.errors import CatalogError, InputError, StoreError
from openbadge_ctq.keys import KeyType
from openbadge_ctq.model import Catalog
from openbadge_ctq.qr import qr_png, qr_svg
from openbadge_ctq.share import verification_url_for

from .commands.registry import actor_name, open_registry, write_file
from .common import badge_art, catalog_for, signing_key
from .context import AppContext
from .render import emit_json

if TYPE_CHECKING:
    from openbadge_ctq.registry import CredentialRecord, Roster

__all__ = ["EXIT_INTERRUPTED", "EXIT_ROWS_FAILED", "REPORT_SUFFIXES", "run_bulk"]

EXIT_ROWS_FAILED = 1
"""Some rows were not issued (the report says why); the others were."""
EXIT_INTERRUPTED = 130
REPORT_SUFFIXES = (".csv", ".json")
IMAGE_FORMATS = ("png", "svg")
REPORT_COLUMNS = ("row", "outcome", "credential_id", "recipient_email", "achievement", "reason", "files")


def _file_stem(credential_id: str) -> str:
    """A file name for a credential: the last segment of its id (a UUID for our own ids)."""
    last = re.split(r"[/:]", credential_id.rstrip("/"))[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", last)[:120] or "credential"


class _Outputs:
    """Writes each credential (and, on request, its baked badge and QR code) into the output folder."""

    def __init__(self, out_dir: Path, art: Mapping[str, bytes], *, bake: str | None, qr: str | None) -> None:
        self.out_dir, self.art, self.bake, self.qr = out_dir, art, bake, qr

    def write(self, record: CredentialRecord) -> list[str]:
        stem = _file_stem(record.id)
        files = [self._write(f"{stem}{record.suffix}", record.document.encode("utf-8"))]
        if self.bake is not None:
            baked = bake_image(self.art[record.achievement_id], record.document, ob_version=3)
            files.append(self._write(f"{stem}.{self.bake}", baked))
        if self.qr is not None:
            url = verification_url_for(record.credential)
            files.append(self._write(f"{stem}-qr.{self.qr}", qr_png(url) if self.qr == "png" else qr_svg(url)))
        return files

    def _write(self, name: str, data: bytes) -> str:
        path = self.out_dir / name
        try:
            write_file(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        return str(path)


class _CsvReport:
    """The CSV report, written and flushed row by row (a killed run leaves the rows it finished)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.DictWriter(self.handle, fieldnames=REPORT_COLUMNS)
        self.writer.writeheader()

    def add(self, row: dict[str, str]) -> None:
        self.writer.writerow(row)
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def _badge_art(roster: Roster, catalog: Catalog, kind: str) -> dict[str, bytes]:
    """The badge art of every achievement the roster names, read before anything is issued (missing art stops
    the run before its first row, not after)."""
    art: dict[str, bytes] = {}
    for row in roster.rows:
        wanted = row.values.get("achievement", "")
        try:
            entry = catalog.achievement(wanted)
        except CatalogError:
            continue  # that row fails on its own
        if entry.id not in art:
            art[entry.id] = badge_art(catalog, entry.id, kind)
    return art


class _StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM asks the run to stop after the row under way; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        click.echo("\nStopping after the current row (Ctrl-C again to stop at once)...", err=True)


@contextmanager
def _stop_between_rows() -> Iterator[_StopRequest]:
    request = _StopRequest()
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield request
        return
    previous = {sig: signal.signal(sig, request) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Issuing", file=sys.stderr, show_pos=True) as bar:
            yield bar
    else:
        yield None


def run_bulk(
    state: AppContext,
    *,
    issuer_id: str,
    csv_path: Path,
    fmt: str,
    key_type: KeyType,
    now: datetime,
    db_url: str | None = None,
    status: str | None = None,
    actor: str | None = None,
    report: Path | None = None,
    out_dir: Path | None = None,
    bake: str | None = None,
    qr: str | None = None,
    store_email: bool = False,
    as_json: bool = False,
) -> int:
    """Issue every row of ``csv_path`` for ``issuer_id`` and return the exit code (0, 1 some rows failed, 130).

    ``bake`` and ``qr`` are image formats (``png`` or ``svg``): each row's credential is baked into its badge art,
    and a QR code of its https id is drawn, next to the credential in ``out_dir``.
    """
    from openbadge_ctq.registry import RowOutcome, issue_many, read_roster

    if report is not None and report.suffix.lower() not in REPORT_SUFFIXES:
        raise click.BadParameter(f"{report.name}: the report must end in .csv or .json", param_hint="--report")
    if report is not None and report.resolve() == csv_path.resolve():
        raise click.BadParameter("the report would overwrite the roster", param_hint="--report")
    for option, value in (("--bake", bake), ("--qr", qr)):
        if value is not None and value not in IMAGE_FORMATS:
            raise click.BadParameter(f"with --csv, {option} takes an image format: png or svg", param_hint=option)
    if (bake or qr) and out_dir is None:
        raise click.UsageError("--bake and --qr write one file per row: give --out-dir DIR")
    roster = read_roster(csv_path)
    catalog = catalog_for(state)
    org = catalog.organization(issuer_id)
    if qr and not org.base_url:
        raise InputError(
            f"issuer {org.id!r} has no baseUrl, so its credentials have no https address to put in a QR code",
            hint="give the issuer a baseUrl (docs/registry.md), or leave out --qr",
        )
    art = _badge_art(roster, catalog, bake) if bake else {}
    outputs = _Outputs(out_dir, art, bake=bake, qr=qr) if out_dir is not None else None
    results: list[dict[str, Any]] = []
    counts = {outcome: 0 for outcome in RowOutcome}
    interrupted = started = finished = False
    try:
        with ExitStack() as stack:
            registry = stack.enter_context(open_registry(state, db_url))
            key = signing_key(state, org.id, key_type)
            csv_report = None
            if report is not None and report.suffix.lower() == ".csv":
                csv_report = _CsvReport(report)
                stack.callback(csv_report.close)
            bar = stack.enter_context(_progress(len(roster.rows)))
            results_iter = issue_many(
                roster.rows,
                registry=registry,
                catalog=catalog,
                key=key,
                issuer_id=org.id,
                now=now,
                actor=actor_name(actor),
                fmt=fmt,
                status=status,
                store_email=store_email,
            )
            stop = stack.enter_context(_stop_between_rows())
            started = True
            try:
                for result in results_iter:
                    files = outputs.write(result.record) if outputs is not None and result.record is not None else []
                    counts[result.outcome] += 1
                    row = {**result.to_csv_row(), "files": ";".join(files)}
                    results.append({**result.to_json(), "files": files})
                    if csv_report is not None:
                        csv_report.add(row)
                    if bar is not None:
                        bar.update(1)
                    if stop.requested:
                        interrupted = True
                        break
            except KeyboardInterrupt:  # a second Ctrl-C: stop at once (the row under way is not recorded)
                interrupted = True
            finished = not interrupted
    finally:
        if started and report is not None and report.suffix.lower() == ".json":  # also when an error stopped the run
            data = {"source": str(csv_path), "complete": finished, "rows": results}
            write_file(report, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    summary = {
        "issued": counts[RowOutcome.ISSUED],
        "skipped": counts[RowOutcome.SKIPPED],
        "failed": counts[RowOutcome.ERROR],
        "rows": len(roster.rows),
        "complete": not interrupted,
    }
    if as_json:
        emit_json({**summary, "report": str(report) if report else None, "results": results})
    else:
        _render(summary, results, report)
    if interrupted:
        click.echo(
            f"Interrupted after {len(results)} of {len(roster.rows)} rows; every finished row is recorded. "
            "Run the same command again to issue the rest.",
            err=True,
        )
        return EXIT_INTERRUPTED
    return EXIT_ROWS_FAILED if counts[RowOutcome.ERROR] else 0


def _render(summary: dict[str, Any], results: list[dict[str, Any]], report: Path | None) -> None:
    click.echo(
        f"Issued {summary['issued']}, already issued {summary['skipped']}, failed {summary['failed']} "
        f"of {summary['rows']} rows" + (f"; report: {report}" if report else "")
    )
    if report is None:
        for r in results:
            if r["outcome"] == "error":
                click.echo(f"  row {r['row']}: {r['reason']}")
