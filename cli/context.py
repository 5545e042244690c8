"""What every command gets from the ``badge`` group: the badge home and how to ask for a passphrase."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click
import platformdirs

PASSPHRASE_ENV = "BADGE_PASSPHRASE"


@dataclass(frozen=True)
class AppContext:
    home: Path

    def passphrase(self, *, confirm: bool = False) -> bytes:
        """The key passphrase: ``BADGE_PASSPHRASE`` if set, else a prompt (never echoed)."""
        value = os.environ.get(PASSPHRASE_ENV)
        if value is None:
            value = click.prompt("Key passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
        return value.encode("utf-8")


def default_home() -> Path:
    env = os.environ.get("BADGE_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("openbadge_ctq", appauthor=False))


def app(ctx: click.Context) -> AppContext:
    obj = ctx.find_object(AppContext)
    if obj is None:  # a command invoked on its own (tests)
        obj = AppContext(home=default_home())
    return obj
