"""``badge verify``: verify a credential file, standard input or URL, and print the report."""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq import verify as api_verify
from openbadge_ctq.fetch import make_fetcher, parse_url_map
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


@click.command("verify")
@click.argument("source")
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
    as_json: bool,
) -> None:
    """Verify SOURCE (a file, '-' for standard input, or a URL). Exit 0 verified, 1 not verified."""
    maps = [parse_url_map(spec) for spec in url_maps]
    for _, path in maps:
        if not Path(path).exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="--url-map")
    fetcher = make_fetcher(offline=offline, url_maps=maps, allow_http=allow_http)
    report = api_verify(
        read_source(source),
        fetcher=fetcher,
        now=parse_moment(now, "now"),
        recipient=recipient,
        strict_binding=strict_binding,
        allow_remote_contexts=allow_remote_contexts,
    )
    if as_json:
        emit_json(report.to_json())
    else:
        render_report(report)
    raise SystemExit(0 if report.verified else 1)
