"""`plan` of a fleet whose helper process plans and renders its own hubs
(placement/fleet_plan_fork.py): the same bytes, exit code and output as one process in
text, markdown and json, on seeded random fleets with only placement problems; each hub
planned by one process, the helper's by the helper; a helper that fails while planning is
only its hubs planned here (its checks are kept); errors that stop the plan end the
helper; html takes the helper's inventories instead (fleet_fork.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from i4qew import worker
from i4qew.placement import fleet_fork, fleet_plan, fleet_plan_fork
from i4qew.placement.fleet import load_hubs
from i4qew.placement.jsonout import dumps
from i4qew.placement.plan_format import plan_document
from i4qew.problems import error
from i4qew.validation import read_repo, validate_repo
from tests.support.fleet_fork import (
    SEEDS,
    Replanned,
    Spy,
    in_helper,
    killed,
    raising,
    random_fleet,
    spying,
)
from tests.support.processes import gone


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    yield from spying(monkeypatch)


def plannable(seed: int, root: Path) -> Path:
    """random_fleet(seed) without the problems that stop a plan (the rules' errors, a policy
    that does not load): only its placement problems (broken inventories, clusters in two
    hubs, capacity, a policy that places nowhere, hubs over their limit or without inventory)."""
    random_fleet(seed, root)
    for path in (root / "workloads").rglob("*.yaml"):
        text = path.read_text()
        path.write_text(text.replace("containerPort: 99999", "containerPort: 8080")
                        .replace("  - name: DB_PASSWORD\n    value: hunter2\n", ""))
    for path in (root / "policies").iterdir():
        path.write_text(path.read_text().replace("  foo: [1, 2\n", ""))
    return root


class Planned:
    """Which hubs each process planned (fleet_plan.build_fleet_plan, `only`), by pid: a line
    each in `log`, this process's and its helper's."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
        self.log = log
        build = fleet_plan.build_fleet_plan

        def logged(repo: Any, env: str, inventories: Any, **kwargs: Any) -> Any:
            only = kwargs.get("only")
            names = sorted(only) if only is not None else [h.name for h in repo.repository.hubs]
            with log.open("a") as out:
                out.write(f"{os.getpid()} {','.join(names)}\n")
            return build(repo, env, inventories, **kwargs)

        monkeypatch.setattr(fleet_plan, "build_fleet_plan", logged)

    def by_pid(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for line in self.log.read_text().splitlines() if self.log.exists() else []:
            pid, _, names = line.partition(" ")
            out.setdefault(int(pid), []).extend(n for n in names.split(",") if n)
        self.log.unlink(missing_ok=True)
        return out


def halve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process some of the hubs (on these small fleets, the rules as measured outweigh
    all but a hub or none, and the join all of them)."""
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    monkeypatch.setattr(fleet_fork, "JOIN_BYTES", 0)


def _plan(plans: Replanned, root: Path, dest: Path, jobs: str) -> tuple[Any, ...]:
    """plan's text (-o), markdown and json (--report) with I4QEW_JOBS=jobs."""
    md, js = dest / f"{jobs}.md", dest / f"{jobs}.json"
    got = plans.plan(root, dest, jobs, "--report", f"markdown={md}", "--report", f"json={js}")
    return (*got, md.read_bytes(), js.read_bytes())


def _hubs(root: Path) -> list[str]:
    repo = read_repo(root)
    assert repo is not None
    return [h.name for h in repo.repository.hubs]


@pytest.mark.parametrize("halved", [False, True], ids=["as measured", "half the hubs there"])
@pytest.mark.parametrize("seed", range(SEEDS))
def test_the_helper_plans_its_hubs_and_the_plan_is_the_same(seed: int, halved: bool, tmp_path: Path, spy: Spy,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if halved:
        halve(monkeypatch)
    root = plannable(seed, tmp_path / "fleet")
    plans, planned = Replanned(monkeypatch), Planned(monkeypatch, tmp_path / "planned")
    alone = _plan(plans, root, tmp_path, "1")
    assert planned.by_pid() == {os.getpid(): _hubs(root)}
    assert alone[2].startswith(b"plan for 'dev' across hubs ") and alone[0] == 1  # (placement problems only)
    assert _plan(plans, root, tmp_path, "2") == alone
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.pids[0])
    by_pid = planned.by_pid()
    here, there = by_pid.pop(os.getpid(), []), by_pid.pop(spy.pids[0], [])
    assert by_pid == {} and sorted(here + there) == sorted(_hubs(root))  # each hub planned once, in one process
    assert there == _hubs(root)[:len(there)]  # the helper's: the first hubs
    assert not halved or (there and here)  # (halved: both processes plan hubs)
    assert fleet_plan_fork._pending == {}


@pytest.mark.parametrize("fail", [raising, killed], ids=["raises", "killed"])
@pytest.mark.parametrize("where", ["render_hubs", "hub_part", "_check"])  # while planning, or before its checks' answer
def test_a_failed_helper_is_its_hubs_planned_here(fail: Callable[[], None], where: str, tmp_path: Path, spy: Spy,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    halve(monkeypatch)
    root = plannable(3, tmp_path / "fleet")
    plans, planned = Replanned(monkeypatch), Planned(monkeypatch, tmp_path / "planned")
    alone = _plan(plans, root, tmp_path, "1")
    planned.by_pid()
    module = fleet_fork if where == "_check" else fleet_plan
    monkeypatch.setattr(module, where, in_helper(os.getpid(), fail, getattr(module, where)))
    assert _plan(plans, root, tmp_path, "2") == alone
    checked = where != "_check"  # the helper's checks answered before it failed: they are kept
    assert len(spy.pids) == 1 and spy.redone == (0 if checked else 1) and gone(spy.pids[0])
    here = planned.by_pid().get(os.getpid(), [])
    assert sorted(here) == sorted(_hubs(root))  # every hub planned here in the end
    assert fleet_plan_fork._pending == {}


def test_an_answer_of_other_hubs_is_its_hubs_planned_here(tmp_path: Path, spy: Spy,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    halve(monkeypatch)
    root = plannable(4, tmp_path / "fleet")
    plans = Replanned(monkeypatch)
    alone = _plan(plans, root, tmp_path, "1")
    render = fleet_plan.render_hubs

    def fewer(*args: Any) -> Any:
        parts = render(*args)
        parts.pop(next(iter(parts)))
        return parts

    monkeypatch.setattr(fleet_plan, "render_hubs", fewer)
    assert _plan(plans, root, tmp_path, "2") == alone
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.pids[0])


@pytest.mark.parametrize("seed", [5, 6])  # the rules' errors (a port, a password) and a policy that does not load
def test_errors_that_stop_the_plan_end_the_helper(seed: int, tmp_path: Path, spy: Spy,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    halve(monkeypatch)
    root = random_fleet(seed, tmp_path / "fleet")
    plans = Replanned(monkeypatch)
    release, ended = fleet_plan_fork.release, []

    def releasing(at: Path) -> None:
        held = fleet_plan_fork.pending(at) is not None
        release(at)
        if held:
            ended.append(gone(spy.pids[0]))

    monkeypatch.setattr(fleet_plan_fork, "release", releasing)
    alone = _plan(plans, root, tmp_path, "1")
    assert alone[0] == 1 and not alone[2].startswith(b"plan for") and b"[port-number]" in alone[2]
    assert _plan(plans, root, tmp_path, "2") == alone
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.pids[0])
    # held, then ended (the parts made, its or this process's while it waited, are dropped)
    assert ended == [True]


def test_html_takes_the_helper_inventories(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    # the page needs every hub's plan here: the helper sends its inventories, their decisions made here
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    monkeypatch.setattr(fleet_fork, "PLAN_PASS_BYTES", 0)
    root = plannable(2, tmp_path / "fleet")
    plans, planned = Replanned(monkeypatch), Planned(monkeypatch, tmp_path / "planned")
    out = {}
    for jobs in ("1", "2"):
        page = tmp_path / f"{jobs}.html"
        out[jobs] = (*plans.plan(root, tmp_path, jobs, "--report", f"html={page}"), page.read_bytes())
        assert planned.by_pid() == {os.getpid(): _hubs(root)}  # every hub planned here
    assert out["1"] == out["2"]
    assert len(spy.pids) == 1 and spy.redone == 0


@pytest.mark.parametrize("env", ["dev", "production"])
def test_the_fleet_json_is_its_document_written_whole(env: str, tmp_path: Path) -> None:
    # each hub's document is written apart and set into the fleet's (fleet_plan._json): the
    # same bytes as the fleet's document written at once, whatever the problems' messages say
    root = plannable(1, tmp_path / "fleet")  # (hub-04 without inventory)
    result = validate_repo(root)
    assert result.repo is not None
    repo, found = result.repo, [*result.problems, error("workloads/x.yaml", 1, 1, "port-number", "\x000 \"\x001\"")]
    plans = fleet_plan.build_fleet_plan(repo, env, load_hubs(root, repo)[0])
    totals = fleet_plan.fleet_totals(plans)
    whole = dumps({
        "apiVersion": "edge.i4q.eu/v1alpha1", "kind": "FleetPlan", "environment": env, "groupBy": "tier",
        "summary": {"hubs": len(plans), "clusters": sum(len(p.inventory) for p in plans.values() if p.inventory),
                    "workloads": len(totals)},
        "workloads": [{"workload": k.split("/", 1)[1], "namespace": k.split("/", 1)[0],
                       "clusters": sum(per.values()), "hubs": per} for k, per in totals.items()],
        "hubs": {hub: plan_document(fleet_plan.on_hub(plan), [], "tier") for hub, plan in plans.items()},
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "severity": p.severity.value,
                      "rule": p.rule, "message": p.message} for p in found]})
    assert fleet_plan.render_fleet_json(env, plans, found, "tier") == whole
    assert len(plans) == 4 and plans["hub-04"].inventory is None


@pytest.mark.parametrize("answered", [False, True], ids=["waited for", "there at once"])
@pytest.mark.parametrize("seed", [1, 6])  # (6: errors that stop the plan)
def test_hubs_planned_while_the_helper_is_waited_for_are_taken(answered: bool, seed: int, tmp_path: Path, spy: Spy,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # this process plans its hubs while it waits for the helper's checks (all of them when
    # the answer never seems there, none when it always does): the same plan either way
    halve(monkeypatch)
    root = plannable(seed, tmp_path / "fleet") if seed == 1 else random_fleet(seed, tmp_path / "fleet")
    plans, planned = Replanned(monkeypatch), Planned(monkeypatch, tmp_path / "planned")
    alone = _plan(plans, root, tmp_path, "1") if seed == 1 else plans.plan(root, tmp_path, "1")
    planned.by_pid()
    parent, waiting, hold, early = os.getpid(), worker.Channel.waiting, fleet_plan_fork.hold, []
    monkeypatch.setattr(worker.Channel, "waiting",
                        lambda channel: answered if os.getpid() == parent else waiting(channel))
    monkeypatch.setattr(fleet_plan_fork, "hold", lambda *args: early.append(sorted(args[3])) or hold(*args))
    assert (_plan(plans, root, tmp_path, "2") if seed == 1 else plans.plan(root, tmp_path, "2")) == alone
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.pids[0])
    here = planned.by_pid().get(parent, [])
    assert early == [[] if answered else sorted(here)]  # (not answered: every hub of this process's, early)
    assert here or (answered and seed == 6)  # (planned here: early, or after, unless the plan stops)
