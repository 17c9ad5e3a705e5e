"""Every generated hub resource against the real ACM/OCM CRDs (../shared/schemas/crds).

The CRDs' openAPIV3Schema is turned into a strict JSON Schema: unknown fields are
rejected (`additionalProperties: false` on every object schema that declares
properties and does not preserve unknown fields), `x-kubernetes-int-or-string`
becomes integer-or-string, and `metadata` (which CRDs leave as a bare object) is
checked as ObjectMeta's name/namespace/labels/annotations. Namespaces go through
kubernetes-validate --strict, for an older Kubernetes common on k3s and a current one.
"""

from __future__ import annotations

import copy
import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from i4qew.compile.hub import compile_hub
from i4qew.model import Repo
from i4qew.validation import validate_repo
from tests.tools import ROOT, crds_dir, require

OBJECT_META: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "namespace": {"type": "string", "minLength": 1, "maxLength": 63},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

# (apiVersion, kind) -> CRD files, the primary copy first, then the variants that
# older hubs serve (a resource must fit both).
CRDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("apps.open-cluster-management.io/v1", "Channel"): ("apps.open-cluster-management.io_Channel_v1.yaml",),
    ("apps.open-cluster-management.io/v1", "Subscription"): ("apps.open-cluster-management.io_Subscription_v1.yaml",),
    ("apps.open-cluster-management.io/v1", "PlacementRule"): ("apps.open-cluster-management.io_PlacementRule_v1.yaml",),
    ("cluster.open-cluster-management.io/v1beta1", "Placement"): (
        "cluster.open-cluster-management.io_Placement_v1beta1.yaml",
        "variants/cluster.open-cluster-management.io_Placement_v1beta1.api-v1.1.0.yaml",
    ),
    ("cluster.open-cluster-management.io/v1beta2", "ManagedClusterSetBinding"): (
        "cluster.open-cluster-management.io_ManagedClusterSetBinding_v1beta2.yaml",
    ),
    ("app.k8s.io/v1beta1", "Application"): (
        "app.k8s.io_Application_v1beta1.yaml",
        "variants/app.k8s.io_Application_v1beta1.acm-bundled.yaml",
    ),
    ("policy.open-cluster-management.io/v1", "Policy"): ("policy.open-cluster-management.io_Policy_v1.yaml",),
    ("policy.open-cluster-management.io/v1", "PlacementBinding"): (
        "policy.open-cluster-management.io_PlacementBinding_v1.yaml",
    ),
    ("policy.open-cluster-management.io/v1", "ConfigurationPolicy"): (
        "policy.open-cluster-management.io_ConfigurationPolicy_v1.yaml",
    ),
}


def strict(schema: Any, *, branch: bool = False) -> Any:
    """The CRD schema as a JSON Schema that rejects what the API server would prune.

    anyOf/allOf/oneOf/not branches only validate (a structural schema declares its
    fields outside them), so no unknown-field rule is added inside a branch."""
    if isinstance(schema, list):
        return [strict(s, branch=branch) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v, branch=branch or k in ("anyOf", "allOf", "oneOf", "not"))
           if k in ("properties", "items", "additionalProperties", "anyOf", "allOf", "oneOf", "not")
           else v for k, v in schema.items()}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: strict(v, branch=branch) for k, v in schema["properties"].items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if ("properties" in out and not out.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in out and not branch):
        out["additionalProperties"] = False
    return out


@functools.cache
def validators(api_version: str, kind: str) -> tuple[jsonschema.protocols.Validator, ...]:
    version = api_version.rsplit("/", 1)[-1]
    out = []
    for name in CRDS[(api_version, kind)]:
        crd = yaml.safe_load((crds_dir() / name).read_text())
        assert crd["spec"]["names"]["kind"] == kind
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version and v.get("served", True)]
        schema = strict(copy.deepcopy(served["schema"]["openAPIV3Schema"]))
        schema["properties"]["metadata"] = OBJECT_META
        schema["properties"]["apiVersion"] = {"const": api_version}
        schema["properties"]["kind"] = {"const": kind}
        # PlacementBinding has no spec: placementRef and subjects sit at the top
        top = ("spec",) if "spec" in schema["properties"] else ()
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata", *top})
        jsonschema.Draft202012Validator.check_schema(schema)
        out.append(jsonschema.Draft202012Validator(schema))
    return tuple(out)


def crd_errors(doc: dict[str, Any]) -> list[str]:
    """Schema violations of one hub resource (empty when it is valid). A Policy's CRD
    keeps its templates' objectDefinition as unknown fields: each embedded policy
    (a ConfigurationPolicy) is checked against its own CRD."""
    errors = [f"{doc['kind']} {doc['metadata'].get('name')}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
              for v in validators(doc["apiVersion"], doc["kind"]) for e in v.iter_errors(doc)]
    if doc["kind"] == "Policy":
        for template in (doc.get("spec") or {}).get("policy-templates") or ():
            errors += [f"{doc['kind']} {doc['metadata'].get('name')}: template {e}"
                       for e in crd_errors(template["objectDefinition"])]
    return errors


def copy_repo(dest: Path, src: Path = ROOT) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("i4qew.yaml", "workloads", "policies", "models", "clusters"):
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name)
        else:
            shutil.copy2(src / name, dest / name)
    return dest


def variant_repo(dest: Path, *, api: str = "PlacementRule", tolerate_offline: bool = True) -> Path:
    """This repository with the two placements a PlacementRule cannot express made
    expressible (one architecture for sktime; the CNC gateways chosen by site, an OR
    over one key that folds into `site in (...)`), and `api` as its placementApi."""
    copy_repo(dest)
    edits = {
        "i4qew.yaml": ("placementApi: Placement", f"placementApi: {api}"),
        "workloads/sktime.yaml": ("architectures: [amd64, arm64]", "architectures: [amd64]"),
        "policies/vision.yaml": (
            '  anyOf:\n    - selector: "role=cnc-gateway"\n    - matchLabels: {site: ljubljana}\n'
            "      matchExpressions:\n        - {key: tier, operator: In, values: [far-edge]}\n",
            ("  tolerateOffline: false\n" if not tolerate_offline else "")
            + '  anyOf:\n    - selector: "site=ljubljana"\n    - selector: "site=porto"\n',
        ),
    }
    for name, (old, new) in edits.items():
        text = (dest / name).read_text()
        assert old in text, f"{name} changed: update variant_repo"
        (dest / name).write_text(text.replace(old, new))
    return dest


# validate reports what the hub compiler cannot express (placement-api,
# delivery-unsupported) too; these tests exercise the compiler's own reporting.
HUB_RULES = {"placement-api", "delivery-unsupported"}


def load(root: Path) -> Repo:
    result = validate_repo(root)
    others = [p.format() for p in result.problems if p.rule not in HUB_RULES and p.severity.value == "error"]
    assert not others, others
    assert result.repo is not None
    return result.repo


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Repo]:
    return {"Placement": load(ROOT), "PlacementRule": load(variant_repo(tmp_path_factory.mktemp("rule")))}


def hub_docs(repo: Repo, env: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, data in compile_hub(repo, env).items():
        for doc in yaml.safe_load_all(data):
            yield path, doc


@pytest.mark.parametrize("env", ["dev", "production"])
@pytest.mark.parametrize("mode", ["Placement", "PlacementRule"])
def test_every_hub_resource_fits_its_crd(repos: dict[str, Repo], mode: str, env: str) -> None:
    kinds: set[str] = set()
    errors: list[str] = []
    for path, doc in hub_docs(repos[mode], env):
        kinds.add(doc["kind"])
        if doc["kind"] != "Namespace":
            errors += [f"{path}: {e}" for e in crd_errors(doc)]
    assert errors == []
    expected = {"Namespace", "Channel", "Subscription", "Application", "Policy", "PlacementBinding"}
    expected |= {"PlacementRule"} if mode == "PlacementRule" else {"Placement", "ManagedClusterSetBinding"}
    assert kinds == expected


@pytest.mark.parametrize("env", ["dev", "staging", "production"])
def test_every_repository_option_fits_the_crds(env: str) -> None:
    """The full-featured case sets every option that reaches the hub (caFile ->
    configMapRef, reconcileRate -> the Channel's reconcile-rate annotation,
    watchHelmNamespaceScopedResources on each Subscription); the ConfigMap is checked
    by kubernetes-validate in test_real_hub."""
    repo = load(ROOT / "tests" / "cases" / "positive" / "full-featured")
    kinds: set[str] = set()
    errors: list[str] = []
    for path, doc in hub_docs(repo, env):
        kinds.add(doc["kind"])
        if doc["kind"] not in ("Namespace", "ConfigMap"):
            errors += [f"{path}: {e}" for e in crd_errors(doc)]
    assert errors == []
    assert {"Channel", "ConfigMap", "Subscription"} <= kinds


def test_the_strict_schema_rejects_what_the_crd_does_not_know() -> None:
    """The check above can fail: unknown fields, wrong types and bad int-or-string values are caught."""
    placement = {
        "apiVersion": "cluster.open-cluster-management.io/v1beta1", "kind": "Placement",
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {"predicates": [{"requiredClusterSelector": {"labelSelector": {"matchLabel": {"a": "b"}}}}]},
    }
    assert any("matchLabel" in e for e in crd_errors(placement))
    placement["spec"] = {"numberOfClusters": "2"}
    assert any("numberOfClusters" in e for e in crd_errors(placement))
    placement["spec"] = {"decisionStrategy": {"groupStrategy": {"clustersPerDecisionGroup": "25%"}}}
    assert crd_errors(placement) == []
    placement["spec"] = {"decisionStrategy": {"groupStrategy": {"clustersPerDecisionGroup": 2.5}}}
    assert crd_errors(placement) != []
    placement["spec"] = {}
    placement["metadata"] = {"name": "p", "namespace": "n", "uid": "x"}
    assert any("uid" in e for e in crd_errors(placement))
    subscription = {"apiVersion": "apps.open-cluster-management.io/v1", "kind": "Subscription",
                    "metadata": {"name": "s"}, "spec": {"placement": {"local": True}}}
    assert any("channel" in e for e in crd_errors(subscription))
    subscription["spec"] = {"channel": "c/c", "watchHelmNamespacedResources": True}
    assert any("watchHelmNamespacedResources" in e for e in crd_errors(subscription))
    channel = {"apiVersion": "apps.open-cluster-management.io/v1", "kind": "Channel",
               "metadata": {"name": "c"}, "spec": {"type": "Git", "pathname": "https://g/x.git",
                                                   "configMapRef": {"name": "ca"}}}
    assert crd_errors(channel) == []
    channel["spec"]["caConfigMapRef"] = {"name": "ca"}
    assert any("caConfigMapRef" in e for e in crd_errors(channel))


@pytest.mark.parametrize("k8s", ["1.28.0", "1.37.0"])
def test_namespaces_pass_kubernetes_validate_strict(repos: dict[str, Repo], tmp_path: Path, k8s: str) -> None:
    tool = require("kubernetes-validate")
    files = []
    for env in ("dev", "production"):
        for i, (_, doc) in enumerate(hub_docs(repos["Placement"], env)):
            if doc["kind"] == "Namespace":
                f = tmp_path / f"{env}-{i}.yaml"
                f.write_text(yaml.safe_dump(doc))
                files.append(str(f))
    assert len(files) == 10  # i4qew-channels, the three workload namespaces and i4qew-models, per environment
    done = subprocess.run([tool, "--strict", "-k", k8s, *files], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x, nmae: y}\n")
    done = subprocess.run([tool, "--strict", "-k", k8s, str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
