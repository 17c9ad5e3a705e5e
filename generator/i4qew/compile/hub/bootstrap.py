"""The one-time hub manifests that make an ACM hub follow an environment branch.

An ACM admin applies them once: the channel Namespace, the Git Channel
(identical to hub/channel.yaml, which later takes it over) and its CA ConfigMap
when spec.git.caFile is set (the hub must trust the Git server before it can
clone the branch that carries hub/channel-ca.yaml), an Application for the
console, and a hub-local Subscription that applies the branch's `hub/` folder.
From then on every change reaches the hub through Git.

The hub-local subscription applies objects into many namespaces (the workload
namespaces, their Placements and bindings) and cluster-scoped Namespaces. ACM
allows that only for subscriptions of a *subscription admin*: the user recorded
on the Subscription when it was created or last updated must be a subject of a
ClusterRoleBinding to the ClusterRole `open-cluster-management:subscription-admin`.
ACM looks at the binding of that name first, then at every other binding to the
ClusterRole (multicloud-operators-subscription pkg/utils/gitrepo.go IsClusterAdmin:
matchUserSubAdmin, scanUserSubAdmin), so any such binding counts. Otherwise ACM
puts every namespaced object into the subscription's own namespace. The output
holds no RBAC object of its own (granting admin is the hub admin's decision);
its header says how to grant it.
"""

from __future__ import annotations

from typing import Any, Final

from i4qew.compile.hub.argocd import acm_placement_configmap
from i4qew.compile.hub.argocd_bootstrap import header_lines, hub_rbac, rollout_rbac
from i4qew.compile.hub.argocd_bootstrap import hub_application as argocd_hub_application
from i4qew.compile.hub.names import (
    APP_LABEL,
    GIT_BRANCH,
    GIT_PATH,
    RECONCILE_OPTION,
    channel_name,
    hub_application_name,
    hub_labels,
    hub_path,
    hub_subscription_name,
)
from i4qew.compile.hub.subscription import (
    RECONCILE,
    channel,
    channel_ca,
    namespace,
    yaml_docs,
)
from i4qew.compile.hub.subscription_doc import SUBSCRIPTION_API
from i4qew.model.repo import Hub, Repo
from i4qew.placement.expressible import repository_problems
from i4qew.problems import UserError

SUBSCRIPTION_ADMIN: Final = "open-cluster-management:subscription-admin"


def hub_subscription(repo: Repo, env: str, hub: Hub | None = None) -> dict[str, Any]:
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    return {
        "apiVersion": SUBSCRIPTION_API,
        "kind": "Subscription",
        "metadata": {
            "name": hub_subscription_name(repo, env),
            "namespace": r.channel_namespace,
            "labels": hub_labels(repo, env),
            "annotations": {GIT_BRANCH: environment.branch, GIT_PATH: hub_path(hub), RECONCILE_OPTION: RECONCILE},
        },
        "spec": {
            "channel": f"{r.channel_namespace}/{channel_name(repo, env)}",
            "placement": {"local": True},
        },
    }


def hub_application(repo: Repo, env: str) -> dict[str, Any]:
    name = hub_application_name(repo, env)
    return {
        "apiVersion": "app.k8s.io/v1beta1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": repo.repository.channel_namespace,
                     "labels": hub_labels(repo, env)},
        "spec": {
            "componentKinds": [{"group": "apps.open-cluster-management.io", "kind": "Subscription"}],
            "descriptor": {},
            "selector": {"matchExpressions": [{"key": APP_LABEL, "operator": "In", "values": [name]}]},
        },
    }


def _header(repo: Repo, env: str, hub: Hub | None) -> str:
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    admin = SUBSCRIPTION_ADMIN
    which = "the ACM hub" if hub is None else f"ACM hub '{hub.name}'"
    flag = "" if hub is None else f" --hub {hub.name}"
    lines = [
        f"i4qew bootstrap, environment '{env}': from now on {which} follows branch",
        f"'{environment.branch}' of {r.git_url} (its {hub_path(hub)}/ folder).",
        "",
        f"Apply once on {'the hub' if hub is None else 'that hub'}, as a subscription admin:",
        f"  i4qew bootstrap --env {env}{flag} | kubectl apply -f -",
        "",
        "A subscription admin is a subject of any ClusterRoleBinding to the ClusterRole",
        f"{admin}. ACM checks the user who last created or updated",
        "the hub-local Subscription below: re-applying this output as a non-admin drops the",
        "right. To add USER:",
        f"  oc adm policy add-cluster-role-to-user {admin} USER",
        "",
        "The hub and every edge cluster a workload lands on clone the branch themselves:",
        "each needs HTTPS egress to the Git server.",
    ]
    if r.git_secret_ref:
        lines += [
            "",
            f"The repository is private: first create the Secret {r.git_secret_ref} the Channel reads",
            "(a read-only deploy token, scope read_repository; ACM copies it into each workload",
            "namespace on each edge cluster the workload lands on):",
            f"  kubectl create namespace {r.channel_namespace}",
            f"  kubectl -n {r.channel_namespace} create secret generic {r.git_secret_ref} \\",
            "    --from-literal=user=DEPLOY_TOKEN_USERNAME --from-literal=accessToken=DEPLOY_TOKEN",
        ]
    lines += ["", "See docs/acm-quickstart.md."]
    return _comment(lines)


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def bootstrap_manifests(repo: Repo, env: str, hub: Hub | None = None) -> bytes:
    """Multi-document YAML for `kubectl apply -f -`; raises UserError like compile_hub.
    `hub`: one hub of spec.hubs (its channel namespace, its folder hub/<hub>/)."""
    if hub is not None:
        repo = repo.for_hub(hub)
    problems = repository_problems(repo, env)
    if problems:
        raise UserError(problems)
    if repo.repository.delivery_of(env) == "applicationset":
        # With spec.hubs the rollout state stays outside the hubs' folders: no ConfigMap to apply.
        argo_docs = [acm_placement_configmap(repo), *hub_rbac(repo), *(rollout_rbac(repo, env) if hub is None else []),
                     argocd_hub_application(repo, env, hub)]
        return _comment(header_lines(repo, env, hub)).encode("utf-8") + yaml_docs(argo_docs)
    ca = channel_ca(repo, env)
    docs = [
        namespace(repo.repository.channel_namespace),
        *([ca] if ca is not None else []),
        channel(repo, env),
        hub_application(repo, env),
        hub_subscription(repo, env, hub),
    ]
    return _header(repo, env, hub).encode("utf-8") + yaml_docs(docs)
