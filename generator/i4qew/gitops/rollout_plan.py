"""What `i4qew rollout advance|rollback|pause|resume` does to the rollout state: pure
decisions over the state, the declared waves and the time (gitops/rollout.py lands them).

advance   the next wave (the first one that does not run what the wave before it runs)
          takes the commit of the wave before it: one wave per call. Refused while paused,
          before the wave before it has soaked, outside the wave's windows (the last two
          unless forced), and when it would move a wave back in history.
rollback  a wave (or every wave ahead of the last one) goes back to the commit it ran
          before its last move.
pause     advance refuses until resume.

With `if_due` (a scheduled advance) the refusals a clock lifts (paused, soak,
windows) are `NotDue`: nothing moves and nothing is wrong; it never forces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from i4qew.compile.hub.rollout_state import RolloutState, WaveState
from i4qew.model.repo import Environment
from i4qew.model.waves import Wave
from i4qew.model.windows import is_open, next_open
from i4qew.problems import UserError

IsAncestor = Callable[[str, str], bool]  # (older, newer)


class NotDue(UserError):
    """advance --if-due: the next wave may not start yet (paused, soaking, window closed)."""


@dataclass(frozen=True)
class Step:
    state: RolloutState
    waves: tuple[str, ...]  # the waves it moves
    summary: str


def effective(state: RolloutState, wave: str, head: str) -> str:
    return state.wave(wave).commit or head


def since(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def next_wave(env: Environment, state: RolloutState, head: str) -> int | None:
    """Index of the first wave that does not run what the wave before it runs."""
    for i in range(1, len(env.waves)):
        if effective(state, env.waves[i].name, head) != effective(state, env.waves[i - 1].name, head):
            return i
    return None


def _timing(before: Wave, wave: Wave, state: RolloutState, now: datetime) -> list[str]:
    refusals = []
    started = since(state.wave(before.name).since)
    if before.soak_minutes and started is not None:
        ends = started + timedelta(minutes=before.soak_minutes)
        if now < ends:
            refusals.append(f"wave {before.name} has run its commit since {started:%Y-%m-%d %H:%M} UTC; its soak "
                            f"ends at {ends:%Y-%m-%d %H:%M} UTC")
    if wave.windows and not any(is_open(w, now) for w in wave.windows):
        opens = [t for t in (next_open(w, now) for w in wave.windows) if t is not None]
        when = f"; the next opens at {min(opens):%Y-%m-%d %H:%M %Z}" if opens else ""
        refusals.append(f"wave {wave.name} starts only inside its maintenance windows, none is open now{when}")
    return refusals


def advance(env: Environment, state: RolloutState, head: str, now: datetime, *, wave: str | None,
            force: bool, is_ancestor: IsAncestor, if_due: bool = False) -> Step | None:
    """None: every wave already runs what the wave before it runs (or `wave` already does)."""
    if force and if_due:
        raise UserError("--if-due advances only a wave that is due: it is never --force'd")
    if state.paused:
        raise (NotDue if if_due else UserError)(
            f"the rollout of {env.name} is paused: `i4qew rollout resume --env {env.name}` first")
    i = next_wave(env, state, head)
    names = [w.name for w in env.waves]
    if wave is not None:
        if wave not in names:
            raise UserError(f"{env.name} has no wave {wave!r}; its waves are: {', '.join(names)}")
        asked = names.index(wave)
        if asked == 0:
            raise UserError(f"wave {wave} is the first: a publish (or promotion) moves it, not advance")
        if i is None or asked < i:
            return None
        if asked > i:
            raise UserError(f"wave {wave} is not next: wave {names[i]} does not run "
                            f"{effective(state, names[i - 1], head)[:12]} yet (one wave at a time)")
    if i is None:
        return None
    before, target = env.waves[i - 1], env.waves[i]
    commit = state.wave(before.name).commit
    old = effective(state, target.name, head)
    if not is_ancestor(old, commit or head):
        raise UserError(f"advancing wave {target.name} would move it back from {old[:12]} to "
                        f"{(commit or head)[:12]}: use `i4qew rollout rollback` to go back on purpose")
    refusals = _timing(before, target, state, now)
    if refusals and if_due:
        raise NotDue(f"wave {target.name} is not due: " + "; ".join(refusals))
    if refusals and not force:
        raise UserError("; ".join(refusals) + ": refusing to advance (--force to advance anyway)")
    moved = state.with_wave(target.name, WaveState(commit, old, _text(now)))
    return Step(moved, (target.name,), f"advance wave {target.name} to {commit[:12] or 'the branch head'}"
                + (f" (forced: {'; '.join(refusals)})" if refusals else ""))


def rollback(env: Environment, state: RolloutState, head: str, now: datetime, *, wave: str | None) -> Step | None:
    names = [w.name for w in env.waves]
    if wave is not None and wave not in names:
        raise UserError(f"{env.name} has no wave {wave!r}; its waves are: {', '.join(names)}")
    last = effective(state, names[-1], head)
    targets = [wave] if wave is not None else [n for n in names if effective(state, n, head) != last]
    new, moved = state, []
    for name in targets:
        w = state.wave(name)
        if not w.previous:
            if wave is not None:
                raise UserError(f"wave {name} has no earlier commit to go back to")
            continue
        new = new.with_wave(name, WaveState(w.previous, w.commit or head, _text(now)))
        moved.append(name)
    if not moved:
        return None
    return Step(new, tuple(moved), f"roll back wave{'s' if len(moved) > 1 else ''} {', '.join(moved)}")


def pause(state: RolloutState, paused: bool) -> Step | None:
    if state.paused == paused:
        return None
    return Step(RolloutState(state.waves, paused), (), "pause" if paused else "resume")


def _text(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")
