"""What the plan renderings share between workloads (plan_format.render_text's line per
decision, the picture's cells per decision and its row of a plan without clusters, the
fleet picture's join) says what each workload rendered alone says."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

from i4qew import memo
from i4qew.placement.fleet import load_hubs
from i4qew.placement.fleet_plan import build_fleet_plan, fleet_headline
from i4qew.placement.picture.aggregate import Cell, Picture, WorkloadRow, build_picture
from i4qew.placement.picture.fleet import _STATUS, fleet_picture, site_name
from i4qew.placement.plan import Plan, WorkloadPlan, build_plan
from i4qew.placement.plan_format import render_text
from i4qew.validation import validate_repo
from tests.support.hubs import two_hubs
from tests.support.placements import validated, write_repo
from tests.support.plan_page import CLUSTERS, MODELS, POLICIES, base_workloads, head_workloads


def _plans(tmp_path: Path) -> tuple[Plan, Plan]:
    """The head revision of tests/support/plan_page.py planned alone and against its base."""
    base = write_repo(tmp_path / "base", clusters=CLUSTERS, policies=POLICIES, workloads=base_workloads(),
                      models=MODELS)
    head = write_repo(tmp_path / "head", clusters=CLUSTERS, policies=POLICIES, workloads=head_workloads(),
                      models=MODELS)
    (base_result, base_inv), (result, inv) = validated(base), validated(head)
    assert result.repo is not None and base_result.repo is not None
    alone = build_plan(result.repo, "dev", inv)
    against = build_plan(result.repo, "dev", inv, base_repo=base_result.repo, base_inventory=base_inv,
                         base_label="main")
    return alone, against


def _variants(template: WorkloadPlan, fields: list[dict[str, Any]]) -> tuple[WorkloadPlan, ...]:
    return tuple(dataclasses.replace(template, key=f"apps/w{i}", name=f"w{i}", **f) for i, f in enumerate(fields))


def _line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line[2:].startswith(f"{name} (apps) placement"))


def test_workloads_with_one_decision_share_its_line_but_not_its_count_of_feasible_clusters(tmp_path: Path) -> None:
    plan, _ = _plans(tmp_path)
    assert plan.inventory is not None
    two = plan.inventory.bits_of(["b1", "b2"])
    # the same clusters chosen, with another number of feasible clusters or advisory or not
    workloads = _variants(plan.workloads[0], [
        {"clusters": two, "feasible": 2, "advisory": False}, {"clusters": two, "feasible": 2, "advisory": True},
        {"clusters": two, "feasible": 5, "advisory": True}, {"clusters": two, "feasible": 4, "advisory": True},
        {"clusters": plan.inventory.bits_of(["p1"]), "feasible": 4, "advisory": True}])
    text = render_text(dataclasses.replace(plan, workloads=workloads), [])
    lines = [_line(text, w.name) for w in workloads]
    assert len(set(lines)) == len(lines)  # five decisions, five lines
    for w, line in zip(workloads, lines, strict=True):
        assert line == _line(render_text(dataclasses.replace(plan, workloads=(w,)), []), w.name)


def test_picture_cells_follow_the_clusters_gained_and_lost_of_each_workload(tmp_path: Path) -> None:
    _, plan = _plans(tmp_path)
    inv = plan.inventory
    assert inv is not None
    now, b3, p1 = inv.bits_of(["b1", "b2"]), inv.bits_of(["b3"]), inv.bits_of(["p1"])
    # the same clusters now; gained, lost, both or neither differ
    workloads = _variants(plan.workloads[0], [
        {"clusters": now, "gained": 0, "lost": 0}, {"clusters": now, "gained": now, "lost": 0},
        {"clusters": now, "gained": 0, "lost": b3}, {"clusters": now, "gained": now, "lost": p1},
        {"clusters": now, "gained": now & -now, "lost": p1}])
    repo = validate_repo(tmp_path / "head").repo
    assert repo is not None
    rows = {r.name: r for r in build_picture(repo, dataclasses.replace(plan, workloads=workloads), []).workloads}
    assert len({tuple(r.cells.items()) for r in rows.values()}) == len(workloads)
    for w in workloads:
        alone = build_picture(repo, dataclasses.replace(plan, workloads=(w,)), []).workloads[0]
        assert rows[w.name] == alone


def test_a_plan_without_clusters_is_drawn_with_its_predicates_only_without_an_inventory(tmp_path: Path) -> None:
    plan, _ = _plans(tmp_path)
    repo = validate_repo(tmp_path / "head").repo
    assert repo is not None
    empty = tuple(dataclasses.replace(p, clusters=0, feasible=0, advisory=False) for p in plan.workloads)
    with_inventory = dataclasses.replace(plan, workloads=empty)
    without = dataclasses.replace(with_inventory, inventory=None)  # the very same workload plans
    drawn = [build_picture(repo, p, []) for p in (with_inventory, without, with_inventory)]
    assert all(not r.predicates for r in drawn[0].workloads) and all(r.predicates for r in drawn[1].workloads)
    for p, picture in zip((with_inventory, without, with_inventory), drawn, strict=True):
        memo.clear()
        assert picture == build_picture(repo, p, [])


def _joined(pictures: dict[str, Picture]) -> list[WorkloadRow]:
    """fleet_picture's rows as its docstring defines them: every hub's row of a workload joined
    field by field (the shortcuts of fleet.py's _join are checked against this)."""
    rows: dict[tuple[str, str], WorkloadRow] = {}
    for hub, pic in pictures.items():
        for row in pic.workloads:
            cells = {site_name(hub, s): c for s, c in row.cells.items()}
            gained = tuple((site_name(hub, s), n) for s, n in row.gained_names)
            lost = tuple((site_name(hub, s), n) for s, n in row.lost_names)
            into = rows.get((row.namespace, row.name))
            rows[(row.namespace, row.name)] = dataclasses.replace(row, cells=cells, gained_names=gained,
                                                                  lost_names=lost) if into is None else \
                dataclasses.replace(
                    into, status=min(into.status, row.status, key=_STATUS.index),
                    spec_changed=into.spec_changed or row.spec_changed,
                    placement_changed=into.placement_changed or row.placement_changed,
                    clusters=into.clusters + row.clusters, gained=into.gained + row.gained,
                    lost=into.lost + row.lost, cells={**into.cells, **cells},
                    gained_names=into.gained_names + gained, lost_names=into.lost_names + lost)
    order = {"added": 0, "removed": 1, "changed": 2}
    return sorted(rows.values(), key=lambda r: (order.get(r.status, 3), r.name, r.namespace))


def test_the_fleet_picture_joins_every_hub_s_row_of_a_workload(tmp_path: Path) -> None:
    base = two_hubs(tmp_path / "base")
    head = two_hubs(tmp_path / "head")
    policy = head / "policies" / "edge.yaml"
    policy.write_text(policy.read_text().replace('selector: "role=line"', 'selector: "role=line, site!=porto"'))
    for env in ("dev", "production"):
        for base_root in (None, base):
            repo = validate_repo(head).repo
            assert repo is not None
            base_repo = base_inventories = None
            if base_root is not None:
                base_repo = validate_repo(base_root).repo
                assert base_repo is not None
                base_inventories = load_hubs(base_root, base_repo)[0]
            plans = build_fleet_plan(repo, env, load_hubs(head, repo)[0], base_repo=base_repo,
                                     base_inventories=base_inventories, base_label="main" if base_repo else None)
            for ordered in (True, False):
                pictures = {h.name: build_picture(repo.for_hub(h), plans[h.name], [], ordered=ordered)
                            for h in repo.repository.hubs}
                joined = fleet_picture(pictures, fleet_headline(plans, []))
                assert list(joined.workloads) == _joined(pictures)
                if base_repo is not None and env == "dev":  # a change on one hub: rows joined differently
                    assert any(r.changed for r in joined.workloads)


def _row(name: str, status: str, spec: bool, placement: bool, placed: bool) -> WorkloadRow:
    return WorkloadRow(name, "apps", f"{name}-dev", "p", status, spec, placement, int(placed), 0, 0, None,
                       {"s": Cell(1)} if placed else {}, (), ())


def test_a_hub_where_the_workload_has_nothing_still_brings_its_status_and_flags() -> None:
    kinds = list(itertools.product(_STATUS, (False, True), (False, True), (False, True)))
    rows: dict[str, list[WorkloadRow]] = {"a": [], "b": [], "c": []}
    for i, (first, second) in enumerate(itertools.product(kinds, kinds)):
        one, two = _row(f"w{i}", *first), _row(f"w{i}", *second)
        rows["a"].append(one)
        rows["b"].append(two)
        rows["c"].append(one if i % 2 else two)  # a row object another hub has too (a shared plan's)
    empty = Picture("dev", "site", "h", "main", 1, (), 85, (), (), (), 0)
    pictures = {hub: dataclasses.replace(empty, workloads=tuple(r)) for hub, r in rows.items()}
    assert list(fleet_picture(pictures, "fleet").workloads) == _joined(pictures)
