"""The values.yaml of a workload's chart: everything workload-specific, in Kubernetes shape.

The chart's templates are fixed; they only read these values. Every key the
templates read is always present (empty when unused), so values.yaml shows the
whole interface of the chart; "unused" is `{}`, `[]`, `""` or 0, never `null`,
which Helm drops from values.

Defaults decided here (documented in docs and the module docstring of chart.py):

- securityContext: guardrails/security.py (restricted profile, numeric user 65532
  so a k3s kubelet starts root images; readOnlyRootFilesystem false, with an
  emptyDir at /tmp when a workload sets it).
- rollout: maxUnavailable 0 / maxSurge 1 (a new pod is ready before an old one
  goes), except for GPU workloads: a surge pod would wait forever for the GPU the
  old pod holds on a one-GPU edge node, so they default to maxUnavailable 1 / maxSurge 0.
- GPU pods tolerate the common `nvidia.com/gpu` NoSchedule taint (the limit itself is
  the workload's; validation insists on it) and run with the environment's GPU
  runtime class (`nvidia` unless i4qew.yaml says otherwise): k3s registers the NVIDIA
  containerd runtime and ships a `nvidia` RuntimeClass, but keeps runc the default.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, Final

from i4qew.compile.chart.model import model_values
from i4qew.guardrails.security import security
from i4qew.model.repo import GPU_RESOURCE, Repo, Workload
from i4qew.placement.effective import needs_gpu

# Labels the chart sets itself; a workload's labels cannot replace them.
RESERVED_LABELS: Final = frozenset({
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "app.kubernetes.io/component",
})
COMPONENT_LABEL: Final = "app.kubernetes.io/component"
DEFAULT_COMPONENT: Final = "workload"


def _sorted(value: Any) -> Any:
    """User-given maps with their keys sorted, at every depth: reordering keys in a
    declaration must not change the chart."""
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _quantity(value: Any) -> str:
    """A resource quantity as a string: `1` and `"1"` render alike."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(value)).normalize(), "f")


def _resources(spec: dict[str, Any]) -> dict[str, Any]:
    given = spec.get("resources") or {}
    return {part: {k: _quantity(v) for k, v in sorted((given.get(part) or {}).items())}
            for part in ("requests", "limits") if given.get(part)}


def _ports(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in spec.get("ports") or ():
        port: dict[str, Any] = {"name": p["name"]} if p.get("name") else {}
        port["containerPort"] = p["containerPort"]
        port["protocol"] = p.get("protocol", "TCP")
        out.append(port)
    return out


def _service(spec: dict[str, Any], ports: list[dict[str, Any]]) -> dict[str, Any]:
    svc = spec.get("service")
    if not svc:
        return {}
    first = ports[0] if ports else {}
    target = svc.get("targetPort", first.get("name") or first.get("containerPort") or svc["port"])
    container = next((p for p in ports if target in (p.get("name"), p["containerPort"])), {})
    out: dict[str, Any] = {
        "type": svc.get("type", "ClusterIP"),
        "port": svc["port"],
        "targetPort": target,
        "portName": container.get("name") or (target if isinstance(target, str) else "http"),
        "protocol": container.get("protocol", "TCP"),
        "nodePort": svc.get("nodePort", 0),
        "annotations": dict(sorted((svc.get("annotations") or {}).items())),
    }
    return out


def _ingress(spec: dict[str, Any]) -> dict[str, Any]:
    ing = spec.get("ingress")
    if not ing:
        return {}
    return {
        "className": ing.get("className", ""),
        "host": ing.get("host", ""),
        "path": ing["path"],
        "pathType": ing.get("pathType", "Prefix"),
        "servicePort": ing.get("servicePort", (spec.get("service") or {}).get("port", 80)),
        "tlsSecretName": ing.get("tlsSecretName", ""),
        "annotations": dict(sorted((ing.get("annotations") or {}).items())),
    }


def _config(repo: Repo, spec: dict[str, Any]) -> dict[str, Any]:
    cfg = spec.get("config")
    if not cfg:
        return {}
    data = dict(cfg.get("data") or {})
    for name, ref in (cfg.get("files") or {}).items():
        data[name] = repo.files[str(PurePosixPath(ref))]
    return {"mountPath": cfg["mountPath"], "data": dict(sorted(data.items()))}


def _env(spec: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    user = [{"name": e["name"], **_sorted({k: v for k, v in e.items() if k != "name"})}
            for e in spec.get("env") or ()]
    names = {e["name"] for e in user}
    generated = [{"name": n, "value": v} for n, v in (
        ("MODEL_NAME", model.get("name")), ("MODEL_VERSION", model.get("version")),
        ("MODEL_PATH", model.get("mountPath")),
    ) if model and n not in names]
    return generated + user


def _pull_secrets(spec: dict[str, Any], model_secret: str | None = None) -> list[dict[str, str]]:
    """The workload's imagePullSecrets, and the Model's pull secret when the kubelet pulls
    the model as an image volume."""
    names: list[str] = []
    for s in spec.get("imagePullSecrets") or ():
        name = s if isinstance(s, str) else s["name"]
        if name not in names:
            names.append(name)
    if model_secret and model_secret not in names:
        names.append(model_secret)
    return [{"name": n} for n in names]


def _runtime_class(repo: Repo, env: str) -> str:
    environment = repo.repository.environment(env)
    return environment.gpu_runtime_class if environment is not None else ""


def chart_values(repo: Repo, workload: Workload, env: str, image: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The values of `workload`'s chart in `env`, in the fixed order values.yaml shows them."""
    spec = workload.spec_for(env)
    meta = workload.doc.data.get("metadata") or {}
    labels = meta.get("labels") or {}
    gpu = needs_gpu(spec)
    ports = _ports(spec)
    model = model_values(repo, spec, image)
    sec = security(spec)
    rollout = {"maxUnavailable": 1, "maxSurge": 0} if gpu else {"maxUnavailable": 0, "maxSurge": 1}
    rollout.update(spec.get("rollout") or {})
    probes = spec.get("probes") or {}
    return {
        "name": workload.name,
        "component": labels.get(COMPONENT_LABEL, DEFAULT_COMPONENT),
        "labels": {k: v for k, v in sorted(labels.items()) if k not in RESERVED_LABELS},
        "annotations": dict(sorted((meta.get("annotations") or {}).items())),
        "image": spec["image"],
        "imagePullSecrets": _pull_secrets(spec, repo.models[model["name"]].pull_secret if model.get("volume", {}).get("image") else None),
        "replicas": spec.get("replicas", 1),
        "command": list(spec.get("command") or ()),
        "args": list(spec.get("args") or ()),
        "ports": ports,
        "service": _service(spec, ports),
        "ingress": _ingress(spec),
        "env": _env(spec, model),
        "config": _config(repo, spec),
        "model": model,
        "resources": _resources(spec),
        "architectures": list(spec.get("architectures") or ()),
        "tolerations": [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}] if gpu else [],
        "runtimeClassName": _runtime_class(repo, env) if gpu else "",
        "probes": {k: _sorted(probes.get(k) or {}) for k in ("liveness", "readiness", "startup")},
        "podSecurityContext": dict(sec.pod),
        "securityContext": dict(sec.container),
        "rollout": {"maxUnavailable": rollout["maxUnavailable"], "maxSurge": rollout["maxSurge"]},
    }
