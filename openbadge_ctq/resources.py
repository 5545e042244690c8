"""Find the data shipped with the package: JSON-LD contexts, JSON Schemas and issuer catalogs.

Works from a wheel install (package data) and from an editable install (the repository's ``schemas/`` and
``issuers/`` folders, which setuptools maps into the package but a default editable install does not expose to
``importlib.resources``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["data_dir"]

_REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    """Return the folder of packaged data ``name`` ("contexts", "schemas" or "issuers")."""
    if name not in {"contexts", "schemas", "issuers"}:
        raise ValueError(f"unknown packaged data folder {name!r}")
    try:
        candidate = Path(str(resources.files("openbadge_ctq") / name))
        if candidate.is_dir() and any(p.suffix in {".json", ".jsonld"} or p.is_dir() for p in candidate.iterdir()):
            return candidate
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover - broken install
        pass
    fallback = _REPO_ROOT / name
    if fallback.is_dir():
        return fallback
    raise FileNotFoundError(f"packaged data folder {name!r} is missing; reinstall openbadge_ctq")  # pragma: no cover
