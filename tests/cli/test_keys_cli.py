"""``badge keys``: generate, list, show, check, retire, revoke through the real ``badge`` group."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openbadge_ctq_cli.commands.keys import keys
from openbadge_ctq_cli.main import badge

badge.commands.setdefault("keys", keys)


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(badge, ["keys", *args], input=input)


def generate_json(*args: str) -> dict[str, object]:
    result = run("generate", "--issuer", "ctq", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_generate_list_show(badge_home: Path) -> None:
    result = run("generate", "--issuer", "ctq")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Generated ctq/key-")
    assert "(ed25519, active)" in result.stdout

    listed = run("list")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ISSUER", "KEY", "ID", "TYPE", "STATUS", "CREATED", "ENCRYPTED"]
    assert row.split()[0] == "ctq" and row.split()[2:4] == ["ed25519", "active"] and row.split()[-1] == "yes"

    shown = run("show", "--issuer", "ctq")
    assert shown.exit_code == 0, shown.stderr
    assert "did:key:z6Mk" in shown.stdout
    assert "-----BEGIN PUBLIC KEY-----" in shown.stdout
    assert "PRIVATE" not in shown.stdout

    data = json.loads(run("show", "--issuer", "ctq", "--json").stdout)
    assert data["issuer"] == "ctq"
    assert data["type"] == "ed25519"
    assert data["didKey"] == "did:key:" + data["publicKeyMultibase"]
    assert data["publicKeyJwk"]["kty"] == "OKP"
    assert data["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "privateKeyPem" not in data and "d" not in data["publicKeyJwk"]

    key_file = badge_home / "keys" / "ctq" / f"{data['keyId']}.json"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    listed_json = json.loads(run("list", "--issuer", "ctq", "--json").stdout)
    assert [k["keyId"] for k in listed_json] == [data["keyId"]]


def test_generate_other_types_and_rotation(badge_home: Path) -> None:
    first = generate_json()
    p256 = generate_json("--type", "p256")
    assert str(p256["publicKeyMultibase"]).startswith("zDn")
    rsa = generate_json("--type", "rsa", "--rsa-bits", "2048")
    assert rsa["publicKeyMultibase"] is None and rsa["didKey"] is None
    second = generate_json()
    assert second["retired"] == [first["keyId"]]
    statuses = {k["keyId"]: k["status"] for k in json.loads(run("list", "--json").stdout)}
    assert statuses == {
        first["keyId"]: "retired",
        p256["keyId"]: "active",
        rsa["keyId"]: "active",
        second["keyId"]: "active",
    }
    shown = json.loads(run("show", "--issuer", "ctq", "--key-id", str(first["keyId"]), "--json").stdout)
    assert shown["status"] == "retired"
    text = run("generate", "--issuer", "ctq")
    assert f"Retired ctq/{second['keyId']}" in text.stdout


def test_check_passphrase(badge_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = generate_json()["keyId"]
    ok = run("check", "--issuer", "ctq")
    assert ok.exit_code == 0
    assert ok.stdout == f"passphrase OK (ctq/{key_id})\n"

    monkeypatch.setenv("BADGE_PASSPHRASE", "wrong passphrase")
    bad = run("check", "--issuer", "ctq")
    assert bad.exit_code == 3
    assert bad.stdout == ""
    errors = [line for line in bad.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: the passphrase does not decrypt key ctq/{key_id}"]
    assert bad.stderr.splitlines()[1].startswith("Hint: BADGE_PASSPHRASE (or the prompt)")
    assert len(bad.stderr.splitlines()) == 2
    assert "wrong passphrase" not in bad.stderr


def test_passphrase_prompt_when_no_environment(badge_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BADGE_PASSPHRASE")
    made = run("generate", "--issuer", "ctq", input="typed secret\ntyped secret\n")
    assert made.exit_code == 0, made.stderr
    assert "typed secret" not in made.stdout + made.stderr
    assert run("check", "--issuer", "ctq", input="typed secret\n").exit_code == 0
    assert run("check", "--issuer", "ctq", input="other\n").exit_code == 3


def test_unencrypted_needs_the_flag_and_warns(badge_home: Path) -> None:
    result = run("generate", "--issuer", "ctq", "--unencrypted", "--json")
    assert result.exit_code == 0
    assert "UNENCRYPTED" in result.stderr
    data = json.loads(result.stdout)
    assert data["encrypted"] is False
    key_file = badge_home / "keys" / "ctq" / f"{data['keyId']}.json"
    assert "-----BEGIN PRIVATE KEY-----" in key_file.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert run("list").stdout.split()[-1] == "NO"
    checked = run("check", "--issuer", "ctq")
    assert checked.exit_code == 0
    assert "not encrypted" in checked.stderr


def test_retire_and_revoke(badge_home: Path) -> None:
    key_id = str(generate_json()["keyId"])
    retired = run("retire", "--issuer", "ctq", "--key-id", key_id)
    assert retired.exit_code == 0
    assert retired.stdout == f"Retired ctq/{key_id} (ed25519, retired)\n"
    no_active = run("check", "--issuer", "ctq")
    assert no_active.exit_code == 3
    assert "Hint: badge keys generate --issuer ctq" in no_active.stderr
    assert run("revoke", "--issuer", "ctq", "--key-id", key_id, input="n\n").exit_code == 1
    revoked = run("revoke", "--issuer", "ctq", "--key-id", key_id, "--yes", "--json")
    assert revoked.exit_code == 0
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert "privateKeyPem" not in (badge_home / "keys" / "ctq" / f"{key_id}.json").read_text(encoding="utf-8")
    gone = run("check", "--issuer", "ctq", "--key-id", key_id)
    assert gone.exit_code == 3
    assert "is revoked" in gone.stderr


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("generate", "--issuer", "../evil"), 3, "Error: issuer id '../evil' must be"),
        (("generate", "--issuer", "ctq", "--type", "rsa", "--rsa-bits", "1024"), 3, "1024 bits is refused"),
        (("generate", "--issuer", "ctq", "--rsa-bits", "4096"), 2, "only applies to --type rsa"),
        (("generate", "--issuer", "ctq", "--type", "dsa"), 2, "'dsa' is not one of"),
        (("show", "--issuer", "ctq"), 3, "Hint: badge keys generate --issuer ctq"),
        (("show", "--issuer", "ctq", "--key-id", "key-x"), 3, "Error: issuer 'ctq' has no key 'key-x'"),
        (("generate",), 2, "Missing option '--issuer'"),
    ],
)
def test_errors(badge_home: Path, args: tuple[str, ...], code: int, text: str) -> None:
    result = run(*args)
    assert result.exit_code == code
    assert text in result.stderr
    assert not (badge_home / "keys" / "ctq").exists() or not list((badge_home / "keys" / "ctq").iterdir())


def test_list_empty(badge_home: Path) -> None:
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "No keys.\n"
    assert json.loads(run("list", "--json").stdout) == []
