"""The model part of the three plan renderings (plan_format.py calls these).

Per model version: how it reaches the clusters (stager or external), its size, the
clusters that hold it, grouped like the workloads (`--group-by`), the bytes to move per
group when the size is known, and with `--base` the clusters each workload's new pods
wait on in their gate until the version is fetched there.
"""

from __future__ import annotations

from typing import Any

from i4qew import memo
from i4qew.k8s.quantity import format_bytes
from i4qew.placement.image_volumes import ImageVolumeCheck, version_text
from i4qew.placement.inventory import Inventory
from i4qew.placement.jsonout import NameList
from i4qew.placement.plan import Plan
from i4qew.placement.plan_groups import SIGNS, group_text, groups, plural
from i4qew.placement.plan_models import VersionPlan
from i4qew.placement.snapshot import NameTable


@memo.lru(maxsize=1 << 16)
def _bytes(n: int) -> str:
    """e.g. "1.5Gi"; memoised: a fleet's plan formats each size and sum on every hub."""
    return format_bytes(n).replace(" ", "")


def _title(vp: VersionPlan) -> str:
    size = f"{_bytes(vp.size)}, " if vp.size is not None else ""
    return f"{vp.model} {vp.version} ({size}{vp.delivery})"


def bytes_by_group(inv: Inventory, vp: VersionPlan, group_by: str) -> dict[str, int] | None:
    if vp.size is None:
        return None
    return {value: n * vp.size for value, n in groups(inv, vp.fetch, group_by)}


def total_bytes(plan: Plan) -> int | None:
    """Bytes to move in all (the versions of known size), None without an inventory."""
    if plan.inventory is None:
        return None
    return sum(vp.bytes or 0 for vp in plan.models)


def models_text(plan: Plan, group_by: str, max_list: int) -> list[str]:
    if not plan.models:
        return []
    inv = plan.inventory
    lines = ["", "model versions (a workload's pods start only where theirs is staged):"]
    for vp in plan.models:
        line = f"{SIGNS[vp.status]} {_title(vp)}"
        if inv is not None and vp.status != "removed":
            line += f": {plural(vp.clusters.bit_count(), 'cluster')}"
            gs = groups(inv, vp.clusters, group_by)
            if gs:
                line += f" [{group_by}: {group_text(gs)}]"
            fetched = bytes_by_group(inv, vp, group_by)
            if fetched is not None and vp.fetch:
                per = ", ".join(f"{v} {_bytes(b)}" for v, b in list(fetched.items())[:5])
                line += f"; {_bytes(sum(fetched.values()))} to move [{per}]"
        if plan.base is not None and vp.status not in ("unchanged", "planned"):
            line += f" — {vp.status}"
        lines.append(line)
        if inv is None:
            continue
        for key, bits in vp.before:
            limit = max_list if max_list > 0 else bits.bit_count()
            names = inv.cluster_names(bits, limit)
            more = f", … {bits.bit_count() - len(names)} more" if bits.bit_count() > len(names) else ""
            lines.append(f"      {key} waits until it is fetched on: {', '.join(names)}{more}")
    return lines


def models_markdown(plan: Plan, group_by: str) -> list[str]:
    if not plan.models:
        return []
    inv = plan.inventory
    change = plan.base is not None
    out = ["", "#### Model versions", "",
           "A workload's pods start only where its model version is staged, verified by digest.", "",
           f"| model | version | size | delivery | clusters | {group_by} | to move |" + (" change |" if change else ""),
           "|---|---|---:|---|---:|---|---:|" + ("---|" if change else "")]
    for vp in plan.models:
        size = _bytes(vp.size) if vp.size is not None else "?"
        n = "" if inv is None or vp.status == "removed" else str(vp.clusters.bit_count())
        gs = group_text(groups(inv, vp.clusters, group_by)) if inv is not None and vp.clusters else ""
        moved = vp.bytes
        to_move = "" if inv is None else ("?" if moved is None else _bytes(moved))
        out.append(f"| {vp.model} | {vp.version} | {size} | {vp.delivery} | {n} | {gs} | {to_move} |"
                   + (f" {vp.status} |" if change else ""))
    waits = [(vp, key, bits) for vp in plan.models for key, bits in vp.before]
    if inv is not None and change and waits:
        out += ["", "Must be fetched before the workloads move (their new pods wait in the gate):", ""]
        for vp, key, bits in waits[:100]:
            names = inv.cluster_names(bits, 50)
            more = f", … +{bits.bit_count() - len(names)}" if bits.bit_count() > len(names) else ""
            out.append(f"- {vp.model} {vp.version} for `{key}`: " + ", ".join(f"`{n}`" for n in names) + more)
    return out


def models_json(plan: Plan, table: NameTable | None, group_by: str) -> list[dict[str, Any]]:
    inv = plan.inventory
    out: list[dict[str, Any]] = []
    for vp in plan.models:
        entry: dict[str, Any] = {
            "model": vp.model, "version": vp.version, "delivery": vp.delivery, "digest": vp.digest,
            "size": vp.size, "status": vp.status, "workloads": list(vp.workloads),
            "clusters": None, "groups": None, "decision": None, "fetch": None, "bytes": None,
            "bytesByGroup": None, "waits": None,
        }
        if inv is not None and table is not None:
            entry["clusters"] = vp.clusters.bit_count()
            entry["groups"] = dict(groups(inv, vp.clusters, group_by))
            entry["decision"] = table.get(vp.clusters)[0] if vp.status != "removed" else None
            entry["fetch"] = vp.fetch.bit_count()
            entry["bytes"] = vp.bytes
            entry["bytesByGroup"] = bytes_by_group(inv, vp, group_by)
            if plan.base is not None:
                entry["waits"] = {key: NameList(inv.cluster_names(bits)) for key, bits in vp.before}
        out.append(entry)
    return out


def stagings_json(plan: Plan, table: NameTable | None) -> list[dict[str, Any]]:
    return [{"model": s.model, "namespace": s.namespace, "placement": s.placement, "versions": list(s.versions),
             "clusters": s.clusters.bit_count() if table is not None else None,
             "decision": table.get(s.clusters)[0] if table is not None else None} for s in plan.stagings]


def _image_line(check: ImageVolumeCheck, limit: int = 5) -> str:
    minimum = version_text(check.minimum)
    if check.ok:
        return f"{check.model}: an image volume (every cluster of its workloads claims Kubernetes >= {minimum})"
    if check.why_not:
        return f"{check.model}: staged, not an image volume: {check.why_not}"
    shown = ", ".join(f"{c} ({why})" for c, why in check.cannot[:limit])
    more = f", … {len(check.cannot) - limit} more" if len(check.cannot) > limit else ""
    return (f"{check.model}: staged, not an image volume: {plural(len(check.cannot), 'cluster')} cannot mount it "
            f"(Kubernetes >= {minimum} needed): {shown}{more}")


def image_volumes_text(plan: Plan) -> list[str]:
    if not plan.image_volumes:
        return []
    return ["", "image volumes:", *(f"  {_image_line(c)}" for c in plan.image_volumes)]


def image_volumes_markdown(plan: Plan) -> list[str]:
    if not plan.image_volumes:
        return []
    return ["", "#### Image volumes", "", *(f"- {_image_line(c, 20)}" for c in plan.image_volumes)]


def image_volumes_json(plan: Plan) -> list[dict[str, Any]]:
    return [{"model": c.model, "imageVolume": c.ok, "minKubeVersion": version_text(c.minimum),
             "reason": c.why_not or None, "cannot": [{"cluster": n, "why": why} for n, why in c.cannot]}
            for c in plan.image_volumes]
