"""What the hub compiler makes of the placement options, and the problems it reports
where ACM cannot express what the user declared."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.placement import placement, placement_rule
from i4qew.compile.hub.subscription import compile_hub
from i4qew.k8s.selector_structured import from_structured
from i4qew.model.repo import Repo
from i4qew.placement.effective import EffectivePlacement, effective_placement
from i4qew.placement.expressible import hub_problems
from i4qew.problems import UserError
from tests.support.crds import crd_errors
from tests.support.repos import copy_repo, inventory, load, without_waves
from tests.support.tools import ROOT


def edited(dest: Path, edits: dict[str, tuple[str, str] | list[tuple[str, str]]]) -> Repo:
    copy_repo(dest)
    for name, change in edits.items():
        for old, new in change if isinstance(change, list) else [change]:
            text = (dest / name).read_text()
            assert old in text, f"{name}: {old!r} not found"
            (dest / name).write_text(text.replace(old, new, 1))
    if "placementApi: PlacementRule" in (dest / "i4qew.yaml").read_text():
        without_waves(dest)
    return load(dest)


def docs_of(repo: Repo, env: str, path: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(compile_hub(repo, env)[path]))


def position(path: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the value after `needle` in a file of this repo."""
    for i, line in enumerate((ROOT / path).read_text().splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + len(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


SUBSCRIPTION_ONLY = ("      delivery: applicationset\n", "")
RULE_API: dict[str, tuple[str, str] | list[tuple[str, str]]] = {
    "i4qew.yaml": [("placementApi: Placement", "placementApi: PlacementRule"), SUBSCRIPTION_ONLY]}


def test_placement_rule_mode_reports_what_it_cannot_express(tmp_path: Path) -> None:
    repo = edited(tmp_path, RULE_API)
    problems = hub_problems(repo, "dev")
    line, col = position("workloads/sktime.yaml", "placement: ")
    # The models' staging placements have the same ORs: reported at the Model's placement.
    assert [(p.path, p.line, p.column, p.rule) for p in problems] == [
        ("models/lrt-forecaster.yaml", *position("models/lrt-forecaster.yaml", "placement: "), "placement-api"),
        ("models/vision.yaml", 36, position("models/vision.yaml", "placement: cnc")[1] - 3, "placement-api"),
        ("workloads/sktime.yaml", line, col, "placement-api"),
        ("workloads/vibration.yaml", *position("workloads/vibration.yaml", "placement: "), "placement-api"),
    ]
    assert "model 'lrt-forecaster' is staged in dev" in problems[0].message
    assert "OR over different labels" in problems[2].message
    assert "arch.edge.i4q.eu/amd64=true" in problems[2].message
    assert "placementApi: Placement" in problems[2].message
    with pytest.raises(UserError) as raised:
        compile_hub(repo, "dev")
    assert raised.value.problems == problems


def test_claims_become_a_claim_selector_or_a_problem(tmp_path: Path) -> None:
    claims = ('  selector: "env=lrt, !decommissioned"\n',
              '  selector: "env=lrt, !decommissioned"\n  claims: "product.open-cluster-management.io=K3s"\n')
    repo = edited(tmp_path / "p", {"policies/lrt.yaml": claims})
    (placement,) = docs_of(repo, "dev", "hub/apps/i4q-lrt/workloads/sktime.yaml")  # dev: by ApplicationSet
    for p in placement["spec"]["predicates"]:
        assert p["requiredClusterSelector"]["claimSelector"] == {"matchExpressions": [
            {"key": "product.open-cluster-management.io", "operator": "In", "values": ["K3s"]}]}
    assert crd_errors(placement) == []
    (inspection,) = docs_of(repo, "dev", "hub/apps/i4q-vision/workloads/inspection-ui.yaml")
    assert "claimSelector" not in inspection["spec"]["predicates"][0]["requiredClusterSelector"]
    rule = edited(tmp_path / "r", {"policies/lrt.yaml": claims, **RULE_API})
    assert any("cluster claims" in p.message for p in hub_problems(rule, "dev"))


def test_cluster_sets_are_bound_in_every_namespace_that_uses_them(tmp_path: Path) -> None:
    repo = edited(tmp_path / "p", {"policies/lrt.yaml": ("spec:\n", "spec:\n  clusterSets: [factories]\n")})
    placements = [d for d in docs_of(repo, "production", "hub/apps/i4q-lrt/workloads/sktime.yaml")
                  if d["kind"] == "Placement"]  # the workload's, then one per rollout wave
    assert [p["spec"]["clusterSets"] for p in placements] == [["factories"]] * 3
    bindings = docs_of(repo, "production", "hub/apps/i4q-lrt/clustersetbindings.yaml")
    assert [(b["metadata"]["name"], b["metadata"]["namespace"], b["spec"]["clusterSet"]) for b in bindings] == [
        ("factories", "i4q-lrt", "factories")]
    others = docs_of(repo, "production", "hub/apps/i4q-vision/clustersetbindings.yaml")
    assert [b["spec"]["clusterSet"] for b in others] == ["global"]
    rule = edited(tmp_path / "r", {"policies/lrt.yaml": ("spec:\n", "spec:\n  clusterSets: [factories]\n"),
                                   **RULE_API})
    assert any("cluster sets factories" in p.message for p in hub_problems(rule, "production"))


def test_max_clusters_limits_the_count(tmp_path: Path) -> None:
    limit = {"policies/vision.yaml": ("  selector: \"site in", "  maxClusters: 2\n  selector: \"site in")}
    (_, placement) = docs_of(edited(tmp_path / "p", {**limit, "i4qew.yaml": SUBSCRIPTION_ONLY}), "dev",
                             "hub/apps/i4q-vision/workloads/inspection-ui.yaml")
    assert placement["spec"]["numberOfClusters"] == 2
    rule_repo = edited(tmp_path / "r", {**limit, **RULE_API})
    assert [p.path for p in hub_problems(rule_repo, "dev")] == [
        "models/lrt-forecaster.yaml", "models/vision.yaml", "workloads/sktime.yaml", "workloads/vibration.yaml"]
    rule = placement_rule(rule_repo, effective(rule_repo, "inspection-ui", "dev"))
    assert rule["spec"]["clusterReplicas"] == 2
    assert crd_errors(rule) == []


def effective(repo: Repo, workload: str, env: str) -> EffectivePlacement:
    w = repo.workload(workload)
    assert w is not None
    ep = effective_placement(repo, w, env)
    assert ep is not None
    return ep


@pytest.mark.parametrize("empty", ["predicates", "cluster_sets"])
def test_a_placement_that_can_never_match_selects_nothing(empty: str) -> None:
    """Conjuncts that contradict each other (no predicate left) or cluster sets that do
    not meet: an empty `predicates` or `clusterSets` would select every cluster instead."""
    repo = load(ROOT)
    ep = dataclasses.replace(effective(repo, "sktime", "dev"), **{empty: ()})
    never = (placement(repo, ep), placement_rule(repo, ep))
    for doc, selector in ((never[0], never[0]["spec"]["predicates"][0]["requiredClusterSelector"]["labelSelector"]),
                          (never[1], never[1]["spec"]["clusterSelector"])):
        assert crd_errors(doc) == []
        match = from_structured(selector.get("matchLabels"), selector.get("matchExpressions"))
        assert not match.is_empty()
        assert not any(match.matches(c["metadata"].get("labels", {})) for c in inventory())
        assert not match.matches({})
    assert len(never[0]["spec"]["predicates"]) == 1


def test_applicationset_delivery_needs_placements(tmp_path: Path) -> None:
    """The ApplicationSets read PlacementDecisions: with PlacementRule the applicationset
    environment is refused at placementApi, the subscription one still compiles."""
    repo = edited(tmp_path, {"i4qew.yaml": ("placementApi: Placement", "placementApi: PlacementRule")})
    problems = hub_problems(repo, "dev")
    assert [(p.path, p.line, p.column, p.rule) for p in problems] == [
        ("i4qew.yaml", *position("i4qew.yaml", "placementApi: "), "placement-api")]
    assert "delivery: applicationset" in problems[0].message
    with pytest.raises(UserError):
        compile_hub(repo, "dev")


def test_an_unknown_environment_lists_the_known_ones() -> None:
    (problem,) = hub_problems(load(ROOT), "staging")
    assert problem.rule == "unknown-environment"
    assert "dev, production" in problem.message
