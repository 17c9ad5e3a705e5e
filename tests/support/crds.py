"""Hub resources against the real ACM/OCM CRDs (../shared/schemas/crds), made strict.

The CRDs' openAPIV3Schema is turned into a strict JSON Schema: unknown fields are
rejected (`additionalProperties: false` on every object schema that declares
properties and does not preserve unknown fields), `x-kubernetes-int-or-string`
becomes integer-or-string, and `metadata` (which CRDs leave as a bare object) is
checked as ObjectMeta's name/namespace/labels/annotations.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import jsonschema
import yaml

from tests.support.tools import crds_dir

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
    ("apps.open-cluster-management.io/v1beta1", "GitOpsCluster"): (
        "apps.open-cluster-management.io_GitOpsCluster_v1beta1.yaml",
        "variants/apps.open-cluster-management.io_GitOpsCluster_v1beta1.acm-2.11-2.14.yaml",
    ),
    ("argoproj.io/v1alpha1", "ApplicationSet"): ("argoproj.io_ApplicationSet_v1alpha1.yaml",),
    ("argoproj.io/v1alpha1", "Application"): ("argoproj.io_Application_v1alpha1.yaml",),
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
