"""The curated public API: __all__ is sorted, complete and importable (the httpx rule)."""

from __future__ import annotations

import openbadge_ctq


def test_all_is_sorted_and_importable() -> None:
    names = openbadge_ctq.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(openbadge_ctq, name), name


def test_all_lists_every_public_name() -> None:
    public = {n for n in vars(openbadge_ctq) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(openbadge_ctq, n)).__name__ == "module"}
    assert public - modules == set(openbadge_ctq.__all__) - {"__version__"}
