"""compile/staging/held.py: what the staging charts keep for held-back rollout waves — a
commit's own staged versions (its model index says its workloads need them) with the
entries its staging charts gave the stager, and the union over the pinned commits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from i4qew.compile.render import render_tree
from i4qew.compile.staging.chart import compile_staging_charts
from i4qew.compile.staging.held import held, held_at, own_versions
from i4qew.placement.inventory_load import load_inventory
from tests.support.charts import valid_repo
from tests.support.tools import ROOT

YOLO = "staging/i4q-vision/yolo-defects"


def index(*models: tuple[str, str, str, str]) -> bytes:
    """(name, version, distribution, namespace) entries of a model index."""
    entries = [{"name": n, "version": v, "distribution": d, "placements": [{"namespace": ns, "workload": "w"}]}
               for n, v, d, ns in models]
    return json.dumps({"models": entries}).encode()


def values(mode: str, *versions: str, model: str = "yolo-defects") -> bytes:
    return yaml.safe_dump({"mode": mode, "desired": {"versions": [
        {"model": model, "version": v, "source": f"oci://r.example.com/m@sha256:{v * 8}"} for v in versions]}}).encode()


def test_only_a_commits_own_stager_versions_are_held() -> None:
    files = {
        "models/index.json": index(("yolo-defects", "3", "stager", "i4q-vision"),
                                   ("ext", "1", "external", "i4q-vision")),
        # the commit's chart also kept "2" for a wave of its own time: not this commit's to hold
        f"{YOLO}/values.yaml": values("volume", "2", "3"),
        "staging/i4qew-models/ext/values.yaml": values("node", "1", model="ext"),
    }
    got = held_at(files)
    assert list(got) == [YOLO] and list(got[YOLO]) == ["3"]
    assert got[YOLO]["3"]["source"] == "oci://r.example.com/m@sha256:33333333"


def test_a_pvc_staging_holds_its_own_namespaces_versions_and_a_node_staging_all() -> None:
    files = {
        "models/index.json": index(("m", "1", "stager", "plant-a")),
        "staging/plant-b/m/values.yaml": values("volume", "1", model="m"),  # plant-b's workloads do not use 1
        "staging/models/m/values.yaml": values("node", "1", model="m"),
    }
    assert list(held_at(files)) == ["staging/models/m"]


def test_hub_indexes_count_and_unreadable_files_hold_nothing() -> None:
    assert own_versions(b"{not json") == set()
    assert own_versions(b"[]") == set()
    files = {"models/east/index.json": index(("m", "1", "stager", "ns")),
             "staging/ns/m/values.yaml": values("volume", "1", model="m"),
             "staging/ns/n/values.yaml": b"{: not yaml"}
    assert list(held_at(files)) == ["staging/ns/m"]


def test_the_first_commit_given_wins_for_a_version() -> None:
    a = {"models/index.json": index(("m", "1", "stager", "ns")), "staging/ns/m/values.yaml": values("volume", "1", model="m")}
    b = {"models/index.json": index(("m", "1", "stager", "ns")),
         "staging/ns/m/values.yaml": values("volume", "1", model="m").replace(b"sha256:1", b"sha256:9")}
    assert held([a, b])["staging/ns/m"]["1"]["source"].endswith("sha256:11111111")
    assert held([b, a])["staging/ns/m"]["1"]["source"].endswith("sha256:91111111")


def test_a_held_version_joins_the_staging_chart_and_the_head_keeps_its_own_entries() -> None:
    repo = valid_repo(ROOT)
    plain = compile_staging_charts(repo, "dev")
    old = {"model": "yolo-defects", "version": "2023.9", "source": "https://models.i4q.eu/y/2023.9/best.onnx",
           "sha256": "ab" * 32, "file": "best.onnx"}
    own = yaml.safe_load(plain[f"{YOLO}/values.yaml"])["desired"]["versions"]
    # a held entry for a version the head pins itself does not replace the head's
    stale: dict[str, Any] = {**own[0], "size": 1}
    tree = compile_staging_charts(repo, "dev", held={YOLO: {"2023.9": old, own[0]["version"]: stale}})
    got = yaml.safe_load(tree[f"{YOLO}/values.yaml"])
    assert got["desired"]["versions"] == [old, *own]
    assert [j["only"] for j in got["jobs"]] == ["yolo-defects/2023.9", *(j["only"] for j in yaml.safe_load(
        plain[f"{YOLO}/values.yaml"])["jobs"])]
    assert yaml.safe_load(tree[f"{YOLO}/Chart.yaml"])["appVersion"] == f"2023.9, {own[0]['version']}"
    assert tree[f"{YOLO}/Chart.yaml"] != plain[f"{YOLO}/Chart.yaml"]  # a new chart version: the hub re-delivers it
    # the other stagings are untouched
    assert {p: d for p, d in tree.items() if not p.startswith(YOLO)} == \
        {p: d for p, d in plain.items() if not p.startswith(YOLO)}


def test_render_tree_passes_what_is_held_to_the_staging_charts_only(tmp_path: Path) -> None:
    repo = valid_repo(ROOT)
    inventory, _ = load_inventory(ROOT)
    old = {"model": "yolo-defects", "version": "2023.9", "source": "https://models.i4q.eu/y/2023.9/best.onnx",
           "sha256": "ab" * 32, "file": "best.onnx"}
    plain = render_tree(repo, "production", inventory=inventory, source_commit="0" * 40)
    tree = render_tree(repo, "production", inventory=inventory, source_commit="0" * 40, held={YOLO: {"2023.9": old}})
    assert {p for p in tree if tree[p] != plain.get(p)} == {f"{YOLO}/values.yaml", f"{YOLO}/Chart.yaml"}
