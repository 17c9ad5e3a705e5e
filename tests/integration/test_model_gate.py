"""A workload cannot start without its model version verified on its node: proven from the
pod spec Helm renders out of the generated charts.

The gate init container's command and arguments are taken from `helm template` output and
run as the kubelet would (under /bin/sh and busybox sh), against a directory standing for
the model root it mounts: an empty root keeps the pod from starting and says which model
version is missing on which node; a marker with another digest too; only the marker with
the declared digest lets it through. The main container mounts the version directory the
gate checked, read-only, after the gate (subPath), and the rolling update keeps old pods.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from i4qew.compile.chart.charts import compile_charts
from tests.support.charts import example_repo, manifests, valid_repo, write
from tests.support.tools import ROOT

NODE = "edge-node-7"
OTHER = "sha256:" + "0f" * 32


def shells() -> list[list[str]]:
    busybox = shutil.which("busybox")
    return [["/bin/sh"], [busybox, "sh"] if busybox else ["busybox-missing"]]


@pytest.fixture(params=shells(), ids=lambda s: "busybox" if "busybox" in s[0] else "sh")
def shell(request: pytest.FixtureRequest) -> list[str]:
    if request.param == ["busybox-missing"]:
        pytest.skip("busybox is not installed; .ci/run installs it")
    return list(request.param)


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Pod templates by workload (this repository in dev, plus the extra workloads)."""
    out: dict[str, dict[str, Any]] = {}
    base = tmp_path_factory.mktemp("charts")
    for label, repo in (("self", valid_repo(ROOT)), ("extras", example_repo(tmp_path_factory.mktemp("x")))):
        charts = write(compile_charts(repo, "dev"), base / label) / "charts"
        for chart in sorted(charts.iterdir()):
            objs = manifests(chart)
            out[chart.name] = objs["Deployment"]["spec"]["template"]
            out[chart.name]["strategy"] = objs["Deployment"]["spec"]["strategy"]
    return out


def gate_of(pod: dict[str, Any]) -> dict[str, Any]:
    (gate,) = pod["spec"]["initContainers"]
    assert gate["name"] == "i4qew-model-gate"
    return dict(gate)


def run_gate(shell: list[str], gate: dict[str, Any], root: Path) -> subprocess.CompletedProcess[str]:
    """The init container's command as the kubelet runs it; the downward API gives the node."""
    env = {"PATH": os.environ["PATH"]}
    for e in gate["env"]:
        if "valueFrom" in e:
            assert e["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
            env[e["name"]] = NODE
        else:
            env[e["name"]] = e["value"]
    assert env["I4QEW_MODEL_ROOT"] == gate["volumeMounts"][0]["mountPath"]
    (root / ".term").touch()  # the kubelet provides the termination log file
    env.update(I4QEW_MODEL_ROOT=str(root), I4QEW_GATE_TIMEOUT="0", I4QEW_TERMINATION_LOG=str(root / ".term"))
    command = gate["command"]
    assert command[:2] == ["sh", "-c"]
    return subprocess.run([*shell, *command[1:], *gate["args"]], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def marker(root: Path, model: str, version: str, digest: str) -> None:
    d = root / model / version
    d.mkdir(parents=True, exist_ok=True)
    (d / ".i4qew-ready").write_text(f"format=i4qew.model-ready/v1\nmodel={model}\nversion={version}\n"
                                    f"digest={digest}\nsize=1\n")


GATED = ["sktime", "defect-detector", "vibration-anomaly", "configured"]


@pytest.mark.parametrize("workload", GATED)
def test_absent_model_version_keeps_the_pod_from_starting(pods: dict[str, dict[str, Any]], workload: str,
                                                          shell: list[str], tmp_path: Path) -> None:
    gate = gate_of(pods[workload])
    model, version, digest = gate["args"]
    done = run_gate(shell, gate, tmp_path)
    assert done.returncode == 1
    assert (f"i4qew-gate: error: model {model} version {version} is not ready on node {NODE}: "
            f"absent: no directory {tmp_path}/{model}/{version}") in done.stderr
    # What `kubectl describe pod` shows as the init container's last state.
    assert (tmp_path / ".term").read_text().startswith(f"model {model} version {version} is not ready on node {NODE}")

    (tmp_path / model / version).mkdir(parents=True)  # what the kubelet makes of a missing subPath
    assert run_gate(shell, gate, tmp_path).returncode == 1

    marker(tmp_path, model, version, OTHER)
    done = run_gate(shell, gate, tmp_path)
    assert done.returncode == 1
    assert f"digest mismatch: the marker has {OTHER}, the workload declares {digest}" in done.stderr

    marker(tmp_path, model, version, digest)
    done = run_gate(shell, gate, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"i4qew-gate: ready: model {model} version {version} ({digest}) on node {NODE}\n"


def test_the_gate_checks_the_declared_pin(pods: dict[str, dict[str, Any]]) -> None:
    """The digests the gates compare are the Models' pins (models/*.yaml), not a default."""
    assert gate_of(pods["sktime"])["args"] == [
        "lrt-forecaster", "2", "sha256:34aabcfb9c19f5623aa0e15eace58f60437e7ebea9af839c0ccebfad11074698"]
    assert gate_of(pods["defect-detector"])["args"] == [
        "yolo-defects", "2024.3", "sha256:ca9514abc6824fb9b249190cf45b6de85d81d4992c2f625e50236d9d85c57f35"]
    # an https source is pinned by the sha256 of its file (tests/test_chart_support.py EXTRA_MODELS)
    assert gate_of(pods["configured"])["args"] == [
        "llm-small", "7b-q4", "sha256:" + hashlib.sha256(b"llm-small 7b-q4").hexdigest()]


@pytest.mark.parametrize("workload", GATED)
def test_the_workload_mounts_what_the_gate_checked(pods: dict[str, dict[str, Any]], workload: str) -> None:
    spec = pods[workload]["spec"]
    gate = gate_of(pods[workload])
    model, version, _ = gate["args"]
    (main,) = spec["containers"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == "model"]
    assert gate["volumeMounts"] == [{"name": "model", "mountPath": "/i4qew/models", "readOnly": True}]
    (mount,) = [m for m in main["volumeMounts"] if m["name"] == "model"]
    # subPath resolves when the main container starts, after the gate: the checked directory
    assert mount["subPath"] == f"{model}/{version}" and mount["readOnly"] is True
    if "hostPath" in volume:
        assert volume["hostPath"]["type"] == "Directory"  # a root nothing staged to fails the mount, visibly
    else:
        assert volume["persistentVolumeClaim"]["readOnly"] is True
    assert gate["securityContext"]["runAsNonRoot"] is True and gate["securityContext"]["readOnlyRootFilesystem"]


def test_workloads_without_a_model_have_no_gate(pods: dict[str, dict[str, Any]]) -> None:
    assert "initContainers" not in pods["inspection-ui"]["spec"]


def test_a_new_version_rolls_only_where_it_is_staged(pods: dict[str, dict[str, Any]]) -> None:
    """The rolling update keeps an old pod until a new one is ready; a gated pod is not."""
    assert pods["sktime"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
