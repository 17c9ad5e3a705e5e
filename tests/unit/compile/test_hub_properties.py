"""Property tests: what the Placement / PlacementRule say is exactly the effective
placement, for arbitrary selectors (hypothesis), read back from the emitted objects."""

from __future__ import annotations

import dataclasses
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.compile.hub.placement import placement, placement_rule
from i4qew.k8s.selector_structured import from_structured
from i4qew.k8s.selectors import OPERATORS, Requirement, Selector
from i4qew.model.repo import Predicate, Repo
from i4qew.placement.effective import EffectivePlacement, effective_placement
from i4qew.placement.expressible import merge_for_rule, rule_problems
from tests.support.repos import load
from tests.support.tools import ROOT

KEYS = ("site", "tier", "gpu")
VALUES = ("a", "b", "c")


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    op = draw(st.sampled_from(OPERATORS))
    values: tuple[str, ...] = ()
    if op in ("In", "NotIn"):
        values = tuple(draw(st.sets(st.sampled_from(VALUES), min_size=1)))
    return Requirement(draw(st.sampled_from(KEYS)), op, values)


selectors = st.builds(lambda rs: Selector(tuple(rs)), st.lists(requirements(), max_size=3))
predicates = st.builds(Predicate, selectors, selectors)
label_sets = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES))


@functools.cache
def base() -> tuple[Repo, EffectivePlacement]:
    repo = load(ROOT)
    w = repo.workload("sktime")
    assert w is not None
    ep = effective_placement(repo, w, "dev")
    assert ep is not None
    return repo, ep


def with_predicates(preds: list[Predicate]) -> tuple[Repo, EffectivePlacement]:
    repo, ep = base()
    return repo, dataclasses.replace(ep, predicates=tuple(preds))


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.lists(predicates, min_size=1, max_size=4))
def test_placement_predicates_read_back_exactly(preds: list[Predicate]) -> None:
    repo, ep = with_predicates(preds)
    doc = placement(repo, ep)
    back = []
    for p in doc["spec"]["predicates"]:
        sel = p["requiredClusterSelector"]
        labels = from_structured(sel["labelSelector"].get("matchLabels"), sel["labelSelector"].get("matchExpressions"))
        assert set(sel.get("claimSelector", {})) <= {"matchExpressions"}
        claims = from_structured(None, sel.get("claimSelector", {}).get("matchExpressions"))
        back.append(Predicate(labels, claims))
    assert back == preds


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(predicates, min_size=1, max_size=4), st.lists(label_sets, min_size=1, max_size=8))
def test_folding_ors_for_placement_rules_keeps_the_meaning(preds: list[Predicate], clusters: list[dict[str, str]]) -> None:
    labels_only = [Predicate(p.labels, Selector()) for p in preds]
    merged = merge_for_rule(tuple(labels_only))
    assert len(merged) <= len(labels_only)
    for labels in clusters:
        assert any(p.labels.matches(labels) for p in merged) == any(p.labels.matches(labels) for p in labels_only)
    repo, ep = with_predicates(labels_only)
    if not rule_problems(repo, ep):
        sel = placement_rule(repo, ep)["spec"]["clusterSelector"]
        rule = from_structured(sel.get("matchLabels"), sel.get("matchExpressions"))
        for labels in clusters:
            assert rule.matches(labels) == any(p.labels.matches(labels) for p in labels_only)
    else:
        assert len(merged) > 1


def test_same_key_alternatives_fold_and_different_keys_do_not() -> None:
    site = [Predicate(Selector((Requirement("site", "In", (v,)), Requirement("tier", "NotIn", ("far",)))), Selector())
            for v in ("a", "b", "c")]
    (folded,) = merge_for_rule(tuple(site))
    assert folded.labels.to_text() == "site in (a,b,c),tier!=far"
    arch = (Predicate(Selector((Requirement("arch/amd64", "In", ("true",)),)), Selector()),
            Predicate(Selector((Requirement("arch/arm64", "In", ("true",)),)), Selector()))
    assert merge_for_rule(arch) == arch
