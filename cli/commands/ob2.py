"""Open Badges 2.0 on the command line: ``badge ob2 revoke``, ``badge migrate``, and the body of
``badge issue --format ob2-hosted|ob2-signed --out-dir DIR``.

An OB 2.0 issuer publishes static files under its ``baseUrl``; these commands read and write a local copy of that
folder (the "site"), which the issuer then uploads as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from openbadge_ctq.errors import InputError
from openbadge_ctq.fetch import make_fetcher, parse_url_map
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.issue_ob2 import (
    IssuedOB2,
    find_catalog_issuer,
    issue_ob2,
    merge_published,
    migrate_ob2_to_ob3,
    revoke_ob2,
)
from openbadge_ctq.jsonld import ContextLoader
from openbadge_ctq.keys import KeyType, PublicKey
from openbadge_ctq.model import Catalog
from openbadge_ctq.ob3 import Evidence
from openbadge_ctq.store import KeyStatus, KeyStore
from openbadge_ctq.verify.ob2 import Ob2Result, verify_ob2
from openbadge_ctq.verify.ob3 import Options

from ..common import catalog_for, now_or, read_source, signing_key
from ..context import AppContext, app
from ..render import emit_json, json_option

__all__ = ["issue_ob2_command_body", "migrate", "ob2", "write_site"]

MAX_SITE_FILE = 8 * 1024 * 1024
_MERGED = ("ob2/issuer.json", "ob2/revocations.json")
_BULK_SUFFIXES = (".json", ".jws", ".jwt", ".txt")


# ----------------------------------------------------------------------------------------------------------
# The site folder


def _read_site_file(site: Path, relative: str) -> bytes | None:
    path = site / relative
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_SITE_FILE:
        raise InputError(f"{path} is larger than {MAX_SITE_FILE} bytes")
    return path.read_bytes()


def _site_json(site: Path, relative: str) -> dict[str, Any] | None:
    data = _read_site_file(site, relative)
    if data is None:
        return None
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{site / relative} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InputError(f"{site / relative} is not a JSON object")
    return doc


def write_site(site: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (paths relative to the site folder) and return the paths written."""
    root = site.resolve()
    written: list[Path] = []
    for relative, data in files.items():
        target = (site / relative).resolve()
        if not target.is_relative_to(root):
            raise InputError(f"{relative} would be written outside {site}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(site / relative)
    return written


def _published_keys(home: Path, issuer_id: str) -> list[tuple[str, PublicKey]]:
    """The issuer's RSA keys that are not revoked (retired ones still verify old signed badges)."""
    return [
        (record.key_id, record.public_key())
        for record in KeyStore(home).list(issuer_id)
        if record.type == KeyType.RSA and record.status != KeyStatus.REVOKED
    ]


# ----------------------------------------------------------------------------------------------------------
# badge issue --format ob2-hosted|ob2-signed (called from commands/issue.py)


def issue_ob2_command_body(
    state: AppContext,
    catalog: Catalog,
    *,
    issuer_id: str,
    achievement_id: str,
    recipient: Recipient,
    fmt: str,
    now: datetime,
    out_dir: Path,
    expires: datetime | None = None,
    evidence: Sequence[Evidence] = (),
    narrative: str | None = None,
    as_json: bool = False,
) -> IssuedOB2:
    """Issue an OB 2.0 assertion and write it, with every document it links to, into the site folder ``out_dir``.

    ``ob2-signed`` signs with the issuer's active RSA key; ``ob2-hosted`` needs no key. The site's revocation list
    and the keys its issuer profile lists are kept. Prints the result (or JSON) like ``badge issue``.
    """
    key: SigningKey | None = None
    if fmt == "ob2-signed":
        key = signing_key(state, issuer_id, KeyType.RSA)
    issued = issue_ob2(
        catalog,
        achievement_id,
        recipient,
        fmt=fmt,
        now=now,
        key=key,
        issuer_id=issuer_id,
        expires=expires,
        evidence=evidence,
        narrative=narrative,
        published_keys=_published_keys(state.home, issuer_id),
    )
    existing = {path: data for path in _MERGED if (data := _read_site_file(out_dir, path)) is not None}
    files = merge_published(issued.files, existing)
    if fmt == "ob2-signed":
        files[f"ob2/signed/{issued.id.rsplit(':', 1)[-1]}.jws"] = (issued.document + "\n").encode("ascii")
    written = write_site(out_dir, files)
    assertion_file = next(
        (p for p in written if p.parent.name in ("assertions", "signed") and p.parent.parent.name == "ob2"), None
    )
    if as_json:
        emit_json(
            {
                "id": issued.id,
                "format": issued.format,
                "baseUrl": issued.base_url,
                "outDir": str(out_dir),
                "assertionFile": str(assertion_file) if assertion_file else None,
                "files": sorted(files),
                "assertion": issued.assertion,
                "document": issued.document,
            }
        )
    else:
        click.echo(f"Issued {achievement_id} ({issued.format}) to {recipient.email}: {assertion_file}")
        click.echo(f"Assertion id: {issued.id}")
        click.echo(f"Publish the folder {out_dir} at {issued.base_url} ({len(files)} files written).")
    return issued


# ----------------------------------------------------------------------------------------------------------
# badge ob2 revoke


@click.group("ob2")
def ob2() -> None:
    """Open Badges 2.0 sites: revoke published assertions."""


@ob2.command("revoke")
@click.argument("assertion_id")
@click.option("--reason", help="Why the assertion is revoked (published in the revocation list).")
@click.option(
    "--site",
    "site",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The published OB 2.0 folder (the --out-dir of badge issue).",
)
@json_option
def revoke(assertion_id: str, reason: str | None, site: Path, as_json: bool) -> None:
    """Revoke ASSERTION_ID: add it to the site's revocation list; a hosted one then answers "revoked": true."""
    profile = _site_json(site, "ob2/issuer.json")
    if profile is None:
        raise InputError(
            f"{site} has no ob2/issuer.json; it is not an Open Badges 2.0 site",
            hint="give --site the folder that badge issue --format ob2-hosted --out-dir wrote",
        )
    result = revoke_ob2(profile, assertion_id, reason=reason, revocation_list=_site_json(site, "ob2/revocations.json"))
    hosted_file = next((p for p in result.files if p.startswith("ob2/assertions/")), None)
    if hosted_file is not None and not (site / hosted_file).is_file():
        raise InputError(f"{assertion_id} is not in {site} (expected {site / hosted_file})")
    written = write_site(site, result.files)
    if as_json:
        emit_json(
            {
                "id": result.id,
                "hosted": result.hosted,
                "reason": result.reason,
                "files": [str(p) for p in written],
            }
        )
    else:
        click.echo(f"Revoked {assertion_id}" + (f" ({result.reason})" if result.reason else ""))
        for path in written:
            click.echo(f"  updated {path}")
        click.echo("Publish the changed files for the revocation to take effect.")


# ----------------------------------------------------------------------------------------------------------
# badge migrate


def _verified(source: bytes | str, options: Options, label: str) -> Ob2Result:
    result = verify_ob2(source, options)
    if not result.verified or result.assertion is None:
        errors = [c.message for c in result.checks if c.status.value == "fail"]
        first = errors[0] if errors else "no proof was verified"
        raise InputError(
            f"{label} does not verify as an Open Badges 2.0 assertion, so it is not migrated: {first}",
            hint=f"badge verify {label} shows the whole report",
        )
    return result


def _sources(source: str, out: Path | None) -> list[tuple[str, bytes | str]]:
    path = Path(source)
    if source.startswith(("https://", "http://")) or not path.is_dir():
        return [(source, read_source(source))]
    if out is None:
        raise click.UsageError("migrating a folder needs --out OUTDIR")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _BULK_SUFFIXES)
    if not files:
        raise InputError(f"{path} has no .json, .jws, .jwt or .txt files to migrate")
    return [(str(p), read_source(str(p))) for p in files]


@click.command("migrate")
@click.argument("source")
@click.option("--issuer", "issuer_id", help="Catalog issuer that re-issues the badge (default: the OB 2.0 issuer).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Write the OB 3.0 credential to this file (a folder when SOURCE is a folder).",
)
@click.option("--format", "fmt", type=click.Choice(["ob3-di", "ob3-jwt"]), default="ob3-di", show_default=True)
@click.option("--offline", is_flag=True, help="Fetch nothing from the network (saved copies via --url-map only).")
@click.option(
    "--url-map",
    "url_maps",
    multiple=True,
    metavar="PREFIX=PATH",
    help="Serve URLs under PREFIX from a local file or folder (repeatable), e.g. the issuer's OB 2.0 site.",
)
@click.option("--allow-http", is_flag=True, help="Allow plain http:// URLs (legacy badges; https only by default).")
@click.option("--now", help="Issue (and verify) as of this time (ISO 8601); default: now.")
@json_option
@click.pass_context
def migrate(
    ctx: click.Context,
    source: str,
    issuer_id: str | None,
    out: Path | None,
    fmt: str,
    offline: bool,
    url_maps: tuple[str, ...],
    allow_http: bool,
    now: str | None,
    as_json: bool,
) -> None:
    """Re-issue verified Open Badges 2.0 assertions (SOURCE: a file, URL or folder) as signed OB 3.0 credentials.

    The OB 2.0 files stay valid: each new credential points back to its original assertion (evidence) and to the
    OB 2.0 BadgeClass (achievement.related). An assertion that does not verify is not migrated.
    """
    state = app(ctx)
    catalog = catalog_for(state)
    moment = now_or(now)
    maps = [parse_url_map(spec) for spec in url_maps]
    fetcher = make_fetcher(offline=offline, url_maps=maps, allow_http=allow_http)
    options = Options(fetcher=fetcher, now=moment, loader=ContextLoader(fetcher=fetcher))
    sources = _sources(source, out)
    bulk = len(sources) > 1 or Path(source).is_dir()
    keys: dict[str, SigningKey] = {}
    results: list[dict[str, Any]] = []
    failed = 0
    for label, data in sources:
        try:
            original = _verified(data, options, label)
            assert original.assertion is not None
            org = (
                catalog.organization(issuer_id)
                if issuer_id
                else find_catalog_issuer(catalog, (original.issuer or {}).get("id"))
            )
            if org is None:
                raise InputError(
                    f"the OB 2.0 issuer of {label} is not one of the catalog's issuers",
                    hint=f"badge migrate {label} --issuer ID (the catalog issuer that re-issues it)",
                )
            if org.id not in keys:
                keys[org.id] = signing_key(state, org.id, KeyType.ED25519)
            issued = migrate_ob2_to_ob3(
                original.assertion,
                original.badge,
                original.issuer,
                key=keys[org.id],
                now=moment,
                catalog=catalog,
                issuer=org,
                fmt=fmt,
            )
        except InputError as exc:
            if not bulk:
                raise
            failed += 1
            results.append({"source": label, "error": exc.message})
            if not as_json:
                click.echo(f"skipped {label}: {exc.message}", err=True)
            continue
        target: Path | None = None
        if out is not None:
            suffix = ".json" if fmt == "ob3-di" else ".jwt"
            target = out / (Path(label).stem + ".ob3" + suffix) if bulk else out
            write_site(target.parent, {target.name: issued.document.encode("utf-8")})
        results.append(
            {"source": label, "id": issued.id, "format": issued.format, "out": str(target) if target else None}
        )
        if as_json:
            results[-1]["document"] = None if target else issued.document
        elif target is not None:
            click.echo(f"Migrated {label} → {target} ({issued.format}, {issued.id})")
        else:
            click.echo(issued.document.rstrip("\n"))
    if as_json:
        emit_json(results if bulk else results[0])
    elif bulk:
        click.echo(f"{len(results) - failed} migrated, {failed} skipped")
    if failed:
        raise SystemExit(1)
