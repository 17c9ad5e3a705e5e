"""The commands on a repository with spec.hubs: bootstrap --hub, plan across hubs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.hubs import TWO_HUBS, two_hubs
from tests.support.tools import ROOT, require


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_bootstrap_names_the_hub_and_follows_its_folder() -> None:
    code, out = run("bootstrap", "-C", str(TWO_HUBS), "--env", "dev", "--hub", "west")
    assert code == 0, out
    sub = next(d for d in docs(out) if d["kind"] == "Subscription")
    assert sub["metadata"]["annotations"]["apps.open-cluster-management.io/git-path"] == "hub/west"
    assert sub["metadata"]["namespace"] == "i4qew-west"  # the hub's own channelNamespace
    assert sub["spec"]["channel"] == "i4qew-west/plants-dev"
    assert "i4qew bootstrap --env dev --hub west | kubectl apply -f -" in out


def test_bootstrap_points_each_hub_argo_cd_at_its_folder() -> None:
    """production is delivered by Argo CD: each hub's OpenShift GitOps applies that hub's hub/<hub>/."""
    for hub in ("east", "west"):
        code, out = run("bootstrap", "-C", str(TWO_HUBS), "--env", "production", "--hub", hub)
        assert code == 0, out
        kinds = [d["kind"] for d in docs(out)]
        assert kinds == ["ConfigMap", "ClusterRole", "ClusterRoleBinding", "Application"]
        app = docs(out)[-1]
        assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["metadata"]["namespace"] == "openshift-gitops"
        assert app["spec"]["source"] == {"repoURL": "https://gitlab.example.com/plants/edge.git",
                                         "targetRevision": "production", "path": f"hub/{hub}",
                                         "directory": {"recurse": True}}
        header = out.split("---", 1)[0]
        assert f"i4qew bootstrap --env production --hub {hub} | kubectl apply -f -" in header
        assert f"the Argo CD of hub '{hub}' in namespace openshift-gitops" in header
        assert f"(its hub/{hub}/ folder)" in header


def test_bootstrap_refuses_a_missing_or_unknown_hub_and_a_hub_without_hubs() -> None:
    code, out = run("bootstrap", "-C", str(TWO_HUBS), "--env", "dev")
    assert code == 2 and "name the one to bootstrap with --hub (east, west)" in out
    code, out = run("bootstrap", "-C", str(TWO_HUBS), "--env", "dev", "--hub", "north")
    assert code == 2 and "--hub 'north' is not a hub of i4qew.yaml (spec.hubs: east, west)" in out
    code, out = run("bootstrap", "-C", str(ROOT), "--env", "dev", "--hub", "east")
    assert code == 2 and "declares no hubs" in out


def test_plan_shows_each_hub_and_the_fleet() -> None:
    code, out = run("plan", "-C", str(TWO_HUBS), "--env", "production")
    assert code == 0, out
    assert out.splitlines()[:3] == [
        "plan for 'production' across hubs east, west: 2 workloads over 5 clusters in 2 hubs",
        "  anomaly (plants): 3 clusters [east 2, west 1]",
        "  dashboard (plants): 1 cluster [east 1]",
    ]
    assert "hub 'east': plan for 'production': 2 workloads over 3 clusters" in out
    # each hub lists the workloads that run there: dashboard runs on east only
    assert "hub 'west': plan for 'production': 1 workload over 2 clusters" in out
    assert "dashboard" not in out.split("hub 'west':")[1]


def test_plan_json_and_markdown_across_hubs() -> None:
    code, out = run("plan", "-C", str(TWO_HUBS), "--env", "dev", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["kind"] == "FleetPlan" and doc["summary"] == {"hubs": 2, "clusters": 5, "workloads": 2}
    assert {w["workload"]: w["hubs"] for w in doc["workloads"]} == {"anomaly": {"east": 1, "west": 1},
                                                                    "dashboard": {"east": 1}}
    assert doc["hubs"]["west"]["kind"] == "Plan" and doc["hubs"]["west"]["inventory"] == {"clusters": 2}
    code, out = run("plan", "-C", str(TWO_HUBS), "--env", "dev", "--format", "markdown")
    assert code == 0, out
    assert out.startswith("<!-- i4qew:plan:dev -->\n### i4qew plan: `dev` across 2 hubs\n")
    assert "| anomaly | plants | 2 | east 1, west 1 |" in out
    assert out.count("<details><summary>hub <code>") == 2


def test_plan_refuses_an_inventory_file_with_hubs() -> None:
    code, out = run("plan", "-C", str(TWO_HUBS), "--env", "dev", "--inventory",
                    str(TWO_HUBS / "clusters" / "east" / "managedclusters.yaml"))
    assert code == 2 and "each hub plans over its own folder clusters/<hub>/" in out


def _git(root: Path, *args: str) -> None:
    subprocess.run([require("git"), "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], capture_output=True, check=True)


def test_plan_base_compares_each_hub_with_the_same_hub(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    policy = root / "policies" / "edge.yaml"
    policy.write_text(policy.read_text().replace('selector: "role=line"', 'selector: "role=line, site!=porto"'))
    _git(root, "commit", "-qam", "no anomaly in Porto")
    code, out = run("plan", "-C", str(root), "--env", "dev", "--base", "HEAD~1", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    west = {w["workload"]: w for w in doc["hubs"]["west"]["workloads"]}
    east = {w["workload"]: w for w in doc["hubs"]["east"]["workloads"]}
    assert west["anomaly"]["status"] == "changed" and west["anomaly"]["lost"] == ["porto-lab"]
    assert east["anomaly"]["gained"] == [] and east["anomaly"]["lost"] == []


def test_plan_reports_across_hubs(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out = run("plan", "-C", str(TWO_HUBS), "--env", "dev", "--report", f"json={target}")
    assert code == 0, out
    assert out.startswith("plan for 'dev' across hubs east, west:")
    assert json.loads(target.read_text())["kind"] == "FleetPlan"


def test_waves_on_every_hub_one_state_for_the_environment(tmp_path: Path) -> None:
    """docs/hubs.md, "Rollout waves across hubs": each hub's folder gets its wave objects,
    the rollout state is the environment's (hub/rollout.yaml, in no hub's folder)."""
    root = two_hubs(tmp_path / "r")
    config = root / "i4qew.yaml"
    config.write_text(config.read_text().replace(
        '      selector: "stage=production"\n',
        '      selector: "stage=production"\n      waves: [{name: canary, clusters: 1}, {name: rest}]\n'))
    code, out = run("render", "-C", str(root), "--env", "production", "-o", str(tmp_path / "out"))
    assert code == 0, out
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.yaml"))
    assert [f for f in files if f.endswith("rollout.yaml")] == ["hub/rollout.yaml"]
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "- Rollout waves (canary, rest): on each hub per wave an ApplicationSet and a Placement" in readme
    for hub in ("east", "west"):  # per wave a Placement and an ApplicationSet on each hub
        appsets = docs((tmp_path / "out" / "hub" / hub / "argocd" / "applicationsets" / "anomaly.yaml").read_text())
        assert [d["metadata"]["name"] for d in appsets] == [
            "anomaly-production-canary", "anomaly-production-canary", "anomaly-production-rest",
            "anomaly-production-rest"]
        code, out = run("bootstrap", "-C", str(root), "--env", "production", "--hub", hub)
        assert code == 0 and "kind: Role\n" not in out  # no ConfigMap for a hub to apply
    code, out = run("plan", "-C", str(root), "--env", "production", "--format", "json")
    plans = json.loads(out)["hubs"]
    # a share is taken on each hub from its own clusters: one canary per hub
    canaries = {hub: [w["waves"][0]["clusters"] for w in p["workloads"] if w["workload"] == "anomaly"]
                for hub, p in plans.items()}
    assert canaries == {"east": [["bologna-line1"]], "west": [["porto-line1"]]}


def test_a_share_wave_on_a_hub_without_inventory_is_one_answer(tmp_path: Path) -> None:
    root = two_hubs(tmp_path / "r")
    config = root / "i4qew.yaml"
    config.write_text(config.read_text().replace(
        '      selector: "stage=production"\n',
        '      selector: "stage=production"\n      waves: [{name: canary, clusters: 1}, {name: rest}]\n'))
    shutil.rmtree(root / "clusters" / "west")
    line = ("i4qew.yaml:19:40: error [wave-share] wave 'canary' of 'production' takes a share of the clusters: "
            "which ones is drawn by name from the cluster inventory, and clusters/west/ holds none")
    for args in (("validate",), ("render", "--env", "production", "-o", str(tmp_path / "out"))):
        code, out = run(args[0], "-C", str(root), *args[1:])
        assert code == 1 and out.count(line) == 1 and "Traceback" not in out, (args, out)
    assert not (tmp_path / "out").exists()
