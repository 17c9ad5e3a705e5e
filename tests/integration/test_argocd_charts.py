"""Delivery through Argo CD: the Application template rendered for the clusters i4qew's
snapshot decides, as Argo CD's generator would, against the Application CRD and the
chart of the branch that `helm template` renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from i4qew.placement.snapshot import DECISIONS_PATH, read_decisions
from tests.support.argocd import docs_in, generated_application, render_dev
from tests.support.charts import manifests
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
    for appset in (d for d in docs_in(dev_tree) if d["kind"] == "ApplicationSet"):
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
