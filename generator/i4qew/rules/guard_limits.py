"""Guardrails on how much a workload takes: requests and limits per container,
GPUs per cluster, and the host directories its model may mount."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from i4qew.guardrails.model import Guardrail, host_dir
from i4qew.k8s.quantity import format_cpu_millis
from i4qew.model.repo import GPU_RESOURCE, Repo, Workload
from i4qew.problems import Problem
from i4qew.rules.examples import guardrail
from i4qew.rules.guardrails import judged
from i4qew.rules.mounts import absolute_path_problem
from i4qew.rules.registry import given, local, rule
from i4qew.rules.resources import quantity
from i4qew.rules.walk import KeyPath, effective, variants
from i4qew.text import shorten

_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def shown(name: str, q: Fraction) -> str:
    """A quantity as one would write it back: 2, 500m, 16Gi, 1536Mi."""
    if name == "cpu":
        return format_cpu_millis(q)
    if q.denominator == 1 and q > 0 and (name in ("memory", "ephemeral-storage") or name.startswith("hugepages-")):
        for suffix, size in _BINARY:
            if q % size == 0:
                return f"{q // size}{suffix}"
    return str(q.numerator) if q.denominator == 1 else str(float(q))


def _parsed(value: Any) -> Fraction | None:
    q = quantity(value)
    return q if isinstance(q, Fraction) else None  # resource-quantity reports the rest


def _over(w: Workload, g: Guardrail, path: KeyPath, res: dict[str, Any]) -> Iterator[Problem]:
    """The capped values of one `resources` (spec or an environment's); a missing
    request is its limit, as Kubernetes defaults it."""
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    ns = w.namespace
    for section, caps in (("requests", g.max_requests), ("limits", g.max_limits)):
        for name, cap in sorted(caps.items()):
            note = ""
            if section == "requests" and name not in requests:
                raw, where = limits.get(name), (*path, "limits", name)
                note = " (the request defaults to the limit)"
            else:
                raw, where = (requests if section == "requests" else limits).get(name), (*path, section, name)
            if raw is None:
                if section == "limits":
                    yield w.doc.problem(path, "resource-max",
                                        f"sets no limits.{name}, but {g.cite(ns)} caps it at {shown(name, cap)} "
                                        f"(maxResources.limits.{name}): set a limit within it")
                continue
            q = _parsed(raw)
            if q is not None and q > cap:
                yield w.doc.problem(where, "resource-max",
                                    f"{section}.{name} {shown(name, q)}{note} is more than namespace '{ns}' may use: "
                                    f"{g.cite(ns)} allows at most {shown(name, cap)} (maxResources.{section}.{name}); "
                                    f"to grant it, {g.grant(ns, f'maxResources.{section}.{name}: {shown(name, q)}')}")


def _gpus(repo: Repo, w: Workload, g: Guardrail) -> Iterator[Problem]:
    if g.max_gpus is None:
        return
    replicas = {env: n for env, _, n in effective(repo, w, "replicas")}
    seen: set[KeyPath] = set()
    for env, path, res in effective(repo, w, "resources"):
        gpus = _parsed((res.get("limits") or {}).get(GPU_RESOURCE, (res.get("requests") or {}).get(GPU_RESOURCE, 0)))
        n = replicas.get(env, 1)
        if gpus is None or not isinstance(n, int) or gpus * n <= g.max_gpus or path in seen:
            continue
        seen.add(path)
        ns = w.namespace
        yield w.doc.problem((*path, "limits", GPU_RESOURCE), "resource-max",
                            f"{n} replica{'s' if n != 1 else ''} × {shown(GPU_RESOURCE, gpus)} {GPU_RESOURCE} is "
                            f"{shown(GPU_RESOURCE, gpus * n)} GPUs per cluster in {env}; {g.cite(ns)} allows at most "
                            f"{g.max_gpus} (maxGPUs); to grant it, {g.grant(ns, f'maxGPUs: {shown(GPU_RESOURCE, gpus * n)}')}")


@local
@rule(
    "resource-max",
    "requests and limits stay within the namespace guardrail's maxResources (a capped limit must be set), "
    "and replicas × GPUs within maxGPUs",
    passing=(
        guardrail("{match: [plant], maxResources: {limits: {memory: 16Gi}}, maxGPUs: 1}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    limits: {memory: 8Gi, nvidia.com/gpu: 1}"
    ),
    failing=(
        guardrail("{match: [plant], maxResources: {limits: {memory: 16Gi}}, maxGPUs: 1}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    limits: {memory: 64Gi}"
    ),
)
def check_resources(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        if g.max_requests or g.max_limits:
            found = list(variants(w, "resources")) or [(("spec",), {})]
            for path, res in found:
                yield from _over(w, g, path, res)
        yield from _gpus(repo, w, g)


def inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@given
@rule(
    "host-path",
    "a workload mounts host directories only under the model roots or its namespace guardrail's hostPaths "
    "(the hostPath of the Model it names)",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  storage: {hostPath: /var/lib/i4q/models}   # a model root\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\", mountPath: /models}"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  storage: {hostPath: /var/lib/rancher}   # not a model root\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\", mountPath: /models}"
    ),
)
def check_host_paths(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    refused: dict[str, bool] = {}  # by host path: a few models' paths, met by thousands of workloads
    for w in judged(repo):
        ref = w.model
        model = repo.models.get(ref.name) if ref else None
        host = model.storage.get("hostPath") if model else None
        if model is None or not isinstance(host, str):
            continue  # no hostPath
        if (bad := refused.get(host)) is None:
            bad = refused[host] = absolute_path_problem(host) is not None
        if bad:
            continue  # one model-storage refuses
        g = guardrails.for_namespace(w.namespace)
        normal = host_dir(host)
        if inside(normal, guardrails.model_roots) or inside(normal, g.host_paths):
            continue
        shown_path = shorten(normal)
        line = model.doc.at(("spec", "storage", "hostPath"))[0]
        ns = w.namespace
        extra = (f" and the hostPaths {shorten(', '.join(g.host_paths), 200)} of {g.cite(ns)}" if g.host_paths
                 else f"; {g.cite(ns)} grants no hostPaths")
        yield w.doc.problem(("spec", "model", "name"), "host-path",
                            f"model '{shorten(model.name)}' mounts host path {shown_path} ({model.doc.path}:{line}), outside what "
                            f"namespace '{ns}' may mount: the model roots {shorten(', '.join(guardrails.model_roots), 200)} "
                            f"({guardrails.model_roots_cite()}){extra}; keep the model under a model root or, "
                            f"to grant it, {g.grant(ns, f'hostPaths: [{shown_path}]')}")
