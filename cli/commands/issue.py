"""``badge issue``: issue a catalog micro-credential, stack or certificate to one recipient."""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import FORMATS, issue_credential
from openbadge_ctq.keys import KeyType
from openbadge_ctq.ob3 import Evidence

from ..common import catalog_for, now_or, parse_moment, signing_key
from ..context import app
from ..render import emit_json, json_option

_ALG_KEY = {"EdDSA": KeyType.ED25519, "RS256": KeyType.RSA, "ES256": KeyType.P256}


def _levels(values: tuple[str, ...]) -> dict[str, str] | str | None:
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    out: dict[str, str] = {}
    for value in values:
        criterion, sep, level = value.partition("=")
        if not sep or not criterion or not level:
            raise click.BadParameter(
                f"{value!r}: expected LEVEL, or CRITERION=LEVEL for each criterion", param_hint="--level"
            )
        out[criterion.strip()] = level.strip()
    return out


@click.command("issue")
@click.option("--issuer", "issuer_id", required=True, help="Issuer id from the catalog, e.g. ctq.")
@click.option("--achievement", "achievement_id", required=True, help="Micro-credential, stack or certificate id.")
@click.option("--recipient", "email", help="Recipient email (stored as a salted hash unless --plaintext-email).")
@click.option("--recipient-did", help="Recipient DID, used as the credential subject id.")
@click.option("--name", help="Recipient name, included in plaintext (shown on certificates).")
@click.option("--plaintext-email", is_flag=True, help="Store the email in plaintext instead of hashed.")
@click.option("--evidence", "evidence_url", help="URL of the teacher's artifact.")
@click.option("--evidence-name", help="Title of the artifact.")
@click.option("--evidence-narrative", help="What the artifact shows (Markdown).")
@click.option("--evidence-genre", help="Kind of artifact, e.g. 'Op-ed' or 'Blog post'.")
@click.option("--evidence-audience", help="Who the artifact addresses.")
@click.option("--narrative", help="Narrative of the award (Markdown).")
@click.option(
    "--level",
    "levels",
    multiple=True,
    help="Achieved rubric level (default: the required level); CRITERION=LEVEL for several criteria.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="ob3-di", show_default=True)
@click.option(
    "--alg",
    type=click.Choice(sorted(_ALG_KEY)),
    default="EdDSA",
    show_default=True,
    help="JWT signature algorithm (ob3-jwt); RS256/ES256 need an issuer with a baseUrl (did:web).",
)
@click.option("--valid-until", help="Expiry date (ISO 8601).")
@click.option("--now", help="Issue as of this time (ISO 8601); default: now.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the credential here (default: standard output).",
)
@json_option
@click.pass_context
def issue(
    ctx: click.Context,
    issuer_id: str,
    achievement_id: str,
    email: str | None,
    recipient_did: str | None,
    name: str | None,
    plaintext_email: bool,
    evidence_url: str | None,
    evidence_name: str | None,
    evidence_narrative: str | None,
    evidence_genre: str | None,
    evidence_audience: str | None,
    narrative: str | None,
    levels: tuple[str, ...],
    fmt: str,
    alg: str,
    valid_until: str | None,
    now: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Issue a signed Open Badges 3.0 credential to one recipient."""
    if not email and not recipient_did:
        raise click.UsageError("give --recipient EMAIL or --recipient-did DID")
    state = app(ctx)
    catalog = catalog_for(state)
    recipient = Recipient(email=email, did=recipient_did, name=name, hashed=not plaintext_email)
    evidence = []
    if evidence_url or evidence_name or evidence_narrative:
        evidence.append(
            Evidence(
                url=evidence_url,
                name=evidence_name,
                narrative=evidence_narrative,
                genre=evidence_genre,
                audience=evidence_audience,
            )
        )
    key_type = KeyType.ED25519 if fmt == "ob3-di" else _ALG_KEY[alg]
    catalog.achievement(achievement_id)  # a clear error for an unknown id before asking for a passphrase
    key = signing_key(state, issuer_id, key_type)
    issued = issue_credential(
        catalog,
        achievement_id,
        recipient,
        key,
        issuer_id=issuer_id,
        fmt=fmt,
        now=now_or(now),
        valid_until=parse_moment(valid_until, "valid-until"),
        levels=_levels(levels),
        evidence=evidence,
        narrative=narrative,
    )
    if out is not None:
        out.write_text(issued.document, encoding="utf-8")
    if as_json:
        emit_json(
            {
                "id": issued.id,
                "format": issued.format,
                "out": str(out) if out else None,
                "credential": issued.credential,
                "document": None if out else issued.document,
            }
        )
    elif out is not None:
        click.echo(f"Issued {issued.credential.get('name')} ({issued.format}) to {email or recipient_did}: {out}")
        click.echo(f"Credential id: {issued.id}")
    else:
        click.echo(issued.document.rstrip("\n"))
