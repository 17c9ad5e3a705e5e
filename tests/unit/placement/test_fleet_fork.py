"""validate's fleet checks shared with a forked helper process (placement/fleet_fork.py):
the same problems as one process, on the corpus's fleets and on seeded random fleets of
hubs with broken inventories, clusters in two hubs, files in no hub's folder, hubs with
their own cluster sets or no inventory, and workloads no hub places; `plan` takes the
helper's inventories; a helper that fails is only a reason to do the work here."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from i4qew import memo, store, validation, worker
from i4qew.cli.main import cli
from i4qew.gitops.rendering import render_source
from i4qew.gitops.requests import RenderRequest
from i4qew.placement import fleet, fleet_fork
from i4qew.validation import read_repo
from tests.support.fleet_fork import (
    MADE,
    SEEDS,
    Parses,
    Replanned,
    Spy,
    in_helper,
    killed,
    problems,
    raising,
    random_fleet,
    spying,
)
from tests.support.processes import gone
from tests.support.tools import ROOT

CORPUS = [ROOT / "docs" / "examples" / "two-hubs",
          *(ROOT / "tests" / "corpus" / "negative" / name for name in
            ("hub-cluster-duplicate", "hub-cluster-limit", "hub-inventory", "hub-name", "image-volumes-hubs"))]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    yield from spying(monkeypatch)


@pytest.mark.parametrize("root", CORPUS, ids=lambda p: p.name)
def test_the_corpus_fleets_give_the_same_problems(root: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = read_repo(root)
    assert repo is not None
    alone = problems(root, "1", monkeypatch)
    assert spy.pids == []
    assert problems(root, "2", monkeypatch) == alone
    assert len(spy.pids) == (len(fleet.readable(repo.repository.hubs)) >= 2) and spy.redone == 0
    assert len(spy.readers) <= 1 and all(gone(pid) for pid in spy.readers)


@pytest.fixture(params=["as measured", "half the hubs here"])
def split(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The share this process keeps: as the cost estimate gives it (on these small fleets, the
    rules outweigh all but one hub), or the hubs halved (rules counted as nothing)."""
    if request.param != "as measured":
        monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_fleets_give_the_same_problems(seed: int, tmp_path: Path, spy: Spy, split: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(seed, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    assert problems(root, "2", monkeypatch) == alone
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.pids[0])
    assert len(spy.readers) == 1 and gone(spy.readers[0])  # (reaped before the helper was forked)


def test_the_random_fleets_meet_what_they_are_made_for(tmp_path: Path, spy: Spy,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # the guard of the test above: its fleets reach the merge's every part
    found = "\n".join(line for seed in range(SEEDS)
                      for line in problems(random_fleet(seed, tmp_path / str(seed)), "1", monkeypatch))
    for rule in ("hub-cluster-duplicate", "hub-cluster-limit", "hub-inventory", "inventory-entry", "placement-empty",
                 "cluster-arch-label", "capacity", "environment-collision", "yaml-syntax", "plaintext-secret", "port-number"):
        assert f"[{rule}]" in found, rule
    assert "(nor on the other" in found and re.search(r"\] on hub 'hub-0\d': ", found)


def test_the_helper_hubs_and_this_process_hubs_both_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the guard of the test above: with the hubs halved, each process plans some of them
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    both = 0
    for seed in range(SEEDS):
        root = random_fleet(seed, tmp_path / str(seed))
        repo = read_repo(root)
        assert repo is not None
        inventories, found = fleet.load_hubs(root, repo)
        planned = {h.name for h, _ in fleet.planned_hubs(repo, {
            n: inv for n, inv in inventories.items() if n not in fleet.broken_hubs(repo, found)})}
        there, here = fleet_fork._split(root, repo, fleet.readable(repo.repository.hubs), False)
        both += bool(planned & {h.name for h in here}) and bool(planned & {h.name for h in there})
    assert both >= SEEDS - 2


def test_each_process_checks_its_hubs_knowing_what_every_hub_places(tmp_path: Path, spy: Spy,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    # (without it the answer would be the same, but every workload another process's hubs
    # place would be explained as placing nowhere on this process's hubs: the slow way)
    root = random_fleet(3, tmp_path / "fleet")
    repo = read_repo(root)
    assert repo is not None
    inventories, _ = fleet.load_hubs(root, repo)
    everywhere = fleet.hub_runs(repo, fleet.planned_hubs(repo, inventories), None)
    seen = tmp_path / "seen"
    check = fleet.hub_problems

    def spied(repo: Any, hub: Any, inv: Any, now: Any, runs: Any) -> Any:
        with seen.open("a") as out:
            out.write(f"{os.getpid()} {hub.name} {runs == everywhere}\n")
        return check(repo, hub, inv, now, runs)

    monkeypatch.setattr(fleet_fork, "hub_problems", spied)
    problems(root, "2", monkeypatch)
    rows = [line.split() for line in seen.read_text().splitlines()]
    assert {pid for pid, _, _ in rows} == {str(os.getpid()), str(spy.pids[0])}  # both processes checked hubs
    assert sorted(hub for _, hub, _ in rows) == sorted(h.name for h, _ in fleet.planned_hubs(repo, inventories))
    assert all(same == "True" for _, _, same in rows)


def test_hubs_judged_broken_otherwise_are_redone_here(tmp_path: Path, spy: Spy,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)  # the helper has the first hubs
    root = random_fleet(3, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    judge, parent = fleet.broken_hubs, os.getpid()

    def otherwise(repo: Any, found: Any) -> set[str]:
        extra = {repo.repository.hubs[0].name} if os.getpid() != parent else set()
        return judge(repo, found) | extra

    monkeypatch.setattr(fleet_fork, "broken_hubs", otherwise)
    assert problems(root, "2", monkeypatch) == alone
    assert len(spy.pids) == 1 and spy.redone == 1


def test_plan_takes_the_inventories_the_helper_read(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    # and decides the helper's hubs in its environment before it plans: no hub's decisions twice
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    monkeypatch.setattr(fleet_fork, "PLAN_PASS_BYTES", 0)
    root = random_fleet(2, tmp_path / "fleet")
    plans = Replanned(monkeypatch)
    parsed = Parses(monkeypatch, tmp_path / "parses")
    hubs = sum(1 for p in (root / "clusters").iterdir() if p.is_dir())
    out = {}
    for jobs in ("1", "2"):
        parsed.clear()
        report = tmp_path / f"{jobs}.json"
        out[jobs] = (*plans.plan(root, tmp_path, jobs, "--report", f"json={report}"), report.read_bytes())
        # one process reads each hub once (plan takes validation's); with a helper, only this process's share
        assert parsed.counted(hubs, jobs)
    assert out["1"] == out["2"]
    assert len(spy.pids) == 1 and spy.redone == 0
    assert plans.planning and plans.decided == []


def test_render_takes_the_inventories_the_helper_read(tmp_path: Path, spy: Spy,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)  # the helper has hubs
    random_fleet(0, tmp_path / "made")
    root = tmp_path / "fleet"
    shutil.copytree(MADE / "0", root)  # bench/fleet.py's, unedited: render refuses a fleet with errors
    parsed = Parses(monkeypatch, tmp_path / "parses")
    trees = {}
    hubs = sum(1 for p in (root / "clusters").iterdir() if p.is_dir())
    for jobs in ("1", "2"):
        monkeypatch.setenv(worker.ENV, jobs)
        memo.clear()
        parsed.clear()
        done = CliRunner().invoke(cli, ["render", "-C", str(root), "--env", "dev", "-o", str(tmp_path / jobs)])
        assert done.exit_code == 0, done.output
        trees[jobs] = {p.relative_to(tmp_path / jobs).as_posix(): p.read_bytes()
                       for p in (tmp_path / jobs).rglob("*") if p.is_file()}
        assert parsed.counted(hubs, jobs)
        memo.clear()
        parsed.clear()  # publish's and promote's render
        rendered = render_source(RenderRequest(root, "dev", "abc", None))
        trees[f"{jobs} source"] = dict(rendered.files)
        assert parsed.counted(hubs, jobs)
    assert trees["1"] == trees["2"] and trees["1"] and trees["1 source"] == trees["2 source"]
    assert len(spy.pids) == 2 and spy.redone == 0


def test_no_helper_where_it_does_not_pay(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(1, tmp_path / "fleet")
    monkeypatch.setattr(worker, "cores", lambda: 2)
    problems(root, "", monkeypatch)  # a small fleet
    monkeypatch.setattr(fleet_fork, "PAYS_BYTES", 0)
    problems(root, "1", monkeypatch)  # told not to
    monkeypatch.setattr(worker, "cores", lambda: 1)
    problems(root, "", monkeypatch)  # one core
    monkeypatch.setattr(worker, "cores", lambda: 2)
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    problems(root, "2", monkeypatch)  # a warm run reads its answers from the cache
    assert spy.pids == [] and spy.readers == []
    monkeypatch.setenv(store.ENV, "")
    problems(root, "", monkeypatch)  # large enough (PAYS_BYTES 0), 2 cores
    assert len(spy.pids) == 1 and len(spy.readers) == 1


@pytest.mark.parametrize("fail", [raising, killed], ids=["raises", "killed"])
@pytest.mark.parametrize("where", ["_decide", "hub_problems"])  # before and after the helper sent its runs
def test_a_failed_helper_is_redone_here(fail: Callable[[], None], where: str, tmp_path: Path, spy: Spy,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(5, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    monkeypatch.setattr(fleet_fork, where, in_helper(os.getpid(), fail, getattr(fleet_fork, where)))
    assert problems(root, "2", monkeypatch) == alone
    assert len(spy.pids) == 1 and spy.redone == 1 and gone(spy.pids[0])


def test_an_error_here_ends_the_helper(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(6, tmp_path / "fleet")
    monkeypatch.setattr(fleet_fork, "_check", _in_parent(os.getpid(), fleet_fork._check))
    with pytest.raises(RuntimeError, match="a bug here"):
        problems(root, "2", monkeypatch)
    assert len(spy.pids) == 1 and gone(spy.pids[0])  # killed and reaped


def _in_parent(parent: int, call: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() == parent:
            raise RuntimeError("a bug here")
        return call(*args, **kwargs)
    return wrapped


def test_a_bug_in_the_rules_in_the_helper_is_redone_and_raised_here(tmp_path: Path, spy: Spy,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(6, tmp_path / "fleet")

    def broken(repo: Any) -> Any:
        raise RuntimeError("a bug in the rules")

    monkeypatch.setattr(validation, "run_rules", broken)
    with pytest.raises(RuntimeError, match="a bug in the rules"):
        problems(root, "2", monkeypatch)
    assert len(spy.pids) == 1 and spy.redone == 1 and gone(spy.pids[0])


# The console script with placement checks that fail (in every process) or stall (in the helper).
_SCRIPT = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background job ignores it)
from i4qew.placement import fleet
parent, real = os.getpid(), fleet.placement_problems
def placement_problems(*args, **kwargs):
    if {fail!r}:
        raise RuntimeError("a bug in the placement checks")
    if os.getpid() != parent:
        open({marks!r} + "/helper", "w").write(str(os.getpid()))
        time.sleep(60)
    return real(*args, **kwargs)
fleet.placement_problems = placement_problems
from i4qew.cli.entry import main
sys.argv = ["i4qew", "validate", "-C", {root!r}]
main()
"""


def _console(root: Path, marks: Path, jobs: str, *, fail: bool) -> subprocess.Popen[str]:
    marks.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "I4QEW_DEBUG"}, worker.ENV: jobs, store.ENV: "",
           "TMPDIR": str(marks)}
    code = _SCRIPT.format(fail=fail, marks=str(marks), root=str(root))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)


@pytest.mark.slow
def test_a_bug_is_reported_as_in_one_process(tmp_path: Path) -> None:
    root = random_fleet(7, tmp_path / "fleet")
    got = {}
    for jobs in ("1", "2"):
        run = _console(root, tmp_path / jobs, jobs, fail=True)
        out, err = run.communicate(timeout=120)
        trace = next((tmp_path / jobs).glob("i4qew-crash-*.txt")).read_text()
        got[jobs] = (run.returncode, out, err.split("; traceback in")[0], trace.splitlines()[-1])
    assert got["1"] == got["2"]
    assert got["2"][0] == 5 and got["2"][3] == "RuntimeError: a bug in the placement checks"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["interrupt", "interrupt the group", "kill"])
def test_no_helper_outlives_its_parent(how: str, tmp_path: Path) -> None:
    root = random_fleet(8, tmp_path / "fleet")
    run = _console(root, tmp_path / "marks", "2", fail=False)
    mark = tmp_path / "marks" / "helper"
    for _ in range(600):
        if mark.exists() and mark.read_text():
            break
        assert run.poll() is None, run.communicate()
        subprocess.run(["sleep", "0.1"], check=True)
    helper = int(mark.read_text())
    if how == "interrupt":
        os.kill(run.pid, signal.SIGINT)  # the parent alone
    elif how == "interrupt the group":
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C at a terminal
    else:
        os.kill(run.pid, signal.SIGKILL)  # no clean-up in the parent at all
    run.communicate(timeout=60)
    if how != "kill":
        assert run.returncode == 1  # click's "Aborted!"
    for _ in range(100):
        if gone(helper):
            break
        subprocess.run(["sleep", "0.1"], check=True)
    assert gone(helper)
