"""Ports, the Service and probes that point at them, replicas and env var names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from i4qew.k8s import names as k8s_names
from i4qew.model.repo import Repo, Workload
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import Finding, KeyPath, judge_field, once, report, variants
from i4qew.text import did_you_mean, shorten

NODE_PORTS = (30000, 32767)  # the kube-apiserver's default --service-node-port-range
PROBES = ("liveness", "readiness", "startup")


def _ports(w: Workload) -> list[dict[str, Any]]:
    return list(w.spec.get("ports") or [])


def _in_range(n: int) -> bool:
    return 1 <= n <= 65535


def _probe_ports(probes: Any) -> Iterator[tuple[KeyPath, Any]]:
    """(spec's key path, value) of each probe's port, given spec.probes."""
    for probe in PROBES:
        spec = (probes or {}).get(probe) or {}
        for handler in ("httpGet", "tcpSocket", "grpc"):
            if handler in spec:
                yield ("spec", "probes", probe, handler, "port"), spec[handler]["port"]


@local
@rule(
    "port-name",
    "port names are IANA service names: at most 15 characters, lower-case letters, digits and '-', "
    "at least one letter",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: HTTP_API, containerPort: 8080}]"
    ),
)
def check_port_names(repo: Repo) -> Iterator[Problem]:
    memo: dict[str, list[Finding]] = {}
    for w in repo.workloads:
        found = once(memo, w.spec.get("ports"), _port_name_findings)
        if found:
            yield from report(w.doc, ("spec", "ports"), "port-name", found)


def _port_name_findings(ports: Any) -> list[Finding]:
    out: list[Finding] = []
    for i, p in enumerate(ports or ()):
        name = p.get("name")
        if isinstance(name, str):
            msg = k8s_names.port_name(name)
            if msg:
                out.append(((i, "name"), f"port name {shorten(name)!r} {msg}", Severity.ERROR, False))
    return out


@local
@rule(
    "port-number",
    "containerPort, service.port, a numeric targetPort and probe ports are 1-65535; a nodePort is 30000-32767 "
    "and needs service.type NodePort or LoadBalancer",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 0, targetPort: 70000}"
    ),
)
def check_port_numbers(repo: Repo) -> Iterator[Problem]:
    memo: dict[str, list[Finding]] = {}
    for w in repo.workloads:
        spec = w.spec
        found = once(memo, (spec.get("ports"), spec.get("service"), spec.get("probes")), _number_findings)
        if found:
            yield from report(w.doc, (), "port-number", found)
        for path, ingress in variants(w, "ingress"):
            value = ingress.get("servicePort")
            if isinstance(value, int) and not _in_range(value):
                yield w.doc.problem((*path, "servicePort"), "port-number",
                                    f"ingress.servicePort {value} is not a port number (1-65535)")


def _number_findings(parts: tuple[Any, Any, Any]) -> list[Finding]:
    """port-number's findings in spec.ports, spec.service and spec.probes (spec's paths)."""
    ports, svc, probes = parts
    out: list[Finding] = []
    for i, p in enumerate(ports or ()):
        if not _in_range(p["containerPort"]):
            out.append((("spec", "ports", i, "containerPort"),
                        f"containerPort {p['containerPort']} is not a port number (1-65535)", Severity.ERROR, False))
    svc = svc or {}
    for field in ("port", "targetPort"):
        value = svc.get(field)
        if isinstance(value, int) and not _in_range(value):
            out.append((("spec", "service", field), f"service.{field} {value} is not a port number (1-65535)",
                        Severity.ERROR, False))
    node_port = svc.get("nodePort")
    if isinstance(node_port, int):
        low, high = NODE_PORTS
        if svc.get("type", "ClusterIP") == "ClusterIP":
            out.append((("spec", "service", "nodePort"), "service.nodePort needs service.type NodePort or LoadBalancer",
                        Severity.ERROR, False))
        elif not low <= node_port <= high:
            out.append((("spec", "service", "nodePort"),
                        f"service.nodePort {node_port} is outside the node port range {low}-{high}", Severity.ERROR, False))
    for path, value in _probe_ports(probes):
        if isinstance(value, int) and not _in_range(value):
            out.append((path, f"probe port {value} is not a port number (1-65535)", Severity.ERROR, False))
    return out


@local
@rule(
    "duplicate-port",
    "port names are unique, and so is each containerPort per protocol",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9100}]"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}, {name: http, containerPort: 9100}]"
    ),
)
def check_duplicate_ports(repo: Repo) -> Iterator[Problem]:
    memo: dict[str, list[Finding]] = {}
    for w in repo.workloads:
        found = once(memo, w.spec.get("ports"), _duplicate_findings)
        if found:
            yield from report(w.doc, ("spec", "ports"), "duplicate-port", found)


def _duplicate_findings(ports: Any) -> list[Finding]:
    out: list[Finding] = []
    names: dict[str, int] = {}
    numbers: dict[tuple[int, str], int] = {}
    for i, p in enumerate(ports or ()):
        name = p.get("name")
        if isinstance(name, str):
            if name in names:
                out.append(((i, "name"), f"port name {name!r} is already used by ports[{names[name]}]",
                            Severity.ERROR, False))
            names.setdefault(name, i)
        key = (p["containerPort"], p.get("protocol", "TCP"))
        if key in numbers:
            out.append(((i, "containerPort"), f"containerPort {key[0]}/{key[1]} is already declared by "
                        f"ports[{numbers[key]}]", Severity.ERROR, False))
        numbers.setdefault(key, i)
    return out


@local
@rule(
    "port-reference",
    "a port given by name (service.targetPort, probe ports, ingress.servicePort) names a port of spec.ports; "
    "a numeric ingress.servicePort is service.port",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: web}"
    ),
)
def check_port_references(repo: Repo) -> Iterator[Problem]:
    memo: dict[str, list[Finding]] = {}
    for w in repo.workloads:
        spec = w.spec
        found = once(memo, (spec.get("ports"), spec.get("service"), spec.get("probes")), _reference_findings)
        if found:
            yield from report(w.doc, (), "port-reference", found)
        svc = spec.get("service") or {}
        for path, ingress in variants(w, "ingress"):
            value = ingress.get("servicePort")
            if value is None or not svc:
                continue
            if isinstance(value, int) and _in_range(value) and value != svc["port"]:
                yield w.doc.problem((*path, "servicePort"), "port-reference",
                                    f"ingress.servicePort {value} is not the Service's port {svc['port']}")
            elif isinstance(value, str) and value != _service_port_name(w):
                yield w.doc.problem((*path, "servicePort"), "port-reference",
                                    f"ingress.servicePort {shorten(value)!r} is not the Service's port name "
                                    f"{shorten(_service_port_name(w))!r}; give the number {svc['port']} instead")


def _reference_findings(parts: tuple[Any, Any, Any]) -> list[Finding]:
    """port-reference's findings in service.targetPort and the probes (spec's paths)."""
    ports, svc, probes = parts
    names = [p["name"] for p in ports or () if isinstance(p.get("name"), str)]
    listing = shorten(", ".join(names), 200) if names else "spec.ports has no named port"
    refs: list[tuple[KeyPath, Any, str]] = []
    svc = svc or {}
    if "targetPort" in svc:
        refs.append((("spec", "service", "targetPort"), svc["targetPort"], "service.targetPort"))
    refs.extend((path, value, "probe port") for path, value in _probe_ports(probes))
    out: list[Finding] = []
    for path, value, what in refs:
        if isinstance(value, str) and value not in names:
            out.append((path, f"{what} {shorten(value)!r} names no port{did_you_mean(value, names)}; ports: {listing}",
                        Severity.ERROR, False))
    return out


def _service_port_name(w: Workload) -> str:
    """The name the chart gives the Service's single port (see compile/chart/values.py)."""
    ports = _ports(w)
    svc = w.spec["service"]
    first = ports[0] if ports else {}
    target = svc.get("targetPort", first.get("name") or first.get("containerPort") or svc["port"])
    container = next((p for p in ports if target in (p.get("name"), p["containerPort"])), {})
    name = container.get("name") or (target if isinstance(target, str) else "http")
    return str(name)


@local
@rule(
    "replicas",
    "replicas is 0 or more (0 keeps the workload declared but stopped), in the spec and every environment",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  replicas: 2"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  replicas: -1"
    ),
)
def check_replicas(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        for path, value in variants(w, "replicas"):
            if value < 0:
                yield w.doc.problem(path, "replicas", f"replicas must be 0 or more, not {value}")


@local
@rule(
    "env-name",
    "env var names are valid (letters, digits, '_', '-', '.', not starting with a digit) and unique in each list",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  env: [{name: LOG_LEVEL, value: info}]"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  env: [{name: 1ST_RUN, value: 'yes'}, {name: LOG_LEVEL, value: info}, {name: LOG_LEVEL, value: debug}]"
    ),
)
def check_env_names(repo: Repo) -> Iterator[Problem]:
    return judge_field(repo, "env", "env-name", _env_name_findings)


def _env_name_findings(items: list[Any]) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item["name"]
        msg = k8s_names.env_var_name(name)
        if msg:
            out.append(((i, "name"), f"env var name {shorten(name)!r} {msg}", Severity.ERROR, False))
        elif name in seen:
            out.append(((i, "name"), f"env var {name} is already set by env[{seen[name]}]; the later one would win "
                        "silently", Severity.ERROR, False))
        seen.setdefault(name, i)
    return out
