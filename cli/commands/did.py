"""``badge did``: an issuer's DID (did:key, or did:web with a baseUrl) and its DID document."""

from __future__ import annotations

import click

from openbadge_ctq.did import build_did_web_document, did_web_from_base_url, resolve_did_key
from openbadge_ctq.keys import KeyType
from openbadge_ctq.store import KeyStatus, KeyStore

from ..common import catalog_for
from ..context import app
from ..render import emit_json, json_option


@click.group("did")
def did() -> None:
    """Show an issuer's DID and DID document."""


def _issuer_did(ctx: click.Context, issuer_id: str) -> tuple[str, dict[str, object]]:
    state = app(ctx)
    org = catalog_for(state).organization(issuer_id)
    store = KeyStore(state.home)
    if org.base_url:
        did_value = did_web_from_base_url(org.base_url)
        records = [r for r in store.list(issuer_id) if r.status is not KeyStatus.REVOKED]
        active = [(r.key_id, r.public_key()) for r in records if r.status is KeyStatus.ACTIVE]
        retired = [(r.key_id, r.public_key()) for r in records if r.status is KeyStatus.RETIRED]
        return did_value, build_did_web_document(did_value, active, retired=retired)
    record = store.active(issuer_id, KeyType.ED25519)
    did_value = record.did_key()
    assert did_value is not None  # Ed25519 keys always have a did:key
    return did_value, resolve_did_key(did_value)


@did.command("show")
@click.option("--issuer", "issuer_id", required=True)
@json_option
@click.pass_context
def show(ctx: click.Context, issuer_id: str, as_json: bool) -> None:
    """Print the issuer's DID (did:key of its Ed25519 key, or did:web of its baseUrl)."""
    did_value, document = _issuer_did(ctx, issuer_id)
    if as_json:
        emit_json(
            {
                "issuer": issuer_id,
                "did": did_value,
                "verificationMethod": [vm["id"] for vm in document.get("verificationMethod", [])],
            }
        )
    else:
        click.echo(did_value)


@did.command("document")
@click.option("--issuer", "issuer_id", required=True)
@json_option
@click.pass_context
def document(ctx: click.Context, issuer_id: str, as_json: bool) -> None:
    """Print the issuer's DID document (for did:web, publish it at /.well-known/did.json)."""
    _, doc = _issuer_did(ctx, issuer_id)
    emit_json(doc)
