"""Delivery through Argo CD (`delivery: applicationset`): the hub objects against their
CRDs, pull mode, the settings and the extension points (the Application each decided
cluster gets against `helm template`: tests/integration/test_argocd_charts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from i4qew.compile.hub.argocd import (
    ACM_PLACEMENT_DATA,
    ChartUnit,
    applicationset,
    workload_unit,
)
from i4qew.compile.hub.subscription import compile_hub
from tests.support.argocd import ARGO_NS, docs_in, generated_application, render_dev, repo_with
from tests.support.crds import crd_errors
from tests.support.repos import load
from tests.support.tools import ROOT


@pytest.fixture(scope="module")
def dev_tree() -> dict[str, bytes]:
    return render_dev()


def test_the_applicationset_environment_has_every_object_it_needs(dev_tree: dict[str, bytes]) -> None:
    docs = docs_in(dev_tree)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    assert not {"Channel", "Subscription", "Application"} & set(by_kind)
    (gitops,) = by_kind["GitOpsCluster"]
    assert gitops["metadata"] == {"name": "i4q-edge-dev", "namespace": ARGO_NS, "labels": gitops["metadata"]["labels"]}
    assert gitops["spec"] == {
        "argoServer": {"cluster": "local-cluster", "argoNamespace": ARGO_NS},
        "placementRef": {"apiVersion": "cluster.open-cluster-management.io/v1beta1", "kind": "Placement",
                         "name": "i4q-edge-dev"}}
    argo_placements = {d["metadata"]["name"]: d for d in by_kind["Placement"] if d["metadata"]["namespace"] == ARGO_NS}
    env_placement = argo_placements.pop("i4q-edge-dev")
    assert env_placement["spec"]["predicates"] == [
        {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"stage": "dev"}}}}]
    # offline edges keep their cluster secret, hence their Applications
    assert {t["key"] for t in env_placement["spec"]["tolerations"]} == {
        "cluster.open-cluster-management.io/unreachable", "cluster.open-cluster-management.io/unavailable"}
    appsets = {d["metadata"]["name"]: d for d in by_kind["ApplicationSet"]}
    # the workloads' and the models' staging charts (<namespace>-<model>-<env>: a PVC model
    # has a staging in each workload namespace that uses it)
    assert set(appsets) == set(argo_placements) == {
        "sktime-dev", "vibration-anomaly-dev", "defect-detector-dev", "inspection-ui-dev",
        "i4qew-models-lrt-forecaster-dev", "i4qew-models-vibration-autoencoder-dev", "i4q-vision-yolo-defects-dev"}
    # The governance Placement in the workload's (or the staging's) namespace says exactly
    # what the Argo CD one says.
    for name, p in argo_placements.items():
        model = p["metadata"]["labels"].get("edge.i4q.eu/model")
        namespace = appsets[name]["spec"]["template"]["spec"]["destination"]["namespace"]
        own = f"{model}-dev" if model else name
        (twin,) = [d for d in by_kind["Placement"] if d["metadata"]["name"] == own
                   and d["metadata"]["namespace"] == namespace]
        assert twin["spec"] == p["spec"]
    bound = {(b["metadata"]["namespace"], b["spec"]["clusterSet"]) for b in by_kind["ManagedClusterSetBinding"]}
    for p in by_kind["Placement"]:
        for s in p["spec"].get("clusterSets", []):
            assert (p["metadata"]["namespace"], s) in bound, (p["metadata"], s)
    errors = [e for d in docs if d["kind"] != "Namespace" for e in crd_errors(d)]
    assert errors == []


def test_pull_mode_hands_each_application_to_the_cluster(tmp_path: Path) -> None:
    """ACM's propagation controller acts on the label (true) and the target cluster's
    annotation (application_controller.go, helper.go containsValidPull*); with no hub
    access to the edges the GitOpsCluster makes blank cluster secrets."""
    repo = repo_with(tmp_path, ("    mode: push\n", "    mode: pull\n"))
    docs = docs_in(compile_hub(repo, "dev"))
    assert [e for d in docs if d["kind"] != "Namespace" for e in crd_errors(d)] == []
    (gitops,) = [d for d in docs if d["kind"] == "GitOpsCluster"]
    assert gitops["spec"]["createBlankClusterSecrets"] is True
    for appset in (d for d in docs if d["kind"] == "ApplicationSet"):
        app = generated_application(appset, "bologna-lab")
        assert app["metadata"]["labels"]["apps.open-cluster-management.io/pull-to-ocm-managed-cluster"] == "true"
        assert app["metadata"]["annotations"] == {
            "apps.open-cluster-management.io/ocm-managed-cluster": "bologna-lab",
            "apps.open-cluster-management.io/ocm-managed-cluster-app-namespace": ARGO_NS,
            "argocd.argoproj.io/skip-reconcile": "true",
        }
        assert app["spec"]["destination"]["server"] == "https://kubernetes.default.svc"
        assert crd_errors(app) == []


def test_settings_reach_the_objects(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, ("    namespace: openshift-gitops   # OpenShift GitOps' default instance\n",
                                "    namespace: argocd\n    server: hub-a\n    project: edge\n"
                                "    syncOptions: [ServerSideApply=true, CreateNamespace=true]\n"))
    docs = docs_in(compile_hub(repo, "dev"))
    assert {d["metadata"]["namespace"] for d in docs if d["kind"] in ("GitOpsCluster", "ApplicationSet")} == {"argocd"}
    (gitops,) = [d for d in docs if d["kind"] == "GitOpsCluster"]
    assert gitops["spec"]["argoServer"] == {"cluster": "hub-a", "argoNamespace": "argocd"}
    appset = next(d for d in docs if d["kind"] == "ApplicationSet")
    assert appset["spec"]["template"]["spec"]["project"] == "edge"
    assert appset["spec"]["template"]["spec"]["syncPolicy"]["syncOptions"] == [
        "CreateNamespace=true", "ServerSideApply=true"]


def test_a_rollout_wave_pins_a_revision_for_one_decision_group() -> None:
    """The extension point for waves: one decision group of the Placement
    (cluster.open-cluster-management.io/decision-group-index) at a pinned commit."""
    repo = load(ROOT)
    w = repo.workload("sktime")
    assert w is not None
    unit = workload_unit(repo, "dev", w)
    wave = applicationset(repo, "dev", unit, revision="0123456789abcdef0123456789abcdef01234567", group=1)
    generator = wave["spec"]["generators"][0]["clusterDecisionResource"]
    assert generator["labelSelector"] == {"matchLabels": {
        "cluster.open-cluster-management.io/placement": "sktime-dev",
        "cluster.open-cluster-management.io/decision-group-index": "1"}}
    assert wave["spec"]["template"]["spec"]["source"]["targetRevision"] == "0123456789abcdef0123456789abcdef01234567"
    assert crd_errors(wave) == []
    base = applicationset(repo, "dev", unit)
    assert base["spec"]["template"]["spec"]["source"]["targetRevision"] == "acm-dev"


def test_any_chart_of_the_branch_is_delivered_the_same_way() -> None:
    """A ChartUnit that is not a workload (a model-staging chart) gets the same ApplicationSet."""
    repo = load(ROOT)
    unit = ChartUnit(name="yolo-defects-staging-dev", chart_path="staging/yolo-defects", release="yolo-defects-staging",
                     namespace="i4q-models", placement="defect-detector-dev", labels={"edge.i4q.eu/environment": "dev"})
    appset = applicationset(repo, "dev", unit)
    app = generated_application(appset, "porto-line2")
    assert app["metadata"]["name"] == "yolo-defects-staging-dev-porto-line2"
    assert app["spec"]["source"]["path"] == "staging/yolo-defects"
    assert app["spec"]["source"]["helm"] == {"releaseName": "yolo-defects-staging"}
    assert app["spec"]["destination"]["namespace"] == "i4q-models"
    assert crd_errors(appset) == [] and crd_errors(app) == []


def test_the_generator_config_map_is_the_one_acm_creates() -> None:
    """multicloud-integrations release-2.15 rbac_management.go getConfigMapDuck (L128-142) with
    the arguments of CreateApplicationSetConfigMaps (L151-155), transcribed."""
    assert ACM_PLACEMENT_DATA == {"apiVersion": "cluster.open-cluster-management.io/v1beta1",
                                  "kind": "placementdecisions", "statusListKey": "decisions",
                                  "matchKey": "clusterName"}


def test_the_strict_schemas_reject_what_argo_cd_and_acm_do_not_know() -> None:
    """The CRD checks can fail for the new kinds, and `gitopsAddon` (ACM 2.15 only) would be
    refused by the 2.11-2.14 GitOpsCluster schema, which the check also applies."""
    repo = load(ROOT)
    w = repo.workload("sktime")
    assert w is not None
    appset = applicationset(repo, "dev", workload_unit(repo, "dev", w))
    appset["spec"]["template"]["spec"]["source"]["helm"]["release"] = "x"
    assert any("release" in e for e in crd_errors(appset))
    gitops = {"apiVersion": "apps.open-cluster-management.io/v1beta1", "kind": "GitOpsCluster",
              "metadata": {"name": "g", "namespace": ARGO_NS},
              "spec": {"argoServer": {"argoNamespace": ARGO_NS},
                       "placementRef": {"kind": "Placement", "name": "p"}, "gitopsAddon": {"enabled": True}}}
    assert len(crd_errors(gitops)) == 1 and "gitopsAddon" in crd_errors(gitops)[0]
    del gitops["spec"]["gitopsAddon"]
    assert crd_errors(gitops) == []
    del gitops["spec"]["argoServer"]["argoNamespace"]
    assert crd_errors(gitops) != []
