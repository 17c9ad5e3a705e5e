"""Image pull secrets on the edge clusters, copied from the hub (no credential in Git).

For each Secret a workload names in imagePullSecrets, a ConfigurationPolicy
creates it in the workload's namespace on exactly the clusters the workload
lands on (placed by the workloads that name it), its `.dockerconfigjson` read
from the Secret of the same name in the same namespace *on the hub* with a hub
template:

    {{hub fromSecret "<namespace>" "<secret>" ".dockerconfigjson" hub}}

Hub templates may only read the Policy's own namespace, so the platform keeps
one docker-registry Secret per workload namespace on the hub
(docs/guardrails.md). The propagator encrypts `fromSecret` output per cluster;
the copy is pruned from a cluster when its Policy no longer applies there
(pruneObjectBehavior DeleteIfCreated). Model pull secrets reuse this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from i4qew.compile.hub.edge_policy import EdgePolicy
from i4qew.model.repo import Repo, Workload

DOCKER_CONFIG: Final = ".dockerconfigjson"
SECRET_TYPE: Final = "kubernetes.io/dockerconfigjson"


def pull_secret_names(spec: Mapping[str, Any]) -> list[str]:
    """The Secret names of spec.imagePullSecrets, in order, once each."""
    names: list[str] = []
    for s in spec.get("imagePullSecrets") or ():
        name = s if isinstance(s, str) else s["name"]
        if name not in names:
            names.append(name)
    return names


def base_name(secret: str) -> str:
    """`pull-<secret>`; a Secret name may hold dots, a Policy name here does not."""
    if "." not in secret:
        return f"pull-{secret}"
    return f"pull-{secret.replace('.', '-')}-{hashlib.sha256(secret.encode()).hexdigest()[:6]}"


def copied_secret(namespace: str, secret: str, key: str = DOCKER_CONFIG) -> dict[str, Any]:
    """The object template of one Secret copied from the hub namespace `namespace`."""
    return {
        "complianceType": "musthave",
        "objectDefinition": {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": SECRET_TYPE,
            "metadata": {"name": secret, "namespace": namespace},
            "data": {key: f'{{{{hub fromSecret "{namespace}" "{secret}" "{key}" hub}}}}'},
        },
    }


def secret_policies(namespace: str, users: Mapping[str, Iterable[Workload]]) -> list[EdgePolicy]:
    """One Policy per Secret name, bound to the workloads that use it."""
    return [EdgePolicy(base_name(secret), (copied_secret(namespace, secret),), tuple(ws), prune="DeleteIfCreated")
            for secret, ws in sorted(users.items())]


def pull_secrets(repo: Repo, env: str, namespace: str, workloads: Sequence[Workload],
                 image: frozenset[str] = frozenset()) -> list[EdgePolicy]:
    """`image`: the models mounted as image volumes in `env`: the kubelet pulls those with
    the pod's pull secrets, so a Model's pullSecret is copied like the workload's own."""
    if not repo.repository.pull_secrets:
        return []
    users: dict[str, list[Workload]] = {}
    for w in workloads:
        names = pull_secret_names(w.spec_for(env))
        model = repo.models.get(w.model.name) if w.model is not None and w.model.name in image else None
        if model is not None and model.pull_secret and model.pull_secret not in names:
            names.append(model.pull_secret)
        for name in names:
            users.setdefault(name, []).append(w)
    return secret_policies(namespace, users)
