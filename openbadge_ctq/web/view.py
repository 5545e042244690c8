"""What the verification page shows: a report turned into plain-language values for the templates.

Badge images are only ever shown as ``data:`` URIs in an ``<img>`` (browsers draw those without running scripts or
loading anything): a PNG only when it really is a PNG, an SVG only after :func:`openbadge_ctq.bake.check_badge_art`
finds no scripts, event handlers or external references. Remote image URLs are never fetched or linked.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from ..bake import check_badge_art
from ..errors import BadgeError
from ..timefmt import parse_datetime
from ..trust import Verdict
from ..verify import Status, VerificationReport

__all__ = ["CHECK_TITLES", "MAX_IMAGE_BYTES", "ImageView", "ReportView", "badge_image", "report_view"]

MAX_IMAGE_BYTES = 2 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CHECK_TITLES: Mapping[str, str] = {
    "parse": "The credential could be read",
    "context": "It uses the Open Badges vocabulary",
    "type": "It is an Open Badges credential",
    "schema": "Its fields have the expected form",
    "subject": "It names who earned it",
    "proof": "The issuer's digital signature is valid",
    "issuer.binding": "The signing key belongs to the issuer",
    "jwt.claims": "The signed envelope agrees with the credential",
    "dates": "It is within its validity dates",
    "status": "It has not been revoked or suspended",
    "recipient": "It was issued to the person you named",
    "endorsement": "Its endorsements are valid",
    "legacy": "It uses a current format",
}
STATUS_WORDS: Mapping[Status, str] = {
    Status.PASS: "Passed",
    Status.FAIL: "Failed",
    Status.WARN: "Passed, with a caveat",
    Status.SKIP: "Not checked",
}
TRUST_WORDS: Mapping[str, str] = {
    "trusted": "on your district's trusted list",
    "unknown": "not on your district's lists (unknown issuer)",
    "distrusted": "on your district's DISTRUSTED list",
}


@dataclass(frozen=True, slots=True)
class ImageView:
    data_uri: str | None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckView:
    id: str
    title: str
    status: str
    status_word: str
    message: str
    pointer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    verified: bool
    format: str
    name: str
    description: str
    issuer_name: str
    issuer_id: str
    trust: str | None
    trust_word: str
    recipient_name: str
    recipient_check: str
    issued: str
    expires: str
    status: str
    levels: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    hours: str = ""
    checks: list[CheckView] = field(default_factory=list)
    failed: list[CheckView] = field(default_factory=list)
    image: ImageView = field(default_factory=lambda: ImageView(None))
    baked: str = ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def human_date(value: Any) -> str:
    """``2026-11-23T12:00:00Z`` → ``23 November 2026`` (the raw value when it is not a date)."""
    text = _text(value)
    if not text:
        return ""
    try:
        moment = parse_datetime(text, what="date")
    except BadgeError:
        return text
    return f"{moment.day} {moment:%B %Y}"


def _svg_uri(svg: bytes) -> ImageView:
    try:
        check_badge_art(svg, name="badge image")
    except BadgeError as exc:
        return ImageView(None, f"The badge image was not shown because it is not safe to display ({exc.message}).")
    return ImageView("data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))


def badge_image(report: VerificationReport, upload: bytes | None = None) -> ImageView:
    """The image to show: the uploaded baked image, else a ``data:`` image inside the credential, else none."""
    if upload is not None and report.image is not None:
        if len(upload) > MAX_IMAGE_BYTES:
            return ImageView(None, "The badge image is too large to display.")
        if upload.startswith(PNG_MAGIC):
            return ImageView("data:image/png;base64," + base64.b64encode(upload).decode("ascii"))
        if report.image.get("container") == "svg":
            return _svg_uri(upload)
    summary_image = report.summary.get("image") if report.summary else None
    ref = summary_image.get("id") if isinstance(summary_image, Mapping) else None
    if not isinstance(ref, str) or not ref:
        return ImageView(None)
    if not ref.startswith("data:"):
        return ImageView(None, "The badge image is published at the issuer's address and is not loaded here.")
    header, sep, payload = ref[5:].partition(",")
    if not sep or len(payload) > MAX_IMAGE_BYTES * 2:
        return ImageView(None, "The badge image could not be read.")
    media, *params = header.split(";")
    try:
        data = base64.b64decode(payload, validate=True) if "base64" in params else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return ImageView(None, "The badge image could not be read.")
    if media.strip().lower() == "image/png" and data.startswith(PNG_MAGIC):
        return ImageView("data:image/png;base64," + base64.b64encode(data).decode("ascii"))
    if media.strip().lower() == "image/svg+xml":
        return _svg_uri(data)
    return ImageView(None, "The badge image is in a format this page does not display.")


def _status(report: VerificationReport) -> str:
    check = report.check("status")
    if check is None:
        return ""
    if check.status is Status.PASS:
        return "Active (not revoked or suspended)"
    if check.status is Status.FAIL:
        return check.message
    if check.status is Status.WARN:
        return "Not checked: " + check.message
    return "No status list" if "no credentialStatus" in check.message or "no status" in check.message else "—"


def _recipient_check(report: VerificationReport) -> str:
    check = report.check("recipient")
    if check is None:
        return "Not checked (no email or DID was given)"
    if check.status is Status.PASS:
        return "Issued to the person you named"
    if check.status is Status.FAIL:
        return "NOT issued to the person you named"
    return check.message


def report_view(report: VerificationReport, *, trust: Verdict | None = None, upload: bytes | None = None) -> ReportView:
    summary: Mapping[str, Any] = report.summary or {}
    issuer = _mapping(summary.get("issuer"))
    achievement = _mapping(summary.get("achievement"))
    recipient = _mapping(summary.get("recipient"))
    checks = [
        CheckView(
            id=c.id,
            title=CHECK_TITLES.get(c.id, c.id),
            status=c.status.value,
            status_word=STATUS_WORDS[c.status],
            message=c.message,
            pointer=c.pointer,
        )
        for c in report.checks
    ]
    levels = []
    for result in summary.get("results") or []:
        if isinstance(result, Mapping) and result.get("level"):
            criterion = _text(result.get("criterion"))
            levels.append(f"{criterion}: {_text(result.get('level'))}" if criterion else _text(result.get("level")))
    evidence = [e for e in summary.get("evidence") or [] if isinstance(e, str) and e.startswith("https://")]
    hours = summary.get("creditsEarned")
    baked = ""
    if report.image is not None:
        baked = f"Read from a baked {str(report.image.get('container', '')).upper()} image."
    return ReportView(
        verified=report.verified,
        format=report.format,
        name=_text(summary.get("name")) or _text(achievement.get("name")) or "Unnamed credential",
        description=_text(achievement.get("description")),
        issuer_name=_text(issuer.get("name")),
        issuer_id=_text(issuer.get("id")),
        trust=trust,
        trust_word=TRUST_WORDS.get(trust or "", ""),
        recipient_name=_text(recipient.get("name")),
        recipient_check=_recipient_check(report),
        issued=human_date(summary.get("awardedDate") or summary.get("validFrom")),
        expires=human_date(summary.get("validUntil")) or "Does not expire",
        status=_status(report),
        levels=levels,
        evidence=evidence,
        hours="" if not isinstance(hours, int | float) or isinstance(hours, bool) else f"{hours:g}",
        checks=checks,
        failed=[c for c in checks if c.status == "fail"],
        image=badge_image(report, upload),
        baked=baked,
    )
