"""`plan`'s whole answer kept in the persistent cache (cli/plan_answer.py): a plan of the
files `validate` judged, with the same options, says what a cold plan says without planning
anything; each option, each edit and the libraries' versions make another answer; a file
edited while the plan runs keeps none."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from i4qew.cli import validate_answer
from i4qew.placement import fleet, fleet_plan
from tests.unit.placement.test_decided_cache import edit, invoke
from tests.unit.placement.test_decided_cache import fleet as two_hubs

NOW = "2026-12-01T12:00:00Z"  # past the timed toleration: production plans otherwise
BASE = ("plan", "--env", "dev")
# each differs from BASE (the last: from the second) in one option only, so that a key without
# that option would answer with the other's plan
PLANS = [BASE, ("plan", "--env", "production"), (*BASE, "--format", "json"), (*BASE, "--group-by", "gpu"),
         (*BASE, "--max-list", "1"), ("plan", "--env", "production", "--now", NOW)]
EDITS = [("a workload's placement", "workloads/all.yaml", "placement: two", "placement: gpuless"),
         ("an inventory label", "clusters/west/managedclusters.yaml", "gpu: 'yes'", "gpu: 'no'"),
         ("an environment's selector", "i4qew.yaml", "selector: stage=dev", "selector: role=line")]


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The environments of the fleet plans built (not answered from the cache)."""
    runs: list[str] = []
    real = fleet_plan.build_fleet_plan

    def counting(repo: object, env: str, *args: object, **kwargs: object) -> object:
        runs.append(env)
        return real(repo, env, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fleet_plan, "build_fleet_plan", counting)
    return runs


def plans(root: Path, cache: str) -> list[tuple[int, str]]:
    return [invoke(root, cache, *command) for command in PLANS]


def test_a_kept_plan_is_the_cold_one_for_the_same_files_and_options(tmp_path: Path, planned: list[str]) -> None:
    root = two_hubs(tmp_path / "r")
    cache = str(tmp_path / "cache")
    cold = plans(root, "")
    assert len(set(cold)) == len(PLANS)  # each option changes the answer
    same = plans(root, cache) == cold  # no answer of validate's: planned, nothing kept
    assert same
    invoke(root, cache, "validate")
    planned.clear()
    same = plans(root, cache) == cold  # planned and kept
    assert same and len(planned) == len(PLANS)
    planned.clear()
    same = plans(root, cache) == cold  # answered
    assert same and planned == []
    for what, path, old, new in EDITS:
        edit(root / path, old, new)
        now = plans(root, "")
        assert now != cold, what
        same = plans(root, cache) == now  # validate has not judged these files
        assert same, what
        invoke(root, cache, "validate")
        planned.clear()
        same = plans(root, cache) == now and plans(root, cache) == now
        assert same and len(planned) == len(PLANS), what  # planned once, then answered
        cold = now


def test_the_libraries_versions_are_part_of_the_key(tmp_path: Path, planned: list[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_hubs(tmp_path / "r")
    cache = str(tmp_path / "cache")
    invoke(root, cache, "validate")
    cold = invoke(root, cache, *BASE)
    real = importlib.metadata.version
    monkeypatch.setattr(validate_answer.importlib.metadata, "version",
                        lambda name: "99.0" if name == "yaml-rs" else real(name))
    invoke(root, cache, "validate")
    planned.clear()
    assert invoke(root, cache, *BASE) == cold
    assert planned == ["dev"]  # another yaml-rs may read the files otherwise: planned again


def test_a_file_edited_while_the_plan_runs_keeps_no_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_hubs(tmp_path / "r")
    cache = str(tmp_path / "cache")
    cold = invoke(root, "", *BASE)
    invoke(root, cache, "validate")
    inventory = root / "clusters" / "west" / "managedclusters.yaml"
    before = inventory.read_text("utf-8")
    real = fleet.load_hubs

    def editing(*args: object) -> object:  # after the model is built, before the hubs are read
        edit(inventory, "gpu: 'yes'", "gpu: 'no'")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(fleet, "load_hubs", editing)
    assert invoke(root, cache, *BASE) != cold  # planned over the edited inventory
    monkeypatch.setattr(fleet, "load_hubs", real)
    inventory.write_text(before, "utf-8")  # the files validate judged, again
    invoke(root, cache, "validate")
    assert invoke(root, cache, *BASE) == cold
