"""The rollout waves of a plan in its three renderings (plan_format.py calls these):
each wave's clusters per workload, and what each wave gained and lost against --base."""

from __future__ import annotations

from typing import Any

from i4qew.placement.inventory import Inventory
from i4qew.placement.jsonout import NameList
from i4qew.placement.waves import WavePlan

SHOWN = 10  # names per wave in the text rendering


def _delta(w: WavePlan, with_base: bool) -> str:
    return f" (+{w.gained.bit_count()} −{w.lost.bit_count()})" if with_base else ""


def text_lines(inv: Inventory, waves: tuple[WavePlan, ...], with_base: bool) -> list[str]:
    lines: list[str] = []
    for w in waves:
        n = w.clusters.bit_count()
        names = inv.cluster_names(w.clusters, SHOWN)
        more = f", … +{n - len(names)}" if n > len(names) else ""
        lines.append(f"      wave {w.name}: {n} cluster{'' if n == 1 else 's'}{_delta(w, with_base)}"
                     + (f": {', '.join(names)}{more}" if names else ""))
        if with_base:
            lines += [f"        + {c}" for c in inv.cluster_names(w.gained, SHOWN)]
            lines += [f"        - {c}" for c in inv.cluster_names(w.lost, SHOWN)]
    return lines


def markdown_cell(waves: tuple[WavePlan, ...], with_base: bool) -> str:
    """e.g. "canary 1, early 2 (+1 −0), rest 7"."""
    return ", ".join(f"{w.name} {w.clusters.bit_count()}{_delta(w, with_base)}" for w in waves)


def json_waves(inv: Inventory, waves: tuple[WavePlan, ...], with_base: bool) -> list[dict[str, Any]]:
    return [{"name": w.name, "clusters": NameList(inv.cluster_names(w.clusters)),
             "gained": NameList(inv.cluster_names(w.gained)) if with_base else None,
             "lost": NameList(inv.cluster_names(w.lost)) if with_base else None} for w in waves]
