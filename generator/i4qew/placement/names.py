"""The names of the hub objects a placement decides through: light (k8s names only), so
that the code that only names them (compile/hub/names.py, and through it a no-op
publish) does not import the planners (placement/decide.py re-exports them)."""

from __future__ import annotations

from i4qew import memo
from i4qew.k8s.names import short_name


@memo.lru(maxsize=1 << 16)
def placement_name(workload: str, env: str) -> str:
    """The generated Placement/PlacementRule name: `<workload>-<env>`, shortened to 63.
    Memoised: a fleet's snapshots, model indexes and plans name each workload's Placement
    once per hub and environment (430,000 times in a publish at issue 17's 5x)."""
    return short_name(workload, 63, env)


def gitops_cluster_name(repository: str, env: str) -> str:
    """The GitOpsCluster of an applicationset environment and its Placement (in the
    Argo CD namespace, beside the workloads' `<workload>-<env>` Placements)."""
    return short_name(repository, 63, env)
