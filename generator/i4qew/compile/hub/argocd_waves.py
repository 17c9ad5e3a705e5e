"""A workload's rollout waves delivered by Argo CD (`delivery: applicationset`; docs/rollout.md).

Per wave, in the Argo CD namespace: the wave's Placement `<workload>-<env>-<wave>`
(the one Subscription delivery uses, compile/hub/waves.py: the effective placement ∧
the wave's clusters) and an ApplicationSet of the same name whose
clusterDecisionResource generator reads that Placement's decisions only. Its
Applications' `targetRevision` is the wave's pinned commit, or the environment branch
while the wave follows the head. Argo CD takes a commit SHA as the revision as it is
and checks it out after fetching every branch, so no wave branch is needed: a pinned
commit is always in the environment branch's history (docs/rollout.md has the sources).

The workload's own Placement in its namespace keeps the waves as decision groups
(governance binds to it); no ApplicationSet reads a decision group, because a share
(`clusters`, `percent`) chooses clusters that OCM's groups would choose otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from i4qew.compile.hub.argocd import applicationset, workload_unit
from i4qew.compile.hub.names import wave_name
from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.compile.hub.waves import WAVE_LABEL, wave_placements
from i4qew.model.repo import Environment, Repo
from i4qew.placement.effective import EffectivePlacement


def wave_applicationsets(repo: Repo, env: Environment, ep: EffectivePlacement, state: RolloutState,
                         names: Sequence[Sequence[str]] | None) -> list[dict[str, Any]]:
    """Per wave its Placement (in the Argo CD namespace) and its pinned ApplicationSet."""
    docs: list[dict[str, Any]] = []
    unit = workload_unit(repo, env.name, ep.workload)
    for wave, where in wave_placements(repo, env, ep, names):
        where["metadata"]["namespace"] = repo.repository.argocd.namespace
        name = wave_name(ep.workload, env.name, wave.name)
        wave_unit = replace(unit, name=name, placement=name, labels={**unit.labels, WAVE_LABEL: wave.name})
        docs += [where, applicationset(repo, env.name, wave_unit, revision=state.wave(wave.name).commit or None)]
    return docs


def pin_applicationset(doc: dict[str, Any], env_branch: str, commit: str) -> None:
    """Point a wave's ApplicationSet at the branch head ("") or at `commit`; `i4qew rollout`
    re-pins the committed ApplicationSets with this too."""
    doc["spec"]["template"]["spec"]["source"]["targetRevision"] = commit or env_branch
