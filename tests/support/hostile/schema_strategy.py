"""A hypothesis strategy for declarations, walked from the kind's JSON Schema.

Types, enums, consts, anyOf, required and optional properties, maps and lists come from
generator/i4qew/schemas/*.json; a new field is fuzzed without touching this file. Strings
are drawn from a pool mixing plausible values (so some declarations get through and reach
the charts) with hostile ones (template syntax, YAML 1.1 words, unicode, control-ish
characters); a few reference fields get a plausible pool of their own, since a random
image or policy name is always refused and would keep the render path unexercised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

HOSTILE = [
    '{{ fail "boom" }}', "{{ .Release.Name }}", '{{ lookup "v1" "Secret" "" "" }}', "{{- /* */ -}}",
    '{{ include "i4qew.labels" . }}', "[[ .x ]]", "on", "no", "y", "NO", "~", "null", "0777", "1e3", "",
    " ", "é", "\u0430pp", "\u200b", "\u202e", "a\nb", "#", "- x", "'", '"', "\\", "*", "&a", "!!str",
    "%", "@", "://", "..", "/", "x" * 300,
]
PLAUSIBLE = ["app", "edge", "web", "http", "main", "v1", "1.0", "/app", "/etc/app", "100m", "128Mi", "25%",
             "info", "TCP", "example.com/x", "a.example.com"]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(PLAUSIBLE), st.text(max_size=12))
KEY = st.one_of(st.sampled_from(["a", "app.kubernetes.io/part-of", "example.com/key", "x.conf", "cpu", "memory",
                                 "nvidia.com/gpu", "dev", "production"]), st.sampled_from(HOSTILE), st.text(max_size=8))

# Reference fields: a plausible pool first (most draws), anything else sometimes.
HINTS: dict[str, st.SearchStrategy[Any]] = {
    "spec.image": st.sampled_from(["registry.example.com/plant/app:1.0.0", "app:on", "app@sha256:" + "a" * 64]),
    "spec.placement": st.just("edge"),
    "spec.model.name": st.just("detector"),
    "spec.model.version": st.just("1.0"),
    "spec.environments.<key>": st.sampled_from(["dev", "production"]),
    "spec.ports.0.name": st.sampled_from(["http", "grpc", "metrics"]),
    "spec.service.targetPort": st.sampled_from(["http", 8080]),
    "spec.ingress.servicePort": st.sampled_from([80, "http"]),
    "spec.config.files.*": st.just("workloads/files/app.conf"),
    "spec.config.mountPath": st.sampled_from(["/etc/app", "/config"]),
    "spec.model.mountPath": st.sampled_from(["/models/detector", "/data"]),
    "spec.ingress.path": st.sampled_from(["/app", "/api/{{x}}", "/"]),
    "spec.ingress.host": st.sampled_from(["app.example.com", "*.example.com"]),
    "spec.env.0.name": st.sampled_from(["LOG_LEVEL", "MODE", "A_B"]),
    "spec.resources.requests.<key>": st.sampled_from(["cpu", "memory", "nvidia.com/gpu"]),
    "spec.resources.limits.<key>": st.sampled_from(["cpu", "memory", "nvidia.com/gpu"]),
    "spec.resources.requests.*": st.sampled_from(["100m", "128Mi", 1, "1"]),
    "spec.resources.limits.*": st.sampled_from(["500m", "256Mi", 1, "2"]),
    "spec.rollout.maxSurge": st.sampled_from([1, "25%", 0]),
    "spec.rollout.maxUnavailable": st.sampled_from([0, "25%", 1]),
    "spec.probes.liveness.successThreshold": st.just(1),
    "spec.probes.startup.successThreshold": st.just(1),
}
PORT = st.sampled_from([80, 8080, 9000, 0, 70000])
INT = st.one_of(st.integers(0, 5), st.integers(-3, 2**31 + 3), st.sampled_from([2**31 - 1, 2**63 - 1]))
# Places whose text the chart carries as data: hostile text is accepted there, so it is
# drawn there in tame mode too, and must come out of `helm template` intact.
FREE_TEXT = (".value", ".args.0", ".command.0", "annotations.*", "data.*", ".path", ".service",
             "capabilities.add.0", "capabilities.drop.0")


def _hint(pattern: str) -> st.SearchStrategy[Any] | None:
    for probe in (pattern, pattern.replace("spec.environments.*.", "spec.")):
        if probe in HINTS:
            return HINTS[probe]
    return None


def from_schema(node: Mapping[str, Any], pattern: str = "", *, wild: bool = True) -> st.SearchStrategy[Any]:
    """Values of `node`'s types. Wild: any value of the type anywhere, every optional field
    maybe. Tame: plausible values and a few optional fields per object, hostile text only
    where it is data, so that most declarations get through to the charts."""
    hint = _hint(pattern)
    if hint is not None:
        return hint if not wild else st.one_of(hint, hint, hint, _generic(node, pattern, wild))
    return _generic(node, pattern, wild)


def _generic(node: Mapping[str, Any], pattern: str, wild: bool) -> st.SearchStrategy[Any]:
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of([from_schema(alt, pattern, wild=wild) for alt in node["anyOf"]])
    kind = node.get("type")
    if kind == "string":
        if wild or pattern.endswith(FREE_TEXT):
            return TEXT
        return st.sampled_from(PLAUSIBLE)
    if kind == "integer":
        lo, hi = node.get("minimum"), node.get("maximum")
        port = pattern.endswith(("Port", "port"))
        if not wild:
            return st.sampled_from([80, 8080, 9000]) if port else st.integers(max(lo or 0, 1 if hi == 1 else 0),
                                                                              min(hi if hi is not None else 5, 5))
        if port:
            return PORT
        return INT.filter(lambda n: (lo is None or n >= lo - 1) and (hi is None or n <= hi + 1))
    if kind == "number":
        return st.one_of(st.integers(-2, 8), st.floats(-1, 64, allow_nan=False)) if wild else st.integers(1, 4)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        least = node.get("minItems", 0)
        return st.lists(from_schema(node["items"], f"{pattern}.0", wild=wild), min_size=least,
                        max_size=least + (2 if wild else 1))
    if kind == "object" or "properties" in node:
        return _object(node, pattern, wild)
    return st.none()


def _object(node: Mapping[str, Any], pattern: str, wild: bool) -> st.SearchStrategy[Any]:
    props = node.get("properties") or {}
    required = set(node.get("required") or ())
    fixed = {k: from_schema(v, f"{pattern}.{k}".lstrip("."), wild=wild) for k, v in props.items() if k in required}
    optional = {k: from_schema(v, f"{pattern}.{k}".lstrip("."), wild=wild) for k, v in props.items() if k not in required}
    if wild:
        base: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(fixed, optional=optional)
    else:
        names = sorted(optional)
        picks = st.lists(st.sampled_from(names), unique=True, max_size=3) if names else st.just([])
        base = picks.flatmap(lambda chosen: st.fixed_dictionaries({**fixed, **{k: optional[k] for k in chosen}}))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        keys = _hint(f"{pattern}.<key>")
        if keys is None:
            keys = KEY if wild else st.sampled_from(["a", "b", "example.com/k"])
        more = st.dictionaries(keys, from_schema(extra, f"{pattern}.*", wild=wild), max_size=2)
        return st.builds(lambda a, b: {**b, **a}, base, more)
    return base


_PROBES: dict[str, dict[str, Any]] = {
    "httpGet": {"httpGet": {"path": "/healthz", "port": "http"}}, "tcpSocket": {"tcpSocket": {"port": 8080}},
    "exec": {"exec": {"command": ["check"]}}, "grpc": {"grpc": {"port": 8080}},
}


def _probe(handler: str) -> dict[str, Any]:
    return dict(_PROBES[handler])


# A Service, its port, an Ingress and probes that agree with each other: fields that are
# only accepted together, so that random draws reach the Service and Ingress templates.
NETWORK: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({
    "ports": st.just([{"name": "http", "containerPort": 8080}]),
    "service": st.fixed_dictionaries({"port": st.just(80)}, optional={
        "targetPort": st.sampled_from(["http", 8080]), "type": st.sampled_from(["ClusterIP", "LoadBalancer"]),
        "annotations": st.dictionaries(st.sampled_from(["example.com/a", "b"]), TEXT, max_size=2)}),
}, optional={
    "ingress": st.fixed_dictionaries({"path": st.sampled_from(["/", "/app", "/{{.Release.Name}}"])}, optional={
        "host": st.sampled_from(["app.example.com", "*.example.com"]), "className": st.just("traefik"),
        "pathType": st.sampled_from(["Prefix", "Exact"]), "tlsSecretName": st.just("app-tls"),
        "annotations": st.dictionaries(st.sampled_from(["example.com/a", "b"]), TEXT, max_size=2)}),
    "probes": st.fixed_dictionaries({}, optional={
        p: st.sampled_from(["httpGet", "tcpSocket", "exec", "grpc"]).flatmap(
            lambda h: st.just(_probe(h)) | st.just(_probe(h)).map(lambda d: {**d, "periodSeconds": 5}))
        for p in ("liveness", "readiness", "startup")}),
    "imagePullSecrets": st.lists(st.sampled_from(["pull", "registry-a", {"name": "b"}]), max_size=2),
})
