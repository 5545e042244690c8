"""Every ``badge`` sub-command, in the order ``badge --help`` lists them."""

from __future__ import annotations

import click

from .bake import bake, certificate, qr, share, unbake
from .catalog import catalog
from .demo import demo
from .did import did
from .endorse import endorse
from .issue import issue
from .keys import keys
from .ob2 import migrate, ob2
from .publish import PUBLISH_COMMANDS
from .registry import REGISTRY_COMMANDS
from .serve import serve, token
from .verify import verify
from .workflow import apply, award, progress, review, stack, workshop

ALL_COMMANDS: list[click.Command] = [
    demo,
    catalog,
    keys,
    did,
    issue,
    endorse,
    apply,
    review,
    award,
    stack,
    workshop,
    progress,
    verify,
    serve,
    token,
    bake,
    unbake,
    qr,
    certificate,
    share,
    ob2,
    migrate,
    *REGISTRY_COMMANDS,
    *PUBLISH_COMMANDS,
]
