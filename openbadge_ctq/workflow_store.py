"""The workflow store: applications, decisions, awarded credentials and workshops as JSON files in the badge home.

EDGE layer, like :mod:`openbadge_ctq.store`: the only workflow code that touches the disk. Layout::

    <home>/files/<sha256>                         uploaded evidence and reflection files, content-addressed
    <home>/workflow/applications/<id>.json        {"application": ..., "decisions": [...], "credential": ...}
    <home>/workflow/credentials/<sha256(id)>.json every credential the workflow issued (to find them by teacher)
    <home>/workflow/workshops/<sha256(email)>.json  completed workshops per participant

Folders are 0700, files 0600, written atomically (temporary file, fsync, ``os.replace``). The files hold teachers'
emails and work: back them up and keep them private.

Each method is one step of the workflow (``docs/workflow.md``), so each CLI command makes one call.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from .atomicfile import write_atomic
from .errors import InputError, StoreError
from .identity import Recipient, normalize_email
from .issue import Issued, SigningKey, issue_credential
from .jsonld import DEFAULT_LOADER, ContextLoader
from .model import Catalog
from .workflow import (
    MAX_FILE_BYTES,
    Application,
    Artifact,
    Decision,
    FileRef,
    IssueFunction,
    Problem,
    Progress,
    Reflection,
    Review,
    Workshop,
    award,
    decide,
    earned_ids,
    issue_certificate,
    issue_clr,
    issue_stack_credential,
    progress,
    resubmit,
    validate_application,
)

__all__ = ["Submission", "WorkflowStore"]

FORMAT: Final = "openbadge_ctq.application/1"
_MAX_JSON_BYTES: Final = 64 * 1024 * 1024


class Submission:
    """What :meth:`WorkflowStore.apply` returns: the application and its problems (saved only when none)."""

    __slots__ = ("application", "problems")

    def __init__(self, application: Application, problems: list[Problem]) -> None:
        self.application = application
        self.problems = problems

    @property
    def accepted(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "application": self.application.to_mapping(),
            "problems": [p.to_mapping() for p in self.problems],
        }


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WorkflowStore:
    """Applications, reviews and awards kept under ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.files_dir = self.home / "files"
        self.root = self.home / "workflow"

    def __repr__(self) -> str:
        return f"WorkflowStore({str(self.home)!r})"

    # --- files -------------------------------------------------------------------------------------

    def put_file(self, data: bytes, name: str, *, max_bytes: int = MAX_FILE_BYTES) -> FileRef:
        """Store an uploaded file under its SHA-256 and return its reference."""
        if len(data) > max_bytes:
            raise InputError(f"{name} is {len(data):,} bytes; files may be at most {max_bytes:,} bytes")
        ref = FileRef.of(data, Path(name).name)
        path = self.files_dir / ref.sha256
        if not path.exists():
            self._write_bytes(path, data)
        return ref

    def read_file(self, sha256: str) -> bytes:
        """The bytes of a stored file."""
        path = self.files_dir / sha256
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise InputError(f"{sha256!r} is not a SHA-256 file reference")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"file {sha256} is not in {self.files_dir}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None

    # --- applications ------------------------------------------------------------------------------

    def apply(
        self,
        catalog: Catalog,
        *,
        teacher: str,
        micro_credential: str,
        answers: Sequence[str],
        artifact_kind: str,
        artifact_published: date,
        artifact_url: str | None = None,
        artifact_file: Path | None = None,
        artifact_title: str | None = None,
        reflection_url: str | None = None,
        reflection_seconds: int | None = None,
        reflection_file: Path | None = None,
        teacher_name: str | None = None,
        public_overview: bool = False,
        resubmits: str | None = None,
        now: datetime,
    ) -> Submission:
        """Store the files, build and validate the application; save it only when it has no problems.

        ``resubmits``: the id of an application judged "not yet"; unchanged parts may be left out.
        """
        art_ref = self.put_file(self._read_upload(artifact_file), artifact_file.name) if artifact_file else None
        ref_ref = self.put_file(self._read_upload(reflection_file), reflection_file.name) if reflection_file else None
        artifact = Artifact(
            kind=artifact_kind, published=artifact_published, url=artifact_url, file=art_ref, title=artifact_title
        )
        if ref_ref is not None:
            reflection = Reflection(kind="pdf", file=ref_ref)
        else:
            reflection = Reflection(kind="video", url=reflection_url, duration_seconds=reflection_seconds)
        new_id = f"app-{uuid.uuid4()}"
        if resubmits is not None:
            previous = self.application(resubmits)
            decisions = self.decisions(resubmits)
            if not decisions:
                raise InputError(f"application {resubmits} has not been reviewed yet; wait for its decision")
            if normalize_email(previous.teacher) != normalize_email(teacher):
                raise InputError(f"application {resubmits} belongs to another teacher")
            application = resubmit(
                previous,
                decisions[-1],
                application_id=new_id,
                submitted=now,
                answers=answers or None,
                artifact=artifact,
                reflection=reflection,
                public_overview=public_overview,
            )
        else:
            application = Application(
                id=new_id,
                teacher=normalize_email(teacher),
                teacher_name=teacher_name,
                micro_credential=micro_credential,
                answers=tuple(answers),
                artifact=artifact,
                reflection=reflection,
                submitted=now,
                public_overview=public_overview,
            )
        problems = validate_application(application, catalog, now=now, read_file=self.read_file)
        if not problems:
            self._save(application.id, {"format": FORMAT, "application": application.to_mapping(), "decisions": []})
        return Submission(application, problems)

    def application(self, application_id: str) -> Application:
        return Application.from_mapping(self._load(application_id)["application"])

    def decisions(self, application_id: str) -> list[Decision]:
        return [Decision.from_mapping(d) for d in self._load(application_id).get("decisions", [])]

    def applications(self, *, teacher: str | None = None) -> list[Application]:
        """Every saved application (of one teacher), oldest first."""
        folder = self.root / "applications"
        out = []
        if folder.is_dir():
            for path in folder.glob("app-*.json"):
                app = Application.from_mapping(self._read_json(path)["application"])
                if teacher is None or app.teacher == normalize_email(teacher):
                    out.append(app)
        return sorted(out, key=lambda a: (a.submitted, a.id))

    # --- review and award --------------------------------------------------------------------------

    def review(
        self,
        catalog: Catalog,
        application_id: str,
        *,
        reviewer: str,
        levels: Mapping[str, str],
        comments: str = "",
        now: datetime,
    ) -> Decision:
        """Score an application and record the decision (the feedback is kept with the application)."""
        document = self._load(application_id)
        application = Application.from_mapping(document["application"])
        previous = [Decision.from_mapping(d) for d in document.get("decisions", [])]
        if previous:
            raise InputError(
                f"application {application_id} was already judged {previous[-1].outcome.value}",
                hint="a 'not yet' is answered by a resubmission: badge apply --resubmit " + application_id,
            )
        review = Review(
            reviewer=reviewer, application_id=application_id, levels=dict(levels), comments=comments, reviewed=now
        )
        decision = decide(review, catalog, application=application)
        self._save(application_id, {**document, "decisions": [decision.to_mapping()]})
        return decision

    def award(
        self,
        catalog: Catalog,
        application_id: str,
        key: SigningKey,
        *,
        now: datetime,
        public_overview: bool | None = None,
        loader: ContextLoader = DEFAULT_LOADER,
        issue: IssueFunction | None = None,
    ) -> Issued:
        """Issue the micro-credential of an approved application and keep the credential.

        ``issue``: how to issue (default ``issue_credential``; the CLI records through the registry).
        """
        document = self._load(application_id)
        if document.get("credential"):
            raise InputError(f"application {application_id} was already awarded ({document['credential']['id']})")
        application = Application.from_mapping(document["application"])
        decisions = [Decision.from_mapping(d) for d in document.get("decisions", [])]
        if not decisions:
            raise InputError(
                f"application {application_id} has not been reviewed yet",
                hint=f"badge review {application_id} --reviewer EMAIL --level CRITERION=LEVEL ...",
            )
        issued = award(
            catalog,
            application,
            decisions[-1],
            key,
            now=now,
            public_overview=public_overview,
            loader=loader,
            issue=issue or issue_credential,
        )
        self._save(application_id, {**document, "credential": {"id": issued.id}})
        self._keep_credential(application.teacher, issued)
        return issued

    def credentials(self, recipient: str) -> list[dict[str, Any]]:
        """Every credential the workflow issued to ``recipient`` (an email), oldest first."""
        folder = self.root / "credentials"
        wanted = normalize_email(recipient)
        out = []
        if folder.is_dir():
            for path in folder.glob("*.json"):
                record = self._read_json(path)
                if record.get("recipient") == wanted:
                    out.append(record)
        return [r["credential"] for r in sorted(out, key=lambda r: (r["issued"], r["credential"].get("id", "")))]

    def earned(self, catalog: Catalog, recipient: str) -> list[str]:
        return earned_ids(catalog, self.credentials(recipient))

    def progress(self, catalog: Catalog, recipient: str) -> Progress:
        """Per stack: what ``recipient`` has earned through the workflow and what remains."""
        return progress(catalog, normalize_email(recipient), self.earned(catalog, recipient))

    def award_stack(
        self,
        catalog: Catalog,
        stack_id: str,
        recipient: str,
        key: SigningKey,
        *,
        now: datetime,
        loader: ContextLoader = DEFAULT_LOADER,
        clr_loader: ContextLoader | None = None,
        name: str | None = None,
    ) -> tuple[Issued, Issued | None]:
        """Issue the stack credential from the recipient's earned members; with ``clr_loader``, also a CLR 2.0.

        The CLR bundles the member credentials and the stack credential. ``clr_loader`` must serve the CLR 2.0
        context (see :func:`openbadge_ctq.workflow.issue_clr`).
        """
        members = [c for c in self.credentials(recipient) if earned_ids(catalog, [c])]
        who = Recipient(email=recipient, name=name)
        stack_credential = issue_stack_credential(
            catalog, stack_id, who, key, member_credentials=members, now=now, loader=loader
        )
        self._keep_credential(who.email or recipient, stack_credential)
        clr = None
        if clr_loader is not None:
            stack = catalog.stacks[stack_id]
            bundled = [c for c in members if earned_ids(catalog, [c])[0] in stack.members]
            clr = issue_clr(
                catalog,
                stack.issuer,
                who,
                key,
                [*bundled, stack_credential.credential],
                now=now,
                loader=clr_loader,
                stack_id=stack_id,
            )
            self._keep_credential(who.email or recipient, clr)
        return stack_credential, clr

    # --- workshops ---------------------------------------------------------------------------------

    def record_workshop(self, recipient: str, workshop: Workshop) -> list[Workshop]:
        """Record one completed workshop; returns every workshop recorded for ``recipient``."""
        email = normalize_email(recipient)
        path = self.root / "workshops" / f"{_hash(email)}.json"
        current = self.workshops(email)
        if workshop not in current:
            current.append(workshop)
        self._write_json(path, {"recipient": email, "workshops": [w.to_mapping() for w in current]})
        return current

    def workshops(self, recipient: str) -> list[Workshop]:
        path = self.root / "workshops" / f"{_hash(normalize_email(recipient))}.json"
        if not path.exists():
            return []
        return [Workshop.from_mapping(w) for w in self._read_json(path)["workshops"]]

    def certify(
        self,
        catalog: Catalog,
        certificate_id: str,
        recipient: str,
        key: SigningKey,
        *,
        now: datetime,
        name: str | None = None,
        loader: ContextLoader = DEFAULT_LOADER,
        issue: IssueFunction | None = None,
    ) -> Issued:
        """Issue the certificate for every workshop recorded for ``recipient``."""
        who = Recipient(email=recipient, name=name)
        issued = issue_certificate(
            catalog,
            certificate_id,
            who,
            key,
            self.workshops(recipient),
            now=now,
            loader=loader,
            issue=issue or issue_credential,
        )
        self._keep_credential(who.email or recipient, issued)
        return issued

    # --- disk --------------------------------------------------------------------------------------

    @staticmethod
    def _read_upload(path: Path) -> bytes:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes; upload a smaller file")
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{path} is not a file") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None

    def _keep_credential(self, recipient: str, issued: Issued) -> None:
        record = {
            "recipient": normalize_email(recipient),
            "issued": issued.credential.get("validFrom", ""),
            "credential": issued.credential,
        }
        self._write_json(self.root / "credentials" / f"{_hash(issued.id)}.json", record)

    def _app_path(self, application_id: str) -> Path:
        if not application_id.startswith("app-") or not all(c.isalnum() or c == "-" for c in application_id):
            raise InputError(f"{application_id!r} is not an application id (app-…)")
        return self.root / "applications" / f"{application_id}.json"

    def _load(self, application_id: str) -> dict[str, Any]:
        path = self._app_path(application_id)
        if not path.exists():
            raise InputError(
                f"no application {application_id} in {self.root}", hint="badge apply ... submits an application"
            )
        document = self._read_json(path)
        if document.get("format") != FORMAT:
            raise StoreError(f"{path} is damaged: not a {FORMAT} document")
        return document

    def _save(self, application_id: str, document: Mapping[str, Any]) -> None:
        self._write_json(self._app_path(application_id), document)

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        try:
            raw = path.read_bytes()
            if len(raw) > _MAX_JSON_BYTES:
                raise StoreError(f"{path} is damaged: larger than {_MAX_JSON_BYTES} bytes")
            data = json.loads(raw.decode("utf-8"))
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, ValueError):
            raise StoreError(f"{path} is damaged: not UTF-8 JSON") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path} is damaged: not a JSON object")
        return data

    def _write_json(self, path: Path, document: Mapping[str, Any]) -> None:
        self._write_bytes(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def _write_bytes(self, path: Path, data: bytes) -> None:
        self._make_dirs(path.parent)
        write_atomic(path, data)

    def _make_dirs(self, directory: Path) -> None:
        chain = [directory]
        while chain[-1] != self.home and self.home in chain[-1].parents:
            chain.append(chain[-1].parent)
        for folder in reversed(chain):
            if folder.is_symlink():
                raise StoreError(f"{folder} is a symbolic link; the workflow store needs a real folder")
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
