"""The loader's pathless pass over a document without aliases (load/yamlio.py `_plain`):
whenever it lets a document through, the full walk (`inspect`: keys that are not strings,
integers past 64 bits, .nan/.inf, nesting past MAX_DEPTH) finds nothing in it, and a file
parses to what the full walk alone would answer."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.load import yamlio

_SCALARS = st.one_of(
    st.text(max_size=3), st.booleans(), st.none(),
    st.integers(), st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True))
_KEYS = st.one_of(st.text(max_size=3), st.text(max_size=3), st.integers(-2, 2), st.booleans(), st.none(),
                  st.floats(allow_nan=True), st.tuples(st.integers(0, 1)))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=20)


def _full(value: Any) -> list[yamlio.Issue] | None:
    """The full walk's findings, None when it refuses the nesting."""
    try:
        return yamlio.inspect(value)
    except yamlio._TooDeep:
        return None


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_what_the_pass_lets_through_holds_nothing_to_report(value: Any) -> None:
    if yamlio._plain(value):
        assert _full(value) == []


def _nested(depth: int, leaf: Any, in_list: bool) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if in_list and i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("leaf", ["s", 1, None, True, 1.5, [], {}])
@pytest.mark.parametrize("in_list", [False, True])
def test_nesting_at_the_limit(leaf: Any, in_list: bool) -> None:
    for depth in range(yamlio.MAX_DEPTH - 3, yamlio.MAX_DEPTH + 4):
        value = _nested(depth, leaf, in_list)
        if yamlio._plain(value):
            assert _full(value) == [], depth
    assert yamlio._plain(_nested(10, leaf, in_list))  # a usual depth passes


@pytest.mark.parametrize("bad", [
    {1: "x"}, {True: "x"}, {None: "x"}, {1.5: "x"}, {(1, 2): "x"}, {"a": [{"b": {2: "x"}}]},
    {"a": 2**63}, {"a": [-(2**63) - 1]}, {"a": math.nan}, {"a": [math.inf]}, {"a": {"b": -math.inf}},
])
def test_each_kind_of_finding_stops_the_pass(bad: Any) -> None:
    assert _full(bad)
    assert not yamlio._plain(bad)


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, {c: 9223372036854775807}]\n",
    "a: 1\n1: x\n",
    "a: .nan\n",
    "a: [.inf, -.inf]\n",
    "? [a, b]\n: c\n",
    "a: 9223372036854775808\n",
    "null: x\n",
    "true: x\n---\nb: 1\n",
    "- a\n- {b: [1, 2, {c: d}]}\n",
    "a: x\n---\n1.5: y\n",
    "a: " + "[" * 70 + "]" * 70 + "\n",
    "a: " + "[" * 63 + "1" + "]" * 63 + "\n",
    "a: " + "[" * 64 + "1" + "]" * 64 + "\n",
    "a: " + "[" * 64 + "]" * 64 + "\n",
    "a: &x " + "y" * 600_000 + "\nb: [*x, *x]\n",  # aliases: the strings' size counts
])
def test_a_file_parses_as_the_full_walk_answers(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = yamlio.parse("f.yaml", text)
    monkeypatch.setattr(yamlio, "_plain", lambda value: False)
    assert repr(yamlio.parse("f.yaml", text)) == repr(fast)  # repr: nan is not equal to itself
