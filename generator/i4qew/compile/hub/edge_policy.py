"""The generic part of the hub's governance Policies: what must hold on the edge
clusters a workload lands on, as an ACM Policy (policy.open-cluster-management.io/v1)
with one embedded ConfigurationPolicy, bound to the workload's own Placement by a
PlacementBinding.

A feature says *what* (an `EdgePolicy`: object templates and the workloads that
need them, compile/policy_*.py); this module says *how*: names, the Policy, the
binding. Hub templates (`{{hub ... hub}}`) in object templates are resolved by
the governance propagator on the hub, per cluster, restricted to the Policy's
own namespace; `fromSecret` output is encrypted there and decrypted by the
config-policy-controller on the cluster, so no credential is ever in Git.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from i4qew.compile.hub.names import env_labels, placement_name
from i4qew.k8s.names import POLICY_QUALIFIED_MAX, short_name
from i4qew.model.repo import Repo, Workload

POLICY_API: Final = "policy.open-cluster-management.io/v1"
POLICY_GROUP: Final = "policy.open-cluster-management.io"
MIN_POLICY_NAME: Final = 9  # short_name's hash suffix and one character (rules/governance.py)


@dataclass(frozen=True)
class EdgePolicy:
    """One Policy of a namespace: object templates the edge must have, bound to the
    Placements of `workloads` (all in that namespace)."""

    base: str  # the name before the environment suffix, e.g. "pod-security"
    templates: tuple[Mapping[str, Any], ...]
    workloads: tuple[Workload, ...]
    # DeleteIfCreated: the object goes when the Policy does (a copied credential);
    # None: it stays (a Namespace label must never delete the Namespace).
    prune: str = "None"
    severity: str = "high"


def policy_name(namespace: str, base: str, env: str) -> str:
    """`<base>-<env>`, shortened so namespace + name stay within ACM's 62."""
    return short_name(base, max(MIN_POLICY_NAME, POLICY_QUALIFIED_MAX - len(namespace)), env)


def policy(repo: Repo, env: str, namespace: str, p: EdgePolicy) -> dict[str, Any]:
    name = policy_name(namespace, p.base, env)
    config = {
        "apiVersion": POLICY_API,
        "kind": "ConfigurationPolicy",
        "metadata": {"name": name},
        "spec": {
            "remediationAction": "enforce",
            "severity": p.severity,
            "pruneObjectBehavior": p.prune,
            "object-templates": [dict(t) for t in p.templates],
        },
    }
    return {
        "apiVersion": POLICY_API,
        "kind": "Policy",
        "metadata": {"name": name, "namespace": namespace, "labels": env_labels(repo, env)},
        "spec": {
            "disabled": False,
            "remediationAction": "enforce",
            "policy-templates": [{"objectDefinition": config}],
        },
    }


def binding(repo: Repo, env: str, w: Workload, policies: Sequence[str]) -> dict[str, Any]:
    """Binds the workload's Placement (or PlacementRule) to the Policies it needs: the
    Policies land on exactly the clusters the workload does."""
    rule_mode = repo.repository.placement_api == "PlacementRule"
    return {
        "apiVersion": POLICY_API,
        "kind": "PlacementBinding",
        "metadata": {"name": placement_name(w.name, env), "namespace": w.namespace,
                     "labels": env_labels(repo, env, w)},
        "placementRef": {
            "apiGroup": "apps.open-cluster-management.io" if rule_mode else "cluster.open-cluster-management.io",
            "kind": "PlacementRule" if rule_mode else "Placement",
            "name": placement_name(w.name, env),
        },
        "subjects": [{"apiGroup": POLICY_GROUP, "kind": "Policy", "name": n} for n in policies],
    }
