"""Write docs/cli.md from the ``badge`` command's own --help texts. ``--check`` fails when the file is stale."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from openbadge_ctq_cli.main import badge

OUT = Path(__file__).resolve().parents[1] / "docs" / "cli.md"

HEADER = """# The `badge` command

Generated from `badge --help` by `python scripts/gen_cli_docs.py` (a test checks it is current).

Global: `badge [--home DIR] COMMAND ...`. The badge home holds keys and, later, the registry; default `$BADGE_HOME`
or a per-user data folder. Key passphrases come from `BADGE_PASSPHRASE` or a prompt.

Exit codes: **0** ok / verified, **1** verification failed, **2** usage error, **3** any other error — printed as
`Error: …` (one line naming the thing, what was expected and what was found) and often `Hint: …` on stderr.
Every command has `--json` for machine-readable output on stdout.
"""


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        if command is None or command.hidden:
            continue
        out.append([*prefix, name])
        if isinstance(command, click.Group):
            out.extend(_commands(command, [*prefix, name]))
    return out


def render() -> str:
    runner = CliRunner()
    parts = [HEADER]
    for path in [[], *_commands(badge, [])]:
        result = runner.invoke(badge, [*path, "--help"], terminal_width=100)
        title = " ".join(["badge", *path])
        parts.append(f"\n## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
