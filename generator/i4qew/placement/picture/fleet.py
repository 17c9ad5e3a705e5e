"""The placement picture of a fleet of hubs (spec.hubs): each hub's picture
(aggregate.py, over that hub's inventory with that hub's cluster sets) joined into one.

A site is a value of the group label on one hub, so it is named `<hub>/<site>` and the
hubs' sites come in spec.hubs order (each hub's in its own order); a cluster is in one
hub only (rule hub-cluster-duplicate). A workload is one row: its clusters, gained and
lost summed over the hubs, its cells those of every hub; it is added, removed or changed
when it is on any hub. Pure, like aggregate.py: page.py and svg.py draw the result as
they draw one hub.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from i4qew.placement.picture.aggregate import CORE, Cell, Free, Picture, SiteRow, WorkloadRow

_STATUS = ("added", "removed", "changed", "planned", "unchanged")  # the first any hub says wins


def site_name(hub: str, site: str) -> str:
    return f"{hub}/{site}"


def _resources(pictures: Mapping[str, Picture]) -> tuple[str, ...]:
    reported = {r for p in pictures.values() for r in p.resources}
    return (*(r for r in CORE if r in reported), *sorted(reported - set(CORE)))


def _free(free: tuple[Free | None, ...], own: tuple[str, ...], resources: tuple[str, ...]) -> tuple[Free | None, ...]:
    """A hub's headroom figures in the fleet's resource order (None where the hub has none)."""
    at = dict(zip(own, free, strict=True))
    return tuple(at.get(r) for r in resources)


def _sites(hub: str, pic: Picture, resources: tuple[str, ...]) -> list[SiteRow]:
    if pic.resources == resources:  # the hub's figures are in the fleet's order already: its rows as they are
        return [dataclasses.replace(s, name=site_name(hub, s.name)) for s in pic.sites]
    return [dataclasses.replace(
        s, name=site_name(hub, s.name), tightest=_free(s.tightest, pic.resources, resources),
        cluster_rows=tuple(dataclasses.replace(c, free=_free(c.free, pic.resources, resources))
                           for c in s.cluster_rows)) for s in pic.sites]


def _join(hub: str, row: WorkloadRow, into: WorkloadRow | None,
          named: dict[int, tuple[Mapping[str, Cell], dict[str, Cell]]]) -> WorkloadRow:
    """`named`: the hub's cells with their sites named, by the cells (kept alive; rows share them)."""
    if not (row.cells or row.gained_names or row.lost_names or row.clusters or row.gained or row.lost):
        # nothing of the workload on this hub (most rows of a fleet): only its status and flags count
        if into is None:
            return row
        if (row.status == into.status or _STATUS.index(into.status) < _STATUS.index(row.status)) \
                and (into.spec_changed or not row.spec_changed) \
                and (into.placement_changed or not row.placement_changed):
            return into
    got = named.get(id(row.cells))
    if got is None or got[0] is not row.cells:
        got = named[id(row.cells)] = (row.cells, {site_name(hub, s): c for s, c in row.cells.items()})
    cells = got[1]
    gained = tuple((site_name(hub, s), n) for s, n in row.gained_names)
    lost = tuple((site_name(hub, s), n) for s, n in row.lost_names)
    # made directly, not by dataclasses.replace (41,000 rows at issue 17's 5x: 3x the cost)
    if into is None:
        return WorkloadRow(row.name, row.namespace, row.placement, row.policy, row.status, row.spec_changed,
                           row.placement_changed, row.clusters, row.gained, row.lost, row.model, cells, gained, lost,
                           row.predicates)
    return WorkloadRow(into.name, into.namespace, into.placement, into.policy,
                       min(into.status, row.status, key=_STATUS.index), into.spec_changed or row.spec_changed,
                       into.placement_changed or row.placement_changed, into.clusters + row.clusters,
                       into.gained + row.gained, into.lost + row.lost, into.model, {**into.cells, **cells},
                       into.gained_names + gained, into.lost_names + lost, into.predicates)


def fleet_picture(pictures: Mapping[str, Picture], headline: str) -> Picture:
    """One picture of the hubs' pictures (hub name -> its picture, in spec.hubs order, all
    of one environment, base and problems); `headline`: the fleet's."""
    first = next(iter(pictures.values()))
    resources = _resources(pictures)
    sites: list[SiteRow] = []
    rows: dict[tuple[str, str], WorkloadRow] = {}
    for hub, pic in pictures.items():
        sites += _sites(hub, pic, resources)
        named: dict[int, tuple[Mapping[str, Cell], dict[str, Cell]]] = {}
        for row in pic.workloads:
            key = (row.namespace, row.name)
            into = rows.get(key)
            if into is not row:  # a row the hubs share (no cluster on either) joins into itself
                rows[key] = _join(hub, row, into, named)
    order = {"added": 0, "removed": 1, "changed": 2}
    workloads = sorted(rows.values(), key=lambda r: (order.get(r.status, 3), r.name, r.namespace))
    known = [p.inventory for p in pictures.values() if p.inventory is not None]
    return dataclasses.replace(first, headline=headline, inventory=sum(known) if known else None,
                               resources=resources, sites=tuple(sites), workloads=tuple(workloads))

