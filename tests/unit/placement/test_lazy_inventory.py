"""An inventory from the persistent cache is its summary until something reads its clusters
(inventory_load.py, inventory.lazy_inventory): then it is the inventory a cold read gives,
whether its clusters come from the cache or, that entry gone, from the files read."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
import yaml

from i4qew import memo, store
from i4qew.placement import inventory_load
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory
from tests.support.placements import cluster, kubectl_list
from tests.support.tools import ROOT

TAINT = {"key": "example.com/maintenance", "value": "x", "effect": "NoSelect", "timeAdded": "2026-12-01T10:00:00Z"}


def load(root: Path) -> Inventory:
    memo.clear()
    inv, problems = load_inventory(root)
    assert inv is not None, problems
    return inv


def fields(inv: Inventory) -> tuple[object, ...]:
    return (inv.clusters, inv.set_selectors, {p: s.text for p, s in inv.sources.items()}, inv.key, len(inv),
            inv.names, inv.as_of, inv.tainted, inv.unavailable, inv.all, inv.ids, [c.origin for c in inv.clusters])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    shutil.copytree(ROOT / "clusters", root / "clusters")
    (root / "clusters" / "more.yaml").write_text(yaml.safe_dump(kubectl_list(
        [cluster("zz-tainted", {"site": "z"}, taints=[TAINT]), cluster("zz-down", available="False")])))
    return root


@pytest.mark.parametrize("full_entry", ["kept", "gone"])
def test_a_lazy_inventory_is_the_cold_one(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          full_entry: str) -> None:
    monkeypatch.setenv(store.ENV, "")
    cold = load(repo)
    cache = tmp_path / "cache"
    monkeypatch.setenv(store.ENV, str(cache))
    load(repo)  # fills the cache
    if full_entry == "gone":
        for entry in cache.rglob("inventory/*.bin"):
            entry.unlink()
    lazy = load(repo)
    assert "_load" in lazy.__dict__ and "clusters" not in lazy.__dict__  # its summary only
    assert (len(lazy), lazy.names, lazy.as_of, lazy.tainted, lazy.unavailable) == (
        len(cold), cold.names, cold.as_of, cold.tainted, cold.unavailable)
    assert cold.tainted and cold.unavailable and cold.as_of is not None  # the summary has something to say
    assert "_load" in lazy.__dict__  # the summary answered without loading
    assert fields(lazy) == fields(cold)
    assert "_load" not in lazy.__dict__
    memo.clear()


def test_a_lazy_inventory_pickles_whole_and_has_no_other_attribute(repo: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    load(repo)
    lazy = load(repo)
    assert "_load" in lazy.__dict__
    again = pickle.loads(pickle.dumps(lazy))  # what plan's prefetch sends from its child
    assert "_load" not in again.__dict__ and fields(again) == fields(lazy)
    with pytest.raises(AttributeError, match="no attribute 'clusterz'"):
        _ = lazy.clusterz  # type: ignore[attr-defined]
    memo.clear()


def test_prefetch_forks_only_for_what_the_cache_does_not_hold(repo: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """plan's prefetch parses a large inventory on the other core; an inventory the cache
    holds is read in the process instead (a child would only unpickle it for the parent
    to unpickle again). The same inventory either way."""
    monkeypatch.setenv(store.ENV, "")
    cold = load(repo)
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    for forks in (True, False):  # an empty cache, then the one the first run filled
        memo.clear()
        inventory_load.prefetch(repo)
        assert bool(inventory_load._pending) is forks and bool(inventory_load._read_ahead) is not forks
        inv, _ = inventory_load.load_inventory(repo)
        assert inv is not None and fields(inv) == fields(cold)
        assert not inventory_load._pending and not inventory_load._read_ahead
    memo.clear()
