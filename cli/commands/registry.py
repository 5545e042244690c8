"""``badge list``, ``revoke``, ``suspend``, ``reinstate`` and ``status publish``: the registry of issued credentials.

SQLAlchemy is imported only when one of these commands (or ``badge issue``) opens the registry, so ``badge verify``
and ``badge --help`` stay fast.
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from openbadge_ctq.errors import StoreError
from openbadge_ctq.keys import KeyType
from openbadge_ctq.timefmt import format_datetime

from ..common import catalog_for, now_or, parse_moment, signing_key
from ..context import AppContext, app
from ..render import emit_json, json_option, table

if TYPE_CHECKING:
    from openbadge_ctq.registry import CredentialRecord, Registry

__all__ = [
    "REGISTRY_COMMANDS",
    "actor_name",
    "actor_option",
    "db_option",
    "list_credentials",
    "open_registry",
    "reinstate",
    "revoke",
    "status",
    "suspend",
    "write_file",
]

F = TypeVar("F", bound=Callable[..., Any])

DB_ENV = "BADGE_DB"
ACTOR_ENV = "BADGE_ACTOR"


def db_option(func: F) -> F:
    """``--db URL`` (or ``$BADGE_DB``); passed as ``db_url``."""
    return click.option(
        "--db",
        "db_url",
        envvar=DB_ENV,
        metavar="URL",
        help="Registry database: sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB "
        "(default: $BADGE_DB, else registry.sqlite in the badge home).",
    )(func)


def actor_option(func: F) -> F:
    """``--actor NAME`` (or ``$BADGE_ACTOR``); passed as ``actor``."""
    return click.option(
        "--actor",
        envvar=ACTOR_ENV,
        help="Who does this, for the audit log (default: $BADGE_ACTOR, else your login name).",
    )(func)


def actor_name(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (containers without a passwd entry)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def open_registry(state: AppContext, db_url: str | None) -> Registry:
    """The registry at ``--db``, else ``<badge home>/registry.sqlite`` (created and migrated on first use)."""
    from openbadge_ctq.registry import Registry

    return Registry(db_url) if db_url else Registry.at_home(state.home)


def write_file(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file in the same folder, then rename); ``sync=False``
    leaves flushing to disk to the caller (bulk runs flush once at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _date(value: Any) -> str:
    return format_datetime(value)[:10] if value is not None else ""


def _changed(record: CredentialRecord, verb: str) -> None:
    click.echo(f"{verb} {record.id}")
    if record.status_method.value == "none":
        click.echo(
            "Note: this credential carries no credentialStatus (its issuer has no baseUrl), so verifiers cannot "
            "see the change; it is recorded in the registry only.",
            err=True,
        )
    else:
        click.echo(
            f"Publish the change: badge status publish --issuer {record.issuer_id} --out DIR, then upload DIR",
            err=True,
        )


@click.command("list")
@click.option("--issuer", "issuer_id", help="Only credentials of this issuer.")
@click.option("--achievement", "achievement_id", help="Only this micro-credential, stack or certificate.")
@click.option("--recipient", help="Only credentials issued to this email (or DID); matched by its hash.")
@click.option(
    "--status",
    "state",
    type=click.Choice(["active", "suspended", "revoked"]),
    help="Only credentials in this state.",
)
@click.option("--since", help="Issued at or after this date (ISO 8601).")
@click.option("--until", help="Issued before this date (ISO 8601).")
@click.option("--limit", type=click.IntRange(min=0), help="At most this many (oldest first).")
@db_option
@json_option
@click.pass_context
def list_credentials(
    ctx: click.Context,
    issuer_id: str | None,
    achievement_id: str | None,
    recipient: str | None,
    state: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """List the credentials recorded in the registry, oldest first."""
    with open_registry(app(ctx), db_url) as registry:
        records = registry.list(
            issuer_id=issuer_id,
            achievement_id=achievement_id,
            recipient=recipient,
            state=state,
            since=parse_moment(since, "since"),
            until=parse_moment(until, "until"),
            limit=limit,
        )
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    if not records:
        click.echo("No credentials recorded.", err=True)
        return
    table(
        [
            (r.id, r.achievement_id, r.state.value, _date(r.issued_at), r.status_method.value, r.state_reason or "")
            for r in records
        ],
        ("ID", "ACHIEVEMENT", "STATE", "ISSUED", "STATUS", "REASON"),
    )


@click.command("show")
@click.argument("credential_id", metavar="ID")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the credential exactly as issued to this file (atomically) instead of printing it.",
)
@db_option
@json_option
@click.pass_context
def show(ctx: click.Context, credential_id: str, out: Path | None, db_url: str | None, as_json: bool) -> None:
    """Print a recorded credential exactly as it was issued (pretty JSON, or the compact JWT), e.g. to hand it out
    again or to rewrite a file a failed run could not write."""
    with open_registry(app(ctx), db_url) as registry:
        record = registry.get(credential_id)
    if out is not None:
        try:
            write_file(out, record.document.encode("utf-8"))
        except OSError as exc:
            raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        emit_json({**record.to_json(include_document=True), "out": str(out) if out else None})
    elif out is None:
        click.echo(record.document.rstrip("\n"))
    else:
        click.echo(f"Wrote {record.id} ({record.state.value}) to {out}")


def _state_command(name: str, verb: str, help_text: str, *, reason_required: bool) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("credential_id", metavar="ID")
    @click.option(
        "--reason",
        required=reason_required,
        help="Why. A revocation reason is published in the 1EdTech Revocation List; others stay in the audit log.",
    )
    @click.option("--now", help="When (ISO 8601); default: now.")
    @actor_option
    @db_option
    @json_option
    @click.pass_context
    def command(
        ctx: click.Context,
        credential_id: str,
        reason: str | None,
        now: str | None,
        actor: str | None,
        db_url: str | None,
        as_json: bool,
    ) -> None:
        with open_registry(app(ctx), db_url) as registry:
            change = getattr(registry, name)
            record: CredentialRecord = change(credential_id, reason=reason, actor=actor_name(actor), now=now_or(now))
        if as_json:
            emit_json(record.to_json())
        else:
            _changed(record, verb)

    return command


revoke = _state_command(
    "revoke",
    "Revoked",
    "Revoke credential ID for good (revocation is final; a suspension can be lifted).",
    reason_required=True,
)
suspend = _state_command(
    "suspend",
    "Suspended",
    "Suspend credential ID until 'badge reinstate' (needs the 1EdTech status method, the default).",
    reason_required=False,
)
reinstate = _state_command(
    "reinstate",
    "Reinstated",
    "Lift the suspension of credential ID (a revoked credential cannot be reinstated).",
    reason_required=False,
)


@click.group("status")
def status() -> None:
    """Publish the status of issued credentials (revocation lists)."""


@status.command("publish")
@click.option("--issuer", "issuer_id", required=True, help="Issuer id from the catalog; it needs a baseUrl.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into, laid out as the issuer's baseUrl (status/...).",
)
@click.option("--now", help="Sign as of this time (ISO 8601); default: now.")
@db_option
@json_option
@click.pass_context
def publish(
    ctx: click.Context, issuer_id: str, out_dir: Path, now: str | None, db_url: str | None, as_json: bool
) -> None:
    """Write the issuer's signed Bitstring Status Lists and its 1EdTech Revocation List into a folder.

    Upload the folder to the issuer's baseUrl. To check a credential against it before uploading:
    badge verify CREDENTIAL --url-map BASEURL=FOLDER (the issuer's DID document must be there too:
    badge did document --issuer ID).
    """
    from openbadge_ctq.did import did_web_from_base_url, did_web_to_url
    from openbadge_ctq.status_publish import SUSPENDED_REASON, build_status_documents, require_base_url

    state = app(ctx)
    org = catalog_for(state).organization(issuer_id)
    base = require_base_url(org)
    with open_registry(state, db_url) as registry:
        snapshot = registry.status_snapshot(org.id)
    key = signing_key(state, org.id, KeyType.ED25519)
    documents = build_status_documents(org, key, snapshot.lists, snapshot.revoked, now=now_or(now))
    written: list[str] = []
    for relative, data in documents.items():
        path = out_dir / relative
        try:
            write_file(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(str(path))
    did_url = did_web_to_url(did_web_from_base_url(base))
    did_path = did_url[len(base) :] if did_url.startswith(base) else None
    revoked = sum(1 for item in snapshot.revoked if item.reason != SUSPENDED_REASON)
    if as_json:
        emit_json(
            {
                "issuer": org.id,
                "baseUrl": base,
                "files": written,
                "lists": [
                    {"name": c.name, "purpose": c.purpose, "size": c.size, "set": len(c.set_indexes)}
                    for c in snapshot.lists
                ],
                "revocationList": {"revoked": revoked, "suspended": len(snapshot.revoked) - revoked},
                "didDocument": did_path,
            }
        )
        return
    for name in written:
        click.echo(name)
    click.echo(f"Upload {out_dir} to {base}", err=True)
    if did_path is not None:
        click.echo(
            f"The DID document belongs at {did_path} in that folder: badge did document --issuer {org.id}", err=True
        )


REGISTRY_COMMANDS: list[click.Command] = [list_credentials, show, revoke, suspend, reinstate, status]
"""Add these to ``ALL_COMMANDS`` in ``cli/commands/__init__.py``."""
