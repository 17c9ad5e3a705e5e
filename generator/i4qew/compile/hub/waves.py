"""A workload's rollout waves on the hub (Subscription delivery; docs/rollout.md;
ApplicationSet delivery takes the same wave Placements: compile/hub/argocd_waves.py).

Per wave a Placement `<workload>-<env>-<wave>` = the effective placement ∧ the
wave's clusters, and its Subscription. A wave's clusters are said with labels
where labels can say them: its selector ∧ NOT each earlier wave's selector (a
cluster belongs to the first wave that selects it). A share, or numberOfClusters
on the placement, chooses clusters the labels cannot name, so then every wave
names its clusters (the `name` label ACM sets on each ManagedCluster) as the
snapshot's decision over the inventory says.

The workload's own Placement stays (governance binds to it) and carries the waves
as OCM decision groups where they are all selectors (`decisionStrategy`).

A wave that follows the branch head subscribes to the environment branch; a
pinned wave to its wave branch (`<branch>-wave-<wave>`, at the pinned commit)
with `git-desired-commit`: the commit pin alone reaches ACM's Git subscriber but
not the HelmRelease controller, which downloads the chart from its branch head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from i4qew.compile.hub.names import GIT_BRANCH, GIT_DESIRED_COMMIT, wave_branch, wave_name
from i4qew.compile.hub.placement import placement
from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.compile.hub.subscription_doc import subscription
from i4qew.k8s.selectors import (
    DOES_NOT_EXIST,
    EXISTS,
    IN,
    NOT_IN,
    Requirement,
    Selector,
    everything,
)
from i4qew.model.repo import Environment, Predicate, Repo
from i4qew.model.waves import Wave
from i4qew.placement.effective import EffectivePlacement, conjoin

NAME_LABEL = "name"  # set by ACM on every ManagedCluster to its name
WAVE_LABEL = "edge.i4q.eu/wave"  # on each wave's Subscription and Placement
_OPPOSITE = {IN: NOT_IN, NOT_IN: IN, EXISTS: DOES_NOT_EXIST, DOES_NOT_EXIST: EXISTS}
_ALL = (Predicate(everything(), everything()),)


def _only(sel: Selector) -> tuple[Predicate, ...]:
    return (Predicate(sel, everything()),)


def negate(sel: Selector) -> tuple[Predicate, ...]:
    """NOT sel, as ORed predicates: one per requirement, each turned around."""
    return tuple(Predicate(Selector((Requirement(r.key, _OPPOSITE[r.operator], r.values),)), everything())
                 for r in sel.requirements)


def by_labels(waves: Sequence[Wave], max_clusters: int | None) -> bool:
    return max_clusters is None and all(w.share is None for w in waves[:-1])


def label_predicates(ep: EffectivePlacement, waves: Sequence[Wave], k: int) -> tuple[Predicate, ...]:
    own = waves[k].selector
    factors = [ep.predicates, _ALL if own is None or k == len(waves) - 1 else _only(own)]
    for earlier in waves[:k]:
        if earlier.selector is None:
            return ()  # it took every cluster left
        factors.append(negate(earlier.selector))
    return conjoin(*factors)


def decision_strategy(waves: Sequence[Wave]) -> dict[str, Any] | None:
    """The waves as OCM decision groups (in order, each takes the clusters left that its
    selector matches; the rest form unnamed groups), where selectors alone say them."""
    groups = [(w.name, w.selector) for w in waves[:-1] if w.share is None]
    if not groups or len(groups) < len(waves) - 1:
        return None
    out: list[dict[str, Any]] = []
    for name, sel in groups:
        if sel is None:
            return None
        out.append({"groupName": name, "groupClusterSelector": {"labelSelector": dict(sel.to_structured())}})
    return {"groupStrategy": {"decisionGroups": out}}


def _wave_placement(repo: Repo, ep: EffectivePlacement, wave: Wave, predicates: tuple[Predicate, ...],
                    name: str) -> dict[str, Any]:
    doc = placement(repo, replace(ep, predicates=predicates, max_clusters=None))
    doc["metadata"]["name"] = name
    doc["metadata"]["labels"] = {**doc["metadata"]["labels"], WAVE_LABEL: wave.name}
    return doc


def wave_placements(repo: Repo, env: Environment, ep: EffectivePlacement,
                    names: Sequence[Sequence[str]] | None) -> list[tuple[Wave, dict[str, Any]]]:
    """Per wave its Placement `<workload>-<env>-<wave>` (in the workload namespace).
    `names`: each wave's clusters, needed unless labels say them."""
    waves = ep.workload.waves_for(env)
    labels = by_labels(waves, ep.max_clusters)
    out = []
    for k, wave in enumerate(waves):
        if labels:
            predicates = label_predicates(ep, waves, k)
        else:
            assert names is not None  # render_tree passes them (validation asks for the inventory)
            chosen = Selector((Requirement(NAME_LABEL, IN, tuple(names[k])),)) if names[k] else None
            predicates = conjoin(ep.predicates, _only(chosen)) if chosen is not None else ()
        out.append((wave, _wave_placement(repo, ep, wave, predicates, wave_name(ep.workload, env.name, wave.name))))
    return out


def grouped_placement(repo: Repo, env: Environment, ep: EffectivePlacement) -> dict[str, Any]:
    """The workload's own Placement, with the waves as decision groups where selectors say them."""
    own = placement(repo, ep)
    strategy = decision_strategy(ep.workload.waves_for(env))
    if strategy is not None:
        own["spec"]["decisionStrategy"] = strategy
    return own


def wave_documents(repo: Repo, env: Environment, ep: EffectivePlacement, state: RolloutState,
                   names: Sequence[Sequence[str]] | None) -> list[dict[str, Any]]:
    """The workload Placement (with its decision groups), then per wave its Subscription
    and Placement. `names`: each wave's clusters, needed unless labels say them."""
    docs = [grouped_placement(repo, env, ep)]
    for wave, where in wave_placements(repo, env, ep, names):
        name = where["metadata"]["name"]
        sub = subscription(repo, env.name, ep.workload)
        sub["metadata"]["name"] = name
        sub["metadata"]["labels"] = {**sub["metadata"]["labels"], WAVE_LABEL: wave.name}
        sub["spec"]["placement"]["placementRef"]["name"] = name
        pin(sub, env.branch, wave.name, state.wave(wave.name).commit)
        docs += [sub, where]
    return docs


def pin(sub: dict[str, Any], env_branch: str, wave: str, commit: str) -> None:
    """Point a wave's Subscription at the branch head ("") or at `commit` through its wave
    branch; `i4qew rollout` re-pins the committed Subscriptions with this too."""
    annotations = {k: v for k, v in sub["metadata"]["annotations"].items() if k != GIT_DESIRED_COMMIT}
    annotations[GIT_BRANCH] = wave_branch(env_branch, wave) if commit else env_branch
    if commit:
        annotations[GIT_DESIRED_COMMIT] = commit
    sub["metadata"]["annotations"] = annotations
