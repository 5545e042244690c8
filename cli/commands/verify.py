"""``badge verify``: verify a credential file, standard input or URL, and print the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from openbadge_ctq import verify as api_verify
from openbadge_ctq.batch import parse_batch_csv, verify_batch, write_csv
from openbadge_ctq.errors import InputError
from openbadge_ctq.fetch import make_fetcher, parse_url_map
from openbadge_ctq.trust import TrustList
from openbadge_ctq.verify import Status, VerificationReport

from ..common import parse_moment, read_source
from ..render import emit_json, json_option

_MARK = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.WARN: "warn", Status.SKIP: "skip"}


def render_report(report: VerificationReport) -> None:
    summary = report.summary
    name = summary.get("name") or "credential"
    issuer = (summary.get("issuer") or {}).get("name") or (summary.get("issuer") or {}).get("id") or "unknown issuer"
    verdict = "VERIFIED" if report.verified else "NOT VERIFIED"
    line = f"{verdict}: {name} — issued by {issuer}" if report.credential else f"{verdict}"
    click.secho(f"{line} ({report.format})", fg="green" if report.verified else "red", bold=True)
    if report.image is not None:
        click.echo(
            f"  baked into a {str(report.image.get('container', '')).upper()} image "
            f"({report.image.get('chunk')}, {report.image.get('payloadBytes', '?')} bytes)"
        )
    width = max((len(c.id) for c in report.checks), default=0)
    for check in report.checks:
        where = f" [{check.pointer}]" if check.pointer and check.status in (Status.FAIL, Status.WARN) else ""
        click.echo(f"  {_MARK[check.status]:4}  {check.id:<{width}}  {check.message}{where}")


def render_trust(verdict: str, trust_file: Path) -> None:
    colour = {"trusted": "green", "distrusted": "red"}.get(verdict, "yellow")
    click.secho(f"  issuer is {verdict.upper()} by {trust_file.name}", fg=colour)


@click.command("verify")
@click.argument("source", required=False)
@click.option("--offline", is_flag=True, help="Fetch nothing from the network (saved copies via --url-map only).")
@click.option("--now", help="Judge validity at this time (ISO 8601); default: now.")
@click.option("--recipient", help="Email or DID the credential must have been issued to.")
@click.option(
    "--url-map",
    "url_maps",
    multiple=True,
    metavar="PREFIX=PATH",
    help="Serve URLs under PREFIX from a local file or folder (repeatable); trusted like bundled data.",
)
@click.option(
    "--strict-binding",
    is_flag=True,
    help="Fail when the key is only self-asserted (JWT jwk header, https://issuer#key convention).",
)
@click.option("--allow-remote-contexts", is_flag=True, help="Fetch JSON-LD contexts that are not bundled.")
@click.option("--allow-http", is_flag=True, help="Allow plain http:// URLs (https only by default).")
@click.option(
    "--trust",
    "trust_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust list (JSON): also say whether the issuer is trusted, unknown or distrusted.",
)
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify every credential URL in this CSV (a 'url' column) instead of SOURCE.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --batch: write the CSV report here (default: standard output).",
)
@json_option
def verify(
    source: str,
    offline: bool,
    now: str | None,
    recipient: str | None,
    url_maps: tuple[str, ...],
    strict_binding: bool,
    allow_remote_contexts: bool,
    allow_http: bool,
    trust_file: Path | None,
    batch_file: Path | None,
    report_file: Path | None,
    as_json: bool,
) -> None:
    """Verify SOURCE (a file, '-' for standard input, or a URL), or every URL of a --batch CSV.

    Exit 0 verified (every row, with --batch), 1 not verified.
    """
    if (source is None) == (batch_file is None):
        raise click.UsageError("give a SOURCE or --batch FILE (one of them)")
    if report_file is not None and batch_file is None:
        raise click.UsageError("--report needs --batch")
    trust = TrustList.load(trust_file) if trust_file is not None else None
    maps = [parse_url_map(spec) for spec in url_maps]
    for _, path in maps:
        if not Path(path).exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="--url-map")
    fetcher = make_fetcher(offline=offline, url_maps=maps, allow_http=allow_http)
    if batch_file is not None:
        try:
            text = batch_file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{batch_file} is not UTF-8 text (expected a CSV file)") from None
        rows = parse_batch_csv(text, max_rows=1_000_000)
        results = verify_batch(rows, fetcher=fetcher, now=parse_moment(now, "now"), trust=trust)
        all_verified = True

        def tracked() -> Iterator[dict[str, str | int]]:
            nonlocal all_verified
            for row in results:
                all_verified &= row["verdict"] == "verified"
                yield row

        if as_json:
            emit_json(list(tracked()))
        elif report_file is not None:
            with report_file.open("w", encoding="utf-8", newline="") as out:
                count = write_csv(tracked(), out)
            click.echo(f"{count} rows written to {report_file}", err=True)
        else:
            write_csv(tracked(), click.get_text_stream("stdout"))
        raise SystemExit(0 if all_verified else 1)
    assert source is not None
    report = api_verify(
        read_source(source),
        fetcher=fetcher,
        now=parse_moment(now, "now"),
        recipient=recipient,
        strict_binding=strict_binding,
        allow_remote_contexts=allow_remote_contexts,
    )
    issuer_id = (report.summary.get("issuer") or {}).get("id") if report.summary else None
    verdict = trust.judge(issuer_id) if trust is not None else None
    if as_json:
        doc = report.to_json()
        if verdict is not None:
            doc["trust"] = verdict
        emit_json(doc)
    else:
        render_report(report)
        if verdict is not None and trust_file is not None:
            render_trust(verdict, trust_file)
    raise SystemExit(0 if report.verified else 1)
