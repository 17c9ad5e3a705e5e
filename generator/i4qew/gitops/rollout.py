"""`i4qew rollout status|advance|pause|resume|rollback --env ENV` on the environment branch.

The same machinery as publish (gitops/land.py): read the remote's head, decide,
one commit or none, pushed under a lease with the wave branches in the same atomic
push, retried when the branch moved. The commit keeps the head's Source-Commit and
input fingerprint (the workloads did not change) and records the action
(`I4qew-Rollout`), each pin it changed (`I4qew-Wave: <wave> <from> -> <to>`), its
author and time: the branch's history is the rollout's log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from i4qew import __version__
from i4qew.compile.hub.names import wave_branch
from i4qew.compile.hub.rollout_state import PATH, RolloutState, parse, wave_names_in
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.git import run_gate
from i4qew.gitops.land import BeforePush, Landing, Outcome, Proposal
from i4qew.gitops.objects import build_tree
from i4qew.gitops.publishing import make_landing, refuse_drift
from i4qew.gitops.rollout_edit import repinned
from i4qew.gitops.rollout_plan import NotDue, Step, advance, effective, pause, rollback
from i4qew.gitops.settings import environment, settings_at
from i4qew.gitops.source import input_ids, open_source
from i4qew.gitops.wave_pins import moved_lines, wave_refs, wave_trailers
from i4qew.model.repo import Environment
from i4qew.problems import UserError
from i4qew.text import shorten

ACTIONS = ("advance", "rollback", "pause", "resume")
KEPT = (T.SOURCE_COMMIT, T.PROMOTED_FROM, T.ENVIRONMENT, T.INPUTS)  # the head's, carried over


@dataclass(frozen=True)
class RolloutRequest:
    root: Path
    env: str
    action: str  # status | advance | rollback | pause | resume
    wave: str | None = None
    force: bool = False
    remote: str = "origin"
    push: bool = True
    dry_run: bool = False
    author: str | None = None
    now: datetime | None = None  # tests pin the clock
    gate: str | None = None  # advance: a shell command that must exit 0 (the wave before is healthy)
    if_due: bool = False  # advance: only when due (a schedule): paused, soaking or outside a window is no error
    attempts: int = 5
    backoff: float = 0.25


def _state(landing: Landing, branch: BranchState, env: Environment) -> RolloutState:
    if branch.head is None:
        raise UserError(f"{branch.branch} does not exist: publish (or promote) {env.name} first")
    data = landing.head_file(branch, PATH)
    declared = {w.name for w in env.waves}
    if data is None:
        raise UserError(f"{branch.branch} holds no rollout state ({PATH}): publish (or promote) {env.name} "
                        "with its waves first")
    if wave_names_in(data) != declared:
        raise UserError(f"the waves on {branch.branch} ({', '.join(sorted(wave_names_in(data)))}) are not those "
                        f"i4qew.yaml declares ({', '.join(sorted(declared))}): publish (or promote) {env.name} first")
    return parse(data, [w.name for w in env.waves])


@dataclass
class _Roller:
    req: RolloutRequest
    landing: Landing
    env: Environment
    now: datetime
    gated: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def step(self, branch: BranchState, state: RolloutState) -> Step | None:
        assert branch.head is not None
        head, action = branch.head.sha, self.req.action
        if action == "advance":
            return advance(self.env, state, head, self.now, wave=self.req.wave, force=self.req.force,
                           is_ancestor=self.landing.git.is_ancestor, if_due=self.req.if_due)
        if action == "rollback":
            return rollback(self.env, state, head, self.now, wave=self.req.wave)
        return pause(state, action == "pause")

    def check_gate(self, step: Step, old: RolloutState, head: str) -> None:
        """The health gate, once per wave and commit (a retry on a moved branch reuses it)."""
        extra = _gate_env(self.env, step, old, head)
        key = (extra["I4QEW_GATE_WAVE"], extra["I4QEW_GATE_COMMIT"])
        if key not in self.gated:
            assert self.req.gate is not None
            self.gated[key] = run_gate(self.req.gate, self.req.root, extra)
        code, last = self.gated[key]
        if code != 0:
            raise UserError(f"the health gate refuses to advance wave {step.waves[0]}: wave {key[0]} at "
                            f"{key[1][:12]} is not healthy (`{shorten(self.req.gate or '', 80)}` exited {code}"
                            + (f": {last}" if last else "") + ")")
        self.landing.note(f"health gate passed for wave {key[0]} at {key[1][:12]}")

    def decide(self, branch: BranchState) -> Proposal | Outcome:
        if branch.drifted:
            raise refuse_drift(branch, f"rollout {self.req.action}")
        old = _state(self.landing, branch, self.env)
        assert branch.head is not None and branch.base is not None
        try:
            step = self.step(branch, old)
        except NotDue as exc:
            return Outcome("not due", branch.branch, branch.head.sha, (f"{branch.branch}: nothing to advance now: {exc}",))
        if step is not None and self.req.action == "advance" and self.req.gate:
            self.check_gate(step, old, branch.head.sha)
        if step is None:
            return Outcome("unchanged", branch.branch, branch.head.sha, (
                f"{branch.branch}: nothing to {self.req.action} ({'; '.join(status_lines(self.env, old, branch))})",))
        files = repinned(self.landing.git, self.landing.listing(branch.head.tree), self.env, step.state)
        tree = build_tree(files, self.landing.source.algo)
        kept = [(k, v) for k in KEPT for v in branch.base.trailers.get(k.lower(), ())]
        kept += [(T.INPUT_PATH, p) for p in branch.base.trailers.get(T.INPUT_PATH.lower(), ())]
        trailers = [*kept, (T.VERSION, __version__), (T.ROLLOUT, self.req.action),
                    *wave_trailers(self.env, old, step.state), (T.TREE, tree.oid)]
        body = "\n".join(moved_lines(self.env, old, step.state))
        message = T.compose(f"i4qew: rollout {self.env.name}: {step.summary}", [body], trailers)
        return Proposal(tree, message, self.landing.changes(branch, tree), wave_refs(self.env, step.state))


def _gate_env(env: Environment, step: Step, old: RolloutState, head: str) -> dict[str, str]:
    names = [w.name for w in env.waves]
    before = names[names.index(step.waves[0]) - 1]
    return {"I4QEW_ROLLOUT_ENV": env.name, "I4QEW_ROLLOUT_WAVE": step.waves[0], "I4QEW_GATE_WAVE": before,
            "I4QEW_GATE_COMMIT": effective(old, before, head)}


def _pinned_by(env: Environment, wave: str) -> str:
    return "targetRevision" if env.delivery == "applicationset" else wave_branch(env.branch, wave)


def status_lines(env: Environment, state: RolloutState, branch: BranchState) -> list[str]:
    head = branch.head.sha if branch.head else ""
    out = [f"wave {w.name}: {effective(state, w.name, head)[:12]}"
           + (" (branch head)" if not state.wave(w.name).commit else f" (pinned, {_pinned_by(env, w.name)})")
           for w in env.waves]
    return out + (["paused"] if state.paused else [])


def _open(req: RolloutRequest, environ: Mapping[str, str]) -> tuple[Landing, Environment]:
    source = open_source(req.root, environ)
    settings = settings_at(source, input_ids(source, source.head).get("i4qew.yaml"))
    if settings is None:
        raise UserError("i4qew.yaml at the checked-out commit is missing or invalid: run i4qew validate")
    env = environment(settings, req.env)
    if not env.waves:
        raise UserError(f"{env.name} declares no rollout waves (spec.environments[].waves in i4qew.yaml)")
    landing = make_landing(source, req.remote, req.push, req.dry_run, req.author, req.attempts, req.backoff,
                           environ)
    return landing, env


def rollout(req: RolloutRequest, *, environ: Mapping[str, str] | None = None,
            before_push: BeforePush | None = None) -> Outcome:
    environ = os.environ if environ is None else environ
    landing, env = _open(req, environ)
    landing.before_push = before_push
    if req.action == "status":
        branch = landing.state(env.branch)
        state = _state(landing, branch, env)
        assert branch.head is not None
        return Outcome("status", env.branch, branch.head.sha, tuple(
            [f"{env.branch} at {branch.head.sha[:12]}", *status_lines(env, state, branch)]))
    if req.action not in ACTIONS:
        raise UserError(f"unknown rollout action {req.action!r}")
    if req.if_due and req.action != "advance":
        raise UserError(f"--if-due is for advance only, not {req.action}")
    roller = _Roller(req, landing, env, req.now or datetime.now(UTC))
    outcome = landing.land(env.branch, roller.decide, verb=f"rolled out ({req.action})")
    return Outcome(outcome.status, outcome.branch, outcome.commit, (*landing.notes, *outcome.lines))
