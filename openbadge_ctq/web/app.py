"""The Starlette app: verification pages (HTML, no JavaScript), batch verification, the trust list, the VC API.

Every library call that may block (verification fetches documents) runs in a worker thread. One fetcher is made
per request by ``Settings.fetcher_factory`` and closed afterwards.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..batch import BATCH_COLUMNS, parse_batch_csv, verify_batch, write_csv
from ..errors import BadgeError
from ..fetch import HttpFetcher
from ..interfaces import Fetcher
from ..trust import TrustList, Verdict
from ..verify import VerificationReport, verify
from .hosting import hosting_routes
from .openapi import openapi_document
from .security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SECURITY_HEADERS,
    BodyLimitMiddleware,
    RateLimiter,
    Scope,
    SecurityHeadersMiddleware,
    bearer_token,
    csrf_ok,
    new_csrf_token,
    token_matches,
)
from .tokens import TokenStore
from .vcapi import ApiError, IssuerConfig, issue_from_template, verification_result, verify_presentation
from .view import report_view

__all__ = ["Settings", "create_app"]

HERE = Path(__file__).resolve().parent
MAX_RECIPIENT = 320
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How the service runs. Every field has a safe default for a public verification page.

    Args:
        trust_file: the district's trust list (JSON); managed at ``/trust`` when API tokens exist.
        fetcher_factory: makes the fetcher of one request. Default: ``HttpFetcher()`` — https only, no private
            addresses, timeouts, size caps. Tests pass a fetcher for a loopback server; never do that in production.
        rate_per_minute, rate_burst: the per-client token bucket of the verification endpoints.
        max_upload_bytes: largest request body (uploads, pasted JSON); larger gets 413.
        max_batch_rows: most rows one batch verifies.
        issuer: the issuer ``/credentials/issue`` signs for (none: issuing is disabled).
        api_token_hashes: ``sha256:`` hashes of API tokens (``BADGE_API_TOKEN`` hashed, for a local run).
        token_home: a badge home whose ``api-tokens.json`` is re-read on each authenticated request.
        registry_url: the issuance registry ``GET /credentials/{id}`` reads from.
        site_dir: a folder written by ``badge publish``, served with content negotiation (hosting).
        clock: the current time (tests fix it).
    """

    trust_file: Path | None = None
    fetcher_factory: Callable[[], Fetcher] = HttpFetcher
    rate_per_minute: float = 30.0
    rate_burst: int = 10
    max_upload_bytes: int = 2 * 1024 * 1024
    max_batch_rows: int = 200
    issuer: IssuerConfig | None = None
    api_token_hashes: frozenset[str] = frozenset()
    token_home: Path | None = None
    registry_url: str | None = None
    site_dir: Path | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    title: str = "Micro-credential verification"


class _Service:
    """The app's state and handlers (one per app; nothing at module level)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(per_minute=settings.rate_per_minute, burst=settings.rate_burst)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False)
        self.registry: Any = None

    # ---- helpers -------------------------------------------------------------------------------------------------

    def token_hashes(self) -> Collection[str]:
        hashes = set(self.settings.api_token_hashes)
        if self.settings.token_home is not None:
            hashes |= TokenStore(self.settings.token_home).active_hashes()
        return hashes

    def authorised(self, request: Request, token: str | None = None) -> bool:
        given = token if token is not None else bearer_token(request.headers.get("authorization"))
        return token_matches(given, self.token_hashes())

    def trust_list(self) -> TrustList | None:
        path = self.settings.trust_file
        if path is None:
            return None
        if not path.exists():
            return TrustList()
        return TrustList.load(path)

    def csrf_token(self, request: Request) -> str:
        value = request.cookies.get(CSRF_COOKIE)
        if value and 20 <= len(value) <= 200:
            return value
        token: str = request.state.__dict__.setdefault("new_csrf", new_csrf_token())
        return token

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        csrf = self.csrf_token(request)
        html = self.env.get_template(template).render(
            title=self.settings.title, csrf_field=CSRF_FIELD, csrf=csrf, path=request.url.path, **context
        )
        response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(
                CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
            )
        return response

    def error_page(self, request: Request, status: int, heading: str, message: str) -> Response:
        if wants_json(request) or _is_api_path(request.url.path):
            return _problem(status, heading, message)
        return self.page(request, "error.html", status, heading=heading, message=message)

    def rate_limited(self, request: Request, cost: float = 1.0) -> Response | None:
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.take(client, cost)
        if wait <= 0:
            return None
        response = self.error_page(
            request,
            429,
            "Too many requests",
            f"You have verified many credentials in a short time. Please wait {int(wait) + 1} seconds and try again.",
        )
        response.headers["retry-after"] = str(int(wait) + 1)
        return response

    def run_verify(self, source: Any, recipient: str | None) -> VerificationReport:
        fetcher = self.settings.fetcher_factory()
        try:
            return verify(source, fetcher=fetcher, now=self.settings.clock(), recipient=recipient)
        finally:
            close = getattr(fetcher, "close", None)
            if callable(close):
                close()

    def judge(self, report: VerificationReport) -> Verdict | None:
        trust = self.trust_list()
        if trust is None:
            return None
        issuer = report.summary.get("issuer") if report.summary else None
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else None
        return trust.judge(issuer_id if isinstance(issuer_id, str) else None)

    async def respond_report(
        self, request: Request, report: VerificationReport, *, upload: bytes | None, source_label: str
    ) -> Response:
        verdict = self.judge(report)
        if wants_json(request):
            body = report.to_json()
            if verdict is not None:
                body["trust"] = verdict
            return JSONResponse(body, status_code=200)
        view = report_view(report, trust=verdict, upload=upload)
        return self.page(request, "verify.html", report=view, source_label=source_label)

    # ---- pages ---------------------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/verify", status_code=303)

    async def verify_get(self, request: Request) -> Response:
        url = request.query_params.get("url")
        if url is None:
            return self.page(request, "verify.html", report=None)
        url = url.strip()
        if not url.startswith(("https://", "http://")) or len(url) > 4096:
            return self.error_page(request, 400, "Not a credential link", "The link must be an https:// address.")
        limited = self.rate_limited(request)
        if limited is not None:
            return limited
        recipient = _recipient(request.query_params.get("recipient"))
        report = await run_in_threadpool(self.run_verify, url, recipient)
        return await self.respond_report(request, report, upload=None, source_label=url)

    async def verify_post(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in JSON_TYPES or content_type == "text/plain":
            limited = self.rate_limited(request)
            if limited is not None:
                return limited
            body = await request.body()
            report = await run_in_threadpool(self.run_verify, body, _recipient(request.query_params.get("recipient")))
            return await self.respond_report(request, report, upload=None, source_label="request body")
        form = await request.form(max_files=1, max_fields=10, max_part_size=self.settings.max_upload_bytes)
        try:
            if not csrf_ok(request.cookies.get(CSRF_COOKIE), _field(form.get(CSRF_FIELD))):
                return self.error_page(
                    request,
                    403,
                    "Please try again",
                    "The form expired or came from another site. Reload the verification page and submit it again.",
                )
            text = _field(form.get("credential")).strip()
            recipient = _recipient(_field(form.get("recipient")))
            upload = form.get("file")
            data: bytes | None = None
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
            if not text and not data:
                return self.page(
                    request,
                    "verify.html",
                    400,
                    report=None,
                    form_error="Paste a credential link or its text, or choose a file to upload.",
                )
            limited = self.rate_limited(request)
            if limited is not None:
                return limited
            source: Any = data if data else text
            label = (upload.filename or "uploaded file") if data and isinstance(upload, UploadFile) else "pasted"
            if not data and text.startswith(("https://", "http://")):
                label = text
            report = await run_in_threadpool(self.run_verify, source, recipient)
            return await self.respond_report(request, report, upload=data, source_label=label)
        finally:
            await form.close()

    async def batch_post(self, request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=10, max_part_size=self.settings.max_upload_bytes)
        try:
            if not csrf_ok(request.cookies.get(CSRF_COOKIE), _field(form.get(CSRF_FIELD))) and not self.authorised(
                request
            ):
                return self.error_page(
                    request, 403, "Please try again", "The form expired. Reload the page and submit it again."
                )
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                return self.error_page(request, 400, "No file", "Choose a CSV file of badge links to verify.")
            raw = await upload.read()
            out_format = _field(form.get("format")) or ("json" if wants_json(request) else "html")
        finally:
            await form.close()
        try:
            rows = parse_batch_csv(raw.decode("utf-8-sig"), max_rows=self.settings.max_batch_rows)
        except UnicodeDecodeError:
            return self.error_page(request, 400, "Not a CSV file", "The file must be UTF-8 text (a CSV file).")
        except BadgeError as exc:
            return self.error_page(request, 400, "Cannot read the file", exc.message)
        limited = self.rate_limited(request, cost=max(1.0, len(rows) / 10))
        if limited is not None:
            return limited

        def run() -> list[dict[str, str | int]]:
            fetcher = self.settings.fetcher_factory()
            try:
                return list(verify_batch(rows, fetcher=fetcher, now=self.settings.clock(), trust=self.trust_list()))
            finally:
                close = getattr(fetcher, "close", None)
                if callable(close):
                    close()

        results = await run_in_threadpool(run)
        if out_format == "csv":
            buffer = io.StringIO()
            write_csv(results, buffer)
            return Response(
                buffer.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": 'attachment; filename="verification-report.csv"'},
            )
        if out_format == "json":
            return JSONResponse({"columns": list(BATCH_COLUMNS), "rows": results})
        return self.page(request, "batch.html", rows=results, columns=BATCH_COLUMNS)

    async def trust_get(self, request: Request) -> Response:
        trust = self.trust_list()
        if wants_json(request):
            return JSONResponse(trust.to_json() if trust else {"trusted": [], "distrusted": []})
        return self.page(
            request,
            "trust.html",
            trust=list(trust.entries()) if trust else [],
            configured=self.settings.trust_file is not None,
        )

    async def trust_post(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        try:
            if not csrf_ok(request.cookies.get(CSRF_COOKIE), _field(form.get(CSRF_FIELD))):
                return self.error_page(request, 403, "Please try again", "The form expired. Reload the page.")
            if not self.authorised(request, _field(form.get("token")) or None):
                return self.error_page(request, 401, "Not allowed", "Changing the trust list needs a valid API token.")
            issuer_id = _field(form.get("issuer")).strip()
            action = _field(form.get("action"))
            name = _field(form.get("name")).strip() or None
        finally:
            await form.close()
        path = self.settings.trust_file
        if path is None:
            return self.error_page(request, 409, "No trust list", "Start the server with --trust FILE to manage one.")
        if action not in ("trusted", "distrusted", "unknown"):
            return self.error_page(request, 400, "Unknown action", "Choose trust, distrust or remove.")
        current = self.trust_list() or TrustList()
        try:
            updated = current.with_issuer(issuer_id, action, name=name)  # type: ignore[arg-type]
        except BadgeError as exc:
            return self.error_page(request, 400, "Not an issuer id", exc.message)
        _write_atomic(path, updated.dumps())
        return RedirectResponse("/trust", status_code=303)

    # ---- VC API --------------------------------------------------------------------------------------------------

    async def api_verify_credential(self, request: Request) -> Response:
        limited = self.rate_limited(request)
        if limited is not None:
            return limited
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        credential = body.get("verifiableCredential") if isinstance(body, dict) else None
        if credential is None:
            return _problem(400, "Bad Request", "the body must be a JSON object with a 'verifiableCredential' member")
        if not isinstance(credential, dict | str):
            return _problem(400, "Bad Request", "'verifiableCredential' must be a JSON object or a compact JWT")
        if not isinstance(body.get("options", {}), dict):
            return _problem(400, "Bad Request", "'options' must be a JSON object")
        report = await run_in_threadpool(self.run_verify, credential, None)
        result = verification_result(report)
        verdict = self.judge(report)
        if verdict is not None:
            result["trust"] = verdict
        return JSONResponse(result, status_code=200 if report.verified else 400)

    async def api_verify_presentation(self, request: Request) -> Response:
        limited = self.rate_limited(request)
        if limited is not None:
            return limited
        body = await _json_body(request)
        if isinstance(body, Response):
            return body

        def run() -> dict[str, Any]:
            fetcher = self.settings.fetcher_factory()
            try:
                return verify_presentation(body, fetcher=fetcher, now=self.settings.clock())
            finally:
                close = getattr(fetcher, "close", None)
                if callable(close):
                    close()

        try:
            result = await run_in_threadpool(run)
        except ApiError as exc:
            return JSONResponse(exc.to_json(), status_code=exc.status)
        return JSONResponse(result, status_code=200 if result["verified"] else 400)

    async def api_issue(self, request: Request) -> Response:
        if not self.authorised(request):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": "a valid bearer token is needed",
                },
                status_code=401,
                headers={"www-authenticate": 'Bearer realm="badge"'},
            )
        issuer = self.settings.issuer
        if issuer is None:
            return _problem(501, "Not Implemented", "this server has no issuer (start it with badge serve --issuer ID)")
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        try:
            signed = await run_in_threadpool(issue_from_template, body, issuer, now=self.settings.clock())
        except ApiError as exc:
            return JSONResponse(exc.to_json(), status_code=exc.status)
        return JSONResponse({"verifiableCredential": signed}, status_code=201)

    async def api_get_credential(self, request: Request) -> Response:
        if self.settings.registry_url is None:
            return _problem(404, "Not Found", "this server has no registry of issued credentials")
        wanted = request.path_params["credential_id"]
        record = await run_in_threadpool(self._find_credential, wanted, str(request.url.replace(query="")))
        if record is None:
            return _problem(404, "Not Found", "no credential with this id was issued here")
        document = record.document
        if record.format == "ob3-jwt":
            return PlainTextResponse(document, media_type="application/vc+jwt")
        return Response(document, media_type="application/vc+ld+json")

    def _find_credential(self, wanted: str, own_url: str) -> Any:
        if self.registry is None:
            from ..registry import Registry

            self.registry = Registry(self.settings.registry_url or "", migrate=False)
        for candidate in (wanted, f"urn:uuid:{wanted}", own_url):
            record = self.registry.find(credential_id=candidate)
            if record is not None:
                return record
        return None

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document())

    # ---- errors --------------------------------------------------------------------------------------------------

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headings = {404: "Page not found", 405: "Method not allowed", 400: "Bad request"}
        message = {
            404: "There is nothing at this address. Go to the verification page to check a credential.",
            405: "This address does not accept that kind of request.",
        }.get(status, "The request could not be handled.")
        response = self.error_page(request, status, headings.get(status, "Error"), message)
        # Starlette's 405 carries the ``Allow`` header (RFC 9110 requires it); keep it and any other.
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    async def server_error(self, request: Request, exc: Exception) -> Response:
        # Starlette's error middleware sits outside ours, so this response gets the security headers here.
        response = self.error_page(request, 500, "Something went wrong", "The server could not handle this request.")
        for name, value in SECURITY_HEADERS:
            response.headers[name.decode("ascii")] = value.decode("ascii")
        return response

    async def reject_body(
        self, scope: Scope, status: int, message: str
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = str(scope.get("path", ""))
        if _accepts_json(headers.get("accept", "")) or _is_api_path(path):
            body = json.dumps(
                {"type": "about:blank", "title": "Content Too Large", "status": status, "detail": message}
            )
            return status, [(b"content-type", b"application/json")], body.encode("utf-8")
        html = self.env.get_template("error.html").render(
            title=self.settings.title, heading="The file is too large", message=message + ".", csrf="", path=path
        )
        return status, [(b"content-type", b"text/html; charset=utf-8")], html.encode("utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if self.registry is not None:
                self.registry.close()


def _is_api_path(path: str) -> bool:
    """The VC API's addresses: their errors are JSON problem details whatever the ``Accept`` header says."""
    return path.startswith(("/credentials", "/presentations"))


def _accepts_json(accept: str) -> bool:
    accept = accept.lower()
    if "text/html" in accept:
        return False
    return any(t in accept for t in (*JSON_TYPES, "+json"))


def wants_json(request: Request) -> bool:
    """Content negotiation: JSON when asked for (Accept or ``?format=json``), HTML otherwise."""
    if request.query_params.get("format") == "json":
        return True
    return _accepts_json(request.headers.get("accept", ""))


def _field(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _recipient(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value[:MAX_RECIPIENT] if value else None


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail}, status)


async def _json_body(request: Request) -> Any:
    """The VC API request body, parsed; or a 415/400 problem response.

    Only JSON media types (``application/json``, ``application/*+json``) are read: a ``text/plain`` or form body
    is what a cross-site page can send without a CORS preflight, so it is refused before it is parsed.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        return _problem(415, "Unsupported Media Type", "send the body as JSON (Content-Type: application/json)")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "Bad Request", "the body is not valid JSON")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_app(settings: Settings | None = None) -> Starlette:
    """The verification service as an ASGI app (serve it with uvicorn: ``badge serve``)."""
    service = _Service(settings or Settings())
    routes = [
        Route("/", service.home),
        Route("/verify", service.verify_get, methods=["GET"]),
        Route("/verify", service.verify_post, methods=["POST"]),
        Route("/verify/batch", service.batch_post, methods=["POST"]),
        Route("/trust", service.trust_get, methods=["GET"]),
        Route("/trust", service.trust_post, methods=["POST"]),
        Route("/credentials/verify", service.api_verify_credential, methods=["POST"]),
        Route("/credentials/issue", service.api_issue, methods=["POST"]),
        Route("/presentations/verify", service.api_verify_presentation, methods=["POST"]),
        *hosting_routes(service.settings, site_dir=service.settings.site_dir),
        Route("/credentials/{credential_id:path}", service.api_get_credential, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(BodyLimitMiddleware, limit=service.settings.max_upload_bytes, render=service.reject_body),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: service.http_error, 500: service.server_error},
        lifespan=service.lifespan,
    )
