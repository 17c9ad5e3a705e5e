"""The synthetic cluster inventory: sites, regions, tiers, stages, architectures, GPUs.

Every site gets four *core* clusters (near-edge and far-edge, in both stages)
whose labels are fixed, so any policy that targets a site is guaranteed a
cluster of each kind there; the other clusters are drawn at random. Sizes are
filled in later (fleet_capacity), from the load the workloads put on them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

REGIONS = ("eu-south", "eu-west", "eu-central", "eu-north", "il-central")
# Ten sites per region, in the order of REGIONS.
SITES_BY_REGION = (
    ("bologna", "milano", "torino", "porto", "lisboa", "valencia", "bilbao", "napoli", "genova", "braga"),
    ("lyon", "nantes", "lille", "gent", "rotterdam", "cork", "bristol", "leeds", "rennes", "brest"),
    ("ljubljana", "graz", "munich", "linz", "brno", "zagreb", "krakow", "dresden", "kosice", "maribor"),
    ("tampere", "oulu", "aarhus", "malmo", "bergen", "turku", "tartu", "kaunas", "riga", "umea"),
    ("haifa", "ashdod", "karmiel", "rehovot", "yokneam", "sderot", "dimona", "afula", "eilat", "arad"),
)
MAX_SITES = sum(len(s) for s in SITES_BY_REGION)
PILOTS = ("lrt", "vision", "pm", "qc", "energy")
NEAR, FAR = "near-edge", "far-edge"
STAGES = ("dev", "production")
ROLES = {NEAR: ("line-server", "plant-server"), FAR: ("cnc-gateway", "camera-gateway", "plc-gateway")}
K8S_VERSIONS = ("v1.27.14+k3s1", "v1.28.9+k3s1", "v1.29.4+k3s1", "v1.30.2+k3s1")
UNREACHABLE = "cluster.open-cluster-management.io/unreachable"
MAINTENANCE = "edge.i4q.eu/maintenance"
LOW_BANDWIDTH = "edge.i4q.eu/low-bandwidth"
ARCH_PREFIX = "arch.edge.i4q.eu/"
GPU_LABEL = "gpu.edge.i4q.eu/nvidia"
CACHE_LABEL = "models.edge.i4q.eu/cache"
CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"
PRODUCT_CLAIM = "product.open-cluster-management.io"
ADDED = "2024-05-06T08:30:00Z"  # fixed: the output must not depend on the clock


@dataclass
class Cluster:
    name: str
    site: str
    region: str
    tier: str
    stage: str
    archs: tuple[str, ...]
    gpu: bool
    labels: dict[str, str]
    claims: dict[str, str]
    taints: list[tuple[str, str]]  # (key, effect)
    cluster_set: str | None  # None: the `default` set
    version: str
    # Filled in by fleet_capacity.size_clusters.
    cpu: int = 0
    memory_gi: int = 0
    gpus: int = 0
    pods: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def site_list(n_sites: int) -> list[tuple[str, str]]:
    """(site, region) pairs, regions interleaved so a small fleet still spans them."""
    out: list[tuple[str, str]] = []
    for i in range(max(len(s) for s in SITES_BY_REGION)):
        for region, sites in zip(REGIONS, SITES_BY_REGION, strict=True):
            if i < len(sites):
                out.append((sites[i], region))
    return out[:n_sites]


def _make(rng: random.Random, name: str, site: str, region: str, pilot: str, core: tuple[str, str] | None) -> Cluster:
    archs: tuple[str, ...]
    taints: list[tuple[str, str]] = []
    if core is not None:
        tier, stage = core
        archs = ("amd64", "arm64") if tier == NEAR else ("arm", "arm64")
        gpu, cache, in_set, product = tier == NEAR, True, True, "K3s"
        role, env, decommissioned = ROLES[tier][0], pilot, False
    else:
        tier = NEAR if rng.random() < 0.35 else FAR
        stage = "dev" if rng.random() < 0.25 else "production"
        r = rng.random()
        if tier == NEAR:
            archs = ("amd64",) if r < 0.7 else ("amd64", "arm64") if r < 0.9 else ("arm64",)
        else:
            archs = ("arm64",) if r < 0.6 else ("arm",) if r < 0.85 else ("arm", "arm64")
        gpu = "amd64" in archs and rng.random() < 0.3
        cache, in_set = rng.random() < 0.6, rng.random() < 0.9
        product = "K3s" if rng.random() < 0.9 else "MicroShift"
        role, env = rng.choice(ROLES[tier]), pilot if rng.random() < 0.8 else rng.choice(PILOTS)
        decommissioned = rng.random() < 0.02
        if rng.random() < 0.03:
            taints.append((UNREACHABLE, "NoSelect"))
        if rng.random() < 0.02:
            taints.append((MAINTENANCE, "NoSelect"))
        if tier == FAR and rng.random() < 0.03:
            taints.append((LOW_BANDWIDTH, "PreferNoSelect"))
    version = K8S_VERSIONS[1] if core else K8S_VERSIONS[rng.randrange(len(K8S_VERSIONS))]
    cluster_set = f"edge-{region}" if in_set else None
    labels = {f"{ARCH_PREFIX}{a}": "true" for a in archs}
    labels.update(env=env, name=name, region=region, role=role, site=site, stage=stage, tier=tier)
    if cluster_set:
        labels[CLUSTERSET_LABEL] = cluster_set
    if gpu:
        labels[GPU_LABEL] = "true"
    if cache:
        labels[CACHE_LABEL] = "true"
    if decommissioned:
        labels["decommissioned"] = "true"
    claims = {"id.k8s.io": name, PRODUCT_CLAIM: product}
    return Cluster(name, site, region, tier, stage, archs, gpu, dict(sorted(labels.items())), claims,
                   taints, cluster_set, version)


@dataclass
class Inventory:
    clusters: list[Cluster]  # sorted by name
    sites: list[tuple[str, str]]  # (site, region)
    pilots: dict[str, str]  # site -> the `env` label of its core clusters


def make_clusters(rng: random.Random, count: int) -> Inventory:
    """`count` clusters over min(50, count // 8) sites."""
    if count < 8:
        raise ValueError("--clusters must be at least 8 (four core clusters per site, two sites)")
    sites = site_list(min(MAX_SITES, max(2, count // 8)))
    pilots = {site: PILOTS[rng.randrange(len(PILOTS))] for site, _ in sites}
    per_site: dict[str, int] = {}
    out: list[Cluster] = []

    def add(site: str, region: str, core: tuple[str, str] | None) -> None:
        n = per_site[site] = per_site.get(site, 0) + 1
        out.append(_make(rng, f"{site}-{n:04d}", site, region, pilots[site], core))

    for site, region in sites:
        for stage in STAGES:
            for tier in (NEAR, FAR):
                add(site, region, (tier, stage))
    while len(out) < count:
        site, region = sites[rng.randrange(len(sites))]
        add(site, region, None)
    return Inventory(sorted(out, key=lambda c: c.name), sites, pilots)


def managed_cluster(c: Cluster) -> dict[str, Any]:
    """The object as `kubectl get managedclusters -o yaml` prints it (keys sorted)."""
    spec: dict[str, Any] = {"hubAcceptsClient": True, "leaseDurationSeconds": 60}
    if c.taints:
        spec["taints"] = [{"effect": e, "key": k, "timeAdded": ADDED} for k, e in c.taints]
    offline = any(k == UNREACHABLE for k, _ in c.taints)
    capacity: dict[str, str] = {"cpu": str(c.cpu), "memory": f"{c.memory_gi}Gi"}
    allocatable: dict[str, str] = {"cpu": str(c.cpu), "memory": f"{c.memory_gi * 1024 - 256}Mi"}
    if c.gpus:
        capacity["nvidia.com/gpu"] = allocatable["nvidia.com/gpu"] = str(c.gpus)
    capacity["pods"] = allocatable["pods"] = str(c.pods)
    condition = (
        {"lastTransitionTime": ADDED, "message": "Registration agent stopped updating its lease.",
         "reason": "ManagedClusterLeaseUpdateStopped", "status": "Unknown"}
        if offline else
        {"lastTransitionTime": ADDED, "message": "Managed cluster is available",
         "reason": "ManagedClusterAvailable", "status": "True"}
    )
    condition["type"] = "ManagedClusterConditionAvailable"
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {"labels": c.labels, "name": c.name},
        "spec": spec,
        "status": {
            "allocatable": allocatable,
            "capacity": capacity,
            "clusterClaims": [{"name": k, "value": v} for k, v in sorted(c.claims.items())],
            "conditions": [condition],
            "version": {"kubernetes": c.version},
        },
    }


def managed_cluster_list(clusters: list[Cluster]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": [managed_cluster(c) for c in clusters], "kind": "List",
            "metadata": {"resourceVersion": ""}}
