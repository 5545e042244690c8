"""Helpers shared by commands: loading the catalog and the issuer's signing key, reading sources, dates."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.errors import InputError
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.keys import KeyType
from openbadge_ctq.model import Catalog
from openbadge_ctq.store import KeyStore
from openbadge_ctq.timefmt import parse_datetime

from .context import AppContext

MAX_STDIN = 8 * 1024 * 1024


def catalog_for(app: AppContext) -> Catalog:
    extra = app.home / "issuers"
    return load_catalog(extra) if extra.is_dir() else load_catalog()


def signing_key(app: AppContext, issuer_id: str, kind: KeyType | None = KeyType.ED25519) -> SigningKey:
    store = KeyStore(app.home)
    record = store.active(issuer_id, kind)
    private = store.load_private(record, app.passphrase() if record.encrypted else None)
    return SigningKey(private, record.key_id)


def parse_moment(value: str | None, what: str) -> datetime | None:
    """An ISO 8601 date or date-time; a bare date means midnight UTC."""
    if value is None:
        return None
    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    try:
        return parse_datetime(text, what=what)
    except InputError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{what}") from None


def now_or(value: str | None) -> datetime:
    return parse_moment(value, "now") or datetime.now(UTC)


def read_source(source: str) -> bytes | str:
    """SOURCE of verify/bake: ``-`` reads stdin, a URL stays a URL, anything else is a file path."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_STDIN + 1)
        if len(data) > MAX_STDIN:
            raise InputError(f"standard input is larger than {MAX_STDIN} bytes")
        return data
    if source.startswith(("https://", "http://")):
        return source
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source} is not a file (expected a file path, '-' for stdin, or a URL)")
    if path.stat().st_size > MAX_STDIN:
        raise InputError(f"{source} is larger than {MAX_STDIN} bytes")
    return path.read_bytes()


def badge_art(catalog: Catalog, achievement_id: str, kind: str) -> bytes:
    """The catalog's badge art for an achievement: its SVG, or the PNG rendition beside it."""
    entry = catalog.achievement(achievement_id)
    if entry.image is None:
        raise InputError(
            f"{achievement_id!r} has no badge art in the catalog, so it cannot be baked",
            hint="bake into your own image: badge bake IMAGE CREDENTIAL -o OUT",
        )
    svg = catalog.image_path(entry.image, entry.id)
    path = svg if kind == "svg" else svg.with_suffix(".png")
    if not path.is_file():
        raise InputError(
            f"{achievement_id!r} has no {kind.upper()} badge art ({path.name} is missing)",
            hint="run scripts/render_badge_pngs.py, or bake into your own image with badge bake",
        )
    return path.read_bytes()
