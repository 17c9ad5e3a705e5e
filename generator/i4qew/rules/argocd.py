"""Delivery through Argo CD (`delivery: applicationset`): its settings, the names it
puts into the one Argo CD namespace, and never two controllers for one release."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from i4qew.k8s.names import dns1123_label, dns1123_subdomain
from i4qew.model.repo import Environment, Repo, Workload
from i4qew.placement.decide import gitops_cluster_name, placement_name
from i4qew.placement.effective import conjoin, effective_placement, meet_sets
from i4qew.placement.staging import staging_argocd_name, stagings
from i4qew.problems import Problem
from i4qew.rules.registry import rule

_SYNC_OPTION = re.compile(r"[A-Za-z][A-Za-z0-9]*=[A-Za-z0-9._/-]+")
_LISTED = 3


def _env_path(repo: Repo, env: Environment, key: str) -> tuple[str | int, ...]:
    doc = repo.repository.doc
    entries: Any = doc.data["spec"].get("environments") if doc is not None else None
    if isinstance(entries, list) and env.index < len(entries) and key in entries[env.index]:
        return ("spec", "environments", env.index, key)
    if key == "delivery" and doc is not None and "delivery" in doc.data["spec"]:
        return ("spec", "delivery")
    return ("spec", "environments", env.index) if entries else ("spec",)


def _may_share_a_cluster(repo: Repo, w: Workload, a: str, b: str) -> bool:
    ea, eb = effective_placement(repo, w, a), effective_placement(repo, w, b)
    if ea is None or eb is None:
        return False
    return bool(meet_sets(ea.cluster_sets, eb.cluster_sets)) and bool(conjoin(ea.predicates, eb.predicates))


@rule(
    "delivery-conflict",
    "two environments with different delivery (subscription, applicationset) never place one workload on the "
    "same cluster: ACM's Subscription and Argo CD would both install its Helm release there",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments:\n"
        "    - {name: dev, selector: stage=dev, delivery: applicationset}\n"
        "    - {name: production, selector: stage=production, promotesFrom: dev}"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments:\n"
        "    - {name: dev, selector: site=bologna, delivery: applicationset}\n"
        "    - {name: production, selector: 'site in (bologna, porto)', promotesFrom: dev}"
    ),
)
def check_delivery_conflict(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    envs = repo.repository.environments
    for i, a in enumerate(envs):
        for b in envs[i + 1:]:
            if a.delivery == b.delivery:
                continue
            names = [w.name for w in sorted(repo.workloads, key=lambda w: w.name)
                     if w.enabled_in(a.name) and w.enabled_in(b.name) and _may_share_a_cluster(repo, w, a.name, b.name)]
            if not names:
                continue
            listed = ", ".join(f"'{n}'" for n in names[:_LISTED]) + (f" and {len(names) - _LISTED} more"
                                                                       if len(names) > _LISTED else "")
            yield doc.problem(
                _env_path(repo, b, "delivery"), "delivery-conflict",
                f"environments '{a.name}' ({a.delivery}) and '{b.name}' ({b.delivery}) can place {listed} on the "
                f"same cluster, where ACM's Subscription and Argo CD would fight over one Helm release: make the "
                f"environments' selectors exclusive (e.g. stage={a.name} and stage={b.name}) or give both the same "
                "delivery (docs/argocd.md#migration)")


@rule(
    "argocd-settings",
    "spec.argocd names a valid namespace and project, and its syncOptions are Argo CD `Key=value` options that "
    "keep CreateNamespace=true",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  delivery: applicationset\n"
        "  argocd: {namespace: openshift-gitops, syncOptions: [ServerSideApply=true]}"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  delivery: applicationset\n"
        "  argocd: {syncOptions: ['CreateNamespace=false']}   # edges need the namespace created"
    ),
)
def check_argocd_settings(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None or not isinstance(doc.data["spec"].get("argocd"), dict):
        return
    a = repo.repository.argocd
    base = ("spec", "argocd")
    for key, value, check in (("namespace", a.namespace, dns1123_label), ("project", a.project, dns1123_subdomain),
                              ("server", a.server, dns1123_label)):
        why = check(value)
        if why is not None and key in doc.data["spec"]["argocd"]:
            yield doc.problem((*base, key), "argocd-settings", f"argocd.{key} {value!r} is not a valid name: {why}")
    for i, option in enumerate(a.sync_options):
        if not _SYNC_OPTION.fullmatch(option):
            yield doc.problem((*base, "syncOptions", i), "argocd-settings",
                              f"sync option {option!r} is not of the form Key=value (e.g. ServerSideApply=true)")
        elif option.split("=", 1)[0] == "CreateNamespace" and option != "CreateNamespace=true":
            yield doc.problem((*base, "syncOptions", i), "argocd-settings",
                              f"sync option {option!r}: i4qew always sets CreateNamespace=true, because an edge "
                              "cluster has no workload namespace before the first sync")


@rule(
    "argocd-names",
    "the names i4qew gives in the Argo CD namespace are unique: the Placement of each environment's "
    "GitOpsCluster (<repository>-<env>), each workload's Placement and ApplicationSet (<workload>-<env>) and "
    "each model staging's (<namespace>-<model>-<env>)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  delivery: applicationset   # repository plant: GitOpsCluster Placements plant-dev, plant-production\n"
        "# workloads/app.yaml\n"
        "metadata:\n"
        "  name: app   # Placements app-dev, app-production"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  delivery: applicationset   # repository plant: GitOpsCluster Placements plant-dev, plant-production\n"
        "# workloads/app.yaml\n"
        "metadata:\n"
        "  name: plant   # Placements plant-dev, plant-production: taken"
    ),
)
def check_argocd_names(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    envs = [e for e in repo.repository.environments if e.delivery == "applicationset"]
    taken: dict[str, dict[str, str]] = {}  # env -> name in the Argo CD namespace -> whose
    for e in envs:
        owners = taken[e.name] = {gitops_cluster_name(repo.repository.name, e.name):
                                  f"the GitOpsCluster Placement of environment '{e.name}'"}
        for s in stagings(repo, e.name):
            name = staging_argocd_name(s.model.name, s.namespace, e.name)
            if name in owners:
                yield s.model.doc.problem(("metadata", "name"), "argocd-names",
                                          f"model '{s.model.name}' staged in namespace {s.namespace} would have the "
                                          f"Placement and ApplicationSet {name} in the Argo CD namespace, which is the "
                                          f"name of {owners[name]}; rename the model")
            else:
                owners[name] = f"the staging of model '{s.model.name}' in namespace {s.namespace}"
    for w in sorted(repo.workloads, key=lambda w: w.name):
        for e in envs:
            name = placement_name(w.name, e.name)
            if w.enabled_in(e.name) and name in taken[e.name]:
                yield w.doc.problem(("metadata", "name"), "argocd-names",
                                    f"workload '{w.name}' would have the Placement {name} in the Argo CD namespace, "
                                    f"which is the name of {taken[e.name][name]}; rename the workload")
