"""Output helpers shared by every command: JSON to stdout, human text to stdout, diagnostics to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """The ``--json`` flag every command has; passed to the command as ``as_json``."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
