"""The registry through the ``badge`` command: issue records, list, revoke/suspend/reinstate, status publish and
verify --url-map (the flow docs/registry.md describes), and bulk issuance from a roster."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openbadge_ctq.bake import unbake_image
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.store import KeyStore
from openbadge_ctq_cli.main import badge

from ..unit.test_registry import KEY

NOW = "2026-11-23T12:00:00Z"
LATER = "2026-11-30T12:00:00Z"
CTQ_BASE = "https://badges.ctq.example/"
ROSTER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "roster.csv"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(badge, list(args), env=env)


@pytest.fixture
def home(badge_home: Path) -> Path:
    """A badge home with the fixed Ed25519 key for ctq and riverbend, and ctq given a baseUrl (docs/registry.md)."""
    store = KeyStore(badge_home, kdf_rounds=MIN_PBKDF2_ROUNDS)
    for issuer in ("ctq", "riverbend"):
        store.add(issuer, KEY.private_key, passphrase=b"correct horse battery staple")
    return badge_home


def give_ctq_a_base_url(home: Path) -> None:
    folder = home / "issuers" / "ctq"
    folder.mkdir(parents=True)
    profile = {
        "id": "ctq",
        "name": "Center for Teaching Quality",
        "url": "https://www.teachingquality.org",
        "roles": ["issuer", "creator"],
        "baseUrl": CTQ_BASE,
    }
    (folder / "profile.json").write_text(json.dumps(profile), encoding="utf-8")


def issue_one(out: Path, email: str = "sam@example.org", *extra: str) -> str:
    result = run(
        "issue",
        "--issuer",
        "ctq",
        "--achievement",
        "writing-publicly-to-influence-parents",
        "--recipient",
        email,
        "--now",
        NOW,
        "--out",
        str(out),
        "--json",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["id"])


def listed(*args: str) -> list[dict[str, object]]:
    result = run("list", "--json", *args)
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_every_issued_credential_is_recorded(home: Path, tmp_path: Path) -> None:
    first = issue_one(tmp_path / "a.json", "Sam@Example.org")
    second = issue_one(tmp_path / "b.json", "kim@example.org", "--store-email", "--actor", "registrar")
    assert (home / "registry.sqlite").is_file()
    rows = listed()
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["recipientEmail"] is None and rows[1]["recipientEmail"] == "kim@example.org"
    assert rows[0]["statusMethod"] == "none"  # ctq as packaged has no baseUrl: nowhere to publish status
    assert [r["id"] for r in listed("--recipient", "sam@EXAMPLE.org")] == [first]
    assert listed("--achievement", "cultivating-a-shared-purpose") == []
    assert listed("--since", "2026-11-24") == [] and len(listed("--until", "2026-11-24")) == 2
    table = run("list")
    assert table.exit_code == 0 and table.stdout.splitlines()[0].split() == [
        "ID",
        "ACHIEVEMENT",
        "STATE",
        "ISSUED",
        "STATUS",
        "REASON",
    ]
    assert first in table.stdout and "2026-11-23" in table.stdout


def test_revoke_suspend_reinstate(home: Path, tmp_path: Path) -> None:
    give_ctq_a_base_url(home)
    cid = issue_one(tmp_path / "c.json")
    assert listed()[0]["statusMethod"] == "1edtech"
    result = run("suspend", cid, "--reason", "inquiry", "--now", LATER)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Suspended {cid}"
    assert "badge status publish --issuer ctq --out DIR" in result.stderr
    assert [r["id"] for r in listed("--status", "suspended")] == [cid]
    result = run("reinstate", cid, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["state"] == "active"
    assert run("revoke", cid).exit_code == 2  # --reason is required
    result = run("revoke", cid, "--reason", "Issued in error", "--actor", "registrar", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stateReason"] == "Issued in error"
    result = run("reinstate", cid)
    assert result.exit_code == 3
    assert "revocation is final: it cannot be reinstated" in result.stderr
    assert "Hint: issue a new credential if it was revoked in error" in result.stderr
    missing = run("suspend", "urn:uuid:00000000-0000-4000-8000-000000000000")
    assert missing.exit_code == 3 and "the registry has no credential" in missing.stderr


def test_publish_then_verify_with_url_map(home: Path, tmp_path: Path) -> None:
    give_ctq_a_base_url(home)
    credential = tmp_path / "credential.json"
    cid = issue_one(credential)
    site = tmp_path / "site"
    (site / ".well-known").mkdir(parents=True)
    did = run("did", "document", "--issuer", "ctq")
    assert did.exit_code == 0
    (site / ".well-known" / "did.json").write_text(did.stdout, encoding="utf-8")

    def publish() -> Result:
        result = run("status", "publish", "--issuer", "ctq", "--out", str(site), "--now", LATER)
        assert result.exit_code == 0, result.output
        return result

    def verify() -> Result:
        return run("verify", str(credential), "--url-map", f"{CTQ_BASE}={site}", "--now", LATER, "--offline")

    published = publish()
    assert published.stdout.strip() == str(site / "status" / "revocations.json")
    assert f"Upload {site} to {CTQ_BASE}" in published.stderr
    assert "The DID document belongs at .well-known/did.json" in published.stderr
    result = verify()
    assert result.exit_code == 0, result.output
    assert "not listed as revoked" in result.stdout
    assert run("suspend", cid).exit_code == 0
    publish()
    result = verify()
    assert result.exit_code == 1 and "the credential is revoked: Suspended" in result.stdout
    assert run("reinstate", cid).exit_code == 0
    publish()
    assert verify().exit_code == 0
    assert run("revoke", cid, "--reason", "Issued in error").exit_code == 0
    data = json.loads(run("status", "publish", "--issuer", "ctq", "--out", str(site), "--json").stdout)
    assert data["revocationList"] == {"revoked": 1, "suspended": 0} and data["lists"] == []
    result = verify()
    assert result.exit_code == 1 and "the credential is revoked: Issued in error" in result.stdout


def test_bulk_issue_with_report_baked_badges_and_qr_codes(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.csv"
    args = ["issue", "--issuer", "riverbend", "--csv", str(ROSTER), "--now", NOW, "--report", str(report)]
    result = run(*args, "--out-dir", str(out), "--bake", "svg", "--qr", "png")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Issued 3, already issued 0, failed 0 of 3 rows; report: {report}"
    assert "Issuing" not in result.stderr  # no progress bar when stderr is not a terminal
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["outcome"]) for r in rows] == [("2", "issued"), ("3", "issued"), ("4", "issued")]
    assert rows[0]["recipient_email"] == "maria.garcia@example.org"
    records = {r["id"]: r for r in listed()}
    assert set(records) == {r["credential_id"] for r in rows}
    for row in rows:
        files = [Path(f) for f in row["files"].split(";")]
        assert [f.suffix for f in files] == [".json", ".svg", ".png"]
        document = files[0].read_text(encoding="utf-8")
        assert json.loads(document)["id"] == row["credential_id"]
        assert unbake_image(files[1].read_bytes()).payload.strip() == document.strip()
        assert files[2].read_bytes().startswith(b"\x89PNG")
    # running it again issues nothing, and says so
    again = run(*args[:-2], "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert (summary["issued"], summary["skipped"], summary["failed"]) == (0, 3, 0)
    assert [r["credentialId"] for r in summary["results"]] == [r["credential_id"] for r in rows]
    assert len(listed()) == 3


def test_bulk_issue_reports_bad_rows_and_exits_1(home: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(
        b"recipient_email,achievement,level\n"
        b"ok@example.org,riverbend-home-reading-routines,\n"
        b"nope,riverbend-home-reading-routines,\n"
        b"low@example.org,riverbend-home-reading-routines,beginning\n"
    )
    report = tmp_path / "report.json"
    result = run("issue", "--issuer", "riverbend", "--csv", str(roster), "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "Issued 1, already issued 0, failed 2 of 3 rows" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["complete"] is True
    assert [(r["row"], r["outcome"]) for r in data["rows"]] == [(2, "issued"), (3, "error"), (4, "error")]
    assert "not a valid email address" in data["rows"][1]["reason"]
    without_report = run("issue", "--issuer", "riverbend", "--csv", str(roster))
    assert without_report.exit_code == 1
    assert "  row 3: recipient email 'nope' is not a valid email address" in without_report.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--achievement", "riverbend-home-reading-routines"], "--achievement cannot be used with --csv"),
        (["--bake", "svg"], "--bake and --qr write one file per row: give --out-dir DIR"),
        (["--bake", "badge.gif", "--out-dir", "x"], "with --csv, --bake takes an image format: png or svg"),
        (["--report", "r.txt"], "the report must end in .csv or .json"),
        (["--format", "ob2-hosted"], "--csv issues Open Badges 3.0 credentials"),
    ],
)
def test_bulk_usage_errors(home: Path, extra: list[str], message: str) -> None:
    result = run("issue", "--issuer", "riverbend", "--csv", str(ROSTER), *extra)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_roster_that_cannot_be_read_stops_before_anything_is_issued(home: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"recipient_email;achievement\n")
    result = run("issue", "--issuer", "riverbend", "--csv", str(roster))
    assert result.exit_code == 3
    assert "unknown column 'recipient_email;achievement'" in result.stderr
    assert "Hint: the file must be comma-separated" in result.stderr
    assert not (home / "registry.sqlite").exists()


def test_db_option_and_environment(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    issue_one(tmp_path / "a.json", "a@example.org", "--db", url)
    assert not (home / "registry.sqlite").exists()
    assert len(listed("--db", url)) == 1
    assert len(CliRunner().invoke(badge, ["list", "--json"], env={"BADGE_DB": url}).stdout) > 2
    assert listed() == []  # the default registry in the home is another, empty one
    bad = run("list", "--db", "mysql://u@h/db")
    assert bad.exit_code == 3 and "'mysql' is not supported" in bad.stderr
