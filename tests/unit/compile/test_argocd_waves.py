"""Rollout waves delivered by Argo CD: per wave a Placement in the Argo CD namespace that
decides exactly plan's wave and an ApplicationSet reading only its decisions, pinned by
`targetRevision`; `i4qew rollout`'s re-pinning gives the bytes a render of that state gives
(the whole rollout against real git: tests/integration/test_rollout_argocd.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.argocd_waves import pin_applicationset
from i4qew.compile.hub.bootstrap import bootstrap_manifests
from i4qew.compile.hub.rollout_state import RolloutState, WaveState
from i4qew.compile.hub.subscription import yaml_docs
from i4qew.compile.render import render_tree
from i4qew.placement.decide import Planner
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.waves import members_by_wave
from tests.support.argocd import ARGO_NS, generated_application, repo_with
from tests.support.crds import crd_errors
from tests.support.placements import decided_by

ARGO = "      delivery: applicationset\n"
SELECTORS = ARGO + """      waves:
        - {name: canary, selector: "site=bologna", soak: 1h}
        - {name: early, selector: "site in (porto, haifa)"}
        - {name: rest}
"""
SHARES = ARGO + """      waves:
        - {name: canary, selector: "site=bologna", soak: 1h}
        - {name: early, clusters: 1}
        - {name: rest}
"""
WAVES = ("canary", "early", "rest")
PLACEMENT = "cluster.open-cluster-management.io/placement"
A, B = "a" * 40, "b" * 40


def render(root: Path, waves: str, state: RolloutState | None = None) -> dict[str, bytes]:
    repo = repo_with(root, (ARGO, waves))
    inventory, problems = load_inventory(root, None)
    assert not problems and inventory is not None
    return render_tree(repo, "dev", inventory=inventory, source_commit=None, rollout=state)


def appset_files(tree: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    return {p: list(yaml.safe_load_all(data)) for p, data in tree.items()
            if p.startswith("hub/argocd/applicationsets/")}


@pytest.mark.parametrize("waves", [SELECTORS, SHARES], ids=["selectors", "shares"])
def test_each_wave_is_a_placement_deciding_plans_wave_and_an_applicationset_of_its_decisions(
        tmp_path: Path, waves: str) -> None:
    tree = render(tmp_path, waves)
    repo = repo_with(tmp_path / "again", (ARGO, waves))
    inventory, _ = load_inventory(tmp_path, None)
    assert inventory is not None
    env = repo.repository.environments[0]
    decisions = Planner(repo, inventory).decisions("dev")
    assert decisions
    for d in decisions:
        w = d.workload
        docs = appset_files(tree)[f"hub/argocd/applicationsets/{w.name}.yaml"]
        assert [(x["kind"], x["metadata"]["name"]) for x in docs] == [
            (kind, f"{w.name}-dev-{wave}") for wave in WAVES for kind in ("Placement", "ApplicationSet")]
        planned = {wave.name: inventory.cluster_names(bits) for wave, bits in
                   zip(w.waves_for(env), members_by_wave(inventory, w.waves_for(env), d.clusters), strict=True)}
        for placement, appset in zip(docs[::2], docs[1::2], strict=True):
            wave = placement["metadata"]["labels"]["edge.i4q.eu/wave"]
            assert placement["metadata"]["namespace"] == appset["metadata"]["namespace"] == ARGO_NS
            assert appset["metadata"]["labels"]["edge.i4q.eu/wave"] == wave
            (generator,) = appset["spec"]["generators"]
            assert generator["clusterDecisionResource"]["labelSelector"] == {
                "matchLabels": {PLACEMENT: placement["metadata"]["name"]}}
            assert [c.name for c in inventory.clusters if decided_by(placement, dict(c.labels))] == planned[wave]
            assert appset["spec"]["template"]["spec"]["source"]["targetRevision"] == "acm-dev"
        # governance keeps binding to the workload's own Placement, in its namespace
        (own,) = yaml.safe_load_all(tree[f"hub/apps/{w.namespace}/workloads/{w.name}.yaml"])
        assert (own["metadata"]["name"], own["metadata"]["namespace"]) == (f"{w.name}-dev", w.namespace)
    placements = [x["metadata"]["name"] for docs in appset_files(tree).values() for x in docs]
    assert not any(n.endswith("-dev") for n in placements)  # nothing reads a whole-workload Placement there
    (state,) = yaml.safe_load_all(tree["hub/rollout.yaml"])
    assert (state["metadata"]["namespace"], state["data"]["canary.commit"]) == (ARGO_NS, "")
    errors = [e for p, data in tree.items() if p.startswith("hub/") for doc in yaml.safe_load_all(data)
              if doc["kind"] not in ("Namespace", "ConfigMap") for e in crd_errors(doc)]
    assert errors == []


def test_a_pinned_wave_names_its_commit_and_keeps_the_release(tmp_path: Path) -> None:
    state = RolloutState((("canary", WaveState()), ("early", WaveState(A, B, "")), ("rest", WaveState(B))))
    docs = appset_files(render(tmp_path, SELECTORS, state))["hub/argocd/applicationsets/defect-detector.yaml"]
    appsets = {x["metadata"]["labels"]["edge.i4q.eu/wave"]: x for x in docs if x["kind"] == "ApplicationSet"}
    assert {w: a["spec"]["template"]["spec"]["source"]["targetRevision"] for w, a in appsets.items()} == {
        "canary": "acm-dev", "early": A, "rest": B}
    app = generated_application(appsets["early"], "porto-lab")
    assert app["metadata"]["name"] == "defect-detector-dev-early-porto-lab"
    assert app["spec"]["source"]["targetRevision"] == A
    # every wave installs the same Helm release (waves are disjoint: one per cluster)
    releases = {a["spec"]["template"]["spec"]["source"]["helm"]["releaseName"] for a in appsets.values()}
    assert len(releases) == 1


def test_re_pinning_gives_the_bytes_a_render_of_the_new_state_gives(tmp_path: Path) -> None:
    before = RolloutState((("early", WaveState(A)), ("rest", WaveState(A))))
    after = RolloutState((("canary", WaveState(B)), ("early", WaveState()), ("rest", WaveState(A))))
    old = appset_files(render(tmp_path / "one", SHARES, before))
    new = appset_files(render(tmp_path / "two", SHARES, after))
    for path, docs in old.items():
        for d in docs:
            if d["kind"] == "ApplicationSet":
                wave = d["metadata"]["labels"]["edge.i4q.eu/wave"]
                pin_applicationset(d, "acm-dev", after.wave(wave).commit)
        assert yaml_docs(docs) == yaml_docs(new[path])


def test_bootstrap_lets_argo_cd_apply_the_rollout_state(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, (ARGO, SELECTORS))
    docs = list(yaml.safe_load_all(bootstrap_manifests(repo, "dev")))
    (role,) = [d for d in docs if d["kind"] == "Role"]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == ARGO_NS
    assert role["rules"][0]["resources"] == ["configmaps"] and "create" in role["rules"][0]["verbs"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "namespace": ARGO_NS,
                                    "name": "openshift-gitops-argocd-application-controller"}]
    without = list(yaml.safe_load_all(bootstrap_manifests(repo_with(tmp_path / "plain"), "dev")))
    assert not [d for d in without if d and d["kind"] in ("Role", "RoleBinding")]
