"""``badge publish``: write an issuer's whole public site (credentials, pages, DID document, status lists) to a folder.

The folder is laid out as the issuer's ``baseUrl``; upload it as static files, or serve it with ``badge serve``.
"""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq.errors import InputError, StoreError
from openbadge_ctq.keys import KeyType
from openbadge_ctq.store import KeyStatus, KeyStore

from ..common import catalog_for, now_or, signing_key
from ..context import app
from ..render import emit_json, json_option
from .registry import db_option, open_registry, write_file

__all__ = ["PUBLISH_COMMANDS", "publish"]


@click.command("publish")
@click.option("--issuer", "issuer_id", required=True, help="Issuer id from the catalog; it needs a baseUrl.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into, laid out as the issuer's baseUrl (its OB 2.0 files, ob2/..., are kept).",
)
@click.option("--verify-url", help="A verification page (https://…/verify) the QR codes and pages link to.")
@click.option("--now", help="Sign the status lists as of this time (ISO 8601); default: now.")
@db_option
@json_option
@click.pass_context
def publish(
    ctx: click.Context,
    issuer_id: str,
    out_dir: Path,
    verify_url: str | None,
    now: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Write the issuer's public site: every credential at its id URL (with an HTML page, Open Graph tags and a
    QR code), the achievements, the issuer profile, the did:web document (with retired keys), the status lists
    and the images.

    Run it again after every issue, revoke, suspend or reinstate, and upload the folder to the issuer's baseUrl.
    Check a credential against the folder first: badge verify CREDENTIAL --url-map BASEURL=FOLDER.
    """
    from openbadge_ctq.publish import build_site
    from openbadge_ctq.status_publish import require_base_url

    if verify_url is not None and not verify_url.startswith("https://"):
        raise InputError(f"--verify-url must be an https URL, not {verify_url!r}")
    state = app(ctx)
    catalog = catalog_for(state)
    org = catalog.organization(issuer_id)
    require_base_url(org)  # before anything else: an issuer without one has nothing to publish
    store = KeyStore(state.home)
    records = [r for r in store.list(org.id) if r.status is not KeyStatus.REVOKED]
    active = [(r.key_id, r.public_key()) for r in records if r.status is KeyStatus.ACTIVE]
    retired = [(r.key_id, r.public_key()) for r in records if r.status is KeyStatus.RETIRED]
    with open_registry(state, db_url) as registry:
        issued = registry.list(issuer_id=org.id)
        snapshot = registry.status_snapshot(org.id)
    key = signing_key(state, org.id, KeyType.ED25519)
    site = build_site(
        catalog,
        org.id,
        key,
        issued,
        lists=snapshot.lists,
        revoked=snapshot.revoked,
        keys=active,
        retired_keys=retired,
        now=now_or(now),
        verify_url=verify_url,
    )
    root = out_dir.resolve()
    written: list[str] = []
    for relative, data in sorted(site.files.items()):
        path = out_dir / relative
        if not path.resolve().is_relative_to(root):
            raise InputError(f"{relative} would be written outside {out_dir}")
        try:
            write_file(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(str(path))
    if as_json:
        emit_json(
            {
                "issuer": site.issuer_id,
                "baseUrl": site.base_url,
                "did": site.did,
                "didDocument": site.did_document_path,
                "outDir": str(out_dir),
                "credentials": list(site.credentials),
                "skipped": list(site.skipped),
                "files": written,
            }
        )
        return
    click.echo(f"Wrote {len(written)} files for {len(site.credentials)} credentials to {out_dir}")
    if site.skipped:
        click.echo(
            f"{len(site.skipped)} credentials have urn:uuid ids (issued before the baseUrl) and are not hosted",
            err=True,
        )
    click.echo(f"Upload {out_dir} to {site.base_url} (the DID document is {site.did_document_path})", err=True)


PUBLISH_COMMANDS: list[click.Command] = [publish]
"""Add these to ``ALL_COMMANDS`` in ``cli/commands/__init__.py``."""
