"""`i4qew bootstrap`: the one-time hub manifests, valid against the CRDs, and wired
to the same Channel and branch folder that render produces."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.hub.subscription import compile_hub
from tests.support.crds import crd_errors
from tests.support.repos import copy_repo, load
from tests.support.tools import ROOT, require


def bootstrap(repo: Path, env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["bootstrap", "-C", str(repo), "--env", env])
    return result.exit_code, result.output


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


@pytest.mark.parametrize(("env", "branch"), [("production", "production")])  # dev (Argo CD): below
def test_bootstrap_manifests(env: str, branch: str) -> None:
    code, out = bootstrap(ROOT, env)
    assert code == 0, out
    namespace, channel, application, subscription = docs(out)
    assert [d["kind"] for d in (namespace, channel, application, subscription)] == [
        "Namespace", "Channel", "Application", "Subscription"]
    for d in (channel, application, subscription):
        assert crd_errors(d) == []
    assert namespace["metadata"]["name"] == channel["metadata"]["namespace"] == "i4qew-channels"
    # The hub-local subscription applies the branch's hub/ folder through that Channel.
    assert subscription["spec"] == {"channel": f"i4qew-channels/{channel['metadata']['name']}",
                                    "placement": {"local": True}}
    annotations = subscription["metadata"]["annotations"]
    assert annotations["apps.open-cluster-management.io/git-branch"] == branch
    assert annotations["apps.open-cluster-management.io/git-path"] == "hub"
    assert annotations["apps.open-cluster-management.io/reconcile-option"] == "replace"
    assert "apps.open-cluster-management.io/cluster-admin" not in annotations  # ACM sets it, for admins only
    assert application["spec"]["selector"]["matchExpressions"][0]["values"] == [
        subscription["metadata"]["labels"]["app"]]
    # Identical to the Channel (and Namespace) the branch carries, which take them over.
    hub = compile_hub(load(ROOT), env)
    assert (b"---\n" + yaml_bytes(out, 2)) in hub["hub/channel.yaml"]
    assert (b"---\n" + yaml_bytes(out, 1)) == hub["hub/namespaces/i4qew-channels.yaml"]
    header = out.split("---", 1)[0]
    # Any ClusterRoleBinding to the ClusterRole makes a subscription admin: IsClusterAdmin
    # (multicloud-operators-subscription pkg/utils/gitrepo.go) falls back to scanUserSubAdmin,
    # which checks every binding whose roleRef is the ClusterRole, not only the one of that name.
    assert "any ClusterRoleBinding to the ClusterRole\n# open-cluster-management:subscription-admin." in header
    assert "named exactly" not in header and "--rolebinding-name" not in header
    assert "every edge cluster" in header and "egress" in header


def yaml_bytes(text: str, index: int) -> bytes:
    """The `index`-th document (1-based, after the header comments) as written."""
    return text.split("---\n")[index].encode()


def with_git(repo: Path, settings: str) -> Path:
    """`repo` with `settings` (indented lines) added to spec.git of its i4qew.yaml."""
    url = "    url: https://gitlab.com/i4q/i4qew.git\n"
    text = (repo / "i4qew.yaml").read_text()
    assert url in text
    (repo / "i4qew.yaml").write_text(text.replace(url, url + settings))
    return repo


def test_a_private_repository_gets_its_secret_ref(tmp_path: Path) -> None:
    repo = with_git(copy_repo(tmp_path / "repo"), "    secretRef: gitlab-token\n    insecureSkipVerify: true\n")
    code, out = bootstrap(repo, "production")
    assert code == 0, out
    channel = docs(out)[1]
    assert channel["spec"] == {"type": "Git", "pathname": "https://gitlab.com/i4q/i4qew.git",
                               "secretRef": {"name": "gitlab-token"}, "insecureSkipVerify": True}
    assert crd_errors(channel) == []
    header = out.split("---", 1)[0]
    assert "create secret generic gitlab-token" in header and "-n i4qew-channels" in header
    hub = compile_hub(load(repo), "production")
    assert (b"---\n" + yaml_bytes(out, 2)) in hub["hub/channel.yaml"]


def test_a_self_hosted_git_server_gets_its_ca_before_the_first_clone(tmp_path: Path) -> None:
    """The hub-local subscription clones the branch through the Channel, so the CA ConfigMap
    it names must exist before the branch (which also carries it) can be read: bootstrap
    prints it ahead of the Channel, in the Channel's namespace (ACM reads configMapRef only
    there: pkg/utils/subscription.go FetchChannelReferences), under key caCerts
    (apps/v1 ChannelCertificateData)."""
    repo = with_git(copy_repo(tmp_path / "repo"), "    secretRef: gitlab-token\n    caFile: certs/gitlab-ca.pem\n")
    (repo / "certs").mkdir()
    pem = (ROOT / "tests/corpus/positive/full-featured/certs/gitlab-ca.pem").read_text()
    (repo / "certs/gitlab-ca.pem").write_text(pem)
    code, out = bootstrap(repo, "production")
    assert code == 0, out
    namespace, ca, channel, _, _ = docs(out)
    assert ca["kind"] == "ConfigMap" and ca["data"] == {"caCerts": pem}
    assert ca["metadata"]["namespace"] == channel["metadata"]["namespace"] == namespace["metadata"]["name"]
    assert channel["spec"]["configMapRef"] == {"name": ca["metadata"]["name"]}
    assert "insecureSkipVerify" not in channel["spec"]
    hub = compile_hub(load(repo), "production")
    # byte for byte the objects hub/ carries (which take them over)
    assert hub["hub/channel-ca.yaml"] + hub["hub/channel.yaml"] in out.encode()


def test_bootstrap_errors(tmp_path: Path) -> None:
    code, out = bootstrap(ROOT, "staging")
    assert code == 2
    assert "no environment 'staging' in i4qew.yaml (environments: dev, production)" in out
    assert CliRunner().invoke(cli, ["bootstrap", "-C", str(ROOT)]).exit_code == 2
    repo = copy_repo(tmp_path / "repo")
    text = (repo / "i4qew.yaml").read_text()
    (repo / "i4qew.yaml").write_text(text.replace("placementApi: Placement", "placementApi: PlacementRule"))
    code, out = bootstrap(repo, "dev")  # applicationset: its generator reads Placement decisions
    assert code == 1
    assert "[placement-api]" in out and "delivery: applicationset" in out


def test_bootstrap_namespace_passes_kubernetes_validate(tmp_path: Path) -> None:
    code, out = bootstrap(ROOT, "production")
    assert code == 0
    f = tmp_path / "ns.yaml"
    f.write_text(yaml.safe_dump(docs(out)[0]))
    tool = require("kubernetes-validate")
    done = subprocess.run([tool, "--strict", "-k", "1.28.0", str(f)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


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
            kind = d["kind"].lower()
            assert (group, kind[:-1] + "ies" if kind.endswith("y") else kind + "s") in granted, d["kind"]
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
