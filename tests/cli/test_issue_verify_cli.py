"""The main job through the ``badge`` command: keys → did → issue → verify, for both proof formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openbadge_ctq_cli.main import badge

NOW = "2026-11-23T12:00:00Z"


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(badge, list(args), input=input, env=env)


@pytest.fixture
def ctq_key(badge_home: Path) -> Path:
    result = run("keys", "generate", "--issuer", "ctq")
    assert result.exit_code == 0, result.stderr
    return badge_home


def _issue(tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"c.{'json' if fmt == 'ob3-di' else 'jwt'}"
    result = run(
        "issue",
        "--issuer",
        "ctq",
        "--achievement",
        "writing-publicly-to-influence-parents",
        "--recipient",
        "Sam.Lee@Example.org",
        "--name",
        "Sam Lee",
        "--level",
        "Exemplary",
        "--evidence",
        "https://example.org/letter",
        "--evidence-name",
        "Letter to parents",
        "--format",
        fmt,
        "--now",
        NOW,
        "--out",
        str(out),
        *extra,
    )
    assert result.exit_code == 0, result.stderr
    assert out.is_file()
    return out


def test_did_show_prints_the_did_key(ctq_key: Path) -> None:
    result = run("did", "show", "--issuer", "ctq")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("did:key:z6Mk")
    document = json.loads(run("did", "document", "--issuer", "ctq").stdout)
    assert document["id"] == result.stdout.strip()


@pytest.mark.parametrize("fmt", ["ob3-di", "ob3-jwt"])
def test_issue_then_verify_offline(ctq_key: Path, tmp_path: Path, fmt: str) -> None:
    out = _issue(tmp_path, fmt)
    result = run("verify", str(out), "--offline", "--now", NOW, "--recipient", "sam.lee@example.org")
    assert result.exit_code == 0, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("VERIFIED: Writing Publicly to Influence Parents — issued by Center for Teaching Quality")
    assert "recipient" in result.stdout
    report = json.loads(run("verify", str(out), "--offline", "--now", NOW, "--json").stdout)
    assert report["verified"] is True and report["format"] == fmt


def test_verify_reads_standard_input_and_reports_failure_with_exit_1(ctq_key: Path, tmp_path: Path) -> None:
    out = _issue(tmp_path, "ob3-di")
    tampered = out.read_text().replace("Writing Publicly to Influence Parents", "Writing Publicly to Influence Us", 1)
    result = run("verify", "-", "--offline", "--now", NOW, input=tampered)
    assert result.exit_code == 1
    assert result.stdout.startswith("NOT VERIFIED")
    assert "FAIL  proof" in result.stdout


def test_wrong_passphrase_is_a_one_line_error_exit_3(ctq_key: Path, tmp_path: Path) -> None:
    result = run(
        "issue",
        "--issuer",
        "ctq",
        "--achievement",
        "cultivating-a-shared-purpose",
        "--recipient",
        "t@example.org",
        env={"BADGE_PASSPHRASE": "wrong"},
    )
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: ") and "passphrase" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--achievement", "no-such-badge", "--recipient", "t@example.org"], "no-such-badge"),
        (["--achievement", "cultivating-a-shared-purpose", "--recipient", "not-an-email"], "not a valid email"),
        (
            ["--achievement", "cultivating-a-shared-purpose", "--recipient", "t@example.org", "--level", "Not Yet"],
            "below the required level",
        ),
        (
            ["--achievement", "teachingpartners-certificate-of-completion", "--recipient", "t@example.org"],
            "issued by 'teachingpartners'",
        ),
        (["--achievement", "performance-assessment-for-learning", "--recipient", "t@example.org"], "in-development"),
    ],
)
def test_bad_issue_input_gives_a_clear_error(ctq_key: Path, args: list[str], message: str) -> None:
    result = run("issue", "--issuer", "ctq", *args)
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # Error: and maybe Hint:


def test_no_key_yet_gives_a_hint(badge_home: Path) -> None:
    result = run(
        "issue", "--issuer", "ctq", "--achievement", "cultivating-a-shared-purpose", "--recipient", "t@example.org"
    )
    assert result.exit_code == 3
    assert "Hint: badge keys generate --issuer ctq" in result.stderr


def test_verify_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("verify").exit_code == 2
    assert run("verify", str(tmp_path / "missing.json")).exit_code == 3
    assert run("verify", "x.json", "--url-map", "nonsense").exit_code in (2, 3)


def test_url_map_serves_a_credential_url_offline(ctq_key: Path, tmp_path: Path) -> None:
    out = _issue(tmp_path, "ob3-jwt")
    site = tmp_path / "site"
    (site / "credentials").mkdir(parents=True)
    (site / "credentials" / "sam.jwt").write_text(out.read_text())
    result = run(
        "verify",
        "https://badges.example.org/credentials/sam.jwt",
        "--offline",
        "--now",
        NOW,
        "--url-map",
        f"https://badges.example.org/={site}",
    )
    assert result.exit_code == 0, result.stdout + result.stderr


def test_demo_issues_and_verifies(tmp_path: Path) -> None:
    result = run("demo", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.count("VERIFIED:") == 2
    assert (tmp_path / "ctq-demo-credential.json").is_file() and (tmp_path / "ctq-demo-credential.jwt").is_file()


def test_partner_endorses_a_ctq_micro_credential(badge_home: Path, tmp_path: Path) -> None:
    assert run("keys", "generate", "--issuer", "digital-promise").exit_code == 0
    out = tmp_path / "endorsement.json"
    result = run(
        "endorse",
        "--issuer",
        "digital-promise",
        "--achievement",
        "writing-publicly-to-influence-parents",
        "--comment",
        "Grounded in classroom practice.",
        "--now",
        NOW,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["type"] == ["VerifiableCredential", "EndorsementCredential"]
    verified = run("verify", str(out), "--offline", "--now", NOW)
    assert verified.exit_code == 0, verified.stdout
    assert run("endorse", "--issuer", "digital-promise", "--comment", "x").exit_code == 2


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_issue_bake_and_qr_then_verify_the_image(ctq_key: Path, tmp_path: Path, suffix: str) -> None:
    baked = tmp_path / f"badge.{suffix}"
    qr = tmp_path / "qr.svg"
    _issue(tmp_path, "ob3-di", "--bake", str(baked), "--qr", str(qr), "--url", "https://verify.example.org/c/1")
    assert qr.read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
    result = run("verify", str(baked), "--offline", "--now", NOW)
    assert result.exit_code == 0, result.stdout
    assert f"baked into a {suffix.upper()} image" in result.stdout
    # a one-byte change inside the embedded payload makes it fail
    data = baked.read_bytes()
    i = data.index(b"Writing Publicly to Influence Parents")
    tampered = tmp_path / f"tampered.{suffix}"
    tampered.write_bytes(data[:i] + b"w" + data[i + 1 :])
    failed = run("verify", str(tampered), "--offline", "--now", NOW)
    assert failed.exit_code == 1, failed.stdout


def test_every_catalog_svg_has_a_png_rendition() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "scripts/render_badge_pngs.py", "--check"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
