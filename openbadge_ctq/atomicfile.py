"""Atomic, private file writes: the one primitive behind every disk write of the library (key store, workflow store).

A temporary file is created next to the target with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600, written,
fsynced, renamed over the target, and the folder is fsynced: a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import StoreError

__all__ = ["fsync_dir", "write_atomic"]


def write_atomic(path: Path, data: bytes, *, what: str = "", must_not_exist: bool = False) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600. Raises StoreError (naming ``what`` or the path)."""
    name = what or str(path)
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot write in {directory}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if must_not_exist and path.exists():
            raise StoreError(f"{name} already exists")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {name}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX)."""
    if os.name != "posix":  # pragma: no cover - directory fsync is POSIX-only
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
