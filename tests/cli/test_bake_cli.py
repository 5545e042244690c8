"""``badge bake``, ``unbake``, ``qr``, ``certificate`` and ``share`` through the real ``badge`` group (CliRunner)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.bake import unbake_image
from openbadge_ctq_cli.commands.bake import bake, certificate, qr, share, unbake
from openbadge_ctq_cli.main import badge

REPO = Path(__file__).resolve().parents[2]
HEART = REPO.parent / "shared" / "vectors" / "fixtures" / "ob-v2p0" / "openbadges-bakery" / "public_domain_heart.png"
BAKED_SVG = HEART.parent / "baked_example.svg"
ART = REPO / "issuers" / "ctq" / "images" / "wpi-colleagues.svg"
NOW = datetime(2026, 1, 2, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), "k")
URL = "https://badges.example.org/verify/1"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch, badge_home: Path) -> Iterator[None]:
    """Put the commands on the group for this test only (the lead registers them in cli/commands/__init__.py)."""
    for command in (bake, unbake, qr, certificate, share):
        assert command.name is not None
        if command.name not in badge.commands:
            monkeypatch.setitem(badge.commands, command.name, command)
    yield


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("credentials")
    catalog = load_catalog()
    out = {}
    for fmt in ("ob3-di", "ob3-jwt"):
        issued = issue_credential(
            catalog,
            "writing-publicly-to-influence-colleagues",
            Recipient(email="teacher@example.org", name="José Núñez"),
            KEY,
            fmt=fmt,
            now=NOW,
        )
        out[fmt] = folder / f"credential{issued.suffix}"
        out[fmt].write_text(issued.document, encoding="utf-8")
    return out


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(badge, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["ob3-di", "ob3-jwt"])
@pytest.mark.parametrize("image", [HEART, ART], ids=["png", "svg"])
def test_bake_unbake_verify(files: dict[str, Path], tmp_path: Path, fmt: str, image: Path) -> None:
    out = tmp_path / f"baked{image.suffix}"
    result = run("bake", image, files[fmt], "-o", out)
    assert result.exit_code == 0, result.output
    assert "Baked an Open Badges 3.0 credential" in result.output
    result = run("unbake", out)
    assert result.exit_code == 0
    assert result.output.strip() == files[fmt].read_text(encoding="utf-8").strip()
    result = CliRunner().invoke(badge, ["verify", "-", "--offline", "--now", "2026-02-01"], input=result.output)
    assert result.exit_code == 0, result.output


def test_bake_json_and_ob2(tmp_path: Path) -> None:
    hosted = tmp_path / "assertion.txt"
    hosted.write_text("https://example.org/assertions/1\n", encoding="utf-8")
    result = run("bake", HEART, hosted, "-o", tmp_path / "b.png", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report == {
        "output": str(tmp_path / "b.png"),
        "container": "png",
        "kind": "ob2",
        "chunk": "iTXt",
        "compressed": False,
        "payloadFormat": "url",
        "payloadBytes": 32,
        "verify": None,
    }


def test_bake_refuses_unsafe_art(files: dict[str, Path], tmp_path: Path) -> None:
    art = tmp_path / "evil.svg"
    art.write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', encoding="utf-8")
    result = run("bake", art, files["ob3-jwt"], "-o", tmp_path / "out.svg")
    assert result.exit_code == 3
    assert result.output.startswith(f"Error: {art}: badge art containing scripts or event handlers is refused")
    assert not (tmp_path / "out.svg").exists()


def test_unbake_json_and_output_file(tmp_path: Path) -> None:
    result = run("unbake", BAKED_SVG, "--json", "-o", tmp_path / "assertion.json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["kind"] == "ob2" and report["verify"] == "https://example.org/assertion.json"
    assert json.loads((tmp_path / "assertion.json").read_text(encoding="utf-8"))["uid"] == "abcdef12345"


@pytest.mark.parametrize(
    ("path", "message"),
    [(HEART, "has no baked credential"), (Path(__file__), "not a PNG or SVG image")],
    ids=["unbaked", "not-an-image"],
)
def test_unbake_errors(path: Path, message: str) -> None:
    result = run("unbake", path)
    assert result.exit_code == 3
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output


def test_qr(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("qr", URL, "-o", tmp_path / "q.png", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["url"] == URL
    assert (tmp_path / "q.png").read_bytes().startswith(b"\x89PNG")
    result = run("qr", files["ob3-di"], "-o", tmp_path / "q.svg", "--url", URL)
    assert result.exit_code == 0 and b"<svg" in (tmp_path / "q.svg").read_bytes()
    result = run("qr", files["ob3-di"], "-o", tmp_path / "none.png")
    assert result.exit_code == 3 and "is not an https URL" in result.output and "Hint: " in result.output
    result = run("qr", URL, "-o", tmp_path / "q.gif")
    assert result.exit_code == 2 and ".png or .svg" in result.output


def test_certificate(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "certificate.pdf"
    result = run("certificate", files["ob3-jwt"], "-o", out, "--url", URL, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"output": str(out), "verificationUrl": URL, "art": True}
    assert out.read_bytes().startswith(b"%PDF-")
    baked = tmp_path / "baked.png"
    assert run("bake", HEART, files["ob3-di"], "-o", baked).exit_code == 0
    result = run("certificate", baked, "-o", tmp_path / "c2.pdf", "--url", URL, "--no-art", "--paper", "a4")
    assert result.exit_code == 0 and "Wrote a certificate" in result.output


def test_certificate_needs_a_verification_url(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("certificate", files["ob3-di"], "-o", tmp_path / "c.pdf")
    assert result.exit_code == 3 and "--url" in result.output


def test_share(files: dict[str, Path]) -> None:
    result = run("share", files["ob3-di"], "--url", URL)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("José Núñez earned the micro-credential")
    assert lines[1] == f"Verify:   {URL}"
    assert lines[2].startswith("LinkedIn: https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME")
    result = run("share", files["ob3-jwt"], "--url", URL, "--linkedin-org-id", "1337", "--json")
    links = json.loads(result.output)
    assert "organizationId=1337" in links["linkedin"] and links["verificationUrl"] == URL


def test_share_refuses_a_url_source() -> None:
    result = run("share", URL)
    assert result.exit_code == 3 and "give the credential file" in result.output


def test_commands_have_help() -> None:
    for name in ("bake", "unbake", "qr", "certificate", "share"):
        result = run(name, "--help")
        assert result.exit_code == 0 and "--json" in result.output


def test_baked_file_is_an_image(files: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "art.svg"
    shutil.copy(ART, copy)
    assert run("bake", copy, files["ob3-jwt"], "-o", copy).exit_code == 0  # in place
    assert unbake_image(copy.read_bytes()).kind == "ob3"
