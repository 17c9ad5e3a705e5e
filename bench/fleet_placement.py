"""The generator's own placement arithmetic, so the fleet is valid by construction.

For every (workload policy, model policy, environment, architectures, GPU) the
generator needs two cluster lists: the clusters *surely* selected (no taint in
the way at all; used to prove an effective placement is non-empty) and the
clusters *possibly* selected (every NoSelect taint tolerated or absent, and no
`maxClusters` cut; an upper bound used to size clusters so capacity holds
whatever choice the planner makes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fleet_clusters import UNREACHABLE, Cluster
from fleet_policies import Policy, alt_matches

STAGE_OF_ENV = {"dev": "dev", "production": "production"}
HEADROOM = 0.6  # sized so the heaviest possible load uses at most 60 % of allocatable


def _tolerated(policy: Policy, key: str, effect: str) -> bool:
    return (key == UNREACHABLE and policy.tolerate_offline) or (key, effect) in policy.tolerations


def matches(policy: Policy, cluster: Cluster) -> bool:
    if policy.cluster_sets is not None and cluster.cluster_set not in policy.cluster_sets:
        return False
    return any(alt_matches(a, cluster.labels, cluster.claims) for a in policy.predicates())


@dataclass
class Selector:
    """Cached selections over one inventory."""

    clusters: list[Cluster]
    by_region: dict[str, list[Cluster]] = field(default_factory=dict)
    _policy: dict[str, tuple[list[Cluster], list[Cluster]]] = field(default_factory=dict)
    _model: dict[str, frozenset[str]] = field(default_factory=dict)
    _effective: dict[tuple[object, ...], tuple[bool, list[Cluster]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.clusters:
            self.by_region.setdefault(c.region, []).append(c)

    def _candidates(self, policy: Policy) -> Iterable[Cluster]:
        if policy.regions and len(policy.regions) < len(self.by_region):
            for r in policy.regions:
                yield from self.by_region.get(r, [])
        else:
            yield from self.clusters

    def policy(self, p: Policy) -> tuple[list[Cluster], list[Cluster]]:
        """(surely, possibly) selected clusters of a workload policy."""
        got = self._policy.get(p.name)
        if got is None:
            sure: list[Cluster] = []
            possible: list[Cluster] = []
            for c in self._candidates(p):
                if not matches(p, c):
                    continue
                untolerated = [effect for key, effect in c.taints if not _tolerated(p, key, effect)]
                if not untolerated:
                    sure.append(c)
                if "NoSelect" not in untolerated and "NoSelectIfNew" not in untolerated:
                    possible.append(c)
            got = self._policy[p.name] = (sure, possible)
        return got

    def model(self, p: Policy) -> frozenset[str]:
        """Names of the clusters a model policy may distribute to (no untolerated NoSelect taint)."""
        got = self._model.get(p.name)
        if got is None:
            got = self._model[p.name] = frozenset(c.name for c in self.policy(p)[1])
        return got

    def effective(self, wp: Policy, mp: Policy | None, env: str, archs: tuple[str, ...],
                  gpu: bool) -> tuple[bool, list[Cluster]]:
        """(surely non-empty, possibly selected clusters) of one effective placement."""
        key = (wp.name, mp.name if mp else None, env, archs, gpu)
        got = self._effective.get(key)
        if got is None:
            stage = STAGE_OF_ENV[env]
            in_model = self.model(mp) if mp else None
            wanted = set(archs)

            def ok(c: Cluster) -> bool:
                return (c.stage == stage and (in_model is None or c.name in in_model)
                        and not wanted.isdisjoint(c.archs) and (c.gpu or not gpu))

            sure, possible = self.policy(wp)
            got = self._effective[key] = (any(ok(c) for c in sure), [c for c in possible if ok(c)])
        return got


def _ladder(start: int, need: float) -> int:
    size = start
    while size * HEADROOM < need:
        size *= 2
    return size


def size_clusters(clusters: list[Cluster], load: dict[str, list[int]], starts: dict[str, tuple[int, int, int]]) -> None:
    """Give each cluster the smallest power-of-two size above its base that keeps the
    possible load (cpu millicores, memory MiB, GPUs, pods) under HEADROOM."""
    for c in clusters:
        cpu_m, mem_mi, gpus, pods = load.get(c.name, [0, 0, 0, 0])
        base_cpu, base_mem, base_gpu = starts[c.name]
        c.cpu = _ladder(base_cpu, cpu_m / 1000 + 1)  # +1 core for the k3s system pods
        c.memory_gi = _ladder(base_mem, mem_mi / 1024 + 2)
        c.gpus = _ladder(base_gpu, gpus) if c.gpu else 0
        c.pods = _ladder(110, pods + 12) if pods + 12 > 110 * HEADROOM else 110
