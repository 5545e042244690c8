"""The PDF certificate renders (poppler's pdftoppm), says the right things (pdftotext), prints accented names,
and its QR code scans to the verification URL."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.certificate import catalog_badge_art, certificate_pdf, printable
from openbadge_ctq.errors import InputError
from openbadge_ctq.model import Catalog

NOW = datetime(2026, 1, 2, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), "k")
URL = "https://badges.example.org/verify/8e6f6a0e-1998-4d07-b4bc-b295ec5a0776"
MICRO = "writing-publicly-to-influence-colleagues"
COMPLETION = "teachingpartners-certificate-of-completion"


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:  # pragma: no cover - depends on the machine
        pytest.fail(f"{tool} is missing: install Debian's poppler-utils (apt-get install -y poppler-utils)")
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    result = subprocess.run([poppler("pdftotext"), str(source), "-"], capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8")


def render_page(pdf: bytes, tmp_path: Path, dpi: int = 110) -> bytes:
    source = tmp_path / "render.pdf"
    source.write_bytes(pdf)
    command = [poppler("pdftoppm"), "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, str(source), str(tmp_path / "page")], check=True, capture_output=True, timeout=60)
    return (tmp_path / "page.png").read_bytes()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def issue(catalog: Catalog, achievement: str, name: str | None, **kw: Any) -> dict[str, Any]:
    recipient = Recipient(email="teacher@example.org", name=name)
    credential: dict[str, Any] = issue_credential(catalog, achievement, recipient, KEY, now=NOW, **kw).credential
    return credential


def test_micro_credential_certificate(catalog: Catalog, tmp_path: Path) -> None:
    credential = issue(catalog, MICRO, "José Núñez", levels="Exemplary")
    art = catalog_badge_art(catalog, credential)
    assert art is not None and b"<svg" in art
    pdf = certificate_pdf(credential, verification_url=URL, badge_svg=art)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "José Núñez",
        "Writing Publicly to Influence Colleagues",
        "Certificate of Achievement",
        "has earned the micro-credential",
        "CENTER FOR TEACHING QUALITY",
        "Issued by Center for Teaching Quality",
        "January 2, 2026",
        "Audience and purpose: Exemplary",
        "Craft and supporting evidence: Exemplary",
        URL,
    ):
        assert expected in text, expected


def test_page_renders_and_its_qr_code_scans(catalog: Catalog, tmp_path: Path) -> None:
    credential = issue(catalog, MICRO, "Zoë Brontë")
    pdf = certificate_pdf(credential, verification_url=URL, badge_svg=catalog_badge_art(catalog, credential))
    png = render_page(pdf, tmp_path)
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(f"the QR decoder is missing ({exc}): pip install zxing-cpp pillow (see the test extras)")
    page = Image.open(io.BytesIO(png))
    assert page.size == (1210, 935)  # US Letter landscape at 110 dpi
    assert page.convert("L").getextrema() == (0, 255)  # something is drawn
    assert [barcode.text for barcode in zxingcpp.read_barcodes(page)] == [URL]


def test_accented_names(catalog: Catalog, tmp_path: Path) -> None:
    name = "Zoë Brontë-Müller Ñúñez Šťastná Øster Dvořák"
    text = pdf_text(certificate_pdf(issue(catalog, MICRO, name), verification_url=URL), tmp_path)
    # Windows-1252 prints é ñ ü ë ø š as written; ř and ť have no WinAnsi glyph and print as their base letter
    assert "Zoë Brontë-Müller Ñúñez Štastná Øster Dvorák" in text


def test_printable() -> None:
    assert printable("José Núñez") == "José Núñez"
    assert printable("Jose\u0301") == "José"  # combining accents are composed first
    assert printable("Łukasz Dvořák Đorđe") == "Lukasz Dvorák Dorde"
    assert printable("Nguyễn Thị") == "Nguyên Thi"
    assert printable("李 Ω") == "? ?"
    assert printable("“quoted” — €5 …") == "“quoted” — €5 …"


def test_certificate_of_completion(catalog: Catalog, tmp_path: Path) -> None:
    credential = issue(
        catalog,
        COMPLETION,
        "Ana Ñúñez",
        credits_earned=12,
        narrative="Workshops completed:\n- Stories of Impact: **Finding your story**\n- Writing for colleagues",
    )
    art = catalog_badge_art(catalog, credential)
    text = pdf_text(certificate_pdf(credential, verification_url=URL, badge_svg=art), tmp_path)
    for expected in (
        "Certificate of Completion",
        "Ana Ñúñez",
        "has completed 12 hours of active participation for the",
        "TeachingPartners Live Certificate of Completion",
        "WORKSHOPS COMPLETED",
        "Stories of Impact: Finding your story",
        "Writing for colleagues",
        "Issued by TeachingPartners",
    ):
        assert expected in text, expected
    text = pdf_text(certificate_pdf(credential, verification_url=URL, hours=6.5), tmp_path)
    assert "has completed 6.5 hours of active participation" in text


def test_without_name_url_or_art(catalog: Catalog, tmp_path: Path) -> None:
    text = pdf_text(certificate_pdf(issue(catalog, MICRO, None), verification_url=None), tmp_path)
    assert "the holder of this credential" in text
    assert "Verify this credential with any Open Badges verifier." in text


def test_byte_stable(catalog: Catalog) -> None:
    credential = issue(catalog, MICRO, "Jo")
    art = catalog_badge_art(catalog, credential)
    assert certificate_pdf(credential, verification_url=URL, badge_svg=art) == certificate_pdf(
        credential, verification_url=URL, badge_svg=art
    )


def test_a4_and_ob2(tmp_path: Path) -> None:
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "id": "https://example.org/assertions/1",
        "issuedOn": "2016-12-31T23:59:59Z",
        "badge": {"name": "Robotics", "description": "Built a robot.", "issuer": {"name": "Example School"}},
    }
    pdf = certificate_pdf(assertion, verification_url="https://example.org/assertions/1", paper="a4")
    text = pdf_text(pdf, tmp_path)
    assert "Robotics" in text and "Example School" in text and "December 31, 2016" in text
    assert b"/MediaBox [0 0 841.89 595.28]" in pdf


def test_catalog_badge_art_needs_a_catalog_achievement(catalog: Catalog) -> None:
    assert catalog_badge_art(catalog, {"credentialSubject": {"achievement": {"id": "urn:uuid:unknown"}}}) is None
    assert catalog_badge_art(catalog, {}) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verification_url": "ftp://x.example/"}, "not an http"),
        ({"verification_url": URL, "paper": "legal"}, "paper size"),
        ({"verification_url": URL, "hours": -1}, "hours"),
        ({"verification_url": URL, "badge_svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'}, "scripts"),
        ({"verification_url": URL, "badge_svg": b"<!DOCTYPE svg [<!ENTITY a 'b'>]><svg/>"}, "DOCTYPE"),
    ],
)
def test_refusals(catalog: Catalog, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        certificate_pdf(issue(catalog, MICRO, "Jo"), **kwargs)
