"""The governance Policies of the models' namespace (`hub/apps/<models-ns>/policies.yaml`).

The stagers run where each model's staging lives (placement/staging.py) on the clusters of
its staging placement; what they need there comes from the hub the way a workload's needs
do (compile/edge_policy.py), bound to the staging Placements instead of a workload's:

- the Model's `pullSecret`: the docker-registry Secret of that name in the staging's
  namespace *on the hub*, copied with `{{hub fromSecret ...}}` (policy_pull.py), so no
  credential is in Git; pruned where the staging no longer lands;
- Pod Security labels on the models' namespace: a stager on a node writes a hostPath as
  root, which only `privileged` admits (enforce = warn = audit: the namespace runs nothing
  else). A PVC model's Jobs run in a workload namespace as a non-root user, which the
  namespace's own level (policy_psa.py) admits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from i4qew.compile import Tree
from i4qew.compile.hub.edge_policy import POLICY_API, POLICY_GROUP, EdgePolicy, policy, policy_name
from i4qew.compile.hub.names import env_labels
from i4qew.compile.hub.policy_psa import BASE_NAME, PSA_PREFIX
from i4qew.compile.hub.policy_pull import base_name, copied_secret
from i4qew.compile.yaml_writer import dump
from i4qew.model.repo import Repo
from i4qew.placement.staging import Staging, staging_hub_name

MODEL_PREFIX = "model-"  # `model-pull-<secret>`: never the name of a workload's pull-secret Policy


def _psa(namespace: str) -> EdgePolicy:
    labels = {f"{PSA_PREFIX}{mode}": "privileged" for mode in ("audit", "enforce", "warn")}
    template = {"complianceType": "musthave",
                "objectDefinition": {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": namespace, "labels": labels}}}
    return EdgePolicy(BASE_NAME, (template,), ())


def _binding(repo: Repo, env: str, s: Staging, policies: Sequence[str]) -> dict[str, Any]:
    rule_mode = repo.repository.placement_api == "PlacementRule"
    name = staging_hub_name(s.model.name, env)
    return {
        "apiVersion": POLICY_API,
        "kind": "PlacementBinding",
        "metadata": {"name": name, "namespace": s.namespace, "labels": env_labels(repo, env)},
        "placementRef": {
            "apiGroup": "apps.open-cluster-management.io" if rule_mode else "cluster.open-cluster-management.io",
            "kind": "PlacementRule" if rule_mode else "Placement",
            "name": name,
        },
        "subjects": [{"apiGroup": POLICY_GROUP, "kind": "Policy", "name": n} for n in policies],
    }


def _namespace_docs(repo: Repo, env: str, namespace: str, here: Sequence[Staging]) -> list[dict[str, Any]]:
    r = repo.repository
    policies: dict[str, EdgePolicy] = {}
    needs: dict[str, list[str]] = {}
    for s in here:
        wanted: list[EdgePolicy] = []
        if r.pod_security_labels and namespace == r.models.namespace:
            wanted.append(_psa(namespace))
        if r.pull_secrets and s.model.pull_secret:
            wanted.append(EdgePolicy(MODEL_PREFIX + base_name(s.model.pull_secret),
                                     (copied_secret(namespace, s.model.pull_secret),), (), prune="DeleteIfCreated"))
        for p in wanted:
            name = policy_name(namespace, p.base, env)
            policies[name] = p
            needs.setdefault(s.model.name, []).append(name)
    docs = [policy(repo, env, namespace, policies[n]) for n in sorted(policies)]
    return docs + [_binding(repo, env, s, sorted(needs[s.model.name])) for s in here if s.model.name in needs]


def staging_policies(repo: Repo, env: str, found: Sequence[Staging]) -> Tree:
    """`hub/apps/<models-ns>/policies.yaml`, and `hub/apps/<ns>/model-policies.yaml` in a
    workload namespace with a PVC model's staging (policies.yaml there is the workloads')."""
    by_ns: dict[str, list[Staging]] = {}
    for s in found:
        by_ns.setdefault(s.namespace, []).append(s)
    tree: Tree = {}
    for ns, here in sorted(by_ns.items()):
        docs = _namespace_docs(repo, env, ns, here)
        if docs:
            name = "policies.yaml" if ns == repo.repository.models.namespace else "model-policies.yaml"
            tree[f"hub/apps/{ns}/{name}"] = b"".join(b"---\n" + dump(d) for d in docs)
    return tree
