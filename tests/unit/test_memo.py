"""memo.py: the one place process-wide caches are declared, and emptied."""

from __future__ import annotations

import pytest

from i4qew import memo

calls: list[int] = []
kept = memo.held("tests.unit.test_memo.kept", {})


@memo.lru(8)
def double(x: int) -> int:
    calls.append(x)
    return 2 * x


def test_clear_empties_every_declared_cache() -> None:
    assert {"tests.unit.test_memo.double", "tests.unit.test_memo.kept"} <= set(memo.names())
    calls.clear()
    assert double(2) == double(2) == 4 and calls == [2]  # cached
    kept["k"] = 1
    memo.clear()
    assert kept == {}
    assert double(2) == 4 and calls == [2, 2]  # computed again, as in a fresh process


def test_a_cache_is_declared_once() -> None:
    with pytest.raises(RuntimeError, match="declared twice"):
        memo.held("tests.unit.test_memo.kept", {})
