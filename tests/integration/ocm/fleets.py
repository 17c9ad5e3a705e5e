"""Seeded random repositories and inventories that use every placement feature the
schemas allow (no tests here): cluster sets (exclusive label, label selector,
`default` with a missing or empty label, `global`) with their bindings, ORed
predicates with label and claim selectors, taints NoSelect / PreferNoSelect /
NoSelectIfNew with values and timeAdded (or none), tolerations (Equal with a
value, Exists, with or without key and effect, tolerationSeconds), maxClusters,
tolerateOffline, model policies, architectures, GPUs and per-environment
placement overrides. Only tolerations OCM accepts are drawn (the others are the
`toleration` rule's business).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.placements import cluster, model, policy, workload, write_repo

SET = "cluster.open-cluster-management.io/clusterset"
UNREACHABLE = "cluster.open-cluster-management.io/unreachable"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SITES = ("bologna", "porto", "haifa")
TAINT_KEYS = ("example.com/maintenance", "example.com/busy", UNREACHABLE)
EFFECTS = ("NoSelect", "PreferNoSelect", "NoSelectIfNew")
ENVS = [{"name": "dev", "branch": "acm-dev", "selector": "stage=dev"},
        {"name": "production", "branch": "production", "selector": "stage=production", "promotesFrom": "dev"}]
# A ManagedClusterSet whose members come from a label selector, declared in the inventory.
LAB_SET = {"apiVersion": "cluster.open-cluster-management.io/v1beta2", "kind": "ManagedClusterSet",
           "metadata": {"name": "near"},
           "spec": {"clusterSelector": {"selectorType": "LabelSelector",
                                        "labelSelector": {"matchLabels": {"tier": "near"}}}}}
SETS = ("global", "default", "plant-a", "plant-b", "near")


def stamp(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _cluster(rng: random.Random, i: int) -> dict[str, Any]:
    site = rng.choice(SITES)
    labels = {"site": site, "stage": rng.choice(("dev", "production")), "tier": rng.choice(("near", "far"))}
    for arch in rng.sample(("amd64", "arm64"), rng.randint(0, 2)):
        labels[f"arch.edge.i4q.eu/{arch}"] = "true"
    if rng.random() < 0.4:
        labels["gpu.edge.i4q.eu/nvidia"] = "true"
    if rng.random() < 0.3:
        labels["role"] = rng.choice(("cnc-gateway", "line-server"))
    if rng.random() < 0.7:
        labels["models.edge.i4q.eu/cache"] = "true"
    membership = rng.random()
    if membership < 0.2:
        labels[SET] = ""  # the hub's webhook makes it `default`
    elif membership < 0.65:
        labels[SET] = rng.choice(("plant-a", "plant-b"))
    claims = {"product.open-cluster-management.io": rng.choice(("K3s", "MicroShift"))}
    if rng.random() < 0.8:
        claims["region"] = rng.choice(("eu", "il"))
    taints = []
    for key in rng.sample(TAINT_KEYS, rng.choice((0, 0, 1, 1, 2))):
        taint: dict[str, Any] = {"key": key, "effect": rng.choice(EFFECTS)}
        if rng.random() < 0.4:
            taint["value"] = rng.choice(("planned", "urgent"))
        if rng.random() < 0.9:
            taint["timeAdded"] = stamp(NOW - timedelta(minutes=rng.choice((0, 5, 30, 90, 600))))
        taints.append(taint)
    return cluster(f"{site}-{i:03d}", labels, claims=claims, taints=taints)


def _toleration(rng: random.Random) -> dict[str, Any]:
    tol: dict[str, Any] = {}
    if rng.random() < 0.85:
        tol["key"] = rng.choice(TAINT_KEYS)
        if rng.random() < 0.5:
            tol["operator"] = "Exists"
        else:
            if rng.random() < 0.5:
                tol["operator"] = "Equal"
            tol["value"] = rng.choice(("planned", "urgent"))
    else:
        tol["operator"] = "Exists"  # an empty key tolerates every taint (of the effect, if given)
    if rng.random() < 0.5:
        tol["effect"] = rng.choice(EFFECTS)
    if rng.random() < 0.35:
        tol["tolerationSeconds"] = rng.choice((60, 600, 3600, 86400))
    return tol


def _selector(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.7:
        parts.append(f"site in ({', '.join(sorted(rng.sample(SITES, rng.randint(1, 3))))})")
    if rng.random() < 0.3:
        parts.append(rng.choice(("tier=near", "tier!=near", "!role", "role", "role notin (cnc-gateway)")))
    return ", ".join(parts)


def _policy(rng: random.Random, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": _selector(rng)}
    if rng.random() < 0.4:
        spec["anyOf"] = [{"selector": rng.choice(("tier=near", "role=line-server", ""))},
                         {"matchLabels": {"tier": "far"},
                          "claims": rng.choice(("product.open-cluster-management.io=K3s", "region in (eu)"))}]
    elif rng.random() < 0.3:
        spec["claims"] = {"matchExpressions": [{"key": "region", "operator": rng.choice(("Exists", "DoesNotExist"))}]}
    if rng.random() < 0.6:
        spec["clusterSets"] = sorted(rng.sample(SETS, rng.randint(1, 2)))
    if rng.random() < 0.45:
        spec["maxClusters"] = rng.randint(1, 4)
    if rng.random() < 0.6:
        spec["tolerations"] = [_toleration(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        spec["tolerateOffline"] = False
    return policy(name, **spec)


@dataclass
class Fleet:
    clusters: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    models: list[dict[str, Any]]
    workloads: list[dict[str, Any]]

    def write(self, root: Path) -> Path:
        write_repo(root, policies=self.policies, workloads=self.workloads, models=self.models,
                   clusters=self.clusters, environments=ENVS, clusterSets=["global"])
        sets = root / "clusters" / "sets.yaml"
        import yaml

        sets.write_text(yaml.safe_dump(LAB_SET, sort_keys=False))
        return root


def random_fleet(seed: int, clusters: int = 40, workloads: int = 14) -> Fleet:
    rng = random.Random(seed)
    fleet = [_cluster(rng, i) for i in range(clusters)]
    policies = [_policy(rng, f"p{i}") for i in range(6)]
    models = [model("weights", "store", ("1",))]
    policies.append(policy("store", selector="models.edge.i4q.eu/cache=true",
                           **({"clusterSets": ["global"]} if seed % 2 else {}),
                           tolerations=[{"operator": "Exists"}]))
    loads = []
    for i in range(workloads):
        spec: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.25:
            spec["architectures"] = sorted(rng.sample(("amd64", "arm64"), rng.randint(1, 2)))
        elif roll < 0.4:
            spec["resources"] = {"limits": {"nvidia.com/gpu": "1"}}
        if rng.random() < 0.25:
            spec["model"] = {"name": "weights", "version": "1", "mountPath": "/models/weights"}
        if rng.random() < 0.2:
            spec["environments"] = {"production": {"placement": f"p{rng.randrange(6)}"}}
        loads.append(workload(f"w{i:02d}", f"p{rng.randrange(6)}", rng.choice(("plant", "lab")), **spec))
    return Fleet(fleet, policies, models, loads)


def churn(fleet: Fleet, seed: int) -> Fleet:
    """The next revision: some taints come and go, some maxClusters change."""
    rng = random.Random(seed * 7919)
    clusters = []
    for c in fleet.clusters:
        c = {**c, "spec": dict(c["spec"])}
        if rng.random() < 0.25:
            taints = [t for t in c["spec"].get("taints", []) if rng.random() < 0.5]
            if rng.random() < 0.6:
                taints.append({"key": "example.com/drain", "effect": rng.choice(EFFECTS), "timeAdded": stamp(NOW)})
            c["spec"]["taints"] = taints
        clusters.append(c)
    policies = []
    for p in fleet.policies:
        if "maxClusters" in p["spec"] and rng.random() < 0.5:
            p = {**p, "spec": {**p["spec"], "maxClusters": max(1, p["spec"]["maxClusters"] + rng.choice((-1, 1)))}}
        policies.append(p)
    return Fleet(clusters, policies, fleet.models, fleet.workloads)
