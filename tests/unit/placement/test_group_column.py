"""The label column the plan renderings group clusters by (plan_groups.column), kept in the
persistent cache by the inventory's content and the label: a warm plan says what a cold
one says in every format and grouping, after each edit of an inventory, and a warm plan
whose decisions all come from the caches renders without loading any hub's clusters."""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.placement import inventory_load
from tests.unit.placement.test_decided_cache import edit, fleet, invoke

# every rendering that groups or lists clusters, by two labels of different values
PLANS = [("plan", "--env", "dev", "--format", "text", "--group-by", "gpu", "--max-list", "3"),
         ("plan", "--env", "production", "--format", "text", "--group-by", "stage"),
         ("plan", "--env", "dev", "--format", "markdown", "--group-by", "gpu"),
         ("plan", "--env", "dev", "--format", "json", "--group-by", "stage")]

# (what, file, old, new): each changes a cluster's value of a grouping label
EDITS = [
    ("a label's value", "clusters/west/managedclusters.yaml", "gpu: 'yes'", "gpu: 'no'"),
    ("a label removed", "clusters/east/managedclusters.yaml", "      gpu: 'no'\n", ""),
    ("a cluster moved to another stage", "clusters/west/managedclusters.yaml",
     "      stage: production\n    name: w2-production", "      stage: dev\n    name: w2-production"),
]


def answers(root: Path, cache: str) -> list[tuple[int, str]]:
    return [invoke(root, cache, *command) for command in PLANS]


def test_a_warm_plan_groups_as_a_cold_one_after_each_edit(tmp_path: Path) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    cold = answers(root, "")
    assert "[gpu: no 2, yes 1]" in cold[0][1] and "[stage: production " in cold[1][1]  # grouped by each label
    same = answers(root, cache) == cold  # fills the caches
    assert same
    same = answers(root, cache) == cold  # groups from them
    assert same
    for what, path, old, new in EDITS:
        edit(root / path, old, new)
        now = answers(root, "")
        assert now != cold, what  # the edit shows in some plan
        same = answers(root, cache) == now
        assert same, what
        cold = now


def test_a_warm_plan_renders_without_loading_clusters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    cold = answers(root, "")
    answers(root, cache)
    loaded: list[str] = []
    real = inventory_load._stored
    monkeypatch.setattr(inventory_load, "_stored", lambda key, read, **k: loaded.append(read[0][0]) or real(key, read, **k))
    same = answers(root, cache) == cold
    assert same and loaded == []
    edit(root / "workloads" / "all.yaml", "cpu: 100m", "cpu: 200m")  # no decision changes
    invoke(root, cache, "validate")
    loaded.clear()
    same = answers(root, cache) == cold
    assert same and loaded == []
