"""Tolerations: what OCM's scheduler accepts in a Placement.

The API server stores any toleration the CRD allows, but the scheduler's
TaintToleration filter refuses two forms before it decides anything, and the
whole Placement then selects no cluster (PlacementMisconfigured=True):
an empty key with an operator other than Exists, and Exists with a value
(open-cluster-management.io/ocm pkg/placement/plugins/tainttoleration/
taint_toleration.go, the "misconfigured" check; docs/placement.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.registry import local, rule
from i4qew.text import shorten

_EMPTY_KEY = "If the key is empty, operator must be Exists."
_EXISTS_VALUE = "If the operator is Exists, the value should be empty."


@local
@rule(
    "toleration",
    "a toleration is one OCM's scheduler accepts: an empty key only with operator Exists, "
    "a value only with operator Equal",
    passing=(
        "# policies/edge.yaml\n"
        "spec:\n"
        "  tolerations: [{key: example.com/maintenance, operator: Exists}]"
    ),
    failing=(
        "# policies/edge.yaml\n"
        "spec:\n"
        "  tolerations: [{operator: Equal, value: planned}]   # no key: the Placement selects nothing"
    ),
)
def check_tolerations(repo: Repo) -> Iterator[Problem]:
    for policy in repo.policies.values():
        for i, raw in enumerate(policy.doc.data["spec"].get("tolerations") or ()):
            key, operator, value = raw.get("key") or "", raw.get("operator", "Equal"), raw.get("value") or ""
            what = f"toleration {i + 1} of policy '{policy.name}'"
            if not key and operator != "Exists":
                yield policy.doc.problem(
                    ("spec", "tolerations", i), "toleration",
                    f"{what} has no key and operator {operator}{'' if 'operator' in raw else ' (the default)'}: OCM's scheduler refuses the whole Placement "
                    f"({_EMPTY_KEY!r}) and it selects no cluster; give the taint's key, or use operator: Exists "
                    "to tolerate every taint")
            elif operator == "Exists" and value:
                yield policy.doc.problem(
                    ("spec", "tolerations", i, "value"), "toleration",
                    f"{what} has operator Exists and value {shorten(value)!r}: OCM's scheduler refuses the whole "
                    f"Placement ({_EXISTS_VALUE!r}) and it selects no cluster; drop the value, or use operator: "
                    "Equal to tolerate only that value")
