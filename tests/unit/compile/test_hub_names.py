"""Generated hub names: unique per environment on a shared hub, within Kubernetes and
ACM limits, shortened deterministically, and the same objects every environment shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from i4qew.compile.hub.subscription import compile_hub
from i4qew.k8s.names import dns1123_label, label_value
from i4qew.model.repo import Repo
from tests.support.crds import crd_errors
from tests.support.repos import copy_repo, load, set_delivery
from tests.support.tools import ROOT

LONG_WORKLOAD = "sktime-" + "x" * 24  # 31 characters, the longest name validation allows
LONG_ENV = "production-europe-west-factories"
LONG_REPO = "i4q-" + "r" * 59


def all_docs(tree: dict[str, bytes]) -> list[dict[str, Any]]:
    return [d for data in tree.values() for d in yaml.safe_load_all(data)]


def long_named_repo(dest: Path) -> Repo:
    copy_repo(dest)
    edits = {
        "i4qew.yaml": [("  name: i4q-edge\n", f"  name: {LONG_REPO}\n"),
                       ("- name: production\n", f"- name: {LONG_ENV}\n")],
        "workloads/sktime.yaml": [("  name: sktime\n", f"  name: {LONG_WORKLOAD}\n"),
                                  ("    production:\n", f"    {LONG_ENV}:\n")],
        "workloads/object-detection.yaml": [("    production:\n", f"    {LONG_ENV}:\n")],
    }
    for name, pairs in edits.items():
        text = (dest / name).read_text()
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new)
        (dest / name).write_text(text)
    return load(dest)


def test_long_names_are_shortened_within_limits_and_stay_distinct(tmp_path: Path) -> None:
    repo = long_named_repo(tmp_path)
    names: dict[str, dict[tuple[str, str, str], str]] = {}
    for env in ("dev", LONG_ENV):
        docs = all_docs(compile_hub(repo, env))
        assert [e for d in docs if d["kind"] not in ("Namespace", "ConfigMap") for e in crd_errors(d)] == []
        for d in docs:
            meta = d["metadata"]
            assert dns1123_label(meta["name"]) is None, meta["name"]
            assert all(label_value(v) is None for v in meta.get("labels", {}).values()), meta["labels"]
            if d["kind"] == "Application":
                assert len(meta["name"]) <= 37  # the ACM console's limit
            if d["kind"] == "Subscription":
                (override,) = d["spec"]["packageOverrides"]
                # ACM renames a release over 31 characters (see test_release_names_reach_the_hub_unchanged)
                alias = override["packageAlias"]
                assert len(alias) <= 31
                # a workload's release is its name; a model stager's is <model>-<env>, shortened
                assert alias == meta["labels"].get("edge.i4q.eu/workload") or "edge.i4q.eu/model" in meta["labels"]
                assert override["packageName"] == d["spec"]["name"]
            labels = meta.get("labels", {})
            workload = labels.get("edge.i4q.eu/workload", labels.get("edge.i4q.eu/model", ""))
            names.setdefault(env, {})[(d["kind"], meta.get("namespace", ""), workload)] = meta["name"]
    long_sub = names[LONG_ENV][("Subscription", "i4q-lrt", LONG_WORKLOAD)]
    assert len(long_sub) == 63 and long_sub.startswith(LONG_WORKLOAD)
    assert len(names[LONG_ENV][("Application", "i4q-lrt", "")]) == 37
    per_env = {"Subscription", "Placement", "Channel", "Application"}
    for key, name in names["dev"].items():
        if key[0] in per_env and key in names[LONG_ENV]:  # dev is delivered by Argo CD
            assert names[LONG_ENV][key] != name, key
    # Deterministic: compiling again gives the same bytes.
    assert compile_hub(repo, LONG_ENV) == compile_hub(repo, LONG_ENV)


def shared_objects(tree: dict[str, bytes]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in all_docs(tree)
            if d["kind"] in ("Namespace", "ManagedClusterSetBinding")}


def test_shared_objects_are_identical_in_every_environment() -> None:
    """Namespaces and ManagedClusterSetBindings are applied by both environments (dev by
    its hub Argo CD Application, production by its hub-local subscription): identical
    objects, which neither deletes nor prunes while the other still needs them."""
    repo = load(ROOT)
    dev, prod = compile_hub(repo, "dev"), compile_hub(repo, "production")
    shared_dev, shared_prod = shared_objects(dev), shared_objects(prod)
    both = set(shared_dev) & set(shared_prod)
    # three workload namespaces and the models' (i4qew-models), and a binding in each
    assert len(both) == 8
    for key in both:
        assert shared_dev[key] == shared_prod[key], key
    for d in [*shared_dev.values(), *shared_prod.values()]:
        assert d["metadata"]["annotations"] == {
            "apps.open-cluster-management.io/do-not-delete": "true",
            "apps.open-cluster-management.io/reconcile-option": "merge",
            "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
        }
        assert "edge.i4q.eu/environment" not in d["metadata"]["labels"]
    for path in (set(dev) & set(prod)) - {p for p in dev if p.endswith("clustersetbindings.yaml")
                                          or p.startswith("hub/namespaces/")}:
        assert dev[path] != prod[path], path


def test_a_workload_named_like_a_hub_file_does_not_replace_it(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    text = (repo / "workloads" / "object-detection.yaml").read_text()
    (repo / "workloads" / "object-detection.yaml").write_text(text.replace("  name: inspection-ui\n",
                                                                           "  name: application\n"))
    set_delivery(repo, "subscription")  # dev by Subscriptions, without production's waves
    tree = compile_hub(load(repo), "dev")
    kinds = {p: [d["kind"] for d in yaml.safe_load_all(data)] for p, data in tree.items()}
    assert kinds["hub/apps/i4q-vision/application.yaml"] == ["Application"]
    assert kinds["hub/apps/i4q-vision/workloads/application.yaml"] == ["Subscription", "Placement"]
