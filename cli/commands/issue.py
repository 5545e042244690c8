"""``badge issue``: issue a catalog micro-credential, stack or certificate to one recipient, or to every row of a
roster (``--csv``). Every Open Badges 3.0 credential issued is recorded in the registry."""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq.bake import bake_image
from openbadge_ctq.errors import StoreError
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import FORMATS
from openbadge_ctq.issue_ob2 import FORMATS as OB2_FORMATS
from openbadge_ctq.keys import KeyType
from openbadge_ctq.ob3 import Evidence
from openbadge_ctq.qr import qr_png, qr_svg
from openbadge_ctq.share import verification_url_for

from ..bulk import run_bulk
from ..common import badge_art, catalog_for, now_or, parse_moment, signing_key
from ..context import app
from ..render import emit_json, json_option
from .ob2 import issue_ob2_command_body
from .registry import actor_name, actor_option, db_option, open_registry, write_file

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
@click.option("--achievement", "achievement_id", help="Micro-credential, stack or certificate id (not with --csv).")
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS + OB2_FORMATS),
    default="ob3-di",
    show_default=True,
    help="ob3-di/ob3-jwt: Open Badges 3.0. ob2-hosted/ob2-signed: Open Badges 2.0 files for --out-dir.",
)
@click.option(
    "--out-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="ob2-hosted/ob2-signed: the site folder (published at the issuer's baseUrl) to write all files into. "
    "With --csv: the folder for each row's credential (and its --bake/--qr files).",
)
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
@click.option(
    "--bake",
    "bake_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also bake the credential into the badge art: OUT.png or OUT.svg (with --csv: png or svg, one per row).",
)
@click.option(
    "--qr",
    "qr_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a QR code of the verification URL: FILE.png or FILE.svg (with --csv: png or svg, one per row).",
)
@click.option("--url", "verification_url", help="Verification URL for --qr (default: the credential id if https).")
@click.option(
    "--status",
    type=click.Choice(["1edtech", "bitstring", "none"]),
    help="credentialStatus (OB 3.0 allows one): 1edtech (revocation and suspension), bitstring (revocation only) "
    "or none. Default: 1edtech when the issuer has a baseUrl, else none.",
)
@click.option("--store-email", is_flag=True, help="Also keep the recipient's email in plaintext in the registry.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Issue one credential per row of this roster (UTF-8 CSV, see docs/bulk.md); safe to re-run.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --csv: write a per-row report here (.csv or .json).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    help="With --csv: signing processes (default: one per CPU for rosters of 256 rows or more, else 1).",
)
@db_option
@actor_option
@json_option
@click.pass_context
def issue(
    ctx: click.Context,
    issuer_id: str,
    achievement_id: str | None,
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
    bake_out: Path | None,
    qr_out: Path | None,
    verification_url: str | None,
    out_dir: Path | None,
    status: str | None,
    store_email: bool,
    csv_path: Path | None,
    report: Path | None,
    workers: int | None,
    db_url: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Issue a signed Open Badges credential to one recipient (3.0 by default; 2.0 with --format ob2-*), or an
    Open Badges 3.0 credential to every row of a roster (--csv). Open Badges 3.0 credentials are recorded in the
    registry (--db)."""
    state = app(ctx)
    if csv_path is not None:
        single = {"--achievement": achievement_id, "--recipient": email, "--recipient-did": recipient_did, "--out": out}
        given = [option for option, value in single.items() if value]
        if given:
            raise click.UsageError(f"{given[0]} cannot be used with --csv (the roster gives one per row)")
        if fmt in OB2_FORMATS:
            raise click.UsageError("--csv issues Open Badges 3.0 credentials: --format ob3-di or ob3-jwt")
        ctx.exit(
            run_bulk(
                state,
                issuer_id=issuer_id,
                csv_path=csv_path,
                fmt=fmt,
                key_type=KeyType.ED25519 if fmt == "ob3-di" else _ALG_KEY[alg],
                now=now_or(now),
                db_url=db_url,
                status=status,
                actor=actor,
                report=report,
                out_dir=out_dir,
                bake=bake_out.name.lower() if bake_out else None,
                qr=qr_out.name.lower() if qr_out else None,
                store_email=store_email,
                as_json=as_json,
                workers=workers,
            )
        )
    if report is not None:
        raise click.UsageError("--report goes with --csv")
    if workers is not None:
        raise click.UsageError("--workers goes with --csv")
    if not achievement_id:
        raise click.UsageError("give --achievement ID (or --csv ROSTER)")
    if not email and not recipient_did:
        raise click.UsageError("give --recipient EMAIL or --recipient-did DID")
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
    if fmt in OB2_FORMATS:
        if status or store_email:
            raise click.UsageError("--status and --store-email go with Open Badges 3.0 (the registry records those)")
        if out_dir is None or out is not None:
            raise click.UsageError(f"--format {fmt} writes several files: give --out-dir DIR (not --out)")
        if not email:
            raise click.UsageError(f"--format {fmt} identifies the recipient by email: give --recipient EMAIL")
        if levels:
            raise click.UsageError("--level is not recorded in Open Badges 2.0 assertions")
        issue_ob2_command_body(
            state,
            catalog,
            issuer_id=issuer_id,
            achievement_id=achievement_id,
            recipient=recipient,
            fmt=fmt,
            now=now_or(now),
            out_dir=out_dir,
            expires=parse_moment(valid_until, "valid-until"),
            evidence=evidence,
            narrative=narrative,
            as_json=as_json,
        )
        return
    if out_dir is not None:
        raise click.UsageError("--out-dir is for --format ob2-hosted/ob2-signed; use --out FILE")
    for target in (bake_out, qr_out):
        if target is not None and target.suffix.lower() not in (".png", ".svg"):
            raise click.BadParameter(f"{target} must end in .png or .svg", param_hint="--bake/--qr")
    key_type = KeyType.ED25519 if fmt == "ob3-di" else _ALG_KEY[alg]
    catalog.achievement(achievement_id)  # a clear error for an unknown id before asking for a passphrase
    art = badge_art(catalog, achievement_id, bake_out.suffix.lower().lstrip(".")) if bake_out else None
    with open_registry(state, db_url) as registry:
        key = signing_key(state, issuer_id, key_type)
        issued = registry.issue(
            catalog,
            achievement_id,
            recipient,
            key,
            issuer_id=issuer_id,
            fmt=fmt,
            now=now_or(now),
            actor=actor_name(actor),
            status=status,
            store_email=store_email,
            valid_until=parse_moment(valid_until, "valid-until"),
            levels=_levels(levels),
            evidence=evidence,
            narrative=narrative,
        ).record
    qr_url = verification_url_for(issued.credential, verification_url) if qr_out is not None else None
    outputs: list[tuple[Path, bytes]] = []
    if out is not None:
        outputs.append((out, issued.document.encode("utf-8")))
    if bake_out is not None and art is not None:
        outputs.append((bake_out, bake_image(art, issued.document, ob_version=3)))
    if qr_out is not None and qr_url is not None:
        outputs.append((qr_out, qr_png(qr_url) if qr_out.suffix.lower() == ".png" else qr_svg(qr_url)))
    for path, data in outputs:
        try:
            write_file(path, data)  # atomic: a full disk leaves an earlier file as it was
        except OSError as exc:
            raise StoreError(
                f"credential {issued.id} is issued and recorded, but {path} could not be written: "
                f"{exc.strerror or exc}",
                hint=f"free some disk space, then: badge show {issued.id} --out {path}",
            ) from None
    if as_json:
        emit_json(
            {
                "id": issued.id,
                "format": issued.format,
                "out": str(out) if out else None,
                "baked": str(bake_out) if bake_out else None,
                "qr": str(qr_out) if qr_out else None,
                "credential": issued.credential,
                "document": None if out else issued.document,
            }
        )
    elif out is not None or bake_out is not None:
        written = ", ".join(str(p) for p in (out, bake_out, qr_out) if p is not None)
        click.echo(f"Issued {issued.credential.get('name')} ({issued.format}) to {email or recipient_did}: {written}")
        click.echo(f"Credential id: {issued.id}")
    else:
        click.echo(issued.document.rstrip("\n"))
