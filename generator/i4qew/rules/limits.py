"""Limits the Kubernetes API enforces on what a chart renders, checked before the chart
is written: the API server refuses the object on the cluster, where nobody sees why.

- RollingUpdate parameters: a whole number (0 or more) or a percentage string `25%`
  (the API refuses the string "1"), maxUnavailable at most 100 %, never both zero.
- Annotations: at most 256 KiB of keys and values per object.
- ConfigMap: at most 1 MiB of keys and values (inline data and mounted files together).
- Probes: exactly one handler each (httpGet, tcpSocket, exec or grpc).
- securityContext: a seccomp localhostProfile exactly with type Localhost, as a relative
  path without '..'; no privileged container that forbids privilege escalation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.placement.effective import needs_gpu
from i4qew.problems import Problem
from i4qew.rules.registry import given, local, rule
from i4qew.rules.walk import KeyPath, variants
from i4qew.text import shorten

_PERCENT = re.compile(r"[0-9]{1,9}%")  # bounded: int() of 5,000 digits raises
# k8s.io/apimachinery TotalAnnotationSizeLimitB and the ConfigMap's MaxSecretSize.
MAX_ANNOTATIONS = 256 * 1024
MAX_CONFIGMAP = 1024 * 1024
ROLLOUT_FIELDS = ("maxUnavailable", "maxSurge")
INT32_MAX = 2**31 - 1  # an IntOrString holds an int32


def _rollout_value(field: str, value: Any) -> str | None:
    """Why a rollout value is refused, or None."""
    if isinstance(value, bool):
        return "must be a whole number or a percentage like 25%"
    if isinstance(value, int):
        return None if 0 <= value <= INT32_MAX else ("must be 0 or more" if value < 0 else f"must be at most {INT32_MAX}")
    if not isinstance(value, str) or not _PERCENT.fullmatch(value):
        hint = f"; write the number {value} without quotes" if isinstance(value, str) and value.isascii() and value.isdigit() else ""
        return f"must be a whole number or a percentage like 25%{hint}"
    if field == "maxUnavailable" and int(value[:-1]) > 100:
        return "must be at most 100%"
    return None


def _is_zero(value: Any) -> bool:
    return bool(value == 0 or value == "0%")


@local
@rule(
    "rollout",
    "rollout.maxUnavailable and maxSurge are whole numbers (0 or more) or percentages like 25% "
    "(maxUnavailable at most 100%), and not both 0",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  rollout: {maxUnavailable: 0, maxSurge: 25%}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  rollout: {maxUnavailable: \"1\", maxSurge: 0%}"
    ),
)
def check_rollout(repo: Repo) -> Iterator[Problem]:
    places: list[tuple[Document, KeyPath, Mapping[str, Any]]] = []
    doc = repo.repository.doc
    if doc is not None:
        defaults = doc.data["spec"].get("defaults") or {}
        if "rollout" in defaults:
            places.append((doc, ("spec", "defaults", "rollout"), defaults["rollout"]))
    for w in repo.workloads:
        places.extend((w.doc, path, value) for path, value in variants(w, "rollout"))
    bad: set[int] = set()
    for d, path, rollout in places:
        for field in ROLLOUT_FIELDS:
            if field in rollout and (msg := _rollout_value(field, rollout[field])) is not None:
                bad.add(id(rollout))
                yield d.problem((*path, field), "rollout", f"rollout.{field} {shorten(str(rollout[field]))!r} {msg}")
    for w in repo.workloads:
        for env in repo.repository.environments:
            over = w.overrides.get(env.name, {})
            if not over.get("enabled", True):
                continue
            # spec_for(env)["rollout"]: an override replaces the whole field
            given = (over["rollout"] if "rollout" in over else w.spec.get("rollout")) or {}
            if id(given) in bad:
                continue
            gives = sum(f in given for f in ROLLOUT_FIELDS)
            if gives == 0:
                continue  # the chart's defaults below: never both 0
            # the chart's defaults (compile/chart/values.py): a GPU pod gives its GPU up first
            effective = given if gives == len(ROLLOUT_FIELDS) else (
                {"maxUnavailable": 1, "maxSurge": 0} if needs_gpu(w.spec_for(env.name)) else
                {"maxUnavailable": 0, "maxSurge": 1}) | dict(given)
            if all(_is_zero(effective[f]) for f in ROLLOUT_FIELDS):
                over = w.overrides.get(env.name, {})
                where: KeyPath = ("spec", "environments", env.name, "rollout") if "rollout" in over else (
                    ("spec", "rollout") if "rollout" in w.doc.data["spec"] else ("metadata", "name"))
                yield w.doc.problem(where, "rollout",
                                    f"in {env.name}, maxUnavailable and maxSurge are both 0, so no pod could ever be "
                                    "replaced; allow one of them (a GPU workload defaults to maxUnavailable 1, maxSurge 0)")


def _size(entries: Mapping[str, Any]) -> int:
    return sum(len(k.encode()) + len(str(v).encode()) for k, v in entries.items())


def _annotation_places(repo: Repo) -> Iterator[tuple[Document, KeyPath, Mapping[str, Any]]]:
    for w in repo.workloads:
        annotations = w.doc.data["metadata"].get("annotations")
        if annotations:
            yield w.doc, ("metadata", "annotations"), annotations
        service = w.doc.data["spec"].get("service") or {}
        if service.get("annotations"):
            yield w.doc, ("spec", "service", "annotations"), service["annotations"]
        for path, ingress in variants(w, "ingress"):
            if ingress.get("annotations"):
                yield w.doc, (*path, "annotations"), ingress["annotations"]


@given
@rule(
    "object-size",
    "what one Kubernetes object carries fits the API's limits: at most 256 KiB of annotations, "
    "at most 1 MiB of ConfigMap data (config.data and config.files together)",
    passing="config: {mountPath: /etc/app, files: {model.json: workloads/files/model.json}}   # 40 KiB",
    failing="config: {mountPath: /etc/app, files: {a.bin: ..., b.bin: ...}}   # 2 x 512 KiB + data",
    not_run="the example would hold over 256 KiB of annotations or 1 MiB of ConfigMap data; "
            "tests/corpus/negative/object-size has 270 KiB of annotations",
)
def check_object_size(repo: Repo) -> Iterator[Problem]:
    for d, path, entries in _annotation_places(repo):
        size = _size(entries)
        if size > MAX_ANNOTATIONS:
            yield d.problem(path, "object-size", f"the annotations are {size:,} bytes; Kubernetes allows at most "
                                                 f"{MAX_ANNOTATIONS:,} per object")
    for w in repo.workloads:
        config = w.doc.data["spec"].get("config") or {}
        data = dict(config.get("data") or {})
        for name, ref in (config.get("files") or {}).items():
            data[name] = repo.files.get(str(PurePosixPath(ref)), "")  # unread: config-file said why
        size = _size(data)
        if size > MAX_CONFIGMAP:
            yield w.doc.problem(("spec", "config"), "object-size",
                                f"the ConfigMap would hold {size:,} bytes (config.data and config.files); "
                                f"Kubernetes allows at most {MAX_CONFIGMAP:,}: mount large files from the model "
                                "volume or an image instead", key=True)


PROBES = ("liveness", "readiness", "startup")
HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")


@local
@rule(
    "probe-handler",
    "each probe has exactly one handler: httpGet, tcpSocket, exec or grpc",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  probes: {readiness: {httpGet: {path: /ready, port: http}, periodSeconds: 5}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  ports: [{name: http, containerPort: 8080}]\n"
        "  probes: {readiness: {periodSeconds: 5}, liveness: {httpGet: {port: http}, exec: {command: [check]}}}"
    ),
)
def check_probe_handlers(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        probes = w.doc.data["spec"].get("probes") or {}
        for name in PROBES:
            if name not in probes:
                continue
            given = [h for h in HANDLERS if h in (probes[name] or {})]
            if len(given) != 1:
                what = "none" if not given else " and ".join(given)
                yield w.doc.problem(("spec", "probes", name), "probe-handler",
                                    f"the {name} probe has {what}; Kubernetes needs exactly one handler "
                                    f"(httpGet, tcpSocket, exec or grpc)", key=True)


def _security_problems(sc: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path inside securityContext, why) of what the API refuses."""
    seccomp = sc.get("seccompProfile") or {}
    profile = seccomp.get("localhostProfile")
    if seccomp.get("type") == "Localhost" and profile is None:
        yield ("seccompProfile",), "type Localhost needs localhostProfile (a profile file under the kubelet's seccomp folder)"
    elif seccomp and seccomp.get("type") != "Localhost" and profile is not None:
        yield ("seccompProfile", "localhostProfile"), f"localhostProfile is only allowed with type Localhost, not {seccomp.get('type')}"
    if isinstance(profile, str) and (profile.startswith("/") or ".." in PurePosixPath(profile).parts or not profile):
        yield ("seccompProfile", "localhostProfile"), f"localhostProfile {shorten(profile)!r} must be a relative path without '..'"
    if sc.get("privileged") is True and sc.get("allowPrivilegeEscalation") is False:
        yield ("allowPrivilegeEscalation",), "a privileged container always allows privilege escalation; drop one of the two"


@local
@rule(
    "security-context",
    "securityContext is one the API accepts: seccomp localhostProfile only with type Localhost (and then "
    "required, relative, without '..'); privileged never with allowPrivilegeEscalation: false",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/app.json}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {seccompProfile: {type: RuntimeDefault, localhostProfile: app.json}}"
    ),
)
def check_security_context(repo: Repo) -> Iterator[Problem]:
    places: list[tuple[Document, KeyPath, Mapping[str, Any]]] = []
    doc = repo.repository.doc
    if doc is not None:
        defaults = doc.data["spec"].get("defaults") or {}
        if defaults.get("securityContext"):
            places.append((doc, ("spec", "defaults", "securityContext"), defaults["securityContext"]))
    for w in repo.workloads:
        own = w.doc.data["spec"].get("securityContext")
        if own:
            places.append((w.doc, ("spec", "securityContext"), own))
    for d, path, sc in places:
        for where, why in _security_problems(sc):
            yield d.problem((*path, *where), "security-context", why)
