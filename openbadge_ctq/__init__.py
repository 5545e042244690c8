"""openbadge_ctq: issue and verify education micro-credentials as Open Badges 2.0 and 3.0."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
