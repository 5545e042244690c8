"""A printable PDF certificate for a credential (one landscape page). The only module that imports :mod:`fpdf`.

The page shows the recipient's name (the plaintext ``name`` IdentityObject, else "the holder of this credential"),
the achievement's name and description, the issuer, the date issued, the rubric levels achieved, and the QR code
and text of the verification URL. A Certificate of Completion shows its hours (``creditsEarned`` or ``hours=``)
and the workshops listed as bullet items in ``credentialSubject.narrative``.

Badge art is drawn as vectors when the caller passes the catalog's own SVG (never art taken from a credential);
it is checked first like art to be baked (:func:`openbadge_ctq.bake.check_badge_art`) and fpdf2 may load no
external resource.

Fonts: the PDF core font Helvetica in WinAnsi (Windows-1252) encoding, so nothing is read from the system and
names with é, ñ, ü, ß, ø, š, ž… print as written. A character outside Windows-1252 is printed as its base letter
(``ř`` → ``r``, ``ł`` → ``l``), or ``?`` when it has none (see ``docs/sharing.md``).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy, XPos, YPos

from .bake import check_badge_art
from .errors import InputError
from .model import Catalog
from .ob3 import achievement_id
from .qr import check_url, qr_matrix
from .share import CredentialFacts, describe_credential, format_date

__all__ = ["PAPER_SIZES", "catalog_badge_art", "certificate_pdf", "printable"]

PAPER_SIZES: Final = ("letter", "a4")
_NAVY: Final = (30, 42, 68)
_GOLD: Final = (183, 121, 31)
_GREY: Final = (75, 85, 99)
_FONT: Final = "Helvetica"
_ENCODING: Final = "windows-1252"
_NO_DECOMPOSITION: Final[Mapping[str, str]] = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ŋ": "ng",
    "Ŋ": "Ng",
    "ĸ": "k",
    "ſ": "s",
    "ə": "e",
    "Ə": "E",
    "ʻ": "'",
    "ʼ": "'",
}
_TEXT_ELEMENTS: Final = re.compile(r"<(title|desc|metadata)\b[^>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL)
_TITLES: Final[Mapping[str, str]] = {"CertificateOfCompletion": "Certificate of Completion"}


def printable(text: str) -> str:
    """``text`` as the certificate prints it: NFC, and every character outside Windows-1252 replaced by the nearest
    character with fewer accents (``ễ`` → ``ê``, ``ř`` → ``r``), its compatibility form (``ﬁ`` → ``fi``), or ``?``."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if _encodable(char):
            out.append(char)
        elif char in _NO_DECOMPOSITION:
            out.append(_NO_DECOMPOSITION[char])
        else:
            out.append(_nearest(char))
    return "".join(out)


def _nearest(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    while len(decomposed) > 1:  # drop combining marks from the last one until the rest can be printed
        decomposed = decomposed[:-1]
        candidate = unicodedata.normalize("NFC", decomposed)
        if _encodable(candidate):
            return candidate
    compatible = unicodedata.normalize("NFKD", char)
    if compatible != char and all(_encodable(c) or unicodedata.combining(c) for c in compatible):
        return "".join(c for c in compatible if not unicodedata.combining(c))
    return "" if unicodedata.category(char).startswith(("M", "C")) else "?"


def _encodable(char: str) -> bool:
    try:
        char.encode(_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _hours_text(hours: float) -> str:
    value = f"{hours:.1f}".rstrip("0").rstrip(".")
    return f"{value} hour{'' if value == '1' else 's'}"


class _Page:
    """Drawing helpers over one fpdf2 page (all sizes in mm)."""

    def __init__(self, paper: str) -> None:
        self.pdf = FPDF(orientation="L", unit="mm", format="Letter" if paper == "letter" else "A4")
        self.pdf.core_fonts_encoding = _ENCODING
        self.pdf.resource_access_policy = ResourceAccessPolicy.NONE
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.add_page()
        self.width = self.pdf.w
        self.height = self.pdf.h

    def font(self, size: float, style: Literal["", "B", "I"] = "", color: tuple[int, int, int] = _NAVY) -> None:
        self.pdf.set_font(_FONT, style, size)
        self.pdf.set_text_color(*color)

    def fit(self, text: str, width: float, size: float, minimum: float, style: Literal["", "B", "I"] = "B") -> float:
        """The largest font size from ``size`` down to ``minimum`` at which ``text`` fits in ``width``."""
        while size > minimum:
            self.pdf.set_font(_FONT, style, size)
            if self.pdf.get_string_width(printable(text)) <= width:
                break
            size -= 0.5
        return size

    def centered(self, y: float, text: str, height: float) -> None:
        self.pdf.set_xy(0, y)
        self.pdf.cell(self.width, height, printable(text), align="C")

    def paragraph(self, x: float, y: float, width: float, text: str, line: float, max_lines: int) -> float:
        """Centred, wrapped text of at most ``max_lines`` lines (the last one ends in … when cut). Returns the
        y after it."""
        wrapped = self.pdf.multi_cell(width, line, printable(text), dry_run=True, output="LINES")
        lines = [str(row) for row in wrapped] if isinstance(wrapped, list) else [printable(text)]
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip(" .,;:") + "…"]
        for index, row in enumerate(lines):
            self.pdf.set_xy(x, y + index * line)
            self.pdf.cell(width, line, row, align="C")
        return y + len(lines) * line

    def frame(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*_NAVY)
        pdf.set_line_width(1.2)
        pdf.rect(8, 8, self.width - 16, self.height - 16)
        pdf.set_draw_color(*_GOLD)
        pdf.set_line_width(0.4)
        pdf.rect(11.5, 11.5, self.width - 23, self.height - 23)

    def rule(self, y: float, half_width: float) -> None:
        self.pdf.set_draw_color(*_GOLD)
        self.pdf.set_line_width(0.5)
        self.pdf.line(self.width / 2 - half_width, y, self.width / 2 + half_width, y)

    def art(self, svg: bytes, x: float, y: float, size: float) -> None:
        text = _TEXT_ELEMENTS.sub("", svg.decode("utf-8"))  # fpdf2 logs a warning for every <title>/<desc>
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "<svg> has no viewBox": the size is given here anyway
            self.pdf.image(text.encode("utf-8"), x=x, y=y, w=size, h=size, keep_aspect_ratio=True)

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        matrix = qr_matrix(url, border=0)
        module = size / len(matrix)
        pdf = self.pdf
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(x - 2, y - 2, size + 4, size + 4, style="F")
        pdf.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(matrix):
            column = 0
            while column < len(row):  # one rectangle per run of dark modules
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                pdf.rect(x + start * module, y + row_index * module, (column - start) * module, module, style="F")


def _list_block(page: _Page, y: float, heading: str, items: Sequence[str], limit: int) -> float:
    """A small centred heading and one centred line per item (at most ``limit``). Returns the y after it."""
    if not items:
        return y
    page.font(8.5, "B", _GOLD)
    page.centered(y, heading.upper(), 4.5)
    y += 5.5
    page.font(10, "", _GREY)
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more")
    for item in shown:
        page.centered(y, item, 5)
        y += 5
    return y


def _body(page: _Page, facts: CredentialFacts, hours: float | None, top: float) -> float:
    completion = facts.achievement_type == "CertificateOfCompletion"
    if facts.issuer_name:
        page.font(9.5, "B", _GOLD)
        page.pdf.set_char_spacing(1.5)
        page.centered(top, facts.issuer_name.upper(), 5)
        page.pdf.set_char_spacing(0)
    title = _TITLES.get(facts.achievement_type or "", "Certificate of Achievement")
    page.font(26, "B")
    page.centered(top + 7, title, 12)
    page.font(11, "I", _GREY)
    page.centered(top + 22, "This certifies that", 6)
    name = facts.recipient_name or "the holder of this credential"
    size = page.fit(name, page.width - 70, 26, 14)
    page.font(size, "B")
    page.centered(top + 29, name, 12)
    page.rule(top + 43, 60)
    if completion and hours is not None:
        phrase = f"has completed {_hours_text(hours)} of active participation for the"
    elif completion:
        phrase = "has completed the requirements for the"
    else:
        phrase = f"has earned the {facts.kind_words}"
    page.font(11, "I", _GREY)
    page.centered(top + 46, phrase, 6)
    size = page.fit(facts.name, page.width - 60, 17, 11)
    page.font(size, "B")
    page.centered(top + 53, facts.name, 9)
    y = top + 64
    if facts.description:
        page.font(9, "", _GREY)
        y = page.paragraph(40, y, page.width - 80, facts.description, 4.4, 3) + 3
    if completion:
        return _list_block(page, y, "Workshops completed", facts.workshops, 6)
    return _list_block(page, y, "Rubric levels achieved", [f"{c}: {level}" for c, level in facts.levels], 6)


def _footer(page: _Page, facts: CredentialFacts, url: str | None) -> None:
    qr_size = 30.0
    bottom = page.height - 18
    left = 22.0
    lines: list[tuple[float, Literal["", "B", "I"], tuple[int, int, int], str]] = []
    if facts.issuer_name:
        lines.append((9.5, "B", _NAVY, f"Issued by {facts.issuer_name}"))
    if facts.issued is not None:
        lines.append((9.5, "", _GREY, f"on {format_date(facts.issued)}"))
    if facts.id:
        lines.append((7.5, "", _GREY, f"Credential {facts.id}"))
    if url:
        lines.append((7.5, "B", _NAVY, "Verify this credential: scan the code or visit"))
        lines.append((7.5, "", _NAVY, url))
    else:
        lines.append((7.5, "", _GREY, "Verify this credential with any Open Badges verifier."))
    y = bottom - 5 * len(lines)
    text_width = page.width - 2 * left - (qr_size + 8 if url else 0)
    for size, style, color, text in lines:
        page.font(size, style, color)
        page.pdf.set_xy(left, y)
        shown = printable(text)
        while page.pdf.get_string_width(shown) > text_width and len(shown) > 4:
            shown = shown[:-2] + "…"
        page.pdf.cell(text_width, 5, shown, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y += 5
    if url:
        page.qr(url, page.width - left - qr_size, bottom - qr_size, qr_size)


def catalog_badge_art(catalog: Catalog, credential: Mapping[str, Any]) -> bytes | None:
    """The catalog's own SVG art for the achievement of ``credential`` (matched by achievement id), or None.

    Only the catalog's files are read, never art embedded in the credential.
    """
    subjects = credential.get("credentialSubject")
    subject = subjects[0] if isinstance(subjects, list) and subjects else subjects
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    wanted = achievement.get("id") if isinstance(achievement, Mapping) else None
    if not isinstance(wanted, str):
        return None
    for entry in catalog.achievements():
        if entry.image is None or not entry.image.path.lower().endswith(".svg"):
            continue
        if achievement_id(entry, catalog.organization(entry.issuer)) == wanted:
            return catalog.image_path(entry.image, entry.id).read_bytes()
    return None


def certificate_pdf(
    credential: Mapping[str, Any],
    *,
    verification_url: str | None,
    badge_svg: bytes | None = None,
    hours: float | None = None,
    paper: str = "letter",
) -> bytes:
    """A one-page landscape PDF certificate for ``credential`` (it is described, not verified: verify first).

    Args:
        credential: an Open Badges 3.0 credential (or an OB 2.0 assertion with its badge embedded).
        verification_url: the page where the credential can be verified; printed as text and as a QR code.
        badge_svg: the catalog's own badge art (never art taken from a credential), drawn at the top.
        hours: hours of a Certificate of Completion; default ``credentialSubject.creditsEarned``.
        paper: ``"letter"`` or ``"a4"``.

    Raises:
        InputError: the URL is not an http(s) URL, the art is not safe SVG, ``hours`` is negative, or ``paper``
            is unknown.
    """
    if paper not in PAPER_SIZES:
        raise InputError(f"paper size {paper!r} is not one of {', '.join(PAPER_SIZES)}")
    if hours is not None and (isinstance(hours, bool) or not 0 <= hours < 100_000):
        raise InputError(f"hours must be a number between 0 and 100000, not {hours!r}")
    url = check_url(verification_url) if verification_url is not None else None
    if badge_svg is not None:
        check_badge_art(badge_svg, name="badge art")
    facts = describe_credential(credential)

    page = _Page(paper)
    pdf = page.pdf
    pdf.set_title(printable(f"{facts.name} — {facts.recipient_name or 'certificate'}"))
    pdf.set_subject(printable(f"Certificate for the Open Badge {facts.name}"))
    if facts.issuer_name:
        pdf.set_author(printable(facts.issuer_name))
    pdf.set_creator("openbadge_ctq")
    pdf.set_lang("en")
    pdf.set_creation_date(facts.issued or datetime(2000, 1, 1, tzinfo=UTC))  # byte-stable output
    page.frame()
    top = 20.0
    if badge_svg is not None:
        page.art(badge_svg, page.width / 2 - 19, 17, 38)
        top = 58.0
    _body(page, facts, hours if hours is not None else facts.credits, top)
    _footer(page, facts, url)
    return bytes(pdf.output())
