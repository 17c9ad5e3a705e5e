"""How a new commit on an environment branch moves its rollout waves (docs/rollout.md).

Publish and promote land a new commit that only the first wave takes: every other
wave that followed the branch head is pinned to the old head (whose charts it
runs), a pinned wave stays where it is. With Subscriptions the pins reach ACM
through wave branches (`<branch>-wave-<wave>`, at the pinned commit), pushed
atomically with the environment branch: they follow from the state on the branch,
so whoever wins the environment branch's lease sets them. ApplicationSets name the
commit in `targetRevision`: no wave branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from i4qew.compile.hub.names import wave_branch
from i4qew.compile.hub.rollout_state import PATH, RolloutState, WaveState, parse
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.land import Landing
from i4qew.model.repo import Environment

Ref = tuple[str, str]  # (branch, commit)


def now_text(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def head_state(landing: Landing, state: BranchState, env: Environment) -> RolloutState:
    return parse(landing.head_file(state, PATH), [w.name for w in env.waves])


def on_new_commit(env: Environment, old: RolloutState, old_head: str | None, now: str) -> RolloutState:
    """The first wave takes the new commit; the waves that followed the old head stay on it."""
    waves = [w.name for w in env.waves]
    first = old.wave(waves[0])
    new = old.with_wave(waves[0], WaveState("", first.commit or (old_head or ""), now))
    for name in waves[1:]:
        w = old.wave(name)
        if not w.commit and old_head is not None:
            new = new.with_wave(name, WaveState(old_head, w.previous, w.since))
    return new


def proposed_since(landing: Landing, proposal_branch: str, env: Environment) -> str | None:
    """When an existing proposal (a promotion merge request's branch) lets the first wave
    take its commit: proposing the same promotion again then builds the same commit."""
    if landing.remote is None or not env.waves:
        return None
    existing = landing.remote.head(proposal_branch)
    if existing is None or not landing.remote.fetch(existing):
        return None
    data = landing.git.run("cat-file", "blob", f"{existing}:{PATH}", check=False)
    if data.returncode != 0:
        return None
    return parse(data.stdout, [env.waves[0].name]).wave(env.waves[0].name).since or None


def wave_refs(env: Environment, state: RolloutState) -> tuple[Ref, ...]:
    """The wave branches the state implies: one per pinned wave (none where Argo CD
    delivers: an ApplicationSet pins the commit itself, compile/hub/argocd_waves.py)."""
    if env.delivery == "applicationset":
        return ()
    return tuple((wave_branch(env.branch, w.name), state.wave(w.name).commit)
                 for w in env.waves if state.wave(w.name).commit)


def moved_lines(env: Environment, old: RolloutState, new: RolloutState) -> list[str]:
    """The commit body's account of the waves (what the trailers record, in words)."""
    out = []
    for w in env.waves:
        a, b = old.wave(w.name).commit, new.wave(w.name).commit
        if a != b:
            out.append(f"wave {w.name}: {a[:12] or 'branch head'} -> {b[:12] or 'branch head (this commit)'}")
    return out


def pin_text(commit: str) -> str:
    return commit or "head"


def wave_trailers(env: Environment, old: RolloutState, new: RolloutState) -> list[tuple[str, str]]:
    """`I4qew-Wave: <wave> <from> -> <to>` for each wave whose pin changed."""
    return [(T.WAVE, f"{w.name} {pin_text(old.wave(w.name).commit)} -> {pin_text(new.wave(w.name).commit)}")
            for w in env.waves if old.wave(w.name).commit != new.wave(w.name).commit]


@dataclass(frozen=True)
class WavePins:
    """What a new commit does to the waves of its environment (nothing without waves)."""

    env: Environment | None
    old: RolloutState | None = None
    new: RolloutState | None = None

    @classmethod
    def read(cls, landing: Landing, state: BranchState, env: Environment | None, now: str | None = None) -> WavePins:
        """`now`: when the first wave takes the commit (default: the clock)."""
        if env is None or not env.waves:
            return cls(env)
        old = head_state(landing, state, env)
        return cls(env, old, on_new_commit(env, old, state.head.sha if state.head else None, now or now_text()))

    @property
    def moves(self) -> bool:
        return self.new is not None and self.new != self.old

    def trailers(self) -> list[tuple[str, str]]:
        if self.env is None or self.old is None or self.new is None:
            return []
        return wave_trailers(self.env, self.old, self.new)

    def body(self) -> str:
        if self.env is None or self.old is None or self.new is None:
            return ""
        lines = moved_lines(self.env, self.old, self.new)
        return "Rollout waves:\n" + "\n".join(f"  {line}" for line in lines) if lines else ""

    def refs(self) -> tuple[Ref, ...]:
        return wave_refs(self.env, self.new) if self.env is not None and self.new is not None else ()
