"""Argo CD objects of an environment with `delivery: applicationset`.

Per environment, in the Argo CD namespace (spec.argocd.namespace, default
openshift-gitops): a GitOpsCluster and its Placement, which make ACM register the
environment's clusters with Argo CD as cluster secrets. Per deliverable chart: a
Placement in the Argo CD namespace and an ApplicationSet whose
clusterDecisionResource generator turns that Placement's decisions into one
Application per cluster (docs/argocd.md has the sources).

A `ChartUnit` is what gets delivered: a chart folder of the branch, its Helm
release name, the namespace on the edge, and the Placement that decides where.
Workload charts are one kind of unit; anything else the hub delivers the same
way (a model-staging chart) is another. `applicationset` takes `revision` and
`group` so a rollout can pin a commit per decision group
(`cluster.open-cluster-management.io/decision-group-index`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from i4qew.compile.hub.names import (
    env_labels,
    gitops_cluster_name,
    placement_name,
    release_name,
)
from i4qew.compile.hub.placement import PLACEMENT_API, placement
from i4qew.model.repo import OFFLINE_TAINTS, Repo, Toleration, Workload
from i4qew.placement.effective import EffectivePlacement

ARGOCD_API: Final = "argoproj.io/v1alpha1"
GITOPSCLUSTER_API: Final = "apps.open-cluster-management.io/v1beta1"
# The ConfigMap the GitOpsCluster controller creates in the Argo CD namespace for
# the clusterDecisionResource generator (multicloud-integrations rbac_management.go).
ACM_PLACEMENT_CONFIGMAP: Final = "acm-placement"
ACM_PLACEMENT_DATA: Final = {
    "apiVersion": "cluster.open-cluster-management.io/v1beta1",
    "kind": "placementdecisions",
    "statusListKey": "decisions",
    "matchKey": "clusterName",
}
PLACEMENT_LABEL: Final = "cluster.open-cluster-management.io/placement"
DECISION_GROUP_LABEL: Final = "cluster.open-cluster-management.io/decision-group-index"
# ACM's pull model (propagation-controller/application/application_controller.go).
PULL_LABEL: Final = "apps.open-cluster-management.io/pull-to-ocm-managed-cluster"
PULL_CLUSTER: Final = "apps.open-cluster-management.io/ocm-managed-cluster"
PULL_APP_NAMESPACE: Final = "apps.open-cluster-management.io/ocm-managed-cluster-app-namespace"
SKIP_RECONCILE: Final = "argocd.argoproj.io/skip-reconcile"
IN_CLUSTER: Final = "https://kubernetes.default.svc"
CREATE_NAMESPACE: Final = "CreateNamespace=true"
# Edges go offline: retry for ever, 30 s, 60 s, ... at most every 10 minutes.
RETRY: Final = {"limit": -1, "backoff": {"duration": "30s", "factor": 2, "maxDuration": "10m"}}
REQUEUE_SECONDS: Final = 180  # Argo CD's default, stated so the hub does not depend on it


@dataclass(frozen=True)
class ChartUnit:
    """One chart of the branch delivered to the clusters one Placement decides."""

    name: str  # ApplicationSet name, and the prefix of its Applications
    chart_path: str  # folder on the environment branch
    release: str  # Helm release name, the same on every cluster and in every environment
    namespace: str  # destination namespace on the edge
    placement: str  # Placement in the Argo CD namespace
    labels: Mapping[str, str]


def workload_unit(repo: Repo, env: str, w: Workload) -> ChartUnit:
    return ChartUnit(name=placement_name(w.name, env), chart_path=f"charts/{w.name}", release=release_name(w),
                     namespace=w.namespace, placement=placement_name(w.name, env),
                     labels=env_labels(repo, env, w))


def decision_selector(unit: ChartUnit, group: int | None = None) -> dict[str, str]:
    """The PlacementDecisions a generator reads: the unit's Placement, or one of its decision groups."""
    labels = {PLACEMENT_LABEL: unit.placement}
    if group is not None:
        labels[DECISION_GROUP_LABEL] = str(group)
    return labels


def sync_options(repo: Repo) -> list[str]:
    return [CREATE_NAMESPACE, *(o for o in repo.repository.argocd.sync_options if o != CREATE_NAMESPACE)]


def application_template(repo: Repo, env: str, unit: ChartUnit, revision: str | None = None) -> dict[str, Any]:
    """The Application each decided cluster gets; `{{name}}`/`{{server}}` are the
    generator's parameters (the Argo CD cluster secret's name and server)."""
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    pull = r.argocd.mode == "pull"
    metadata: dict[str, Any] = {"name": f"{unit.name}-{{{{name}}}}", "labels": dict(unit.labels)}
    if pull:
        metadata["labels"][PULL_LABEL] = "true"
        metadata["annotations"] = {
            PULL_CLUSTER: "{{name}}",
            # ACM 2.11-2.14 read it; 2.15 puts the Application in the hub's namespace anyway.
            PULL_APP_NAMESPACE: r.argocd.namespace,
            SKIP_RECONCILE: "true",
        }
    return {
        "metadata": metadata,
        "spec": {
            "project": r.argocd.project,
            "source": {
                "repoURL": r.git_url,
                "targetRevision": revision or environment.branch,
                "path": unit.chart_path,
                # The chart's selectors hold app.kubernetes.io/instance = release: immutable.
                "helm": {"releaseName": unit.release},
            },
            "destination": {"server": IN_CLUSTER if pull else "{{server}}", "namespace": unit.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": sync_options(repo),
                "retry": RETRY,
            },
        },
    }


def applicationset(repo: Repo, env: str, unit: ChartUnit, *, revision: str | None = None,
                   group: int | None = None) -> dict[str, Any]:
    return {
        "apiVersion": ARGOCD_API,
        "kind": "ApplicationSet",
        "metadata": {"name": unit.name, "namespace": repo.repository.argocd.namespace, "labels": dict(unit.labels)},
        "spec": {
            "generators": [{"clusterDecisionResource": {
                "configMapRef": ACM_PLACEMENT_CONFIGMAP,
                "labelSelector": {"matchLabels": decision_selector(unit, group)},
                "requeueAfterSeconds": REQUEUE_SECONDS,
            }}],
            "template": application_template(repo, env, unit, revision),
        },
    }


def argocd_placement(repo: Repo, ep: EffectivePlacement) -> dict[str, Any]:
    """The workload's Placement, in the Argo CD namespace where the generator lists decisions."""
    doc = placement(repo, ep)
    doc["metadata"]["namespace"] = repo.repository.argocd.namespace
    return doc


def environment_placement(repo: Repo, env: str, cluster_sets: list[str]) -> dict[str, Any]:
    """Every cluster of the environment (its selector, in the cluster sets its workloads
    use), offline ones included: a cluster that drops out loses its Argo CD cluster
    secret, and with it its Applications."""
    environment = repo.repository.environment(env)
    assert environment is not None
    tolerations = [Toleration(k, "Exists", None, None) for k in OFFLINE_TAINTS]
    return {
        "apiVersion": PLACEMENT_API,
        "kind": "Placement",
        "metadata": {"name": gitops_cluster_name(repo, env), "namespace": repo.repository.argocd.namespace,
                     "labels": env_labels(repo, env)},
        "spec": {
            "clusterSets": cluster_sets,
            "predicates": [{"requiredClusterSelector": {"labelSelector": dict(environment.selector.to_structured())}}],
            "tolerations": [{"key": t.key, "operator": t.operator} for t in tolerations],
        },
    }


def gitops_cluster(repo: Repo, env: str) -> dict[str, Any]:
    a = repo.repository.argocd
    spec: dict[str, Any] = {
        "argoServer": {"cluster": a.server, "argoNamespace": a.namespace},
        "placementRef": {"apiVersion": PLACEMENT_API, "kind": "Placement", "name": gitops_cluster_name(repo, env)},
    }
    if a.mode == "pull":
        # No hub -> cluster API access: cluster secrets without credentials, which the
        # generator still needs to match a decision (duck_type.go findCluster).
        spec["createBlankClusterSecrets"] = True
    return {
        "apiVersion": GITOPSCLUSTER_API,
        "kind": "GitOpsCluster",
        "metadata": {"name": gitops_cluster_name(repo, env), "namespace": a.namespace, "labels": env_labels(repo, env)},
        "spec": spec,
    }


def acm_placement_configmap(repo: Repo) -> dict[str, Any]:
    """What the GitOpsCluster controller creates when absent, byte for byte in `data`
    (it never updates an existing one). Printed by bootstrap only: every environment's
    hub Application would otherwise claim the same object."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": ACM_PLACEMENT_CONFIGMAP, "namespace": repo.repository.argocd.namespace},
        "data": dict(ACM_PLACEMENT_DATA),
    }
