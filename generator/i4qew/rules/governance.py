"""What the hub's governance Policies (spec.governance of i4qew.yaml) need from
the declarations: a namespace short enough to hold a Policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from i4qew.k8s.names import POLICY_QUALIFIED_MAX, dns1123_label
from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import KeyPath

# A Policy name needs room for short_name's 8-character hash and one more character.
MAX_NAMESPACE: Final = POLICY_QUALIFIED_MAX - 9


@local
@rule(
    "policy-namespace",
    f"a workload namespace has at most {MAX_NAMESPACE} characters while i4qew generates ACM Policies into it "
    f"(spec.governance): ACM refuses a Policy whose namespace and name exceed {POLICY_QUALIFIED_MAX}",
    passing=(
        "# workloads/app.yaml\n"
        "metadata: {name: app, namespace: vision}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "metadata: {name: app, namespace: a-namespace-name-of-sixty-characters-for-the-vision-team-x}"
    ),
)
def check_namespace(repo: Repo) -> Iterator[Problem]:
    r = repo.repository
    if not (r.pod_security_labels or r.pull_secrets):
        return
    for w in repo.workloads:
        if len(w.namespace) <= MAX_NAMESPACE or dns1123_label(w.namespace) is not None:
            continue  # short enough, or not a namespace at all (name-format says so)
        if not r.pod_security_labels and not w.spec.get("imagePullSecrets"):
            continue  # no Policy lands in this namespace
        path: KeyPath = ("metadata", "namespace") if "namespace" in w.doc.data["metadata"] else ("metadata",)
        yield w.doc.problem(path, "policy-namespace",
                            f"namespace '{w.namespace}' has {len(w.namespace)} characters; the Pod Security and "
                            f"pull secret Policies i4qew puts there need namespace + name within "
                            f"{POLICY_QUALIFIED_MAX} (ACM's policy webhook): use at most {MAX_NAMESPACE}, or turn "
                            "spec.governance off in i4qew.yaml")
