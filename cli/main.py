"""The ``badge`` group, its global options and the one error boundary.

Exit codes: 0 ok/verified, 1 verification failed, 2 usage error (click), 3 any other BadgeError.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from openbadge_ctq import __version__
from openbadge_ctq.errors import BadgeError

from .context import AppContext, default_home

EXIT_ERROR = 3


class BadgeGroup(click.Group):
    """Turns every BadgeError into ``Error: ...`` / ``Hint: ...`` on stderr and exit code 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BadgeError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            ctx.exit(EXIT_ERROR)
        except OSError as exc:  # disk full, permission denied, missing file outside click's checks
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            click.echo(f"Error: cannot access{name}: {exc.strerror or exc}", err=True)
            ctx.exit(EXIT_ERROR)


@click.group(cls=BadgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="badge")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Badge home (keys, issued credentials). Default: $BADGE_HOME or a per-user data folder.",
)
@click.pass_context
def badge(ctx: click.Context, home: Path | None) -> None:
    """Issue and verify Open Badges 2.0/3.0 micro-credentials."""
    ctx.obj = AppContext(home=home if home is not None else default_home())


def _register() -> None:
    from .commands import ALL_COMMANDS

    for command in ALL_COMMANDS:
        badge.add_command(command)


_register()


def main() -> None:
    """Entry point of the ``badge`` console script."""
    sys.exit(badge.main(prog_name="badge", standalone_mode=True))
