"""``badge catalog``: browse the issuers, stacks, micro-credentials and certificates that can be awarded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.model import (
    Alignment,
    Catalog,
    Certificate,
    Image,
    MicroCredential,
    Organization,
    Rubric,
    Stack,
)
from openbadge_ctq_cli.context import app
from openbadge_ctq_cli.render import emit_json, json_option, table


def _load() -> Catalog:
    """The packaged catalog plus ``<home>/issuers`` when that folder exists."""
    home = app(click.get_current_context()).home
    extra: list[Path] = [home / "issuers"] if (home / "issuers").is_dir() else []
    return load_catalog(*extra)


@click.group("catalog")
def catalog() -> None:
    """Browse the issuers, stacks and micro-credentials you can award."""


@catalog.command("list")
@json_option
def list_catalog(as_json: bool) -> None:
    """List every stack with its micro-credentials, then the certificates."""
    cat = _load()
    if as_json:
        orgs = list(cat.organizations.values())
        emit_json(
            {
                "issuers": [org.to_mapping() for org in orgs if org.is_issuer],
                "partners": [org.to_mapping() for org in orgs if not org.is_issuer],
                "stacks": [stack.to_mapping() for stack in cat.stacks.values()],
                "microCredentials": [mc.to_mapping() for mc in cat.micro_credentials.values()],
                "certificates": [cert.to_mapping() for cert in cat.certificates.values()],
            }
        )
        return
    rows: list[tuple[str, ...]] = []
    listed: set[str] = set()
    for stack in cat.stacks.values():
        rows.append((stack.id, stack.name, stack.status, f"stack, {stack.rule}", stack.issuer))
        for mc in cat.members(stack.id):
            rows.append((f"  {mc.id}", mc.name, mc.status, "micro-credential", mc.issuer))
            listed.add(mc.id)
    for mc in cat.micro_credentials.values():
        if mc.id not in listed:
            rows.append((mc.id, mc.name, mc.status, "micro-credential (no stack)", mc.issuer))
    click.echo("Stacks and micro-credentials")
    table(rows, ("ID", "NAME", "STATUS", "KIND", "ISSUER"))
    click.echo("")
    click.echo("Certificates")
    table(
        [
            (cert.id, cert.name, cert.status, f"{cert.hours_per_workshop} h per workshop", cert.issuer)
            for cert in cat.certificates.values()
        ],
        ("ID", "NAME", "STATUS", "HOURS", "ISSUER"),
    )


@catalog.command("show")
@click.argument("entry_id", metavar="ID")
@json_option
def show(entry_id: str, as_json: bool) -> None:
    """Show one stack, micro-credential, certificate or organisation in detail."""
    cat = _load()
    entry: Organization | MicroCredential | Stack | Certificate = (
        cat.organizations[entry_id] if entry_id in cat.organizations else cat.achievement(entry_id)
    )
    if as_json:
        data: dict[str, Any] = {"kind": entry.kind, **entry.to_mapping()}
        if entry.image is not None:
            data["imageFile"] = str(cat.image_path(entry.image, entry.id))
        emit_json(data)
        return
    if isinstance(entry, Organization):
        _show_organization(entry)
    elif isinstance(entry, MicroCredential):
        _show_micro_credential(cat, entry)
    elif isinstance(entry, Stack):
        _show_stack(cat, entry)
    else:
        _show_certificate(cat, entry)


def _field(label: str, value: str | None) -> None:
    if value:
        click.echo(f"{label + ':':<14}{value}")


def _heading(title: str) -> None:
    click.echo("")
    click.echo(title)


def _org_name(cat: Catalog, org_id: str) -> str:
    org = cat.organizations.get(org_id)
    return f"{org.name} ({org_id})" if org else org_id


def _image(cat: Catalog, image: Image | None, owner: str) -> None:
    if image is not None:
        _field("Image", f"{cat.image_path(image, owner)}")
        _field("Alt text", image.caption)


def _show_organization(org: Organization) -> None:
    click.echo(org.name)
    _field("Id", org.id)
    _field("Kind", "organisation")
    _field("Roles", ", ".join(org.roles))
    _field("Web site", org.url)
    _field("Email", org.email)
    _field("Publishes at", org.base_url or "nothing (credentials use urn:uuid ids and a did:key issuer)")
    if org.description:
        _heading("Description")
        click.echo(org.description)


def _show_micro_credential(cat: Catalog, mc: MicroCredential) -> None:
    click.echo(mc.name)
    _field("Id", mc.id)
    _field("Kind", f"micro-credential ({mc.achievement_type})")
    _field("Status", mc.status)
    _field("Issuer", _org_name(cat, mc.issuer))
    _field("Creator", _org_name(cat, mc.creator) if mc.creator else None)
    _field("Endorsers", ", ".join(_org_name(cat, e) for e in mc.endorsers))
    _field("Stack", f"{cat.stacks[mc.stack].name} ({mc.stack})" if mc.stack else None)
    _field("Family", f"{mc.family} / domain {mc.domain}" if mc.family else None)
    _field("Language", mc.language)
    _field("Version", mc.version)
    _field("Tags", ", ".join(mc.tags))
    _image(cat, mc.image, mc.id)
    _heading("Description")
    click.echo(mc.description)
    _heading("Criteria")
    click.echo(mc.criteria_narrative)
    req = mc.requirements
    _heading(f"Requirements: 1. Overview questions ({req.overview.max_words_total} words in total)")
    for question in req.overview.questions:
        click.echo(f"  - {question}")
    evidence = req.evidence
    count = "one artifact" if evidence.count == 1 else f"{evidence.count} artifacts"
    _heading(
        f"Requirements: 2. Evidence ({count}: {' / '.join(evidence.kinds)}; "
        f"published within {evidence.max_age_months} months)"
    )
    click.echo(f"  {evidence.description}")
    reflection = req.reflection
    minutes = reflection.video_max_seconds / 60
    shown_minutes = f"{minutes:g} min" if reflection.video_max_seconds % 60 == 0 else f"{minutes:.1f} min"
    _heading(
        f"Requirements: 3. Reflection (video of at most {reflection.video_max_seconds} s = {shown_minutes}, "
        f"or PDF of at most {reflection.pdf_max_words} words)"
    )
    for prompt in reflection.prompts:
        click.echo(f"  - {prompt}")
    _show_rubric(mc.rubric)
    _show_alignment(mc.alignment)


def _show_rubric(rubric: Rubric) -> None:
    _heading("Rubric (levels low to high; * = required level, or any level above it)")
    for criterion in rubric.criteria:
        click.echo(f"  {criterion.name} ({criterion.id}): {criterion.description}")
        for level in criterion.levels:
            mark = "*" if level.id == criterion.required_level else " "
            points = f" [{level.points}]" if level.points else ""
            click.echo(f"    {mark} {level.name}{points}: {level.description}")


def _show_alignment(alignment: tuple[Alignment, ...]) -> None:
    if not alignment:
        return
    _heading("Alignment")
    for item in alignment:
        click.echo(f"  - {item.target_name}: {item.target_url}")
        extra = [v for v in (item.target_framework, item.target_code, item.target_type) if v]
        if extra:
            click.echo(f"    {' / '.join(extra)}")
        if item.target_description:
            click.echo(f"    {item.target_description}")


def _show_stack(cat: Catalog, stack: Stack) -> None:
    click.echo(stack.name)
    _field("Id", stack.id)
    _field("Kind", f"stack ({stack.achievement_type})")
    _field("Status", stack.status)
    _field("Issuer", _org_name(cat, stack.issuer))
    _field("Partners", ", ".join(_org_name(cat, p) for p in stack.partners))
    _field("Rule", stack.rule + ("" if stack.awardable else " (cannot be awarded from this catalog)"))
    _field("Language", stack.language)
    _field("Tags", ", ".join(stack.tags))
    _image(cat, stack.image, stack.id)
    _heading("Description")
    click.echo(stack.description)
    _heading("Criteria")
    click.echo(stack.criteria_narrative)
    _heading("Members")
    members = cat.members(stack.id)
    if not members:
        click.echo("  (none listed)")
    for mc in members:
        click.echo(f"  - {mc.id}: {mc.name} [{mc.status}]")


def _show_certificate(cat: Catalog, cert: Certificate) -> None:
    click.echo(cert.name)
    _field("Id", cert.id)
    _field("Kind", f"certificate ({cert.achievement_type})")
    _field("Status", cert.status)
    _field("Issuer", _org_name(cat, cert.issuer))
    _field("Hours", f"{cert.hours_per_workshop} hours of active participation per workshop")
    _field("Language", cert.language)
    _field("Tags", ", ".join(cert.tags))
    _image(cat, cert.image, cert.id)
    _heading("Description")
    click.echo(cert.description)
    _heading("Criteria")
    click.echo(cert.criteria_narrative)
