"""Use case: a teacher's application → rubric review → award; stacks, CLR 2.0 bundles and certificates.

Pure: every time, id and file is a parameter. Files are referred to by their SHA-256 and read through a
``read_file(sha256) -> bytes`` callable the caller passes (:class:`openbadge_ctq.workflow_store.WorkflowStore`
serves them from ``<home>/files/``), so this module never touches the disk.

The flow, with the CTQ catalog (``docs/workflow.md``):

1. :class:`Application` (overview answers, one evidence :class:`Artifact`, a :class:`Reflection`) →
   :func:`validate_application` lists every :class:`Problem` a teacher must fix before submitting.
2. :class:`Review` (a reviewer's level per rubric criterion) → :func:`decide` → :class:`Decision`: *approved*
   when every criterion reaches its required level (Proficient or Exemplary for CTQ), else *not yet* with
   feedback; the teacher may then :func:`resubmit`.
3. :func:`award` issues the micro-credential (levels as ``result``, the artifact as ``evidence``).
4. :func:`stack_status` / :func:`progress`; :func:`issue_stack_credential` for a completed stack;
   :func:`issue_clr` bundles the credentials in a CLR 2.0 ``ClrCredential``; :func:`verify_clr` verifies it and
   every credential it bundles.
5. :class:`Workshop` records and :func:`issue_certificate` (hours from the catalog, workshops as Markdown bullets).

Word counting (overview answers and PDF reflections) counts the way a person would: a word is a
whitespace-separated token that contains at least one letter or digit, so "well-known" is one word, "2026" is
one word, and a lone dash or bullet is none (:func:`count_words`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .errors import InputError, KeyMaterialError
from .identity import Recipient, identity_hash, new_salt
from .interfaces import JSONObject
from .issue import Issued, SigningKey, issue_credential, issuer_identity, new_credential_id
from .jsonld import DEFAULT_LOADER, ContextLoader
from .keys import key_type_of
from .model import Catalog, Certificate, MicroCredential, Stack
from .ob3 import (
    CONTEXT_OB3,
    CONTEXT_OB3_EXTENSIONS,
    CONTEXT_VC2,
    Evidence,
    achievement_id,
    build_achievement,
    build_credential,
    build_profile,
)
from .proofs import data_integrity
from .timefmt import format_datetime
from .verify import VerificationReport, verify

logger = logging.getLogger(__name__)


IssueFunction = Callable[..., Issued]
"""How the workflow issues a credential: ``issue_credential``'s signature (the registry provides one that records)."""

__all__ = [
    "CLR_CONTEXT",
    "CLR_SCHEMA_URL",
    "MAX_FILE_BYTES",
    "Application",
    "Artifact",
    "ClrVerification",
    "Decision",
    "FileRef",
    "Outcome",
    "Problem",
    "Progress",
    "Reflection",
    "Review",
    "StackStatus",
    "Workshop",
    "award",
    "count_words",
    "decide",
    "detect_media_type",
    "earned_ids",
    "issue_certificate",
    "issue_clr",
    "issue_stack_credential",
    "overview_markdown",
    "pdf_text",
    "progress",
    "resubmit",
    "stack_status",
    "validate_application",
    "verify_clr",
]

CLR_CONTEXT: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
"""The CLR 2.0 JSON-LD context. Not bundled: pass a trusted copy through ``ContextLoader(extra=...)``."""
CLR_SCHEMA_URL: Final = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
MAX_FILE_BYTES: Final = 10 * 1024 * 1024
"""Largest evidence or reflection file accepted (10 MiB)."""
MAX_PDF_PAGES: Final = 200

PDF_MAGIC: Final = b"%PDF-"
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC: Final = b"\xff\xd8\xff"
MEDIA_PDF: Final = "application/pdf"
MEDIA_PNG: Final = "image/png"
MEDIA_JPEG: Final = "image/jpeg"

FileReader = Callable[[str], bytes]
_WORD_CHAR = re.compile(r"[^\W_]", re.UNICODE)  # a letter or a digit, in any script


# ----------------------------------------------------------------------------------------------------
# Words, files


def count_words(text: str) -> int:
    """Count words as a person would: whitespace-separated tokens containing at least one letter or digit.

    Hyphenated words ("well-known") count once; punctuation standing alone ("—", "-", "•") does not count.

    >>> count_words("A well-known op-ed — 2 pages.")
    5
    """
    return sum(1 for token in text.split() if _WORD_CHAR.search(token))


def detect_media_type(data: bytes) -> str | None:
    """The media type the content really is (PDF, PNG or JPEG, from its first bytes), or None."""
    if data.startswith(PDF_MAGIC):
        return MEDIA_PDF
    if data.startswith(PNG_MAGIC):
        return MEDIA_PNG
    if data.startswith(JPEG_MAGIC):
        return MEDIA_JPEG
    return None


def pdf_text(data: bytes, *, max_pages: int = MAX_PDF_PAGES) -> str:
    """The text of a PDF, page by page (pypdf). Raises InputError when it cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > max_pages:
            raise InputError(f"the PDF has {len(reader.pages)} pages; at most {max_pages} are read")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise InputError(f"the PDF cannot be read ({type(exc).__name__})") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRef:
    """An uploaded file, stored content-addressed: its SHA-256 (hex), the name it was uploaded as, its size."""

    sha256: str
    name: str
    size: int

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise InputError(f"file {self.name!r}: expected a SHA-256 in lower-case hex, found {self.sha256!r}")

    @classmethod
    def of(cls, data: bytes, name: str) -> FileRef:
        return cls(sha256=hashlib.sha256(data).hexdigest(), name=name, size=len(data))

    def to_mapping(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "name": self.name, "size": self.size}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FileRef:
        return cls(sha256=str(data["sha256"]), name=str(data["name"]), size=int(data["size"]))


# ----------------------------------------------------------------------------------------------------
# The application


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    """The evidence: a link to an online document, or an image or PDF file, with the date it was published."""

    kind: str  # "link" | "image" | "pdf"
    published: date
    url: str | None = None
    file: FileRef | None = None
    title: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "published": self.published.isoformat()}
        if self.url is not None:
            out["url"] = self.url
        if self.file is not None:
            out["file"] = self.file.to_mapping()
        if self.title is not None:
            out["title"] = self.title
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Artifact:
        return cls(
            kind=str(data["kind"]),
            published=date.fromisoformat(str(data["published"])),
            url=data.get("url"),
            file=FileRef.from_mapping(data["file"]) if data.get("file") else None,
            title=data.get("title"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Reflection:
    """The reflection: a public video (URL and length in seconds) or a written response as a PDF."""

    kind: str  # "video" | "pdf"
    url: str | None = None
    duration_seconds: int | None = None
    file: FileRef | None = None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.url is not None:
            out["url"] = self.url
        if self.duration_seconds is not None:
            out["durationSeconds"] = self.duration_seconds
        if self.file is not None:
            out["file"] = self.file.to_mapping()
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Reflection:
        return cls(
            kind=str(data["kind"]),
            url=data.get("url"),
            duration_seconds=data.get("durationSeconds"),
            file=FileRef.from_mapping(data["file"]) if data.get("file") else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    """A teacher's application for one micro-credential.

    ``public_overview``: the teacher's choice to publish the overview answers in the credential (as the
    evidence narrative); off by default. ``previous`` is the application this one resubmits after "not yet".
    """

    id: str
    teacher: str
    micro_credential: str
    answers: tuple[str, ...]
    artifact: Artifact
    reflection: Reflection
    submitted: datetime
    teacher_name: str | None = None
    public_overview: bool = False
    attempt: int = 1
    previous: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "teacher": self.teacher,
            "microCredential": self.micro_credential,
            "answers": list(self.answers),
            "artifact": self.artifact.to_mapping(),
            "reflection": self.reflection.to_mapping(),
            "submitted": format_datetime(self.submitted),
            "publicOverview": self.public_overview,
            "attempt": self.attempt,
        }
        if self.teacher_name is not None:
            out["teacherName"] = self.teacher_name
        if self.previous is not None:
            out["previous"] = self.previous
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Application:
        from .timefmt import parse_datetime

        return cls(
            id=str(data["id"]),
            teacher=str(data["teacher"]),
            micro_credential=str(data["microCredential"]),
            answers=tuple(str(a) for a in data["answers"]),
            artifact=Artifact.from_mapping(data["artifact"]),
            reflection=Reflection.from_mapping(data["reflection"]),
            submitted=parse_datetime(data["submitted"], what="submitted"),
            teacher_name=data.get("teacherName"),
            public_overview=bool(data.get("publicOverview", False)),
            attempt=int(data.get("attempt", 1)),
            previous=data.get("previous"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing the teacher must fix: the field (``overview``, ``artifact.published``...), a stable code, a message."""

    field: str
    code: str
    message: str

    def to_mapping(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def _months_before(moment: date, months: int) -> date:
    year, month = divmod(moment.year * 12 + (moment.month - 1) - months, 12)
    month += 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return date(year, month, min(moment.day, days))


def _is_web_url(url: str | None) -> bool:
    return bool(url) and re.match(r"^https?://[^\s/]+\.[^\s]*$", url or "") is not None


def _check_file(
    where: str, ref: FileRef | None, allowed: Mapping[str, str], read_file: FileReader | None, max_bytes: int
) -> bytes | None:
    """Read and type-check one file; the problems are raised as a list through _FileProblems."""
    if ref is None:
        raise _FileProblems([Problem(field=f"{where}.file", code="file.missing", message="attach the file")])
    if ref.size > max_bytes:
        raise _FileProblems(
            [
                Problem(
                    field=f"{where}.file",
                    code="file.too_large",
                    message=f"{ref.name} is {ref.size:,} bytes; files may be at most {max_bytes:,} bytes "
                    f"(about {max_bytes // 1_000_000} MB): compress it or export fewer pages",
                )
            ]
        )
    if read_file is None:
        raise InputError("validate_application needs read_file to check uploaded files")
    data = read_file(ref.sha256)
    if hashlib.sha256(data).hexdigest() != ref.sha256 or len(data) > max_bytes:
        raise _FileProblems(
            [
                Problem(
                    field=f"{where}.file",
                    code="file.damaged",
                    message=f"{ref.name} changed after upload; upload it again",
                )
            ]
        )
    found = detect_media_type(data)
    if found not in allowed:
        expected = " or ".join(sorted(set(allowed.values())))
        what = {MEDIA_PDF: "a PDF", MEDIA_PNG: "a PNG image", MEDIA_JPEG: "a JPEG image"}.get(found or "", "")
        found_text = f"it is {what}" if what else "its content is not a PDF, PNG or JPEG file, whatever its name says"
        raise _FileProblems(
            [
                Problem(
                    field=f"{where}.file",
                    code="file.type",
                    message=f"{ref.name} must be {expected}, but {found_text}; export or save it as {expected} "
                    "and upload it again",
                )
            ]
        )
    return data


class _FileProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("file problems")
        self.problems = problems


def validate_application(
    app: Application,
    catalog: Catalog,
    *,
    now: datetime | None = None,
    read_file: FileReader | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> list[Problem]:
    """Every problem a teacher must fix before ``app`` can be submitted (an empty list: it can).

    Args:
        now: the submission time the artifact's age is judged at (default: ``app.submitted``).
        read_file: returns a stored file's bytes by SHA-256; needed when the application has files.
    """
    moment = now or app.submitted
    entry = catalog.achievement(app.micro_credential)
    if not isinstance(entry, MicroCredential):
        return [
            Problem(
                field="microCredential",
                code="micro_credential.kind",
                message=f"{entry.id!r} is a {entry.kind}, not a micro-credential: apply for a micro-credential",
            )
        ]
    req = entry.requirements
    problems: list[Problem] = []
    if entry.status != "active":
        problems.append(
            Problem(
                field="microCredential",
                code="micro_credential.inactive",
                message=f"{entry.name} is {entry.status} and does not accept applications yet",
            )
        )
    # 1. overview
    questions = req.overview.questions
    if len(app.answers) != len(questions):
        problems.append(
            Problem(
                field="overview",
                code="overview.answers",
                message=f"answer each of the {len(questions)} overview questions (found {len(app.answers)} answers)",
            )
        )
    for index, answer in enumerate(app.answers):
        if not answer.strip():
            problems.append(
                Problem(
                    field=f"overview.{index}",
                    code="overview.empty",
                    message=f"answer: {questions[index]}" if index < len(questions) else "this answer is empty",
                )
            )
    words = sum(count_words(answer) for answer in app.answers)
    limit = req.overview.max_words_total
    if words > limit:
        problems.append(
            Problem(
                field="overview",
                code="overview.too_long",
                message=f"your overview answers have {words} words together; the limit is {limit} words for all "
                f"answers, so cut {words - limit} words",
            )
        )
    # 2. evidence
    art = app.artifact
    if art.kind not in req.evidence.kinds:
        problems.append(
            Problem(
                field="artifact.kind",
                code="artifact.kind",
                message=f"submit the artifact as one of: {', '.join(req.evidence.kinds)} (found {art.kind!r})",
            )
        )
    elif art.kind == "link":
        if not _is_web_url(art.url):
            problems.append(
                Problem(
                    field="artifact.url",
                    code="artifact.url",
                    message=f"give the https:// address of the published piece (found {art.url!r})",
                )
            )
    else:
        allowed = {MEDIA_PDF: "a PDF"} if art.kind == "pdf" else {MEDIA_PNG: "a PNG", MEDIA_JPEG: "a JPEG"}
        try:
            _check_file("artifact", art.file, allowed, read_file, max_file_bytes)
        except _FileProblems as exc:
            problems.extend(exc.problems)
    oldest = _months_before(moment.astimezone(UTC).date(), req.evidence.max_age_months)
    if art.published < oldest:
        problems.append(
            Problem(
                field="artifact.published",
                code="artifact.too_old",
                message=f"the artifact was published on {art.published.isoformat()}; it must have been published "
                f"in the last {req.evidence.max_age_months} months (on or after {oldest.isoformat()}): choose a "
                "more recent piece",
            )
        )
    elif art.published > moment.astimezone(UTC).date():
        problems.append(
            Problem(
                field="artifact.published",
                code="artifact.future",
                message=f"the publication date {art.published.isoformat()} is in the future: give the date it was "
                "published",
            )
        )
    # 3. reflection
    ref = app.reflection
    rreq = req.reflection
    if ref.kind == "video":
        if not _is_web_url(ref.url):
            problems.append(
                Problem(
                    field="reflection.url",
                    code="reflection.url",
                    message=f"give the https:// address of the publicly viewable video (found {ref.url!r})",
                )
            )
        if ref.duration_seconds is None or ref.duration_seconds <= 0:
            problems.append(
                Problem(
                    field="reflection.durationSeconds",
                    code="reflection.duration",
                    message="give the video's length in seconds",
                )
            )
        elif ref.duration_seconds > rreq.video_max_seconds:
            problems.append(
                Problem(
                    field="reflection.durationSeconds",
                    code="reflection.video_too_long",
                    message=f"the video is {_mmss(ref.duration_seconds)} long; it may be at most "
                    f"{_mmss(rreq.video_max_seconds)}: shorten it by "
                    f"{_mmss(ref.duration_seconds - rreq.video_max_seconds)}",
                )
            )
    elif ref.kind == "pdf":
        try:
            data = _check_file("reflection", ref.file, {MEDIA_PDF: "a PDF"}, read_file, max_file_bytes)
        except _FileProblems as exc:
            problems.extend(exc.problems)
        else:
            assert data is not None
            try:
                pdf_words = count_words(pdf_text(data))
            except InputError as exc:
                problems.append(
                    Problem(
                        field="reflection.file",
                        code="reflection.unreadable",
                        message=f"{exc.message}: export it again as a PDF with selectable text",
                    )
                )
            else:
                if pdf_words == 0:
                    problems.append(
                        Problem(
                            field="reflection.file",
                            code="reflection.no_text",
                            message="the PDF has no text "
                            "we can read (a scan?): export your written response as a PDF with selectable text",
                        )
                    )
                elif pdf_words > rreq.pdf_max_words:
                    problems.append(
                        Problem(
                            field="reflection.file",
                            code="reflection.pdf_too_long",
                            message=f"the written reflection has {pdf_words} words; the limit is {rreq.pdf_max_words},"
                            f" so cut {pdf_words - rreq.pdf_max_words} words",
                        )
                    )
    else:
        problems.append(
            Problem(
                field="reflection.kind",
                code="reflection.kind",
                message=f"submit the reflection as a video link or a PDF (found {ref.kind!r})",
            )
        )
    return problems


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def resubmit(
    previous: Application,
    decision: Decision,
    *,
    application_id: str,
    submitted: datetime,
    answers: Sequence[str] | None = None,
    artifact: Artifact | None = None,
    reflection: Reflection | None = None,
    public_overview: bool | None = None,
) -> Application:
    """A new attempt after a "not yet" decision; unchanged parts are carried over, the old one is kept."""
    if decision.application_id != previous.id:
        raise InputError(f"decision is for application {decision.application_id!r}, not {previous.id!r}")
    if decision.outcome is not Outcome.NOT_YET:
        raise InputError(
            f"application {previous.id!r} was {decision.outcome.value}; only a 'not yet' can be resubmitted"
        )
    return Application(
        id=application_id,
        teacher=previous.teacher,
        teacher_name=previous.teacher_name,
        micro_credential=previous.micro_credential,
        answers=tuple(answers) if answers is not None else previous.answers,
        artifact=artifact or previous.artifact,
        reflection=reflection or previous.reflection,
        submitted=submitted,
        public_overview=previous.public_overview if public_overview is None else public_overview,
        attempt=previous.attempt + 1,
        previous=previous.id,
    )


# ----------------------------------------------------------------------------------------------------
# Review and decision


class Outcome(StrEnum):
    APPROVED = "approved"
    NOT_YET = "not-yet"


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """A reviewer's scoring of one application: a level (id or name) for each rubric criterion, and comments."""

    reviewer: str
    application_id: str
    levels: Mapping[str, str]
    comments: str = ""
    reviewed: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The outcome of a review. ``feedback`` says, per criterion below its required level, what is missing."""

    application_id: str
    reviewer: str
    outcome: Outcome
    levels: Mapping[str, str]
    feedback: tuple[str, ...]
    comments: str
    decided: datetime

    def to_mapping(self) -> dict[str, Any]:
        return {
            "applicationId": self.application_id,
            "reviewer": self.reviewer,
            "outcome": self.outcome.value,
            "levels": dict(self.levels),
            "feedback": list(self.feedback),
            "comments": self.comments,
            "decided": format_datetime(self.decided),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Decision:
        from .timefmt import parse_datetime

        return cls(
            application_id=str(data["applicationId"]),
            reviewer=str(data["reviewer"]),
            outcome=Outcome(data["outcome"]),
            levels=dict(data["levels"]),
            feedback=tuple(data.get("feedback", ())),
            comments=str(data.get("comments", "")),
            decided=parse_datetime(data["decided"], what="decided"),
        )


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def decide(review: Review, catalog: Catalog, *, application: Application) -> Decision:
    """Apply the catalog's rule: approved when every criterion reaches its required level, else "not yet".

    Raises:
        InputError: the reviewer is the applicant, the review is for another application, or a criterion is
            unscored or scored with an unknown level.
    """
    if review.application_id != application.id:
        raise InputError(f"the review is for application {review.application_id!r}, not {application.id!r}")
    if _same_person(review.reviewer, application.teacher):
        raise InputError(
            f"{review.reviewer} submitted application {application.id} and cannot review it",
            hint="ask another reviewer to score it",
        )
    entry = catalog.achievement(application.micro_credential)
    if not isinstance(entry, MicroCredential):
        raise InputError(f"{entry.id!r} is not a micro-credential and has no rubric")
    criteria = {c.id: c for c in entry.rubric.criteria}
    unknown = sorted(set(review.levels) - set(criteria))
    if unknown:
        raise InputError(
            f"rubric criterion {unknown[0]!r} is not in {entry.id!r}", hint=f"criteria: {', '.join(criteria)}"
        )
    missing = [cid for cid in criteria if cid not in review.levels]
    if missing:
        raise InputError(
            f"score every rubric criterion of {entry.id!r}: {', '.join(missing)} has no level",
            hint=f"criteria: {', '.join(criteria)}",
        )
    levels: dict[str, str] = {}
    feedback: list[str] = []
    for cid, criterion in criteria.items():
        level = criterion.level(review.levels[cid])
        levels[cid] = level.id
        if not criterion.meets_required(level.id):
            feedback.append(
                f"{criterion.name}: scored {level.name}; needs {criterion.required.name} or higher. "
                f"{criterion.required.description}"
            )
    outcome = Outcome.NOT_YET if feedback else Outcome.APPROVED
    return Decision(
        application_id=application.id,
        reviewer=review.reviewer,
        outcome=outcome,
        levels=levels,
        feedback=tuple(feedback),
        comments=review.comments,
        decided=review.reviewed,
    )


# ----------------------------------------------------------------------------------------------------
# Award


def overview_markdown(app: Application, entry: MicroCredential) -> str:
    """The overview as Markdown: each question as a bold line followed by the answer."""
    parts = []
    for question, answer in zip(entry.requirements.overview.questions, app.answers, strict=False):
        parts.append(f"**{question}**\n\n{answer.strip()}")
    return "\n\n".join(parts)


def _evidence_for(app: Application, entry: MicroCredential) -> Evidence:
    art = app.artifact
    narrative = overview_markdown(app, entry) if app.public_overview else None
    name = art.title or (art.file.name if art.file else "Artifact")
    description = f"Published {art.published.isoformat()}."
    if art.file is not None:
        description += f" Submitted as a {art.kind.upper()} file (SHA-256 {art.file.sha256}), kept by the issuer."
    return Evidence(
        url=art.url if art.kind == "link" else None,
        name=name,
        narrative=narrative,
        description=description,
        genre="Writing" if entry.family == "writing-publicly-to-influence" else None,
    )


def award(
    catalog: Catalog,
    application: Application,
    decision: Decision,
    key: SigningKey,
    *,
    now: datetime,
    public_overview: bool | None = None,
    recipient: Recipient | None = None,
    credential_id: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
    issue: IssueFunction = issue_credential,
) -> Issued:
    """Issue the micro-credential of an approved application (the achieved levels as ``result``).

    ``issue`` issues the credential: :func:`~openbadge_ctq.issue.issue_credential` by default; pass
    ``Registry.issue_function(actor)`` to record it in the registry (with its status entry), as the CLI does.

    The artifact becomes the ``evidence``; the overview answers become its narrative only when the teacher chose
    to make them public (``public_overview``, default: the application's choice).
    """
    if decision.application_id != application.id:
        raise InputError(f"the decision is for application {decision.application_id!r}, not {application.id!r}")
    if decision.outcome is not Outcome.APPROVED:
        raise InputError(
            f"application {application.id} was judged {decision.outcome.value}; only approved applications are awarded",
            hint="the teacher may resubmit: badge apply --resubmit " + application.id,
        )
    entry = catalog.achievement(application.micro_credential)
    if not isinstance(entry, MicroCredential):
        raise InputError(f"{entry.id!r} is not a micro-credential")
    if public_overview is not None and public_overview != application.public_overview:
        application = replace(application, public_overview=public_overview)
    who = recipient or Recipient(email=application.teacher, name=application.teacher_name)
    return issue(
        catalog,
        entry.id,
        who,
        key,
        now=now,
        credential_id=credential_id,
        levels=dict(decision.levels),
        evidence=[_evidence_for(application, entry)],
        loader=loader,
    )


# ----------------------------------------------------------------------------------------------------
# Stacks and progress


@dataclass(frozen=True, slots=True, kw_only=True)
class StackStatus:
    """How far a recipient is in one stack."""

    stack: str
    name: str
    rule: str
    earned: tuple[str, ...]
    remaining: tuple[str, ...]
    needed: int
    complete: bool

    def to_mapping(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "name": self.name,
            "rule": self.rule,
            "earned": list(self.earned),
            "remaining": list(self.remaining),
            "needed": self.needed,
            "complete": self.complete,
        }


def stack_status(earned_ids: Sequence[str] | set[str] | frozenset[str], stack: Stack) -> StackStatus:
    """Which members are earned, which remain, and how many more are needed to complete ``stack``."""
    earned = set(earned_ids)
    have = tuple(m for m in stack.members if m in earned)
    remaining = tuple(m for m in stack.members if m not in earned)
    return StackStatus(
        stack=stack.id,
        name=stack.name,
        rule=stack.rule,
        earned=have,
        remaining=remaining,
        needed=max(0, stack.required - len(have)) if stack.awardable else 0,
        complete=stack.is_complete(earned),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    recipient: str
    stacks: tuple[StackStatus, ...]

    def to_mapping(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "stacks": [s.to_mapping() for s in self.stacks]}


def progress(catalog: Catalog, recipient: str, earned: Sequence[str] | set[str] | frozenset[str]) -> Progress:
    """Per awardable stack: what ``recipient`` has earned and what remains."""
    stacks = tuple(stack_status(earned, s) for s in catalog.stacks.values() if s.awardable)
    return Progress(recipient=recipient, stacks=stacks)


def _achievement_of(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if not isinstance(subject, Mapping):
        return None
    ach = subject.get("achievement")
    return str(ach["id"]) if isinstance(ach, Mapping) and isinstance(ach.get("id"), str) else None


def earned_ids(catalog: Catalog, credentials: Sequence[Mapping[str, Any]]) -> list[str]:
    """The catalog ids of the achievements these credentials were issued for (unknown ones are left out)."""
    by_achievement = {
        achievement_id(entry, catalog.organization(entry.issuer)): entry.id for entry in catalog.achievements()
    }
    out: list[str] = []
    for credential in credentials:
        found = by_achievement.get(_achievement_of(credential) or "")
        if found and found not in out:
            out.append(found)
    return out


def _ed25519(key: SigningKey, issuer: str) -> Ed25519PrivateKey:
    if not isinstance(key.private_key, Ed25519PrivateKey):
        raise KeyMaterialError(
            f"issuer {issuer!r}: eddsa-rdfc-2022 needs an Ed25519 key, not {key_type_of(key.private_key).value}",
            hint=f"badge keys generate --issuer {issuer} --type ed25519",
        )
    return key.private_key


def issue_stack_credential(
    catalog: Catalog,
    stack_id: str,
    recipient: Recipient,
    key: SigningKey,
    *,
    member_credentials: Sequence[Mapping[str, Any]],
    now: datetime,
    credential_id: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
) -> Issued:
    """Issue the stack's credential once ``member_credentials`` complete it (Data Integrity, eddsa-rdfc-2022).

    Its Achievement lists the member Achievements in ``related``. Verify the member credentials first: this
    function only reads which achievements they are for.
    """
    stack = catalog.achievement(stack_id)
    if not isinstance(stack, Stack):
        raise InputError(f"{stack_id!r} is a {stack.kind}, not a stack")
    earned = earned_ids(catalog, member_credentials)
    status = stack_status(earned, stack)
    if not status.complete:
        raise InputError(
            f"{stack.name} needs {stack.rule} of its members; {len(status.earned)} earned "
            f"({', '.join(status.earned) or 'none'}), {status.needed} more needed",
            hint=f"remaining: {', '.join(status.remaining)}",
        )
    org = catalog.organization(stack.issuer)
    if recipient.email and recipient.hashed and not recipient.salt:
        recipient = Recipient(email=recipient.email, name=recipient.name, did=recipient.did, salt=new_salt())
    identity = issuer_identity(org, key)
    cid = credential_id or new_credential_id(org)
    members = [catalog.micro_credentials[m] for m in status.earned]
    narrative = "Earned with:\n\n" + "\n".join(f"- {m.name}" for m in members)
    credential = build_credential(
        stack, catalog, recipient, identity, credential_id=cid, valid_from=now, awarded_date=now, narrative=narrative
    )
    subject = dict(credential["credentialSubject"])
    ach = dict(subject["achievement"])
    ach["related"] = [
        {
            "id": achievement_id(
                catalog.micro_credentials[m], catalog.organization(catalog.micro_credentials[m].issuer)
            ),
            "type": ["Related"],
        }
        for m in stack.members
    ]
    subject["achievement"] = ach
    credential = {**credential, "credentialSubject": subject}
    signed = data_integrity.sign(
        credential, _ed25519(key, org.id), verification_method=identity.verification_method, created=now, loader=loader
    )
    return Issued(id=cid, format="ob3-di", credential=signed, document=_pretty(signed))


def _pretty(doc: JSONObject) -> str:
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------------------------------
# CLR 2.0


def _identifiers(recipient: Recipient) -> list[JSONObject]:
    out: list[JSONObject] = []
    if recipient.email:
        if recipient.hashed:
            salt = recipient.salt or new_salt()
            out.append(
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(recipient.email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            )
        else:
            out.append(
                {
                    "type": "IdentityObject",
                    "identityHash": recipient.email,
                    "identityType": "emailAddress",
                    "hashed": False,
                }
            )
    if recipient.name:
        out.append({"type": "IdentityObject", "identityHash": recipient.name, "identityType": "name", "hashed": False})
    return out


def issue_clr(
    catalog: Catalog,
    issuer_id: str,
    recipient: Recipient,
    key: SigningKey,
    credentials: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    loader: ContextLoader,
    stack_id: str | None = None,
    name: str | None = None,
    partial: bool | None = None,
    credential_id: str | None = None,
) -> Issued:
    """A CLR 2.0 ``ClrCredential`` bundling ``credentials`` (signed OB 3.0 credentials, kept byte for byte).

    ``loader`` must serve the CLR 2.0 context (:data:`CLR_CONTEXT`), which is not bundled:
    ``ContextLoader(extra={CLR_CONTEXT: trusted_copy})``. With ``stack_id``, the member achievements get
    ``isChildOf`` and ``isPartOf`` associations to the stack's achievement.
    """
    if not credentials:
        raise InputError("a CLR bundles at least one credential")
    if not loader.knows(CLR_CONTEXT):
        raise InputError(
            f"the CLR 2.0 context {CLR_CONTEXT} is not bundled; pass a trusted copy",
            hint=f"badge ... --context-file {CLR_CONTEXT}=clr-v2p0-context-2.0.1.json",
        )
    org = catalog.organization(issuer_id)
    identity = issuer_identity(org, key)
    cid = credential_id or new_credential_id(org)
    achievements: list[JSONObject] = []
    seen: set[str] = set()
    for credential in credentials:
        subject = credential.get("credentialSubject")
        ach = subject.get("achievement") if isinstance(subject, Mapping) else None
        if not isinstance(ach, Mapping) or not isinstance(ach.get("id"), str):
            raise InputError(f"credential {credential.get('id')!r} has no credentialSubject.achievement.id")
        if ach["id"] not in seen:
            seen.add(ach["id"])
            achievements.append(dict(ach))
    associations: list[JSONObject] = []
    title = name
    if stack_id is not None:
        stack = catalog.achievement(stack_id)
        if not isinstance(stack, Stack):
            raise InputError(f"{stack_id!r} is a {stack.kind}, not a stack")
        stack_ach = achievement_id(stack, catalog.organization(stack.issuer))
        if stack_ach not in seen:
            achievements.append(build_achievement(stack, catalog, issuer=catalog.organization(stack.issuer)))
            seen.add(stack_ach)
        for member in stack.members:
            entry = catalog.micro_credentials[member]
            member_ach = achievement_id(entry, catalog.organization(entry.issuer))
            if member_ach in seen:
                for kind in ("isChildOf", "isPartOf"):
                    associations.append(
                        {"type": "Association", "associationType": kind, "sourceId": member_ach, "targetId": stack_ach}
                    )
        title = title or f"{stack.name}: learner record"
        if partial is None:
            partial = len([a for a in associations if a["associationType"] == "isChildOf"]) < len(stack.members)
    subject_out: JSONObject = {"type": ["ClrSubject"]}
    if recipient.did:
        subject_out["id"] = recipient.did
    identifiers = _identifiers(recipient)
    if identifiers:
        subject_out["identifier"] = identifiers
    subject_out["verifiableCredential"] = [dict(c) for c in credentials]
    subject_out["achievement"] = achievements
    if associations:
        subject_out["association"] = associations
    clr: JSONObject = {
        "@context": [CONTEXT_VC2, CLR_CONTEXT, CONTEXT_OB3, CONTEXT_OB3_EXTENSIONS],
        "id": cid,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": title or f"Learner record from {org.name}",
        "issuer": build_profile(org, profile_id=identity.id),
        "validFrom": format_datetime(now),
        "awardedDate": format_datetime(now),
        "credentialSubject": subject_out,
        "credentialSchema": [{"id": CLR_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if partial is not None:
        clr["partial"] = partial
    signed = data_integrity.sign(
        clr, _ed25519(key, org.id), verification_method=identity.verification_method, created=now, loader=loader
    )
    return Issued(id=cid, format="ob3-di", credential=signed, document=_pretty(signed))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClrVerification:
    """The CLR's own report and one report per bundled credential (in ``verifiableCredential`` order)."""

    report: VerificationReport
    bundled: tuple[VerificationReport, ...]

    @property
    def verified(self) -> bool:
        return self.report.verified and bool(self.bundled) and all(r.verified for r in self.bundled)

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "clr": self.report.to_json(),
            "bundled": [r.to_json() for r in self.bundled],
        }


def verify_clr(clr: Mapping[str, Any], **options: Any) -> ClrVerification:
    """Verify a ClrCredential, then each credential it bundles with the same ``options`` (see ``verify()``)."""
    report = verify(dict(clr), **options)
    subject = clr.get("credentialSubject")
    items = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    if isinstance(items, Mapping | str):
        items = [items]
    bundled = tuple(verify(item, **options) for item in items or [])
    return ClrVerification(report=report, bundled=bundled)


# ----------------------------------------------------------------------------------------------------
# Certificates of completion


@dataclass(frozen=True, slots=True, kw_only=True)
class Workshop:
    """One workshop a participant completed (e.g. a TeachingPartners Live session)."""

    name: str
    completed: date

    def to_mapping(self) -> dict[str, str]:
        return {"name": self.name, "completed": self.completed.isoformat()}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Workshop:
        return cls(name=str(data["name"]), completed=date.fromisoformat(str(data["completed"])))


def issue_certificate(
    catalog: Catalog,
    certificate_id: str,
    recipient: Recipient,
    key: SigningKey,
    workshops: Sequence[Workshop],
    *,
    now: datetime,
    credential_id: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
    issue: IssueFunction = issue_credential,
) -> Issued:
    """A certificate of completion: ``creditsEarned`` = hours (per the catalog), workshops as Markdown bullets."""
    cert = catalog.achievement(certificate_id)
    if not isinstance(cert, Certificate):
        raise InputError(f"{certificate_id!r} is a {cert.kind}, not a certificate")
    unique: list[Workshop] = []
    for w in sorted(workshops, key=lambda w: (w.completed, w.name)):
        if all(not (u.name.casefold() == w.name.casefold() and u.completed == w.completed) for u in unique):
            unique.append(w)
    if not unique:
        raise InputError(f"record at least one completed workshop before issuing {cert.name}")
    hours = cert.hours(len(unique))
    narrative = (
        f"{hours} hours of active participation ({cert.hours_per_workshop} hours for each of {len(unique)} "
        "workshops):\n\n" + "\n".join(f"- {_md(w.name)} ({w.completed.isoformat()})" for w in unique)
    )
    return issue(
        catalog,
        cert.id,
        recipient,
        key,
        now=now,
        credential_id=credential_id,
        narrative=narrative,
        credits_earned=hours,
        loader=loader,
    )


def _md(text: str) -> str:
    """Escape Markdown so a workshop name cannot inject links or HTML into the narrative."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|])", r"\\\1", " ".join(text.split()))
