"""``badge bake``, ``unbake``, ``qr``, ``certificate``, ``share``: bake credentials into badge art and share them."""

from __future__ import annotations

from pathlib import Path

import click

from openbadge_ctq.bake import MAX_PAYLOAD_BYTES, MAX_PNG_BYTES, bake_image, unbake_image
from openbadge_ctq.errors import InputError, StoreError
from openbadge_ctq.qr import qr_png, qr_svg
from openbadge_ctq.share import read_credential, share_links, verification_url_for

from ..common import catalog_for, read_source
from ..context import app
from ..render import emit_json, json_option
from .registry import write_file

__all__ = ["bake", "certificate", "qr", "share", "unbake"]

_KIND_NAMES = {"ob3": "Open Badges 3.0", "ob2": "Open Badges 2.0"}
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
_IN = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _read(path: Path, limit: int, what: str) -> bytes:
    if path.stat().st_size > limit:
        raise InputError(f"{path}: the {what} is larger than {limit} bytes")
    return path.read_bytes()


def _read_text(path: Path, limit: int, what: str) -> str:
    try:
        return _read(path, limit, what).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the {what} is not UTF-8 text") from None


def _write_out(out: Path, data: bytes) -> None:
    """Write an output file atomically: a full disk leaves the earlier file (re-baking in place: the art) as it was."""
    try:
        write_file(out, data)
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None


def _credential(source: str) -> dict[str, object]:
    data = read_source(source)
    if isinstance(data, str):  # read_source leaves URLs as they are
        raise InputError(f"{source} is a URL; give the credential file (JSON, JWT or a baked image)")
    return read_credential(data)


@click.command("bake")
@click.argument("image", type=_IN)
@click.argument("credential", type=_IN)
@click.option("-o", "--out", type=_OUT, required=True, help="Write the baked image here.")
@click.option(
    "--ob-version",
    type=click.Choice(["2", "3"]),
    help="Bake as Open Badges 2.0 or 3.0 (default: read from the credential's @context).",
)
@json_option
def bake(image: Path, credential: Path, out: Path, ob_version: str | None, as_json: bool) -> None:
    """Bake CREDENTIAL (a JSON credential or a JWT) into IMAGE (PNG or SVG badge art).

    Re-baking replaces an earlier credential; the rest of the image is left as it was. Art with scripts, event
    handlers or external references is refused.
    """
    baked = bake_image(
        _read(image, MAX_PNG_BYTES, "image"),
        _read_text(credential, MAX_PAYLOAD_BYTES, "credential"),
        ob_version=int(ob_version) if ob_version else None,
        name=str(image),
    )
    _write_out(out, baked)
    found = unbake_image(baked, name=str(out))
    if as_json:
        emit_json({"output": str(out), **found.to_json()})
    else:
        click.echo(
            f"Baked an {_KIND_NAMES[found.kind]} credential ({found.payload_format}, {found.payload_bytes} bytes) "
            f"into {out} ({found.container.upper()} {found.chunk})"
        )


@click.command("unbake")
@click.argument("image", type=_IN)
@click.option("-o", "--out", type=_OUT, help="Write the credential here (default: standard output).")
@json_option
def unbake(image: Path, out: Path | None, as_json: bool) -> None:
    """Print the credential baked into IMAGE (PNG or SVG): JSON, a JWT, or an Open Badges 2.0 hosted URL."""
    found = unbake_image(_read(image, MAX_PNG_BYTES, "image"), name=str(image))
    if out is not None:
        _write_out(out, (found.payload + "\n").encode("utf-8"))
    if as_json:
        emit_json({**found.to_json(), "payload": found.payload, **({"output": str(out)} if out else {})})
    elif out is None:
        click.echo(found.payload)
    else:
        click.echo(f"Wrote the {_KIND_NAMES[found.kind]} credential from {image} to {out}", err=True)


@click.command("qr")
@click.argument("target")
@click.option("-o", "--out", type=_OUT, required=True, help="Write the QR code here: FILE.png or FILE.svg.")
@click.option("--url", help="Verification URL to encode (default: TARGET's URL, or the credential's https id).")
@json_option
def qr(target: str, out: Path, url: str | None, as_json: bool) -> None:
    """Write a QR code of a verification URL: TARGET is the URL, or a credential file whose https id is used."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise click.BadParameter(f"{out.name}: the file name must end in .png or .svg", param_hint="-o/--out")
    if url is None and target.startswith(("https://", "http://")):
        url = target
    else:
        url = verification_url_for(_credential(target), url)
    _write_out(out, qr_png(url) if suffix == ".png" else qr_svg(url))
    if as_json:
        emit_json({"output": str(out), "url": url, "format": suffix[1:]})
    else:
        click.echo(f"Wrote a QR code of {url} to {out}")


@click.command("certificate")
@click.argument("credential")
@click.option("-o", "--out", type=_OUT, required=True, help="Write the PDF here.")
@click.option("--url", help="Verification URL printed with its QR code (default: the credential's https id).")
@click.option("--hours", type=click.FloatRange(0, 100_000), help="Hours of a Certificate of Completion.")
@click.option("--paper", type=click.Choice(["letter", "a4"]), default="letter", show_default=True)
@click.option("--no-art", is_flag=True, help="Leave out the catalog's badge art.")
@json_option
@click.pass_context
def certificate(
    ctx: click.Context,
    credential: str,
    out: Path,
    url: str | None,
    hours: float | None,
    paper: str,
    no_art: bool,
    as_json: bool,
) -> None:
    """Write a printable PDF certificate for CREDENTIAL (a file: JSON, JWT or baked image; '-' for stdin).

    The certificate shows what the credential says; it does not verify it (run 'badge verify' first).
    """
    from openbadge_ctq.certificate import catalog_badge_art, certificate_pdf  # fpdf2 loads slowly: only here

    doc = _credential(credential)
    verification_url = verification_url_for(doc, url)
    art = None if no_art else catalog_badge_art(catalog_for(app(ctx)), doc)
    _write_out(out, certificate_pdf(doc, verification_url=verification_url, badge_svg=art, hours=hours, paper=paper))
    if as_json:
        emit_json({"output": str(out), "verificationUrl": verification_url, "art": art is not None})
    else:
        click.echo(f"Wrote a certificate to {out} (verification URL {verification_url})")


@click.command("share")
@click.argument("credential")
@click.option("--url", help="Verification URL (default: the credential's https id).")
@click.option("--linkedin-org-id", help="The issuer's numeric LinkedIn company id (else its name is sent).")
@json_option
def share(credential: str, url: str | None, linkedin_org_id: str | None, as_json: bool) -> None:
    """Print share links for CREDENTIAL: its verification URL, LinkedIn "Add to profile", and a summary line."""
    doc = _credential(credential)
    links = share_links(doc, verification_url_for(doc, url), organization_id=linkedin_org_id)
    if as_json:
        emit_json(links)
    else:
        click.echo(links["summary"])
        click.echo(f"Verify:   {links['verificationUrl']}")
        click.echo(f"LinkedIn: {links['linkedin']}")
