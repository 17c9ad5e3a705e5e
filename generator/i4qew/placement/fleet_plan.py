"""`plan` over a fleet of hubs (spec.hubs): one plan per hub, each over that hub's
inventory with that hub's cluster sets, and the fleet's totals per workload.

The renderings put the whole fleet first (per workload: clusters in all, and per
hub), then each hub's own plan as plan_format.py renders one hub, with only the
workloads that run there or leave it (`on_hub`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from i4qew.model.repo import Repo
from i4qew.placement.fleet import Hubs
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.jsonout import dumps
from i4qew.placement.plan import Plan, build_plan
from i4qew.placement.plan_format import MARKER, plan_document, render_markdown, render_text
from i4qew.placement.plan_groups import plural
from i4qew.problems import Problem, Severity


def build_fleet_plan(repo: Repo, env: str, inventories: Hubs, *, base_repo: Repo | None = None,
                     base_inventories: Hubs | None = None, base_label: str | None = None,
                     now: datetime | None = None) -> dict[str, Plan]:
    """hub name -> its plan. A hub the base revision did not declare is compared with
    the base's repository as a whole (its inventory: the base's clusters of that hub)."""
    plans: dict[str, Plan] = {}
    hub_planners(repo, inventories, now)  # decided once over the fleet
    if base_repo is not None and base_inventories:
        hub_planners(base_repo, base_inventories, now)  # and the base's fleet
    for hub in repo.repository.hubs:
        base_view = None
        if base_repo is not None:
            twin = next((h for h in base_repo.repository.hubs if h.name == hub.name), None)
            base_view = base_repo.for_hub(twin) if twin is not None else base_repo
        base_inv = (base_inventories or {}).get(hub.name)
        plans[hub.name] = build_plan(repo.for_hub(hub), env, inventories.get(hub.name), base_repo=base_view,
                                     base_inventory=base_inv, base_label=base_label, now=now)
    return plans


def on_hub(plan: Plan) -> Plan:
    """The hub's plan without the workloads it has nothing to do with: no cluster of the hub
    now and none lost (a workload for another hub's sites). At 10,000 workloads on 15 hubs,
    listing every workload on every hub is 150,000 entries, nearly all of them empty."""
    if plan.inventory is None:
        return plan
    return dataclasses.replace(plan, workloads=tuple(p for p in plan.workloads if p.clusters or p.lost or p.lost_gone))


_KEY = operator.attrgetter("key")
_CLUSTERS = operator.attrgetter("clusters")


def fleet_totals(plans: Mapping[str, Plan]) -> dict[str, dict[str, int]]:
    """"namespace/workload" -> {hub: clusters chosen there} (hubs with a decision only)."""
    keys: set[str] = set()
    out: dict[str, dict[str, int]] = {}
    for hub, plan in plans.items():
        keys.update(map(_KEY, plan.workloads))
        if plan.inventory is None:
            continue
        for p in filter(_CLUSTERS, plan.workloads):  # most of a hub's workloads are another hub's
            if p.status != "removed":
                per = out.get(p.key)
                if per is None:
                    per = out[p.key] = {}
                per[hub] = p.clusters.bit_count()
    return {k: out.get(k) or {} for k in sorted(keys, key=lambda k: (k.split("/", 1)[1], k))}


def fleet_headline(plans: Mapping[str, Plan], problems: list[Problem], totals: Collection[str] | None = None) -> str:
    """`totals`: fleet_totals(plans) (or its keys), when the caller has them."""
    clusters = sum(len(p.inventory) for p in plans.values() if p.inventory is not None)
    workloads = len(totals if totals is not None else fleet_totals(plans))
    head = f"{plural(workloads, 'workload')} over {plural(clusters, 'cluster')} in {plural(len(plans), 'hub')}"
    if any(p.base is not None for p in plans.values()):
        blast = sum(p.blast.bit_count() + len(p.blast_gone) for p in plans.values())
        head += f"; blast radius {plural(blast, 'cluster')}"
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    if problems:
        head += f"; {plural(errors, 'error')}, {plural(len(problems) - errors, 'warning')}"
    return head


def _row(per: Mapping[str, int]) -> str:
    return ", ".join(f"{hub} {n}" for hub, n in per.items()) or "no cluster"


def render_fleet_text(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site",
                      max_list: int = 20) -> str:
    totals = fleet_totals(plans)
    lines = [f"plan for '{env}' across hubs {', '.join(plans)}: {fleet_headline(plans, problems, totals)}"]
    for key, per in totals.items():
        namespace, name = key.split("/", 1)
        lines.append(f"  {name} ({namespace}): {plural(sum(per.values()), 'cluster')} [{_row(per)}]")
    for hub, plan in plans.items():
        lines += ["", f"hub '{hub}': " + render_text(on_hub(plan), [], group_by, max_list).rstrip("\n")]
    if problems:
        lines.append("")
        lines.extend(p.format() for p in problems)
    return "\n".join(lines) + "\n"


def render_fleet_markdown(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site") -> str:
    totals = fleet_totals(plans)
    out = [MARKER.format(env=env), f"### i4qew plan: `{env}` across {plural(len(plans), 'hub')}", "",
           fleet_headline(plans, problems, totals) + ".", "", "| workload | namespace | clusters | per hub |",
           "|---|---|---:|---|"]
    for key, per in totals.items():
        namespace, name = key.split("/", 1)
        out.append(f"| {name} | {namespace} | {sum(per.values())} | {_row(per)} |")
    for hub, plan in plans.items():
        shown = on_hub(plan)
        body = render_markdown(shown, [], group_by).splitlines()[5:]  # its marker, title and headline: above
        head = fleet_headline({hub: shown}, [], {p.key for p in shown.workloads})
        out += ["", f"<details><summary>hub <code>{hub}</code>: {head}</summary>", "", *body, "", "</details>"]
    if problems:
        out += ["", f"#### Problems ({len(problems)})", "", "```"]
        out += [p.format() for p in problems[:50]]
        out += ([f"… {len(problems) - 50} more"] if len(problems) > 50 else []) + ["```"]
    return "\n".join(out) + "\n"


def render_fleet_json(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site") -> str:
    totals = fleet_totals(plans)
    doc: dict[str, Any] = {
        "apiVersion": "edge.i4q.eu/v1alpha1", "kind": "FleetPlan", "environment": env, "groupBy": group_by,
        "summary": {
            "hubs": len(plans),
            "clusters": sum(len(p.inventory) for p in plans.values() if p.inventory is not None),
            "workloads": len(totals),
        },
        "workloads": [{"workload": k.split("/", 1)[1], "namespace": k.split("/", 1)[0],
                       "clusters": sum(per.values()), "hubs": per} for k, per in totals.items()],
        "hubs": {hub: plan_document(on_hub(plan), [], group_by) for hub, plan in plans.items()},
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "severity": p.severity.value,
                      "rule": p.rule, "message": p.message} for p in problems],
    }
    return dumps(doc)
