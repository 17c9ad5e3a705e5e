"""Image volumes (KEP-4639): a model the environment and the Model allow is mounted straight from
its registry where every cluster of its workloads claims a Kubernetes that does it; else it is
staged with the gate, and `plan` names the clusters that cannot."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.render import render_tree
from i4qew.model.repo import kube_minor
from i4qew.placement.snapshot import DECISIONS_PATH, read_decisions
from tests.support.charts import manifests
from tests.support.placements import cluster, model, policy, validated, workload, write_repo
from tests.support.plan import plan_json
from tests.support.tools import helm, require

DIGEST = "sha256:" + hashlib.sha256(b"detector/1").hexdigest()


def fleet(*versions: str) -> list[dict[str, Any]]:
    return [cluster(f"edge-{i}", {"env": "edge"}, claims={"kubeversion.open-cluster-management.io": v})
            for i, v in enumerate(versions)]


def repo(root: Path, *versions: str, image_volume: bool = True, minimum: str | None = None,
         source: str | None = None) -> Path:
    m = model("detector", "edge")
    m["spec"]["imageVolume"] = image_volume
    m["spec"]["pullSecret"] = "model-registry"
    if source is not None:
        m["spec"]["versions"][0] = {"version": "1", "source": source, "sha256": "ab" * 32}
    env: dict[str, Any] = {"name": "dev", "imageVolumes": {"minKubeVersion": minimum} if minimum else {}}
    return write_repo(root, clusters=fleet(*versions) if versions else None, environments=[env],
                      policies=[policy("edge", selector="env=edge")], models=[m],
                      workloads=[workload("app", "edge", model={"name": "detector", "version": "1"},
                                          imagePullSecrets=["apps-registry"])])


def render(root: Path, out: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["render", "-C", str(root), "--env", "dev", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_kube_versions_as_clusters_claim_them() -> None:
    assert kube_minor("v1.35.0+k3s1") == (1, 35)
    assert kube_minor("v1.30.14") == (1, 30)
    assert kube_minor("1.33") == (1, 33)
    assert kube_minor("v1.34.1-eks-113cf36") == (1, 34)
    assert kube_minor("K3s") is None


def test_every_cluster_new_enough_mounts_the_model_as_an_image_volume(tmp_path: Path) -> None:
    tree = render(repo(tmp_path / "r", "v1.35.0+k3s1", "v1.36.2"), tmp_path / "out")
    assert not any(p.startswith("staging/") for p in tree)
    assert not any(p.startswith("hub/apps/i4qew-models/") for p in tree)
    assert "charts/app/files/i4qew-gate.sh" not in tree
    objs = manifests(tmp_path / "out" / "charts" / "app", release="app", namespace="apps")
    pod = objs["Deployment"]["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    (volume,) = [v for v in pod["volumes"] if v["name"] == "model"]
    assert volume == {"name": "model", "image": {"reference": f"registry.example.com/models/detector@{DIGEST}",
                                                 "pullPolicy": "IfNotPresent"}}
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "model"]
    assert mount == {"name": "model", "mountPath": "/models/detector", "readOnly": True}
    # the kubelet pulls the model with the pod's pull secrets: the Model's is added
    assert objs["ServiceAccount"]["imagePullSecrets"] == [{"name": "apps-registry"}, {"name": "model-registry"}]
    (check,) = plan_json(tmp_path / "r")["imageVolumes"]
    assert check == {"model": "detector", "imageVolume": True, "minKubeVersion": "1.35", "reason": None, "cannot": []}


def test_the_image_volume_pod_is_valid_kubernetes_from_1_35(tmp_path: Path) -> None:
    render(repo(tmp_path / "r", "v1.35.0+k3s1"), tmp_path / "out")
    chart = tmp_path / "out" / "charts" / "app"
    for major in (3, 4):
        done = subprocess.run([helm(major), "lint", "--strict", str(chart)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    rendered = tmp_path / "app.yaml"
    rendered.write_text(subprocess.run([helm(3), "template", "app", str(chart), "--namespace", "apps"],
                                       capture_output=True, text=True, check=True).stdout)
    tool = require("kubernetes-validate")
    done = subprocess.run([tool, "--strict", "--quiet", "-k", "1.35.0", str(rendered)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_older_cluster_falls_back_to_staging_and_plan_names_it(tmp_path: Path) -> None:
    root = repo(tmp_path / "r", "v1.35.0+k3s1", "v1.30.4+k3s1")
    tree = render(root, tmp_path / "out")
    assert "staging/i4qew-models/detector/values.yaml" in tree and "charts/app/files/i4qew-gate.sh" in tree
    values = yaml.safe_load(tree["charts/app/values.yaml"])
    assert values["model"]["gate"]["args"] == ["detector", "1", DIGEST]
    assert values["imagePullSecrets"] == [{"name": "apps-registry"}]
    doc = plan_json(root)
    (check,) = doc["imageVolumes"]
    assert check["imageVolume"] is False
    assert check["cannot"] == [{"cluster": "edge-1", "why": "Kubernetes v1.30.4+k3s1 < 1.35"}]
    (version,) = doc["models"]
    assert version["delivery"] == "stager"
    result = CliRunner().invoke(cli, ["plan", "-C", str(root), "--env", "dev"])
    assert ("  detector: staged, not an image volume: 1 cluster cannot mount it (Kubernetes >= 1.35 needed): "
            "edge-1 (Kubernetes v1.30.4+k3s1 < 1.35)") in result.output.splitlines()


@pytest.mark.parametrize(("versions", "minimum", "ok"), [
    (("v1.33.5+k3s1",), None, False),  # beta and off by default: not without the environment saying so
    (("v1.33.5+k3s1",), "1.33", True),
    (("v1.34.0",), "1.33", True),
])
def test_an_environment_may_lower_the_version_where_the_gate_is_on(tmp_path: Path, versions: tuple[str, ...],
                                                                    minimum: str | None, ok: bool) -> None:
    (check,) = plan_json(repo(tmp_path / "r", *versions, minimum=minimum))["imageVolumes"]
    assert check["imageVolume"] is ok


def test_what_cannot_be_an_image_volume_is_staged(tmp_path: Path) -> None:
    # no inventory: the versions cannot be checked
    tree = render(repo(tmp_path / "a"), tmp_path / "out-a")
    assert "staging/i4qew-models/detector/values.yaml" in tree
    doc = plan_json(tmp_path / "a")
    assert doc["imageVolumes"][0]["reason"] == "no cluster inventory to check the clusters' Kubernetes versions against"
    # a file over https is no image
    root = repo(tmp_path / "b", "v1.35.0", source="https://models.example.com/detector/1/model.onnx")
    assert "staging/i4qew-models/detector/values.yaml" in render(root, tmp_path / "out-b")
    assert plan_json(root)["imageVolumes"][0]["reason"] == "version 1 has no OCI source pinned by digest"
    # the Model does not say it is an image: not offered at all
    root = repo(tmp_path / "c", "v1.35.0", image_volume=False)
    assert "staging/i4qew-models/detector/values.yaml" in render(root, tmp_path / "out-c")
    assert plan_json(root)["imageVolumes"] == []


def test_the_model_pull_secret_is_copied_where_the_kubelet_pulls_it(tmp_path: Path) -> None:
    tree = render(repo(tmp_path / "r", "v1.35.0"), tmp_path / "out")
    docs = list(yaml.safe_load_all(tree["hub/apps/apps/policies.yaml"]))
    copied = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Policy" and d["metadata"]["name"].startswith("pull-")}
    assert sorted(copied) == ["pull-apps-registry-dev", "pull-model-registry-dev"]
    (template,) = copied["pull-model-registry-dev"]["spec"]["policy-templates"][0]["objectDefinition"]["spec"][
        "object-templates"]
    assert template["objectDefinition"]["metadata"] == {"name": "model-registry", "namespace": "apps"}
    (bind,) = [d for d in docs if d["kind"] == "PlacementBinding"]
    assert {s["name"] for s in bind["subjects"]} >= {"pull-apps-registry-dev", "pull-model-registry-dev"}


def test_the_choice_follows_the_clusters_the_branch_keeps(tmp_path: Path) -> None:
    """publish passes the branch's snapshot: numberOfClusters stays on its old cluster, so
    whether the model can be an image volume is judged on that cluster, not on a newer one
    a fresh decision would pick (a pod with an image volume on a 1.30 kubelet never starts)."""
    m = model("detector", "edge")
    m["spec"]["imageVolume"] = True
    spec: dict[str, Any] = {
        "environments": [{"name": "dev", "imageVolumes": {}}], "models": [m],
        "policies": [policy("edge", selector="env=edge", maxClusters=1)],
        "workloads": [workload("app", "edge", model={"name": "detector", "version": "1"})]}
    old = cluster("edge-b", {"env": "edge"}, claims={"kubeversion.open-cluster-management.io": "v1.30.4"})
    result, inventory = validated(write_repo(tmp_path, clusters=[old], **spec))
    assert result.repo is not None
    first = render_tree(result.repo, "dev", inventory=inventory, source_commit=None)
    base = read_decisions(first[DECISIONS_PATH])
    assert base == {"apps/app": ["edge-b"]} and "staging/i4qew-models/detector/values.yaml" in first
    new = cluster("edge-a", {"env": "edge"}, claims={"kubeversion.open-cluster-management.io": "v1.35.0"})
    result, inventory = validated(write_repo(tmp_path, clusters=[new, old], **spec))
    assert result.repo is not None
    fresh = render_tree(result.repo, "dev", inventory=inventory, source_commit=None)
    assert read_decisions(fresh[DECISIONS_PATH]) == {"apps/app": ["edge-a"]}  # a new branch would take the 1.35 one
    assert not any(p.startswith("staging/") for p in fresh)
    kept = render_tree(result.repo, "dev", inventory=inventory, source_commit=None, base=base)
    assert read_decisions(kept[DECISIONS_PATH]) == base
    assert "staging/i4qew-models/detector/values.yaml" in kept and "charts/app/files/i4qew-gate.sh" in kept
