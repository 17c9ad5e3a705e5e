"""The effective placement of a workload in an environment.

effective = workload policy ∧ model policy ∧ environment selector
            ∧ architecture labels ∧ GPU label

Each conjunct is an OR of predicates (a policy's `anyOf`); the conjunction is
their cross product, with predicates that can never match dropped. The same
value drives the generated Placement (so ACM keeps enforcing it as clusters
change) and i4qew's own planning over the inventory (so both agree).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from i4qew import memo
from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.k8s.selectors import Requirement, Selector, everything
from i4qew.model.repo import (
    GPU_RESOURCE,
    OFFLINE_TAINTS,
    Environment,
    Model,
    ModelRef,
    PlacementPolicy,
    Predicate,
    Repo,
    Toleration,
    Workload,
)

T = TypeVar("T")
GLOBAL_SET = "global"
_OFFLINE_TOLERATIONS = tuple(Toleration(k, "Exists", None, None) for k in OFFLINE_TAINTS)


@dataclass(frozen=True)
class Conjunct:
    """One named factor of the effective placement, for explanations."""

    name: str  # e.g. "workload policy 'lrt'", "environment 'dev'"
    predicates: tuple[Predicate, ...]


class _Multiplied:
    """The default of EffectivePlacement.predicates: the conjuncts multiplied out on
    first read. Planning evaluates the conjuncts directly (AND of ORs) and never
    needs the product; the compilers read it as an ordinary field."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: EffectivePlacement | None, owner: type | None = None) -> tuple[Predicate, ...]:
        if obj is None:
            return _UNSET
        value: tuple[Predicate, ...] | None = obj.__dict__.get(self.slot)
        if value is None:
            value = obj.__dict__[self.slot] = conjoin(*(c.predicates for c in obj.conjuncts))
        return value

    def __set__(self, obj: EffectivePlacement, value: tuple[Predicate, ...]) -> None:
        if value is not _UNSET:
            obj.__dict__[self.slot] = value


_UNSET: tuple[Predicate, ...] = tuple([Predicate(everything(), everything())])  # a distinct object


@dataclass(frozen=True)
class EffectivePlacement:
    workload: Workload
    env: str
    conjuncts: tuple[Conjunct, ...]
    cluster_sets: tuple[str, ...]  # empty = the sets of policy and model do not meet
    max_clusters: int | None
    tolerations: tuple[Toleration, ...]
    model: ModelRef | None
    policy: str
    # ORed; empty = can never select a cluster. Defaults to the conjuncts multiplied out.
    predicates: tuple[Predicate, ...] = _Multiplied()  # type: ignore[assignment]


class Placeable(Protocol):
    """What the planner evaluates: a workload's effective placement, or a model's staging."""

    @property
    def conjuncts(self) -> tuple[Conjunct, ...]: ...
    @property
    def cluster_sets(self) -> tuple[str, ...]: ...
    @property
    def max_clusters(self) -> int | None: ...
    @property
    def tolerations(self) -> tuple[Toleration, ...]: ...
    @property
    def predicates(self) -> tuple[Predicate, ...]: ...


@memo.lru(1024)
def _label(key: str, value: str = "true") -> Predicate:
    return Predicate(Selector((Requirement(key, "In", (value,)),)), everything())


def label_predicate(key: str, value: str = "true") -> Predicate:
    """`key=value` as a predicate (e.g. one architecture label)."""
    return _label(key, value)


def satisfiable(sel: Selector) -> bool:
    """False when the requirements contradict each other for some key."""
    by_key: dict[str, list[Requirement]] = {}
    for r in sel.requirements:
        by_key.setdefault(r.key, []).append(r)
    for reqs in by_key.values():
        allowed: set[str] | None = None
        must_exist = must_not = False
        banned: set[str] = set()
        for r in reqs:
            if r.operator == "In":
                allowed = set(r.values) if allowed is None else allowed & set(r.values)
                must_exist = True
            elif r.operator == "NotIn":
                banned |= set(r.values)
            elif r.operator == "Exists":
                must_exist = True
            else:
                must_not = True
        if must_exist and must_not:
            return False
        if allowed is not None and not (allowed - banned):
            return False
    return True


@memo.lru(8192)  # workloads share their factors; the product is costly
def conjoin(*factors: tuple[Predicate, ...]) -> tuple[Predicate, ...]:
    out: list[Predicate] = []
    seen: set[Predicate] = set()
    for combo in itertools.product(*factors):
        # One Selector per side (its constructor sorts once) rather than a fold of and_.
        p = Predicate(Selector(tuple(r for part in combo for r in part.labels.requirements)),
                      Selector(tuple(r for part in combo for r in part.claims.requirements)))
        if satisfiable(p.labels) and satisfiable(p.claims) and p not in seen:
            seen.add(p)
            out.append(p)
    if len(out) < 2:
        return tuple(out)
    reqs = [(frozenset(p.labels.requirements), frozenset(p.claims.requirements)) for p in out]
    return tuple(p for p, (lab, cla) in zip(out, reqs, strict=True)
                 if not any(ol <= lab and oc <= cla and (ol, oc) != (lab, cla) for ol, oc in reqs))


def meet_sets(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Intersection of cluster-set lists, where `global` holds every cluster."""
    if GLOBAL_SET in a:
        return b
    if GLOBAL_SET in b:
        return a
    return tuple(s for s in a if s in b)


def needs_gpu(workload_spec: Mapping[str, object]) -> bool:
    resources = workload_spec.get("resources") or {}
    assert isinstance(resources, dict)
    for part in ("requests", "limits"):
        value = (resources.get(part) or {}).get(GPU_RESOURCE)
        try:
            if value is not None and parse_quantity(value) > 0:
                return True
        except QuantityError:
            return False
    return False


def policy_tolerations(policy: PlacementPolicy) -> list[Toleration]:
    """A placement policy's tolerations, plus OCM's offline taints when it tolerates them
    (where a workload or a model's staging may stay while its cluster is unreachable)."""
    tolerations = list(policy.tolerations)
    if policy.tolerate_offline:
        known = {t.key for t in tolerations}
        tolerations.extend(t for t in _OFFLINE_TOLERATIONS if t.key not in known)
    return tolerations


# The hubs of a fleet (Repo.for_hub) share the workloads, policies, models and
# environments: an effective placement differs between them only by the default
# cluster sets, so each is made once per distinct cluster-set list.
_by_view: dict[tuple[int, str, tuple[str, ...]], tuple[Workload, Repo, EffectivePlacement | None]] = \
    memo.held("placement.effective.by_view", {})


def effective_placement(repo: Repo, workload: Workload, env_name: str) -> EffectivePlacement | None:
    """None when a reference does not resolve (already reported by the rules)."""
    key = (id(workload), env_name, repo.repository.cluster_sets)
    got = _by_view.get(key)
    if got is not None and got[0] is workload and same_declarations(got[1], repo):
        return got[2]
    ep = _effective(repo, workload, env_name)
    if len(_by_view) >= 500_000:
        _by_view.clear()
    _by_view[key] = (workload, repo, ep)
    return ep


def same_declarations(a: Repo, b: Repo) -> bool:
    """Two views of one repository (Repo.for_hub): the same declarations, maybe other hub settings."""
    ra, rb = a.repository, b.repository
    return (a is b) or (a.policies is b.policies and a.models is b.models and ra.environments is rb.environments
                        and ra.arch_prefix == rb.arch_prefix and ra.gpu_label == rb.gpu_label)


# The factors workloads share (a policy's conjunct and tolerations, a model's conjunct,
# an environment's, the architectures'), made once per object: 10,000 workloads name a
# thousand policies, and shared objects are also what the deciders' caches key by.
# key -> (the objects it was made from, kept alive and compared by identity, the value)
_factors: dict[tuple[object, ...], tuple[tuple[object, ...], Any]] = memo.held("placement.effective.factors", {})


def _factor(key: tuple[object, ...], owners: tuple[object, ...], make: Callable[[], T]) -> T:
    got = _factors.get(key)
    if got is not None and got[0] == owners:  # the same objects (equal ones would make equal factors)
        value: T = got[1]
        return value
    made = make()
    if len(_factors) >= 100_000:
        _factors.clear()
    _factors[key] = (owners, made)
    return made


def _policy_factor(policy: PlacementPolicy) -> tuple[Conjunct, tuple[Toleration, ...]]:
    return _factor(("policy", id(policy)), (policy,),
                   lambda: (Conjunct(f"workload policy '{policy.name}'", policy.predicates),
                            tuple(policy_tolerations(policy))))


def _model_factor(model: Model, policy: PlacementPolicy) -> Conjunct:
    return _factor(("model", id(model), id(policy)), (model, policy),
                   lambda: Conjunct(f"model '{model.name}' (policy '{policy.name}')", policy.predicates))


def _env_factor(env: Environment) -> Conjunct:
    return _factor(("env", id(env)), (env,),
                   lambda: Conjunct(f"environment '{env.name}' ({env.selector_text})",
                                    (Predicate(env.selector, everything()),)))


def _arch_factor(archs: tuple[str, ...], prefix: str) -> Conjunct:
    return _factor(("archs", archs, prefix), (),
                   lambda: Conjunct(f"architectures {', '.join(archs)}",
                                    tuple(_label(f"{prefix}{a}") for a in archs)))


def _gpu_factor(label: str) -> Conjunct:
    return _factor(("gpu", label), (), lambda: Conjunct("an NVIDIA GPU", (_label(label),)))


_NO_OVERRIDES: dict[str, Any] = {}
_new = object.__new__


def _effective(repo: Repo, workload: Workload, env_name: str) -> EffectivePlacement | None:
    settings = repo.repository
    env = settings.environment(env_name)
    # the three fields of workload.spec_for(env_name) read here, without copying the spec
    spec, over = workload.spec, workload.overrides.get(env_name) or _NO_OVERRIDES
    policy = repo.policies.get(str(over["placement"] if "placement" in over else spec["placement"]))
    if env is None or policy is None:
        return None
    policy_conjunct, tolerations = _policy_factor(policy)
    conjuncts = [policy_conjunct]
    sets = policy.cluster_sets or settings.cluster_sets
    model_ref = workload.model
    if model_ref is not None:
        model = repo.models.get(model_ref.name)
        model_policy = repo.policies.get(model.placement) if model else None
        if model is None or model_policy is None:
            return None
        conjuncts.append(_model_factor(model, model_policy))
        sets = meet_sets(sets, model_policy.cluster_sets or settings.cluster_sets)
    if not env.selector.is_empty():
        conjuncts.append(_env_factor(env))
    archs = (over["architectures"] if "architectures" in over else spec.get("architectures")) or ()
    if archs:
        conjuncts.append(_arch_factor(tuple(archs), settings.arch_prefix))
    if needs_gpu({"resources": over["resources"]} if "resources" in over else spec):
        conjuncts.append(_gpu_factor(settings.gpu_label))
    # EffectivePlacement(...) without the frozen dataclass's __init__ (one object.__setattr__
    # per field; 20,000 placements at 5x): the same fields in the same order, `predicates`
    # left to its default (made on first read)
    ep: EffectivePlacement = _new(EffectivePlacement)
    ep.__dict__.update(workload=workload, env=env_name, conjuncts=tuple(conjuncts), cluster_sets=tuple(sets),
                       max_clusters=policy.max_clusters, tolerations=tolerations, model=model_ref, policy=policy.name)
    return ep
