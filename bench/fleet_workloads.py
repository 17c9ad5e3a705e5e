"""Models and workloads of the synthetic fleet, as the documents users would write.

Each workload picks a workload policy (round robin over a shuffled order, so
load spreads), a model whose policy covers the policy's region, and the
architectures / GPU request; the choice is checked against the generator's
own placement arithmetic and changed until both environments select at least
one cluster. The requests are small, so capacity holds on realistic sizes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from fleet_placement import Selector
from fleet_policies import Policy

API = "edge.i4q.eu/v1alpha1"
ENVS = ("dev", "production")
DOMAINS = {
    "vision": ("defect-detector", "inspection-ui", "ocr-reader", "weld-inspector"),
    "lrt": ("sktime-forecaster", "reliability-api", "drift-monitor"),
    "pm": ("vibration-anomaly", "spindle-health", "tool-wear"),
    "qc": ("spc-monitor", "quality-predictor", "batch-classifier"),
    "energy": ("load-forecaster", "peak-shaver", "meter-gateway"),
}
MODEL_FAMILIES = ("yolo-defects", "lrt-forecaster", "vibration-ae", "isolation-forest", "ocr-crnn",
                  "weld-seam-cnn", "energy-lstm", "tool-wear-gbm")
TEAMS = ("a", "b", "c", "d")
CPU = ((10, "10m"), (20, "20m"), (25, "25m"), (50, "50m"), (100, "100m"))
MEMORY = ((32, "32Mi"), (64, "64Mi"), (96, "96Mi"), (128, "128Mi"))
ARCH_CHOICES = (("amd64",), ("amd64", "arm64"), ("arm64",), ("arm",), ("arm", "arm64"))
FALLBACK_ARCHS = (*ARCH_CHOICES, ("amd64", "arm", "arm64"))
PORTS = (("http", 8080), ("http", 8000), ("grpc", 50051), ("metrics", 9100))


@dataclass
class ModelInfo:
    name: str
    versions: tuple[str, ...]
    policy: Policy
    doc: dict[str, Any]


def make_models(rng: random.Random, count: int, policies: list[Policy]) -> list[ModelInfo]:
    out = []
    for j in range(count):
        name = f"{MODEL_FAMILIES[j % len(MODEL_FAMILIES)]}-{j:03d}"
        major = rng.randint(1, 3)
        versions = tuple(f"{major}.{k}" for k in range(rng.randint(1, 4)))
        if j % 3 == 2:
            versions = (*versions, f"2024.{rng.randint(1, 12)}")
        policy = policies[j % len(policies)]
        storage: dict[str, Any] = (
            {"hostPath": "/var/lib/i4q/models"} if j % 2 == 0
            else {"persistentVolumeClaim": {"claimName": "i4q-models", "readOnly": True}}
        )
        # Pinned sources (digests and sizes derived from the names, no draw from rng,
        # so the fleet's other choices stay as they were).
        entries = [{"version": v, "size": f"{(j % 7 + 1) * 16 + k}Mi",
                    "source": f"oci://registry.example.com/models/{name}@sha256:"
                              + hashlib.sha256(f"{name}/{v}".encode()).hexdigest()}
                   for k, v in enumerate(versions)]
        doc = {"apiVersion": API, "kind": "Model", "metadata": {"name": name},
               "spec": {"description": f"{name.rsplit('-', 1)[0]} model, synthetic fleet",
                        "versions": entries, "placement": policy.name, "storage": storage}}
        out.append(ModelInfo(name, versions, policy, doc))
    return out


@dataclass
class WorkloadInfo:
    doc: dict[str, Any]
    policy: Policy
    model_policy: Policy | None
    archs: tuple[str, ...]
    gpu: bool
    cpu_m: int
    mem_mi: int
    replicas: dict[str, int]


def _choose(sel: Selector, rng: random.Random, wp: Policy, mp: Policy | None) -> tuple[tuple[str, ...], bool] | None:
    preferred = ARCH_CHOICES[rng.randrange(len(ARCH_CHOICES))]
    # GPU workloads are few and stay on site-scoped policies: a GPU is scarce at the edge.
    want_gpu = rng.random() < 0.03 and any(r[0] == "site" and r[1] == "In" for r in wp.base.labels)
    for gpu in ((True, False) if want_gpu else (False,)):
        for archs in (preferred, *FALLBACK_ARCHS):
            if gpu and "amd64" not in archs:
                continue
            if all(sel.effective(wp, mp, env, archs, gpu)[0] for env in ENVS):
                return archs, gpu
    return None


def make_workload(rng: random.Random, w: int, sel: Selector, wp: Policy, models: list[ModelInfo]) -> WorkloadInfo:
    domain = list(DOMAINS)[w % len(DOMAINS)]
    function = DOMAINS[domain][(w // len(DOMAINS)) % len(DOMAINS[domain])]
    name, namespace = f"{function}-{w:04d}", f"i4q-{domain}-{TEAMS[rng.randrange(len(TEAMS))]}"
    model = rng.choice(models) if models and rng.random() < 0.85 else None
    choice = _choose(sel, rng, wp, model.policy if model else None)
    if choice is None and model is not None:
        model = None
        choice = _choose(sel, rng, wp, None)
    if choice is None:
        raise RuntimeError(f"generator bug: policy {wp.name} selects no cluster in some environment")
    archs, gpu = choice
    cpu_m, cpu = CPU[rng.randrange(len(CPU))]
    mem_mi, mem = MEMORY[rng.randrange(len(MEMORY))]
    if gpu:
        cpu_m, cpu, mem_mi, mem = 250, "250m", 512, "512Mi"
    port_name, port = PORTS[rng.randrange(len(PORTS))]
    version = f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    image = f"registry.gitlab.com/i4q/{domain}/{function}:{version}"
    spec: dict[str, Any] = {"image": image, "replicas": 1}
    if port_name == "grpc":
        spec["args"] = ["--grpc-port", str(port)]
    spec["ports"] = [{"name": port_name, "containerPort": port}]
    spec["service"] = {"port": 80 if port_name == "http" else port, "targetPort": port_name}
    if port_name == "http" and rng.random() < 0.3:
        spec["ingress"] = {"path": f"/{namespace}/{name}", "className": "traefik"}
    env: list[dict[str, Any]] = [{"name": "LOG_LEVEL", "value": rng.choice(("info", "debug", "warning"))},
           {"name": "WORKERS", "value": str(rng.randint(1, 4))}]
    if rng.random() < 0.3:
        env.append({"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": f"{function}-api", "key": "token"}}})
    if rng.random() < 0.3:
        env.append({"name": "MQTT_URL", "valueFrom": {"configMapKeyRef": {"name": "plant-mqtt", "key": "url"}}})
    spec["env"] = env
    if rng.random() < 0.15:
        spec["config"] = {"mountPath": f"/etc/{function}",
                          "data": {"app.yaml": f"threshold: 0.{rng.randint(10, 99)}\nwindow: {rng.randint(5, 60)}\n"}}
    requests: dict[str, Any] = {"cpu": cpu, "memory": mem}
    limits: dict[str, Any] = {"cpu": f"{cpu_m * 4}m", "memory": f"{mem_mi * 2}Mi"}
    if gpu:
        requests["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = 1
    spec["resources"] = {"requests": requests, "limits": limits}
    spec["architectures"] = list(archs)
    if model is not None:
        spec["model"] = {"name": model.name, "version": rng.choice(model.versions), "mountPath": f"/models/{model.name}"}
    spec["placement"] = wp.name
    if port_name == "http" and rng.random() < 0.5:
        spec["probes"] = {"readiness": {"httpGet": {"path": "/healthz", "port": port_name}, "periodSeconds": 10}}
    if rng.random() < 0.2:
        spec["rollout"] = {"maxUnavailable": 0, "maxSurge": 1}
    replicas = {"dev": 1, "production": 1}
    overrides: dict[str, Any] = {}
    if rng.random() < 0.3 and not gpu:
        replicas["production"] = 2
        overrides.setdefault("production", {})["replicas"] = replicas["production"]
    if rng.random() < 0.2:
        digest = hashlib.sha256(f"{name}:{version}".encode()).hexdigest()
        overrides.setdefault("production", {})["image"] = f"registry.gitlab.com/i4q/{domain}/{function}@sha256:{digest}"
    if rng.random() < 0.2:
        overrides.setdefault("dev", {})["env"] = [{"name": "LOG_LEVEL", "value": "debug"}, *env[1:]]
    if overrides:
        spec["environments"] = overrides
    doc = {"apiVersion": API, "kind": "Workload", "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return WorkloadInfo(doc, wp, model.policy if model else None, archs, gpu, cpu_m, mem_mi, replicas)
