"""The micro-credential workflow: ``badge apply``, ``review``, ``award``, ``stack award``, ``workshop``, ``progress``.

Each command makes one call to :class:`openbadge_ctq.workflow_store.WorkflowStore` (applications, decisions and
credentials live in the badge home) and renders the result. See ``docs/workflow.md``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from openbadge_ctq.errors import InputError
from openbadge_ctq.issue import Issued
from openbadge_ctq.jsonld import ContextLoader
from openbadge_ctq.workflow import CLR_CONTEXT, Workshop
from openbadge_ctq.workflow_store import WorkflowStore

from ..common import catalog_for, now_or, signing_key
from ..context import app
from ..render import emit_json, json_option
from .registry import actor_name, actor_option, db_option, open_registry

__all__ = ["WORKFLOW_COMMANDS", "apply", "award", "progress", "review", "stack", "workshop"]


def _store(ctx: click.Context) -> WorkflowStore:
    return WorkflowStore(app(ctx).home)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date such as 2026-03-01", param_hint=option) from None


def _levels(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        criterion, sep, level = value.partition("=")
        if not sep or not criterion.strip() or not level.strip():
            raise click.BadParameter(f"{value!r}: expected CRITERION=LEVEL", param_hint="--level")
        out[criterion.strip()] = level.strip()
    return out


def context_loader(specs: tuple[str, ...]) -> ContextLoader:
    """A loader serving the bundled contexts plus the caller's trusted copies (``--context-file URL=PATH``)."""
    extra: dict[str, Any] = {}
    for spec in specs:
        url, sep, path = spec.partition("=")
        if not sep or not url.startswith("https://") or not path:
            raise click.BadParameter(f"{spec!r}: expected URL=PATH", param_hint="--context-file")
        try:
            extra[url] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"{path}: not a readable JSON file ({exc})", param_hint="--context-file") from None
    return ContextLoader(extra)


def _write(issued: Issued, out: Path | None) -> None:
    if out is None:
        click.echo(issued.document, nl=False)
    else:
        out.write_text(issued.document, encoding="utf-8")


def _issued_json(issued: Issued, out: Path | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": issued.id, "format": issued.format, "out": str(out) if out else None}
    if out is None:
        data["credential"] = issued.credential
    return data


@click.command("apply")
@click.option("--teacher", required=True, help="The applicant's email.")
@click.option("--name", "teacher_name", help="The applicant's name (shown on the credential).")
@click.option("--achievement", "micro_credential", help="Micro-credential id (not needed with --resubmit).")
@click.option("--answer", "answers", multiple=True, help="One overview answer, in question order (repeat).")
@click.option("--artifact-url", help="Link to the published piece (evidence kind 'link').")
@click.option(
    "--artifact-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The piece as a PDF, or an image (PNG/JPEG) of a written conversation.",
)
@click.option("--artifact-title", help="Title of the piece.")
@click.option("--published", required=True, help="Date the piece was published (YYYY-MM-DD).")
@click.option("--video-url", help="Reflection: link to the public video.")
@click.option("--video-seconds", type=int, help="Reflection: the video's length in seconds.")
@click.option(
    "--reflection-pdf", type=click.Path(dir_okay=False, path_type=Path), help="Reflection: a written response (PDF)."
)
@click.option("--public-overview", is_flag=True, help="Publish the overview answers in the credential's evidence.")
@click.option("--resubmit", "resubmits", help="The id of an application judged 'not yet' that this one replaces.")
@click.option("--now", help="Submission time (ISO 8601); default: now.")
@json_option
@click.pass_context
def apply(
    ctx: click.Context,
    teacher: str,
    teacher_name: str | None,
    micro_credential: str | None,
    answers: tuple[str, ...],
    artifact_url: str | None,
    artifact_file: Path | None,
    artifact_title: str | None,
    published: str,
    video_url: str | None,
    video_seconds: int | None,
    reflection_pdf: Path | None,
    public_overview: bool,
    resubmits: str | None,
    now: str | None,
    as_json: bool,
) -> None:
    """Submit an application; exits 1 and lists what to fix when it breaks a requirement."""
    store = _store(ctx)
    if micro_credential is None:
        if resubmits is None:
            raise click.UsageError("give --achievement (or --resubmit APPLICATION)")
        micro_credential = store.application(resubmits).micro_credential
    kind = "link"
    if artifact_file is not None:
        kind = "pdf" if artifact_file.suffix.lower() == ".pdf" else "image"
    submission = store.apply(
        catalog_for(app(ctx)),
        teacher=teacher,
        teacher_name=teacher_name,
        micro_credential=micro_credential,
        answers=list(answers),
        artifact_kind=kind,
        artifact_published=_date(published, "--published"),
        artifact_url=artifact_url,
        artifact_file=artifact_file,
        artifact_title=artifact_title,
        reflection_url=video_url,
        reflection_seconds=video_seconds,
        reflection_file=reflection_pdf,
        public_overview=public_overview,
        resubmits=resubmits,
        now=now_or(now),
    )
    if as_json:
        emit_json(submission.to_json())
    elif submission.accepted:
        click.echo(f"Submitted {submission.application.id} ({micro_credential})")
    else:
        click.echo("Not submitted; fix these and apply again:", err=True)
        for problem in submission.problems:
            click.echo(f"  {problem.field}: {problem.message}", err=True)
    ctx.exit(0 if submission.accepted else 1)


@click.command("review")
@click.argument("application_id")
@click.option("--reviewer", required=True, help="The reviewer's email (not the applicant).")
@click.option("--level", "levels", multiple=True, required=True, help="CRITERION=LEVEL for every rubric criterion.")
@click.option("--comments", default="", help="Comments for the teacher.")
@click.option("--now", help="Review time (ISO 8601); default: now.")
@json_option
@click.pass_context
def review(
    ctx: click.Context,
    application_id: str,
    reviewer: str,
    levels: tuple[str, ...],
    comments: str,
    now: str | None,
    as_json: bool,
) -> None:
    """Score an application on its rubric: approved, or "not yet" with feedback."""
    decision = _store(ctx).review(
        catalog_for(app(ctx)),
        application_id,
        reviewer=reviewer,
        levels=_levels(levels),
        comments=comments,
        now=now_or(now),
    )
    if as_json:
        emit_json(decision.to_mapping())
        return
    click.echo(f"{application_id}: {decision.outcome.value}")
    for line in decision.feedback:
        click.echo(f"  {line}")


@click.command("award")
@click.argument("application_id")
@click.option("--public-overview/--private-overview", default=None, help="Override the teacher's choice.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the credential here.")
@click.option("--now", help="Issuance time (ISO 8601); default: now.")
@db_option
@actor_option
@json_option
@click.pass_context
def award(
    ctx: click.Context,
    application_id: str,
    public_overview: bool | None,
    out: Path | None,
    now: str | None,
    db_url: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Issue the micro-credential of an approved application."""
    store, catalog = _store(ctx), catalog_for(app(ctx))
    issuer = catalog.achievement(store.application(application_id).micro_credential).issuer
    with open_registry(app(ctx), db_url) as registry:
        issued = store.award(
            catalog,
            application_id,
            signing_key(app(ctx), issuer),
            now=now_or(now),
            public_overview=public_overview,
            issue=registry.issue_function(actor_name(actor)),
        )
    if as_json:
        emit_json(_issued_json(issued, out))
        if out:
            _write(issued, out)
        return
    _write(issued, out)


@click.group("stack")
def stack() -> None:
    """Stacks: award a completed stack (and a CLR 2.0 learner record)."""


@stack.command("award")
@click.argument("stack_id")
@click.option("--recipient", required=True, help="The teacher's email.")
@click.option("--name", help="The teacher's name.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the stack credential here.")
@click.option(
    "--clr-out", type=click.Path(dir_okay=False, path_type=Path), help="Also issue a CLR 2.0 bundle, written here."
)
@click.option(
    "--context-file",
    "context_files",
    multiple=True,
    help=f"URL=PATH: a trusted copy of a JSON-LD context; the CLR needs {CLR_CONTEXT}.",
)
@click.option("--now", help="Issuance time (ISO 8601); default: now.")
@json_option
@click.pass_context
def stack_award(
    ctx: click.Context,
    stack_id: str,
    recipient: str,
    name: str | None,
    out: Path | None,
    clr_out: Path | None,
    context_files: tuple[str, ...],
    now: str | None,
    as_json: bool,
) -> None:
    """Issue the stack credential from the micro-credentials the teacher earned."""
    catalog = catalog_for(app(ctx))
    if clr_out is not None and not any(spec.startswith(CLR_CONTEXT + "=") for spec in context_files):
        raise InputError(
            f"--clr-out needs a trusted copy of the CLR 2.0 context {CLR_CONTEXT}",
            hint=f"--context-file {CLR_CONTEXT}=PATH",
        )
    issuer = catalog.achievement(stack_id).issuer
    stack_credential, clr = _store(ctx).award_stack(
        catalog,
        stack_id,
        recipient,
        signing_key(app(ctx), issuer),
        now=now_or(now),
        name=name,
        clr_loader=context_loader(context_files) if clr_out is not None else None,
    )
    if clr is not None and clr_out is not None:
        _write(clr, clr_out)
    if as_json:
        if out:
            _write(stack_credential, out)
        emit_json({"stack": _issued_json(stack_credential, out), "clr": _issued_json(clr, clr_out) if clr else None})
        return
    _write(stack_credential, out)


@click.group("workshop")
def workshop() -> None:
    """Certificates of completion: record workshops, then certify the hours."""


@workshop.command("record")
@click.option("--recipient", required=True, help="The participant's email.")
@click.option("--workshop", "name", required=True, help="The workshop's name.")
@click.option("--completed", required=True, help="Date the workshop was completed (YYYY-MM-DD).")
@json_option
@click.pass_context
def workshop_record(ctx: click.Context, recipient: str, name: str, completed: str, as_json: bool) -> None:
    """Record one completed workshop."""
    recorded = _store(ctx).record_workshop(recipient, Workshop(name=name, completed=_date(completed, "--completed")))
    if as_json:
        emit_json({"recipient": recipient, "workshops": [w.to_mapping() for w in recorded]})
        return
    click.echo(f"{len(recorded)} workshop(s) recorded for {recipient}")


@workshop.command("certify")
@click.option("--recipient", required=True, help="The participant's email.")
@click.option("--name", help="The participant's name (shown on the certificate).")
@click.option(
    "--certificate",
    "certificate_id",
    default="teachingpartners-certificate-of-completion",
    show_default=True,
    help="Certificate id from the catalog.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the credential here.")
@click.option("--now", help="Issuance time (ISO 8601); default: now.")
@db_option
@actor_option
@json_option
@click.pass_context
def workshop_certify(
    ctx: click.Context,
    recipient: str,
    name: str | None,
    certificate_id: str,
    out: Path | None,
    now: str | None,
    db_url: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Issue the certificate: hours per workshop from the catalog, workshops listed in the narrative."""
    catalog = catalog_for(app(ctx))
    issuer = catalog.achievement(certificate_id).issuer
    with open_registry(app(ctx), db_url) as registry:
        issued = _store(ctx).certify(
            catalog,
            certificate_id,
            recipient,
            signing_key(app(ctx), issuer),
            now=now_or(now),
            name=name,
            issue=registry.issue_function(actor_name(actor)),
        )
    if as_json:
        if out:
            _write(issued, out)
        emit_json(_issued_json(issued, out))
        return
    _write(issued, out)


@click.command("progress")
@click.option("--recipient", required=True, help="The teacher's email.")
@json_option
@click.pass_context
def progress(ctx: click.Context, recipient: str, as_json: bool) -> None:
    """Per stack: the micro-credentials a teacher has earned and those that remain."""
    report = _store(ctx).progress(catalog_for(app(ctx)), recipient)
    if as_json:
        emit_json(report.to_mapping())
        return
    for status in report.stacks:
        mark = "complete" if status.complete else f"{status.needed} more needed"
        click.echo(f"{status.stack} ({status.rule}): {len(status.earned)} earned, {mark}")
        for member in status.remaining:
            click.echo(f"  remaining: {member}")


WORKFLOW_COMMANDS: list[click.Command] = [apply, review, award, stack, workshop, progress]
"""Add these to ``ALL_COMMANDS`` in ``cli/commands/__init__.py``."""
