"""Checks over the inventory, as `i4qew validate` reports them (clusters/ present)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from i4qew.problems import Problem
from i4qew.validation import validate_repo
from tests.support.placements import cluster, model, policy, workload, write_repo

PLACEMENT = {"placement-empty", "model-not-distributed", "cluster-arch-label", "capacity",
             "environment-overlap", "environment-collision"}


def placement_problems(root: Path) -> list[Problem]:
    return [p for p in validate_repo(root).problems if p.rule in PLACEMENT]


def line_of(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def test_an_empty_placement_names_the_conjunct_that_emptied_it(tmp_path: Path) -> None:
    fleet = [cluster("a", {"env": "lrt"}), cluster("b", {"env": "lrt"}), cluster("c", {"env": "lrt"}),
             cluster("m", {"cache": "true"})]
    write_repo(tmp_path, policies=[policy("lrt", selector="env=lrt"), policy("cache", selector="cache=true")],
               models=[model("forecaster", "cache")], clusters=fleet,
               workloads=[workload("w", "lrt", model={"name": "forecaster", "version": "1"})])
    (problem,) = placement_problems(tmp_path)
    assert (problem.rule, problem.severity.value) == ("placement-empty", "error")
    assert problem.path == "workloads/all.yaml"
    assert problem.line == line_of(tmp_path / "workloads/all.yaml", "placement: lrt")
    assert problem.message == ("workload 'w' would run on no cluster in 'dev': workload policy 'lrt' selects 3 clusters; "
                               "with model 'forecaster' (policy 'cache'): 0")


def test_an_empty_placement_after_taints(tmp_path: Path) -> None:
    fleet = [cluster("a", {"env": "lrt"}, taints=[{"key": "maintenance", "effect": "NoSelect",
                                                   "timeAdded": "2026-01-01T00:00:00Z"}])]
    write_repo(tmp_path, policies=[policy("lrt", selector="env=lrt")], workloads=[workload("w", "lrt")], clusters=fleet)
    (problem,) = placement_problems(tmp_path)
    assert problem.message.endswith("workload policy 'lrt' selects 1 cluster; in cluster set global: 1; "
                                    "not excluded by a taint: 0")


def test_a_workload_where_its_model_is_not_distributed(tmp_path: Path) -> None:
    fleet = [cluster(n, {"env": "lrt", "cache": "true"}) for n in ("a", "b", "c")]
    write_repo(tmp_path, clusters=fleet,
               policies=[policy("lrt", selector="env=lrt"), policy("cache", selector="cache=true", maxClusters=1)],
               models=[model("forecaster", "cache")],
               workloads=[workload("w", "lrt", model={"name": "forecaster", "version": "1"})])
    (problem,) = placement_problems(tmp_path)
    assert problem.rule == "model-not-distributed"
    assert problem.line == line_of(tmp_path / "workloads/all.yaml", "name: forecaster")
    assert "is not distributed to 2 of the 3 clusters 'w' runs on in 'dev': b, c" in problem.message


def test_clusters_without_an_architecture_label(tmp_path: Path) -> None:
    fleet = [cluster("a", {"arch.edge.i4q.eu/amd64": "true"}), cluster("b"), cluster("c")]
    write_repo(tmp_path, clusters=fleet, policies=[policy("all", selector="")],
               workloads=[workload("w", "all", architectures=["amd64"])])
    (problem,) = placement_problems(tmp_path)
    assert (problem.rule, problem.severity.value) == ("cluster-arch-label", "warning")
    assert problem.path == "clusters/managedclusters.yaml"
    assert "2 clusters carry no arch.edge.i4q.eu/<arch> label (b, c)" in problem.message
    # Nobody declares architectures: nothing to warn about.
    write_repo(tmp_path, clusters=fleet, policies=[policy("all", selector="")], workloads=[workload("w", "all")])
    assert placement_problems(tmp_path) == []


def capacity_repo(root: Path, cpu: str, *, warn: int | None = None, gpus: str = "1") -> list[Problem]:
    settings: dict[str, Any] = {"capacity": {"warnAbovePercent": warn}} if warn else {}
    fleet = [cluster("small", {"site": "x", "gpu.edge.i4q.eu/nvidia": "true"}, allocatable={"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}),
             cluster("nolimits", {"site": "x"})]
    write_repo(root, clusters=fleet, policies=[policy("x", selector="site=x")],
               workloads=[workload("one", "x", resources={"requests": {"cpu": cpu}}),
                          workload("two", "x", replicas=2, resources={"limits": {"cpu": cpu}}),
                          workload("gpu", "x", resources={"limits": {"nvidia.com/gpu": gpus}})],
               **settings)
    return placement_problems(root)


def test_capacity_error_above_allocatable(tmp_path: Path) -> None:
    (problem,) = capacity_repo(tmp_path, "400m")  # 400m + 2 × 400m (limits default the requests) = 1200m
    assert (problem.rule, problem.severity.value) == ("capacity", "error")
    lines = (tmp_path / "clusters/managedclusters.yaml").read_text().splitlines()
    assert problem.line == lines.index("    name: small") + 1  # metadata.name (not the `name` label)
    assert problem.message == ("cluster 'small': cpu requests 1200m of 1 allocatable (120 %) "
                               "from two (dev, 800m), one (dev, 400m)")


def test_capacity_warning_threshold(tmp_path: Path) -> None:
    (problem,) = capacity_repo(tmp_path, "300m")  # 900m of 1: above the default 85 %
    assert problem.severity.value == "warning"
    assert "(90 %; warning above 85 %)" in problem.message
    assert capacity_repo(tmp_path, "300m", warn=95) == []
    assert capacity_repo(tmp_path, "100m") == []


def test_whole_devices_may_be_used_up_but_not_overcommitted(tmp_path: Path) -> None:
    assert capacity_repo(tmp_path, "100m", gpus="1") == []
    (problem,) = capacity_repo(tmp_path, "100m", gpus="2")
    assert problem.message.startswith("cluster 'small': nvidia.com/gpu requests 2 of 1 allocatable (200 %)")


def test_two_workloads_of_one_name_over_capacity_are_reported_not_a_crash(tmp_path: Path) -> None:
    """A copied workload file (duplicate-workload) ties the two in the ranking of who uses a
    cluster: the ranking never compares the decisions themselves."""
    fleet = [cluster("small", {"site": "x"}, allocatable={"cpu": "1", "memory": "1Gi"})]
    twice = workload("same", "x", resources={"requests": {"cpu": "600m"}})
    write_repo(tmp_path, clusters=fleet, policies=[policy("x", selector="site=x")], workloads=[twice, twice])
    found = validate_repo(tmp_path).problems
    assert "duplicate-workload" in {p.rule for p in found}
    (problem,) = [p for p in found if p.rule == "capacity"]
    assert problem.message == ("cluster 'small': cpu requests 1200m of 1 allocatable (120 %) "
                               "from same (dev, 600m), same (dev, 600m)")


ENVS = [{"name": "dev", "branch": "acm-dev", "selector": "stage in (dev, shared)"},
        {"name": "production", "branch": "production", "selector": "stage in (production, shared)"}]


def test_environments_that_select_the_same_cluster(tmp_path: Path) -> None:
    fleet = [cluster("d", {"stage": "dev"}), cluster("p", {"stage": "production"}), cluster("s", {"stage": "shared"})]
    write_repo(tmp_path, clusters=fleet, environments=ENVS, policies=[policy("all", selector="")],
               workloads=[workload("w", "all"),
                          workload("devonly", "all", environments={"production": {"enabled": False}})])
    problems = placement_problems(tmp_path)
    assert [(p.path, p.rule) for p in problems] == [("i4qew.yaml", "environment-collision"),
                                                    ("workloads/all.yaml", "environment-overlap")]
    collision, overlap = problems
    assert collision.line == line_of(tmp_path / "i4qew.yaml", "stage in (production, shared)")
    assert "environments 'dev' and 'production' both select 1 cluster of the inventory (s)" in collision.message
    assert overlap.message == "workload 'w' of 'dev' and of 'production' would both run on 1 cluster: s"


def test_the_example_repository_is_clean() -> None:
    from tests.support.tools import ROOT

    assert placement_problems(ROOT) == []
