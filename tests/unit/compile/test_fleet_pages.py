"""The hubs' pictures drawn on both cores (compile/fleet.py, worker.shared): the same tree
as in one process, the helper drawing the first hubs' pictures."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from i4qew import worker
from i4qew.compile import fleet
from i4qew.placement.fleet import load_inventories
from i4qew.validation import validate_repo
from tests.support.fleet_fork import forking_beside_servers
from tests.support.hubs import two_hubs


def test_a_helper_draws_the_first_hubs_pictures_and_the_tree_is_the_same(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    forking_beside_servers(monkeypatch)
    repo = validate_repo(two_hubs(tmp_path / "r")).repo
    assert repo is not None
    _, hubs, _ = load_inventories(tmp_path / "r", repo)
    assert hubs is not None
    drawn: list[tuple[str, int]] = []
    real = fleet._hub_pages

    def spy(*args: object) -> dict[str, bytes]:
        drawn.append((args[1].name, os.getpid()))  # type: ignore[attr-defined]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(fleet, "_hub_pages", spy)
    base = {"plants/anomaly": ["modena-line1", "porto-line1"]}

    def made(jobs: str, render: Callable[[], dict[str, bytes]]) -> tuple[dict[str, bytes], list[tuple[str, int]]]:
        monkeypatch.setenv(worker.ENV, jobs)
        drawn.clear()
        return render(), list(drawn)

    for render in (lambda: fleet.fleet_globals(repo, "production", hubs, base=base)[0],
                   lambda: fleet.fleet_pages(repo, "production", hubs, lambda w: True, base=base)):
        alone, here = made("1", render)
        shared, there = made("2", render)
        assert shared == alone and any(p.endswith("plan.html") for p in alone)
        assert [h for h, _ in here] == ["east", "west"] and all(pid == os.getpid() for _, pid in here)
        # the spy's calls in the helper are in its copy of the list: only this process's are seen
        assert there == [("west", os.getpid())]


def test_below_the_size_that_pays_one_process_draws_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forking_beside_servers(monkeypatch)
    repo = validate_repo(two_hubs(tmp_path / "r")).repo
    assert repo is not None
    _, hubs, _ = load_inventories(tmp_path / "r", repo)
    assert hubs is not None
    monkeypatch.delenv(worker.ENV, raising=False)
    forks: list[object] = []

    def no_process(task: object) -> worker.Worker:
        forks.append(task)
        raise OSError("no process to be had")  # (then it is all drawn here)

    monkeypatch.setattr(worker, "Worker", no_process)
    alone = fleet.fleet_globals(repo, "production", hubs)
    assert forks == []  # a few clusters: PAGES_PAY_CLUSTERS
    monkeypatch.setattr(fleet, "PAGES_PAY_CLUSTERS", 1)
    monkeypatch.setattr(worker, "cores", lambda: 2)
    assert fleet.fleet_globals(repo, "production", hubs) == alone
    assert len(forks) == 1
