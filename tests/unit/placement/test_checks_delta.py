"""The fleet's hub problems brought up to date by the change (placement/checks_cache.py):
after every kind of edit a placement check reads, on and off again in any order, a warm
`validate` answers as a cold one; the hubs an edit cannot reach are not checked again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.placements import policy, workload
from tests.unit.placement.test_checks_cache import edit, fleet, invoke, spy_checks

_CLUSTER = """  - apiVersion: cluster.open-cluster-management.io/v1
    kind: ManagedCluster
    metadata:
      name: porto-line2
      labels: {name: porto-line2, site: porto, stage: production, role: line,
               cluster.open-cluster-management.io/clusterset: global}
    spec:
      hubAcceptsClient: true
    status:
      allocatable: {cpu: 400m, memory: 1Gi}
"""
# two workloads in one file: `pair` on every line of both hubs, `porter` at Porto (west) only
_PAIR = [workload("pair", "lines", namespace="plants", resources={"requests": {"cpu": "2"}}),
         workload("porter", "porto", namespace="plants", resources={"requests": {"cpu": "1"}})]


def base(root: Path) -> Path:
    fleet(root)
    (root / "policies" / "more.yaml").write_text(yaml.safe_dump_all(
        [policy("porto", selector="site=porto"), policy("nowhere", selector="site=mars")], sort_keys=False))
    # first of the workloads and in no environment: the others' decisions sit one place before their own
    off = workload("off", "lines", namespace="plants", environments={"dev": {"enabled": False},
                                                                     "production": {"enabled": False}})
    (root / "workloads" / "aaa-off.yaml").write_text(yaml.safe_dump(off, sort_keys=False))
    return root


def _dashboard(root: Path) -> Path:
    return root / "workloads" / "dashboard.yaml"


def _anomaly(root: Path) -> Path:
    moved = root / "workloads" / "z-anomaly.yaml"
    return moved if moved.exists() else root / "workloads" / "anomaly.yaml"


def _toggle_text(where: Callable[[Path], Path], old: str, new: str) -> Callable[[Path, bool], None]:
    def toggle(root: Path, on: bool) -> None:
        edit(where(root), old, new) if on else edit(where(root), new, old)
    return toggle


def _file(rel: str, text: str) -> Callable[[Path, bool], None]:
    def toggle(root: Path, on: bool) -> None:
        (root / rel).write_text(text, "utf-8") if on else (root / rel).unlink()
    return toggle


def _rename(root: Path, on: bool) -> None:
    old, new = root / "workloads" / "anomaly.yaml", root / "workloads" / "z-anomaly.yaml"
    (old.rename(new) if on else new.rename(old))


def _in(rel: str) -> Callable[[Path], Path]:
    return lambda root: root / rel


# Each edit can be made and undone independently of the others (name, toggle).
TOGGLES: list[tuple[str, Callable[[Path, bool], None]]] = [
    ("replicas", _toggle_text(_dashboard, "spec:\n", "spec:\n  replicas: 2\n")),
    ("a GPU request", _toggle_text(_anomaly, "memory: 256Mi}", "memory: 256Mi, nvidia.com/gpu: 1}")),
    ("a workload moved from east to west", _toggle_text(_dashboard, "placement: bologna", "placement: porto")),
    ("a workload placed nowhere in one environment", _toggle_text(
        _dashboard, "  image:", "  environments: {production: {placement: nowhere}}\n  image:")),
    ("a workload renamed (its file, same bytes)", _rename),
    ("two workloads added in one file", _file("workloads/pair.yaml", yaml.safe_dump_all(_PAIR, sort_keys=False))),
    ("the inventory's capacity", _toggle_text(_in("clusters/east/managedclusters.yaml"), 'cpu: "8"', 'cpu: "5"')),
    ("a hub's clusters", _toggle_text(_in("clusters/west/managedclusters.yaml"), "items:\n", "items:\n" + _CLUSTER)),
    ("the model's policy", _toggle_text(_in("policies/models.yaml"), "maxClusters: 1", "maxClusters: 2")),
    ("the model", _toggle_text(_in("models/m.yaml"), "placement: one-line", "placement: lines")),
    ("a repository setting", _toggle_text(_in("i4qew.yaml"), "  clusterSets: [global]\n",
                                          "  clusterSets: [global]\n  capacity: {warnAbovePercent: 60}\n")),
]
# edits no hub check reads (checks_cache.unmoved): the answer does not change; in any order
# with the others, a warm run still answers as a cold one
IMAGES: list[tuple[str, Callable[[Path, bool], None]]] = [
    ("an image", _toggle_text(_dashboard, "dashboard:2.0.1", "dashboard:2.0.2")),
    ("an image, lines moved in a file the problems point into", _toggle_text(
        _anomaly, "anomaly:1.4.2", "anomaly:1.4.3\n  # a comment")),
    ("an environment's image", _toggle_text(_dashboard, "  resources:\n",
                                            "  environments: {dev: {image: r/x:1}}\n  resources:\n")),
]
ORDERED = [*TOGGLES, *IMAGES]
# an edit of the first workload of the pair's file (it lands on both hubs), made while the file is there
_PAIR_EDIT = _toggle_text(_in("workloads/pair.yaml"), "cpu: '2'", "cpu: '7'")


def test_each_edit_made_and_undone_answers_as_cold(tmp_path: Path) -> None:
    root = base(tmp_path / "r")
    cache = str(tmp_path / "cache")
    first = invoke(root, cache)
    assert "[model-not-distributed]" in first[1] and "[capacity]" in first[1], first[1]
    assert invoke(root, "") == first
    for what, toggle in TOGGLES:
        for on in (True, False):
            toggle(root, on)
            cold = invoke(root, "")
            assert cold != first if on else cold == first, what  # each edit changes the answer
            assert invoke(root, cache) == cold, (what, on)
            if what.startswith("two workloads") and on:
                for edited in (True, False):
                    _PAIR_EDIT(root, edited)
                    cold = invoke(root, "")
                    assert invoke(root, cache) == cold, ("the first of two workloads in a file", edited)
    assert invoke(root, cache) == first


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.integers(0, len(ORDERED) - 1), min_size=1, max_size=5))
def test_edits_in_any_order_answer_as_cold(tmp_path_factory: pytest.TempPathFactory, steps: list[int]) -> None:
    work = tmp_path_factory.mktemp("delta")
    root = base(work / "r")
    cache = str(work / "cache")
    invoke(root, cache)
    state = [False] * len(ORDERED)
    for i in steps:
        state[i] = not state[i]
        ORDERED[i][1](root, state[i])
        assert invoke(root, cache) == invoke(root, ""), [ORDERED[j][0] for j in steps]


def test_image_edits_answer_as_cold_and_check_no_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = base(tmp_path / "r")
    cache = str(tmp_path / "cache")
    checked = spy_checks(monkeypatch)
    first = invoke(root, cache)
    # anomaly's problems are on both hubs; an environment's override is another field
    for (what, toggle), hubs in zip(IMAGES, [[], [2, 3], [3]], strict=True):
        for on in (True, False):
            checked.clear()
            toggle(root, on)
            warm = invoke(root, cache)
            assert sorted(checked) == hubs, (what, on)
            assert warm == invoke(root, ""), (what, on)
            assert warm == first or what != IMAGES[0][0], (what, on)


def test_only_the_hubs_a_change_reaches_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = base(tmp_path / "r")
    cache = str(tmp_path / "cache")
    checked = spy_checks(monkeypatch)
    invoke(root, cache)
    east, west = 3, 2  # the hubs by their number of clusters
    for what, toggle, hubs in [("a workload moved from east to west", TOGGLES[2][1], [east, west]),
                               ("and its requests, now on west only", TOGGLES[0][1], [west]),
                               ("a workload placed nowhere: every hub explains it", TOGGLES[3][1], [east, west]),
                               ("a renamed file: where its workload runs", _rename, [east, west])]:
        checked.clear()
        toggle(root, True)
        invoke(root, cache)
        assert sorted(checked) == sorted(hubs), what
    checked.clear()
    invoke(root, cache)
    assert checked == []
