"""A fleet's plan makes once what its hubs share (placement/plan.py, plan_models.py,
staging.py: the stagings, the model versions' pins, the effective placements and, with a
base, each workload's comparison; one plan object for a workload a hub does not reach) and
each rendering counts each set once (plan_groups.py). On the oracle's random fleets split
over hubs with different cluster sets (test_fleet_hubs.py), with and without a base
revision, each hub's plan is the plan that hub makes alone from empty caches, and the
fleet's renderings are those of the plans made alone."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from i4qew import memo
from i4qew.model.repo import Repo
from i4qew.placement.fleet import Hubs, load_hubs
from i4qew.placement.fleet_plan import (
    build_fleet_plan,
    render_fleet_json,
    render_fleet_markdown,
    render_fleet_text,
)
from i4qew.placement.plan import Plan, build_plan
from i4qew.problems import Problem
from i4qew.validation import read_repo, validate_repo
from tests.integration.ocm.test_fleet_hubs import split_fleet


def head_revision(root: Path) -> Path:
    """The random fleet, with the first workloads that use the model off in production."""
    path = root / "workloads" / "all.yaml"
    workloads = list(yaml.safe_load_all(path.read_text()))
    for doc in [w for w in workloads if "model" in w["spec"]][:2]:
        doc["spec"].setdefault("environments", {}).setdefault("production", {})["enabled"] = False
    path.write_text(yaml.safe_dump_all(workloads, sort_keys=False))
    return root


def base_revision(root: Path, dest: Path, seed: int) -> Path:
    """The repository before a change: some workloads' specs, placements and models differ,
    one is not there yet, and one is there that is gone now."""
    shutil.copytree(root, dest)
    workloads = list(yaml.safe_load_all((dest / "workloads" / "all.yaml").read_text()))
    policies = [p["metadata"]["name"] for p in yaml.safe_load_all((dest / "policies" / "all.yaml").read_text())]
    for i, doc in enumerate(workloads):
        spec = doc["spec"]
        kind = (i + seed) % 5
        if kind == 0:
            spec["replicas"] = 3
        elif kind == 1:
            spec["placement"] = policies[(policies.index(spec["placement"]) + 1) % len(policies)]
        elif kind == 2 and "model" in spec:
            del spec["model"]
        elif kind == 2:
            spec["model"] = {"name": "weights", "version": "1", "mountPath": "/models/weights"}
    gone = {**workloads[0], "metadata": {**workloads[0]["metadata"], "name": "gone-now"}}
    del workloads[seed % len(workloads)]
    workloads.append(gone)
    (dest / "workloads" / "all.yaml").write_text(yaml.safe_dump_all(workloads, sort_keys=False))
    return dest


def alone(repo: Repo, env: str, inventories: Hubs, base: tuple[Repo, Hubs] | None) -> dict[str, Plan]:
    """Each hub's plan from empty caches: its own planner, nothing shared with another hub."""
    plans = {}
    for hub in repo.repository.hubs:
        memo.clear()
        base_view = base_inv = None
        if base is not None:
            base_view = base[0].for_hub(next(h for h in base[0].repository.hubs if h.name == hub.name))
            base_inv = base[1].get(hub.name)
        plans[hub.name] = build_plan(repo.for_hub(hub), env, inventories.get(hub.name), base_repo=base_view,
                                     base_inventory=base_inv, base_label="base" if base else None)
    memo.clear()
    return plans


def fresh(render: Callable[[str, dict[str, Plan], list[Problem], str], str], env: str, plans: dict[str, Plan],
          problems: list[Problem], group_by: str) -> str:
    memo.clear()
    return render(env, plans, problems, group_by)


@pytest.mark.parametrize("seed", range(1, 7))
def test_each_hubs_plan_in_the_fleet_is_the_plan_it_makes_alone(seed: int, tmp_path: Path) -> None:
    root = head_revision(split_fleet(seed, tmp_path / "repo"))
    result = validate_repo(root)
    repo = result.repo
    assert repo is not None
    inventories, _ = load_hubs(root, repo)
    base_repo = read_repo(base_revision(root, tmp_path / "base", seed))
    assert base_repo is not None
    base_inventories, _ = load_hubs(tmp_path / "base", base_repo)
    assert len({h.cluster_sets for h in repo.repository.hubs}) > 1  # the hub views differ
    staged = 0
    statuses: set[str] = set()
    memo.clear()
    runs = [(env, base) for env in ("dev", "production") for base in (None, (base_repo, base_inventories))]
    fleets, texts = [], []
    for env, base in runs:  # one process, its caches kept: what a render over every environment does
        fleet = build_fleet_plan(repo, env, inventories, base_repo=base[0] if base else None,
                                 base_inventories=base[1] if base else None, base_label="base" if base else None)
        fleets.append(fleet)
        texts.append([render(env, fleet, result.problems, group_by) for group_by in ("site", "tier")
                      for render in (render_fleet_text, render_fleet_json, render_fleet_markdown)])
    for (env, base), fleet, text in zip(runs, fleets, texts, strict=True):
        each = alone(repo, env, inventories, base)
        for hub, plan in fleet.items():
            assert plan == each[hub], (hub, env, base is not None)
            staged += sum(1 for s in plan.stagings if s.clusters)
            if base is not None:
                statuses |= {w.status for w in plan.workloads}
        assert text == [fresh(render, env, each, result.problems, group_by) for group_by in ("site", "tier")
                        for render in (render_fleet_text, render_fleet_json, render_fleet_markdown)]
    assert staged  # the model is staged somewhere
    assert {"added", "removed", "changed", "unchanged"} <= statuses
