"""``badge catalog list`` and ``badge catalog show``: human output, JSON shape, home issuers and errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from openbadge_ctq.resources import data_dir
from openbadge_ctq_cli.commands.catalog import catalog
from openbadge_ctq_cli.main import badge

if "catalog" not in badge.commands:
    badge.add_command(catalog)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(badge, ["--home", str(home), "catalog", *args], catch_exceptions=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_list_shows_stacks_with_members_then_certificates(home: Path) -> None:
    result = run(home, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Stacks and micro-credentials"
    stack_line = next(i for i, line in enumerate(lines) if line.startswith("going-public-with-policy-and-pedagogy"))
    assert "Going Public with Policy & Pedagogy" in lines[stack_line] and "2 of 4" in lines[stack_line]
    assert lines[stack_line + 1].startswith("  writing-publicly-to-influence-colleagues ")
    assert "in-development" in next(line for line in lines if line.startswith("performance-assessment-for-learning"))
    cert_header = lines.index("Certificates")
    assert cert_header > stack_line
    assert any(
        line.startswith("teachingpartners-certificate-of-completion") and "6 h per workshop" in line
        for line in lines[cert_header:]
    )


def test_list_json_shape(home: Path) -> None:
    result = run(home, "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["issuers", "partners", "stacks", "microCredentials", "certificates"]
    assert {org["id"] for org in data["issuers"]} >= {"ctq", "teachingpartners", "riverbend"}
    assert {org["id"] for org in data["partners"]} == {"digital-promise", "bloomboard", "cce", "scope"}
    going_public = next(s for s in data["stacks"] if s["id"] == "going-public-with-policy-and-pedagogy")
    assert going_public["required"] == 2 and len(going_public["members"]) == 4
    wpi = next(m for m in data["microCredentials"] if m["id"] == "writing-publicly-to-influence-parents")
    assert wpi["requirements"]["overview"]["maxWordsTotal"] == 500
    assert wpi["rubric"]["criteria"][0]["requiredLevel"] == "proficient"
    assert data["certificates"][0]["hoursPerWorkshop"] == 6


def test_show_micro_credential(home: Path) -> None:
    result = run(home, "show", "writing-publicly-to-influence-policymakers")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0] == "Writing Publicly to Influence Policymakers"
    assert "Overview questions (500 words in total)" in out
    assert "published within 24 months" in out
    assert "video of at most 240 s = 4 min, or PDF of at most 1000 words" in out
    assert "    * Proficient [3]:" in out and "      Exemplary [4]:" in out
    assert "https://teachingpartners.com/collaboratives/stories-of-impact/" in out
    assert "Tags:" in out and "policymakers" in out


def test_show_json(home: Path) -> None:
    result = run(home, "show", "cultivating-a-shared-purpose", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    assert data["kind"] == "microCredential"
    assert data["id"] == "cultivating-a-shared-purpose"
    assert data["stack"] == "collective-leadership"
    assert Path(data["imageFile"]).is_file()


@pytest.mark.parametrize(
    ("entry_id", "expected"),
    [
        ("collective-leadership", ["Rule:         all 2", "- cultivating-a-shared-purpose:"]),
        ("virtual-community-organizing", ["cannot be awarded from this catalog", "(none listed)"]),
        ("teachingpartners-certificate-of-completion", ["6 hours of active participation per workshop"]),
        ("ctq", ["Center for Teaching Quality", "Roles:        issuer, creator", "did:key"]),
        ("riverbend", ["Publishes at: https://riverbend.example/badges/"]),
    ],
)
def test_show_other_kinds(home: Path, entry_id: str, expected: list[str]) -> None:
    result = run(home, "show", entry_id)
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output


def test_show_organization_json_kind(home: Path) -> None:
    data = json.loads(run(home, "show", "scope", "--json").output)
    assert data["kind"] == "organization" and data["url"] == "https://edpolicy.stanford.edu"


def test_show_unknown_id_is_an_error_with_hint(home: Path) -> None:
    result = run(home, "show", "writing-publicly")
    assert result.exit_code == 3
    assert "Error: expected the id of a stack, micro-credential or certificate" in result.output
    assert "Hint: run 'badge catalog list'" in result.output


def test_home_issuers_are_loaded(home: Path) -> None:
    folder = home / "issuers" / "lakeside"
    folder.mkdir(parents=True)
    (folder / "profile.json").write_text(
        json.dumps(
            {
                "id": "lakeside",
                "name": "Lakeside Academy (fictional)",
                "url": "https://lakeside.example",
                "roles": ["issuer"],
            }
        ),
        encoding="utf-8",
    )
    certificate = {
        "id": "lakeside-workshop-certificate",
        "name": "Lakeside Workshop Certificate",
        "description": "A fictional certificate.",
        "criteriaNarrative": "Attend the workshops.",
        "issuer": "lakeside",
        "hoursPerWorkshop": 2,
        "status": "active",
    }
    (folder / "catalog.json").write_text(json.dumps({"certificates": [certificate]}), encoding="utf-8")
    result = run(home, "list")
    assert result.exit_code == 0, result.output
    assert "lakeside-workshop-certificate" in result.output and "2 h per workshop" in result.output
    shown = json.loads(run(home, "show", "lakeside-workshop-certificate", "--json").output)
    assert shown["achievementType"] == "CertificateOfCompletion"


def test_broken_home_catalog_names_file_and_pointer(home: Path) -> None:
    shutil.copytree(data_dir("issuers") / "ctq", home / "issuers" / "ctq")
    path = home / "issuers" / "ctq" / "catalog.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["microCredentials"][3]["rubric"]["criteria"][0]["requiredLevel"] = "competent"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run(home, "list")
    assert result.exit_code == 3
    assert f"Error: {path}#/microCredentials/3/rubric/criteria/0/requiredLevel: expected one of" in result.output
    assert "found 'competent'" in result.output


def test_badge_home_environment_variable(badge_home: Path) -> None:
    (badge_home / "issuers").mkdir(parents=True)
    result = CliRunner().invoke(badge, ["catalog", "show", "ctq", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["id"] == "ctq"
