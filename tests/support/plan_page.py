"""A two-revision repository for the placement page tests (no tests here).

Sites bologna (b1-b3), porto (p1, p2), graz (g1, no allocatable reported) and a
cluster without a site label (n1). Against the base revision:
  keep   unchanged on bologna (its 1.5 cores leave b3 at 10 % cpu headroom)
  move   bologna -> porto: 3 clusters lost, 2 gained
  gone   removed (was on porto)
  bump   a new image on porto (spec changed, same clusters)
  fresh  added on bologna
  vis    everywhere; its model goes from vision 1 to vision 2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.git_remote import git
from tests.support.placements import cluster, model, policy, workload, write_repo


def _cpu(cpu: str, memory: str = "8Gi", **more: str) -> dict[str, str]:
    return {"cpu": cpu, "memory": memory, **more}


CLUSTERS = [
    cluster("b1", {"site": "bologna", "role": "edge"}, allocatable=_cpu("4", **{"nvidia.com/gpu": "1"})),
    cluster("b2", {"site": "bologna", "role": "edge"}, allocatable=_cpu("4")),
    cluster("b3", {"site": "bologna", "role": "edge"}, allocatable=_cpu("2", "4Gi")),
    cluster("p1", {"site": "porto", "role": "edge"}, allocatable=_cpu("8", "16Gi")),
    cluster("p2", {"site": "porto", "role": "edge"}, allocatable=_cpu("8", "16Gi")),
    cluster("g1", {"site": "graz", "role": "edge"}),
    cluster("n1", {"role": "edge"}, allocatable=_cpu("4")),
]
POLICIES = [policy("px", selector="site=bologna"), policy("py", selector="site=porto"),
            policy("pall", selector="role=edge")]
MODELS = [model("vision", "pall", ("1", "2"))]


def _cpu_request(cpu: str) -> dict[str, Any]:
    return {"resources": {"requests": {"cpu": cpu, "memory": "256Mi"}}}


def _vision(version: str) -> dict[str, Any]:
    return {"model": {"name": "vision", "version": version, "mountPath": "/models/vision"}}


def base_workloads() -> list[dict[str, Any]]:
    return [workload("keep", "px", **_cpu_request("1500m")), workload("move", "px", **_cpu_request("100m")),
            workload("gone", "py", **_cpu_request("100m")), workload("bump", "py", **_cpu_request("100m")),
            workload("vis", "pall", **_cpu_request("100m"), **_vision("1"))]


def head_workloads() -> list[dict[str, Any]]:
    return [workload("keep", "px", **_cpu_request("1500m")), workload("move", "py", **_cpu_request("100m")),
            workload("fresh", "px", **_cpu_request("200m")),
            workload("bump", "py", image="registry.example.com/bump:2.0", **_cpu_request("100m")),
            workload("vis", "pall", **_cpu_request("100m"), **_vision("2"))]


def two_revisions(root: Path) -> Path:
    """The base commit, then the head commit (HEAD~1 is the base)."""
    write_repo(root, clusters=CLUSTERS, policies=POLICIES, workloads=base_workloads(), models=MODELS)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    write_repo(root, clusters=CLUSTERS, policies=POLICIES, workloads=head_workloads(), models=MODELS)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head")
    return root
