"""Names at and just over every Kubernetes limit (or i4qew's own, where it is lower).

At the limit, everything renders, the charts lint, and the generated objects stay within
the limits too (hub names and labels that i4qew derives, e.g. `<workload>-<env>`). One
character over, each declaration gets its own problem line and exit 1. i4qew's lower
limits: a workload name of 31 (Helm release names), a namespace of 53 (ACM's
62 for a Policy's namespace and name: rules/governance.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.crds import CRDS, crd_errors
from tests.support.hostile.corpus import wl
from tests.support.hostile.repo import MODEL, POLICY, REPOSITORY, write_repo
from tests.support.hostile.runner import helm_lint, helm_template, validate_and_render


def subdomain(n: int) -> str:
    """A DNS-1123 subdomain of exactly `n` characters, labels of at most 63."""
    parts: list[str] = []
    left = n
    while left > 0:
        size = min(63, left if left <= 63 else left - 2)  # never leave a lone trailing dot
        parts.append(chr(ord("a") + len(parts) % 26) * size)
        left -= size + 1
    name = ".".join(parts)
    assert len(name) == n, (len(name), n)
    return name


def label(n: int, first: str = "w") -> str:
    return first + "a" * (n - 1)


def workload_with(name: str, limit: int) -> str:
    """A workload setting every name-like field at the limit (limit=0) or one over (limit=1)."""
    extra = limit
    return wl(
        f"  imagePullSecrets: [{subdomain(253 + extra)}]\n"
        f"  ports: [{{name: {label(15 + extra, 'p')}, containerPort: 8080}}]\n"
        f"  service: {{port: 80}}\n"
        f"  ingress: {{path: /x, host: {subdomain(253 + extra)}}}\n"
        f"  env:\n"
        f"    - name: S\n"
        f"      valueFrom: {{secretKeyRef: {{name: {subdomain(253 + extra)}, key: {label(253 + extra, 'k')}}}}}\n"
        f"  config:\n    mountPath: /etc/app\n    data: {{{label(253 + extra, 'c')}: x}}\n",
        name=name,
        namespace=label(53 + extra, "n"),
        meta=(f"  labels:\n"
              f"    {subdomain(253 + extra)}/{label(63 + extra, 'l')}: {label(63 + extra, 'v')}\n"
              f"  annotations:\n"
              f"    {subdomain(253 + extra)}/{label(63 + extra, 'a')}: x\n"))


def _repo(root: Path, extra: int) -> Path:
    name = label(63 + extra, "r")
    return write_repo(root, {
        "i4qew.yaml": REPOSITORY.replace("name: plant", f"name: {name}"),
        "policies/edge.yaml": POLICY,
        "models/detector.yaml": MODEL,
        "workloads/app.yaml": workload_with(label(31 + extra), extra),
    })


def _objects(out: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for f in sorted((out / "hub").rglob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(f.read_text("utf-8")) if d)
    return docs


@pytest.mark.slow
def test_names_at_every_limit_render_within_the_limits(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 0)
    assert validate_and_render(root, tmp_path / "out") == (None, None)
    out = tmp_path / "out"
    charts = sorted((out / "charts").iterdir())
    helm_lint(charts)
    objects = [*_objects(out), *(o for c in charts for o in helm_template(c, release="w" + "a" * 30, namespace="n" * 63))]
    errors = [e for o in objects if (o["apiVersion"], o["kind"]) in CRDS for e in crd_errors(o)]
    assert errors == []
    for o in objects:
        meta = o["metadata"]
        assert len(meta["name"]) <= 63, (o["kind"], meta["name"])  # every generated name is a DNS label
        for key, value in (meta.get("labels") or {}).items():
            assert len(key.rpartition("/")[2]) <= 63 and len(key.rpartition("/")[0]) <= 253, key
            assert len(value) <= 63, (o["kind"], key, value)


OVER_BY_ONE = [  # (where, rule, what the message says), hand-counted against workload_with()
    ("i4qew.yaml:4:9", "name-format", "must be at most 63 characters (has 64)"),
    ("workloads/app.yaml:4:9", "name-format", "workload name is 32 characters; at most 31"),
    ("workloads/app.yaml:5:14", "policy-namespace", "has 54 characters"),
    ("workloads/app.yaml:7:5", "name-format", "prefix part must be at most 253 characters (has 254); "
                                              "name part must be at most 63 characters (has 64)"),
    ("workloads/app.yaml:7:326", "name-format", "label value"),
    ("workloads/app.yaml:9:5", "name-format", "annotation key"),
    ("workloads/app.yaml:13:22", "reference-name", "must be at most 253 characters (has 254)"),
    ("workloads/app.yaml:14:18", "port-name", "must be at most 15 characters (has 16)"),
    ("workloads/app.yaml:16:29", "ingress-host", "must be at most 253 characters (has 254)"),
    ("workloads/app.yaml:19:40", "reference-name", "Secret name"),
    ("workloads/app.yaml:19:301", "reference-name", "Secret key"),
    ("workloads/app.yaml:22:12", "config-key", "must be at most 253 characters"),
]


@pytest.mark.slow
def test_one_character_over_every_limit_is_a_problem_each(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", 1)
    found, _ = validate_and_render(root, tmp_path / "out")
    assert found is not None and len(found) == len(OVER_BY_ONE), found
    for line, (where, rule, says) in zip(found, OVER_BY_ONE, strict=True):
        assert line.startswith(f"{where}: error [{rule}] ") and says in line, line
