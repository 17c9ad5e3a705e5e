"""What a plan says about models: per model version the clusters that must hold it, the bytes
to move there, and against a base which clusters must fetch a version before the workloads
that use it can move (their gate holds the new pods until then).

A version i4qew stages (`distribution: stager`) is held by every cluster of its staging
placement (placement/staging.py); an external distributor's version by the clusters its
workloads are placed on. Bytes are counted per cluster (a hostPath model is fetched by each
node of it that may run the workloads; a PVC model once): size × clusters that must fetch
it, against a base only the clusters that did not hold that version with that digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from i4qew import memo
from i4qew.model.repo import Repo, Workload
from i4qew.model.sources import version_size, version_source
from i4qew.placement.decide import Planner
from i4qew.placement.effective import same_declarations
from i4qew.placement.staging import staging_hub_name, stagings


@dataclass(frozen=True)
class StagingPlan:
    """A model's staging Placement in the environment and its decision."""

    model: str
    namespace: str
    placement: str
    versions: tuple[str, ...]
    clusters: int  # bitset over the inventory (0 without one)


def staging_plans(repo: Repo, env: str, planner: Planner | None,
                  image: frozenset[str] = frozenset()) -> tuple[StagingPlan, ...]:
    staged = stagings(repo, env, image)
    decided = planner.evaluate_all(staged) if planner is not None else [0] * len(staged)
    return tuple(StagingPlan(s.model.name, s.namespace, _hub_name(s.model.name, env), s.versions, clusters)
                 for s, clusters in zip(staged, decided, strict=True))


@memo.lru(maxsize=1 << 14)
def _hub_name(model: str, env: str) -> str:
    """staging_hub_name, memoised: each hub of a fleet names every staging (1,720 per
    environment at issue 17's 5x)."""
    return staging_hub_name(model, env)


@dataclass(frozen=True)
class VersionPlan:
    model: str
    version: str
    delivery: str  # "stager" | "external" | "imageVolume"
    digest: str | None  # the pin the gate checks; None: not pinned
    size: int | None  # declared bytes
    clusters: int  # bitset: the clusters that hold it
    workloads: tuple[str, ...]  # "namespace/name" of the workloads that pin it
    status: str = "planned"  # planned | added | removed | changed (other digest) | unchanged
    fetch: int = 0  # bitset: clusters that must fetch it (all of `clusters` without a base)
    before: tuple[tuple[str, int], ...] = ()  # with a base: (workload key, clusters it waits on there)

    @property
    def key(self) -> tuple[str, str]:
        return self.model, self.version

    @property
    def bytes(self) -> int | None:
        return None if self.size is None else self.size * self.fetch.bit_count()


@dataclass(frozen=True)
class _Pin:
    """A model version the enabled workloads of an environment pin, and what does not
    depend on the inventory: the same for every hub of a fleet."""

    model: str
    version: str
    delivery: str
    digest: str | None
    size: int | None
    workloads: tuple[str, ...]  # "namespace/name", in the repository's order


# The pins per declarations (the workloads, kept alive, and a repository with them),
# environment and image-volume models: a fleet's hub views (Repo.for_hub) share them, so
# the 10,000 workloads are walked once, not once per hub (15x at issue 17's 5x).
_pinned: dict[tuple[int, str, frozenset[str]], tuple[tuple[Workload, ...], Repo, tuple[_Pin, ...]]] = memo.held(
    "placement.plan_models.pins", {})


def _pins(repo: Repo, env: str, image: frozenset[str]) -> tuple[_Pin, ...]:
    key = (id(repo.workloads), env, image)
    got = _pinned.get(key)
    if got is not None and got[0] is repo.workloads and same_declarations(got[1], repo):
        return got[2]
    found: dict[tuple[str, str], _Pin] = {}
    users: dict[tuple[str, str], list[str]] = {}
    for w in repo.workloads:
        ref = w.model
        model = repo.models.get(ref.name) if ref is not None else None
        if ref is None or model is None or not w.enabled_in(env):
            continue
        version = (ref.name, ref.version)
        if version not in found:
            source = version_source(model, ref.version)
            delivery = "external" if model.external else "imageVolume" if ref.name in image else "stager"
            found[version] = _Pin(ref.name, ref.version, delivery, source.digest if source else None,
                              version_size(model, ref.version), ())
            users[version] = []
        users[version].append(f"{w.namespace}/{w.name}")
    pins = tuple(replace(pin, workloads=tuple(users[v])) for v, pin in found.items())
    if len(_pinned) >= 64:
        _pinned.clear()
    _pinned[key] = (repo.workloads, repo, pins)
    return pins


def _versions(repo: Repo, env: str, planner: Planner | None, decided: dict[str, int],
              image: frozenset[str], staging: tuple[StagingPlan, ...] | None = None, *, fetched: bool = False,
              ) -> dict[tuple[str, str], VersionPlan]:
    """`staging`: staging_plans(repo, env, planner, image), when the caller has them;
    `fetched`: every cluster that holds a version must fetch it (no base)."""
    staged: dict[str, int] = {}  # model -> clusters of its stagings (a PVC model: one per namespace)
    for s in staging if staging is not None else staging_plans(repo, env, planner, image):
        staged[s.model] = staged.get(s.model, 0) | s.clusters
    out: dict[tuple[str, str], VersionPlan] = {}
    for pin in _pins(repo, env, image):
        clusters = staged.get(pin.model, 0)
        if pin.delivery != "stager":
            # Not staged: held where its workloads are (the distributor's, or the kubelet's pull).
            for key in pin.workloads:
                clusters |= decided.get(key, 0)
        out[(pin.model, pin.version)] = VersionPlan(pin.model, pin.version, pin.delivery, pin.digest, pin.size,
                                                    clusters, pin.workloads, fetch=clusters if fetched else 0)
    return out


def model_plans(repo: Repo, env: str, planner: Planner | None, decided: dict[str, int], *,
                image: frozenset[str] = frozenset(), base_repo: Repo | None = None,
                base_planner: Planner | None = None, base_decided: dict[str, int] | None = None,
                base_image: frozenset[str] = frozenset(),
                to_head: Callable[[int], int] = lambda bits: bits,
                staging: tuple[StagingPlan, ...] | None = None) -> tuple[VersionPlan, ...]:
    """The model versions of `env`, by model then version. `decided` maps "namespace/name"
    to the workload's clusters (a bitset over the head inventory); with a base, the base's
    decisions (over the base inventory) and `to_head`, which turns a bitset over the base
    inventory into one over the head inventory; `staging`: the head's staging_plans, when the
    caller has them."""
    head = _versions(repo, env, planner, decided, image, staging, fetched=base_repo is None)
    if base_repo is None:
        return tuple(vp for _, vp in sorted(head.items()))
    base = _versions(base_repo, env, base_planner, base_decided or {}, base_image)
    out: list[VersionPlan] = []
    for key in sorted({*head, *base}):
        now, was = head.get(key), base.get(key)
        if now is None:
            assert was is not None
            out.append(replace(was, status="removed", clusters=0, fetch=0))
            continue
        held = to_head(was.clusters) if was is not None and was.digest == now.digest else 0
        fetch = now.clusters & ~held
        if was is None:
            status = "added"
        elif was.digest != now.digest or now.clusters != held:
            status = "changed"
        else:
            status = "unchanged"
        # The workloads' new pods wait in their gate wherever the version is not held yet
        # (on a fleet's hub most of a version's workloads have no cluster: no set arithmetic).
        missing = ~held
        before = tuple((w, bits & missing) for w in now.workloads if (bits := decided.get(w, 0)) and bits & missing)
        out.append(replace(now, status=status, fetch=fetch, before=before))
    return tuple(out)
