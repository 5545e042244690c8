"""The body of ``badge issue --csv ROSTER``: issue one credential per row, record each, report each row.

Rows are signed in worker processes (``--workers``) and committed a chunk at a time, each before its rows are
reported, so a killed process loses nothing it reported; running the same command again skips every row already
recorded and issues the rest. Ctrl-C (or SIGTERM) stops after the chunk under way, so the report accounts for every
recorded row. A CSV report is written row by row as the run goes; a JSON report is written at the end (also after
Ctrl-C). Output files are written atomically (a temporary file, then a rename) and flushed to disk once, at the end
of the run, rather than one by one: the registry is the record, and a re-run writes any file that is missing.
"""

from __future__ import annotations

import csv
import json
import os
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
PARALLEL_ROWS = 256
"""Rosters with at least this many rows are signed by one worker process per CPU (unless --workers says)."""
REPORT_COLUMNS = ("row", "outcome", "credential_id", "recipient_email", "achievement", "reason", "files")


def _file_stem(credential_id: str) -> str:
    """A file name for a credential: the last segment of its id (a UUID for our own ids)."""
    last = re.split(r"[/:]", credential_id.rstrip("/"))[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", last)[:120] or "credential"


class _Outputs:
    """Writes each credential (and, on request, its baked badge and QR code) into the output folder."""

    def __init__(self, out_dir: Path, art: Mapping[str, bytes], *, bake: str | None, qr: str | None) -> None:
        self.out_dir, self.art, self.bake, self.qr = out_dir, art, bake, qr
        self.written = False

    def write(self, record: CredentialRecord, baked: bytes | None = None) -> list[str]:
        """Write the record's files; ``baked`` is the image baked by the signing worker (else baked here)."""
        stem = _file_stem(record.id)
        files = [self._write(f"{stem}{record.suffix}", record.document.encode("utf-8"))]
        if self.bake is not None:
            if baked is None:
                baked = bake_image(self.art[record.achievement_id], record.document, ob_version=3)
            files.append(self._write(f"{stem}.{self.bake}", baked))
        if self.qr is not None:
            url = verification_url_for(record.credential)
            files.append(self._write(f"{stem}-qr.{self.qr}", qr_png(url) if self.qr == "png" else qr_svg(url)))
        return files

    def _write(self, name: str, data: bytes) -> str:
        path = self.out_dir / name
        try:
            write_file(path, data, sync=False)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        self.written = True
        return str(path)

    def flush(self) -> None:
        """Flush every file written to disk (one sync, instead of one per file: see the module docstring)."""
        if self.written:
            os.sync()


class _JsonReport:
    """The JSON report, ``{"source": ..., "rows": [...], "complete": ...}``, streamed to a temporary file row by
    row (memory does not grow with the roster) and moved into place when the run ends, however it ends."""

    def __init__(self, path: Path, source: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.handle: IO[str] = self.tmp.open("w", encoding="utf-8")
        self.handle.write('{\n  "source": ' + json.dumps(str(source), ensure_ascii=False) + ',\n  "rows": [')
        self.first = True

    def add(self, row: dict[str, Any]) -> None:
        text = json.dumps(row, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        self.handle.write(("\n    " if self.first else ",\n    ") + text)
        self.first = False

    def close(self, *, complete: bool) -> None:
        try:
            self.handle.write(("" if self.first else "\n  ") + '],\n  "complete": ' + json.dumps(complete) + "\n}\n")
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.handle.close()
            self.tmp.unlink(missing_ok=True)
            raise


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
    """Ctrl-C (SIGINT) or SIGTERM asks the run to stop after the chunk under way; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        click.echo("\nStopping after the rows under way (Ctrl-C again to stop at once)...", err=True)


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
    workers: int | None = None,
) -> int:
    """Issue every row of ``csv_path`` for ``issuer_id`` and return the exit code (0, 1 some rows failed, 130).

    ``bake`` and ``qr`` are image formats (``png`` or ``svg``): each row's credential is baked into its badge art,
    and a QR code of its https id is drawn, next to the credential in ``out_dir``. ``workers``: signing processes
    (default: one per CPU for rosters of :data:`PARALLEL_ROWS` rows or more).
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
    kept: list[dict[str, Any]] = []  # every row only for --json; else the failed rows, for the summary
    counts = {outcome: 0 for outcome in RowOutcome}
    done = 0
    interrupted = False
    json_report: _JsonReport | None = None
    try:
        with ExitStack() as stack:
            registry = stack.enter_context(open_registry(state, db_url))
            key = signing_key(state, org.id, key_type)
            csv_report = None
            if report is not None and report.suffix.lower() == ".csv":
                csv_report = _CsvReport(report)
                stack.callback(csv_report.close)
            elif report is not None:
                json_report = _JsonReport(report, csv_path)
            if outputs is not None:
                stack.callback(outputs.flush)
            stop = stack.enter_context(_stop_between_rows())
            bar = stack.enter_context(_progress(len(roster.rows)))
            if workers is None:
                workers = (os.cpu_count() or 1) if len(roster.rows) >= PARALLEL_ROWS else 1
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
                workers=workers,
                bake=art,
                should_stop=lambda: stop.requested,
            )
            try:
                for result in results_iter:
                    files = []
                    if outputs is not None and result.record is not None:
                        files = outputs.write(result.record, result.baked)
                    counts[result.outcome] += 1
                    done += 1
                    data = {**result.to_json(), "files": files}
                    if as_json or result.outcome is RowOutcome.ERROR:
                        kept.append(data)
                    if json_report is not None:
                        json_report.add(data)
                    if csv_report is not None:
                        csv_report.add({**result.to_csv_row(), "files": ";".join(files)})
                    if bar is not None:
                        bar.update(1)
            except KeyboardInterrupt:  # a second Ctrl-C: stop at once (rows under way are not reported)
                interrupted = True
            interrupted = interrupted or done < len(roster.rows)
    finally:
        if json_report is not None:  # also when an error stopped the run
            json_report.close(complete=not interrupted and done == len(roster.rows))
    summary = {
        "issued": counts[RowOutcome.ISSUED],
        "skipped": counts[RowOutcome.SKIPPED],
        "failed": counts[RowOutcome.ERROR],
        "rows": len(roster.rows),
        "complete": not interrupted,
    }
    if as_json:
        emit_json({**summary, "report": str(report) if report else None, "results": kept})
    else:
        _render(summary, kept, report)
    if interrupted:
        click.echo(
            f"Interrupted after {done} of {len(roster.rows)} rows; every finished row is recorded. "
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
