"""The indexed evaluation (bitsets over a label index) equals the naive one
(`Selector.matches` against every cluster) on random fleets and selectors."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.k8s.selectors import Requirement, Selector
from i4qew.model.repo import Predicate, Repo, Repository
from i4qew.placement.bits import LabelIndex, first, first_members, from_ids, members
from i4qew.placement.decide import Planner
from i4qew.placement.inventory import CLUSTERSET_LABEL, Cluster, Inventory, as_hub_stores

KEYS = ["site", "tier", "role", "gpu", CLUSTERSET_LABEL]
VALUES = ["a", "b", "c", ""]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=len(KEYS))


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    key = draw(st.sampled_from(KEYS))
    op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
    values = tuple(draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=3))) if op in ("In", "NotIn") else ()
    return Requirement(key, op, values)


selectors = st.lists(requirements(), max_size=4).map(lambda rs: Selector(tuple(rs)))
fleets = st.lists(st.tuples(labels, labels), max_size=70)


def inventory_of(fleet: list[tuple[dict[str, str], dict[str, str]]]) -> Inventory:
    """As the inventory loader reads them: the clusterset label as the hub stores it."""
    stored = [(as_hub_stores(lab), claims) for lab, claims in fleet]
    clusters = tuple(Cluster(f"c{i:03d}", lab, claims, {"cpu": Fraction(1)}, (), lab[CLUSTERSET_LABEL])
                     for i, (lab, claims) in enumerate(stored))
    return Inventory(clusters)


def planner_of(inv: Inventory) -> Planner:
    repository = Repository("t", "", None, False, "subscription", "Placement", ("global",), (), "ns",
                            "arch.edge.i4q.eu/", "gpu.edge.i4q.eu/nvidia", 85, {}, None)
    return Planner(Repo(repository, ()), inv)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(fleets, selectors)
def test_selector_index_equals_naive(fleet: list[tuple[dict[str, str], dict[str, str]]], sel: Selector) -> None:
    inv = inventory_of(fleet)
    naive = [c.name for c in inv.clusters if sel.matches(c.labels)]
    assert inv.cluster_names(inv.labels.selector(sel)) == naive


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(fleets, st.lists(st.tuples(selectors, selectors), min_size=1, max_size=3),
       st.lists(st.sampled_from(["a", "b", "default", "global"]), min_size=1, max_size=2))
def test_predicates_and_sets_equal_naive(fleet: list[tuple[dict[str, str], dict[str, str]]],
                                         preds: list[tuple[Selector, Selector]], sets: list[str]) -> None:
    """ORed predicates (labels AND claims) within cluster sets, as OCM defines them."""
    inv = inventory_of(fleet)
    planner = planner_of(inv)
    predicates = tuple(Predicate(lab, cla) for lab, cla in preds)
    got = planner.sets(tuple(sets)) & planner.predicates(predicates)

    def in_sets(c: Cluster) -> bool:
        # The hub's webhook: a missing or empty clusterset label means `default`.
        own = fleet[int(c.name[1:])][0].get(CLUSTERSET_LABEL) or "default"
        return "global" in sets or own in sets

    naive = [c.name for c in inv.clusters
             if in_sets(c) and any(p.labels.matches(c.labels) and p.claims.matches(c.claims) for p in predicates)]
    assert inv.cluster_names(got) == naive


@given(st.sets(st.integers(0, 300)), st.integers(0, 400))
def test_bitset_members_and_first(ids: set[int], count: int) -> None:
    bits = from_ids(ids, 301)
    assert members(bits) == sorted(ids)
    assert members(first(bits, count)) == sorted(ids)[:count]
    assert first_members(bits, count) == sorted(ids)[:count]


@pytest.mark.parametrize("step", [1, 2, 7, 9])
@pytest.mark.parametrize("count", [1, 3, 8, 63, 64, 65, 100, 255])
def test_first_of_dense_sets(step: int, count: int) -> None:
    """Sets with more members than `count`, members in one byte and across bytes: first
    peels (up to 64) or cuts the set after its count-th member; first_members stops there."""
    ids = list(range(5, 3000, step))
    bits = from_ids(ids, 3000)
    assert first_members(bits, count) == ids[:count]
    assert members(first(bits, count)) == ids[:count]


@pytest.mark.parametrize("spread", [1, 254, 255, 300])
def test_index_of_keys_with_few_and_many_values(spread: int) -> None:
    """A key with fewer values than a byte can code is indexed in one scan (every value's set at
    once), one with more (OCM's per-cluster `name`) by ids per value: the same sets either way,
    absent values and clusters without the key included."""
    maps = [{} if i % 7 == 0 else {"name": f"n{i}", "zone": f"z{i % spread}"} for i in range(800)]
    for key in ("zone", "name", "absent"):
        index = LabelIndex(maps)  # (a value's set asked for first: the key is indexed on that call)
        values = sorted({m[key] for m in maps if key in m})
        for value in [*values[:40], *values[-3:], "z-none"]:
            assert members(index.with_value(key, value)) == [i for i, m in enumerate(maps) if m.get(key) == value]
        assert index.values(key) == values
        assert members(index.with_key(key)) == [i for i, m in enumerate(maps) if key in m]
    assert LabelIndex([]).with_value("zone", "z1") == 0 and LabelIndex([]).values("zone") == []


@pytest.mark.parametrize("spread", [1, 254, 255, 300])
def test_keys_indexed_together_give_the_sets_of_keys_indexed_alone(spread: int) -> None:
    """LabelIndex.prefetch indexes several keys in one pass over the mappings: every value's set,
    every key's and the values are those a key indexed on its own gets (keys of few and of many
    values, a key no cluster has, a key named twice, one indexed already)."""
    maps = [{} if i % 7 == 0 else {"name": f"n{i}", "zone": f"z{i % spread}", **({"gpu": "yes"} if i % 3 else {})}
            for i in range(800)]
    keys = ["zone", "name", "absent", "gpu", "zone"]
    together, alone = LabelIndex(maps), LabelIndex(maps)
    together.with_key("gpu")  # (indexed before: not again)
    together.prefetch(keys)
    assert together._dense.keys() | together._postings.keys() == set(keys)  # indexed now, not when asked
    for key in keys:
        values = sorted({m[key] for m in maps if key in m})
        assert together.values(key) == alone.values(key) == values
        assert together.with_key(key) == alone.with_key(key) == from_ids((i for i, m in enumerate(maps) if key in m), 800)
        for value in [*values[:20], *values[-3:], "z-none"]:
            assert together.with_value(key, value) == alone.with_value(key, value) == from_ids(
                (i for i, m in enumerate(maps) if m.get(key) == value), 800)
