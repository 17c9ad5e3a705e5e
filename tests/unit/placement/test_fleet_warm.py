"""validate with the persistent cache on (placement/fleet_fork.FleetChecks._alone): on a
large fleet the rules run in a helper while this process checks the hubs; the same
problems as in one process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from i4qew import memo, validation, worker
from tests.support.fleet_fork import forking_beside_servers
from tests.support.hubs import two_hubs


def _validate(root: Path) -> list[str]:
    memo.clear()
    return [p.format() for p in validation.validate_repo(root).problems]


@pytest.mark.parametrize("cold", [False, True])
def test_the_rules_run_in_a_helper_while_the_hubs_are_checked_here(tmp_path: Path, cold: bool,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    forking_beside_servers(monkeypatch)
    root = two_hubs(tmp_path / "r")
    with (root / "workloads" / "extra.yaml").open("w") as fh:  # a rule's problem and a hub's
        fh.write("apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata:\n  name: extra\n  namespace: plants\n"
                 "spec:\n  image: registry.example.com/x:1\n  placement: nowhere\n")
    ran = tmp_path / "ran"
    real = validation.run_rules

    def spy(repo: object) -> object:
        with ran.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(repo)  # type: ignore[arg-type]

    monkeypatch.setattr(validation, "run_rules", spy)
    monkeypatch.setenv("I4QEW_CACHE_DIR", "" if cold else str(tmp_path / "cache"))
    answers = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv(worker.ENV, jobs)
        ran.unlink(missing_ok=True)
        answers[jobs] = _validate(root)
        pids = {int(x) for x in ran.read_text().split()}
        # in a helper with I4QEW_JOBS=2: the cache on (this), or off (the fleet's own helper)
        assert (pids == {os.getpid()}) is (jobs == "1")
    assert answers["1"] == answers["2"] and any("nowhere" in p for p in answers["1"])
