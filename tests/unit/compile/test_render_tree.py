"""The rendered branch as a whole: the parts refer to each other correctly (what ACM
will look up by name and path exists), the README tells what is deployed where,
and every plain YAML file passes yamllint."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.render import render_tree
from i4qew.compile.staging.names import staging_release
from i4qew.emit import GENERATED_MARKER
from i4qew.model.repo import Workload
from i4qew.placement.decide import Decision, Planner
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.snapshot import DECISIONS_PATH, read_decisions
from i4qew.placement.staging import staging_argocd_name
from tests.support.placements import cluster, policy, validated, workload, write_repo
from tests.support.repos import load
from tests.support.tools import ROOT, require

YAMLLINT_CONFIG = ROOT / "generator" / "i4qew" / "scaffold" / "yamllint.yaml"


@pytest.fixture(scope="module", params=["dev", "production"])
def rendered(request: pytest.FixtureRequest) -> tuple[str, dict[str, bytes]]:
    env: str = request.param
    inv, problems = load_inventory(ROOT)
    assert problems == [] and inv is not None
    return env, render_tree(load(ROOT), env, inventory=inv, source_commit="abc123")


def hub(tree: dict[str, bytes]) -> list[dict[str, Any]]:
    return [d for p, data in tree.items() if p.startswith("hub/") for d in yaml.safe_load_all(data)]


ARGO_NS = "openshift-gitops"  # exists once OpenShift GitOps is installed: the branch does not create it


def namespaces_and_bindings_exist(docs: list[dict[str, Any]], elsewhere: frozenset[str] = frozenset()) -> None:
    """Every namespaced hub object lives in a namespace the branch creates (or one
    `elsewhere` provides), and each namespace with a Placement binds the cluster sets it uses."""
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"} | elsewhere
    assert {d["metadata"]["namespace"] for d in docs if d["kind"] != "Namespace"} <= namespaces
    bound = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs
             if d["kind"] == "ManagedClusterSetBinding"}
    for d in docs:
        if d["kind"] == "Placement":
            assert {(d["metadata"]["namespace"], s) for s in d["spec"]["clusterSets"]} <= bound


def test_applicationsets_point_at_charts_and_placements_that_exist(rendered: tuple[str, dict[str, bytes]]) -> None:
    env, tree = rendered
    docs = hub(tree)
    appsets = [d for d in docs if d["kind"] == "ApplicationSet"]
    if env == "production":  # delivered by Subscriptions
        assert appsets == [] and not [d for d in docs if d["kind"] == "GitOpsCluster"]
        return
    # one per workload, and one per model i4qew stages (the staging charts come the same way)
    workloads = [a for a in appsets if "edge.i4q.eu/model" not in a["metadata"]["labels"]]
    assert len(workloads) == 4
    assert sorted(a["metadata"]["name"] for a in appsets if a not in workloads) == [
        "i4q-vision-yolo-defects-dev", "i4qew-models-lrt-forecaster-dev", "i4qew-models-vibration-autoencoder-dev"]
    placements = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs if d["kind"] == "Placement"}
    (gitops,) = [d for d in docs if d["kind"] == "GitOpsCluster"]
    assert (gitops["metadata"]["namespace"], gitops["spec"]["placementRef"]["name"]) in placements
    for a in appsets:
        (generator,) = a["spec"]["generators"]
        selector = generator["clusterDecisionResource"]["labelSelector"]["matchLabels"]
        assert (a["metadata"]["namespace"], selector["cluster.open-cluster-management.io/placement"]) in placements
        source = a["spec"]["template"]["spec"]["source"]
        assert source["targetRevision"] == "acm-dev"
        chart = yaml.safe_load(tree[f"{source['path']}/Chart.yaml"])
        if a in workloads:
            assert chart["name"] == source["helm"]["releaseName"] == a["metadata"]["labels"]["edge.i4q.eu/workload"]
        else:  # a model's stager: the release is <model>-<env>, the name its objects carry
            model = a["metadata"]["labels"]["edge.i4q.eu/model"]
            assert chart["name"] == model and source["path"].endswith(f"/{model}")
            assert source["helm"]["releaseName"] == staging_release(model, env)
            assert yaml.safe_load(tree[f"{source['path']}/values.yaml"])["name"] == source["helm"]["releaseName"]
    namespaces_and_bindings_exist(docs, frozenset({ARGO_NS}))


def test_subscriptions_point_at_charts_and_placements_that_exist(rendered: tuple[str, dict[str, bytes]]) -> None:
    env, tree = rendered
    docs = hub(tree)
    if env == "dev":  # delivered by ApplicationSets (above)
        assert not [d for d in docs if d["kind"] in ("Subscription", "Channel")]
        return
    subs = [d for d in docs if d["kind"] == "Subscription"]
    # a Subscription per workload (production: one per rollout wave), and per model i4qew stages
    workloads = [s for s in subs if "edge.i4q.eu/model" not in s["metadata"]["labels"]]
    assert len(workloads) == 4 * (2 if env == "production" else 1)
    assert sorted(s["metadata"]["labels"]["edge.i4q.eu/model"] for s in subs if s not in workloads) == [
        "lrt-forecaster", "vibration-autoencoder", "yolo-defects"]
    placements = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs if d["kind"] == "Placement"}
    channel = next(d for d in docs if d["kind"] == "Channel")
    branch = {"dev": "acm-dev", "production": "production"}[env]
    for s in subs:
        ann = s["metadata"]["annotations"]
        assert ann["apps.open-cluster-management.io/git-branch"] == branch
        chart_dir = ann["apps.open-cluster-management.io/git-path"]
        chart = yaml.safe_load(tree[f"{chart_dir}/Chart.yaml"])
        # ACM's Git subscriber indexes the chart by its Chart.yaml name and keeps only the
        # chart spec.name names; packageOverrides apply to that same name.
        (override,) = s["spec"]["packageOverrides"]
        assert chart["name"] == s["spec"]["name"] == override["packageName"]
        labels = s["metadata"]["labels"]
        if "edge.i4q.eu/workload" in labels:
            assert override["packageAlias"] == labels["edge.i4q.eu/workload"]
        else:  # a model's stager: the release is <model>-<env>, the name its objects carry
            assert override["packageAlias"] == staging_release(labels["edge.i4q.eu/model"], env)
            assert yaml.safe_load(tree[f"{chart_dir}/values.yaml"])["name"] == override["packageAlias"]
        ref = s["spec"]["placement"]["placementRef"]
        assert ref["kind"] == "Placement"
        assert (s["metadata"]["namespace"], ref["name"]) in placements
        assert s["spec"]["channel"] == f"{channel['metadata']['namespace']}/{channel['metadata']['name']}"
    namespaces_and_bindings_exist(docs)


def test_applications_group_their_namespace_subscriptions(rendered: tuple[str, dict[str, bytes]]) -> None:
    _, tree = rendered
    docs = hub(tree)
    for app in (d for d in docs if d["kind"] == "Application"):
        ns = app["metadata"]["namespace"]
        (expr,) = app["spec"]["selector"]["matchExpressions"]
        selected = sorted(f"{ns}/{d['metadata']['name']}" for d in docs if d["kind"] == "Subscription"
                          and d["metadata"]["namespace"] == ns and d["metadata"]["labels"][expr["key"]] in expr["values"])
        assert selected
        assert app["metadata"]["annotations"]["apps.open-cluster-management.io/subscriptions"] == ",".join(selected)


def test_the_snapshot_names_the_hub_placements(rendered: tuple[str, dict[str, bytes]]) -> None:
    _, tree = rendered
    snapshot = yaml.safe_load(tree[DECISIONS_PATH])
    hub_names = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in hub(tree)
                 if d["kind"] == "Placement" and "edge.i4q.eu/wave" not in d["metadata"]["labels"]}
    # an applicationset environment also has the workloads' Placements and the GitOpsCluster's in the Argo CD namespace
    # and each staging's in the Argo CD namespace too, named <namespace>-<model>-<env> there
    ours = {k for k in hub_names if k[0] != ARGO_NS}
    assert {(p["namespace"], p["placement"]) for p in [*snapshot["placements"], *snapshot["stagings"]]} == ours
    argo = {name for ns, name in hub_names if ns == ARGO_NS}
    assert argo in (set(), {name for _, name in (ours - {(s["namespace"], s["placement"]) for s in snapshot["stagings"]})}
                    | {staging_argocd_name(s["model"], s["namespace"], "dev") for s in snapshot["stagings"]}
                    | {"i4q-edge-dev"})


def test_readme_states_source_and_what_is_deployed_where(rendered: tuple[str, dict[str, bytes]]) -> None:
    env, tree = rendered
    readme = tree["README.md"].decode()
    assert readme.startswith(GENERATED_MARKER + "\n")
    assert "do not edit" in readme
    assert "- Source commit: `abc123`" in readme
    counts = {"dev": [2, 1, 2, 2], "production": [3, 2, 3, 3]}[env]
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    assert [r.split(" | ")[0] for r in rows] == ["| `sktime`", "| `vibration-anomaly`", "| `defect-detector`",
                                                 "| `inspection-ui`"]
    assert [int(r.split(" | ")[4]) for r in rows] == counts
    assert f"i4qew bootstrap --env {env} | kubectl apply -f -" in readme


def test_readme_without_inventory_says_so() -> None:
    tree = render_tree(load(ROOT), "dev", inventory=None, source_commit=None)
    readme = tree["README.md"].decode()
    assert "- Source commit: uncommitted" in readme
    assert "No cluster inventory was given" in readme
    assert all(r.split(" | ")[4] == "—" for r in readme.splitlines() if r.startswith("| `"))


def test_generated_plain_yaml_passes_yamllint(rendered: tuple[str, dict[str, bytes]], tmp_path: Path) -> None:
    """Everything but the Helm templates (Go templates, not YAML), plus the bootstrap output."""
    env, tree = rendered
    tool = require("yamllint")
    files = []
    for path, data in tree.items():
        if path.endswith((".yaml", ".yml")) and "/templates/" not in path:
            f = tmp_path / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
            files.append(str(f))
    result = CliRunner().invoke(cli, ["bootstrap", "-C", str(ROOT), "--env", env])
    assert result.exit_code == 0
    (tmp_path / "bootstrap.yaml").write_text(result.output)
    files.append(str(tmp_path / "bootstrap.yaml"))
    assert len(files) >= 12
    # The configuration `i4qew init` gives workload repositories; --strict fails on warnings too.
    done = subprocess.run([tool, "--strict", "-c", str(YAMLLINT_CONFIG), *files],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # The check can fail: a duplicated key is an error.
    (tmp_path / "bad.yaml").write_text("a: 1\na: 2\n")
    done = subprocess.run([tool, "-c", str(YAMLLINT_CONFIG), str(tmp_path / "bad.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0


def test_a_branch_with_a_base_keeps_its_choices_everywhere_and_decides_once(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """publish passes the branch's previous snapshot: numberOfClusters stays on its
    cluster in the snapshot, the README and the page alike, decided once per workload."""
    fleet = [cluster(n, {"site": "x"}) for n in ("b", "c")]
    spec = {"policies": [policy("one", selector="site=x", maxClusters=1)],
            "workloads": [workload("w", "one"), workload("v", "one")]}
    result, inventory = validated(write_repo(tmp_path, clusters=fleet, **spec))
    assert result.repo is not None
    first = render_tree(result.repo, "dev", inventory=inventory, source_commit=None)
    base = read_decisions(first[DECISIONS_PATH])
    assert base == {"apps/v": ["b"], "apps/w": ["b"]}
    result, inventory = validated(write_repo(tmp_path, clusters=[cluster("a", {"site": "x"}), *fleet], **spec))
    assert result.repo is not None
    decided: list[str] = []
    original = Planner.decide

    def decide(self: Planner, w: Workload, env: str, base: int = 0) -> Decision | None:
        decided.append(w.name)
        return original(self, w, env, base)

    monkeypatch.setattr(Planner, "decide", decide)
    tree = render_tree(result.repo, "dev", inventory=inventory, source_commit=None, base=base)
    assert sorted(decided) == ["v", "w"]
    assert read_decisions(tree[DECISIONS_PATH]) == base  # not the new cluster a, which sorts first
    rows = [r for r in tree["README.md"].decode().splitlines() if r.startswith("| `")]
    assert [int(r.split(" | ")[4]) for r in rows] == [1, 1]
    page = tree["plan.html"].decode()
    assert '<tr><th scope="row">a</th><td class="n">0</td></tr><tr><th scope="row">b</th><td class="n">2</td></tr>' in page
