"""``badge demo``: issue a CTQ micro-credential to a sample teacher and verify it offline, end to end."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Evidence, Recipient, issue_credential, verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.issue import SigningKey

from ..render import emit_json, json_option
from .verify import render_report

SAMPLE_TEACHER = Recipient(email="jordan.rivera@example.org", name="Jordan Rivera")
SAMPLE_ACHIEVEMENT = "writing-publicly-to-influence-colleagues"
SAMPLE_EVIDENCE = Evidence(
    url="https://example.org/blog/why-our-team-reads-student-work-together",
    name="Why our team reads student work together",
    narrative="An op-ed for colleagues in the district newsletter about protocol-based looking at student work.",
    genre="Op-ed",
    audience="Colleagues",
)


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the issued files (default: a new temporary folder).",
)
@json_option
def demo(out_dir: Path | None, as_json: bool) -> None:
    """Issue a CTQ micro-credential to a sample teacher (both proof formats) and verify it offline.

    Uses a throw-away Ed25519 key held only in memory; nothing is written to your badge home.
    """
    catalog = load_catalog()
    out = out_dir or Path(tempfile.mkdtemp(prefix="badge-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    key = SigningKey(Ed25519PrivateKey.generate(), "demo")
    now = datetime.now(UTC).replace(microsecond=0)
    results = []
    for fmt in ("ob3-di", "ob3-jwt"):
        issued = issue_credential(
            catalog,
            SAMPLE_ACHIEVEMENT,
            SAMPLE_TEACHER,
            key,
            fmt=fmt,
            now=now,
            levels="Proficient",
            evidence=[SAMPLE_EVIDENCE],
        )
        path = out / f"ctq-demo-credential{issued.suffix}"
        path.write_text(issued.document, encoding="utf-8")
        report = verify(issued.document, recipient=SAMPLE_TEACHER.email)
        results.append((path, report))
        if not as_json:
            click.echo(
                f"Issued {issued.credential['name']} to {SAMPLE_TEACHER.name} <{SAMPLE_TEACHER.email}> as {fmt}: {path}"
            )
            render_report(report)
            click.echo()
    if as_json:
        emit_json([{"file": str(p), "report": r.to_json()} for p, r in results])
    else:
        click.echo(f"Verify again any time, offline: badge verify {results[0][0]} --offline")
    raise SystemExit(0 if all(r.verified for _, r in results) else 1)
