"""The three renderings of a plan: text (terminal), markdown (the MR note), json.

Readable at 10,000 clusters: clusters are counted per group (the value of one
label, `site` by default; `--group-by`), lists are capped, and in markdown long
ones fold into <details>. The json schema is docs/plan-json.md.
"""

from __future__ import annotations

from typing import Any

from i4qew.placement.inventory import Inventory
from i4qew.placement.jsonout import NameList, dumps
from i4qew.placement.plan import Plan, WorkloadPlan
from i4qew.placement.plan_groups import NO_GROUP as NO_GROUP  # re-exported: the page reads it here
from i4qew.placement.plan_groups import SIGNS, group_text, grouped_names, groups, plural
from i4qew.placement.plan_models_format import (
    image_volumes_json,
    image_volumes_markdown,
    image_volumes_text,
    models_json,
    models_markdown,
    models_text,
    stagings_json,
    total_bytes,
)
from i4qew.placement.snapshot import NameTable, predicate_texts
from i4qew.placement.wave_format import json_waves, markdown_cell, text_lines
from i4qew.problems import Problem, Severity

ADVISORY_NOTE = ("advisory: numberOfClusters leaves feasible clusters out. The count is exact; which clusters the hub "
                 "picks also depends on the decisions of every other placement on the hub (OCM's Balance "
                 "prioritizer), so the names are what a hub with no other decisions picks (docs/placement.md).")
MARKER = "<!-- i4qew:plan:{env} -->"
DELIVERY_NOTE = ("delivery changes from {base} to {head}: {how} Publish it only in the order "
                 "docs/argocd.md#migration gives.")
_HOW = {
    "applicationset": "the Subscriptions go, ACM uninstalls each Helm release and garbage-collects its objects, "
                      "then Argo CD installs the same release name again (an outage per cluster).",
    "subscription": "the ApplicationSets go and Argo CD deletes each Application's objects, then ACM's "
                    "Subscription installs the same release name again (an outage per cluster).",
}
GUARDRAIL_RULE = "guardrail-changed"  # rules/guard_changes.py


def _change(p: WorkloadPlan) -> str:
    """e.g. "added (+2 −0)", "changed: spec, placement (+1 −3)"; "" without a base."""
    if p.status == "planned":
        return ""
    text = p.status
    if p.status == "changed":
        text += ": " + ", ".join(x for x, on in (("spec", p.spec_changed), ("placement", p.placement_changed),
                                                 ("delivery", p.delivery_changed)) if on)
    lost = p.lost.bit_count() + len(p.lost_gone)
    if p.gained or lost:
        text += f" (+{p.gained.bit_count()} −{lost})"
    return text


def _count(p: WorkloadPlan) -> str:
    """"3 clusters", or "2 clusters (advisory: 2 of 5 feasible)"."""
    text = plural(p.clusters.bit_count(), "cluster")
    return text + (f" (advisory: {p.clusters.bit_count()} of {p.feasible} feasible)" if p.advisory else "")


def headline(plan: Plan, problems: list[Problem]) -> str:
    inv = plan.inventory
    head = plural(len(plan.workloads) - plan.count("removed"), "workload")
    head += f" over {plural(len(inv), 'cluster')}" if inv is not None else " (no cluster inventory: decisions unknown)"
    if plan.base is not None:
        head += (f"; against {plan.base}: {plan.count('added')} added, {plan.count('removed')} removed, "
                 f"{plan.count('changed')} changed, {plan.count('unchanged')} unchanged; "
                 f"blast radius {plural(plan.blast.bit_count() + len(plan.blast_gone), 'cluster')}")
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    if problems:
        head += f"; {plural(errors, 'error')}, {plural(len(problems) - errors, 'warning')}"
    return head


def delivery_note(plan: Plan) -> str | None:
    if not plan.delivery_changed:
        return None
    return DELIVERY_NOTE.format(base=plan.base_delivery, head=plan.delivery, how=_HOW[plan.delivery])


def _listed(entries: list[str], total: int) -> list[str]:
    """The lines under a workload: the entries shown, and how many more there are."""
    return [f"      {e}" for e in entries] + ([f"      … {total - len(entries)} more"] if len(entries) < total else [])


def render_text(plan: Plan, problems: list[Problem], group_by: str = "site", max_list: int = 20) -> str:
    inv = plan.inventory
    lines = [f"plan for '{plan.env}': {headline(plan, problems)}"]
    note = delivery_note(plan)
    if note:
        lines.append(f"! {note}")
    shown: dict[int, list[str]] = {}  # decision -> its lines of names
    counted: dict[tuple[int, int, bool], str] = {}  # (clusters, feasible, advisory) -> ": N clusters [groups]"
    for p in plan.workloads:
        line = f"{SIGNS[p.status]} {p.name} ({p.namespace}) placement {p.placement}"
        if inv is not None and p.status != "removed":
            # the workloads of one policy share their decision: its count and groups once
            decision = (p.clusters, p.feasible, p.advisory)
            tail = counted.get(decision)
            if tail is None:
                tail = f": {_count(p)}"
                gs = groups(inv, p.clusters, group_by)
                if gs:
                    tail += f" [{group_by}: {group_text(gs)}]"
                counted[decision] = tail
            line += tail
        change = _change(p)
        lines.append(line + (f" — {change}" if change and change != "unchanged" else ""))
        if inv is None:
            lines.extend(f"      {pr['labels']}" + (f" | claims {pr['claims']}" if "claims" in pr else "")
                         for pr in predicate_texts(p.predicates))
            continue
        # Only the names shown are looked up: 2,000 workloads × thousands of clusters otherwise.
        limit = max_list if max_list > 0 else len(inv) + len(p.lost_gone)
        if plan.base is None:
            listed = shown.get(p.clusters)
            if listed is None:  # the workloads of one policy share their decision
                listed = shown[p.clusters] = _listed(inv.cluster_names(p.clusters, limit),
                                                     p.clusters.bit_count())
        else:
            gained = inv.cluster_names(p.gained, limit)
            lost = inv.cluster_names(p.lost, limit - len(gained))
            listed = _listed(([f"+ {n}" for n in gained] + [f"- {n}" for n in lost]
                              + [f"- {n} (left the inventory)" for n in p.lost_gone])[:limit],
                             p.gained.bit_count() + p.lost.bit_count() + len(p.lost_gone))
        lines.extend(listed)
        if p.waves:
            lines.extend(text_lines(inv, p.waves, plan.base is not None))
    lines += models_text(plan, group_by, max_list) + image_volumes_text(plan)
    if inv is not None and any(p.advisory and p.status != "removed" for p in plan.workloads):
        lines += ["", ADVISORY_NOTE]
    if problems:
        lines.append("")
        lines.extend(p.format() for p in problems)
    return "\n".join(lines) + "\n"


def _md_names(inv: Inventory, bits: int, label: str, cap: int = 200) -> str:
    parts, shown = [], 0
    for value, names in grouped_names(inv, bits, label):
        if shown >= cap:
            parts.append(f"… and {bits.bit_count() - shown} more clusters")
            break
        take = names[: cap - shown]
        shown += len(take)
        more = f", … +{len(names) - len(take)}" if len(take) < len(names) else ""
        parts.append(f"**{value}** ({len(names)}): " + ", ".join(f"`{n}`" for n in take) + more)
    return "<br>".join(parts)


def render_markdown(plan: Plan, problems: list[Problem], group_by: str = "site") -> str:
    inv = plan.inventory
    out = [MARKER.format(env=plan.env), f"### i4qew plan: `{plan.env}`", "", headline(plan, problems) + ".", ""]
    note = delivery_note(plan)
    if note:
        out += [f"> [!warning]\n> {note}", ""]
    moved = [p for p in problems if p.rule == GUARDRAIL_RULE]
    if moved:  # first: the reviewer must see that a line the platform team drew was moved
        out += ["> **Guardrails changed** by this merge request (i4qew.yaml, the platform team's to approve):", ">"]
        out += [f"> - {p.severity.value} `{p.path}:{p.line}`: {p.message}" for p in moved] + [""]
    rows = [p for p in plan.workloads if plan.base is None or p.status != "unchanged"]
    quiet = [p for p in plan.workloads if plan.base is not None and p.status == "unchanged"]

    def table(items: list[WorkloadPlan]) -> list[str]:
        change = plan.base is not None
        waves = any(p.waves for p in items)
        t = [f"| workload | namespace | clusters | {group_by} |" + (" change |" if change else "")
             + (" waves |" if waves else ""),
             "|---|---|---:|---|" + ("---|" if change else "") + ("---|" if waves else "")]
        counted: dict[int, str] = {}  # clusters -> their groups' text (a policy's workloads share it)
        for p in items:
            n = "" if inv is None or p.status == "removed" else str(p.clusters.bit_count())
            n += " (advisory)" if n and p.advisory else ""
            gs = ""
            if inv is not None and p.clusters:
                gs = counted.get(p.clusters, "")
                if not gs:
                    gs = counted[p.clusters] = group_text(groups(inv, p.clusters, group_by))
            t.append(f"| {p.name} | {p.namespace} | {n} | {gs} |" + (f" {_change(p)} |" if change else "")
                     + (f" {markdown_cell(p.waves, change)} |" if waves else ""))
        return t

    if rows:
        big = len(rows) > 50
        out += (["<details><summary>workloads</summary>", ""] if big else []) + table(rows) + (["", "</details>"] if big else [])
    if quiet:
        out += ["", f"<details><summary>{len(quiet)} unchanged workloads</summary>", "", *table(quiet), "", "</details>"]
    if inv is not None and any(p.advisory and p.status != "removed" for p in plan.workloads):
        out += ["", f"<sub>{ADVISORY_NOTE}</sub>"]
    if inv is not None and plan.base is not None:
        changes = [p for p in plan.workloads if p.gained or p.lost or p.lost_gone]
        if changes:
            out += ["", "#### Clusters gained and lost", ""]
        for p in changes[:100]:
            lost = p.lost.bit_count() + len(p.lost_gone)
            out += [f"<details><summary>{p.name} ({p.namespace}): +{p.gained.bit_count()} −{lost}</summary>", ""]
            if p.gained:
                out += [f"gained: {_md_names(inv, p.gained, group_by)}", ""]
            if p.lost:
                out += [f"lost: {_md_names(inv, p.lost, group_by)}", ""]
            if p.lost_gone:
                out += ["left the inventory: " + ", ".join(f"`{n}`" for n in p.lost_gone[:50]), ""]
            out.append("</details>")
        if len(changes) > 100:
            out.append(f"… and {len(changes) - 100} more workloads with cluster changes (`i4qew plan --format json`).")
    out += models_markdown(plan, group_by) + image_volumes_markdown(plan)
    if problems:
        out += ["", f"#### Problems ({len(problems)})", "", "```"]
        out += [p.format() for p in problems[:50]]
        out += ([f"… {len(problems) - 50} more"] if len(problems) > 50 else []) + ["```"]
    return "\n".join(out) + "\n"


def render_json(plan: Plan, problems: list[Problem], group_by: str = "site") -> str:
    return dumps(plan_document(plan, problems, group_by))


def plan_document(plan: Plan, problems: list[Problem], group_by: str = "site") -> dict[str, Any]:
    """The plan as the json format writes it (docs/plan-json.md), before serialising."""
    inv = plan.inventory
    table = NameTable(inv) if inv is not None else None
    workloads: list[dict[str, Any]] = []
    for p in plan.workloads:
        entry: dict[str, Any] = {
            "workload": p.name, "namespace": p.namespace, "placement": p.placement, "policy": p.policy,
            "predicates": predicate_texts(p.predicates), "status": p.status,
            "specChanged": p.spec_changed, "placementChanged": p.placement_changed,
            "deliveryChanged": p.delivery_changed,
            "clusters": None, "groups": None, "decision": None, "gained": None, "lost": None,
            "feasible": None, "advisory": False,
        }
        if inv is not None and table is not None:
            entry["clusters"] = p.clusters.bit_count()
            if p.status != "removed":
                entry["feasible"], entry["advisory"] = p.feasible, p.advisory
            entry["groups"] = dict(groups(inv, p.clusters, group_by))
            entry["decision"] = table.get(p.clusters)[0] if p.status != "removed" else None
            if plan.base is not None:
                entry["gained"] = NameList(inv.cluster_names(p.gained))
                entry["lost"] = NameList(sorted([*inv.cluster_names(p.lost), *p.lost_gone]))
            if p.waves:
                entry["waves"] = json_waves(inv, p.waves, plan.base is not None)
        workloads.append(entry)
    doc = {
        "apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Plan", "environment": plan.env, "groupBy": group_by,
        "inventory": None if inv is None else {"clusters": len(inv)},
        "base": plan.base,
        "delivery": {"head": plan.delivery, "base": plan.base_delivery},
        "summary": {
            "workloads": len(plan.workloads) - plan.count("removed"),
            **({s: plan.count(s) for s in ("added", "removed", "changed", "unchanged")} if plan.base is not None else {}),
            "blastRadius": (plan.blast.bit_count() + len(plan.blast_gone)) if plan.base is not None and inv else None,
            "bytesToMove": total_bytes(plan),
        },
        "workloads": workloads,
        "models": models_json(plan, table, group_by),
        "stagings": stagings_json(plan, table),
        "imageVolumes": image_volumes_json(plan),
        "decisions": table.table() if table is not None else {},
        "blastRadius": (NameList(sorted([*inv.cluster_names(plan.blast), *plan.blast_gone]))
                        if plan.base is not None and inv is not None else None),
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "severity": p.severity.value,
                      "rule": p.rule, "message": p.message} for p in problems],
    }
    return doc
