"""spec.hubs: each hub's inventory, and the problems across hubs (placement/fleet.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.load.files import MAX_DECLARATION_BYTES
from i4qew.model.repo import HUB_CLUSTER_LIMIT
from i4qew.placement.fleet import declared_hub_folders, load_inventories
from i4qew.problems import UserError
from i4qew.validation import validate_repo
from tests.support.hubs import cluster_list, two_hubs


def lines(root: Path) -> list[str]:
    return [p.format() for p in validate_repo(root).problems]


def test_the_two_hub_example_validates_clean_though_one_hub_runs_no_dashboard(tmp_path: Path) -> None:
    # dashboard selects site=bologna: clusters of hub east only; west's Placement selects none
    assert lines(two_hubs(tmp_path / "r")) == []


def test_placement_empty_is_one_problem_when_no_hub_selects_a_cluster(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    policy = root / "policies" / "edge.yaml"
    policy.write_text(policy.read_text().replace('selector: "site=bologna"', 'selector: "site=nowhere"'))
    got = [line for line in lines(root) if "[placement-empty]" in line]
    assert len(got) == 2  # dev and production, once each, not once per hub
    assert all("(nor on the other 1 hub)" in line and "'dashboard'" in line for line in got)


@pytest.mark.parametrize(("count", "reported"), [(HUB_CLUSTER_LIMIT, False), (HUB_CLUSTER_LIMIT + 1, True)])
def test_the_default_limit_is_the_figure_acm_documents(tmp_path: Path, count: int, reported: bool) -> None:
    root = two_hubs(tmp_path / "r")
    for f in (root / "clusters" / "east").iterdir():
        f.unlink()
    (root / "clusters" / "east" / "fleet.json").write_text(cluster_list([f"east-{i}" for i in range(count)]))
    got = [line for line in lines(root) if "[hub-cluster-limit]" in line]
    expected = [f"i4qew.yaml:22:13: error [hub-cluster-limit] hub 'east' holds {count:,} clusters (clusters/east/), "
                "and ACM documents 3,500 managed clusters for one hub: move clusters to another hub (docs/hubs.md)"]
    assert got == (expected if reported else [])


def test_a_whole_file_under_two_hubs_is_one_problem(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    names = [f"shared-{i}" for i in range(12)]
    (root / "clusters" / "east" / "shared.json").write_text(cluster_list(names))
    (root / "clusters" / "west" / "shared.json").write_text(cluster_list(names))
    got = [line for line in lines(root) if "[hub-cluster-duplicate]" in line]
    assert len(got) == 1
    assert got[0].startswith("clusters/west/shared.json:1:")
    assert "12 clusters of hub 'west' are also in the inventory of hub 'east' (shared-0, shared-1, shared-10, " \
           "shared-11, shared-2, … (7 more))" in got[0]


def test_an_invalid_hub_name_never_names_a_folder(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    text = (root / "i4qew.yaml").read_text().replace("- name: west", "- name: ../west")
    (root / "i4qew.yaml").write_text(text)
    assert declared_hub_folders(root) == ("clusters/east",)
    got = lines(root)
    assert any("[hub-name] hub name '../west'" in line for line in got)
    # clusters/west/ is now in no declared hub's folder, and is reported as such
    assert any(line.startswith("clusters/west/managedclusters.yaml:1:1: error [hub-inventory]") for line in got)


def test_inventory_override_is_refused_with_hubs(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    repo = validate_repo(root).repo
    assert repo is not None
    with pytest.raises(UserError, match="declares hubs"):
        load_inventories(root, repo, root / "clusters" / "east" / "managedclusters.yaml")
    result = CliRunner().invoke(cli, ["render", "-C", str(root), "--env", "dev", "-o", str(tmp_path / "o"),
                                      "--inventory", str(root / "clusters" / "east" / "managedclusters.yaml")])
    assert result.exit_code == 2
    assert "each hub plans over its own folder clusters/<hub>/" in result.output


def test_each_hub_decides_over_its_own_inventory_and_cluster_sets(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    repo = validate_repo(root).repo
    assert repo is not None
    _, hubs, problems = load_inventories(root, repo)
    assert problems == [] and hubs is not None
    assert {name: len(inv) if inv else 0 for name, inv in hubs.items()} == {"east": 3, "west": 2}
    east, west = repo.repository.hubs
    assert repo.for_hub(east).repository.cluster_sets == ("plants-east",)
    assert repo.for_hub(west).repository.channel_namespace == "i4qew-west"
    assert repo.for_hub(west).repository.cluster_sets == ("global",)


def test_hub_folders_are_read_ahead_only_from_what_the_loader_reads(tmp_path: Path) -> None:
    """The look at i4qew.yaml before validation (which inventories to read early) reads it as
    the loader does: not over the size limit (a 100 MB file is never held), not through a
    symlink; then it cannot tell (None) and the loader reports the file."""
    root = two_hubs(tmp_path / "r")
    text = (root / "i4qew.yaml").read_text()
    assert declared_hub_folders(root) == ("clusters/east", "clusters/west")
    (root / "i4qew.yaml").write_text(text + "#" * MAX_DECLARATION_BYTES + "\n")
    assert declared_hub_folders(root) is None
    (tmp_path / "elsewhere.yaml").write_text(text)
    (root / "i4qew.yaml").unlink()
    (root / "i4qew.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    assert declared_hub_folders(root) is None
