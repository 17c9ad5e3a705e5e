"""The governance Policies of one environment's hub folder (`hub/apps/<ns>/policies.yaml`).

Each provider (compile/policy_*.py) says what the edge clusters of a
namespace's workloads must have; this module turns all of them into Policies
and one PlacementBinding per workload that binds its Placement to every Policy
it needs. Adding a feature (model pull secrets, ...) is one provider.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from i4qew.compile import Tree
from i4qew.compile.hub.edge_policy import EdgePolicy, binding, policy, policy_name
from i4qew.compile.hub.policy_psa import pod_security
from i4qew.compile.hub.policy_pull import pull_secrets
from i4qew.compile.yaml_writer import dump
from i4qew.model.repo import Repo, Workload

Provider = Callable[[Repo, str, str, Sequence[Workload]], list[EdgePolicy]]
PROVIDERS: Final[tuple[Provider, ...]] = (pod_security, pull_secrets)


def namespace_policies(repo: Repo, env: str, namespace: str, workloads: Sequence[Workload],
                       providers: Sequence[Provider] = PROVIDERS) -> list[dict[str, Any]]:
    """The Policies and PlacementBindings of one namespace, Policies first, each by name."""
    found: dict[str, EdgePolicy] = {}
    for provider in providers:
        for p in provider(repo, env, namespace, workloads):
            name = policy_name(namespace, p.base, env)
            if name in found and found[name] != p:
                raise ValueError(f"two providers made Policy {namespace}/{name}")
            found[name] = p
    subjects: dict[str, list[str]] = {}
    for name, p in found.items():
        for w in p.workloads:
            subjects.setdefault(w.name, []).append(name)
    docs = [policy(repo, env, namespace, found[n]) for n in sorted(found)]
    docs += [binding(repo, env, w, sorted(subjects[w.name])) for w in workloads if w.name in subjects]
    return docs


def compile_policies(repo: Repo, env: str, by_namespace: Mapping[str, Sequence[Workload]],
                     image: frozenset[str] = frozenset()) -> Tree:
    """`hub/apps/<ns>/policies.yaml` for every namespace with a Policy; `by_namespace`
    holds the workloads the hub places in `env` (compile_hub's), by name; `image` the
    models mounted as image volumes there (their pull secrets are the pods')."""
    tree: Tree = {}
    providers = (pod_security, functools.partial(pull_secrets, image=image)) if image else PROVIDERS
    for ns, workloads in sorted(by_namespace.items()):
        docs = namespace_policies(repo, env, ns, sorted(workloads, key=lambda w: w.name), providers)
        if docs:
            tree[f"hub/apps/{ns}/policies.yaml"] = b"".join(b"---\n" + dump(d) for d in docs)
    return tree
