"""Builders for small workload repositories and inventories (no tests here).

Each test writes a real repository into tmp_path and reads it back through the
same path a user's does (files -> validate_repo -> placement), so the
expectations are about behaviour, not about internal objects.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from i4qew.k8s.selector_structured import label_selector_as_selector
from i4qew.placement.decide import Planner
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory
from i4qew.validation import Validation, validate_repo

API = "edge.i4q.eu/v1alpha1"
ONE_ENV = [{"name": "dev", "branch": "acm-dev"}]


def cluster(name: str, labels: dict[str, str] | None = None, *, claims: dict[str, str] | None = None,
            taints: list[dict[str, Any]] | None = None, allocatable: dict[str, str] | None = None,
            available: str | None = None) -> dict[str, Any]:
    """A ManagedCluster as `kubectl get managedclusters -o yaml` prints one."""
    status: dict[str, Any] = {}
    if claims:
        status["clusterClaims"] = [{"name": k, "value": v} for k, v in claims.items()]
    if allocatable:
        status["allocatable"] = allocatable
    if available:
        status["conditions"] = [{"type": "ManagedClusterConditionAvailable", "status": available}]
    obj: dict[str, Any] = {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {"name": name, "labels": {"name": name, **(labels or {})}},
        "spec": {"hubAcceptsClient": True, **({"taints": taints} if taints else {})},
    }
    if status:
        obj["status"] = status
    return obj


def kubectl_list(clusters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": clusters, "kind": "List", "metadata": {"resourceVersion": ""}}


def policy(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "PlacementPolicy", "metadata": {"name": name}, "spec": spec}


def workload(name: str, placement: str, namespace: str = "apps", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "Workload", "metadata": {"name": name, "namespace": namespace},
            "spec": {"image": f"registry.example.com/{name}:1.0", "placement": placement, **spec}}


def model(name: str, placement: str, versions: tuple[str, ...] = ("1",)) -> dict[str, Any]:
    """A Model whose versions come from pinned OCI sources (digests made from the names)."""
    entries = [{"version": v, "source": f"oci://registry.example.com/models/{name}@sha256:"
                + hashlib.sha256(f"{name}/{v}".encode()).hexdigest()} for v in versions]
    return {"apiVersion": API, "kind": "Model", "metadata": {"name": name},
            "spec": {"versions": entries, "placement": placement,
                     "storage": {"hostPath": "/var/lib/i4q/models"}}}


def write_repo(root: Path, *, policies: list[dict[str, Any]], workloads: list[dict[str, Any]],
               models: list[dict[str, Any]] | None = None, clusters: list[dict[str, Any]] | None = None,
               environments: list[dict[str, Any]] | None = None, **settings: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    repository = {"apiVersion": API, "kind": "Repository", "metadata": {"name": "test"},
                  "spec": {"git": {"url": "https://gitlab.example.com/i4q/test.git"},
                           "environments": environments or ONE_ENV, **settings}}
    (root / "i4qew.yaml").write_text(yaml.safe_dump(repository, sort_keys=False))
    for folder, docs in (("policies", policies), ("workloads", workloads), ("models", models or [])):
        (root / folder).mkdir(exist_ok=True)
        for stale in (root / folder).glob("*.yaml"):
            stale.unlink()
        if docs:
            (root / folder / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    if clusters is not None:
        (root / "clusters").mkdir(exist_ok=True)
        (root / "clusters" / "managedclusters.yaml").write_text(yaml.safe_dump(kubectl_list(clusters)))
    return root


def validated(root: Path) -> tuple[Validation, Inventory]:
    result = validate_repo(root)
    assert result.repo is not None, [p.format() for p in result.problems]
    inventory, problems = load_inventory(root)
    assert inventory is not None and not problems, [p.format() for p in problems]
    return result, inventory


def decisions(root: Path, env: str = "dev", *, base: dict[str, list[str]] | None = None,
              now: datetime | None = None) -> dict[str, list[str]]:
    """workload name -> chosen cluster names, as `plan` decides them."""
    result, inventory = validated(root)
    assert result.repo is not None
    planner = Planner(result.repo, inventory, now=now)
    base_bits = {f"apps/{k}": inventory.bits_of(v) for k, v in (base or {}).items()}
    return {d.workload.name: inventory.cluster_names(d.clusters) for d in planner.decisions(env, base_bits)}


def decided_by(doc: dict[str, Any], labels: dict[str, str]) -> bool:
    """OCM's predicate semantics over one cluster's labels: the predicates are ORed."""
    for p in doc["spec"]["predicates"]:
        sel = label_selector_as_selector(p["requiredClusterSelector"]["labelSelector"])
        if sel is not None and sel.matches(labels):
            return True
    return False
