"""Each hub's placement problems kept between runs (placement/checks_cache.py): a warm
`validate` answers as a cold one after each edit of what the checks read, and a hub
whose inventory and decisions did not change is not checked again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from i4qew import memo, store
from i4qew.cli.main import cli
from i4qew.placement import checks_cache
from tests.support.hubs import two_hubs
from tests.support.placements import model, policy


def invoke(root: Path, cache: str) -> tuple[int, str]:
    memo.clear()
    result = CliRunner().invoke(cli, ["validate", "-C", str(root)], env={store.ENV: cache})
    memo.clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def fleet(root: Path) -> Path:
    """The two-hub example with problems on both hubs: anomaly's model reaches one cluster
    per hub (model-not-distributed), dashboard near east's bologna capacity (a warning)."""
    two_hubs(root)
    (root / "models").mkdir()
    (root / "models" / "m.yaml").write_text(yaml.safe_dump(model("m", "one-line"), sort_keys=False))
    (root / "policies" / "models.yaml").write_text(
        yaml.safe_dump(policy("one-line", selector="role=line", maxClusters=1), sort_keys=False))
    edit(root / "workloads" / "anomaly.yaml", "  placement: lines\n",
         "  placement: lines\n  model: {name: m, version: \"1\"}\n")
    edit(root / "workloads" / "dashboard.yaml", "cpu: 100m", "cpu: 7")
    return root


# (what is edited, the edit): each changes what some hub's checks report, or where
EDITS = [
    ("requests", "workloads/dashboard.yaml", "cpu: 7", "cpu: 7500m"),
    ("lines of a workload's file", "workloads/anomaly.yaml", "apiVersion:", "# moved\n# down\napiVersion:"),
    ("the model's policy", "policies/models.yaml", "maxClusters: 1", "maxClusters: 2"),
    ("the inventory", "clusters/east/managedclusters.yaml", "cpu: \"8\"", "cpu: \"9\""),
    ("a placement", "policies/edge.yaml", 'selector: "site=bologna"', 'selector: "site=porto"'),
    ("the clusters of a placement, on the same hubs", "policies/edge.yaml", 'selector: "role=line"',
     'selector: "role=line, name!=modena-line1"'),
    ("architectures declared (by a workload placed nowhere)", "workloads/dashboard.yaml", "apiVersion:",
     "apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata: {name: arm, namespace: plants}\n"
     "spec:\n  image: registry.example.com/plants/arm:1.0\n  placement: lines\n  architectures: [arm64]\n"
     "  environments: {dev: {enabled: false}, production: {enabled: false}}\n---\napiVersion:"),
    ("a workload placed on no hub", "workloads/dashboard.yaml", "apiVersion:",
     "apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata: {name: x, namespace: plants}\n"
     "spec:\n  image: registry.example.com/plants/x:1.0\n  placement: px\n"
     "  environments: {dev: {enabled: false}}\n---\napiVersion:"),
    ("its policy", "policies/models.yaml", "apiVersion:",
     "apiVersion: edge.i4q.eu/v1alpha1\nkind: PlacementPolicy\nmetadata: {name: px}\n"
     "spec: {selector: \"site=porto, stage=dev\"}\n---\napiVersion:"),
    ("the policy of a workload placed on no hub", "policies/models.yaml", "site=porto, stage=dev",
     "site=bologna, stage=dev"),
    ("a repository setting", "i4qew.yaml", "  clusterSets: [global]\n",
     "  clusterSets: [global]\n  capacity: {warnAbovePercent: 95}\n"),
    ("an environment's selector", "i4qew.yaml", 'selector: "stage=dev"', 'selector: "role=line"'),
]


def test_a_warm_run_answers_as_a_cold_one_after_each_edit(tmp_path: Path) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    first = invoke(root, "")
    assert "[model-not-distributed]" in first[1] and "[capacity]" in first[1], first[1]
    assert invoke(root, cache) == first  # fills the cache
    assert invoke(root, cache) == first  # answers from it
    for what, path, old, new in EDITS:
        edit(root / path, old, new)
        cold = invoke(root, "")
        assert invoke(root, cache) == cold, what


def spy_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each inventory whose hub is checked (not answered from the cache), as checked."""
    checked: list[int] = []
    real = checks_cache.placement_problems
    monkeypatch.setattr(checks_cache, "placement_problems", lambda *a, **k: checked.append(len(a[1])) or real(*a, **k))
    return checked


def test_only_the_hubs_an_edit_touches_are_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    checked = spy_checks(monkeypatch)
    invoke(root, cache)
    assert sorted(checked) == [2, 3]  # both hubs (west holds 2 clusters, east 3)
    checked.clear()
    invoke(root, cache)
    assert checked == []  # nothing changed: no hub checked
    edit(root / "workloads" / "dashboard.yaml", "cpu: 7", "cpu: 6")  # dashboard runs on east (bologna) only
    invoke(root, cache)
    assert checked == [3]
    cold = invoke(root, "")

    def no_cache_code(*args: object) -> None:
        raise AssertionError("the cache is off: no cache code runs")

    monkeypatch.setattr(checks_cache.HubChecks, "__init__", no_cache_code)
    assert invoke(root, "") == cold


# (what is edited, where, old, new, the hubs checked again): edits of a workload's image,
# which no hub check reads, and edits that change something beside it
IMAGE_EDITS = [
    ("an image", "workloads/dashboard.yaml", "dashboard:", "dashboard-2:", []),
    ("an environment's image", "workloads/dashboard.yaml", "spec:\n",
     "spec:\n  environments: {dev: {image: registry.example.com/plants/dev:1}}\n", [3]),
    ("that image again", "workloads/dashboard.yaml", "plants/dev:1", "plants/dev:2", []),
    ("an image and the requests", "workloads/dashboard.yaml", "cpu: 7", "cpu: 6", [3]),
    ("an image, lines moved in a file the problems point into", "workloads/anomaly.yaml", "  image:",
     "  # a comment\n  image:", [2, 3]),
]


def test_an_image_edit_checks_no_hub_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub checks read no image: a workload whose edit changed only its image is placed
    and judged as before (checks_cache.unmoved), no hub checked again, the answer a cold
    run's; any other change beside it is checked as usual."""
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    checked = spy_checks(monkeypatch)
    invoke(root, cache)
    for what, path, old, new, hubs in IMAGE_EDITS:
        text = (root / path).read_text("utf-8")
        image = next(line for line in text.split("\n") if line.startswith("  image: "))
        edit(root / path, image, image + "-edited")
        if old != new:
            edit(root / path, old, new)
        checked.clear()
        warm = invoke(root, cache)
        assert sorted(checked) == hubs, what
        assert warm == invoke(root, ""), what
