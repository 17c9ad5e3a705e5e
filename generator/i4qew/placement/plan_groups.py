"""Cluster counts by group (the value of one label, `site` by default) and the change
signs the plan renderings share (plan_format.py, plan_models_format.py).

The renderings read one label of each cluster and its name, nothing else of the
inventory: a `Column` (each cluster's value of the label, by id), kept in the persistent
cache (i4qew/store.py) by the inventory's content key and the label, lets a plan whose
decisions all come from the caches render without loading the inventory's clusters (a
lazy inventory: inventory_load.py), 15 inventories at issue 17's 5x.
"""

from __future__ import annotations

from collections.abc import Sequence

from i4qew import memo, store
from i4qew.placement.bits import LabelIndex, members
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


class Column:
    """One label's value on each cluster of an inventory (None: the cluster has no such
    label), and its index."""

    def __init__(self, label: str, values: Sequence[str | None]) -> None:
        self.label = label
        self.values = values
        self.index = LabelIndex([{} if v is None else {label: v} for v in values])


_KIND = "groupcolumn"
_columns: dict[tuple[int, str], tuple[Inventory, Column]] = memo.held("placement.plan_groups.columns", {})


def column(inv: Inventory, label: str) -> Column:
    """`label` on each cluster of `inv`: from the persistent cache when it holds the column of
    this inventory's content and this label, else read from the clusters (and kept there)."""
    got = _columns.get((id(inv), label))
    if got is not None and got[0] is inv:
        return got[1]
    where = store.active()
    key = store.digest(f"{inv.key}\0{label}".encode("utf-8", "surrogatepass")) if inv.key and where.on else ""
    values = _stored(where.get(_KIND, key, {}), len(inv)) if key else None
    if values is None:
        values = tuple(c.labels.get(label) for c in inv.clusters)
        if key:
            where.put(_KIND, key, values)
    if len(_columns) >= 64:
        _columns.clear()
    found = Column(label, values)
    _columns[(id(inv), label)] = (inv, found)
    return found


def _stored(got: object, size: int) -> tuple[str | None, ...] | None:
    if isinstance(got, tuple) and len(got) == size and all(v is None or type(v) is str for v in got):
        return got
    return None


def _groups(inv: Inventory, bits: int, label: str) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    col = column(inv, label)
    values = col.index.values(label)
    if bits.bit_count() < 2 * len(values):
        # Few clusters for many values: read their labels rather than one set
        # operation per value (a set operation costs about two label reads).
        on = col.values
        for i in members(bits):
            value = on[i]
            if value is None:
                value = NO_GROUP
            counts[value] = counts.get(value, 0) + 1
    else:
        for value in values:
            n = (bits & col.index.with_value(label, value)).bit_count()
            if n:
                counts[value] = n
        rest = (bits & ~col.index.with_key(label)).bit_count()
        if rest:
            counts[NO_GROUP] = rest
    return sorted(counts.items(), key=lambda g: (-g[1], g[0]))


def group_text(gs: list[tuple[str, int]], limit: int = 5) -> str:
    text = ", ".join(f"{v} {n}" for v, n in gs[:limit])
    return text + (f", … +{len(gs) - limit} more" if len(gs) > limit else "")


def grouped_names(inv: Inventory, bits: int, label: str) -> list[tuple[str, list[str]]]:
    by: dict[str, list[str]] = {}
    on, names = column(inv, label).values, inv.names
    for i in members(bits):
        value = on[i]
        by.setdefault(NO_GROUP if value is None else value, []).append(names[i])
    return sorted(by.items(), key=lambda g: (-len(g[1]), g[0]))
