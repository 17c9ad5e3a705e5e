"""`plan` over a fleet of hubs (spec.hubs): one plan per hub, each over that hub's
inventory with that hub's cluster sets, and the fleet's totals per workload.

The renderings put the whole fleet first (per workload: clusters in all, and per
hub), then each hub's own plan as plan_format.py renders one hub, with only the
workloads that run there or leave it (`on_hub`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from i4qew import worker
from i4qew.model.repo import Hub, Repo
from i4qew.placement.fleet import Hubs, readable
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.fleet_plan_fork import FORMATS, Wanted, pending, release
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.jsonout import dumps
from i4qew.placement.plan import Plan, build_plan
from i4qew.placement.plan_format import MARKER, plan_document, render_markdown, render_text
from i4qew.placement.plan_groups import plural
from i4qew.problems import Problem, Severity


def build_fleet_plan(repo: Repo, env: str, inventories: Hubs, *, base_repo: Repo | None = None,
                     base_inventories: Hubs | None = None, base_label: str | None = None,
                     now: datetime | None = None, only: Collection[str] | None = None) -> dict[str, Plan]:
    """hub name -> its plan (`only`: of these hubs). A hub the base revision did not declare
    is compared with the base's repository as a whole (its inventory: the base's clusters of
    that hub)."""
    plans: dict[str, Plan] = {}
    hub_planners(repo, inventories, now)  # decided once over the fleet
    if base_repo is not None and base_inventories:
        hub_planners(base_repo, base_inventories, now)  # and the base's fleet
    for hub in repo.repository.hubs:
        if only is not None and hub.name not in only:
            continue
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


@dataclass(frozen=True)
class HubPart:
    """What the fleet's renderings take of one hub's plan: a helper process that planned the
    hub sends this instead of the plan (fleet_plan_fork.py)."""

    keys: frozenset[str]  # "namespace/workload" of every workload of its plan
    counts: dict[str, int] | None  # the workloads it gives clusters (not removed): how many; None: no inventory
    clusters: int | None  # its inventory's size (None: no inventory)
    based: bool  # planned against a base
    blast: int  # its blast radius (clusters) against the base
    texts: dict[str, str] = field(default_factory=dict)  # per format: its section of the fleet's rendering


def hub_part(hub: str, plan: Plan, formats: Collection[str] = (), group_by: str = "site",
             max_list: int = 20, keys: frozenset[str] | None = None) -> HubPart:
    """`plan`'s part of the fleet's renderings in `formats` (text, markdown, json); `keys`:
    a set the caller has, taken when equal to the plan's keys (one object for many hubs)."""
    counts = None
    if plan.inventory is not None:  # most of a hub's workloads are another hub's
        counts = {p.key: p.clusters.bit_count() for p in filter(_CLUSTERS, plan.workloads) if p.status != "removed"}
    mine = frozenset(map(_KEY, plan.workloads))
    part = HubPart(keys if keys is not None and keys == mine else mine, counts,
                   None if plan.inventory is None else len(plan.inventory), plan.base is not None,
                   plan.blast.bit_count() + len(plan.blast_gone))
    if not formats:
        return part
    shown = on_hub(plan)
    if "text" in formats:
        part.texts["text"] = f"hub '{hub}': " + render_text(shown, [], group_by, max_list).rstrip("\n")
    if "markdown" in formats:
        body = render_markdown(shown, [], group_by).splitlines()[5:]  # its marker, title and headline: above
        head = _headline({hub: part}, [], len({p.key for p in shown.workloads}))
        part.texts["markdown"] = "\n".join(["", f"<details><summary>hub <code>{hub}</code>: {head}</summary>", "",
                                            *body, "", "</details>"])
    if "json" in formats:  # as it is nested in the fleet's document: 4 columns further in
        part.texts["json"] = dumps(plan_document(shown, [], group_by)).rstrip("\n").replace("\n", "\n    ")
    return part


def _totals(parts: Mapping[str, HubPart]) -> dict[str, dict[str, int]]:
    keys: set[str] = set()
    out: dict[str, dict[str, int]] = {}
    for hub, part in parts.items():
        keys.update(part.keys)
        for key, n in (part.counts or {}).items():
            per = out.get(key)
            if per is None:
                per = out[key] = {}
            per[hub] = n
    return {k: out.get(k) or {} for k in sorted(keys, key=lambda k: (k.split("/", 1)[1], k))}


def fleet_totals(plans: Mapping[str, Plan]) -> dict[str, dict[str, int]]:
    """"namespace/workload" -> {hub: clusters chosen there} (hubs with a decision only)."""
    return _totals({hub: hub_part(hub, plan) for hub, plan in plans.items()})


def _headline(parts: Mapping[str, HubPart], problems: list[Problem], workloads: int) -> str:
    clusters = sum(p.clusters for p in parts.values() if p.clusters is not None)
    head = f"{plural(workloads, 'workload')} over {plural(clusters, 'cluster')} in {plural(len(parts), 'hub')}"
    if any(p.based for p in parts.values()):
        head += f"; blast radius {plural(sum(p.blast for p in parts.values()), 'cluster')}"
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    if problems:
        head += f"; {plural(errors, 'error')}, {plural(len(problems) - errors, 'warning')}"
    return head


def fleet_headline(plans: Mapping[str, Plan], problems: list[Problem], totals: Collection[str] | None = None) -> str:
    """`totals`: fleet_totals(plans) (or its keys), when the caller has them."""
    parts = {hub: hub_part(hub, plan) for hub, plan in plans.items()}
    return _headline(parts, problems, len(totals if totals is not None else _totals(parts)))


def _row(per: Mapping[str, int]) -> str:
    return ", ".join(f"{hub} {n}" for hub, n in per.items()) or "no cluster"


def fleet_renderings(env: str, parts: Mapping[str, HubPart], problems: list[Problem], formats: Collection[str],
                     group_by: str = "site") -> dict[str, str]:
    """The fleet's plan in each of `formats` (text, markdown, json) from each hub's part
    (made with these formats), in spec.hubs order."""
    totals = _totals(parts)
    head = _headline(parts, problems, len(totals))
    out: dict[str, str] = {}
    if "text" in formats:
        lines = [f"plan for '{env}' across hubs {', '.join(parts)}: {head}"]
        for key, per in totals.items():
            namespace, name = key.split("/", 1)
            lines.append(f"  {name} ({namespace}): {plural(sum(per.values()), 'cluster')} [{_row(per)}]")
        for part in parts.values():
            lines += ["", part.texts["text"]]
        if problems:
            lines.append("")
            lines.extend(p.format() for p in problems)
        out["text"] = "\n".join(lines) + "\n"
    if "markdown" in formats:
        md = [MARKER.format(env=env), f"### i4qew plan: `{env}` across {plural(len(parts), 'hub')}", "",
              head + ".", "", "| workload | namespace | clusters | per hub |", "|---|---|---:|---|"]
        for key, per in totals.items():
            namespace, name = key.split("/", 1)
            md.append(f"| {name} | {namespace} | {sum(per.values())} | {_row(per)} |")
        md += [part.texts["markdown"] for part in parts.values()]
        if problems:
            md += ["", f"#### Problems ({len(problems)})", "", "```"]
            md += [p.format() for p in problems[:50]]
            md += ([f"… {len(problems) - 50} more"] if len(problems) > 50 else []) + ["```"]
        out["markdown"] = "\n".join(md) + "\n"
    if "json" in formats:
        out["json"] = _json(env, parts, problems, group_by, totals)
    return out


def _json(env: str, parts: Mapping[str, HubPart], problems: list[Problem], group_by: str,
          totals: Mapping[str, Mapping[str, int]]) -> str:
    marks = {hub: f"\0{i}" for i, hub in enumerate(parts)}  # each hub's document, written in afterwards
    doc: dict[str, Any] = {
        "apiVersion": "edge.i4q.eu/v1alpha1", "kind": "FleetPlan", "environment": env, "groupBy": group_by,
        "summary": {
            "hubs": len(parts),
            "clusters": sum(p.clusters for p in parts.values() if p.clusters is not None),
            "workloads": len(totals),
        },
        "workloads": [{"workload": k.split("/", 1)[1], "namespace": k.split("/", 1)[0],
                       "clusters": sum(per.values()), "hubs": per} for k, per in totals.items()],
        "hubs": marks,
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "severity": p.severity.value,
                      "rule": p.rule, "message": p.message} for p in problems],
    }
    text = dumps(doc)
    # A mark's first place is its own: only the command line's environment and label (no NUL
    # in an argument) are written before "hubs" (sorted keys), and each mark ends with a quote.
    at = sorted((text.index(dumps(mark).rstrip("\n")), hub) for hub, mark in marks.items())
    out, done = [], 0
    for where, hub in at:
        out += [text[done:where], parts[hub].texts["json"]]
        done = where + len(dumps(marks[hub]).rstrip("\n"))
    return "".join([*out, text[done:]])


def render_fleet_text(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site",
                      max_list: int = 20) -> str:
    parts = {hub: hub_part(hub, plan, ("text",), group_by, max_list) for hub, plan in plans.items()}
    return fleet_renderings(env, parts, problems, ("text",), group_by)["text"]


def render_fleet_markdown(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site") -> str:
    parts = {hub: hub_part(hub, plan, ("markdown",), group_by) for hub, plan in plans.items()}
    return fleet_renderings(env, parts, problems, ("markdown",), group_by)["markdown"]


def render_fleet_json(env: str, plans: Mapping[str, Plan], problems: list[Problem], group_by: str = "site") -> str:
    parts = {hub: hub_part(hub, plan, ("json",), group_by) for hub, plan in plans.items()}
    return fleet_renderings(env, parts, problems, ("json",), group_by)["json"]


def render_hubs(repo: Repo, hubs: Sequence[Hub], inventories: Mapping[str, Inventory | None],
                spec: Wanted) -> dict[str, HubPart]:
    """In the helper (fleet_plan_fork.py): its hubs' parts, by name."""
    if spec.env not in {e.name for e in repo.repository.environments}:
        return {}  # the command refuses it (require_environments)
    names = {h.name for h in hubs}
    plans = build_fleet_plan(repo, spec.env, {n: inv for n, inv in inventories.items() if n in names}, only=names)
    parts: dict[str, HubPart] = {}
    keys = None
    for name, plan in plans.items():
        part = parts[name] = hub_part(name, plan, spec.formats, spec.group_by, spec.max_list, keys)
        keys = part.keys  # (one object for the hubs with the same workloads: pickled once)
    return parts


def fleet_texts(root: Path, repo: Repo, env: str, problems: list[Problem], formats: Collection[str],
                group_by: str, max_list: int) -> dict[str, str] | None:
    """`plan`'s renderings of the fleet in `formats` with the helper's parts (None: no
    helper is held for `root`): this process's hubs planned here, then the helper's parts
    taken (or, if it failed, its hubs planned here too)."""
    held = pending(root)
    if held is None or not set(formats) <= FORMATS:
        return None

    def parts_of(names: Collection[str], among: Collection[str]) -> dict[str, HubPart]:
        """`names`' parts, decided among the hubs `among` (validation's: no fleet decided again)."""
        inventories = {h.name: load_inventory(root, folder=h.inventory_dir)[0]
                       for h in readable(repo.repository.hubs) if h.name in among}
        plans = build_fleet_plan(repo, env, inventories, only=names)
        return {name: hub_part(name, plan, formats, group_by, max_list) for name, plan in plans.items()}

    theirs = set(held.hubs)
    mine = {h.name for h in repo.repository.hubs} - theirs
    parts = {**held.early, **parts_of(mine - set(held.early), mine)}
    try:
        got = held.helper.result()
        if not (isinstance(got, dict) and set(got) == theirs
                and all(isinstance(p, HubPart) and set(formats) <= set(p.texts) for p in got.values())):
            raise worker.WorkerFailed("another answer")
    except worker.WorkerFailed:
        release(root)
        got = parts_of(theirs, theirs)
    release(root)
    ordered = {h.name: parts[h.name] if h.name in parts else got[h.name] for h in repo.repository.hubs}
    return fleet_renderings(env, ordered, problems, formats, group_by)
