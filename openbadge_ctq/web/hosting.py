"""Hosting an issuer's public files from the service: credentials with content negotiation, and a published site.

:func:`hosting_routes` serves, at the paths they have under the issuer's ``baseUrl`` (put the service, or a proxy
path, at the ``baseUrl``):

* ``GET /credentials/{name}``: a verifier (``Accept: application/ld+json``, ``application/json``, ``*/*`` or
  nothing) gets the credential as issued: ob3-di JSON (``application/vc+ld+json``) or the compact JWT
  (``application/vc+jwt``); a browser (``Accept: text/html``) gets its HTML page with Open Graph tags. Read from
  the registry (``Settings.registry_url``) first, else from the published folder (``badge publish --out``).
* ``GET /ob2/assertions/{name}``: a hosted Open Badges 2.0 assertion from the folder. A revoked one (the stub
  ``badge ob2 revoke`` writes) answers **410 Gone** with the stub ``{"id", "revoked": true, ...}`` as body, as the
  OB 2.0 specification says.
* ``/did.json``, ``/.well-known/did.json``, ``/profile.json``, ``/status/…``, ``/achievements/…``, ``/images/…``,
  ``/qr/…``, ``/ob2/…``: files of the published folder, with their content types.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..publish import credential_page

if TYPE_CHECKING:
    from ..registry import CredentialRecord, Registry
    from .app import Settings

__all__ = ["MAX_FILE", "hosting_routes", "prefers_html"]

MAX_FILE = 8 * 1024 * 1024
_TYPES = {
    ".json": "application/ld+json",
    ".jwt": "application/vc+jwt",
    ".jws": "application/jwt",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_JSON_MARKERS = ("application/json", "application/ld+json", "application/vc+ld+json", "+json", "application/vc+jwt")


def prefers_html(accept: str) -> bool:
    """True when the client asks for HTML before any JSON type (a browser); verifiers and ``*/*`` get JSON."""
    best_html: float | None = None
    best_json: float | None = None
    for position, item in enumerate(accept.lower().split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0]
        quality = 1.0
        for param in parts[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        score = quality - position * 1e-6  # earlier wins among equal qualities
        if quality <= 0:
            continue
        if media in ("text/html", "application/xhtml+xml"):
            best_html = score if best_html is None else max(best_html, score)
        elif any(marker in media for marker in _JSON_MARKERS):
            best_json = score if best_json is None else max(best_json, score)
    if best_html is None:
        return False
    return best_json is None or best_html > best_json


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": "Not Found", "status": 404, "detail": detail}, 404)


def _safe_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "-_." for c in name)


class _Host:
    def __init__(self, settings: Settings, site_dir: Path | None) -> None:
        self.settings = settings
        self.site_dir = site_dir.resolve() if site_dir is not None else None
        self.registry: Registry | None = None

    # ---- reading ---------------------------------------------------------------------------------------------

    def read(self, relative: str) -> bytes | None:
        """A file of the published folder, or None (missing, outside the folder, a folder, too large)."""
        if self.site_dir is None:
            return None
        segments = relative.split("/")
        if any(s in ("", ".", "..") or "\\" in s or "\x00" in s for s in segments):
            return None
        path = (self.site_dir / relative).resolve()
        if not path.is_relative_to(self.site_dir) or not path.is_file():
            return None
        if path.stat().st_size > MAX_FILE:
            return None
        return path.read_bytes()

    def record(self, own_url: str, name: str) -> CredentialRecord | None:
        if self.settings.registry_url is None:
            return None
        if self.registry is None:
            from ..registry import Registry

            self.registry = Registry(self.settings.registry_url, migrate=False)
        # ``name`` is the last segment of the credential's URL, its UUID, or (with a colon) its whole id (a URN).
        for candidate in (own_url, name if ":" in name else f"urn:uuid:{name}"):
            found = self.registry.find(credential_id=candidate)
            if found is not None:
                return found
        return None

    # ---- handlers --------------------------------------------------------------------------------------------

    async def credential(self, request: Request) -> Response:
        name = request.path_params["name"]
        html = prefers_html(request.headers.get("accept", "")) and request.query_params.get("format") != "json"
        own_url = str(request.url.replace(query="", fragment=""))
        record = await run_in_threadpool(self.record, own_url, name)
        if record is not None:
            if html:
                page = credential_page(
                    record.credential,
                    page_url=own_url,
                    json_url=own_url,
                    state=record.state.value,
                    state_reason=record.state_reason,
                )
                return Response(page, media_type="text/html; charset=utf-8", headers={"vary": "accept"})
            return self._document(record.document, jwt=record.format == "ob3-jwt")
        if not _safe_name(name):  # only the registry is asked about names that are not plain file names
            return _not_found("no credential with this id is hosted here")
        stem = name.removesuffix(".json").removesuffix(".jwt").removesuffix(".html")
        if html:
            page_bytes = await run_in_threadpool(self.read, f"credentials/{stem}.html")
            if page_bytes is not None:
                return Response(page_bytes, media_type="text/html; charset=utf-8", headers={"vary": "accept"})
        data = await run_in_threadpool(self.read, f"credentials/{name}")
        if data is None and name == stem:
            data = await run_in_threadpool(self.read, f"credentials/{stem}.json")
        if data is None:
            return _not_found("no credential with this id is hosted here")
        text = data.decode("utf-8", errors="replace")
        return self._document(text, jwt=not text.lstrip().startswith("{"))

    @staticmethod
    def _document(text: str, *, jwt: bool) -> Response:
        media = "application/vc+jwt" if jwt else "application/vc+ld+json"
        return Response(text, media_type=media, headers={"vary": "accept", "access-control-allow-origin": "*"})

    async def ob2_assertion(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not _safe_name(name):
            return _not_found("no assertion with this id is hosted here")
        data = await run_in_threadpool(self.read, f"ob2/assertions/{name}")
        if data is None and not name.endswith(".json"):
            data = await run_in_threadpool(self.read, f"ob2/assertions/{name}.json")
        if data is None:
            return _not_found("no assertion with this id is hosted here")
        try:
            doc: Any = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            doc = None
        status = 410 if isinstance(doc, dict) and doc.get("revoked") is True else 200
        return Response(
            data, status_code=status, media_type="application/ld+json", headers={"access-control-allow-origin": "*"}
        )

    def static(
        self, prefix: str, *, default_type: str = "application/ld+json"
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            rest = unquote(str(request.path_params.get("rest", "")))
            relative = prefix + rest
            data = await run_in_threadpool(self.read, relative)
            if data is None and "." not in relative.rsplit("/", 1)[-1]:
                data = await run_in_threadpool(self.read, relative + ".json")
            if data is None:
                return _not_found("nothing is published at this address")
            suffix = Path(relative).suffix.lower()
            media = _TYPES.get(suffix, default_type if not suffix else "application/octet-stream")
            return Response(data, media_type=media, headers={"access-control-allow-origin": "*"})

        return handler


def hosting_routes(settings: Settings, *, site_dir: Path | None = None) -> list[Route]:
    """The routes that host an issuer's public files (see the module docstring).

    Put them before the app's ``/credentials/{credential_id:path}`` VC API route: they answer the same requests
    for JSON, and browsers with the HTML page. ``site_dir`` is the folder ``badge publish --out`` wrote.
    """
    host = _Host(settings, site_dir)
    return [
        Route("/credentials/{name}", host.credential, methods=["GET", "HEAD"]),
        Route("/ob2/assertions/{name}", host.ob2_assertion, methods=["GET", "HEAD"]),
        Route("/did.json", host.static("did.json"), methods=["GET", "HEAD"]),
        Route("/.well-known/did.json", host.static(".well-known/did.json"), methods=["GET", "HEAD"]),
        Route("/profile.json", host.static("profile.json"), methods=["GET", "HEAD"]),
        Route("/status/{rest:path}", host.static("status/"), methods=["GET", "HEAD"]),
        Route("/achievements/{rest:path}", host.static("achievements/"), methods=["GET", "HEAD"]),
        Route("/images/{rest:path}", host.static("images/"), methods=["GET", "HEAD"]),
        Route("/qr/{rest:path}", host.static("qr/"), methods=["GET", "HEAD"]),
        Route("/ob2/{rest:path}", host.static("ob2/"), methods=["GET", "HEAD"]),
    ]
