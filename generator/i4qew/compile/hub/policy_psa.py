"""Pod Security Admission labels on the workload namespaces of the edge clusters.

k3s enforces no Pod Security by default, so a pod made by hand in a workload
namespace would meet no line at all. The namespace gets
`pod-security.kubernetes.io/{enforce,warn,audit}` through a ConfigurationPolicy
placed like the namespace's workloads:

- warn and audit: the level the namespace's guardrail intends (podSecurity);
- enforce: the highest level at or below it that every pod i4qew deploys there
  in this environment meets (guardrails/pss.py on the rendered securityContext
  and volumes). A model on a hostPath fails baseline (hostPathVolumes), so a
  namespace with one enforces privileged and warns and audits the intended
  level; a workload allowed to run as root brings restricted down to baseline.

Labels only (musthave, never pruned): the Namespace is never deleted by the
Policy, and a level i4qew no longer sets stays until the platform changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from i4qew.compile.hub.edge_policy import EdgePolicy
from i4qew.guardrails.pss import Level, level
from i4qew.guardrails.security import security
from i4qew.model.repo import Repo, Workload

PSA_PREFIX: Final = "pod-security.kubernetes.io/"
BASE_NAME: Final = "pod-security"


def volume_kinds(repo: Repo, w: Workload) -> tuple[str, ...]:
    """The pod's volume kinds that matter to the standards (the chart's model volume)."""
    ref = w.model
    model = repo.models.get(ref.name) if ref else None
    if model is not None and "hostPath" in model.storage:
        return ("hostPath",)
    return ()


def deployed_level(repo: Repo, env: str, w: Workload) -> Level:
    return level(security(w.spec_for(env)), volume_kinds(repo, w))


def namespace_levels(repo: Repo, env: str, namespace: str, workloads: Sequence[Workload]) -> tuple[Level, Level]:
    """(enforced, intended) Pod Security level of `namespace` in `env`."""
    intended = repo.repository.guardrails.for_namespace(namespace).pod_security
    enforced = min([intended, *(deployed_level(repo, env, w) for w in workloads)])
    return enforced, intended


def pod_security(repo: Repo, env: str, namespace: str, workloads: Sequence[Workload]) -> list[EdgePolicy]:
    if not repo.repository.pod_security_labels or not workloads:
        return []
    enforced, intended = namespace_levels(repo, env, namespace, workloads)
    labels = {f"{PSA_PREFIX}audit": intended.label, f"{PSA_PREFIX}enforce": enforced.label,
              f"{PSA_PREFIX}warn": intended.label}
    template = {
        "complianceType": "musthave",
        "objectDefinition": {"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": namespace, "labels": labels}},
    }
    return [EdgePolicy(BASE_NAME, (template,), tuple(workloads))]
