"""Capacity: per cluster, the requests × replicas of everything placed there
against the cluster's allocatable (all environments together: that is what
runs on it).

Loads are summed in integer milli-units (requests rounded up, allocatable
down), so 100 % is exact. Placements that chose the same clusters are summed
once and then spread over their members, so the cost follows the number of
distinct decisions, not workloads × clusters.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction

from i4qew import memo
from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.model.repo import Repo, Workload
from i4qew.placement.bits import from_ids, members
from i4qew.placement.decide import Decision
from i4qew.placement.inventory import Inventory
from i4qew.placement.loads import Requests, split_by_count, weighted_loads
from i4qew.problems import Problem, Severity

TOP = 3  # contributors named in a capacity message


_request_milli: dict[object, int] = memo.held("placement.capacity.request_milli", {})
# keyed by (numerator, denominator): hashing a Fraction computes a modular inverse each time
_alloc_milli: dict[tuple[int, int], int] = memo.held("placement.capacity.alloc_milli", {})
# by (id(workload), env), the workload kept alive with its requests and their items (as placed)
_requests: dict[tuple[int, str], tuple[Workload, dict[str, int], Requests]] = memo.held("placement.capacity.requests", {})
# each distinct request vector as one object: grouped by identity (a tuple's hash is not kept)
_vectors: dict[Requests, Requests] = memo.held("placement.capacity.vectors", {})


def _milli_up(raw: object) -> int:
    """A request in milli-units, rounded up; memoized (2,000 workloads repeat a few
    dozen quantities). Unparseable values count 0: the rules report them."""
    value = _request_milli.get(raw)
    if value is None:
        try:
            q = parse_quantity(raw) if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) else Fraction(0)
        except QuantityError:
            q = Fraction(0)
        value = _request_milli[raw] = math.ceil(q * 1000)
    return value


def requests_milli(w: Workload, env: str) -> dict[str, int]:
    """Per resource, requests × replicas in milli-units. A resource with only a limit
    requests its limit (as Kubernetes defaults it). Kept per workload and environment
    (read-only for callers): each hub of a fleet that places a workload asks again."""
    return _request_entry(w, env)[1]


def _request_entry(w: Workload, env: str) -> tuple[Workload, dict[str, int], Requests]:
    got = _requests.get((id(w), env))
    if got is not None and got[0] is w:
        return got
    value = _requests_of(w, env)
    if len(_requests) >= 100_000:
        _requests.clear()
        _vectors.clear()
    items = tuple(value.items())
    got = _requests[(id(w), env)] = (w, value, _vectors.setdefault(items, items))
    return got


def _requests_of(w: Workload, env: str) -> dict[str, int]:
    spec = w.spec_for(env)
    resources = spec.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or replicas <= 0:
        return {}
    out: dict[str, int] = {}
    for res in {*requests, *limits}:
        value = _milli_up(requests.get(res, limits.get(res)))
        if value > 0:
            out[res] = value * replicas
    return out


_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def show(res: str, milli: int) -> str:
    """A quantity for messages: cpu in cores or millicores, bytes in binary units."""
    if res == "cpu":
        return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
    whole, rest = divmod(milli, 1000)
    if res in ("memory", "ephemeral-storage") or res.startswith("hugepages-"):
        for unit, size in _BINARY:
            if whole >= size:
                value = whole / size
                return f"{value:.0f}{unit}" if whole % size == 0 else f"{value:.2f}{unit}"
        return str(whole)
    return str(whole) if not rest else str(milli / 1000)


def allocatable_milli(alloc: Mapping[str, Fraction], res: str) -> int | None:
    """A cluster's allocatable `res` in milli-units (rounded down); None when unknown."""
    value = alloc.get(res)
    if value is None:
        # An extended resource (vendor/name) the cluster does not report is absent;
        # an unreported core resource is unknown.
        return 0 if "/" in res else None
    key = (value.numerator, value.denominator)
    milli = _alloc_milli.get(key)
    if milli is None:
        milli = _alloc_milli[key] = math.floor(value * 1000)
    return milli


def cluster_loads(size: int, placed: Iterable[tuple[int, Mapping[str, int]]],
                  ids: Callable[[int], list[int]] = members) -> dict[str, list[int]]:
    """Per resource, the milli-units requested on each of `size` clusters by the
    (clusters, requests) pairs placed. Placements with the same requests are counted per
    cluster first (loads.py: big-int arithmetic, no Python add per placed cluster); the
    few left over are summed per distinct set of clusters and expanded with `ids` (a
    caller that expands the same sets again passes its cache)."""
    by_req: dict[Requests, list[int]] = {}
    for bits, req in placed:
        if bits and req:
            by_req.setdefault(tuple(req.items()), []).append(bits)
    return _grouped_loads(size, by_req, ids)


def _grouped_loads(size: int, by_req: Mapping[Requests, list[int]],
                   ids: Callable[[int], list[int]] = members) -> dict[str, list[int]]:
    """cluster_loads of the placed sets grouped by their requests' items (none empty)."""
    counted, few = split_by_count(size, by_req)
    loads = weighted_loads(size, counted)
    by_bits: dict[int, dict[str, int]] = {}
    for req_items, sets in few:
        for bits in sets:
            vec = by_bits.setdefault(bits, {})
            for res, v in req_items:
                vec[res] = vec.get(res, 0) + v
    for bits, vec in by_bits.items():
        chosen = ids(bits)
        for res, v in vec.items():
            load = loads.get(res)
            if load is None:
                load = loads[res] = [0] * size
            for i in chosen:
                load[i] += v
    return loads


def capacity_problems(repo: Repo, inv: Inventory, decisions: Sequence[Decision]) -> list[Problem]:
    n = len(inv)
    # Only decisions that place something: on a fleet most of a hub's are empty (another hub's sites).
    placed = [d for d in decisions if d.clusters]
    # each placed decision's requests (as cluster_loads groups them), by request vector: a
    # hub repeats a few dozen vectors over thousands of decisions
    entries = [_request_entry(d.workload, d.env) for d in placed]
    by_vector: dict[int, tuple[Requests, list[int]]] = {}
    for d, (_, _, items) in zip(placed, entries, strict=True):
        if items:
            got = by_vector.get(id(items))
            if got is None:
                by_vector[id(items)] = (items, [d.clusters])
            else:
                got[1].append(d.clusters)
    loads = _grouped_loads(n, dict(by_vector.values()))
    warn = repo.repository.capacity_warn_percent
    flagged: list[tuple[int, str, int, int]] = []
    for res in sorted(loads):
        # Whole devices (vendor/name: GPUs) are meant to be used up: only overcommit counts.
        limit = 100 if "/" in res else warn
        flagged.extend((i, res, load, alloc) for i, (load, alloc) in enumerate(zip(loads[res], _allocatable(inv, res), strict=True))
                       if load and alloc is not None and load * 100 > alloc * limit)
    if not flagged:
        return []
    requests = {id(d): req for d, (_, req, _) in zip(placed, entries, strict=True)}
    hot = from_ids({i for i, *_ in flagged}, n)
    # Contributors by distinct decision: a cluster's users are the union of the
    # groups (placements that chose the same clusters) it belongs to, and each
    # group's heaviest users per resource are sorted once.
    groups: dict[int, list[Decision]] = {}
    for d in placed:
        if d.clusters & hot:
            groups.setdefault(d.clusters, []).append(d)
    ranked: dict[tuple[int, str], list[tuple[int, str, str, Decision]]] = {}
    for bits, users in groups.items():
        for res in loads:
            ranked[(bits, res)] = sorted(((-requests[id(d)][res], d.key, d.env, d) for d in users
                                          if requests[id(d)].get(res)), key=_rank)
    in_groups: dict[int, list[int]] = {}
    for bits in groups:
        for i in members(bits & hot):
            in_groups.setdefault(i, []).append(bits)
    out: list[Problem] = []
    for i, res, load_i, alloc in flagged:
        c = inv.clusters[i]
        path, line, col = inv.locate(c)
        over = load_i > alloc
        pct = f"{load_i * 100 / alloc:.0f} %" if alloc else "no allocatable"
        lists = [ranked[(bits, res)] for bits in in_groups.get(i, [])]
        count = sum(len(x) for x in lists)
        top = heapq.nsmallest(TOP, itertools.chain.from_iterable(x[:TOP] for x in lists), key=_rank)
        named = [f"{d.workload.name} ({d.env}, {show(res, -v)})" for v, _, _, d in top]
        more = f" and {count - TOP} more" if count > TOP else ""
        message = (f"cluster '{c.name}': {res} requests {show(res, load_i)} of {show(res, alloc)} allocatable "
                   f"({pct}{'' if over else f'; warning above {warn} %'}) from {', '.join(named)}{more}")
        out.append(Problem(path, line, col, Severity.ERROR if over else Severity.WARNING, "capacity", message))
    return out


def _allocatable(inv: Inventory, res: str) -> list[int | None]:
    """Per cluster, its allocatable `res` in milli-units; None where unknown (a cluster
    that reports no allocatable at all is not judged). allocatable_milli of each, its
    quantities converted once per object (an inventory repeats a few hardware profiles)."""
    out: list[int | None] = []
    seen: dict[int, int | None] = {}  # by id of the cluster's quantity (alive: the clusters hold them)
    absent = 0 if "/" in res else None
    for c in inv.clusters:
        alloc = c.allocatable
        if not alloc:
            out.append(None)
            continue
        value = alloc.get(res)
        if value is None:
            out.append(absent)
            continue
        milli = seen.get(id(value), -1)
        if milli == -1:
            milli = seen[id(value)] = allocatable_milli(alloc, res)
        out.append(milli)
    return out


def _rank(entry: tuple[int, str, str, Decision]) -> tuple[int, str, str]:
    """Heaviest first, then by workload and environment; never by the Decision itself: two
    workloads of one name (a copied file, reported as duplicate-name) tie, and Decisions
    do not compare."""
    return entry[:3]
