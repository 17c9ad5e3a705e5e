"""One ManagedCluster (or ManagedClusterSet) mapping -> a Cluster, or problems.

The API server already validated what `kubectl get` prints, so only the shape
is checked here (types, the taint effects): a hand-written inventory that is
wrong gets a problem, a real one passes at full speed. Positions in multi-MB
files come from a text search for the cluster's name, because the positional
YAML parser is some 20x slower than the fast one and would dominate `plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.k8s.selector_structured import label_selector_as_selector
from i4qew.k8s.selectors import Selector, SelectorError
from i4qew.load.documents import SourceFile
from i4qew.placement.inventory import (
    AVAILABLE_CONDITION,
    CLUSTERSET_LABEL,
    Cluster,
    Origin,
    Taint,
    as_hub_stores,
    locate,
)
from i4qew.problems import Problem, Severity

EFFECTS = ("NoSelect", "PreferNoSelect", "NoSelectIfNew")


class Entries:
    """What the files hold so far: clusters by name, sets, and the problems found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.clusters: dict[str, Cluster] = {}
        self.sets: dict[str, Selector] = {}
        self.sources: dict[str, SourceFile] = {}
        self.quantities: dict[object, Fraction | None] = {}

    def add_source(self, source: SourceFile) -> SourceFile:
        self.sources[source.path] = source
        return source

    def problem(self, source: SourceFile, origin: Origin, keypath: Sequence[str | int], rule: str,
                message: str, severity: Severity = Severity.ERROR, name: str | None = None) -> None:
        line, col = locate(source, origin, keypath, name)
        self.problems.append(Problem(source.path, line, col, severity, rule, message))

    def quantity(self, raw: object) -> Fraction | None:
        if raw in self.quantities:
            return self.quantities[raw]
        value: Fraction | None
        try:
            value = parse_quantity(raw) if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) else None
        except QuantityError:
            value = None
        self.quantities[raw] = value
        return value


def _mapping(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


_ONLY_STR = frozenset({str})


def _all_str(raw: dict[Any, Any]) -> bool:
    """Every key and value is a str (exactly; no subclass): the types collected in C."""
    return {*map(type, raw), *map(type, raw.values())} <= _ONLY_STR


def _str_map(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        return None
    return raw if _all_str(raw) else None


def parse_cluster(source: SourceFile, origin: Origin, data: dict[str, Any], entries: Entries) -> None:
    # Runs 10,000 times per `plan`: the common, well-formed case takes the short paths.
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        entries.problem(source, origin, ("metadata",), "inventory-entry", "a ManagedCluster needs metadata.name")
        return
    assert isinstance(meta, dict)

    def report(keypath: Sequence[str | int], message: str) -> None:
        entries.problem(source, origin, keypath, "inventory-entry", f"cluster '{name}': {message}", name=name)

    labels = _str_map(meta.get("labels"))
    if labels is None:
        report(("metadata", "labels"), "labels must map strings to strings (quote values such as 'true')")
        labels = {}
    spec = data.get("spec")
    status = data.get("status")
    if not isinstance(status, dict):
        status = {}
    raw_taints = spec.get("taints") if isinstance(spec, dict) else None
    taints = _taints(raw_taints, report) if raw_taints else ()
    claims = _claims(status.get("clusterClaims"), report)
    allocatable = _resources(status, entries, report)
    available: bool | None = None
    for cond in status.get("conditions") or ():
        if isinstance(cond, dict) and cond.get("type") == AVAILABLE_CONDITION:
            available = cond.get("status") == "True"
    if name in entries.clusters:
        first = entries.clusters[name].origin
        report(("metadata", "name"), f"declared twice (first in {first.path}); the first one counts")
        return
    # Selectors and the `default` set see the labels as the hub stores them.
    stored = as_hub_stores(labels)
    entries.clusters[name] = Cluster(name, stored, claims, allocatable, taints,
                                     stored[CLUSTERSET_LABEL], available, origin)


def _claims(raw: Any, report: Any) -> dict[str, str]:
    if not raw:
        return {}
    if not isinstance(raw, list):
        report(("status", "clusterClaims"), "clusterClaims must be a list of {name, value}")
        return {}
    try:
        claims = {c["name"]: c.get("value", "") for c in raw}
        if _all_str(claims):
            return claims
    except (TypeError, KeyError, AttributeError):
        pass
    claims = {}
    for i, claim in enumerate(raw):
        if isinstance(claim, dict) and isinstance(claim.get("name"), str) and isinstance(claim.get("value", ""), str):
            claims[claim["name"]] = claim.get("value", "")
        else:
            report(("status", "clusterClaims", i), "a cluster claim needs a string name and value")
    return claims


def _resources(status: dict[str, Any], entries: Entries, report: Any) -> dict[str, Fraction]:
    """status.allocatable, completed from status.capacity for resources it lacks."""
    out: dict[str, Fraction] = {}
    known = entries.quantities
    for part in ("allocatable", "capacity"):
        raw = status.get(part)
        if not raw:
            continue
        if not isinstance(raw, dict):
            report(("status", part), f"{part} must map resource names to quantities")
            continue
        for res, q in raw.items():
            if res in out:
                continue
            # a quantity text met before (nearly all of them) is looked up here, not parsed
            value = known.get(q, _UNKNOWN) if type(q) is str else _UNKNOWN
            if value is _UNKNOWN:
                value = entries.quantity(q)
            if value is None:
                report(("status", part, res), f"{part} {res}: {q!r} is not a resource quantity")
            else:
                out[res if type(res) is str else str(res)] = value
    return out


_UNKNOWN: Any = object()


def _taints(raw: Any, report: Any) -> tuple[Taint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        report(("spec", "taints"), "taints must be a list")
        return ()
    out: list[Taint] = []
    for i, t in enumerate(raw):
        if not isinstance(t, dict) or not isinstance(t.get("key"), str):
            report(("spec", "taints", i), "a taint needs a key")
            continue
        effect = t.get("effect")
        if effect not in EFFECTS:
            report(("spec", "taints", i, "effect"), f"taint effect {effect!r} is not one of {', '.join(EFFECTS)}")
            continue
        value = t.get("value", "")
        if not isinstance(value, str):
            report(("spec", "taints", i, "value"), "the taint value must be a string")
            continue
        added = t.get("timeAdded")
        when: datetime | None = None
        if added is not None:
            try:
                when = datetime.fromisoformat(str(added))
            except ValueError:
                report(("spec", "taints", i, "timeAdded"), f"timeAdded {added!r} is not an RFC 3339 time")
                continue
            if when.tzinfo is None:
                report(("spec", "taints", i, "timeAdded"), f"timeAdded {added!r} has no time zone (end it with Z)")
                continue
        out.append(Taint(t["key"], value, effect, when))
    return tuple(out)


def parse_cluster_set(source: SourceFile, origin: Origin, data: dict[str, Any], entries: Entries) -> None:
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        entries.problem(source, origin, ("metadata",), "inventory-entry", "a ManagedClusterSet needs metadata.name")
        return
    sel = _mapping(_mapping(data.get("spec")).get("clusterSelector"))
    if sel.get("selectorType", "ExclusiveClusterSetLabel") != "LabelSelector":
        return  # membership is the clusterset label, which the clusters carry
    try:
        selector = label_selector_as_selector(sel.get("labelSelector") or {})
    except SelectorError as exc:
        entries.problem(source, origin, ("spec", "clusterSelector", "labelSelector", *exc.path),
                        "inventory-entry", f"ManagedClusterSet '{name}': {exc.message}", name=name)
        return
    entries.sets[name] = selector or Selector()
