"""The docs tell the truth: every command, check id and error code is documented; docs/cli.md is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openbadge_ctq.errors as errors
from openbadge_ctq.verify import CHECK_IDS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_cli_docs.py", "--check"], cwd=DOCS.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_command_has_help_and_is_documented() -> None:
    import click

    from openbadge_ctq_cli.main import badge

    text = (DOCS / "cli.md").read_text()
    for name, command in badge.commands.items():
        assert command.help or command.short_help, f"badge {name} has no help text"
        assert f"## `badge {name}`" in text
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert f"## `badge {name} {sub}`" in text


def test_every_check_id_is_documented() -> None:
    text = (DOCS / "verifying.md").read_text()
    for check_id in CHECK_IDS:
        assert f"| `{check_id}` |" in text, f"check id {check_id} is missing from docs/verifying.md"


def test_every_error_class_and_code_is_documented() -> None:
    text = (DOCS / "errors.md").read_text()
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert f"`{name}`" in text, f"{name} is missing from docs/errors.md"
        assert f"`{cls.code}`" in text, f"code {cls.code} is missing from docs/errors.md"


def test_error_messages_are_one_line_and_carry_hints() -> None:
    exc = errors.KeyMaterialError("issuer 'ctq' has no key", hint="badge keys generate --issuer ctq")
    assert str(exc) == "issuer 'ctq' has no key" and exc.hint and exc.code == "key_error"
    cat = errors.CatalogError("expected x, found y", file="issuers/ctq/catalog.json", pointer="/stacks/0")
    assert str(cat) == "issuers/ctq/catalog.json#/stacks/0: expected x, found y"
    assert isinstance(cat, ValueError)
