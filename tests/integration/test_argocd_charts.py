"""Delivery through Argo CD: the Application template rendered for the clusters i4qew's
snapshot decides, as Argo CD's generator would, against the Application CRD and the
chart of the branch that `helm template` renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from i4qew.compile.staging.names import staging_release
from i4qew.placement.snapshot import DECISIONS_PATH, read_decisions
from tests.support.argocd import docs_in, generated_application, render_dev
from tests.support.charts import manifests, template
from tests.support.crds import crd_errors


@pytest.fixture(scope="module")
def dev_tree() -> dict[str, bytes]:
    return render_dev()


def test_each_decided_cluster_gets_an_application_that_installs_the_chart(dev_tree: dict[str, bytes],
                                                                          tmp_path: Path) -> None:
    """The Application template rendered for the clusters i4qew's snapshot decides,
    as Argo CD's generator would: it passes the Application CRD and points at a chart
    of the branch that `helm template` renders with the release name the selectors use."""
    decisions = read_decisions(dev_tree[DECISIONS_PATH])  # "namespace/workload" -> cluster names
    checked = 0
    for appset in (d for d in docs_in(dev_tree) if d["kind"] == "ApplicationSet"
                   and "edge.i4q.eu/workload" in d["metadata"]["labels"]):
        workload = appset["metadata"]["labels"]["edge.i4q.eu/workload"]
        (key,) = [k for k in decisions if k.endswith(f"/{workload}")]
        namespace = key.split("/", 1)[0]
        clusters = list(decisions[key])
        assert clusters, key
        for cluster in clusters[:2]:
            app = generated_application(appset, cluster)
            assert "{{" not in json.dumps(app), app
            assert crd_errors(app) == []
            assert app["metadata"]["name"] == f"{workload}-dev-{cluster}"
            spec = app["spec"]
            assert spec["destination"] == {"server": f"https://api.{cluster}.example:6443", "namespace": namespace}
            assert spec["source"]["repoURL"] == "https://gitlab.com/i4q/i4qew.git"
            assert spec["source"]["targetRevision"] == "acm-dev"
            assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
            assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
            assert spec["syncPolicy"]["retry"]["limit"] < 0  # unlimited: edges come back
            release = spec["source"]["helm"]["releaseName"]
            assert release == workload
            checked += 1
        chart = tmp_path / workload
        for path, data in dev_tree.items():
            if path.startswith(app["spec"]["source"]["path"] + "/"):
                target = tmp_path / path.replace("charts/", "", 1)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        objects = manifests(chart, release=release, namespace=namespace)
        deployment = objects.get("Deployment") or objects["StatefulSet"]
        assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == workload
    assert checked >= 4


def test_each_staging_cluster_gets_an_application_that_installs_the_stager(dev_tree: dict[str, bytes],
                                                                           tmp_path: Path) -> None:
    """The models' staging charts come by ApplicationSets too: for the clusters the
    snapshot says each staging reaches, the Application passes its CRD and `helm template`
    of the staging chart it names makes the stager (a DaemonSet for a hostPath model, a Job
    per version for a PVC model) in the staging's namespace, named after the release."""
    snapshot = json.loads(dev_tree[DECISIONS_PATH])
    reach = {(s["namespace"], s["model"]): s for s in snapshot["stagings"]}
    decisions = read_decisions(dev_tree[DECISIONS_PATH])  # "namespace/workload" -> cluster names
    uses = {}  # "namespace/workload" -> its model
    for key in decisions:
        values = yaml.safe_load(dev_tree[f"charts/{key.split('/', 1)[1]}/values.yaml"])
        if values.get("model"):
            uses[key] = values["model"]["name"]
    kinds = set()
    for appset in (d for d in docs_in(dev_tree) if d["kind"] == "ApplicationSet"
                   and "edge.i4q.eu/model" in d["metadata"]["labels"]):
        model = appset["metadata"]["labels"]["edge.i4q.eu/model"]
        namespace = appset["spec"]["template"]["spec"]["destination"]["namespace"]
        staging = reach[(namespace, model)]
        # where the model's workloads run (a PVC model's staging: those of its namespace)
        users = [k for k, m in uses.items() if m == model and (namespace == "i4qew-models" or k.startswith(f"{namespace}/"))]
        clusters = sorted({c for k in users for c in decisions[k]})
        assert staging["clusters"] > 0 and clusters
        app = generated_application(appset, clusters[0])
        assert "{{" not in json.dumps(app) and crd_errors(app) == []
        assert app["metadata"]["name"] == f"{namespace}-{model}-dev-{clusters[0]}"
        spec = app["spec"]
        assert spec["source"]["path"] == f"staging/{namespace}/{model}"
        assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
        release = spec["source"]["helm"]["releaseName"]
        assert release == staging_release(model, "dev")
        chart = tmp_path / namespace / model
        for path, data in dev_tree.items():
            if path.startswith(spec["source"]["path"] + "/"):
                target = chart / path.removeprefix(spec["source"]["path"] + "/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        objects = [d for d in yaml.safe_load_all(template(chart, 3, release, namespace)) if d]
        stagers = [d for d in objects if d["kind"] in ("DaemonSet", "Job")]
        assert stagers and all(d["metadata"]["name"].startswith(release) for d in stagers)
        assert {d["metadata"]["namespace"] for d in objects if "namespace" in d["metadata"]} == {namespace}
        kinds |= {d["kind"] for d in stagers}
    assert kinds == {"DaemonSet", "Job"}  # hostPath models and the PVC model
