"""Where a model is staged in an environment, and which versions.

    staging placement = model policy ∧ environment selector ∧ architectures of the
                        workloads of the environment that use the model

A Model distributed by i4qew (not `distribution: external`) gets one staging per
environment in which some enabled workload uses it. The stager runs on every node of
every cluster this selects and keeps there every version those workloads pin: a
cluster the model policy allows is ready before a workload moves there. The model
policy's cluster sets and tolerations apply; its numberOfClusters does not (a
workload's own choice of clusters may differ from any choice made here, and a
workload must never land where its model cannot be).

Where the staging runs: a hostPath model's stagers in the models' namespace
(i4qew.yaml spec.models.namespace); a PVC model's Jobs in each workload namespace that
uses it (a PersistentVolumeClaim is namespaced: the Jobs must write the very claim the
workloads mount), one staging per such namespace with the versions pinned there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from i4qew import memo
from i4qew.k8s.names import short_name
from i4qew.k8s.selectors import Selector, everything
from i4qew.model.repo import Model, Predicate, Repo, Toleration, Workload
from i4qew.placement.effective import (
    Conjunct,
    conjoin,
    label_predicate,
    needs_gpu,
    policy_tolerations,
    same_declarations,
)


@dataclass(frozen=True)
class Staging:
    model: Model
    env: str
    namespace: str  # where its Subscription, Placement and stagers live
    versions: tuple[str, ...]  # pinned by some enabled workload of the environment, sorted
    users: tuple[Workload, ...]  # those workloads, by namespace and name
    conjuncts: tuple[Conjunct, ...]
    cluster_sets: tuple[str, ...]
    tolerations: tuple[Toleration, ...]
    architectures: tuple[str, ...]  # the nodes the stager runs on; () = every node
    gpu: bool  # some user needs a GPU: the stager tolerates the GPU nodes' taint
    max_clusters: None = None
    predicates: tuple[Predicate, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.predicates:
            object.__setattr__(self, "predicates", conjoin(*(c.predicates for c in self.conjuncts)))

    @property
    def name(self) -> str:
        return self.model.name


def staging_hub_name(model: str, env: str) -> str:
    """The name of a staging's Subscription and Placement."""
    return short_name(model, 63, env)


def staging_release(model: str, env: str) -> str:
    """The staging's Helm release, `<model>-<env>` within 31 characters: ACM's subscription
    controller renames a longer release, and the stager's objects are named after it."""
    return short_name(model, 31, env)


def staging_argocd_name(model: str, namespace: str, env: str) -> str:
    """The Placement and ApplicationSet of a staging in the Argo CD namespace (delivery:
    applicationset): `<namespace>-<model>-<env>`, 63 at most; one namespace holds them all."""
    return short_name(f"{namespace}-{model}", 63, env)


def users_by_model(repo: Repo, env: str) -> dict[str, list[Workload]]:
    """The enabled workloads of `env` that mount a model, by model name, each list by
    namespace and name: one pass over the workloads (a pass per model was quadratic, 200
    models x 10,000 workloads at issue 17's scale)."""
    out: dict[str, list[Workload]] = {}
    for w in repo.workloads:
        ref = w.model
        if ref is not None and w.enabled_in(env):
            out.setdefault(ref.name, []).append(w)
    for users in out.values():
        users.sort(key=lambda w: (w.namespace, w.name))
    return out


@memo.lru(maxsize=256)
def _selected(selector: Selector) -> tuple[Predicate, ...]:
    """An environment's selector as a predicate: one object for all its stagings, which each
    hub's planner then evaluates once (it caches predicates by identity)."""
    return (Predicate(selector, everything()),)


def staging_for(repo: Repo, model: Model, env: str, users: list[Workload], namespace: str) -> Staging | None:
    """None when a reference does not resolve (reported by the rules)."""
    environment = repo.repository.environment(env)
    policy = repo.policies.get(model.placement)
    if environment is None or policy is None or not users:
        return None
    conjuncts = [Conjunct(f"model '{model.name}' (policy '{policy.name}')", policy.predicates)]
    if not environment.selector.is_empty():
        conjuncts.append(Conjunct(f"environment '{env}' ({environment.selector_text})",
                                  _selected(environment.selector)))
    specs = [w.spec_for(env) for w in users]
    archs: tuple[str, ...] = ()
    if all(s.get("architectures") for s in specs):
        archs = tuple(sorted({a for s in specs for a in s["architectures"]}))
        conjuncts.append(Conjunct(f"architectures {', '.join(archs)}",
                                  tuple(label_predicate(repo.repository.arch_label(a)) for a in archs)))
    tolerations = policy_tolerations(policy)
    return Staging(
        model=model,
        env=env,
        namespace=namespace,
        versions=tuple(sorted({w.model.version for w in users if w.model is not None})),
        users=tuple(users),
        conjuncts=tuple(conjuncts),
        cluster_sets=tuple(policy.cluster_sets or repo.repository.cluster_sets),
        tolerations=tuple(tolerations),
        architectures=archs,
        gpu=any(needs_gpu(s) for s in specs),
    )


# The stagings of a repository (the object, kept alive so its id stays its own), per
# environment and image-volume models: the snapshot, the model plans, the README and the
# compilers each ask for them, per hub view of a fleet (15 hubs x 4 askers at issue 17's 5x).
_found: dict[tuple[int, str, frozenset[str]], tuple[Repo, tuple[Staging, ...]]] = memo.held(
    "placement.staging.stagings", {})
# ... and per declarations (the workloads, kept alive, and a repository with them): the hub
# views of a fleet (Repo.for_hub) differ only in their default cluster sets, so the stagings
# are made once and each view re-sets the cluster sets of those whose policy names none.
_declared: dict[tuple[int, str, frozenset[str]], tuple[tuple[Workload, ...], Repo, tuple[Staging, ...]]] = \
    memo.held("placement.staging.declared", {})


def stagings(repo: Repo, env: str, image: frozenset[str] = frozenset()) -> list[Staging]:
    """The stagings of `env`, by model name (and namespace): models i4qew distributes that a
    workload uses, except those mounted as image volumes there (`image`,
    placement/image_volumes.py)."""
    key = (id(repo), env, image)
    got = _found.get(key)
    if got is None or got[0] is not repo:
        if len(_found) >= 256:
            _found.clear()
        got = _found[key] = (repo, _for_view(repo, env, image))
    return list(got[1])


def _for_view(repo: Repo, env: str, image: frozenset[str]) -> tuple[Staging, ...]:
    key = (id(repo.workloads), env, image)
    got = _declared.get(key)
    if got is None or got[0] is not repo.workloads or not _same_staging_inputs(got[1], repo):
        if len(_declared) >= 64:
            _declared.clear()
        got = _declared[key] = (repo.workloads, repo, tuple(_stagings(repo, env, image)))
    if got[1] is repo or got[1].repository.cluster_sets == repo.repository.cluster_sets:
        return got[2]
    default = tuple(repo.repository.cluster_sets)
    return tuple(s if s.cluster_sets == (sets := tuple(repo.policies[s.model.placement].cluster_sets or default))
                 else replace(s, cluster_sets=sets) for s in got[2])


def _same_staging_inputs(a: Repo, b: Repo) -> bool:
    """All a staging reads but the default cluster sets: the declarations and the models'
    namespace."""
    return same_declarations(a, b) and a.repository.models == b.repository.models


def _stagings(repo: Repo, env: str, image: frozenset[str]) -> list[Staging]:
    out = []
    using = users_by_model(repo, env)
    for model in repo.models.values():
        if model.external or model.name in image:
            continue
        users = using.get(model.name, [])
        if "persistentVolumeClaim" in model.storage:
            groups = {ns: [w for w in users if w.namespace == ns] for ns in sorted({w.namespace for w in users})}
        else:
            groups = {repo.repository.models.namespace: users}
        for ns, members in groups.items():
            s = staging_for(repo, model, env, members, ns)
            if s is not None:
                out.append(s)
    return out
