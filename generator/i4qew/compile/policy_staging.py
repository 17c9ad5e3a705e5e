"""The governance Policies of the models' namespace (`hub/apps/<models-ns>/policies.yaml`).

The stagers run in i4qew.yaml's `spec.models.namespace` on the clusters of each model's
staging placement; what they need there comes from the hub the way a workload's needs do
(compile/edge_policy.py), bound to the staging Placements instead of a workload's:

- the Model's `pullSecret`: the docker-registry Secret of that name in the models'
  namespace *on the hub*, copied with `{{hub fromSecret ...}}` (policy_pull.py), so no
  credential is in Git; pruned where the staging no longer lands;
- Pod Security labels on the namespace: a stager on a node writes a hostPath as root, which
  only `privileged` admits; Jobs on a PVC run as root without a hostPath, which `baseline`
  admits. enforce = warn = audit = that level (the namespace runs nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from i4qew.compile import Tree
from i4qew.compile.chart_yaml import dump
from i4qew.compile.edge_policy import POLICY_API, POLICY_GROUP, EdgePolicy, policy, policy_name
from i4qew.compile.hub_names import env_labels
from i4qew.compile.policy_psa import BASE_NAME, PSA_PREFIX
from i4qew.compile.policy_pull import base_name, copied_secret
from i4qew.model import Repo
from i4qew.placement.staging import Staging, staging_hub_name


def _psa(namespace: str, found: Sequence[Staging]) -> EdgePolicy:
    level = "privileged" if any("hostPath" in s.model.storage for s in found) else "baseline"
    labels = {f"{PSA_PREFIX}{mode}": level for mode in ("audit", "enforce", "warn")}
    template = {"complianceType": "musthave",
                "objectDefinition": {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": namespace, "labels": labels}}}
    return EdgePolicy(BASE_NAME, (template,), ())


def _binding(repo: Repo, env: str, namespace: str, s: Staging, policies: Sequence[str]) -> dict[str, Any]:
    rule_mode = repo.repository.placement_api == "PlacementRule"
    name = staging_hub_name(s.model.name, env)
    return {
        "apiVersion": POLICY_API,
        "kind": "PlacementBinding",
        "metadata": {"name": name, "namespace": namespace, "labels": env_labels(repo, env)},
        "placementRef": {
            "apiGroup": "apps.open-cluster-management.io" if rule_mode else "cluster.open-cluster-management.io",
            "kind": "PlacementRule" if rule_mode else "Placement",
            "name": name,
        },
        "subjects": [{"apiGroup": POLICY_GROUP, "kind": "Policy", "name": n} for n in policies],
    }


def staging_policies(repo: Repo, env: str, found: Sequence[Staging]) -> Tree:
    r = repo.repository
    namespace = r.models.namespace
    policies: dict[str, EdgePolicy] = {}
    needs: dict[str, list[str]] = {}
    for s in found:
        wanted: list[EdgePolicy] = []
        if r.pod_security_labels:
            wanted.append(_psa(namespace, found))
        if r.pull_secrets and s.model.pull_secret:
            wanted.append(EdgePolicy(base_name(s.model.pull_secret), (copied_secret(namespace, s.model.pull_secret),),
                                     (), prune="DeleteIfCreated"))
        for p in wanted:
            name = policy_name(namespace, p.base, env)
            policies[name] = p
            needs.setdefault(s.model.name, []).append(name)
    if not policies:
        return {}
    docs = [policy(repo, env, namespace, policies[n]) for n in sorted(policies)]
    docs += [_binding(repo, env, namespace, s, sorted(needs[s.model.name])) for s in found if s.model.name in needs]
    return {f"hub/apps/{namespace}/policies.yaml": b"".join(b"---\n" + dump(d) for d in docs)}
