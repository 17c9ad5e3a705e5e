"""What the generated charts deploy, read from `helm template` output and compared with
hand-written expectations."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from i4qew.compile.chart.charts import compile_charts
from tests.support.charts import (
    CONFIG_FILE,
    RELEASE_VALUE,
    TPL_VALUE,
    example_repo,
    manifests,
    valid_repo,
    write,
)
from tests.support.tools import ROOT

Render = Callable[..., dict[str, dict[str, Any]]]
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": False,
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Render:
    base = tmp_path_factory.mktemp("charts")
    repos = {"self": valid_repo(ROOT), "extras": example_repo(tmp_path_factory.mktemp("extras"))}
    for label, repo in repos.items():
        for env in ("dev", "production"):
            write(compile_charts(repo, env), base / label / env)

    def _render(workload: str, env: str = "dev", major: int = 3, release: str = "rel") -> dict[str, dict[str, Any]]:
        label = "self" if (base / "self" / env / "charts" / workload).is_dir() else "extras"
        return manifests(base / label / env / "charts" / workload, major, release, "ns")

    return _render


def pod(objs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = objs["Deployment"]["spec"]["template"]["spec"]
    return spec


def container(objs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = pod(objs)["containers"]
    assert len(containers) == 1
    c: dict[str, Any] = containers[0]
    return c


def env_of(objs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    entries = container(objs).get("env", [])
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), f"duplicate env vars {names}"
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in entries}


@pytest.mark.parametrize("major", [3, 4])
def test_template_looking_values_render_literally(render: Render, major: int) -> None:
    objs = render("configured", major=major, release="configured-dev")
    env = env_of(objs)
    assert env["RELEASE"] == RELEASE_VALUE
    assert env["TEMPLATE"] == TPL_VALUE
    assert env["ENABLED"] == "yes"
    assert container(objs)["command"] == ["/bin/serve", RELEASE_VALUE]
    assert container(objs)["args"] == ["--name={{ .Release.Name }}", "on", "0777"]
    data = objs["ConfigMap"]["data"]
    assert data == {"app.yaml": CONFIG_FILE, "flag": "on", "inline.conf": "release={{ .Release.Name }}\n"}


def test_standard_labels_and_stable_names(render: Render) -> None:
    objs = render("arm-only", release="whatever-alias")
    assert set(objs) == {"ServiceAccount", "Deployment"}
    expected = {
        "app.kubernetes.io/name": "arm-only",
        "app.kubernetes.io/instance": "whatever-alias",
        "app.kubernetes.io/version": "2.9",
        "app.kubernetes.io/component": "collector",
        "app.kubernetes.io/part-of": "i4qew",
        "app.kubernetes.io/managed-by": "Helm",
        "team": "maintenance",
    }
    for obj in objs.values():
        assert obj["metadata"]["name"] == "arm-only"
        assert obj["metadata"]["namespace"] == "ns"
        assert obj["metadata"]["labels"] == expected
    deployment = objs["Deployment"]
    assert deployment["metadata"]["annotations"] == {"owner": "plant-it@example.com"}
    assert deployment["spec"]["selector"] == {"matchLabels": {
        "app.kubernetes.io/name": "arm-only", "app.kubernetes.io/instance": "whatever-alias"}}
    assert deployment["spec"]["template"]["metadata"]["labels"] == expected


def test_version_label_of_a_digest_pinned_image(render: Render) -> None:
    labels = render("gpu-pvc")["Deployment"]["metadata"]["labels"]
    # "sha256:" becomes "sha256-" and the label stops at 63 characters.
    assert labels["app.kubernetes.io/version"] == "sha256-0123456789abcdef0123456789abcdef0123456789abcdef01234567"


def test_architecture_node_affinity(render: Render) -> None:
    def archs(workload: str) -> Any:
        affinity = pod(render(workload)).get("affinity")
        if affinity is None:
            return None
        terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": terms[0]["matchExpressions"][0]["values"]}]}]
        return terms[0]["matchExpressions"][0]["values"]

    assert archs("sktime") == ["amd64", "arm64"]
    assert archs("arm-only") == ["arm64"]
    assert archs("configured") is None


def test_gpu_limits_tolerations_and_rollout(render: Render) -> None:
    objs = render("gpu-pvc")
    assert container(objs)["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"nvidia.com/gpu": "2"}}
    assert pod(objs)["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    # One GPU per edge node: a surge pod could never start, so replace in place.
    assert objs["Deployment"]["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    detector = render("defect-detector")
    assert container(detector)["resources"]["limits"] == {"memory": "4Gi", "nvidia.com/gpu": "1"}
    assert detector["Deployment"]["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert "tolerations" not in pod(render("sktime"))


def test_rolling_update_parameters(render: Render) -> None:
    assert render("sktime")["Deployment"]["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert render("arm-only")["Deployment"]["spec"]["strategy"]["rollingUpdate"] == {
        "maxUnavailable": "25%", "maxSurge": "50%"}


def test_host_path_model_volume_and_environment(render: Render) -> None:
    objs = render("sktime")
    assert pod(objs)["volumes"] == [
        {"name": "model", "hostPath": {"path": "/var/lib/i4q/models", "type": "Directory"}}]
    assert container(objs)["volumeMounts"] == [
        {"name": "model", "mountPath": "/models/lrt-forecaster", "subPath": "lrt-forecaster/2", "readOnly": True}]
    assert env_of(objs) == {"MODEL_NAME": "lrt-forecaster", "MODEL_VERSION": "2", "MODEL_PATH": "/models/lrt-forecaster"}


def test_pvc_model_volume_subpath_template_and_own_model_path(render: Render) -> None:
    objs = render("gpu-pvc")
    assert {"name": "model", "persistentVolumeClaim": {"claimName": "i4q-models", "readOnly": True}} in pod(objs)["volumes"]
    assert {"name": "model", "mountPath": "/models/yolo", "subPath": "yolo-defects/2024.2", "readOnly": True} in container(objs)["volumeMounts"]
    configured = render("configured")
    mounts = {m["name"]: m for m in container(configured)["volumeMounts"]}
    assert mounts["model"] == {"name": "model", "mountPath": "/models/llm-small", "subPath": "llm-small/7b-q4", "readOnly": True}
    assert mounts["config"] == {"name": "config", "mountPath": "/etc/configured", "readOnly": True}
    env = env_of(configured)
    assert (env["MODEL_NAME"], env["MODEL_VERSION"], env["MODEL_PATH"]) == ("llm-small", "7b-q4", "/models/own")


def test_env_value_from_references(render: Render) -> None:
    env = env_of(render("gpu-pvc"))
    assert env["GATEWAY_URL"] == {"configMapKeyRef": {"name": "plant", "key": "gateway", "optional": True}}
    assert env["API_TOKEN"] == {"secretKeyRef": {"name": "detector", "key": "token"}}


def test_service_account_carries_pull_secrets(render: Render) -> None:
    objs = render("sktime")
    assert objs["ServiceAccount"]["imagePullSecrets"] == [{"name": "i4qregistry"}]
    assert objs["ServiceAccount"]["automountServiceAccountToken"] is False
    assert pod(objs)["serviceAccountName"] == "sktime"
    assert pod(objs)["automountServiceAccountToken"] is False
    assert "imagePullSecrets" not in pod(objs)


def test_restricted_security_context_by_default_and_overridable(render: Render) -> None:
    objs = render("sktime")
    # a numeric user: a k3s kubelet refuses runAsNonRoot with a root or named image USER
    assert pod(objs)["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container(objs)["securityContext"] == RESTRICTED
    gpu = render("gpu-pvc")
    assert pod(gpu)["securityContext"] == {
        "fsGroup": 2000, "runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container(gpu)["securityContext"] == {**RESTRICTED, "readOnlyRootFilesystem": True, "runAsUser": 1000}
    # A read-only root still gets a writable /tmp.
    assert {"name": "tmp", "emptyDir": {}} in pod(gpu)["volumes"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container(gpu)["volumeMounts"]


def test_probes_as_declared(render: Render) -> None:
    c = container(render("gpu-pvc"))
    assert c["startupProbe"] == {"tcpSocket": {"port": "grpc"}, "failureThreshold": 30}
    assert c["livenessProbe"] == {"grpc": {"port": 9000}}
    assert c["readinessProbe"] == {"exec": {"command": ["cat", "/tmp/ready"]}}
    assert container(render("sktime"))["readinessProbe"] == {"httpGet": {"path": "/healthz", "port": "http"}}


def test_service_and_ingress(render: Render) -> None:
    objs = render("configured")
    assert objs["Service"]["spec"]["type"] == "NodePort"
    assert objs["Service"]["spec"]["ports"] == [
        {"name": "web", "port": 80, "targetPort": "web", "protocol": "TCP", "nodePort": 30080}]
    assert objs["Service"]["spec"]["selector"] == {"app.kubernetes.io/name": "configured", "app.kubernetes.io/instance": "rel"}
    assert objs["Ingress"]["apiVersion"] == "networking.k8s.io/v1"
    assert objs["Ingress"]["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/proxy-body-size": "64m"}
    assert objs["Ingress"]["spec"] == {
        "ingressClassName": "nginx",
        "tls": [{"secretName": "configured-tls", "hosts": ["configured.plant.example.com"]}],
        "rules": [{"host": "configured.plant.example.com", "http": {"paths": [{
            "path": "/configured", "pathType": "Exact",
            "backend": {"service": {"name": "configured", "port": {"number": 80}}}}]}}],
    }
    traefik = render("sktime")["Ingress"]["spec"]
    assert traefik == {"ingressClassName": "traefik", "rules": [{"http": {"paths": [{
        "path": "/api/ui", "pathType": "Prefix",
        "backend": {"service": {"name": "sktime", "port": {"number": 80}}}}]}}]}


def test_environment_overrides(render: Render) -> None:
    prod = render("arm-only", env="production")
    assert prod["Deployment"]["spec"]["replicas"] == 5
    assert container(prod)["image"].endswith("collector:3.0.0@sha256:" + "fedcba9876543210" * 4)
    assert render("arm-only")["Deployment"]["spec"]["replicas"] == 2
    assert render("sktime", env="production")["Deployment"]["spec"]["replicas"] == 2


def test_config_change_rolls_pods_and_changes_nothing_else(tmp_path: Path) -> None:
    deployments = []
    for i, text in enumerate(("greeting: hello\n", "greeting: hallo\n")):
        repo = example_repo(tmp_path / f"repo{i}", config_text=text)
        charts = write(compile_charts(repo, "dev"), tmp_path / f"out{i}") / "charts"
        deployments.append(manifests(charts / "configured")["Deployment"])
    checksums = [d["spec"]["template"]["metadata"]["annotations"].pop("checksum/config") for d in deployments]
    assert all(re.fullmatch("[0-9a-f]{64}", c) for c in checksums)
    assert checksums[0] != checksums[1]
    assert deployments[0] == deployments[1]
    assert deployments[0]["spec"]["template"]["metadata"]["annotations"] == {}
