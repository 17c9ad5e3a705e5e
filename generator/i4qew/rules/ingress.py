"""Ingress: well-formed paths and hosts, a Service to route to, no two workloads on one route."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from i4qew.k8s import names as k8s_names
from i4qew.model.repo import Repo, Workload
from i4qew.problems import Problem
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import KeyPath, effective, variants
from i4qew.text import shorten


def path_problem(path: str) -> str | None:
    """Why an Ingress path is refused (networking.k8s.io/v1 rules for Prefix and Exact), or None."""
    if not path.startswith("/"):
        return "must start with '/'"
    if any(ch.isspace() for ch in path):
        return "must not contain whitespace"
    if "//" in path:
        return "must not contain '//'"
    for bad in ("/./", "/../", "%2f", "%2F"):  # an encoded '/' too: the API refuses it in Prefix and Exact paths
        if bad in path:
            return f"must not contain '{bad}'"
    if path.endswith(("/..", "/.")):
        return "must not end with '/.' or '/..'"
    return None


def host_problem(host: str) -> str | None:
    """Why an Ingress host is refused, or None. A leading `*.` (one wildcard label) is allowed."""
    if "://" in host or "/" in host:
        return "must be a host name only, without scheme or path"
    if ":" in host and not host.startswith("["):
        return "must not include a port"
    try:
        ipaddress.ip_address(host.strip("[]"))
        return "must be a DNS name, not an IP address"
    except ValueError:
        pass
    name = host[2:] if host.startswith("*.") else host
    msg = k8s_names.dns1123_subdomain(name)
    if msg:
        return msg + (" (a wildcard is allowed only as a whole first label: *.example.com)" if "*" in name else "")
    return None


def _normal(path: str) -> str:
    return path.rstrip("/") or "/"


@local
@rule(
    "ingress-path",
    "ingress.path starts with '/' and has no whitespace, '//', '/./', '/../' or '%2f'",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        "  ingress: {path: /api/ui}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        "  ingress: {path: api/ui}"
    ),
)
def check_paths(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        for path, ingress in variants(w, "ingress"):
            msg = path_problem(ingress["path"])
            if msg:
                yield w.doc.problem((*path, "path"), "ingress-path", f"ingress.path {shorten(ingress['path'])!r} {msg}")


@local
@rule(
    "ingress-host",
    "ingress.host is a DNS-1123 subdomain (a leading '*.' allowed), not an IP, without scheme or port",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        "  ingress: {path: /, host: ui.plant-bologna.example.com}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        "  ingress: {path: /, host: https://UI.example.com:8443}"
    ),
)
def check_hosts(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        for path, ingress in variants(w, "ingress"):
            host = ingress.get("host")
            if isinstance(host, str):
                msg = host_problem(host)
                if msg:
                    yield w.doc.problem((*path, "host"), "ingress-host", f"ingress.host {shorten(host)!r} {msg}")


@local
@rule(
    "ingress-service",
    "a workload with an ingress has a service to route to",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        "  ingress: {path: /api/ui}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ingress: {path: /api/ui}   # no service"
    ),
)
def check_service(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        if w.spec.get("service"):
            continue
        for path, _ in variants(w, "ingress"):
            yield w.doc.problem(path, "ingress-service",
                                "an ingress routes to the workload's Service, but spec.service is not set; "
                                "add service: {port: ..., targetPort: ...}")


_APP_UI = (
    "# workloads/app.yaml\n"
    "spec:\n"
    "  ports: [{name: http, containerPort: 8080}]\n"
    "  service: {port: 80, targetPort: http}\n"
    "  ingress: {path: /api/ui}\n"
)


def _dashboard(path: str, comment: str = "") -> str:
    """The ingress-conflict examples' second workload, its ingress on `path`."""
    return (
        "# workloads/dashboard.yaml\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Workload\n"
        "metadata: {name: dashboard, namespace: plant}\n"
        "spec:\n"
        "  image: registry.example.com/plant/dashboard:1.0.0\n"
        "  placement: edge\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  service: {port: 80, targetPort: http}\n"
        f"  ingress: {{path: {path}}}" + (f"   # {comment}" if comment else "")
    )


@rule(
    "ingress-conflict",
    "no two workloads claim the same ingress host and path in one environment",
    passing=_APP_UI + _dashboard("/dashboard"),
    failing=_APP_UI + _dashboard("/api/ui/", "app's /api/ui: a trailing '/' makes no difference"),
)
def check_conflicts(repo: Repo) -> Iterator[Problem]:
    # Traefik and ingress-nginx merge every Ingress of a cluster into one routing
    # table: the same host and path in two namespaces still collide.
    found: dict[tuple[int, KeyPath, str, str], tuple[Workload, Workload, KeyPath, list[str]]] = {}
    ordered = sorted(repo.workloads, key=lambda w: (w.doc.path, w.doc.index))
    # what effective() yields for each workload that deploys an ingress, by environment name
    deployed: list[tuple[int, Workload, dict[str, list[tuple[KeyPath, Any]]]]] = []
    for i, w in enumerate(ordered):
        by_env: dict[str, list[tuple[KeyPath, Any]]] = {}
        for name, path, ingress in effective(repo, w, "ingress"):
            by_env.setdefault(name, []).append((path, ingress))
        if by_env:
            deployed.append((i, w, by_env))
    for env in repo.repository.environments:
        claimed: dict[tuple[str, str], tuple[Workload, KeyPath]] = {}
        for i, w, by_env in deployed:
            for path, ingress in by_env.get(env.name, ()):
                route = (ingress.get("host") or "*", _normal(ingress["path"]))
                other, other_path = claimed.setdefault(route, (w, path))
                if other is not w:
                    key = (i, path, *route)
                    found.setdefault(key, (w, other, other_path, []))[3].append(env.name)
    for (_, path, host, route_path), (w, other, other_path, envs) in found.items():
        line = other.doc.at((*other_path, "path"))[0]
        where = "any host" if host == "*" else f"host {host}"
        yield w.doc.problem((*path, "path"), "ingress-conflict",
                            f"{where}, path {route_path} is already routed to workload {other.name} "
                            f"({other.doc.path}:{line}) in environment {', '.join(envs)}")
