"""``badge serve``: run the verification service (and VC API); ``badge token``: API tokens for it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openbadge_ctq.errors import InputError

from ..context import app
from ..render import emit_json, json_option

if TYPE_CHECKING:
    from openbadge_ctq.web.tokens import TokenStore

WEB_HINT = "pip install 'openbadge_ctq[web]'"


@contextmanager
def tcp_nodelay(config_class: Any) -> Iterator[None]:
    """Turn Nagle's algorithm off on the listening socket uvicorn binds for ``--workers`` > 1 (Linux passes the
    option on to accepted connections). uvicorn does not (Kludex/uvicorn#3149): each request sent straight after
    the previous answer on a keep-alive connection then waited ~40 ms for a delayed ACK. With one worker, asyncio
    already sets TCP_NODELAY on every connection."""
    original = config_class.bind_socket

    def bind_socket(self: Any) -> socket.socket:
        sock: socket.socket = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    config_class.bind_socket = bind_socket
    try:
        yield
    finally:
        config_class.bind_socket = original


def _web_missing(exc: ImportError) -> InputError:
    return InputError(f"the web service needs packages that are not installed ({exc.name})", hint=WEB_HINT)


def _tokens(home: Path) -> TokenStore:
    try:
        from openbadge_ctq.web.tokens import TokenStore
    except ImportError as exc:
        raise _web_missing(exc) from None
    return TokenStore(home)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS certificate (PEM).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM).")
@click.option(
    "--trust", "trust_file", type=click.Path(dir_okay=False, path_type=Path), help="Trust list of issuers (JSON)."
)
@click.option("--issuer", help="Issuer id whose key signs for POST /credentials/issue (default: issuing disabled).")
@click.option("--db", "db_url", help="Registry database URL for GET /credentials/{id}.")
@click.option(
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Host a folder written by 'badge publish' (credential ids, DID document, status lists, pages).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--rate-limit",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Verifications per minute per client.",
)
@click.option(
    "--burst", default=10, show_default=True, type=click.IntRange(min=1), help="Verifications at once per client."
)
@click.option(
    "--max-upload",
    default=2 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Largest upload (bytes).",
)
@click.option("--proxy-headers", is_flag=True, help="Trust X-Forwarded-For/Proto from --forwarded-allow-ips.")
@click.option(
    "--forwarded-allow-ips", default="127.0.0.1", show_default=True, help="Proxies whose headers are trusted."
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    trust_file: Path | None,
    issuer: str | None,
    db_url: str | None,
    site_dir: Path | None,
    workers: int,
    rate_limit: float,
    burst: int,
    max_upload: int,
    proxy_headers: bool,
    forwarded_allow_ips: str,
) -> None:
    """Run the verification service: pages at /verify, the VC API, /openapi.json. HTTPS with --tls-cert/--tls-key."""
    try:
        import uvicorn

        from openbadge_ctq.web.factory import CONFIG_ENV, ServeConfig, build_settings
    except ImportError as exc:
        raise _web_missing(exc) from None

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("give both --tls-cert and --tls-key, or neither")
    if trust_file is not None and not trust_file.exists():
        raise InputError(f"trust list {trust_file} does not exist", hint='create it: {"trusted": [], "distrusted": []}')
    home = app(ctx).home
    config = ServeConfig(
        home=str(home),
        trust_file=str(trust_file.resolve()) if trust_file else None,
        issuer=issuer,
        registry_url=db_url,
        site_dir=str(site_dir.resolve()) if site_dir else None,
        rate_per_minute=rate_limit,
        rate_burst=burst,
        max_upload_bytes=max_upload,
    )
    build_settings(config, api_token=None)  # fail now (unknown issuer, missing key or passphrase), not in a worker
    os.environ[CONFIG_ENV] = config.to_env()
    scheme = "https" if tls_cert else "http"
    click.echo(f"Serving the verification service at {scheme}://{host}:{port}/verify ({workers} worker(s))", err=True)
    if scheme == "http" and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("Warning: plain http on a public address; use --tls-cert/--tls-key or a TLS proxy.", err=True)
    with tcp_nodelay(uvicorn.config.Config):
        uvicorn.run(
            "openbadge_ctq.web.factory:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            server_header=False,
            log_level="info",
        )


@click.group("token")
def token() -> None:
    """API tokens for the VC API's issuing endpoint and trust-list changes (stored hashed in the badge home)."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for (e.g. the district SIS).")
@json_option
@click.pass_context
def token_create(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create a token. It is printed once; only its hash is kept."""
    record, secret = _tokens(app(ctx).home).create(name)
    if as_json:
        emit_json({**record.to_json(), "token": secret})
        return
    click.echo(secret)
    click.echo(f"Created {record.id} ({record.name}). Store the token now: it cannot be shown again.", err=True)


@token.command("list")
@json_option
@click.pass_context
def token_list(ctx: click.Context, as_json: bool) -> None:
    """List tokens (ids, names, dates; never the tokens)."""
    records = _tokens(app(ctx).home).list()
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    for r in records:
        click.echo(f"{r.id}  {r.name}  created {r.created}" + (f"  REVOKED {r.revoked}" if r.revoked else ""))


@token.command("revoke")
@click.argument("token_id")
@json_option
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, as_json: bool) -> None:
    """Revoke a token by its id (badge token list)."""
    record = _tokens(app(ctx).home).revoke(token_id)
    if as_json:
        emit_json(record.to_json())
        return
    click.echo(f"Revoked {record.id} ({record.name}).")
