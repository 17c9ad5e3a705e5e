"""What a real ACM hub and real k3s edges do with the rendered output (issue 12).

Each test renders this repository's examples (or a copy with one setting changed) and
asserts what the controller that consumes the output needs, read from its source:

- stolostron/multicloud-operators-subscription, release-2.15 @ 693624d6 (line numbers
  identical on release-2.11 @ e9776efb): the Git subscriber, the synchronizer, the
  HelmRelease controller;
- k3s-io/k3s manifests/runtimes.yaml @ c77d0b85 (the `nvidia` RuntimeClass) and the k3s
  docs ("Alternative Container Runtime Support": GPU pods must set runtimeClassName: nvidia
  unless the node's default runtime was changed).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.hub.staging import MODEL_LABEL
from tests.support.charts import manifests
from tests.support.crds import crd_errors
from tests.support.repos import copy_repo
from tests.support.tools import ROOT, require

FULL = ROOT / "tests" / "corpus" / "positive" / "full-featured"
GPU = "nvidia.com/gpu"


def render(root: Path, env: str, dest: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["render", "-C", str(root), "--env", env, "-o", str(dest)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def rendered(root: Path, env: str, dest: Path) -> Path:
    code, out = render(root, env, dest)
    assert code == 0, out
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def hub_objects(out: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(f.relative_to(out).as_posix(), d) for f in sorted((out / "hub").rglob("*.yaml"))
            for d in yaml.safe_load_all(f.read_text()) if d]


def pod_specs(out: Path) -> dict[str, dict[str, Any]]:
    """The pod spec Helm renders for each chart, by workload."""
    specs = {}
    for chart in sorted((out / "charts").iterdir()):
        deployment = manifests(chart, release=chart.name, namespace="ns")["Deployment"]
        specs[chart.name] = deployment["spec"]["template"]["spec"]
    return specs


def wants_gpu(pod: dict[str, Any]) -> bool:
    return any(GPU in ((c.get("resources") or {}).get("limits") or {}) for c in pod["containers"])


# --- GPUs on k3s ---------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "production"])
def test_the_gpu_example_runs_with_the_nvidia_runtime_class(env: str, tmp_path: Path) -> None:
    """k3s adds the NVIDIA runtime to containerd next to runc, which stays the default
    (pkg/agent/containerd/runtimes.go findNvidiaContainerRuntimes; no default_runtime_name
    unless --default-runtime), and ships RuntimeClass `nvidia` (manifests/runtimes.yaml L1-5).
    A GPU pod without the class runs under runc, without the driver libraries."""
    specs = pod_specs(rendered(ROOT, env, tmp_path / env))
    assert wants_gpu(specs["defect-detector"])  # the repository's GPU example
    for workload, pod in specs.items():
        assert pod.get("runtimeClassName") == ("nvidia" if wants_gpu(pod) else None), workload


def test_the_gpu_runtime_class_is_set_per_environment(tmp_path: Path) -> None:
    """Off where the nodes' default runtime already is NVIDIA's: naming a class the cluster
    lacks makes the API refuse the pod (RuntimeClass admission plugin, "pod rejected:
    RuntimeClass %q not found")."""
    repo = copy_repo(tmp_path / "repo")
    edit(repo / "i4qew.yaml", "  clusterSets: [global]\n", "  clusterSets: [global]\n  gpuRuntimeClass: nvidia-cdi\n")
    edit(repo / "i4qew.yaml", "      promotesFrom: dev\n", '      promotesFrom: dev\n      gpuRuntimeClass: ""\n')
    dev = pod_specs(rendered(repo, "dev", tmp_path / "dev"))
    production = pod_specs(rendered(repo, "production", tmp_path / "production"))
    assert dev["defect-detector"]["runtimeClassName"] == "nvidia-cdi"
    assert "runtimeClassName" not in production["defect-detector"]
    assert all("runtimeClassName" not in pod for w, pod in dev.items() if w != "defect-detector")


# --- Helm release names ----------------------------------------------------------------------


def acm_release_name(base: str) -> str:
    """What ACM makes of a packageAlias: pkg/utils/subscription.go L60-66 (maxNameLength =
    52 - len("-delete-registrations") = 31, maxGeneratedNameLength = 25) and L680-700
    GetReleaseName; the HelmRelease CR name is the Helm release name
    (pkg/helmrelease/release/manager_factory.go L91)."""
    if len(base) <= 31:
        return base
    return f"{base[:25]}-{hashlib.sha1(base.encode()).hexdigest()[:5]}"


def test_a_40_character_workload_name_is_refused(tmp_path: Path) -> None:
    name = "sktime-forecaster-" + "x" * 22
    assert len(name) == 40 and acm_release_name(name) != name  # ACM would rename its release
    repo = copy_repo(tmp_path / "repo")
    edit(repo / "workloads" / "sktime.yaml", "  name: sktime\n", f"  name: {name}\n")
    expected = ("workloads/sktime.yaml:5:9: error [name-format] workload name is 40 characters; at most 31: "
                "it is the Helm release name, which ACM cuts to '<first 25 characters>-<hash>' when longer, "
                "so app.kubernetes.io/instance would no longer be the workload's name")
    result = CliRunner().invoke(cli, ["validate", "-C", str(repo)])
    assert result.exit_code == 1 and result.output.splitlines()[:-1] == [expected]
    code, out = render(repo, "dev", tmp_path / "out")
    assert code == 1 and expected in out.splitlines()
    assert not (tmp_path / "out").exists()


def test_release_names_reach_the_hub_unchanged(tmp_path: Path) -> None:
    """The longest name validation allows (31) is the release name on every cluster, and
    the chart's selector app.kubernetes.io/instance=<workload> holds (production: by
    Subscription; dev's ApplicationSets pin helm.releaseName, tests/test_argocd.py)."""
    name = "sktime-forecaster-" + "x" * 13
    assert len(name) == 31
    repo = copy_repo(tmp_path / "repo")
    edit(repo / "workloads" / "sktime.yaml", "  name: sktime\n", f"  name: {name}\n")
    out = rendered(repo, "production", tmp_path / "out")
    aliases, staged = {}, []
    for _, d in hub_objects(out):
        if d["kind"] == "Subscription":
            (override,) = d["spec"]["packageOverrides"]
            if MODEL_LABEL in d["metadata"]["labels"]:  # a model's staging chart, release <model>-<env>
                staged.append(override["packageAlias"])
            else:
                aliases[d["metadata"]["labels"]["edge.i4q.eu/workload"]] = override["packageAlias"]
    assert aliases[name] == name
    assert staged and all(acm_release_name(alias) == alias for alias in staged)
    for workload, alias in aliases.items():
        release = acm_release_name(alias)
        assert release == workload
        deployment = manifests(out / "charts" / workload, release=release, namespace="ns")["Deployment"]
        assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == workload


# --- hub objects ------------------------------------------------------------------------------


def test_workload_subscriptions_carry_no_reconcile_option(tmp_path: Path) -> None:
    """A workload Subscription delivers a chart: its only child is the HelmRelease ACM
    builds (git_subscriber_item.go L804-821, helmrepo.go CreateHelmCRManifest), which gets
    no reconcile-option and is always updated, never merged (synchronizer.go L527);
    and a Subscription is itself always replaced (synchronizer.go L504-509). The
    hub-local subscription keeps `replace`: hub/ is plain YAML, which inherits it
    (git_subscriber_item.go L720-742)."""
    out = rendered(ROOT, "production", tmp_path / "out")
    subscriptions = [d for _, d in hub_objects(out) if d["kind"] == "Subscription"]
    # one per workload and rollout wave, and three models' staging charts, each a chart with its HelmRelease
    assert len([d for d in subscriptions if MODEL_LABEL not in d["metadata"]["labels"]]) == 8
    assert len(subscriptions) == 11
    for d in subscriptions:
        assert "apps.open-cluster-management.io/reconcile-option" not in d["metadata"]["annotations"]
    result = CliRunner().invoke(cli, ["bootstrap", "-C", str(ROOT), "--env", "production"])
    (hub_local,) = [d for d in yaml.safe_load_all(result.output) if d and d["kind"] == "Subscription"]
    assert hub_local["metadata"]["annotations"]["apps.open-cluster-management.io/reconcile-option"] == "replace"


def apply_order(out: Path) -> list[str]:
    """The order ACM's Git subscriber applies the plain files of hub/: single-document
    Namespace (or CRD) files first, then single-document RBAC, then everything else,
    multi-document files always among the rest (pkg/utils/gitrepo.go sortKubeResource
    L817-862, walked in lexical order by SortResources L720-815; applied in that order,
    git_subscriber_item.go L345-417)."""
    first, rbac, other = [], [], []
    for f in sorted((out / "hub").rglob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(f.read_text()) if d]
        rel = f.relative_to(out).as_posix()
        kind = docs[0]["kind"].lower() if len(docs) == 1 else ""
        if kind in ("namespace", "customresourcedefinition"):
            first.append(rel)
        elif kind in ("serviceaccount", "clusterrole", "role", "clusterrolebinding", "rolebinding"):
            rbac.append(rel)
        else:
            other.append(rel)
    return first + rbac + other


def test_namespaces_are_applied_before_the_objects_in_them(tmp_path: Path) -> None:
    out = rendered(ROOT, "production", tmp_path / "out")
    order = apply_order(out)
    created: set[str] = set()
    for rel in order:
        for d in yaml.safe_load_all((out / rel).read_text()):
            if d["kind"] == "Namespace":
                created.add(d["metadata"]["name"])
            else:
                assert d["metadata"]["namespace"] in created, (rel, d["kind"], order)
    assert created == {"i4qew-channels", "i4q-lrt", "i4q-pm", "i4q-vision", "i4qew-models"}


def test_the_defaults_add_nothing_to_the_channel_and_subscriptions(tmp_path: Path) -> None:
    out = rendered(ROOT, "production", tmp_path / "out")
    objects = dict(hub_objects(out))
    channel = objects["hub/channel.yaml"]
    assert "annotations" not in channel["metadata"]  # ACM's default rate: medium
    assert channel["spec"] == {"type": "Git", "pathname": "https://gitlab.com/i4q/i4qew.git"}
    assert "hub/channel-ca.yaml" not in objects
    for _, d in hub_objects(out):
        if d["kind"] == "Subscription":
            assert "watchHelmNamespaceScopedResources" not in d["spec"]


@pytest.mark.parametrize("env", ["dev", "production"])
def test_channel_ca_rate_and_reapply_reach_the_hub(env: str, tmp_path: Path) -> None:
    """The full-featured case sets caFile, reconcileRate and watchHelmNamespaceScopedResources.
    ACM reads configMapRef in the Channel's own namespace (pkg/utils/subscription.go L1167-1215
    FetchChannelReferences), the bundle under key caCerts (apps/v1 subscription_types.go
    L118-119), ignores it when insecureSkipVerify is true (pkg/utils/gitrepo.go L496-501);
    reconcile-rate is a Channel annotation (pkg/utils/subscription.go L960-993), and
    watchHelmNamespaceScopedResources a Subscription field (subscription_types.go L240-241)."""
    out = rendered(FULL, env, tmp_path / "out")
    objects = hub_objects(out)
    assert [e for _, d in objects if d["kind"] not in ("Namespace", "ConfigMap") for e in crd_errors(d)] == []
    by_path = dict(objects)
    channel, ca = by_path["hub/channel.yaml"], by_path["hub/channel-ca.yaml"]
    assert channel["metadata"]["annotations"] == {"apps.open-cluster-management.io/reconcile-rate": "low"}
    assert channel["spec"]["configMapRef"] == {"name": ca["metadata"]["name"]}
    assert "insecureSkipVerify" not in channel["spec"]
    assert ca["metadata"]["namespace"] == channel["metadata"]["namespace"]
    assert ca["data"] == {"caCerts": (FULL / "certs" / "gitlab-ca.pem").read_text()}
    subscriptions = [d for _, d in objects if d["kind"] == "Subscription"]
    workloads = [d for d in subscriptions if MODEL_LABEL not in d["metadata"]["labels"]]
    assert workloads and all(d["spec"]["watchHelmNamespaceScopedResources"] is True for d in workloads)
    # a staging chart never: the stagers write their status into a ConfigMap of the release,
    # which that option would revert (compile/hub/staging.py)
    assert all("watchHelmNamespaceScopedResources" not in d["spec"] for d in subscriptions if d not in workloads)
    tool = require("kubernetes-validate")
    (tmp_path / "ca.yaml").write_text(yaml.safe_dump(ca))
    done = subprocess.run([tool, "--strict", "-k", "1.30.0", str(tmp_path / "ca.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    readme = (out / "README.md").read_text()
    assert f"ConfigMap `{ca['metadata']['name']}`" in readme and "every 60 minutes" in readme
    assert "copies it into each workload" in readme


def test_the_ca_bundle_must_hold_a_certificate(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FULL, repo)
    (repo / "certs" / "gitlab-ca.pem").write_text("-----BEGIN PUBLIC KEY-----\nMAo=\n-----END PUBLIC KEY-----\n")
    result = CliRunner().invoke(cli, ["validate", "-C", str(repo)])
    assert result.exit_code == 1
    assert result.output.splitlines()[:-1] == [
        "i4qew.yaml:10:13: error [git-ca] CA file 'certs/gitlab-ca.pem': no PEM certificate "
        "(-----BEGIN CERTIFICATE-----) in it; export the CA that signed the Git server's certificate as PEM"]
    # a certificate cut short (a copy that lost its last lines) is no X.509 certificate
    good = (FULL / "certs" / "gitlab-ca.pem").read_text().splitlines()
    (repo / "certs" / "gitlab-ca.pem").write_text("\n".join([*good[:4], good[-1]]) + "\n")
    result = CliRunner().invoke(cli, ["validate", "-C", str(repo)])
    assert "certificate 1 is not a DER-encoded X.509 certificate" in result.output, result.output
    # a bundle: other blocks are skipped as ACM does (getCertChain keeps type CERTIFICATE)
    (repo / "certs" / "gitlab-ca.pem").write_text("\n".join(["# plant CA", *good, *good]) + "\n")
    assert CliRunner().invoke(cli, ["validate", "-C", str(repo)]).exit_code == 0


def test_the_docs_say_what_a_hub_and_an_edge_need() -> None:
    quickstart = (ROOT / "docs" / "acm-quickstart.md").read_text()
    for needed in ("2.11", "egress", "read_repository", "caCerts", "runtimeClassName: nvidia",
                   "reconcile-rate", "watchHelmNamespaceScopedResources", "delivery: applicationset",
                   "deprecated", "31 characters"):
        assert needed.lower() in quickstart.lower(), needed
    for wrong in ("2.7 or later", "does not count", "only the hub"):
        assert wrong not in quickstart, wrong
