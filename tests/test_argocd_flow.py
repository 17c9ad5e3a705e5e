"""`delivery: applicationset` around the compiler: `i4qew bootstrap` for a hub with
OpenShift GitOps, and `plan --base` showing a change of delivery before it is published."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.hub.subscription import compile_hub
from tests.test_hub_crds import copy_repo, crd_errors, load
from tests.test_placement_support import workload, write_repo
from tests.test_plan import FLEET, POLICIES, commit, git, plan, plan_json
from tests.tools import ROOT, require


def bootstrap(repo: Path, env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["bootstrap", "-C", str(repo), "--env", env])
    return result.exit_code, result.output


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_bootstrap_points_the_hub_argo_cd_at_the_branch(tmp_path: Path) -> None:
    code, out = bootstrap(ROOT, "dev")
    assert code == 0, out
    config, role, binding, app = docs(out)
    assert [d["kind"] for d in (config, role, binding, app)] == [
        "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Application"]
    assert crd_errors(app) == []
    assert app["metadata"]["namespace"] == "openshift-gitops"
    assert app["spec"]["source"] == {"repoURL": "https://gitlab.com/i4q/i4qew.git", "targetRevision": "acm-dev",
                                     "path": "hub", "directory": {"recurse": True}}
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc"}
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    # The controller that syncs hub/ may apply every kind hub/ holds, and bind the cluster sets.
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "openshift-gitops-argocd-application-controller",
                                    "namespace": "openshift-gitops"}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
               if "create" in rule["verbs"]}
    hub = compile_hub(load(ROOT), "dev")
    for data in hub.values():
        for d in yaml.safe_load_all(data):
            group = d["apiVersion"].rpartition("/")[0]
            assert (group, d["kind"].lower() + "s") in granted, d["kind"]
    assert ("cluster.open-cluster-management.io", "managedclustersets/bind") in granted
    assert config["data"] == {"apiVersion": "cluster.open-cluster-management.io/v1beta1",
                              "kind": "placementdecisions", "statusListKey": "decisions", "matchKey": "clusterName"}
    tool = require("kubernetes-validate")
    files = []
    for i, d in enumerate((config, role, binding)):
        f = tmp_path / f"{i}.yaml"
        f.write_text(yaml.safe_dump(d))
        files.append(str(f))
    done = subprocess.run([tool, "--strict", "-k", "1.28.0", *files], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    header = out.split("---", 1)[0]
    assert "i4qew bootstrap --env dev | kubectl apply -f -" in header and "docs/argocd.md" in header


def test_bootstrap_of_a_private_repository_in_pull_mode(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    text = (repo / "i4qew.yaml").read_text()
    (repo / "i4qew.yaml").write_text(text.replace(
        "    url: https://gitlab.com/i4q/i4qew.git\n",
        "    url: https://gitlab.com/i4q/i4qew.git\n    secretRef: gitlab-token\n").replace(
        "    mode: push\n", "    mode: pull\n    namespace: argocd\n").replace(
        "    namespace: openshift-gitops   # OpenShift GitOps' default instance\n", ""))
    code, out = bootstrap(repo, "dev")
    assert code == 0, out
    header = out.split("---", 1)[0]
    assert "-n argocd create secret generic gitlab-token" in header
    assert "argocd.argoproj.io/secret-type=repository" in header
    assert "Pull mode" in header
    binding = docs(out)[2]
    assert binding["subjects"][0] == {"kind": "ServiceAccount", "name": "argocd-application-controller",
                                      "namespace": "argocd"}


def mixed(root: Path, dev_delivery: str) -> None:
    write_repo(root, clusters=FLEET, policies=POLICIES, workloads=[workload("keep", "px"), workload("bump", "py")],
               environments=[{"name": "dev", "selector": "site in (x, y)", "delivery": dev_delivery}])


def test_plan_shows_a_change_of_delivery_before_it_is_published(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    mixed(root, "subscription")
    git(root, "init", "-q")
    commit(root, "base")
    mixed(root, "applicationset")
    commit(root, "head")
    doc = plan_json(root, "--base", "HEAD~1")
    assert doc["delivery"] == {"head": "applicationset", "base": "subscription"}
    assert {w["workload"]: (w["status"], w["deliveryChanged"]) for w in doc["workloads"]} == {
        "bump": ("changed", True), "keep": ("changed", True)}
    assert doc["blastRadius"] == ["a", "b", "c", "d"]  # every cluster: the release is reinstalled there
    code, text = plan(root, "--base", "HEAD~1")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[1].startswith("! delivery changes from subscription to applicationset: the Subscriptions go")
    assert "docs/argocd.md#migration" in lines[1]
    assert "changed: delivery" in text
    code, md = plan(root, "--base", "HEAD~1", "--format", "markdown")
    assert "> [!warning]\n> delivery changes from subscription to applicationset" in md
    # and back: Argo CD deletes its objects before the Subscription installs again
    code, text = plan(root, "--base", "HEAD", "--format", "text")
    assert "! delivery" not in text
    mixed(root, "subscription")
    commit(root, "back")
    code, text = plan(root, "--base", "HEAD~1")
    assert "! delivery changes from applicationset to subscription: the ApplicationSets go" in text
