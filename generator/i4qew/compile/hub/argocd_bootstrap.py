"""The one-time hub manifests of an environment with `delivery: applicationset`.

An admin applies them once on a hub with ACM and OpenShift GitOps: the
`acm-placement` ConfigMap the ApplicationSets' generator reads (identical to the
one the GitOpsCluster controller creates when absent), RBAC that lets the Argo CD
application controller apply what `hub/` holds, and an Argo CD Application that
applies the branch's `hub/` folder. From then on every change reaches the hub
through Git (docs/argocd.md).
"""

from __future__ import annotations

from typing import Any, Final

from i4qew.compile.hub.argocd import ARGOCD_API, IN_CLUSTER
from i4qew.compile.hub.names import PART_OF, hub_path, hub_subscription_name
from i4qew.model.repo import DEFAULT_ARGOCD_NAMESPACE, Hub, Repo

RBAC_API: Final = "rbac.authorization.k8s.io/v1"
HUB_ROLE: Final = "i4qew-argocd-hub"
ROLLOUT_ROLE: Final = "i4qew-argocd-rollout"
TRACKING_ID: Final = "/metadata/annotations/argocd.argoproj.io~1tracking-id"

# What hub/ holds, for the Argo CD application controller (the default OpenShift
# GitOps instance may not create these kinds): verbs to apply, prune and read.
_APPLY = ["get", "list", "watch", "create", "update", "patch", "delete"]
HUB_RULES: Final = (
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": _APPLY},
    {"apiGroups": ["cluster.open-cluster-management.io"],
     "resources": ["placements", "managedclustersetbindings"], "verbs": _APPLY},
    # OCM's webhook lets a ManagedClusterSetBinding be created only by who may bind the set.
    {"apiGroups": ["cluster.open-cluster-management.io"], "resources": ["managedclustersets/bind"],
     "verbs": ["create"]},
    {"apiGroups": ["apps.open-cluster-management.io"], "resources": ["gitopsclusters"], "verbs": _APPLY},
    {"apiGroups": ["argoproj.io"], "resources": ["applicationsets"], "verbs": _APPLY},
    {"apiGroups": ["policy.open-cluster-management.io"], "resources": ["policies", "placementbindings"],
     "verbs": _APPLY},
)


def controller_service_account(namespace: str) -> str:
    """OpenShift GitOps names it after the instance (`openshift-gitops` in its default
    namespace); an upstream Argo CD install calls it argocd-application-controller."""
    if namespace == DEFAULT_ARGOCD_NAMESPACE:
        return "openshift-gitops-argocd-application-controller"
    return "argocd-application-controller"


def hub_rbac(repo: Repo) -> list[dict[str, Any]]:
    ns = repo.repository.argocd.namespace
    labels = {PART_OF: "i4qew"}
    return [
        {"apiVersion": RBAC_API, "kind": "ClusterRole", "metadata": {"name": HUB_ROLE, "labels": labels},
         "rules": [dict(r) for r in HUB_RULES]},
        {"apiVersion": RBAC_API, "kind": "ClusterRoleBinding",
         "metadata": {"name": f"{HUB_ROLE}-{ns}", "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": HUB_ROLE},
         "subjects": [{"kind": "ServiceAccount", "name": controller_service_account(ns), "namespace": ns}]},
    ]


def rollout_rbac(repo: Repo, env: str) -> list[dict[str, Any]]:
    """With waves, hub/ holds the rollout state (a ConfigMap, hub/rollout.yaml) in the Argo
    CD namespace: a Role there for ConfigMaps, rather than ConfigMaps in every namespace."""
    environment = repo.repository.environment(env)
    if environment is None or not environment.waves:
        return []
    ns = repo.repository.argocd.namespace
    labels = {PART_OF: "i4qew"}
    return [
        {"apiVersion": RBAC_API, "kind": "Role", "metadata": {"name": ROLLOUT_ROLE, "namespace": ns, "labels": labels},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": _APPLY}]},
        {"apiVersion": RBAC_API, "kind": "RoleBinding",
         "metadata": {"name": ROLLOUT_ROLE, "namespace": ns, "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ROLLOUT_ROLE},
         "subjects": [{"kind": "ServiceAccount", "name": controller_service_account(ns), "namespace": ns}]},
    ]


def hub_application(repo: Repo, env: str, hub: Hub | None = None) -> dict[str, Any]:
    """Applies `hub/` of the environment branch on the hub itself (`hub/<hub>/` with spec.hubs)."""
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    # Namespaces and cluster-set bindings are shipped by every environment: each hub
    # Application would otherwise take the other's tracking annotation back for ever.
    shared = [{"group": "", "kind": "Namespace", "jsonPointers": [TRACKING_ID]},
              {"group": "cluster.open-cluster-management.io", "kind": "ManagedClusterSetBinding",
               "jsonPointers": [TRACKING_ID]}]
    return {
        "apiVersion": ARGOCD_API,
        "kind": "Application",
        "metadata": {"name": hub_subscription_name(repo, env), "namespace": r.argocd.namespace,
                     "labels": {PART_OF: "i4qew", "edge.i4q.eu/environment": env}},
        "spec": {
            "project": r.argocd.project,
            "source": {"repoURL": r.git_url, "targetRevision": environment.branch, "path": hub_path(hub),
                       "directory": {"recurse": True}},
            "destination": {"server": IN_CLUSTER},
            "ignoreDifferences": shared,
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["RespectIgnoreDifferences=true"],
            },
        },
    }


def header_lines(repo: Repo, env: str, hub: Hub | None = None) -> list[str]:
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    ns = r.argocd.namespace
    which = "the hub" if hub is None else f"hub '{hub.name}'"
    argo = "the hub's Argo CD" if hub is None else f"the Argo CD of hub '{hub.name}'"
    flag = "" if hub is None else f" --hub {hub.name}"
    lines = [
        f"i4qew bootstrap, environment '{env}' (delivery: applicationset, {r.argocd.mode} mode): from now on",
        f"{argo} in namespace {ns} follows branch '{environment.branch}' of {r.git_url}",
        f"(its {hub_path(hub)}/ folder).",
        "",
        f"Needs ACM 2.11+ and OpenShift GitOps (an Argo CD instance in {ns}) on {which}.",
        f"Apply once on {'the hub' if hub is None else 'that hub'}, as a cluster admin:",
        f"  i4qew bootstrap --env {env}{flag} | kubectl apply -f -",
    ]
    if r.git_secret_ref:
        lines += [
            "",
            "The repository is private: give Argo CD a read-only deploy token first (a repository Secret):",
            f"  kubectl -n {ns} create secret generic {r.git_secret_ref} --from-literal=type=git \\",
            f"    --from-literal=url={r.git_url} \\",
            "    --from-literal=username=DEPLOY_TOKEN_USERNAME --from-literal=password=DEPLOY_TOKEN",
            f"  kubectl -n {ns} label secret {r.git_secret_ref} argocd.argoproj.io/secret-type=repository",
        ]
    if r.git_ca_file:
        lines += ["", f"The Git server's CA ({r.git_ca_file}) must be trusted by Argo CD too: add it for the",
                  "Git host to the instance's TLS certificates (argocd-tls-certs-cm; on OpenShift GitOps",
                  "through the ArgoCD resource, which owns that ConfigMap)."]
    if r.argocd.mode == "pull":
        lines += ["", f"Pull mode: every edge cluster runs its own Argo CD in namespace {ns} and reaches the",
                  "Git server itself; see docs/argocd.md."]
    lines += ["", "See docs/argocd.md."]
    return lines
