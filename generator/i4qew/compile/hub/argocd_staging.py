"""The models' staging charts under `delivery: applicationset`: Argo CD delivers them
the way it delivers the workloads' charts (compile/hub/argocd.py), no Channel, no
Subscription.

A gated pod waits for its model version, so its staging must reach the clusters its
workload runs on by the environment's own mechanism: with Argo CD an edge may have no
subscription agent that could clone Git. Per staging (placement/staging.py: a model in
an environment, in the models namespace or, for a PVC model, in a workload namespace):

    hub/argocd/stagings/<ns>/<model>.yaml   Placement + ApplicationSet `<ns>-<model>-<env>`
                                            in the Argo CD namespace: the staging placement's
                                            clusters, one Application each, chart
                                            `staging/<ns>/<model>/`, Helm release
                                            `<model>-<env>` in namespace <ns> (created by the
                                            sync option CreateNamespace=true)
    hub/apps/<ns>/models/<model>.yaml       the same Placement `<model>-<env>` in <ns>, which
                                            the stagings' Policies bind to (PlacementBindings
                                            are namespace-local), as a workload's

The names in the Argo CD namespace carry the staging's namespace: a PVC model has a
staging in each workload namespace that uses it (rule argocd-names keeps them apart
from the workloads'). The release and the chart are the ones the Subscription delivery
installs, so the stager's objects and the status ConfigMap keep their names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from i4qew.compile.hub.argocd import ChartUnit, applicationset
from i4qew.compile.hub.names import env_labels
from i4qew.compile.hub.staging import MODEL_LABEL, where
from i4qew.compile.staging.names import staging_folder, staging_release
from i4qew.model.repo import Repo
from i4qew.placement.staging import Staging, staging_argocd_name


def staging_unit(repo: Repo, env: str, s: Staging) -> ChartUnit:
    name = staging_argocd_name(s.model.name, s.namespace, env)
    return ChartUnit(name=name, chart_path=staging_folder(s.model.name, s.namespace),
                     release=staging_release(s.model.name, env), namespace=s.namespace, placement=name,
                     labels={**env_labels(repo, env), MODEL_LABEL: s.model.name})


def _in_argocd(repo: Repo, env: str, s: Staging, name: str) -> dict[str, Any]:
    """The staging's Placement (compile/hub/staging.py `where`), named `name` in the Argo CD namespace."""
    doc = where(repo, env, s)
    doc["metadata"].update(name=name, namespace=repo.repository.argocd.namespace)
    return doc


def argocd_staging_docs(repo: Repo, env: str, found: Sequence[Staging]) -> dict[str, list[dict[str, Any]]]:
    """path -> the objects of that file, for the stagings `found` (see the module docstring)."""
    docs: dict[str, list[dict[str, Any]]] = {}
    for s in found:
        unit = staging_unit(repo, env, s)
        docs[f"hub/argocd/stagings/{s.namespace}/{s.model.name}.yaml"] = [
            _in_argocd(repo, env, s, unit.placement), applicationset(repo, env, unit)]
        docs[f"hub/apps/{s.namespace}/models/{s.model.name}.yaml"] = [where(repo, env, s)]
    return docs
