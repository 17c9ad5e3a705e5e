"""The chart tree as files: which charts, which files, versions, determinism."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from i4qew.compile.chart.charts import app_version, compile_charts
from i4qew.compile.chart.values import chart_values
from tests.support.charts import example_repo, valid_repo
from tests.support.tools import ROOT

# The regular expression semver.org gives for SemVer 2.0.0.
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
TEMPLATES = {
    "templates/_helpers.tpl", "templates/configmap.yaml", "templates/deployment.yaml",
    "templates/ingress.yaml", "templates/service.yaml", "templates/serviceaccount.yaml",
}


def chart_yaml(tree: dict[str, bytes], name: str) -> dict[str, str]:
    data: dict[str, str] = yaml.safe_load(tree[f"charts/{name}/Chart.yaml"])
    return data


def test_one_chart_per_enabled_workload(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    for env, names in (("dev", {"arm-only", "configured", "gpu-pvc"}),
                       ("production", {"arm-only", "configured", "gpu-pvc", "minimal"})):
        tree = compile_charts(repo, env)
        assert list(tree) == sorted(tree)
        assert {p.split("/")[1] for p in tree} == names
        for name in names:
            files = {p.removeprefix(f"charts/{name}/") for p in tree if p.startswith(f"charts/{name}/")}
            gated = name in ("gpu-pvc", "configured")  # they use a model: the chart carries the gate program
            assert files == {"Chart.yaml", "values.yaml", *TEMPLATES, *(["files/i4qew-gate.sh"] if gated else [])}


def test_chart_metadata() -> None:
    tree = compile_charts(valid_repo(ROOT), "production")
    meta = chart_yaml(tree, "defect-detector")
    assert set(meta) == {"apiVersion", "name", "description", "type", "version", "appVersion"}
    assert (meta["apiVersion"], meta["name"], meta["type"]) == ("v2", "defect-detector", "application")
    assert meta["appVersion"] == "sha256:3b1c6f2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
    for path in tree:
        if path.endswith("/Chart.yaml"):
            version = yaml.safe_load(tree[path])["version"]
            assert re.fullmatch(r"0\.0\.0-h[0-9a-f]{12}", version)
            assert SEMVER.fullmatch(version)


@pytest.mark.parametrize(("image", "expected"), [
    ("registry.gitlab.com/i4q/lrt/sktime:1.2.0", "1.2.0"),
    ("localhost:5000/sktime:2", "2"),
    ("localhost:5000/sktime", "latest"),
    ("sktime", "latest"),
    ("ghcr.io/x/y@sha256:abc123", "sha256:abc123"),
    ("ghcr.io/x/y:1.0@sha256:abc123", "1.0"),
])
def test_app_version_from_image(image: str, expected: str) -> None:
    assert app_version(image) == expected


def test_output_is_deterministic() -> None:
    first = compile_charts(valid_repo(ROOT), "dev")
    second = compile_charts(valid_repo(ROOT), "dev")
    assert first == second


def test_environments_differ_only_in_environment_values() -> None:
    repo = valid_repo(ROOT)
    dev, prod = compile_charts(repo, "dev"), compile_charts(repo, "production")
    # inspection-ui has no environment overrides: the same chart, byte for byte.
    assert {p: b for p, b in dev.items() if "/inspection-ui/" in p} == {p: b for p, b in prod.items() if "/inspection-ui/" in p}
    # sktime runs 2 replicas in production: values.yaml differs in that line, and
    # so the chart version; everything else is identical.
    changed = sorted(p for p in dev if "/sktime/" in p and dev[p] != prod[p])
    assert changed == ["charts/sktime/Chart.yaml", "charts/sktime/values.yaml"]
    diff = [(a, b) for a, b in zip(dev["charts/sktime/values.yaml"].splitlines(),
                                   prod["charts/sktime/values.yaml"].splitlines(), strict=True) if a != b]
    assert diff == [(b"replicas: 1", b"replicas: 2")]
    dev_meta, prod_meta = chart_yaml(dev, "sktime"), chart_yaml(prod, "sktime")
    assert dev_meta["version"] != prod_meta["version"]
    assert {**dev_meta, "version": ""} == {**prod_meta, "version": ""}


def test_version_follows_the_content(tmp_path: Path) -> None:
    same = [compile_charts(example_repo(tmp_path / f"same{i}"), "dev") for i in range(2)]
    other = compile_charts(example_repo(tmp_path / "other", config_text="changed: true\n"), "dev")
    assert chart_yaml(same[0], "configured")["version"] == chart_yaml(same[1], "configured")["version"]
    assert chart_yaml(same[0], "configured")["version"] != chart_yaml(other, "configured")["version"]
    assert chart_yaml(same[0], "gpu-pvc") == chart_yaml(other, "gpu-pvc")


def test_security_context_overrides() -> None:
    repo = valid_repo(ROOT)
    sktime = repo.workload("sktime")
    assert sktime is not None
    privileged = dataclasses.replace(sktime, spec={**sktime.spec, "securityContext": {
        "privileged": True, "runAsNonRoot": False, "capabilities": {"add": ["SYS_ADMIN"]}}})
    values = chart_values(repo, privileged, "dev")
    # The API refuses privileged: true with allowPrivilegeEscalation: false; adding a
    # capability keeps dropping the others; runAsNonRoot: false leaves the user to the image.
    assert values["securityContext"] == {
        "allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}, "privileged": True,
        "readOnlyRootFilesystem": False, "runAsNonRoot": False, "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["podSecurityContext"] == {"runAsNonRoot": False, "seccompProfile": {"type": "RuntimeDefault"}}
    root = dataclasses.replace(sktime, spec={**sktime.spec, "securityContext": {"runAsUser": 0}})
    # runAsUser 0 alone must not get runAsNonRoot: true, which the kubelet would refuse
    assert chart_values(repo, root, "dev")["podSecurityContext"] == {
        "runAsNonRoot": False, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
    own = dataclasses.replace(sktime, spec={**sktime.spec, "securityContext": {"runAsGroup": 3000, "fsGroup": 2000}})
    assert chart_values(repo, own, "dev")["podSecurityContext"] == {
        "fsGroup": 2000, "runAsGroup": 3000, "runAsNonRoot": True, "runAsUser": 65532,
        "seccompProfile": {"type": "RuntimeDefault"}}


