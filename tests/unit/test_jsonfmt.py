"""openbadge_ctq.jsonfmt.pretty writes exactly what json.dumps(indent=2, ensure_ascii=False) writes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openbadge_ctq.jsonfmt import pretty
from tests.conftest import VECTORS

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(values)
def test_pretty_equals_json_dumps_on_generated_values(value: Any) -> None:
    assert pretty(value) == reference(value)


def test_pretty_equals_json_dumps_on_every_json_vector() -> None:
    files = sorted(Path(VECTORS).rglob("*.json"))
    assert len(files) > 20
    for path in files:
        value = json.loads(path.read_text(encoding="utf-8"))
        assert pretty(value) == reference(value), path


class Str(str):
    pass


def test_unusual_values_fall_back_to_json_dumps() -> None:
    odd: list[Any] = [
        {1: "int key", None: "none key", 2.5: "float key", False: "bool key"},
        {"subclass": Str("x")},
        [-0.0, math.pi, 1e300, -1e-300, 10**30],
        "\u2028 \ud800 \x00 \x7f é 😀",
        [[[[[]]]], {}, [{}]],
    ]
    for value in odd:
        assert pretty(value) == reference(value)


def test_deep_nesting_matches_json_dumps() -> None:
    value: Any = "leaf"
    for _ in range(300):
        value = [value]
    assert pretty(value) == reference(value)
