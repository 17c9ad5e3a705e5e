"""The hub side of model staging: a Subscription and a Placement per model staging,
in the models namespace (i4qew.yaml spec.models.namespace), like a workload's.

    hub/apps/<ns>/models/<model>.yaml       Subscription + Placement (or PlacementRule), in the
                                            models namespace (hostPath) or a workload namespace (PVC)
    hub/apps/<models-ns>/application.yaml   the Application of the environment there (in a
    hub/apps/<models-ns>/clustersetbindings.yaml   workload namespace: the workloads' files)

The Subscription delivers `staging/<ns>/<model>/` of the environment branch to the
clusters the staging placement selects (model policy ∧ environment ∧ the workloads'
architectures), where ACM installs it as Helm release `<model>-<env>` (31 at most) in
that namespace. It sets no watchHelmNamespaceScopedResources: the stagers write their
status into a ConfigMap of the release, which that option would revert.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from i4qew.compile.hub.names import GIT_BRANCH, GIT_PATH, channel_name, env_labels
from i4qew.compile.hub.placement import (
    PLACEMENT_API,
    PLACEMENT_RULE_API,
    placement_rule_spec,
    placement_spec,
)
from i4qew.compile.staging.names import staging_folder, staging_hub_name, staging_release
from i4qew.model.repo import Repo
from i4qew.placement.staging import Staging, stagings

SUBSCRIPTION_API = "apps.open-cluster-management.io/v1"
MODEL_LABEL = "edge.i4q.eu/model"


def _labels(repo: Repo, env: str, staging: Staging) -> dict[str, str]:
    return {**env_labels(repo, env), MODEL_LABEL: staging.model.name}


def subscription(repo: Repo, env: str, staging: Staging) -> dict[str, Any]:
    environment = repo.repository.environment(env)
    assert environment is not None
    r = repo.repository
    kind = "PlacementRule" if r.placement_api == "PlacementRule" else "Placement"
    chart = staging.model.name
    return {
        "apiVersion": SUBSCRIPTION_API,
        "kind": "Subscription",
        "metadata": {
            "name": staging_hub_name(staging.model.name, env),
            "namespace": staging.namespace,
            "labels": _labels(repo, env, staging),
            "annotations": {GIT_BRANCH: environment.branch,
                            GIT_PATH: staging_folder(staging.model.name, staging.namespace)},
        },
        "spec": {
            "channel": f"{r.channel_namespace}/{channel_name(repo, env)}",
            "name": chart,
            "packageOverrides": [{"packageName": chart, "packageAlias": staging_release(staging.model.name, env)}],
            "placement": {"placementRef": {"kind": kind, "name": staging_hub_name(staging.model.name, env)}},
        },
    }


def where(repo: Repo, env: str, staging: Staging) -> dict[str, Any]:
    r = repo.repository
    metadata = {"name": staging_hub_name(staging.model.name, env), "namespace": staging.namespace,
                "labels": _labels(repo, env, staging)}
    if r.placement_api == "PlacementRule":
        return {"apiVersion": PLACEMENT_RULE_API, "kind": "PlacementRule", "metadata": metadata,
                "spec": placement_rule_spec(staging)}
    return {"apiVersion": PLACEMENT_API, "kind": "Placement", "metadata": metadata, "spec": placement_spec(staging)}


def staging_docs(repo: Repo, env: str, image: frozenset[str] = frozenset(), namespaces: Set[str] | None = None
                 ) -> tuple[dict[str, list[dict[str, Any]]], list[Staging]]:
    """`hub/apps/<ns>/models/<model>.yaml` -> its objects, and the stagings (for the
    Application and the cluster-set bindings compile_hub writes for every namespace);
    with `namespaces`, only the stagings that live in those (each still follows every
    workload of the repository)."""
    if namespaces is not None and not namespaces:  # none asked for: not even computed
        return {}, []
    found = [s for s in stagings(repo, env, image) if namespaces is None or s.namespace in namespaces]
    return {f"hub/apps/{s.namespace}/models/{s.model.name}.yaml": [subscription(repo, env, s), where(repo, env, s)]
            for s in found}, found
