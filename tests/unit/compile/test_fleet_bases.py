"""A branch's previous decisions over a fleet of hubs, read back as the next render's base
(gitops/publish_render.previous_decisions) and split by hub (compile/fleet._per_hub):
the same names in the same order as a plain concatenation and a name-by-name split, while
each distinct list is shared, split and turned into bits once."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.compile.fleet import _per_hub
from i4qew.gitops.publish_render import previous_decisions
from i4qew.placement.inventory import Cluster, Inventory
from i4qew.placement.snapshot_read import Joined, read_decisions

HUBS = ("east", "north", "west")
NAMES = [f"{hub}-{i}" for hub in HUBS for i in range(6)] + ["gone-1", "gone-2"]  # gone: in no inventory now
KEYS = [f"ns/w{i}" for i in range(8)]


def snapshot(table: dict[str, list[str]], placements: dict[str, str]) -> bytes:
    """A decisions.json as placement/snapshot.py writes it (what read_decisions reads of it)."""
    return json.dumps({"decisions": table, "placements": [
        {"namespace": key.split("/")[0], "workload": key.split("/")[1], "decision": d}
        for key, d in placements.items()]}).encode()


TABLES = st.dictionaries(st.sampled_from("abcdef"), st.lists(st.sampled_from(NAMES), max_size=6, unique=True),
                         min_size=1, max_size=4)
SNAPSHOTS = st.lists(TABLES.flatmap(lambda table: st.tuples(
    st.just(table), st.dictionaries(st.sampled_from(KEYS), st.sampled_from(sorted(table)), max_size=8))),
    min_size=1, max_size=4)
# which hub each cluster is in now (a cluster may have moved since the snapshot was written)
OWNERS = st.fixed_dictionaries({n: st.sampled_from(HUBS) for n in NAMES if not n.startswith("gone")})


def inventories(owner: dict[str, str]) -> dict[str, Inventory | None]:
    out: dict[str, Inventory | None] = {h: Inventory(tuple(Cluster(n, {}, {}, {}, (), "") for n in sorted(owner)
                                                          if owner[n] == h)) for h in HUBS}
    out["empty"] = None
    return out


@settings(max_examples=300, deadline=None)
@given(snapshots=SNAPSHOTS, owner=OWNERS)
def test_the_base_and_its_split_by_hub_are_the_plain_ones(snapshots: list[tuple[dict[str, list[str]],
                                                                                  dict[str, str]]],
                                                           owner: dict[str, str]) -> None:
    datas = tuple(snapshot(table, placements) for table, placements in snapshots)
    plain: dict[str, list[str]] = {}
    for data in datas:
        for key, names in read_decisions(data).items():
            plain.setdefault(key, []).extend(names)
    base = previous_decisions(datas)
    assert base is None if not plain else [(k, list(v)) for k, v in base.items()] == list(plain.items())
    invs = inventories(owner)
    split = {hub: {key: list(names) for key, names in keys.items()} for hub, keys in _per_hub(base or {}, invs).items()}
    by_name: dict[str, dict[str, list[str]]] = {}  # name by name, as the split was first written
    for key, names in plain.items():
        for name in names:
            if name in owner:
                by_name.setdefault(owner[name], {}).setdefault(key, []).append(name)
    assert [(h, list(keys.items())) for h, keys in split.items()] == [(h, list(k.items())) for h, k in by_name.items()]
    for hub, keys in _per_hub(base or {}, invs).items():
        inv = invs[hub]
        assert inv is not None
        assert inv.bits_by_key(keys) == {k: inv.bits_of(v) for k, v in keys.items()}


def test_a_decision_is_one_list_and_a_workload_on_several_hubs_joins_theirs() -> None:
    east = snapshot({"a": ["east-1", "east-2"], "b": []}, {"ns/w1": "a", "ns/w2": "a", "ns/w3": "b"})
    west = snapshot({"c": ["west-1"]}, {"ns/w1": "c", "ns/w3": "c"})
    one = read_decisions(east)
    assert one["ns/w1"] is one["ns/w2"] == ["east-1", "east-2"]
    base = previous_decisions((east, west))
    assert base is not None
    assert base["ns/w2"] == ["east-1", "east-2"] and base["ns/w2"] is base["ns/w1"].parts[0]  # shared, not copied
    w1 = base["ns/w1"]
    assert isinstance(w1, Joined) and list(w1) == ["east-1", "east-2", "west-1"] and len(w1) == 3
    assert w1 == ["east-1", "east-2", "west-1"] and w1[2] == "west-1" and w1[:1] == ["east-1"]
    assert base["ns/w3"] == ["west-1"] and not isinstance(base["ns/w3"], Joined)
    owner = {n: n.split("-")[0] for n in ("east-1", "east-2", "west-1")}
    per = _per_hub(base, inventories(owner))
    assert per["east"]["ns/w1"] is per["east"]["ns/w2"]  # one list of east's, split once
    assert per == {"east": {"ns/w1": ["east-1", "east-2"], "ns/w2": ["east-1", "east-2"]},
                   "west": {"ns/w1": ["west-1"], "ns/w3": ["west-1"]}}
