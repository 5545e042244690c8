"""``badge keys``: generate, list, show, check, retire and revoke issuer signing keys.

Thin commands over :class:`openbadge_ctq.store.KeyStore`. Only public key material is ever printed.
"""

from __future__ import annotations

import json
from typing import Any

import click

from openbadge_ctq.keys import MIN_RSA_BITS, KeyType, public_key_to_pem
from openbadge_ctq.store import KeyRecord, KeyStatus, KeyStore

from ..context import app
from ..render import emit_json, json_option, table

_TYPES = click.Choice([kind.value for kind in KeyType], case_sensitive=False)


def _store(ctx: click.Context) -> KeyStore:
    return KeyStore(app(ctx).home)


def _record(store: KeyStore, issuer: str, key_id: str | None) -> KeyRecord:
    return store.get(issuer, key_id) if key_id else store.active(issuer)


def _summary(record: KeyRecord) -> str:
    return f"{record.label} ({record.type.value}, {record.status.value})"


@click.group()
def keys() -> None:
    """Manage issuer signing keys (stored encrypted under <home>/keys)."""


@keys.command()
@click.option("--issuer", "issuer", required=True, help="Issuer id (slug), e.g. ctq.")
@click.option("--type", "kind", type=_TYPES, default=KeyType.ED25519.value, show_default=True, help="Key type.")
@click.option("--rsa-bits", type=int, default=None, help=f"RSA modulus size (default {MIN_RSA_BITS}).")
@click.option("--unencrypted", is_flag=True, help="Store the private key WITHOUT encryption (not recommended).")
@json_option
@click.pass_context
def generate(
    ctx: click.Context, issuer: str, kind: str, rsa_bits: int | None, unencrypted: bool, as_json: bool
) -> None:
    """Generate a key for an issuer; an older active key of the same type is retired.

    The passphrase comes from $BADGE_PASSPHRASE or a prompt.
    """
    key_type = KeyType(kind.lower())
    if rsa_bits is not None and key_type != KeyType.RSA:
        raise click.BadParameter("--rsa-bits only applies to --type rsa", param_hint="--rsa-bits")
    store = _store(ctx)
    previous = {r.key_id for r in store.list(issuer) if r.type == key_type and r.status == KeyStatus.ACTIVE}
    if unencrypted:
        click.echo("Warning: the private key is stored UNENCRYPTED; protect the badge home.", err=True)
        passphrase = None
    else:
        passphrase = app(ctx).passphrase(confirm=True)
    record = store.generate(
        issuer,
        key_type,
        passphrase=passphrase,
        allow_unencrypted=unencrypted,
        rsa_bits=rsa_bits if rsa_bits is not None else MIN_RSA_BITS,
    )
    if as_json:
        emit_json({**record.to_json(), "retired": sorted(previous)})
        return
    click.echo(f"Generated {_summary(record)} in {record.path}")
    for key_id in sorted(previous):
        click.echo(f"Retired {issuer}/{key_id}")


@keys.command(name="list")
@click.option("--issuer", "issuer", default=None, help="Only this issuer's keys.")
@json_option
@click.pass_context
def list_keys(ctx: click.Context, issuer: str | None, as_json: bool) -> None:
    """List stored keys (public information only)."""
    records = _store(ctx).list(issuer)
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    if not records:
        click.echo("No keys." if issuer is None else f"No keys for issuer {issuer}.", err=True)
        return
    rows: list[tuple[str, ...]] = [
        (
            r.issuer_id,
            r.key_id,
            r.type.value,
            r.status.value,
            r.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "yes" if r.encrypted else "NO",
        )
        for r in records
    ]
    table(rows, ("ISSUER", "KEY ID", "TYPE", "STATUS", "CREATED", "ENCRYPTED"))


@keys.command()
@click.option("--issuer", "issuer", required=True, help="Issuer id.")
@click.option("--key-id", "key_id", default=None, help="Key id (default: the newest active key).")
@json_option
@click.pass_context
def show(ctx: click.Context, issuer: str, key_id: str | None, as_json: bool) -> None:
    """Show one key's public information: ids, multibase, did:key, JWK and public PEM."""
    record = _record(_store(ctx), issuer, key_id)
    pem = public_key_to_pem(record.public_key())
    if as_json:
        emit_json({**record.to_json(), "publicKeyPem": pem})
        return
    info: list[tuple[str, Any]] = [
        ("issuer", record.issuer_id),
        ("key id", record.key_id),
        ("type", record.type.value),
        ("created", record.to_json()["created"]),
        ("status", record.status.value),
        ("encrypted", "yes" if record.encrypted else "NO"),
        ("publicKeyMultibase", record.public_key_multibase or "-"),
        ("did:key", record.did_key() or "-"),
        ("publicKeyJwk", _compact(record.to_json()["publicKeyJwk"])),
    ]
    width = max(len(name) for name, _ in info)
    for name, value in info:
        click.echo(f"{name.ljust(width)}  {value}")
    click.echo(pem, nl=False)


def _compact(jwk: dict[str, str]) -> str:
    return json.dumps(jwk, separators=(", ", ": "))


@keys.command()
@click.option("--issuer", "issuer", required=True, help="Issuer id.")
@click.option("--key-id", "key_id", default=None, help="Key id (default: the newest active key).")
@json_option
@click.pass_context
def check(ctx: click.Context, issuer: str, key_id: str | None, as_json: bool) -> None:
    """Check that the passphrase decrypts a key (prints "passphrase OK")."""
    store = _store(ctx)
    record = _record(store, issuer, key_id)
    passphrase = app(ctx).passphrase() if record.encrypted else None
    store.load_private(record, passphrase)
    if as_json:
        emit_json({"issuer": record.issuer_id, "keyId": record.key_id, "encrypted": record.encrypted, "ok": True})
        return
    if not record.encrypted:
        click.echo(f"Warning: key {record.label} is not encrypted.", err=True)
    click.echo(f"passphrase OK ({record.label})" if record.encrypted else f"key OK ({record.label})")


@keys.command()
@click.option("--issuer", "issuer", required=True, help="Issuer id.")
@click.option("--key-id", "key_id", required=True, help="Key id.")
@json_option
@click.pass_context
def retire(ctx: click.Context, issuer: str, key_id: str, as_json: bool) -> None:
    """Retire a key: it signs nothing new but stays published so old credentials verify."""
    record = _store(ctx).retire(issuer, key_id)
    if as_json:
        emit_json(record.to_json())
        return
    click.echo(f"Retired {_summary(record)}")


@keys.command()
@click.option("--issuer", "issuer", required=True, help="Issuer id.")
@click.option("--key-id", "key_id", required=True, help="Key id.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def revoke(ctx: click.Context, issuer: str, key_id: str, yes: bool, as_json: bool) -> None:
    """Revoke a compromised key: delete its private key and stop publishing it."""
    if not yes:
        click.confirm(
            f"Revoke {issuer}/{key_id}? Its private key is deleted and credentials it signed stop verifying",
            abort=True,
            err=True,
        )
    record = _store(ctx).revoke(issuer, key_id)
    if as_json:
        emit_json(record.to_json())
        return
    click.echo(f"Revoked {_summary(record)}")
