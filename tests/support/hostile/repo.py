"""A small valid workload repository, and a Workload that sets every string field of the schema.

`kitchen_sink()` is the declaration every "X in every string field" test starts from:
`string_slots()` walks it together with generator/i4qew/schema/workload.json and
yields the concrete place of each string the schema allows (values and map keys), so a
field added to the schema is hostile-tested without touching the corpus — and
`missing_slots()` fails the corpus when the kitchen sink does not reach a new field.
Declarations are written as JSON, which is YAML 1.2 and leaves no scalar to a
reader's guess.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT

SCHEMA: dict[str, Any] = json.loads((ROOT / "generator/i4qew/schema/workload.json").read_text("utf-8"))

REPOSITORY = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Repository
metadata:
  name: plant
spec:
  git:
    url: https://gitlab.example.com/plant/edge.git
  environments:
    - name: dev
      branch: acm-dev
      waves:
        - name: canary
          selector: "site=lab"
        - name: rest
    - name: production
      branch: production
      promotesFrom: dev
"""
POLICY = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: PlacementPolicy
metadata:
  name: edge
spec:
  selector: "env=edge"
"""
MODEL = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Model
metadata:
  name: detector
spec:
  distribution: external
  versions: ["1.0"]
  placement: edge
  storage:
    hostPath: /var/lib/i4q/models
"""
CONFIG_FILE = "workloads/files/app.conf"

BASE_FILES: dict[str, str] = {
    "i4qew.yaml": REPOSITORY,
    "policies/edge.yaml": POLICY,
    "models/detector.yaml": MODEL,
    CONFIG_FILE: "threshold = 0.5\n",
}

MINIMAL_SPEC: dict[str, Any] = {"image": "registry.example.com/plant/app:1.0.0", "placement": "edge"}


def workload(name: str, spec: Mapping[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "edge.i4q.eu/v1alpha1",
        "kind": "Workload",
        "metadata": {"name": name, "namespace": "plant", **metadata},
        "spec": dict(spec if spec is not None else MINIMAL_SPEC),
    }


PROBE_HANDLERS: tuple[dict[str, Any], ...] = (
    {"exec": {"command": ["true"]}},
    {"httpGet": {"path": "/healthz", "port": "http"}},
    {"tcpSocket": {"port": "http"}},
    {"grpc": {"port": 9000, "service": "health"}},
)
PROBES = ("liveness", "readiness", "startup")


def kitchen_sink(name: str = "sink", variant: int = 0) -> dict[str, Any]:
    """A valid Workload in which every string-typed field of the schema holds a value.

    A probe has one handler, so `variant` (0..3) rotates the handlers over the three
    probes; the four variants together reach every probe field."""
    probes = {p: copy.deepcopy(PROBE_HANDLERS[(i + variant) % len(PROBE_HANDLERS)]) for i, p in enumerate(PROBES)}
    return workload(name, {
        "image": "registry.example.com/plant/app:1.0.0",
        "imagePullSecrets": ["pull-a", {"name": "pull-b"}],
        "replicas": 1,
        "command": ["python"],
        "args": ["-m", "app"],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "k"}}},
            {"name": "FROM_MAP", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "k"}}},
        ],
        "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}},
        "ingress": {
            "path": "/app", "host": f"{name}.example.com", "className": "traefik", "servicePort": "http",
            "tlsSecretName": "app-tls", "annotations": {"example.com/note": "ingress"},
        },
        "rollout": {"maxUnavailable": "25%", "maxSurge": "25%"},
        "placement": "edge",
        "ports": [{"name": "http", "containerPort": 8080}, {"name": "grpc", "containerPort": 9000}],
        "service": {"port": 80, "targetPort": "http", "annotations": {"example.com/note": "service"}},
        "config": {
            "mountPath": "/etc/app",
            "data": {"settings.ini": "mode = edge\n"},
            "files": {"app.conf": CONFIG_FILE},
        },
        "probes": probes,
        "securityContext": {
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"},
        },
        "model": {"name": "detector", "version": "1.0", "mountPath": "/models/detector"},
        "waves": [{"name": "canary", "selector": "site=porto"}, {"name": "rest"}],
        "environments": {
            "dev": {
                "waves": [{"name": "canary", "selector": "site=bologna"}, {"name": "rest"}],
                "image": "registry.example.com/plant/app:1.0.1",
                "imagePullSecrets": ["pull-c", {"name": "pull-d"}],
                "command": ["python3"],
                "args": ["-m", "app", "--dev"],
                "env": [
                    {"name": "LOG_LEVEL", "value": "debug"},
                    {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "dev-secret", "key": "k"}}},
                    {"name": "FROM_MAP", "valueFrom": {"configMapKeyRef": {"name": "dev-config", "key": "k"}}},
                ],
                "resources": {"requests": {"cpu": "200m"}, "limits": {"memory": "2Gi"}},
                "ingress": {
                    "path": "/app", "host": f"{name}.dev.example.com", "className": "traefik", "servicePort": "http",
                    "tlsSecretName": "dev-tls", "annotations": {"example.com/note": "dev"},
                },
                "rollout": {"maxUnavailable": "0%", "maxSurge": "50%"},
                "placement": "edge",
            },
        },
    }, labels={"example.com/team": "vision"}, annotations={"example.com/contact": "vision-team"})


# --- the schema's string places ---------------------------------------------------------------

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """One place a string can go: the value at `path`, or (key=True) the last key of `path`."""

    path: Path_
    key: bool = False
    # the schema's spelling of the place, with `*` for map entries and 0 for items
    pattern: str = ""

    def __str__(self) -> str:
        return self.pattern + (" (key)" if self.key else "")


def _accepts_string(node: Mapping[str, Any]) -> bool:
    kinds = node.get("type")
    if kinds == "string" or (isinstance(kinds, list) and "string" in kinds):
        return True
    return any(_accepts_string(alt) for alt in node.get("anyOf", ()))


def _object_branches(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out = [node] if node.get("type") in ("object", "array") or "properties" in node else []
    return out + [alt for alt in node.get("anyOf", ()) if alt.get("type") in ("object", "array")]


def schema_patterns(node: Mapping[str, Any] = SCHEMA, pattern: str = "") -> Iterator[str]:
    """Every string place the schema defines: `a.b`, `a.*` (map value), `a.<key>`, `a.0.b`."""
    if _accepts_string(node):
        yield pattern
    for branch in _object_branches(node):
        for name, child in (branch.get("properties") or {}).items():
            yield from schema_patterns(child, f"{pattern}.{name}".lstrip("."))
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            yield f"{pattern}.<key>"
            yield from schema_patterns(extra, f"{pattern}.*")
        if isinstance(branch.get("items"), dict):
            yield from schema_patterns(branch["items"], f"{pattern}.0")


def string_slots(doc: Any, node: Mapping[str, Any] = SCHEMA, path: Path_ = (), pattern: str = "") -> Iterator[Slot]:
    """The concrete string places of `doc` that the schema declares, each with its pattern."""
    if isinstance(doc, str) and _accepts_string(node):
        yield Slot(path, False, pattern)
        return
    for branch in _object_branches(node):
        if isinstance(doc, dict) and branch.get("type", "object") == "object":
            props = branch.get("properties") or {}
            extra = branch.get("additionalProperties")
            for k, v in doc.items():
                if k in props:
                    yield from string_slots(v, props[k], (*path, k), f"{pattern}.{k}".lstrip("."))
                elif isinstance(extra, dict):
                    yield Slot((*path, k), True, f"{pattern}.<key>")
                    yield from string_slots(v, extra, (*path, k), f"{pattern}.*")
        elif isinstance(doc, list) and isinstance(branch.get("items"), dict):
            for i, v in enumerate(doc):
                yield from string_slots(v, branch["items"], (*path, i), f"{pattern}.0")


def sink_slots() -> list[tuple[int, Slot]]:
    """(kitchen-sink variant, slot): one concrete place per string place of the schema."""
    seen: dict[tuple[str, bool], tuple[int, Slot]] = {}
    for variant in range(len(PROBE_HANDLERS)):
        for slot in string_slots(kitchen_sink(variant=variant)):
            seen.setdefault((slot.pattern, slot.key), (variant, slot))
    return [seen[k] for k in sorted(seen)]


def missing_slots() -> set[str]:
    """Schema string places the kitchen sinks do not reach (empty unless the schema grew)."""
    return set(schema_patterns()) - {s.pattern for _, s in sink_slots()}


def with_string(doc: dict[str, Any], slot: Slot, text: str) -> dict[str, Any]:
    """A copy of `doc` with `text` at `slot` (a value replaced, or a key renamed in place)."""
    out = copy.deepcopy(doc)
    parent: Any = out
    for part in slot.path[:-1]:
        parent = parent[part]
    last = slot.path[-1]
    if slot.key:
        assert isinstance(parent, dict) and isinstance(last, str)
        items = [(text if k == last else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    else:
        parent[last] = text
    return out


# --- writing repositories -----------------------------------------------------------------------

def as_yaml(*docs: Mapping[str, Any]) -> str:
    """Documents as JSON (a subset of YAML 1.2), `---` separated."""
    return "".join(f"---\n{json.dumps(d, ensure_ascii=False, indent=1)}\n" for d in docs)


def write_repo(root: Path, files: Mapping[str, str | bytes] | None = None, *, base: bool = True) -> Path:
    """The base repository at `root` plus `files` (which may replace base files)."""
    all_files: dict[str, str | bytes] = {**(BASE_FILES if base else {}), **(files or {})}
    for rel, data in all_files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return root
