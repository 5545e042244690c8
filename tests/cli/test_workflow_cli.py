"""The workflow through the ``badge`` command: apply → review → (not yet → resubmit) → award → stack + CLR."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fpdf import FPDF

from openbadge_ctq.workflow import CLR_CONTEXT
from openbadge_ctq_cli.commands.workflow import WORKFLOW_COMMANDS
from openbadge_ctq_cli.main import badge

from ..conftest import VECTORS

NOW = "2026-11-23T12:00:00Z"
CLR_FILE = VECTORS / "contexts/1edtech/clr-v2p0-context-2.0.1.json"
STACK = "going-public-with-policy-and-pedagogy"
WPI = [
    "writing-publicly-to-influence-colleagues",
    "writing-publicly-to-influence-policymakers",
    "writing-publicly-to-influence-parents",
    "writing-publicly-to-influence-beyond-education",
]
LEVELS = ("audience-and-purpose", "call-to-action", "craft-and-support")


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """Register the workflow commands for these tests only (the lead adds them to ALL_COMMANDS)."""
    added = [c for c in WORKFLOW_COMMANDS if c.name not in badge.commands]
    for command in added:
        badge.add_command(command)
    yield
    for command in added:
        badge.commands.pop(str(command.name), None)


def run(*args: str) -> Result:
    return CliRunner().invoke(badge, list(args))


@pytest.fixture
def ctq_key(badge_home: Path) -> Path:
    for issuer in ("ctq", "teachingpartners"):
        result = run("keys", "generate", "--issuer", issuer)
        assert result.exit_code == 0, result.stderr
    return badge_home


def _apply(mc: str, *extra: str) -> Result:
    return run(
        "apply",
        "--teacher",
        "ana@school.example",
        "--name",
        "Ana Teacher",
        "--achievement",
        mc,
        "--answer",
        "What prompted it " * 20,
        "--answer",
        "Parents of our district " * 20,
        "--artifact-url",
        f"https://news.example/{mc}",
        "--published",
        "2026-02-01",
        "--video-url",
        "https://video.example/ana",
        "--video-seconds",
        "230",
        "--now",
        NOW,
        "--json",
        *extra,
    )


def _review(app_id: str, level: str) -> Result:
    levels = [x for c in LEVELS for x in ("--level", f"{c}={level}")]
    return run("review", app_id, "--reviewer", "rev@ctq.example", *levels, "--now", NOW, "--json")


def test_the_whole_flow_on_the_command_line(ctq_key: Path, tmp_path: Path) -> None:
    for mc in WPI:
        result = _apply(mc)
        assert result.exit_code == 0, result.output + result.stderr
        app_id = json.loads(result.stdout)["application"]["id"]
        if mc.endswith("parents"):
            result = _review(app_id, "developing")
            assert result.exit_code == 0 and json.loads(result.stdout)["outcome"] == "not-yet"
            result = run("award", app_id, "--now", NOW)
            assert result.exit_code == 3 and "only approved applications" in result.stderr
            result = _apply(mc, "--resubmit", app_id)
            assert result.exit_code == 0, result.stderr
            app_id = json.loads(result.stdout)["application"]["id"]
        result = _review(app_id, "proficient")
        assert json.loads(result.stdout)["outcome"] == "approved"
        out = tmp_path / f"{mc}.json"
        result = run("award", app_id, "--out", str(out), "--now", NOW, "--json")
        assert result.exit_code == 0, result.stderr
        assert run("verify", str(out), "--offline", "--now", NOW).exit_code == 0

    result = run("progress", "--recipient", "ana@school.example", "--json")
    status = {s["stack"]: s for s in json.loads(result.stdout)["stacks"]}
    assert status[STACK]["complete"] is True

    stack_out, clr_out = tmp_path / "stack.json", tmp_path / "clr.json"
    result = run(
        "stack",
        "award",
        STACK,
        "--recipient",
        "ana@school.example",
        "--out",
        str(stack_out),
        "--clr-out",
        str(clr_out),
        "--context-file",
        f"{CLR_CONTEXT}={CLR_FILE}",
        "--now",
        NOW,
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert run("verify", str(stack_out), "--offline", "--now", NOW).exit_code == 0
    clr: dict[str, Any] = json.loads(clr_out.read_text())
    assert "ClrCredential" in clr["type"] and len(clr["credentialSubject"]["verifiableCredential"]) == 5


def test_apply_lists_what_to_fix(ctq_key: Path, tmp_path: Path) -> None:
    exe = tmp_path / "reflection.pdf"
    exe.write_bytes(b"MZ\x90\x00" + bytes(100))
    result = run(
        "apply",
        "--teacher",
        "ana@school.example",
        "--achievement",
        WPI[0],
        "--answer",
        "word " * 600,
        "--answer",
        "x",
        "--artifact-url",
        "https://news.example/a",
        "--published",
        "2024-09-01",
        "--reflection-pdf",
        str(exe),
        "--now",
        NOW,
    )
    assert result.exit_code == 1
    assert "601 words" in result.stderr and "cut 101 words" in result.stderr
    assert "must have been published in the last 24 months" in result.stderr
    assert "reflection.pdf must be a PDF" in result.stderr


def test_self_review_is_refused(ctq_key: Path) -> None:
    app_id = json.loads(_apply(WPI[0]).stdout)["application"]["id"]
    levels = [x for c in LEVELS for x in ("--level", f"{c}=exemplary")]
    result = run("review", app_id, "--reviewer", "Ana@School.example", *levels)
    assert result.exit_code == 3 and "cannot review it" in result.stderr


def test_clr_needs_its_context(ctq_key: Path) -> None:
    result = run("stack", "award", STACK, "--recipient", "ana@school.example", "--clr-out", "x.json")
    assert result.exit_code == 3 and "--context-file" in result.stderr


def test_workshops_and_certificate(ctq_key: Path, tmp_path: Path) -> None:
    for name, day in (("Stories of Impact", "2026-09-01"), ("Going Public", "2026-10-01")):
        result = run("workshop", "record", "--recipient", "p@school.example", "--workshop", name, "--completed", day)
        assert result.exit_code == 0, result.stderr
    out = tmp_path / "cert.json"
    result = run("workshop", "certify", "--recipient", "p@school.example", "--out", str(out), "--now", NOW, "--json")
    assert result.exit_code == 0, result.stderr
    subject = json.loads(out.read_text())["credentialSubject"]
    assert subject["creditsEarned"] == 12.0 and "- Going Public" in subject["narrative"]
    # the certificate went through the registry: it is listed, and can be revoked there
    listed = json.loads(run("list", "--json").stdout)
    ids = [r["id"] for r in (listed if isinstance(listed, list) else listed.get("credentials", []))]
    assert json.loads(out.read_text())["id"] in ids


def test_pdf_reflection_on_the_command_line(ctq_key: Path, tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, "reflect " * 1001)
    path = tmp_path / "reflection.pdf"
    path.write_bytes(bytes(pdf.output()))
    result = run(
        "apply",
        "--teacher",
        "ana@school.example",
        "--achievement",
        WPI[0],
        "--answer",
        "a",
        "--answer",
        "b",
        "--artifact-url",
        "https://news.example/a",
        "--published",
        "2026-09-01",
        "--reflection-pdf",
        str(path),
        "--now",
        NOW,
        "--json",
    )
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [p["code"] for p in problems] == ["reflection.pdf_too_long"]
