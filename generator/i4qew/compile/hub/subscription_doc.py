"""One workload's Subscription of the environment branch (compile/hub/subscription.py
puts it in hub/; compile/hub/waves.py makes one per rollout wave from it)."""

from __future__ import annotations

from typing import Any, Final

from i4qew.compile.hub.names import (
    GIT_BRANCH,
    GIT_PATH,
    channel_name,
    chart_name,
    env_labels,
    placement_name,
    release_name,
    subscription_name,
)
from i4qew.model.repo import Repo, Workload

SUBSCRIPTION_API: Final = "apps.open-cluster-management.io/v1"


def subscription(repo: Repo, env: str, w: Workload) -> dict[str, Any]:
    environment = repo.repository.environment(env)
    assert environment is not None
    kind = "PlacementRule" if repo.repository.placement_api == "PlacementRule" else "Placement"
    chart = chart_name(w)
    spec: dict[str, Any] = {
        "channel": f"{repo.repository.channel_namespace}/{channel_name(repo, env)}",
        # The chart's name: ACM's Git subscriber keeps only the charts it names.
        "name": chart,
        "packageOverrides": [{"packageName": chart, "packageAlias": release_name(w)}],
        "placement": {"placementRef": {"kind": kind, "name": placement_name(w.name, env)}},
    }
    if repo.repository.watch_helm_resources:
        spec["watchHelmNamespaceScopedResources"] = True
    return {
        "apiVersion": SUBSCRIPTION_API,
        "kind": "Subscription",
        "metadata": {
            "name": subscription_name(w, env),
            "namespace": w.namespace,
            "labels": env_labels(repo, env, w),
            "annotations": {GIT_BRANCH: environment.branch, GIT_PATH: f"charts/{w.name}"},
        },
        "spec": spec,
    }
