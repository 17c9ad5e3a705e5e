"""Model staging: which models are staged where, with which versions, and the chart that does it.

The staging placement is model policy ∧ environment ∧ the architectures of the workloads of
the environment that use the model; its desired state lists every version those workloads
pin and passes the stager's own parser; a PVC model gets a Job per version whose name
changes with what its immutable pod template depends on.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.compile.staging.chart import compile_staging_charts, fixed_files
from i4qew.compile.staging.values import desired_state, staging_values
from i4qew.model.repo import Repo
from i4qew.placement.decide import Planner
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.staging import stagings
from tests.support.charts import valid_repo
from tests.support.crds import crd_errors
from tests.support.hubs import two_hubs
from tests.support.placements import model, policy, workload, write_repo
from tests.support.tools import ROOT

EDGE = ROOT / "generator" / "i4qew" / "edge"


@pytest.fixture(scope="module")
def stage_desired() -> Iterator[Any]:
    """The stager's own desired-state parser (edge/ is a flat folder of modules)."""
    sys.path.insert(0, str(EDGE))
    try:
        yield importlib.import_module("stage_desired")
    finally:
        sys.path.remove(str(EDGE))


def by_model(repo: Repo, env: str) -> dict[str, Any]:
    return {s.model.name: s for s in stagings(repo, env)}


def test_this_repository_stages_each_model_where_its_workloads_may_run() -> None:
    repo = valid_repo(ROOT)
    found = by_model(repo, "dev")
    assert sorted(found) == ["lrt-forecaster", "vibration-autoencoder", "yolo-defects"]
    lrt, vib, yolo = found["lrt-forecaster"], found["vibration-autoencoder"], found["yolo-defects"]
    assert (lrt.versions, lrt.architectures, lrt.gpu) == (("2",), ("amd64", "arm64"), False)
    assert (vib.versions, vib.architectures) == (("1.4",), ("arm64",))
    assert (yolo.versions, yolo.architectures, yolo.gpu) == (("2024.3",), ("amd64",), True)
    assert [c.name for c in lrt.conjuncts] == [
        "model 'lrt-forecaster' (policy 'lrt')", "environment 'dev' (stage=dev)", "architectures amd64, arm64"]


def test_the_staging_covers_every_cluster_of_its_workloads() -> None:
    """Where a workload lands, its model is staged (the reverse need not hold: the model policy
    may allow more clusters, which are then ready before a workload moves there)."""
    repo = valid_repo(ROOT)
    inventory, problems = load_inventory(ROOT)
    assert inventory is not None and problems == []
    planner = Planner(repo, inventory)
    for env in ("dev", "production"):
        decided = {d.workload.name: d.clusters for d in planner.decisions(env)}
        for s in stagings(repo, env):
            staged = planner.evaluate(s)
            assert staged, (env, s.name)
            for w in s.users:
                assert decided[w.name] & ~staged == 0, (env, s.name, w.name)


def test_versions_are_what_the_enabled_workloads_pin(tmp_path: Path) -> None:
    root = write_repo(tmp_path, policies=[policy("edge", selector="env=edge")], models=[
        model("detector", "edge", ("1", "2", "3")), model("unused", "edge")], workloads=[
        workload("a", "edge", model={"name": "detector", "version": "1"}, architectures=["amd64"]),
        workload("b", "edge", model={"name": "detector", "version": "2"}),
        workload("c", "edge", model={"name": "detector", "version": "3"},
                 environments={"production": {"enabled": False}})],
        environments=[{"name": "dev"}, {"name": "production", "promotesFrom": "dev"}])
    repo = valid_repo(root)
    dev, production = by_model(repo, "dev"), by_model(repo, "production")
    assert list(dev) == ["detector"]  # a model no workload uses is not staged
    assert dev["detector"].versions == ("1", "2", "3")
    assert production["detector"].versions == ("1", "2")
    # b runs on any architecture: the stager runs on every node
    assert dev["detector"].architectures == ()


def test_external_models_are_not_staged_and_gate_any_digest(tmp_path: Path) -> None:
    external = model("detector", "edge")
    external["spec"] = {**external["spec"], "distribution": "external", "versions": ["1"]}
    root = write_repo(tmp_path, policies=[policy("edge", selector="env=edge")], models=[external],
                      workloads=[workload("a", "edge", model={"name": "detector", "version": "1"})])
    repo = valid_repo(root)
    assert stagings(repo, "dev") == []
    assert compile_staging_charts(repo, "dev") == {}
    from i4qew.compile.chart.charts import compile_charts

    values = yaml.safe_load(compile_charts(repo, "dev")["charts/a/values.yaml"])
    assert values["model"]["gate"]["args"] == ["detector", "1", "any"]


def test_the_desired_state_is_what_the_stager_reads(stage_desired: Any) -> None:
    repo = valid_repo(ROOT)
    for env in ("dev", "production"):
        for s in stagings(repo, env):
            state = desired_state(repo, s)
            parsed = stage_desired.parse(state)
            assert parsed.owner == f"{env}.{s.model.name}"
            assert [(e.model, e.version) for e in parsed.entries] == [(s.model.name, v) for v in s.versions]
    yolo = by_model(repo, "dev")["yolo-defects"]
    (entry,) = desired_state(repo, yolo)["versions"]
    assert entry == {"model": "yolo-defects", "version": "2024.3", "size": 114294784,
                     "source": "oci://registry.gitlab.com/i4q/models/yolo-defects@sha256:"
                               "ca9514abc6824fb9b249190cf45b6de85d81d4992c2f625e50236d9d85c57f35",
                     "pullSecret": "/etc/i4qew/pull/config.json"}


def test_an_https_version_carries_its_sha256_and_file(tmp_path: Path, stage_desired: Any) -> None:
    digest = hashlib.sha256(b"weights").hexdigest()
    m = model("detector", "edge")
    m["spec"]["versions"] = [{"version": "1", "source": "https://models.example.com/d/1/best.onnx",
                              "sha256": digest, "size": "1Ki"}]
    root = write_repo(tmp_path, policies=[policy("edge", selector="env=edge")], models=[m],
                      workloads=[workload("a", "edge", model={"name": "detector", "version": "1"})])
    repo = valid_repo(root)
    (s,) = stagings(repo, "dev")
    state = desired_state(repo, s)
    assert state["versions"] == [{"model": "detector", "version": "1", "source": "https://models.example.com/d/1/best.onnx",
                                  "sha256": digest, "file": "best.onnx", "size": 1024}]
    (entry,) = stage_desired.parse(state).entries
    assert entry.digest == f"sha256:{digest}"


def pvc_repo(root: Path, versions: tuple[str, ...], digest_seed: str = "") -> Repo:
    m = model("detector", "edge", versions)
    for e in m["spec"]["versions"]:
        e["source"] = e["source"][:-64] + hashlib.sha256(f"{e['version']}{digest_seed}".encode()).hexdigest()
    m["spec"]["storage"] = {"persistentVolumeClaim": {"claimName": "models", "readOnly": True}}
    return valid_repo(write_repo(root, policies=[policy("edge", selector="env=edge")], models=[m], workloads=[
        workload(f"w{v}", "edge", model={"name": "detector", "version": v}) for v in versions]))


def jobs(repo: Repo) -> dict[str, str]:
    (s,) = stagings(repo, "dev")
    values = staging_values(repo, s, fixed_files()[1])
    assert values["mode"] == "volume" and values["volume"] == {"persistentVolumeClaim": {"claimName": "models"}}
    return {j["only"]: j["name"] for j in values["jobs"]}


def test_a_pvc_model_gets_a_job_per_version_named_after_its_pod_template(tmp_path: Path) -> None:
    one = jobs(pvc_repo(tmp_path / "a", ("1",)))
    both = jobs(pvc_repo(tmp_path / "b", ("1", "2")))
    assert list(both) == ["detector/1", "detector/2"]
    assert both["detector/1"] == one["detector/1"]  # a new version adds a Job, the old one stays
    assert all(n.startswith("detector-dev-") and len(n) == len("detector-dev-") + 8 for n in both.values())
    repinned = jobs(pvc_repo(tmp_path / "c", ("1", "2"), digest_seed="x"))
    assert repinned["detector/1"] != both["detector/1"]  # other bytes: a new Job


def test_release_names_stay_within_31_characters(tmp_path: Path) -> None:
    name = "a-model-with-a-rather-long-name-for-sure"
    root = write_repo(tmp_path, policies=[policy("edge", selector="env=edge")], models=[model(name, "edge")],
                      workloads=[workload("a", "edge", model={"name": name, "version": "1"})],
                      environments=[{"name": "production"}])
    repo = valid_repo(root)
    tree = compile_staging_charts(repo, "production")
    values = yaml.safe_load(tree[f"staging/i4qew-models/{name}/values.yaml"])
    assert len(values["name"]) <= 31 and values["name"].startswith("a-model-with-a-rather")
    assert len(f"{values['name']}-stager") <= 63


def test_the_models_namespace_gets_its_pull_secrets_and_pod_security_from_the_hub() -> None:
    from i4qew.compile.hub.subscription import compile_hub

    repo = valid_repo(ROOT)
    docs = list(yaml.safe_load_all(compile_hub(repo, "dev")["hub/apps/i4qew-models/policies.yaml"]))
    policies = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Policy"}
    assert sorted(policies) == ["model-pull-i4q-model-registry-dev", "pod-security-dev"]
    psa = policies["pod-security-dev"]["spec"]["policy-templates"][0]["objectDefinition"]["spec"]["object-templates"][0]
    # a stager writes a hostPath as root: only privileged admits it
    assert set(psa["objectDefinition"]["metadata"]["labels"].values()) == {"privileged"}
    bindings = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PlacementBinding"}
    # yolo-defects is on a claim: staged in its workloads' namespace, bound there
    assert sorted(bindings) == ["lrt-forecaster-dev", "vibration-autoencoder-dev"]
    for name, b in bindings.items():
        assert b["placementRef"] == {"apiGroup": "cluster.open-cluster-management.io", "kind": "Placement", "name": name}


def test_a_pvc_model_is_staged_in_each_namespace_that_mounts_its_claim(tmp_path: Path) -> None:
    """A claim is namespaced: the Jobs write the very claim the workloads of that namespace
    mount, as a non-root user of the claim's group (the namespace's restricted level holds)."""
    from i4qew.compile.hub.subscription import compile_hub

    m = model("detector", "edge", ("1", "2"))
    m["spec"]["storage"] = {"persistentVolumeClaim": {"claimName": "models"}}
    m["spec"]["pullSecret"] = "model-registry"
    root = write_repo(tmp_path, policies=[policy("edge", selector="env=edge")], models=[m], workloads=[
        workload("a", "edge", namespace="one", model={"name": "detector", "version": "1"}),
        workload("b", "edge", namespace="two", model={"name": "detector", "version": "2"})])
    repo = valid_repo(root)
    found = stagings(repo, "dev")
    assert [(s.namespace, s.versions) for s in found] == [("one", ("1",)), ("two", ("2",))]
    tree = compile_staging_charts(repo, "dev")
    values = yaml.safe_load(tree["staging/one/detector/values.yaml"])
    assert values["podSecurityContext"] == {"fsGroup": 65532, "fsGroupChangePolicy": "OnRootMismatch",
                                            "runAsGroup": 65532, "runAsNonRoot": True, "runAsUser": 65532,
                                            "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["securityContext"]["runAsNonRoot"] is True and values["securityContext"]["readOnlyRootFilesystem"]
    hub = compile_hub(repo, "dev")
    sub, placement = yaml.safe_load_all(hub["hub/apps/one/models/detector.yaml"])
    assert (sub["metadata"]["namespace"], placement["metadata"]["namespace"]) == ("one", "one")
    assert sub["metadata"]["annotations"]["apps.open-cluster-management.io/git-path"] == "staging/one/detector"
    app = yaml.safe_load(hub["hub/apps/one/application.yaml"])
    assert app["metadata"]["annotations"]["apps.open-cluster-management.io/subscriptions"] == "one/a-dev,one/detector-dev"
    policies = list(yaml.safe_load_all(hub["hub/apps/one/model-policies.yaml"]))
    assert [d["metadata"]["name"] for d in policies] == ["model-pull-model-registry-dev", "detector-dev"]
    assert "hub/apps/i4qew-models/application.yaml" not in hub  # nothing staged there


def test_with_two_hubs_each_hub_stages_the_shared_chart_on_its_own_clusters(tmp_path: Path) -> None:
    """spec.hubs: the staging chart is on the branch once (staging/<ns>/<model>/, like the
    workloads' charts); each hub's hub/<hub>/ has the staging's Subscription, Placement and
    Application in that hub's channel namespace and cluster sets, as for its workloads."""
    repo = two_hubs(tmp_path / "repo")
    (repo / "models").mkdir()
    (repo / "models" / "detector.yaml").write_text(
        "apiVersion: edge.i4q.eu/v1alpha1\nkind: Model\nmetadata: {name: detector}\nspec:\n"
        "  versions:\n    - version: \"1\"\n"
        "      source: oci://registry.example.com/models/detector@sha256:" + "ab" * 32 + "\n"
        "  placement: lines\n  storage: {hostPath: /var/lib/i4q/models}\n")
    anomaly = repo / "workloads" / "anomaly.yaml"
    anomaly.write_text(anomaly.read_text() + "  model: {name: detector, version: \"1\", mountPath: /models/detector}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", "-C", str(repo), "--env", "dev", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "staging" / "i4qew-models" / "detector" / "Chart.yaml").is_file()
    assert not list(out.glob("hub/*/staging")) and not (out / "hub" / "apps").exists()
    for hub, channel_ns, sets in (("east", "i4qew-channels", ["plants-east"]), ("west", "i4qew-west", ["global"])):
        base = out / "hub" / hub
        sub, where = yaml.safe_load_all((base / "apps" / "i4qew-models" / "models" / "detector.yaml").read_text())
        assert sub["metadata"]["annotations"]["apps.open-cluster-management.io/git-path"] == "staging/i4qew-models/detector"
        assert sub["spec"]["channel"] == f"{channel_ns}/plants-dev"
        assert where["spec"]["clusterSets"] == sets
        (app,) = yaml.safe_load_all((base / "apps" / "i4qew-models" / "application.yaml").read_text())
        assert app["metadata"]["annotations"]["apps.open-cluster-management.io/subscriptions"] == \
            "i4qew-models/detector-dev"
        assert (base / "namespaces" / "i4qew-models.yaml").is_file()
        assert [e for p in base.rglob("*.yaml") for d in yaml.safe_load_all(p.read_text())
                if d and d["kind"] != "Namespace" for e in crd_errors(d)] == []
    gated = yaml.safe_load((out / "charts" / "anomaly" / "values.yaml").read_text())["model"]
    assert gated["gate"]["args"][:2] == ["detector", "1"]


def test_the_models_namespace_is_no_hub_s_channel_namespace(tmp_path: Path) -> None:
    repo = two_hubs(tmp_path / "repo")
    text = (repo / "i4qew.yaml").read_text()
    (repo / "i4qew.yaml").write_text(text.replace("  clusterSets: [global]\n",
                                                  "  clusterSets: [global]\n  models: {namespace: i4qew-west}\n"))
    result = CliRunner().invoke(cli, ["validate", "-C", str(repo)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "i4qew.yaml:11:23: error [model-settings] namespace 'i4qew-west' is the channel namespace of a hub; "
        "the model stagers need their own")
