"""The rollout state of an environment with waves: `hub/rollout.yaml` on its branch.

A ConfigMap `<repo>-<env>-rollout` in the channel namespace (the Argo CD namespace
with `delivery: applicationset`), so the hub shows it too; Git is where it lives,
nothing else holds it. Per wave:

    <wave>.commit    the environment-branch commit the wave runs; "" = the branch head
    <wave>.previous  the commit it ran before it last moved ("" none): `rollout rollback`
    <wave>.since     when it last moved (UTC, ISO 8601): the soak counts from here
    paused           "true": `rollout advance` refuses until `rollout resume`

The state the branch holds is the truth: the wave Subscriptions (compile/hub/waves.py)
and ApplicationSets (compile/hub/argocd_waves.py) are compiled from it and `i4qew rollout` rewrites it (gitops/rollout.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from i4qew.compile.hub.names import env_labels, rollout_name
from i4qew.load.yamlio import Parsed
from i4qew.load.yamlio import parse as parse_yaml
from i4qew.model.repo import Repo

PATH = "hub/rollout.yaml"


@dataclass(frozen=True)
class WaveState:
    commit: str = ""  # "" = follows the branch head
    previous: str = ""
    since: str = ""

    def moved(self, commit: str, since: str) -> WaveState:
        return WaveState(commit, self.commit, since)


@dataclass(frozen=True)
class RolloutState:
    waves: tuple[tuple[str, WaveState], ...] = ()  # (wave, state), hashable: renders are cached by state
    paused: bool = False

    def wave(self, name: str) -> WaveState:
        return next((s for n, s in self.waves if n == name), WaveState())

    def with_wave(self, name: str, state: WaveState) -> RolloutState:
        return replace(self, waves=(*((n, s) for n, s in self.waves if n != name), (name, state)))


def data_of(wave_names: Sequence[str], state: RolloutState) -> dict[str, str]:
    data = {"paused": "true" if state.paused else "false"}
    for name in wave_names:
        w = state.wave(name)
        data.update({f"{name}.commit": w.commit, f"{name}.previous": w.previous, f"{name}.since": w.since})
    return dict(sorted(data.items()))


def wave_names_in(data: bytes | None) -> set[str]:
    """The waves a committed state file knows (its `<wave>.commit` keys)."""
    values = _values(data)
    return {k[: -len(".commit")] for k in values if k.endswith(".commit")} if values else set()


def _values(data: bytes | None) -> dict[str, Any] | None:
    if not data:
        return None
    parsed = parse_yaml(PATH, data.decode("utf-8", "replace"))
    if not isinstance(parsed, Parsed):
        return None
    values = next((d.get("data") for d in parsed.docs if isinstance(d, dict) and d.get("kind") == "ConfigMap"), None)
    return values if isinstance(values, dict) else None


def state_namespace(repo: Repo, env: str) -> str:
    """The channel namespace, or the Argo CD namespace where Argo CD delivers (no channel)."""
    r = repo.repository
    return r.argocd.namespace if r.delivery_of(env) == "applicationset" else r.channel_namespace


def configmap(repo: Repo, env: str, wave_names: Sequence[str], state: RolloutState) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": rollout_name(repo, env), "namespace": state_namespace(repo, env),
                     "labels": env_labels(repo, env)},
        "data": data_of(wave_names, state),
    }


def parse(data: bytes | None, wave_names: Sequence[str]) -> RolloutState:
    """The state a branch holds (an empty state when the file is absent or unreadable:
    every wave follows the branch head, as before waves were declared)."""
    values = _values(data)
    if values is None:
        return RolloutState()
    waves = tuple((n, WaveState(str(values.get(f"{n}.commit") or ""), str(values.get(f"{n}.previous") or ""),
                                str(values.get(f"{n}.since") or ""))) for n in wave_names)
    return RolloutState(waves, str(values.get("paused")) == "true")
