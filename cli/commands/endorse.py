"""``badge endorse``: a partner organisation endorses an achievement, issuer or credential (EndorsementCredential)."""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq.issue import FORMATS, issue_endorsement
from openbadge_ctq.ob3 import achievement_id

from ..common import catalog_for, now_or, parse_moment, signing_key
from ..context import app
from ..render import emit_json, json_option


@click.command("endorse")
@click.option(
    "--issuer", "issuer_id", required=True, help="The endorsing organisation (catalog id), e.g. digital-promise."
)
@click.option("--achievement", "achievement", help="Endorse this catalog achievement (its OB 3.0 id is used).")
@click.option("--subject", "subject_id", help="Or endorse any other id: a credential id, an issuer DID, a URL.")
@click.option("--comment", required=True, help="The endorsement comment (Markdown).")
@click.option("--name", help="Name of the endorsement (default: 'Endorsement by <organisation>').")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="ob3-di", show_default=True)
@click.option("--valid-until", help="Expiry date (ISO 8601).")
@click.option("--now", help="Issue as of this time (ISO 8601); default: now.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the endorsement here.")
@json_option
@click.pass_context
def endorse(
    ctx: click.Context,
    issuer_id: str,
    achievement: str | None,
    subject_id: str | None,
    comment: str,
    name: str | None,
    fmt: str,
    valid_until: str | None,
    now: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Issue a signed EndorsementCredential from ISSUER about an achievement or any other id."""
    if bool(achievement) == bool(subject_id):
        raise click.UsageError("give exactly one of --achievement ID or --subject ID")
    subject = subject_id or ""
    state = app(ctx)
    catalog = catalog_for(state)
    endorser = catalog.organization(issuer_id)
    if achievement:
        entry = catalog.achievement(achievement)
        subject = achievement_id(entry, catalog.organization(entry.issuer))
    issued = issue_endorsement(
        endorser,
        signing_key(state, issuer_id),
        subject_id=subject,
        comment=comment,
        name=name,
        fmt=fmt,
        now=now_or(now),
        valid_until=parse_moment(valid_until, "valid-until"),
    )
    if out is not None:
        out.write_text(issued.document, encoding="utf-8")
    if as_json:
        emit_json(
            {
                "id": issued.id,
                "format": issued.format,
                "subject": subject,
                "out": str(out) if out else None,
                "credential": issued.credential,
                "document": None if out else issued.document,
            }
        )
    elif out is not None:
        click.echo(f"{endorser.name} endorsed {subject}: {out}")
    else:
        click.echo(issued.document.rstrip("\n"))
