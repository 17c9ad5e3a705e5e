"""Names, labels and annotations of the generated hub resources.

One place decides every generated name so the hub resources, the bootstrap
manifests, the README and the placement snapshot agree on them. Names are
unique per environment on a shared hub (`<workload>-<env>`, `<repo>-<env>`) and
shortened deterministically (hash suffix) to the limit of the kind.
"""

from __future__ import annotations

from typing import Final

from i4qew.k8s.names import short_name
from i4qew.model.repo import Hub, Repo, Workload
from i4qew.placement.names import gitops_cluster_name as placement_gitops_name
from i4qew.placement.names import placement_name

__all__ = [
    "APP_LABEL",
    "ARGOCD_SHARED",
    "ARGOCD_SYNC_OPTIONS",
    "DO_NOT_DELETE",
    "ENV_LABEL",
    "GIT_BRANCH",
    "GIT_DESIRED_COMMIT",
    "GIT_PATH",
    "HUB_PATH",
    "PART_OF",
    "RECONCILE_OPTION",
    "RECONCILE_RATE",
    "WORKLOAD_LABEL",
    "app_label",
    "application_name",
    "channel_ca_name",
    "channel_name",
    "chart_name",
    "env_labels",
    "gitops_cluster_name",
    "hub_application_name",
    "hub_labels",
    "hub_path",
    "hub_subscription_name",
    "placement_name",
    "release_name",
    "rollout_name",
    "shared_labels",
    "subscription_name",
    "wave_branch",
    "wave_name",
]

OCM_APPS: Final = "apps.open-cluster-management.io"
GIT_BRANCH: Final = f"{OCM_APPS}/git-branch"
GIT_PATH: Final = f"{OCM_APPS}/git-path"
GIT_DESIRED_COMMIT: Final = f"{OCM_APPS}/git-desired-commit"
RECONCILE_OPTION: Final = f"{OCM_APPS}/reconcile-option"
RECONCILE_RATE: Final = f"{OCM_APPS}/reconcile-rate"
DO_NOT_DELETE: Final = f"{OCM_APPS}/do-not-delete"
# Objects every environment ships identically, applied by each environment's hub
# Argo CD Application: none of them prunes or deletes what the others still need.
ARGOCD_SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
ARGOCD_SHARED: Final = "Prune=false,Delete=false"

APP_LABEL: Final = "app"
PART_OF: Final = "app.kubernetes.io/part-of"
MANAGED_BY: Final = "app.kubernetes.io/managed-by"
ENV_LABEL: Final = "edge.i4q.eu/environment"
WORKLOAD_LABEL: Final = "edge.i4q.eu/workload"
I4QEW: Final = "i4qew"

HUB_PATH: Final = "hub"  # the folder of the branch the hub-local subscription tracks


def hub_path(hub: Hub | None) -> str:
    """The folder one hub's hub-local subscription tracks: hub/, or hub/<hub>/ with spec.hubs."""
    return HUB_PATH if hub is None else f"{HUB_PATH}/{hub.name}"

# The ACM console refuses application names longer than 37 characters.
APPLICATION_MAX: Final = 37
NAME_MAX: Final = 63


def app_label(repo: Repo, env: str) -> str:
    """The `app` label value grouping an environment's subscriptions (= Application name)."""
    return application_name(repo, env)


def application_name(repo: Repo, env: str) -> str:
    return short_name(repo.repository.name, APPLICATION_MAX, env)


def channel_name(repo: Repo, env: str) -> str:
    return short_name(repo.repository.name, NAME_MAX, env)


def gitops_cluster_name(repo: Repo, env: str) -> str:
    """The GitOpsCluster of an applicationset environment and its Placement."""
    return placement_gitops_name(repo.repository.name, env)


def channel_ca_name(repo: Repo, env: str) -> str:
    """The Channel's CA ConfigMap; ACM copies it under this name into every workload
    namespace on the edge clusters, where the chart's own ConfigMaps end in -config."""
    return short_name(repo.repository.name, NAME_MAX, env, "ca")


def hub_subscription_name(repo: Repo, env: str) -> str:
    """The hub-local subscription of `i4qew bootstrap` (tracks the hub/ folder)."""
    return short_name(repo.repository.name, NAME_MAX, env, "hub")


def hub_application_name(repo: Repo, env: str) -> str:
    return short_name(repo.repository.name, APPLICATION_MAX, env, "hub")


def rollout_name(repo: Repo, env: str) -> str:
    """The ConfigMap holding the environment's rollout state (hub/rollout.yaml)."""
    return short_name(repo.repository.name, NAME_MAX, env, "rollout")


def wave_name(workload: Workload, env: str, wave: str) -> str:
    """A wave's Placement and Subscription: `<workload>-<env>-<wave>`."""
    return short_name(workload.name, NAME_MAX, env, wave)


def wave_branch(env_branch: str, wave: str) -> str:
    """The branch a pinned wave's Subscription follows: at exactly its pinned commit, because
    ACM's HelmRelease downloads a Git chart from its branch head, whatever commit is pinned
    (docs/rollout.md)."""
    return f"{env_branch}-wave-{wave}"


def subscription_name(workload: Workload, env: str) -> str:
    return short_name(workload.name, NAME_MAX, env)


def chart_name(workload: Workload) -> str:
    """The `name` in charts/<workload>/Chart.yaml: ACM's Git subscriber indexes the
    chart by it, and `spec.name`/`packageName` must equal it."""
    return workload.name


def release_name(workload: Workload) -> str:
    """The Helm release name (`packageAlias`): without an alias ACM names the release
    `<chart>-<first 5 characters of the Subscription UID>`, which changes whenever the
    Subscription is recreated. The same in every environment, so promotion does not
    rename the workload's Kubernetes objects. Never shortened here: ACM renames a
    release over 31 characters itself, so validation keeps workload names within 31
    (rules/names.py) and the release is the workload's name on every cluster."""
    return workload.name


def env_labels(repo: Repo, env: str, workload: Workload | None = None) -> dict[str, str]:
    labels = {
        APP_LABEL: app_label(repo, env),
        PART_OF: I4QEW,
        MANAGED_BY: I4QEW,
        ENV_LABEL: env,
    }
    if workload is not None:
        labels[WORKLOAD_LABEL] = workload.name
    return labels


def shared_labels() -> dict[str, str]:
    """Labels of objects every environment ships identically (Namespaces, bindings):
    nothing environment-specific, so two environments never rewrite each other's copy.
    ACM copies the applying subscription's labels onto objects that lack those keys,
    so `app` is set here too (the hub-local subscriptions carry only these three)."""
    return {APP_LABEL: I4QEW, PART_OF: I4QEW, MANAGED_BY: I4QEW}


def hub_labels(repo: Repo, env: str) -> dict[str, str]:
    """Labels of the bootstrap's hub-local Subscription and its Application."""
    return {APP_LABEL: hub_application_name(repo, env), PART_OF: I4QEW, MANAGED_BY: I4QEW}
