"""Cluster counts by group (the value of one label, `site` by default) and the change
signs the plan renderings share (plan_format.py, plan_models_format.py)."""

from __future__ import annotations

from i4qew import memo
from i4qew.placement.bits import members
from i4qew.placement.inventory import Inventory

NO_GROUP = "(none)"
SIGNS = {"added": "+", "removed": "-", "changed": "~", "unchanged": " ", "planned": " "}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# Counts per inventory (kept alive) and label, by set: the workloads of one policy share
# their decision, and the renderings count each set once (40,000 sets per text plan at
# issue 17's 5x, far fewer distinct).
_counted: dict[tuple[int, str], tuple[Inventory, dict[int, list[tuple[str, int]]]]] = memo.held(
    "placement.plan_groups.groups", {})


def groups(inv: Inventory, bits: int, label: str) -> list[tuple[str, int]]:
    """(label value, clusters) for the clusters in `bits`, largest first (shared: callers only
    read it)."""
    by_bits = _counted.get((id(inv), label))
    if by_bits is None or by_bits[0] is not inv:
        if len(_counted) >= 64:
            _counted.clear()
        by_bits = _counted[(id(inv), label)] = (inv, {})
    got = by_bits[1].get(bits)
    if got is None:
        if len(by_bits[1]) >= 100_000:
            by_bits[1].clear()
        got = by_bits[1][bits] = _groups(inv, bits, label)
    return got


def _groups(inv: Inventory, bits: int, label: str) -> list[tuple[str, int]]:
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
