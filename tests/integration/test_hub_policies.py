"""The hub's governance Policies (compile/hub/policies.py): Pod Security labels and
pull secrets land on exactly the clusters a workload does, with the level the
deployed pods allow, and no credential in the tree. CRD conformance of the
Policies, their embedded ConfigurationPolicies and the PlacementBindings is
test_hub_crds.py's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.policy_pull import base_name
from i4qew.compile.hub.staging import MODEL_LABEL
from i4qew.compile.hub.subscription import compile_hub
from i4qew.k8s.names import POLICY_QUALIFIED_MAX
from i4qew.model.repo import Repo
from tests.support.charts import valid_repo
from tests.support.crds import crd_errors
from tests.support.repos import copy_repo, load
from tests.support.tools import ROOT, crds_dir

PSA = "pod-security.kubernetes.io/"
HUB_TEMPLATE = re.compile(r'\{\{hub fromSecret "([^"]+)" "([^"]+)" "([^"]+)" hub\}\}')


def docs(repo: Repo, env: str) -> list[dict[str, Any]]:
    return [d for data in compile_hub(repo, env).values() for d in yaml.safe_load_all(data)]


def of_kind(found: list[dict[str, Any]], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in found if d["kind"] == kind}


def config(policy: dict[str, Any]) -> dict[str, Any]:
    (template,) = policy["spec"]["policy-templates"]
    obj: dict[str, Any] = template["objectDefinition"]
    return obj


def labels(found: list[dict[str, Any]], namespace: str) -> dict[str, str]:
    (policy,) = [p for (ns, name), p in of_kind(found, "Policy").items() if ns == namespace and name.startswith("pod-security-")]
    (tpl,) = config(policy)["spec"]["object-templates"]
    assert tpl["objectDefinition"]["kind"] == "Namespace" and tpl["objectDefinition"]["metadata"]["name"] == namespace
    out: dict[str, str] = tpl["objectDefinition"]["metadata"]["labels"]
    return out


def edit(root: Path, name: str, old: str, new: str) -> None:
    text = (root / name).read_text()
    assert old in text, f"{name} changed: update the test"
    (root / name).write_text(text.replace(old, new))


@pytest.mark.parametrize("env", ["dev", "production"])
def test_every_workload_binds_its_own_placement_to_the_policies_it_needs(env: str) -> None:
    repo = valid_repo(ROOT)
    found = docs(repo, env)
    placements = of_kind(found, "Placement")
    policies = of_kind(found, "Policy")
    bindings = of_kind(found, "PlacementBinding")
    # a model's staging Placement (compile/hub/staging.py) binds the Policies its stagers need
    staging = {key for key, p in placements.items() if MODEL_LABEL in p["metadata"]["labels"]}
    bound: set[tuple[str, str]] = set()
    for (ns, name), b in bindings.items():
        ref = b["placementRef"]
        assert (ref["kind"], ref["apiGroup"]) == ("Placement", "cluster.open-cluster-management.io")
        assert (ns, ref["name"]) in placements, "a binding names the workload's own Placement, in its namespace"
        subjects = [s["name"] for s in b["subjects"]]
        if (ns, ref["name"]) in staging:
            assert ref["name"] == name and all(s.startswith(("model-pull-", "pod-security-")) for s in subjects)
        else:
            assert f"pod-security-{env}" in subjects
        for s in subjects:
            assert (ns, s) in policies
            bound.add((ns, s))
    assert set(policies) == bound, "every Policy is placed by some workload"
    workloads = {(w.namespace, f"{w.name}-{env}") for w in repo.workloads if w.enabled_in(env)}
    assert set(bindings) - staging == workloads
    for (ns, name) in policies:
        assert len(ns) + len(name) <= POLICY_QUALIFIED_MAX


def test_pull_secrets_are_copied_from_the_hub_namespace_never_written_down() -> None:
    repo = valid_repo(ROOT)
    found = docs(repo, "production")
    pulls = {k: p for k, p in of_kind(found, "Policy").items() if k[1].startswith("pull-")}
    assert {ns for ns, _ in pulls} == {"i4q-lrt", "i4q-pm", "i4q-vision"}  # defaults.imagePullSecrets
    for (ns, _), p in pulls.items():
        spec = config(p)["spec"]
        assert spec["pruneObjectBehavior"] == "DeleteIfCreated"
        (tpl,) = spec["object-templates"]
        secret = tpl["objectDefinition"]
        assert (secret["kind"], secret["type"], secret["metadata"]) == (
            "Secret", "kubernetes.io/dockerconfigjson", {"name": "i4qregistry", "namespace": ns})
        (value,) = secret["data"].values()
        # the propagator resolves hub templates only in the Policy's own namespace
        assert HUB_TEMPLATE.fullmatch(value).groups() == (ns, "i4qregistry", ".dockerconfigjson")  # type: ignore[union-attr]
    text = b"".join(compile_hub(repo, "production").values()).decode()
    assert "dockercfg" not in text and "auths" not in text


def test_pod_security_levels_follow_what_is_deployed(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    repo = load(root)
    found = docs(repo, "dev")
    # a hostPath model fails baseline: enforce what runs, warn and audit the intention
    assert labels(found, "i4q-lrt") == {f"{PSA}audit": "restricted", f"{PSA}enforce": "privileged",
                                        f"{PSA}warn": "restricted"}
    # the vision models are on a PVC: restricted holds
    assert labels(found, "i4q-vision") == {f"{PSA}audit": "restricted", f"{PSA}enforce": "restricted",
                                           f"{PSA}warn": "restricted"}
    # a workload allowed to run as root (the default guardrail warns) brings enforce to baseline
    edit(root, "workloads/object-detection.yaml", "  replicas: 1\n", "  replicas: 1\n  securityContext: {runAsUser: 0}\n")
    found = docs(load(root), "dev")
    assert labels(found, "i4q-vision")[f"{PSA}enforce"] == "baseline"
    # a baseline guardrail is what the namespace warns and audits at
    edit(root, "i4qew.yaml", "  defaults:\n",
         "  guardrails:\n    namespaces:\n      - {match: [i4q-vision], podSecurity: baseline}\n  defaults:\n")
    assert labels(docs(load(root), "dev"), "i4q-vision") == {
        f"{PSA}audit": "baseline", f"{PSA}enforce": "baseline", f"{PSA}warn": "baseline"}


def test_governance_can_be_turned_off(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    edit(root, "i4qew.yaml", "  defaults:\n", "  governance: {podSecurityLabels: false}\n  defaults:\n")
    found = docs(load(root), "dev")
    # what is left: pull secrets copied, for the workloads (pull-) and the model stagers (model-pull-)
    kinds = {"pull" if n.startswith("pull-") else "model-pull" if n.startswith("model-pull-") else n
             for _, n in of_kind(found, "Policy")}
    assert kinds == {"pull", "model-pull"}
    edit(root, "i4qew.yaml", "podSecurityLabels: false}", "podSecurityLabels: false, pullSecrets: false}")
    found = docs(load(root), "dev")
    assert of_kind(found, "Policy") == {} and of_kind(found, "PlacementBinding") == {}
    assert not any(path.endswith("policies.yaml") for path in compile_hub(load(root), "dev"))


def test_placement_rule_hubs_bind_the_rule(tmp_path: Path) -> None:
    from tests.support.repos import variant_repo

    repo = load(variant_repo(tmp_path / "rule"))
    for b in of_kind(docs(repo, "dev"), "PlacementBinding").values():
        assert (b["placementRef"]["kind"], b["placementRef"]["apiGroup"]) == (
            "PlacementRule", "apps.open-cluster-management.io")


def test_names_fit_acm_at_the_widest_namespace_and_dotted_secrets(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    wide = "v" * 53
    edit(root, "workloads/sktime.yaml", "namespace: i4q-lrt", f"namespace: {wide}")
    edit(root, "workloads/sktime.yaml", "imagePullSecrets: [i4qregistry]",
         "imagePullSecrets: [i4qregistry, registry.example.com]")
    found = docs(load(root), "production")
    names = [name for ns, name in of_kind(found, "Policy") if ns == wide]
    assert len(names) == 3 and all(len(wide) + len(n) <= POLICY_QUALIFIED_MAX for n in names)
    assert all("." not in n for n in names)
    assert base_name("registry.example.com") != base_name("registry-example-com")


def test_the_strict_schema_checks_the_embedded_configuration_policy() -> None:
    crds_dir()
    policy = {
        "apiVersion": "policy.open-cluster-management.io/v1", "kind": "Policy",
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {"disabled": False, "remediationAction": "enforce", "policy-templates": [{"objectDefinition": {
            "apiVersion": "policy.open-cluster-management.io/v1", "kind": "ConfigurationPolicy",
            "metadata": {"name": "p"},
            "spec": {"remediationAction": "enforce", "object-templates": [
                {"complianceType": "musthave", "objectDefinition": {"kind": "Namespace"}}]}}}]},
    }
    assert crd_errors(policy) == []
    policy["spec"]["policy-templates"][0]["objectDefinition"]["spec"]["pruneObjectBehaviour"] = "None"  # type: ignore[index]
    assert any("pruneObjectBehaviour" in e for e in crd_errors(policy))
    binding = {"apiVersion": "policy.open-cluster-management.io/v1", "kind": "PlacementBinding",
               "metadata": {"name": "b", "namespace": "n"},
               "placementRef": {"apiGroup": "cluster.open-cluster-management.io", "kind": "PlacementRule", "name": "p"},
               "subjects": [{"apiGroup": "policy.open-cluster-management.io", "kind": "Policy", "name": "p"}]}
    assert crd_errors(binding) != []  # a Placement group with the PlacementRule kind
