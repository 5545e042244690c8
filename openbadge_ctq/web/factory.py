"""Build the app from a serialisable configuration, so every uvicorn worker process can make its own.

``badge serve`` puts a :class:`ServeConfig` as JSON in ``BADGE_WEB_CONFIG`` and runs
``uvicorn openbadge_ctq.web.factory:app_from_env --factory``; each worker calls :func:`app_from_env`. Secrets never
go into the configuration: the signing key is loaded from the badge home's key store (passphrase from
``BADGE_PASSPHRASE``) and a local API token comes from ``BADGE_API_TOKEN`` (hashed at once).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from starlette.applications import Starlette

from ..catalog import load_catalog
from ..errors import InputError
from ..issue import SigningKey, issuer_identity
from ..keys import KeyType
from ..store import KeyStore
from .app import Settings, create_app
from .security import hash_token
from .vcapi import IssuerConfig

__all__ = ["CONFIG_ENV", "TOKEN_ENV", "ServeConfig", "app_from_env", "build_settings"]

CONFIG_ENV = "BADGE_WEB_CONFIG"
TOKEN_ENV = "BADGE_API_TOKEN"
PASSPHRASE_ENV = "BADGE_PASSPHRASE"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    """What ``badge serve`` was asked for (no secrets)."""

    home: str
    trust_file: str | None = None
    issuer: str | None = None
    registry_url: str | None = None
    site_dir: str | None = None
    rate_per_minute: float = 30.0
    rate_burst: int = 10
    max_upload_bytes: int = 2 * 1024 * 1024

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> ServeConfig:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as exc:
            raise InputError(f"{CONFIG_ENV} is not a valid serve configuration ({exc})") from None


def _issuer(config: ServeConfig) -> IssuerConfig | None:
    if not config.issuer:
        return None
    home = Path(config.home)
    extra = home / "issuers"
    catalog = load_catalog(extra) if extra.is_dir() else load_catalog()
    org = catalog.organization(config.issuer)
    store = KeyStore(home)
    record = store.active(config.issuer, KeyType.ED25519)
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if record.encrypted and passphrase is None:
        raise InputError(
            f"the signing key of {config.issuer!r} is encrypted and {PASSPHRASE_ENV} is not set",
            hint=f"export {PASSPHRASE_ENV}=... before badge serve --issuer {config.issuer}",
        )
    private = store.load_private(record, passphrase.encode("utf-8") if record.encrypted and passphrase else None)
    key = SigningKey(private, record.key_id)
    identity = issuer_identity(org, key)
    return IssuerConfig(issuer_id=identity.id, key=key, verification_method=identity.verification_method)


def build_settings(config: ServeConfig, *, api_token: str | None = None) -> Settings:
    """Settings for a public deployment: the default (SSRF-safe) fetcher, the configured limits and issuer."""
    return Settings(
        trust_file=Path(config.trust_file) if config.trust_file else None,
        rate_per_minute=config.rate_per_minute,
        rate_burst=config.rate_burst,
        max_upload_bytes=config.max_upload_bytes,
        issuer=_issuer(config),
        api_token_hashes=frozenset({hash_token(api_token)}) if api_token else frozenset(),
        token_home=Path(config.home),
        registry_url=config.registry_url,
        site_dir=Path(config.site_dir) if config.site_dir else None,
    )


def app_from_env() -> Starlette:
    """The uvicorn factory: the app described by ``BADGE_WEB_CONFIG`` (and ``BADGE_API_TOKEN``)."""
    text = os.environ.get(CONFIG_ENV)
    if not text:
        raise InputError(f"{CONFIG_ENV} is not set", hint="start the service with badge serve")
    return create_app(build_settings(ServeConfig.from_env(text), api_token=os.environ.get(TOKEN_ENV) or None))
