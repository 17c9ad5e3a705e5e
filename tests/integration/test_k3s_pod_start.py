"""The pod specs a k3s kubelet starts, whatever USER the image has.

k3s has no OpenShift to assign a UID. The kubelet's verifyRunAsNonRoot
(kubernetes pkg/kubelet/kuberuntime/security_context_others.go) refuses a
container with runAsNonRoot when the effective runAsUser is 0, and — when no
runAsUser is set — when the image's USER is root or a name. i4qew cannot know
the image's USER, so every container that sets runAsNonRoot must carry a
numeric, non-zero runAsUser (container's over the pod's). Checked on the charts
Helm renders, for this repository's examples, the extra workloads, and
workloads that run as root by choice.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from i4qew.compile.chart.charts import compile_charts
from tests.support.charts import example_repo, template, valid_repo, write
from tests.support.tools import ROOT, helm

ROOT_WORKLOADS = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: image-user
  namespace: i4q-lrt
spec:
  image: registry.gitlab.com/i4q/lrt/sktime:1.2.0
  placement: lrt
  securityContext: {runAsNonRoot: false}
---
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: root-user
  namespace: i4q-lrt
spec:
  image: registry.gitlab.com/i4q/lrt/sktime:1.2.0
  placement: lrt
  securityContext: {runAsUser: 0, runAsGroup: 0}
---
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: own-group
  namespace: i4q-lrt
spec:
  image: registry.gitlab.com/i4q/lrt/sktime:1.2.0
  placement: lrt
  securityContext: {runAsGroup: 3000, fsGroup: 3000}
"""


def kubelet_refusal(pod: dict[str, Any], container: dict[str, Any]) -> str | None:
    """verifyRunAsNonRoot for an image whose USER is unknown (root or a name in the worst case)."""
    pod_sc = pod.get("securityContext") or {}
    own = container.get("securityContext") or {}
    non_root = own.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    user = own.get("runAsUser", pod_sc.get("runAsUser"))
    if not non_root:
        return None
    if user is None:
        return "runAsNonRoot without runAsUser: refused for an image whose USER is root or a name"
    if user == 0:
        return "runAsUser 0 breaks runAsNonRoot"
    return None


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("k3s")
    repos = [valid_repo(ROOT), example_repo(tmp_path_factory.mktemp("extras")),
             example_repo(tmp_path_factory.mktemp("root"), workloads=ROOT_WORKLOADS)]
    found: dict[str, dict[str, Any]] = {}
    for i, repo in enumerate(repos):
        for env in ("dev", "production"):
            out = write(compile_charts(repo, env), base / str(i) / env)
            for chart in sorted((out / "charts").iterdir()):
                for doc in yaml.safe_load_all(template(chart, 3, release=chart.name)):
                    if doc and doc["kind"] == "Deployment":
                        found[f"{i}/{env}/{chart.name}"] = doc
    return found


def test_every_rendered_container_starts_on_a_k3s_kubelet(deployments: dict[str, dict[str, Any]]) -> None:
    helm(3)
    assert len(deployments) >= 20
    refused = {}
    for key, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        for c in pod["containers"]:
            why = kubelet_refusal(pod, c)
            if why:
                refused[f"{key}/{c['name']}"] = why
    assert refused == {}


def test_defaults_run_as_a_numeric_non_root_user_and_root_only_by_choice(
        deployments: dict[str, dict[str, Any]]) -> None:
    def pod_sc(key: str) -> dict[str, Any]:
        matches = [d for k, d in deployments.items() if k.endswith(f"/dev/{key}")]
        assert matches, key
        sc: dict[str, Any] = matches[0]["spec"]["template"]["spec"]["securityContext"]
        return sc

    assert pod_sc("sktime") == {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod_sc("image-user") == {"runAsNonRoot": False, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod_sc("root-user") == {"runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0,
                                   "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod_sc("own-group")["runAsUser"] == 65532 and pod_sc("own-group")["fsGroup"] == 3000


def test_the_check_would_have_caught_the_old_default() -> None:
    # i4qew up to this change rendered runAsNonRoot: true and no runAsUser
    old = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}
    assert kubelet_refusal(old, {"name": "c", "securityContext": {"runAsNonRoot": True}}) is not None
    assert kubelet_refusal({}, {"name": "c", "securityContext": {"runAsNonRoot": True, "runAsUser": 0}}) is not None
    assert kubelet_refusal({}, {"name": "c", "securityContext": {"runAsNonRoot": True, "runAsUser": 7}}) is None

