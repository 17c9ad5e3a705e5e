"""Per-cluster loads (placement/loads.py via capacity.cluster_loads) equal the plain sum."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.placement import loads
from i4qew.placement.capacity import cluster_loads

RESOURCES = ("cpu", "memory", "nvidia.com/gpu")


def plain(size: int, placed: list[tuple[int, dict[str, int]]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for bits, req in placed:
        for res, v in req.items():
            if bits:
                load = out.setdefault(res, [0] * size)
                for i in range(size):
                    if bits >> i & 1:
                        load[i] += v
    return out


@st.composite
def placements(draw: st.DrawFn) -> tuple[int, list[tuple[int, dict[str, int]]]]:
    size = draw(st.integers(0, 80))
    vectors = draw(st.lists(st.dictionaries(st.sampled_from(RESOURCES), st.integers(1, 2**40), min_size=1),
                            min_size=1, max_size=3))
    sets = st.integers(0, (1 << size) - 1) if size else st.just(0)
    placed = draw(st.lists(st.tuples(sets, st.sampled_from(vectors)), max_size=300))
    return size, placed


@settings(max_examples=150, deadline=None)
@given(placements())
def test_loads_equal_the_plain_sum(case: tuple[int, list[tuple[int, dict[str, int]]]]) -> None:
    size, placed = case
    assert cluster_loads(size, placed) == plain(size, placed)


def test_more_sets_than_a_counter_holds_and_sums_past_a_field() -> None:
    size = 20
    many = [((1 << size) - 1, {"cpu": 3}) for _ in range(3 * loads.CHUNK + 7)]
    assert cluster_loads(size, many) == {"cpu": [3 * len(many)] * size}
    huge = [((1 << size) - 1, {"memory": 2**62}) for _ in range(loads.MIN_SETS + 4)]
    assert cluster_loads(size, huge) == {"memory": [2**62 * len(huge)] * size}


def test_counted_groups_take_the_big_int_path() -> None:
    by_req = {(("cpu", 5),): [1, 3, 5, 7], (("cpu", 1),): [1]}
    counted, few = loads.split_by_count(3, by_req)
    assert [r for r, _ in counted] == [(("cpu", 5),)] and [r for r, _ in few] == [(("cpu", 1),)]
    assert loads.weighted_loads(3, counted) == {"cpu": [20, 10, 10]}
