"""Shared helpers of the chart tests (no tests here): example repositories and Helm runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from i4qew.compile import Tree
from i4qew.model.repo import Repo
from i4qew.validation import validate_repo
from tests.support.tools import ROOT, helm

RELEASE_VALUE = "{{ .Release.Name }}"
TPL_VALUE = '{{ tpl "{{ .Release.Namespace }}" . }}'

# Workloads beyond this repository's examples, each exercising one feature the
# examples leave out. They reuse the example policies and models.
EXTRA_MODELS = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Model
metadata:
  name: llm-small
spec:
  versions:
    - version: "7b-q4"
      source: https://models.example.com/llm-small/7b-q4/model.gguf
      sha256: b57d75642afde9945264055ba81b297a97e2396e6e6ba6c1764147d50f88b8e6
      size: 3900Mi
  placement: lrt
  storage:
    hostPath: /var/lib/i4q/models
"""

EXTRA_WORKLOADS = """\
# Two GPUs, a PVC model, port-named and startup probes, a read-only root.
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: gpu-pvc
  namespace: i4q-vision
spec:
  image: registry.example.com/vision/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  ports:
    - {name: grpc, containerPort: 9000}
    - {name: http, containerPort: 8000}
  service: {port: 8000, targetPort: http}
  resources:
    requests: {cpu: 2, memory: 4Gi}
    limits: {nvidia.com/gpu: 2}
  architectures: [amd64]
  model: {name: yolo-defects, version: "2024.2", mountPath: /models/yolo}
  placement: vision-gpu
  env:
    - name: GATEWAY_URL
      valueFrom:
        configMapKeyRef: {name: plant, key: gateway, optional: true}
    - name: API_TOKEN
      valueFrom:
        secretKeyRef: {name: detector, key: token}
  probes:
    startup:
      tcpSocket: {port: grpc}
      failureThreshold: 30
    liveness:
      grpc: {port: 9000}
    readiness:
      exec: {command: [cat, /tmp/ready]}
  securityContext:
    runAsUser: 1000
    fsGroup: 2000
    readOnlyRootFilesystem: true
---
# Config files, an ingress with host and TLS, a NodePort, template-looking strings.
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: configured
  namespace: i4q-lrt
spec:
  image: registry.example.com/lrt/configured:2.0.1
  command: [/bin/serve, "{{ .Release.Name }}"]
  args: ["--name={{ .Release.Name }}", "on", "0777"]
  ports:
    - {name: web, containerPort: 8080}
  service: {type: NodePort, port: 80, targetPort: web, nodePort: 30080}
  ingress:
    path: /configured
    pathType: Exact
    host: configured.plant.example.com
    className: nginx
    servicePort: 80
    tlsSecretName: configured-tls
    annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 64m}
  env:
    - {name: RELEASE, value: "{{ .Release.Name }}"}
    - {name: TEMPLATE, value: '{{ tpl "{{ .Release.Namespace }}" . }}'}
    - {name: ENABLED, value: "yes"}
    - {name: MODEL_PATH, value: /models/own}
  config:
    mountPath: /etc/configured
    data:
      inline.conf: "release={{ .Release.Name }}\\n"
      flag: "on"
    files:
      app.yaml: workloads/files/configured.yaml
  model: {name: llm-small, version: "7b-q4"}
  placement: lrt
---
# arm64 only, own labels and annotations, percentages in the rollout, env overrides.
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: arm-only
  namespace: i4q-pm
  labels: {team: maintenance, app.kubernetes.io/component: collector}
  annotations: {owner: "plant-it@example.com"}
spec:
  image: registry.example.com/pm/collector:2.9
  replicas: 2
  architectures: [arm64]
  placement: cnc-gateways
  rollout: {maxUnavailable: "25%", maxSurge: "50%"}
  environments:
    production:
      replicas: 5
      image: registry.example.com/pm/collector:3.0.0@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
---
# The smallest workload: no ports, no service; not deployed to dev.
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: minimal
  namespace: i4q-pm
spec:
  image: registry.example.com/pm/batch:1
  placement: cnc-gateways
  environments:
    dev: {enabled: false}
"""

CONFIG_FILE = "greeting: hello {{ .Release.Name }}\nlist:\n  - on\n  - 0777\n"


def example_repo(dest: Path, config_text: str = CONFIG_FILE, workloads: str = EXTRA_WORKLOADS) -> Repo:
    """A repository with this repo's settings, policies and models plus the extra workloads."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "i4qew.yaml", dest / "i4qew.yaml")
    # No cluster inventory: what the charts look like does not depend on it.
    for folder in ("policies", "models"):
        shutil.copytree(ROOT / folder, dest / folder)
    (dest / "models" / "extra.yaml").write_text(EXTRA_MODELS)
    (dest / "workloads" / "files").mkdir(parents=True)
    (dest / "workloads" / "extra.yaml").write_text(workloads)
    (dest / "workloads" / "files" / "configured.yaml").write_text(config_text)
    return valid_repo(dest)


def valid_repo(root: Path) -> Repo:
    v = validate_repo(root)
    assert v.ok and v.repo is not None, "\n".join(str(p) for p in v.problems)
    return v.repo


def write(tree: Tree, dest: Path) -> Path:
    for path, data in tree.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dest


def run(*cmd: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def template(chart: Path, major: int = 3, release: str = "rel", namespace: str = "ns") -> str:
    return run(helm(major), "template", release, str(chart), "--namespace", namespace)


def manifests(chart: Path, major: int = 3, release: str = "rel", namespace: str = "ns") -> dict[str, dict[str, Any]]:
    """The objects `helm template` renders, by kind."""
    out: dict[str, dict[str, Any]] = {}
    for doc in yaml.safe_load_all(template(chart, major, release, namespace)):
        if doc:
            assert doc["kind"] not in out, f"two {doc['kind']} objects"
            out[doc["kind"]] = doc
    return out
