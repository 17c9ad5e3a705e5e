"""Every generated hub resource against the real ACM/OCM CRDs (../shared/schemas/crds).

Each CRD's schema is made strict (tests/support/crds.py: unknown fields rejected,
metadata checked as ObjectMeta). Namespaces go through
kubernetes-validate --strict, for an older Kubernetes common on k3s and a current one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.subscription import compile_hub
from i4qew.model.repo import Repo
from tests.support.crds import crd_errors
from tests.support.repos import load, variant_repo
from tests.support.tools import ROOT, require


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
        if doc["kind"] not in ("Namespace", "ConfigMap"):  # kubernetes-validate checks those below
            errors += [f"{path}: {e}" for e in crd_errors(doc)]
    assert errors == []
    if repos[mode].repository.delivery_of(env) == "applicationset":
        expected = {"Namespace", "Placement", "ManagedClusterSetBinding", "GitOpsCluster", "ApplicationSet",
                    "Policy", "PlacementBinding"}
    else:
        expected = {"Namespace", "Channel", "Subscription", "Application", "Policy", "PlacementBinding"}
        expected |= {"PlacementRule"} if mode == "PlacementRule" else {"Placement", "ManagedClusterSetBinding"}
        expected |= {"ConfigMap"} if env == "production" and mode == "Placement" else set()  # its waves' state
    assert kinds == expected


@pytest.mark.parametrize("env", ["dev", "staging", "production"])
def test_every_repository_option_fits_the_crds(env: str) -> None:
    """The full-featured case sets every option that reaches the hub (caFile ->
    configMapRef, reconcileRate -> the Channel's reconcile-rate annotation,
    watchHelmNamespaceScopedResources on each Subscription); the ConfigMap is checked
    by kubernetes-validate in test_real_hub."""
    repo = load(ROOT / "tests" / "corpus" / "positive" / "full-featured")
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
            if doc["kind"] in ("Namespace", "ConfigMap"):
                f = tmp_path / f"{env}-{i}.yaml"
                f.write_text(yaml.safe_dump(doc))
                files.append(str(f))
    # the three workload namespaces and the models' (i4qew-models) per environment and
    # production's channel namespace; production's rollout state
    assert len(files) == 10
    done = subprocess.run([tool, "--strict", "-k", k8s, *files], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x, nmae: y}\n")
    done = subprocess.run([tool, "--strict", "-k", k8s, str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode != 0


@pytest.mark.parametrize("env", ["dev", "production"])
def test_every_hub_of_the_two_hub_example_fits_the_crds(env: str, tmp_path: Path) -> None:
    """spec.hubs: hub/<hub>/ of each hub, as render writes it, and each hub's bootstrap
    (dev: Subscriptions; production: Argo CD on each hub). What no CRD describes (RBAC,
    ConfigMaps, Namespaces) goes through kubernetes-validate --strict."""
    from i4qew.compile.hub.bootstrap import bootstrap_manifests
    from i4qew.compile.render import render_tree
    from i4qew.placement.fleet import load_inventories
    from tests.support.hubs import TWO_HUBS

    repo = load(TWO_HUBS)
    _, hubs, _ = load_inventories(TWO_HUBS, repo)
    tree = render_tree(repo, env, inventory=None, source_commit=None, hubs=hubs)
    errors: list[str] = []
    core: list[dict[str, Any]] = []
    kinds: dict[str, set[str]] = {}
    for path, data in tree.items():
        if not path.startswith("hub/"):
            continue
        for doc in yaml.safe_load_all(data):
            kinds.setdefault(path.split("/")[1], set()).add(doc["kind"])
            if doc["kind"] == "Namespace":
                core.append(doc)
            else:
                errors += [f"{path}: {e}" for e in crd_errors(doc)]
    for hub in repo.repository.hubs:
        for doc in yaml.safe_load_all(bootstrap_manifests(repo, env, hub)):
            if doc and doc["apiVersion"] in ("v1", "rbac.authorization.k8s.io/v1"):
                core.append(doc)
            elif doc:
                errors += [f"bootstrap --hub {hub.name}: {e}" for e in crd_errors(doc)]
    assert errors == []
    assert set(kinds) == {"east", "west"}
    delivered = {"GitOpsCluster", "ApplicationSet"} if env == "production" else {"Channel", "Subscription", "Application"}
    assert all(delivered <= k for k in kinds.values()), kinds
    files = []
    for i, doc in enumerate(core):
        files.append(tmp_path / f"{i}.yaml")
        files[-1].write_text(yaml.safe_dump(doc))
    assert {d["kind"] for d in core} >= ({"Namespace", "ConfigMap", "ClusterRole", "ClusterRoleBinding"}
                                         if env == "production" else {"Namespace"})
    done = subprocess.run([require("kubernetes-validate"), "--strict", "-k", "1.28.0", *map(str, files)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
