"""End to end: declarations → `i4qew render` → Helm → the stager and the gate, as a node runs them.

A repository whose Model pins an artifact pushed with oras to Debian's docker-registry on
127.0.0.1 is rendered by the CLI. From `helm template` of the rendered staging chart come
the stager program (its ConfigMap), the desired state (its ConfigMap) and the DaemonSet's
command; from the workload's chart the gate init container. They run as the kubelet would
run them, the model root volume standing in as a directory: the workload's gate passes only
once the stager has staged the version with the pinned digest, and a re-pinned version
holds the new pods (digest mismatch) until the new bytes are staged, when the old pin no
longer passes. A PVC model is staged by a Job per version in the workload's own namespace
(the claim is namespaced), as a non-root user, reporting into that namespace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.integration.edge.run import EDGE
from tests.integration.edge.servers import KubeApi, Registry, oras_push
from tests.support.hostile.repo import POLICY, REPOSITORY
from tests.support.tools import helm

NODE = "edge-1"
WORKLOAD = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: detector
  namespace: plant
spec:
  image: registry.example.com/plant/detector:1.0.0
  placement: edge
  architectures: [amd64]
  model:
    name: defects
    version: "1"
"""


def model(source: str, storage: str = "hostPath: /var/lib/i4q/models") -> str:
    return f"""\
apiVersion: edge.i4q.eu/v1alpha1
kind: Model
metadata:
  name: defects
spec:
  versions:
    - version: "1"
      source: {source}
  plainHTTP: true
  placement: edge
  storage:
    {storage}
"""


def render(repo: Path, out: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "-C", str(repo), "--env", "dev", "-o", str(out)])
    assert result.exit_code == 0, result.output


def objects(chart: Path, release: str, namespace: str) -> dict[tuple[str, str], dict[str, Any]]:
    done = subprocess.run([helm(3), "template", release, str(chart), "--namespace", namespace],
                          capture_output=True, text=True, timeout=120, check=True)
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}


def container_env(container: dict[str, Any]) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"]}
    for e in container.get("env", []):
        env[e["name"]] = NODE if "valueFrom" in e else e["value"]  # the downward API's spec.nodeName
    return env


def stager_pod(out: Path, namespace: str = "i4qew-models") -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(release, its objects, the pod spec of its DaemonSet or of its one Job)."""
    release = yaml.safe_load((out / "staging" / namespace / "defects" / "values.yaml").read_text())["name"]
    objs = objects(out / "staging" / namespace / "defects", release, namespace)
    (pod,) = [o["spec"]["template"]["spec"] for (kind, _), o in objs.items() if kind in ("DaemonSet", "Job")]
    return release, objs, pod


def stager_run(out: Path, work: Path, root: Path, kube: KubeApi,
               namespace: str = "i4qew-models") -> subprocess.CompletedProcess[str]:
    """The DaemonSet's (or the Job's) container, its volumes mapped to directories: the program
    and desired ConfigMaps as files, the model volume as `root`."""
    release, objs, pod = stager_pod(out, namespace)
    program, desired = work / "stager", work / "desired"
    program.mkdir(parents=True, exist_ok=True)
    desired.mkdir(parents=True, exist_ok=True)
    for name, text in objs[("ConfigMap", f"{release}-stager")]["data"].items():
        (program / name).write_text(text)
    # The chart carries exactly the stager of this package.
    assert {p.name: p.read_text() for p in program.iterdir()} == {
        p.name: p.read_text() for p in EDGE.iterdir() if p.suffix == ".py"}
    state = json.loads(objs[("ConfigMap", f"{release}-desired")]["data"]["staging.json"])
    assert state["root"] == "/i4qew/models"
    state["root"] = str(root)  # where the hostPath volume is mounted
    (desired / "staging.json").write_text(json.dumps(state))
    (container,) = pod["containers"]
    command = [c.replace("/i4qew/stager", str(program)).replace("/etc/i4qew/desired", str(desired))
               for c in container["command"]]
    assert command[:3] == ["python3", "-S", "-E"]
    sa = work / "sa"
    sa.mkdir(exist_ok=True)
    (sa / "token").write_text("token")
    once = [] if "--once" in command else ["--once"]
    args = [sys.executable, *command[1:], *once, "--kube-api", kube.url, "--service-account-dir", str(sa),
            "--backoff-initial", "0.01", "--backoff-max", "0.05", "--attempts", "2"]
    return subprocess.run(args, env=container_env(container), capture_output=True, text=True, timeout=120,
                          check=False, stdin=subprocess.DEVNULL)


def probe_run(out: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """The DaemonSet's readiness probe as the kubelet execs it in the stager's container. The
    stager image promises Python and nothing else (docs/model-index.md, "Images"): no shell."""
    (container,) = stager_pod(out)[2]["containers"]
    command = container["readinessProbe"]["exec"]["command"]
    assert command[0] == "python3", command
    return subprocess.run([sys.executable, *(c.replace("/i4qew/models", str(root)) for c in command[1:])],
                          capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)


def volume_source(volume: dict[str, Any]) -> tuple[str, str]:
    if "hostPath" in volume:
        return "hostPath", volume["hostPath"]["path"]
    return "claim", volume["persistentVolumeClaim"]["claimName"]


def gate_run(out: Path, root: Path, namespace: str = "i4qew-models") -> subprocess.CompletedProcess[str]:
    objs = objects(out / "charts" / "detector", "detector", "plant")
    volumes = objs[("Deployment", "detector")]["spec"]["template"]["spec"]["volumes"]
    staged = next(v for v in stager_pod(out, namespace)[2]["volumes"] if v["name"] == "models")
    # the gate reads the volume the stager writes
    assert volume_source(next(v for v in volumes if v["name"] == "model")) == volume_source(staged)
    (gate,) = objs[("Deployment", "detector")]["spec"]["template"]["spec"]["initContainers"]
    env = container_env(gate)
    env.update(I4QEW_MODEL_ROOT=str(root), I4QEW_GATE_TIMEOUT="0")
    return subprocess.run(["/bin/sh", *gate["command"][1:], *gate["args"]], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_rendered_stager_and_gate_admit_only_the_pinned_bytes(registry: Registry, kube_api: KubeApi,
                                                                   tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    first, second = os.urandom(100_000), os.urandom(100_000)
    (src / "weights.bin").write_bytes(first)
    one = oras_push(registry, src, "models/defects", "a", "weights.bin")
    (src / "weights.bin").write_bytes(second)
    two = oras_push(registry, src, "models/defects", "b", "weights.bin")

    repo = tmp_path / "repo"
    for rel, text in {"i4qew.yaml": REPOSITORY, "policies/edge.yaml": POLICY, "workloads/detector.yaml": WORKLOAD,
                      "models/defects.yaml": model(f"oci://{registry.host}/models/defects@{one}")}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    out, root = tmp_path / "out", tmp_path / "node" / "models"
    render(repo, out)

    # Nothing staged: the pod does not start, and says which model version is missing where.
    held = gate_run(out, root)
    assert held.returncode == 1
    assert f"model defects version 1 is not ready on node {NODE}: absent" in held.stderr

    assert stager_pod(out)[2]["securityContext"]["runAsUser"] == 0  # it writes the root-owned host directory
    root.mkdir(parents=True)  # the kubelet makes the hostPath directory (DirectoryOrCreate)
    unready = probe_run(out, root)  # before the first pass: no status yet, the stager pod is not ready
    assert unready.returncode == 1 and "not every desired model version is staged" in unready.stderr
    staged = stager_run(out, tmp_path / "pod-1", root, kube_api)
    assert staged.returncode == 0, staged.stderr
    assert probe_run(out, root).returncode == 0
    assert (root / "defects" / "1" / "weights.bin").read_bytes() == first
    assert f"digest={one}\n" in (root / "defects" / "1" / ".i4qew-ready").read_text()
    ready = gate_run(out, root)
    assert ready.returncode == 0, ready.stderr
    assert ready.stderr == f"i4qew-gate: ready: model defects version 1 ({one}) on node {NODE}\n"
    (patch,) = kube_api.patches  # the status, as `kubectl get configmap defects-dev-status` shows it
    assert patch["path"] == "/api/v1/namespaces/i4qew-models/configmaps/defects-dev-status"
    assert json.loads(patch["body"]["data"][f"{NODE}.json"])["ready"] is True

    # Version 1 re-pinned to other bytes: new pods wait until those are staged ...
    (repo / "models/defects.yaml").write_text(model(f"oci://{registry.host}/models/defects@{two}"))
    old_out, out = out, tmp_path / "out-2"
    render(repo, out)
    held = gate_run(out, root)
    assert held.returncode == 1
    assert f"digest mismatch: the marker has {one}, the workload declares {two}" in held.stderr
    staged = stager_run(out, tmp_path / "pod-2", root, kube_api)
    assert staged.returncode == 0, staged.stderr
    assert (root / "defects" / "1" / "weights.bin").read_bytes() == second
    assert gate_run(out, root).returncode == 0
    # ... and a pod of the old pin would not start on these bytes any more.
    stale = gate_run(old_out, root)
    assert stale.returncode == 1
    assert f"digest mismatch: the marker has {two}, the workload declares {one}" in stale.stderr


def test_a_pvc_model_is_staged_by_a_job_in_the_workloads_namespace(registry: Registry, kube_api: KubeApi,
                                                                    tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    weights = os.urandom(50_000)
    (src / "weights.bin").write_bytes(weights)
    digest = oras_push(registry, src, "models/defects", "a", "weights.bin")
    repo = tmp_path / "repo"
    source = model(f"oci://{registry.host}/models/defects@{digest}", "persistentVolumeClaim: {claimName: models}")
    for rel, text in {"i4qew.yaml": REPOSITORY, "policies/edge.yaml": POLICY, "workloads/detector.yaml": WORKLOAD,
                      "models/defects.yaml": source}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    out, root = tmp_path / "out", tmp_path / "claim"
    render(repo, out)
    assert not (out / "staging" / "i4qew-models").exists()  # the claim the workload mounts is in `plant`
    release, objs, pod = stager_pod(out, "plant")
    assert {k for k in objs if k[0] == "Job"} and not {k for k in objs if k[0] == "DaemonSet"}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["fsGroup"] == 65532

    root.mkdir()
    held = gate_run(out, root, "plant")
    assert held.returncode == 1 and f"model defects version 1 is not ready on node {NODE}: absent" in held.stderr
    staged = stager_run(out, tmp_path / "job", root, kube_api, "plant")
    assert staged.returncode == 0, staged.stderr
    assert (root / "defects" / "1" / "weights.bin").read_bytes() == weights
    ready = gate_run(out, root, "plant")
    assert ready.returncode == 0, ready.stderr
    (patch,) = kube_api.patches  # the Job reports into the status ConfigMap of its own namespace
    assert patch["path"] == f"/api/v1/namespaces/plant/configmaps/{release}-status"
    assert json.loads(patch["body"]["data"]["defects.1.json"])["ready"] is True
