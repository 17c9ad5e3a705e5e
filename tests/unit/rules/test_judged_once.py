"""Rules that judge each distinct value once per run (rules/walk.py `once`): a fleet of
workloads that repeat values and near-duplicates of them (one leaf, a type, the order or
one part of a combined key changed), in the spec and in environment overrides. Every
local rule reports over the whole repository exactly what it reports at each file judged
alone (where nothing is shared): a key that left out a part of what a judge reads would
hand one workload another's answer."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from i4qew.load.files import REPOSITORY_FILE
from i4qew.rules import local_cache, walk
from i4qew.rules.catalog import all_rules
from i4qew.rules.walk import once
from tests.unit.rules.test_local_cache import cold_repo

REPOSITORY = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Repository
metadata: {name: plant}
spec:
  git: {url: https://gitlab.example.com/plant/edge.git}
  environments:
    - {name: dev, branch: acm-dev, selector: "stage=dev"}
    - {name: production, branch: production, selector: "stage=production", promotesFrom: dev}
"""
POLICY = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: PlacementPolicy
metadata: {name: edge}
spec: {selector: "env=edge"}
"""
GPU = {"nvidia.com/gpu": 1}
# Each facet's values: near-duplicates of each other (one leaf, a type or the order).
FACETS: dict[str, list[Any]] = {
    "resources": [
        None,
        {"requests": {"cpu": "50m", "memory": "96Mi"}, "limits": {"cpu": "200m", "memory": "192Mi"}},
        {"requests": {"cpu": "500m", "memory": "96Mi"}, "limits": {"cpu": "200m", "memory": "192Mi"}},
        {"requests": {"cpu": "50m", "memory": "96m"}, "limits": {"cpu": "200m", "memory": "192Mi"}},
        {"limits": {"cpu": "200m", "memory": "192Mi"}, "requests": {"cpu": "50m", "memory": "96Mi"}},
        {"requests": {"cpu": 2}, "limits": {"cpu": 1}},
        {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
        {"requests": {"cpu": 1}, "limits": {"cpu": 2}},
        {"requests": {"cpu": 2}, "limits": {"cpu": 3}},
        {"requests": {"cpu": 2}, "limits": {"cpu": 1, "memory": "1Gi"}},
        {"requests": {"memory": 0}},
        {"requests": {"memory": "0"}},
        {"requests": {"gpu": 1}},
        {"requests": {"nvidia.com/gpu": 0.5}},
        {"requests": {"nvidia.com/gpu": 1}},
        {"requests": {"nvidia.com/gpu": 1}, "limits": GPU},
        {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}},
        {"limits": GPU},
        {"limits": {"nvidia.com/gpu": 1.5}},
        {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1, "cpu": 1}},
    ],
    "securityContext": [
        None, {}, {"runAsUser": 0}, {"runAsUser": 1000}, {"runAsUser": 0, "runAsNonRoot": True},
        {"runAsNonRoot": False}, {"runAsNonRoot": True}, {"privileged": True}, {"privileged": False},
        {"allowPrivilegeEscalation": True}, {"capabilities": {"add": ["NET_ADMIN"]}},
        {"capabilities": {"add": ["NET_BIND_SERVICE"]}}, {"seccompProfile": {"type": "Unconfined"}},
    ],
    "ports": [
        None,
        [{"name": "http", "containerPort": 8080}],
        [{"name": "HTTP", "containerPort": 8080}],
        [{"name": "web", "containerPort": 8080}],
        [{"name": "http", "containerPort": 8080}, {"name": "http", "containerPort": 9090}],
        [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 8080}],
        [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 8080, "protocol": "UDP"}],
    ],
    "service": [None, {"port": 80, "targetPort": "http"}, {"port": 80, "targetPort": "web"}, {"port": 80},
                {"port": 70000, "targetPort": "http"},
                {"port": 80, "targetPort": 8080}, {"port": 80, "targetPort": "http", "nodePort": 30080},
                {"port": 80, "targetPort": "http", "nodePort": 30080, "type": "NodePort"}],
    "probes": [None, {"liveness": {"httpGet": {"path": "/h", "port": "http"}}},
               {"liveness": {"httpGet": {"path": "/h", "port": "web"}}},
               {"readiness": {"tcpSocket": {"port": "http"}}}, {"readiness": {"tcpSocket": {"port": 8080}}},
               {"readiness": {"tcpSocket": {"port": 70000}}}],
    "env": [None, [{"name": "A", "value": "x"}], [{"name": "A", "value": "x"}, {"name": "A", "value": "y"}],
            [{"name": "A", "value": "x"}, {"name": "B", "value": "y"}], [{"name": "1ST", "value": "x"}],
            [{"name": "..A", "value": "x"}]],
    "rollout": [None, {"maxUnavailable": 0, "maxSurge": 0}, {"maxUnavailable": 0, "maxSurge": 1},
                {"maxUnavailable": 0}, {"maxSurge": 0}, {"maxUnavailable": "1"}, {"maxUnavailable": 1},
                {"maxUnavailable": "0%", "maxSurge": 0}, {"maxUnavailable": "150%"}],
    "ingress": [None, {"host": "a.example.com", "path": "/", "servicePort": 80},
                {"host": "a.example.com", "path": "/", "servicePort": 81},
                {"host": "a.example.com", "path": "/", "servicePort": "other"}],
}
# Fields an environment override may set, and whether a file turns an environment off.
OVERRIDDEN = ("resources", "env", "rollout", "ingress")


def _workload(i: int, rnd: random.Random) -> str:
    spec: dict[str, Any] = {"image": "registry.example.com/plant/app:1.0.0", "placement": "edge"}
    for field, values in FACETS.items():
        value = rnd.choice(values)
        if value is not None:
            spec[field] = value
    overrides: dict[str, Any] = {}
    for env in ("dev", "production"):
        over = {f: rnd.choice(FACETS[f]) for f in OVERRIDDEN if rnd.random() < 0.3}
        over = {f: v for f, v in over.items() if v is not None}
        if rnd.random() < 0.15:
            over["enabled"] = False
        if over:
            overrides[env] = over
    if overrides:
        spec["environments"] = overrides
    doc = {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Workload",
           "metadata": {"name": f"app{i}", "namespace": "plant"}, "spec": spec}
    return json.dumps(doc, indent=1) + "\n"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    (root / REPOSITORY_FILE).write_text(REPOSITORY)
    (root / "policies").mkdir()
    (root / "policies" / "edge.yaml").write_text(POLICY)
    (root / "workloads").mkdir()
    rnd = random.Random(17)
    for i in range(120):
        (root / "workloads" / f"app{i}.yaml").write_text(_workload(i, rnd))
    return root


# The rules that judge a value once per run, and what they must find in this fleet.
ONCE = ("resource-name", "resource-quantity", "resource-limits", "extended-resource", "pod-security",
        "run-as-root", "port-name", "port-number", "duplicate-port", "port-reference", "env-name", "rollout")


def test_each_file_is_judged_as_if_alone(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = cold_repo(fleet, monkeypatch)
    assert repo is not None and len(repo.workloads) > 100  # the schema kept nearly every file
    rules = [r for r in all_rules().values() if r.local or r.given]
    found: Counter[str] = Counter()
    paths = sorted({w.doc.path for w in repo.workloads})
    for rule in rules:
        assert rule.check is not None
        whole = Counter(rule.check(repo))
        found.update(p.rule for p in whole.elements())
        for path in paths:
            alone = Counter(p for p in rule.check(local_cache._restricted(repo, [path])) if p.path == path)
            assert alone == Counter({p: n for p, n in whole.items() if p.path == path}), (rule.id, path)
    # the fleet reaches every such rule, several times each (so that values repeat)
    assert all(found[r] >= 3 for r in ONCE), {r: found[r] for r in ONCE}


def test_once_tells_values_of_other_types_and_orders_apart() -> None:
    memo: dict[str, Any] = {}
    values: list[Any] = [1, True, 1.0, "1", None, [1], (1,), {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": [1]},
                         {"a": ["1"]}, [{"a": 1}, {"a": True}], [{"a": True}, {"a": 1}]]
    for v in values:
        assert once(memo, v, lambda x: [x]) == [v]
        assert once(memo, v, lambda x: [x]) == [v]  # from the memo
    assert len(memo) == len(values)
    calls: list[Any] = []

    def judge(x: Any) -> list[Any]:
        calls.append(x)
        return [0]

    assert once(memo, 10**5000, judge) == [0]  # no repr: judged, not kept
    assert len(memo) == len(values) and calls


FIELDS = ("ingress", "resources", "env", "imagePullSecrets", "image", "replicas", "rollout", "ports")


@pytest.mark.parametrize("bound", [walk.MAX_VARIANTS, 7])
def test_variants_are_each_workloads_own(fleet: Path, monkeypatch: pytest.MonkeyPatch, bound: int) -> None:
    """walk.variants keeps each workload's places per field: in any order of asking, each
    answer is the one computed from that workload and field alone, also for a workload
    rebuilt from other data and when the store is emptied on the way (`bound`)."""
    repo = cold_repo(fleet, monkeypatch)
    assert repo is not None
    monkeypatch.setattr(walk, "MAX_VARIANTS", bound)
    asks = [(w, f) for w in repo.workloads for f in FIELDS]
    random.Random(3).shuffle(asks)
    for w, f in asks + asks:
        assert walk.variants(w, f) == walk._variants(w, f), (w.doc.path, f)
    assert {len(walk.variants(w, "env")) for w in repo.workloads} >= {0, 1, 2}  # fields vary
    w = repo.workloads[0]
    other = dataclasses.replace(w, overrides={"dev": {"env": [{"name": "X", "value": "y"}]}})
    assert walk.variants(other, "env") == walk._variants(other, "env") != walk.variants(w, "env")


def test_keys_are_equal_for_equal_values_only_and_made_once_per_object() -> None:
    """`key_of` (once's key): repr's, each declared list or dict's made once per run of the rules;
    a rule's own tuple keyed by its items (a one-item tuple apart from its item)."""
    ports = [{"name": "http", "containerPort": 8080}]
    same, other = [{"name": "http", "containerPort": 8080}], [{"name": "http", "containerPort": "8080"}]
    assert walk.key_of(ports) == walk.key_of(same) == repr(ports) != walk.key_of(other)
    assert walk.key_of((ports, None)) == walk.key_of((same, None)) == repr((ports, None))
    assert len({walk.key_of(v) for v in ((ports,), ports, (ports, None), [ports], ((ports,),), 1, True, 1.0, "1")}) == 9
    ports.append({"name": "metrics", "containerPort": 9090})  # (never done to a declaration: shows the key is kept)
    assert walk.key_of(ports) == repr(same)
    walk.forget_keys()
    assert walk.key_of(ports) == repr(ports)
