"""The cluster inventory: ACM ManagedCluster objects as planning sees them.

Clusters are kept sorted by name, so a cluster's id (its position) orders sets
by name and every listing derived from a bitset is sorted for free. Reading the
files (YAML, JSON, `kind: List`) lives in `inventory_load.py` (`load_inventory`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

from i4qew import memo
from i4qew.k8s.selectors import Selector
from i4qew.load.documents import SourceFile
from i4qew.placement.bits import LabelIndex, first_members, from_ids, members

CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"
DEFAULT_SET = "default"
GLOBAL_SET = "global"
AVAILABLE_CONDITION = "ManagedClusterConditionAvailable"


def as_hub_stores(labels: Mapping[str, str]) -> Mapping[str, str]:
    """A cluster's labels as the hub stores them: the ManagedCluster mutating webhook
    sets a missing or empty clusterset label to `default` (docs/placement.md)."""
    if labels.get(CLUSTERSET_LABEL):
        return labels
    return {**labels, CLUSTERSET_LABEL: DEFAULT_SET}


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSelect | PreferNoSelect | NoSelectIfNew
    time_added: datetime | None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a cluster was declared: file, YAML document, `items` position (-1: none)."""

    path: str
    doc: int
    item: int

    def __reduce__(self) -> tuple[type[Origin], tuple[str, int, int]]:
        # A constructor call: the default for a slots dataclass runs a Python __setstate__
        # that walks fields() per object (a fifth of unpickling a 50,000-cluster fleet).
        return (Origin, (self.path, self.doc, self.item))


@dataclass(frozen=True)
class Cluster:
    name: str
    labels: Mapping[str, str]
    claims: Mapping[str, str]
    allocatable: Mapping[str, Fraction]
    taints: tuple[Taint, ...]
    cluster_set: str
    # status.conditions ManagedClusterConditionAvailable: True/False, None when absent.
    available: bool | None = None
    origin: Origin = field(default=Origin("", 0, -1), compare=False)


@dataclass(frozen=True)
class Inventory:
    clusters: tuple[Cluster, ...]  # sorted by name; position = cluster id
    # ManagedClusterSets found in the inventory whose membership is a label selector
    # (selectorType: LabelSelector); every other set is the exclusive clusterset label.
    set_selectors: Mapping[str, Selector] = field(default_factory=dict)
    sources: Mapping[str, SourceFile] = field(default_factory=dict, compare=False, repr=False)
    # A hash of the files it was read from (paths and bytes), "" when it was not read from
    # files: what the persistent cache (i4qew/store.py) keys values computed over it by.
    key: str = field(default="", compare=False, repr=False)

    if not TYPE_CHECKING:  # (for mypy an Inventory has its fields and nothing else)
        def __getattr__(self, name: str) -> Any:
            """A lazy inventory's clusters and sets (`lazy_inventory`), loaded on first use."""
            load = self.__dict__.get("_load") if name in _LAZY else None
            if load is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            full = load()
            for field_name in _LAZY:
                self.__dict__[field_name] = getattr(full, field_name)
            del self.__dict__["_load"]
            return self.__dict__[name]

    def __reduce__(self) -> tuple[type[Inventory], tuple[Any, ...]]:
        # the fields (a lazy one loads them); what is cached on it is made again where needed
        return (Inventory, (self.clusters, self.set_selectors, self.sources, self.key))

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def ids(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.clusters)}

    def clusters_labels(self) -> list[Mapping[str, str]]:
        return [c.labels for c in self.clusters]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.clusters)

    @cached_property
    def labels(self) -> LabelIndex:
        return LabelIndex([c.labels for c in self.clusters])

    @cached_property
    def claims(self) -> LabelIndex:
        return LabelIndex([c.claims for c in self.clusters])

    @property
    def all(self) -> int:
        return (1 << len(self)) - 1

    @cached_property
    def tainted(self) -> int:
        return from_ids((i for i, c in enumerate(self.clusters) if c.taints), len(self.clusters))

    @cached_property
    def unavailable(self) -> int:
        return from_ids((i for i, c in enumerate(self.clusters) if c.available is False), len(self.clusters))

    @cached_property
    def as_of(self) -> datetime | None:
        """The newest taint time: the inventory was taken no earlier than that."""
        times = [t.time_added for c in self.clusters for t in c.taints if t.time_added is not None]
        return max(times) if times else None

    def set_members(self, name: str) -> int:
        """Clusters of a ManagedClusterSet: `global` holds all, a set with a label
        selector what it selects, any other set the clusters whose clusterset label
        names it (`default`: also those read without one, see inventory_parse)."""
        if name == GLOBAL_SET:
            return self.all
        sel = self.set_selectors.get(name)
        if sel is not None:
            return self.labels.selector(sel)
        return self.labels.with_value(CLUSTERSET_LABEL, name)

    def cluster_names(self, bits: int, limit: int | None = None) -> list[str]:
        """The names of the clusters in `bits`, by id; only the first `limit` of them when given."""
        names = self.names
        return [names[i] for i in (members(bits) if limit is None else first_members(bits, limit))]

    def bits_of(self, names: Iterable[str]) -> int:
        """The set of the named clusters that are in this inventory (others are ignored)."""
        ids = self.ids
        return from_ids((ids[n] for n in names if n in ids), len(self.clusters))

    def bits_by_key(self, named: Mapping[str, Iterable[str]]) -> dict[str, int]:
        """bits_of each value, once per distinct value object: a branch's previous
        decisions share one list per distinct decision (a hub of issue 17's 5x: 446 lists
        for 10,000 workloads)."""
        made: dict[int, int] = {}
        out = {}
        for key, names in named.items():
            bits = made.get(id(names))  # (`named` holds each value: no id is reused meanwhile)
            if bits is None:
                bits = made[id(names)] = self.bits_of(names)
            out[key] = bits
        return out

    def locate(self, cluster: Cluster) -> tuple[str, int, int]:
        """PATH, LINE, COL of a cluster's declaration, for problems about it."""
        source = self.sources.get(cluster.origin.path)
        if source is None:
            return cluster.origin.path or "clusters", 1, 1
        line, col = locate(source, cluster.origin, ("metadata", "name"), cluster.name)
        return source.path, line, col


_LAZY = ("clusters", "set_selectors")


@dataclass(frozen=True)
class Summary:
    """What deciding from the caches reads of an inventory (its size, its time, its tainted
    and unavailable clusters, its cluster names): enough to answer without its clusters."""

    names: tuple[str, ...]
    as_of: datetime | None
    tainted: int
    unavailable: int

    @staticmethod
    def of(inv: Inventory) -> Summary:
        return Summary(inv.names, inv.as_of, inv.tainted, inv.unavailable)


def lazy_inventory(summary: Summary, sources: Mapping[str, SourceFile], key: str,
                   load: Callable[[], Inventory]) -> Inventory:
    """An inventory that holds `summary` and loads its clusters and sets with `load()` (an
    inventory of the same key: the same content) the first time something reads them."""
    inv = object.__new__(Inventory)
    inv.__dict__.update(sources=sources, key=key, names=summary.names, as_of=summary.as_of,
                        tainted=summary.tainted, unavailable=summary.unavailable, _load=load)
    return inv


# Files up to this size get exact positions from the positional parser; beyond, the
# line of the cluster's `name:`.
EXACT_POSITIONS_BYTES = 256 * 1024
_NAME_LINE = re.compile(r'''^([ \t-]*)"?name"?[ \t]*:[ \t]*["']?([^"'\s,]+)''', re.MULTILINE)
_name_lines: dict[int, tuple[SourceFile, dict[str, tuple[int, int]]]] = memo.held("placement.inventory.name_lines", {})


def _lines_of_names(source: SourceFile) -> dict[str, tuple[int, int]]:
    """First `name: X` line of every X in a file, found in one pass (a search per
    cluster would cost milliseconds each in a multi-MB file)."""
    cached = _name_lines.get(id(source))
    if cached is not None and cached[0] is source:
        return cached[1]
    found: dict[str, tuple[int, int]] = {}
    text, line, last = source.text, 1, 0
    for m in _NAME_LINE.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        found.setdefault(m.group(2), (line, len(m.group(1)) + 1))
    _name_lines[id(source)] = (source, found)
    return found


def locate(source: SourceFile, origin: Origin, keypath: Sequence[str | int], name: str | None) -> tuple[int, int]:
    path = ("items", origin.item, *keypath) if origin.item >= 0 else tuple(keypath)
    if len(source.text) <= EXACT_POSITIONS_BYTES:
        return source.locate(origin.doc, path)
    if name:
        return _lines_of_names(source).get(name, (1, 1))
    return 1, 1
