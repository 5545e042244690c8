"""Every ``badge`` sub-command, in the order ``badge --help`` lists them."""

from __future__ import annotations

import click

ALL_COMMANDS: list[click.Command] = []
