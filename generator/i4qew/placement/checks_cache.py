"""Each hub's placement problems kept between runs (i4qew/store.py), keyed by everything
`checks.placement_problems` reads: a hub whose inventory and whose decisions did not
change since a run that filled the cache answers without checking anything again.

At issue 17's 5x a hub's checks go through ~5,500 placed decisions (the model policy's
reach, environment overlap, the capacity sums); after a one-workload change, only the
hubs that workload lands on (before or after) miss. The decisions themselves are made
every run (they are what the key is written from).

The key of one hub: its inventory's key and the time taints are judged at, its view's
cluster sets and placement API, the repository settings the checks read (environments
with their selectors and where i4qew.yaml says so, the architecture label prefix, the
capacity warning percent, whether any workload declares architectures), then, per
environment and in order, every decision that places something: the workload's
document (path, position, the bytes of its file: its name, key, model and requests are
in them), its model's policy written out, and the clusters chosen; for a workload placed on no hub at all, its
effective placement written out (placement-empty explains it conjunct by conjunct). Not
kept (checked every run): a hub with an environment that has rollout waves, and an
environment where two workloads share a key (which one environment-overlap compares is
positional).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Set as AbstractSet
from datetime import datetime

from i4qew import store
from i4qew.load.documents import SourceFile
from i4qew.model.repo import PlacementPolicy, Repo, Workload
from i4qew.placement.checks import decisions_by_env, placement_problems
from i4qew.placement.decide import Decision, planner_for
from i4qew.placement.inventory import Inventory
from i4qew.problems import Problem, Severity

KIND = "hubchecks"
_KEY = operator.attrgetter("key")
_CLUSTERS = operator.attrgetter("clusters")
_CLASSES = store.allow((Problem, Severity))
_VERSION = b"hubchecks 1\0"


class HubChecks:
    """The hubs of one fleet, checked in turn; what they share is written once."""

    def __init__(self, repo: Repo) -> None:
        self.where = store.active()
        self.archs = any(w.architectures for w in repo.workloads)
        self._files: dict[int, tuple[SourceFile, bytes]] = {}
        self._policies: dict[int, tuple[PlacementPolicy, bytes]] = {}
        self._workloads: dict[tuple[int, str], tuple[Workload, bytes]] = {}
        # per environment: (elsewhere, every decision's key, no key twice, every key placed somewhere)
        self._keys: dict[str, tuple[AbstractSet[tuple[str, str]], tuple[str, ...], bool, bool]] = {}

    def problems(self, repo: Repo, inv: Inventory, *, now: datetime | None,
                 elsewhere: AbstractSet[tuple[str, str]]) -> list[Problem]:
        """placement_problems(repo, inv, now=now, elsewhere=elsewhere), from the cache when it holds them."""
        key = self.key(repo, inv, now, elsewhere) if self.where.on else None
        if key is not None:
            got = self.where.get(KIND, key, _CLASSES)
            if isinstance(got, list) and all(isinstance(p, Problem) for p in got):
                return got
        found = placement_problems(repo, inv, now=now, elsewhere=elsewhere)
        if key is not None:
            self.where.put(KIND, key, found)
        return found

    def key(self, repo: Repo, inv: Inventory, now: datetime | None,
            elsewhere: AbstractSet[tuple[str, str]]) -> str | None:
        settings = repo.repository
        if not inv.key or any(e.waves for e in settings.environments):
            return None
        planner = planner_for(repo, inv, now)
        h = hashlib.blake2b(_VERSION, digest_size=20)
        doc = settings.doc
        head = (inv.key, len(inv), repr(planner.now), planner.rule_mode, settings.cluster_sets, settings.arch_prefix,
                settings.capacity_warn_percent, self.archs,
                [(e.name, e.index, repr(e.selector), e.selector_text) for e in settings.environments],
                (doc.path, doc.index, self._file(doc.source)) if doc is not None else None)
        h.update(repr(head).encode())
        for env, decisions in decisions_by_env(repo, inv, now).items():
            keys = tuple(map(_KEY, decisions))  # the same on every hub: judged once
            seen = self._keys.get(env)
            if seen is None or seen[0] is not elsewhere or seen[1] != keys:
                unique = len(set(keys)) == len(keys)
                seen = self._keys[env] = (elsewhere, keys, unique, all((env, k) in elsewhere for k in keys))
            if not seen[2]:
                return None  # two workloads of one key: which one environment-overlap compares is positional
            parts = [f"\0env {env}\0{len(decisions)}\0".encode()]
            if not seen[3]:  # placement-empty, explained from the effective placement over the inventory
                for d in decisions:
                    if not d.clusters and (env, d.key) not in elsewhere:
                        ep = d.effective
                        parts.append(self._workload(repo, d))
                        parts.append(repr(("empty", ep.conjuncts, ep.cluster_sets, ep.tolerations)).encode())
            for d in filter(_CLUSTERS, decisions):
                parts.append(self._workload(repo, d))
                parts.append(d.clusters.to_bytes((d.clusters.bit_length() + 7) // 8, "little"))
                parts.append(b"\1")
            h.update(b"".join(parts))
        return h.hexdigest()

    def _file(self, source: SourceFile) -> bytes:
        got = self._files.get(id(source))
        if got is None or got[0] is not source:
            got = self._files[id(source)] = (source, hashlib.blake2b(source.text.encode(), digest_size=16).digest())
        return got[1]

    def _policy(self, policy: PlacementPolicy) -> bytes:
        got = self._policies.get(id(policy))
        if got is None or got[0] is not policy:
            text = repr((policy.name, policy.predicates, policy.cluster_sets, policy.max_clusters,
                         policy.tolerations, policy.tolerate_offline))
            got = self._policies[id(policy)] = (policy, text.encode())
        return got[1]

    def _workload(self, repo: Repo, d: Decision) -> bytes:
        """What the checks read of a placed decision, but its clusters (the same on every hub)."""
        w = d.workload
        got = self._workloads.get((id(w), d.env))
        if got is None or got[0] is not w:
            ep = d.effective
            model = repo.models.get(ep.model.name) if ep.model else None
            policy = repo.policies.get(model.placement) if model else None
            # the file's bytes hold all the checks read of the workload (its name, key, model, requests)
            text = repr((w.doc.path, w.doc.index, d.env, model.placement if model else None))
            got = self._workloads[(id(w), d.env)] = (
                w, self._file(w.doc.source) + text.encode() + (self._policy(policy) if policy else b"-"))
        return got[1]
