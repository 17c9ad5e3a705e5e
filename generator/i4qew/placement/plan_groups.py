"""Cluster counts by group (the value of one label, `site` by default) and the change
signs the plan renderings share (plan_format.py, plan_models_format.py)."""

from __future__ import annotations

from i4qew.placement.bits import members
from i4qew.placement.inventory import Inventory

NO_GROUP = "(none)"
SIGNS = {"added": "+", "removed": "-", "changed": "~", "unchanged": " ", "planned": " "}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def groups(inv: Inventory, bits: int, label: str) -> list[tuple[str, int]]:
    """(label value, clusters) for the clusters in `bits`, largest first."""
    counts: dict[str, int] = {}
    values = inv.labels.values(label)
    if bits.bit_count() < 2 * len(values):
        # Few clusters for many values: read their labels rather than one set
        # operation per value (a set operation costs about two label reads).
        for i in members(bits):
            value = inv.clusters[i].labels.get(label, NO_GROUP)
            counts[value] = counts.get(value, 0) + 1
    else:
        for value in values:
            n = (bits & inv.labels.with_value(label, value)).bit_count()
            if n:
                counts[value] = n
        rest = (bits & ~inv.labels.with_key(label)).bit_count()
        if rest:
            counts[NO_GROUP] = rest
    return sorted(counts.items(), key=lambda g: (-g[1], g[0]))


def group_text(gs: list[tuple[str, int]], limit: int = 5) -> str:
    text = ", ".join(f"{v} {n}" for v, n in gs[:limit])
    return text + (f", … +{len(gs) - limit} more" if len(gs) > limit else "")


def grouped_names(inv: Inventory, bits: int, label: str) -> list[tuple[str, list[str]]]:
    by: dict[str, list[str]] = {}
    for c in (inv.clusters[i] for i in members(bits)):
        by.setdefault(c.labels.get(label, NO_GROUP), []).append(c.name)
    return sorted(by.items(), key=lambda g: (-len(g[1]), g[0]))
