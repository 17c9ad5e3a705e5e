"""The hubs' inventories read by a process forked before the model is built
(placement/fleet_read.py, fleet_fork.read_ahead): its hubs are taken, not parsed again, by
this process and by the fleet's helper; the same problems whether it read every hub, none
or failed halfway; no reader outlives an error; one walk of clusters/ per run; the
effective placements made once, before the helper's fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from i4qew import validation, worker
from i4qew.placement import (
    effective,
    fleet,
    fleet_fork,
    fleet_read,
    inventory_load,
)
from tests.support.fleet_fork import Parses, Replanned, Spy, problems, random_fleet, spying
from tests.support.processes import gone


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    yield from spying(monkeypatch)


def _hubs(root: Path) -> int:
    return sum(1 for p in (root / "clusters").iterdir() if p.is_dir())


@pytest.mark.parametrize("seed", [0, 3])
def test_a_reader_never_stopped_reads_every_hub_and_no_one_parses_again(seed: int, tmp_path: Path, spy: Spy,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)  # the helper has hubs: it takes the reader's too
    root = random_fleet(seed, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    parsed = Parses(monkeypatch, tmp_path / "parses")
    parent = os.getpid()
    monkeypatch.setattr(worker.Channel, "waiting", lambda channel: os.getpid() == parent)  # the reader reads on
    assert problems(root, "2", monkeypatch) == alone
    pids = [int(p) for p in parsed.log.read_text().split()]
    assert pids == [spy.readers[0]] * _hubs(root)
    assert len(spy.pids) == 1 and spy.redone == 0 and gone(spy.readers[0]) and gone(spy.pids[0])


def test_a_reader_stopped_at_once_leaves_every_hub_to_the_processes(tmp_path: Path, spy: Spy,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(2, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    parsed = Parses(monkeypatch, tmp_path / "parses")
    monkeypatch.setattr(worker.Channel, "waiting", lambda channel: True)
    assert problems(root, "2", monkeypatch) == alone
    pids = [int(p) for p in parsed.log.read_text().split()]
    assert len(pids) == _hubs(root) and spy.readers[0] not in pids and gone(spy.readers[0])


def _fails_on_second(how: str, parent: int) -> Any:
    load, calls = inventory_load.load_inventory, []

    def failing(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            calls.append(1)
            if len(calls) == 2:
                if how == "killed":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise RuntimeError("a bug in the reader")
        return load(*args, **kwargs)
    return failing


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_failed_reader_is_only_hubs_read_without_it(how: str, tmp_path: Path, spy: Spy,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(4, tmp_path / "fleet")
    alone = problems(root, "1", monkeypatch)
    parsed = Parses(monkeypatch, tmp_path / "parses")
    monkeypatch.setattr(inventory_load, "load_inventory", _fails_on_second(how, os.getpid()))
    monkeypatch.setattr(worker.Channel, "waiting", lambda channel: False)  # it would read them all
    assert problems(root, "2", monkeypatch) == alone
    pids = [int(p) for p in parsed.log.read_text().split()]
    assert pids.count(spy.readers[0]) == 1 and spy.redone == 0 and gone(spy.readers[0])  # its first hub only


def test_an_error_while_the_model_is_built_ends_the_reader(tmp_path: Path, spy: Spy,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(1, tmp_path / "fleet")
    parent, load = os.getpid(), inventory_load.load_inventory

    def stalled(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            time.sleep(600)
        return load(*args, **kwargs)

    def broken(*args: Any) -> Any:
        assert spy.readers and not gone(spy.readers[0])  # it still reads
        raise RuntimeError("a bug here")

    monkeypatch.setattr(inventory_load, "load_inventory", stalled)
    monkeypatch.setattr(validation, "_build", broken)
    with pytest.raises(RuntimeError, match="a bug here"):
        problems(root, "2", monkeypatch)
    assert len(spy.readers) == 1 and gone(spy.readers[0]) and spy.pids == []


def test_clusters_is_walked_once_per_run(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(5, tmp_path / "fleet")
    (root / "clusters" / "linked").symlink_to(root / "clusters" / "hub-01")  # a folder of no hub, as a link
    walked: list[Path] = []
    size = fleet.tree_size

    def counted(folder: Path) -> int:
        walked.append(folder)
        return size(folder)

    monkeypatch.setattr(fleet_fork, "tree_size", counted)
    monkeypatch.setattr(fleet_fork, "PAYS_BYTES", 0)
    problems(root, "", monkeypatch)  # read_ahead, FleetChecks and _split ask
    assert len(spy.readers) == 1 and len(spy.pids) == 1
    assert sorted(walked) == sorted(set(walked)) and len(walked) == len(list((root / "clusters").iterdir()))
    total, sizes = fleet_fork._sizes(root)
    assert total == size(root / "clusters")
    assert sizes == {p.name: size(p) for p in (root / "clusters").iterdir()} and sizes["linked"] == sizes["hub-01"]


def test_the_effective_placements_are_made_before_the_helper_is_forked(tmp_path: Path, spy: Spy,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)  # both processes decide hubs
    root = random_fleet(3, tmp_path / "fleet")
    made, log = effective._effective, tmp_path / "made"

    def logged(*args: Any) -> Any:
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return made(*args)

    monkeypatch.setattr(effective, "_effective", logged)
    problems(root, "2", monkeypatch)
    pids = set(log.read_text().split())
    assert pids == {str(os.getpid())} and len(spy.pids) == 1


_SCRIPT = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
from i4qew.placement import inventory_load
parent, real = os.getpid(), inventory_load.load_inventory
def load_inventory(*args, **kwargs):
    if os.getpid() != parent:
        open({marks!r} + "/reader", "w").write(str(os.getpid()))
        time.sleep(60)
    return real(*args, **kwargs)
inventory_load.load_inventory = load_inventory
from i4qew.cli.entry import main
sys.argv = ["i4qew", "validate", "-C", {root!r}]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["interrupt", "kill"])
def test_no_reader_outlives_its_parent(how: str, tmp_path: Path) -> None:
    root = random_fleet(8, tmp_path / "fleet")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "I4QEW_DEBUG"}, worker.ENV: "2", "I4QEW_CACHE_DIR": "",
           "TMPDIR": str(marks)}
    run = subprocess.Popen([sys.executable, "-c", _SCRIPT.format(marks=str(marks), root=str(root))],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    mark = marks / "reader"
    for _ in range(600):
        if mark.exists() and mark.read_text():
            break
        assert run.poll() is None, run.communicate()
        time.sleep(0.1)
    reader = int(mark.read_text())
    time.sleep(1)  # the parent waits for it, the model built
    os.kill(run.pid, signal.SIGINT if how == "interrupt" else signal.SIGKILL)
    run.communicate(timeout=60)
    for _ in range(100):
        if gone(reader):
            break
        time.sleep(0.1)
    assert gone(reader)


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "temporary file"])
def test_the_reader_posts_each_hub_as_read(memfd: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not memfd:
        monkeypatch.delattr(os, "memfd_create", raising=False)
    root = random_fleet(0, tmp_path / "fleet")
    folders = tuple(f"clusters/{p.name}" for p in sorted((root / "clusters").iterdir()) if p.is_dir())
    monkeypatch.setattr(worker.Channel, "waiting", lambda channel: False)
    read = fleet_read.ReadAhead(root, folders[::-1])
    assert read.stop() == set(folders) and read.helper is None
    for folder in folders:
        inv, found = inventory_load.load_inventory(root, folder=folder)
        got = read.take(folder)
        assert got is not None and got[1] == found and inv is not None and got[0] is not None
        assert got[0].names == inv.names and got[0].key == inv.key
    assert read.take(folders[0]) is None  # once
    fd = read.fd
    read.close()
    with pytest.raises(OSError):
        os.fstat(fd)  # its file let go


def test_the_hubs_the_reader_read_weigh_less_in_the_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    root = random_fleet(0, tmp_path / "fleet")
    repo = validation.read_repo(root)
    assert repo is not None
    hubs = fleet.readable(repo.repository.hubs)
    unread, here = fleet_fork._split(root, repo, hubs, False)
    # this process decides the reader's hubs (the last ones) at READ_SHARE of their cost: it keeps more of them
    read, _ = fleet_fork._split(root, repo, hubs, False, frozenset(h.inventory_dir for h in hubs[len(hubs) // 2:]))
    assert 0 < len(read) < len(unread)
    monkeypatch.setattr(fleet_fork, "READ_SHARE", 1)
    assert fleet_fork._split(root, repo, hubs, False, frozenset(h.inventory_dir for h in hubs)) == (unread, here)


def test_no_reader_where_the_helper_will_not_run(tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_fleet(1, tmp_path / "fleet")
    read: list[Path] = []
    declared = fleet_fork.declared_hub_folders

    def reading(where: Path) -> Any:
        read.append(where)
        return declared(where)

    monkeypatch.setattr(fleet_fork, "declared_hub_folders", reading)
    problems(root, "1", monkeypatch)
    monkeypatch.setenv("I4QEW_CACHE_DIR", str(tmp_path / "cache"))
    problems(root, "2", monkeypatch)  # a warm run: not even i4qew.yaml read for it
    assert read == [] and spy.readers == [] and spy.pids == []


def test_plan_takes_the_helper_inventories_of_hubs_the_reader_read(tmp_path: Path, spy: Spy,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # the helper's hubs, read by the reader, are the helper's kept ones (decided in the planned
    # environment before the plan asks), not the reader's copies again: no hub decided twice
    monkeypatch.setattr(fleet_fork, "RULE_BYTES_PER_DECLARATION", 0)
    monkeypatch.setattr(fleet_fork, "PLAN_PASS_BYTES", 0)
    root = random_fleet(2, tmp_path / "fleet")
    parent = os.getpid()
    monkeypatch.setattr(worker.Channel, "waiting", lambda channel: os.getpid() == parent)  # the reader reads them all
    plans = Replanned(monkeypatch)
    parsed = Parses(monkeypatch, tmp_path / "parses")
    out = {}
    for jobs in ("1", "2"):
        parsed.clear()
        out[jobs] = plans.plan(root, tmp_path, jobs)
    assert out["1"] == out["2"]
    assert [int(p) for p in parsed.log.read_text().split()] == [spy.readers[0]] * _hubs(root)
    assert len(spy.pids) == 1 and plans.planning and plans.decided == []
