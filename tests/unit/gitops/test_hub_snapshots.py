"""The placement snapshots of a branch several hubs follow: the next render's base."""

from __future__ import annotations

from pathlib import Path

from i4qew.compile.fleet import fleet_globals
from i4qew.gitops.publish_render import previous_decisions
from i4qew.gitops.requests import is_snapshot
from i4qew.placement.fleet import load_inventories
from i4qew.placement.snapshot import placement_files, read_decisions
from i4qew.validation import validate_repo
from tests.support.hubs import two_hubs


def test_snapshot_paths() -> None:
    assert is_snapshot("placement/decisions.json") and is_snapshot("placement/east/decisions.json")
    assert not is_snapshot("placement/east/x/decisions.json") and not is_snapshot("models/east/index.json")
    assert not is_snapshot("charts/placement/decisions.json")


def test_the_hubs_snapshots_are_one_base_and_each_hub_takes_back_its_own(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    policy = root / "policies" / "edge.yaml"  # numberOfClusters 1: which cluster depends on the base
    policy.write_text(policy.read_text().replace('selector: "role=line"', 'selector: "role=line"\n  maxClusters: 1'))
    repo = validate_repo(root).repo
    assert repo is not None
    _, hubs, _ = load_inventories(root, repo)
    assert hubs is not None
    env = "production"
    east, west = repo.repository.hubs
    # a previous snapshot per hub that chose the last line of each hub
    before = {"east": {"plants/anomaly": ["modena-line1"]}, "west": {"plants/anomaly": ["porto-line1"]}}
    tree, _ = fleet_globals(repo, env, hubs, base={"plants/anomaly": ["modena-line1", "porto-line1"]})
    for hub in (east, west):
        alone = placement_files(repo.for_hub(hub), env, hubs[hub.name], base=before[hub.name])
        assert tree[f"placement/{hub.name}/decisions.json"] == alone["placement/decisions.json"]
    # and reading them back gives the union the next render starts from
    union = previous_decisions(tuple(tree[f"placement/{h}/decisions.json"] for h in ("east", "west")))
    assert union is not None
    assert sorted(union["plants/anomaly"]) == ["modena-line1", "porto-line1"]
    assert read_decisions(tree["placement/east/decisions.json"])["plants/anomaly"] == ["modena-line1"]
