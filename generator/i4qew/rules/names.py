"""Names: every declared name must be usable as a Kubernetes object name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from i4qew.k8s import names as k8s_names
from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.mounts import configmap_key_problem
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import KeyPath, variants
from i4qew.text import lookalike, shorten

# The workload name is the Helm release name (the Subscription's packageAlias).
# ACM's subscription controller renames a release longer than 31 characters to
# `<first 25>-<5 hex of its sha1>` (stolostron/multicloud-operators-subscription
# pkg/utils/subscription.go maxNameLength = 52 - len("-delete-registrations") and
# GetReleaseName), which would break app.kubernetes.io/instance=<workload>. The
# chart's Service is named after the workload: a DNS-1035 label.
MAX_WORKLOAD_NAME = 31


def _annotations(doc: Document) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """Every map of annotations a declaration writes onto a Kubernetes object."""
    meta = doc.data["metadata"]
    if meta.get("annotations"):
        yield ("metadata", "annotations"), meta["annotations"]
    if doc.kind != "Workload":
        return
    spec = doc.data["spec"]
    if (spec.get("service") or {}).get("annotations"):
        yield ("spec", "service", "annotations"), spec["service"]["annotations"]
    places = [(("spec", "ingress"), spec.get("ingress"))] + [
        (("spec", "environments", env, "ingress"), (over or {}).get("ingress"))
        for env, over in sorted((spec.get("environments") or {}).items())]
    for path, ingress in places:
        if isinstance(ingress, dict) and ingress.get("annotations"):
            yield (*path, "annotations"), ingress["annotations"]


@local
@rule(
    "name-format",
    "metadata.name and metadata.namespace are DNS-1123 labels; metadata.labels are valid Kubernetes labels; "
    "annotation keys (metadata, service, ingress) are qualified names like example.com/key",
    passing=(
        "# workloads/app.yaml\n"
        "metadata: {name: sktime, namespace: i4q-lrt}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "metadata: {name: SKTime_v2, namespace: i4q.lrt}"
    ),
)
def check_names(repo: Repo) -> Iterator[Problem]:
    for doc in repo.documents():
        meta = doc.data["metadata"]
        msg = k8s_names.dns1123_label(meta["name"])
        if msg:
            name = meta["name"]
            yield doc.problem(("metadata", "name"), "name-format", f"name {shorten(name)!r} {msg}{lookalike(name)}")
        ns = meta.get("namespace")
        if isinstance(ns, str):
            msg = k8s_names.dns1123_label(ns)
            if msg:
                yield doc.problem(("metadata", "namespace"), "name-format", f"namespace {shorten(ns)!r} {msg}{lookalike(ns)}")
            elif ns.startswith(("kube-", "open-cluster-management")) or ns in ("default", "kube-system"):
                yield doc.problem(("metadata", "namespace"), "name-format",
                                  f"namespace {ns!r} is reserved for the platform; use an application namespace")
        for key, value in (meta.get("labels") or {}).items():
            msg = k8s_names.label_key(key)
            if msg:
                yield doc.problem(("metadata", "labels", key), "name-format", f"label key {shorten(key)!r} {msg}", key=True)
            msg = k8s_names.label_value(value)
            if msg:
                yield doc.problem(("metadata", "labels", key), "name-format", f"label value {shorten(value)!r} {msg}")
        for path, entries in _annotations(doc):
            for key in entries:
                # the API lower-cases annotation keys before it checks them
                msg = k8s_names.label_key(key.lower())
                if msg:
                    yield doc.problem((*path, key), "name-format", f"annotation key {shorten(key)!r} {msg}", key=True)
    for w in repo.workloads:
        if len(w.name) > MAX_WORKLOAD_NAME:
            yield w.doc.problem(("metadata", "name"), "name-format",
                                f"workload name is {len(w.name)} characters; at most {MAX_WORKLOAD_NAME}: it is the Helm "
                                "release name, which ACM cuts to '<first 25 characters>-<hash>' when longer, so "
                                "app.kubernetes.io/instance would no longer be the workload's name")
        elif w.name[:1].isdigit():
            yield w.doc.problem(("metadata", "name"), "name-format",
                                "a workload name must start with a letter: it names the Service (DNS-1035)")


@rule(
    "duplicate-workload",
    "workload names are unique in the repository (each owns charts/<name>/ on the branch)",
    passing=(
        "# workloads/web.yaml\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Workload\n"
        "metadata: {name: web, namespace: plant-lab}\n"
        "spec: {image: registry.example.com/plant/app:1.0.0, placement: edge}"
    ),
    failing=(
        "# workloads/app-lab.yaml\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Workload\n"
        "metadata: {name: app, namespace: plant-lab}   # app is in plant too\n"
        "spec: {image: registry.example.com/plant/app:1.0.0, placement: edge}"
    ),
)
def check_duplicates(repo: Repo) -> Iterator[Problem]:
    first: dict[str, Document] = {}
    for w in sorted(repo.workloads, key=lambda w: (w.doc.path, w.doc.index)):
        seen = first.setdefault(w.name, w.doc)
        if seen is not w.doc:
            line = seen.at(("metadata", "name"))[0]
            where = "in the same namespace" if seen.data["metadata"].get("namespace") == w.namespace else "in another namespace"
            yield w.doc.problem(("metadata", "name"), "duplicate-workload",
                                f"workload {w.name!r} is already declared {where} at {seen.path}:{line}; "
                                "workload names are unique because each owns charts/<name>/")


def _referenced_names(repo: Repo) -> Iterator[tuple[Document, KeyPath, str, str]]:
    """(document, key path, what, name) of every Kubernetes object a declaration names."""
    doc = repo.repository.doc
    if doc is not None:
        spec = doc.data["spec"]
        if "secretRef" in spec["git"]:
            yield doc, ("spec", "git", "secretRef"), "Secret", spec["git"]["secretRef"]
        for i, s in enumerate(spec.get("clusterSets") or []):
            yield doc, ("spec", "clusterSets", i), "ManagedClusterSet", s
        if "channelNamespace" in spec:
            yield doc, ("spec", "channelNamespace"), "namespace", spec["channelNamespace"]
        if spec.get("gpuRuntimeClass"):  # "" means none
            yield doc, ("spec", "gpuRuntimeClass"), "RuntimeClass", spec["gpuRuntimeClass"]
        for i, env in enumerate(spec.get("environments") or []):
            if env.get("gpuRuntimeClass"):
                yield doc, ("spec", "environments", i, "gpuRuntimeClass"), "RuntimeClass", env["gpuRuntimeClass"]
        defaults = spec.get("defaults") or {}
        if "namespace" in defaults:
            yield doc, ("spec", "defaults", "namespace"), "namespace", defaults["namespace"]
        yield from _pull_secrets(doc, ("spec", "defaults"), defaults)
    for w in repo.workloads:
        for path, value in variants(w, "imagePullSecrets"):
            yield from _pull_secrets(w.doc, path[:-1], {"imagePullSecrets": value})
        for path, items in variants(w, "env"):
            for i, item in enumerate(items):
                for ref in ("secretKeyRef", "configMapKeyRef"):
                    target = (item.get("valueFrom") or {}).get(ref)
                    if target:
                        what = "Secret" if ref == "secretKeyRef" else "ConfigMap"
                        yield w.doc, (*path, i, "valueFrom", ref, "name"), what, target["name"]
                        yield w.doc, (*path, i, "valueFrom", ref, "key"), f"{what} key", target["key"]
        for path, ingress in variants(w, "ingress"):
            if "className" in ingress:
                yield w.doc, (*path, "className"), "IngressClass", ingress["className"]
            if "tlsSecretName" in ingress:
                yield w.doc, (*path, "tlsSecretName"), "Secret", ingress["tlsSecretName"]
    for p in repo.policies.values():
        for i, s in enumerate(p.doc.data["spec"].get("clusterSets") or []):
            yield p.doc, ("spec", "clusterSets", i), "ManagedClusterSet", s
    for m in repo.models.values():
        pvc = m.storage.get("persistentVolumeClaim")
        if pvc:
            yield m.doc, ("spec", "storage", "persistentVolumeClaim", "claimName"), "PersistentVolumeClaim", pvc["claimName"]


def _pull_secrets(doc: Document, base: KeyPath, spec: dict[str, Any]) -> Iterator[tuple[Document, KeyPath, str, str]]:
    for i, s in enumerate(spec.get("imagePullSecrets") or []):
        if isinstance(s, str):
            yield doc, (*base, "imagePullSecrets", i), "Secret", s
        else:
            yield doc, (*base, "imagePullSecrets", i, "name"), "Secret", s["name"]


@local
@rule(
    "reference-name",
    "names of the Secrets, ConfigMaps, PVCs, IngressClasses, RuntimeClasses, namespaces and cluster sets a declaration points "
    "at are valid Kubernetes names, and the Secret and ConfigMap keys env reads are valid keys",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  imagePullSecrets: [registry-creds]"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  imagePullSecrets: [Registry_Creds]"
    ),
)
def check_reference_names(repo: Repo) -> Iterator[Problem]:
    for doc, path, what, name in _referenced_names(repo):
        if what.endswith(" key"):
            # a key inside a Secret or ConfigMap is a file name there (IsConfigMapKey)
            msg = configmap_key_problem(name)
            if msg:
                yield doc.problem(path, "reference-name", f"{what} {shorten(name)!r} {msg}")
            continue
        check = k8s_names.dns1123_label if what == "namespace" else k8s_names.dns1123_subdomain
        msg = check(name)
        if msg:
            yield doc.problem(path, "reference-name", f"{what} name {shorten(name)!r} {msg}{lookalike(name)}")
