"""advance's decisions over the rollout state and the clock, with and without --if-due (a
scheduled advance: what a clock lifts is "not due", never an error, and it never forces)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from i4qew.compile.hub.rollout_state import RolloutState, WaveState
from i4qew.gitops.rollout_plan import NotDue, advance
from i4qew.k8s.selectors import everything
from i4qew.model.repo import Environment
from i4qew.model.waves import wave_list
from i4qew.problems import UserError

WAVES = wave_list([
    {"name": "canary", "selector": "site=bologna", "soak": "1h"},
    {"name": "early", "selector": "site=porto", "soak": "2h"},
    {"name": "rest", "windows": [{"cron": "0 22 * * *", "duration": "2h", "timeZone": "UTC"}]},
])
assert WAVES is not None
ENV = Environment("dev", "acm-dev", everything(), "", None, 0, waves=WAVES)
HEAD, OLD = "h" * 40, "o" * 40
MOVED = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the canary took HEAD
STATE = RolloutState((("canary", WaveState("", OLD, "2026-12-07T10:00:00Z")), ("early", WaveState(OLD)),
                      ("rest", WaveState(OLD))))


def go(state: RolloutState, at: datetime, **kw: bool) -> WaveState | None:
    step = advance(ENV, state, HEAD, at, wave=None, is_ancestor=lambda old, new: True,
                   force=kw.pop("force", False), **kw)
    return None if step is None else step.state.wave(step.waves[0])


def test_a_due_wave_advances_alike_with_if_due() -> None:
    at = MOVED + timedelta(hours=1, minutes=1)
    assert go(STATE, at) == go(STATE, at, if_due=True) == WaveState("", OLD, "2026-12-07T11:01:00Z")


@pytest.mark.parametrize(("state", "at", "said"), [
    (STATE, MOVED + timedelta(minutes=30), "wave early is not due: wave canary has run its commit since "
                                           "2026-12-07 10:00 UTC; its soak ends at 2026-12-07 11:00 UTC"),
    (STATE.with_wave("early", WaveState("", OLD, "2026-12-07T10:00:00Z")), MOVED + timedelta(hours=3),
     "wave rest is not due: wave rest starts only inside its maintenance windows, none is open now; "
     "the next opens at 2026-12-07 22:00 UTC"),
    (RolloutState(STATE.waves, paused=True), MOVED + timedelta(days=9), "the rollout of dev is paused"),
], ids=["soaking", "window-closed", "paused"])
def test_what_a_clock_lifts_is_not_due_with_if_due_and_refused_without(state: RolloutState, at: datetime,
                                                                       said: str) -> None:
    with pytest.raises(NotDue, match=said.replace("(", r"\(")):
        go(state, at, if_due=True)
    with pytest.raises(UserError) as refused:
        go(state, at)
    assert not isinstance(refused.value, NotDue)


def test_if_due_never_forces_and_nothing_left_is_no_step() -> None:
    with pytest.raises(UserError, match="never --force'd") as refused:
        go(STATE, MOVED, if_due=True, force=True)
    assert not isinstance(refused.value, NotDue)
    done = RolloutState((("canary", WaveState()), ("early", WaveState()), ("rest", WaveState())))
    assert go(done, MOVED, if_due=True) is None
