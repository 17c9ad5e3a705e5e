"""Names: every declared name must be usable as a Kubernetes object name."""

from __future__ import annotations

from collections.abc import Iterator

from i4qew import k8s_names
from i4qew.load.documents import Document
from i4qew.model import Repo
from i4qew.problems import Problem
from i4qew.rules.registry import rule

# Generated objects are named `<workload>-<env>`; the chart's Service is named
# after the workload and a Service name must be a DNS-1035 label.
MAX_WORKLOAD_NAME = 47


def _documents(repo: Repo) -> Iterator[Document]:
    if repo.repository.doc is not None:
        yield repo.repository.doc
    yield from (w.doc for w in repo.workloads)
    yield from (p.doc for p in repo.policies.values())
    yield from (m.doc for m in repo.models.values())


@rule(
    "name-format",
    "metadata.name and metadata.namespace are DNS-1123 labels; metadata.labels are valid Kubernetes labels",
    passing="metadata: {name: sktime, namespace: i4q-lrt}",
    failing="metadata: {name: SKTime_v2, namespace: i4q.lrt}",
)
def check_names(repo: Repo) -> Iterator[Problem]:
    for doc in _documents(repo):
        meta = doc.data["metadata"]
        msg = k8s_names.dns1123_label(meta["name"])
        if msg:
            yield doc.problem(("metadata", "name"), "name-format", f"name {meta['name']!r} {msg}")
        ns = meta.get("namespace")
        if isinstance(ns, str):
            msg = k8s_names.dns1123_label(ns)
            if msg:
                yield doc.problem(("metadata", "namespace"), "name-format", f"namespace {ns!r} {msg}")
            elif ns.startswith(("kube-", "open-cluster-management")) or ns in ("default", "kube-system"):
                yield doc.problem(("metadata", "namespace"), "name-format",
                                  f"namespace {ns!r} is reserved for the platform; use an application namespace")
        for key, value in (meta.get("labels") or {}).items():
            msg = k8s_names.label_key(key)
            if msg:
                yield doc.problem(("metadata", "labels", key), "name-format", f"label key {key!r} {msg}", key=True)
            msg = k8s_names.label_value(value)
            if msg:
                yield doc.problem(("metadata", "labels", key), "name-format", f"label value {value!r} {msg}")
    for w in repo.workloads:
        if len(w.name) > MAX_WORKLOAD_NAME:
            yield w.doc.problem(("metadata", "name"), "name-format",
                                f"workload name is {len(w.name)} characters; at most {MAX_WORKLOAD_NAME} leave room for the environment suffix")
        elif w.name[:1].isdigit():
            yield w.doc.problem(("metadata", "name"), "name-format",
                                "a workload name must start with a letter: it names the Service (DNS-1035)")


@rule(
    "duplicate-workload",
    "workload names are unique in the repository (each owns charts/<name>/ on the branch)",
    passing="workloads sktime (i4q-lrt) and forecaster (i4q-lrt)",
    failing="two workloads named sktime, in i4q-lrt and in i4q-dev",
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
