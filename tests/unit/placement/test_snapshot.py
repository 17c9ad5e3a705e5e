"""The placement snapshot and the model index written on an environment branch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.snapshot import placement_files, read_decisions
from i4qew.validation import validate_repo
from tests.support.placements import cluster, model, policy, workload, write_repo
from tests.support.tools import ROOT


def files(root: Path, env: str, *, inventory: bool = True, base: dict[str, list[str]] | None = None) -> dict[str, Any]:
    repo = validate_repo(root).repo
    assert repo is not None
    inv = load_inventory(root)[0] if inventory else None
    out = placement_files(repo, env, inv, base=base)
    assert set(out) == {"placement/decisions.json", "models/index.json"}
    assert all(b.endswith(b"\n") for b in out.values())
    return {k: json.loads(v) for k, v in out.items()} | {"raw": out}


def test_the_example_repository_in_dev() -> None:
    got = files(ROOT, "dev")
    snap, index = got["placement/decisions.json"], got["models/index.json"]
    assert (snap["kind"], snap["environment"], snap["inventory"]) == ("PlacementSnapshot", "dev", {"clusters": 12})
    chosen = {p["workload"]: snap["decisions"][p["decision"]] for p in snap["placements"]}
    # Hand-computed over clusters/managedclusters.yaml: stage=dev, plus each policy.
    assert chosen == {
        "defect-detector": ["bologna-lab", "porto-lab"],  # GPU, amd64, bologna|porto, not far-edge, model cache
        "inspection-ui": ["bologna-lab", "porto-lab"],
        "sktime": ["bologna-lab", "haifa-lab"],  # env=lrt, not decommissioned, amd64|arm64
        "vibration-anomaly": ["ljubljana-lab"],  # cnc gateway or far-edge ljubljana, arm64
    }
    assert len(snap["decisions"]) == 3  # identical lists are stored once
    sktime = next(p for p in snap["placements"] if p["workload"] == "sktime")
    assert sktime["placement"] == "sktime-dev" and sktime["namespace"] == "i4q-lrt" and sktime["clusters"] == 2
    assert sktime["predicates"] == [{"labels": "arch.edge.i4q.eu/amd64=true,!decommissioned,env=lrt,stage=dev"},
                                    {"labels": "arch.edge.i4q.eu/arm64=true,!decommissioned,env=lrt,stage=dev"}]
    assert [(m["name"], m["version"], [p["placement"] for p in m["placements"]], m["clusters"])
            for m in index["models"]] == [
        ("lrt-forecaster", "2", ["sktime-dev"], ["bologna-lab", "haifa-lab"]),
        ("vibration-autoencoder", "1.4", ["vibration-anomaly-dev"], ["ljubljana-lab"]),
        ("yolo-defects", "2024.3", ["defect-detector-dev"], ["bologna-lab", "porto-lab"]),
    ]
    assert index["models"][0]["storage"] == {"hostPath": "/var/lib/i4q/models"}
    assert index["models"][0]["placements"][0] == {"namespace": "i4q-lrt", "placement": "sktime-dev",
                                                   "workload": "sktime", "mountPath": "/models/lrt-forecaster"}


def test_deterministic_bytes() -> None:
    assert files(ROOT, "production")["raw"] == files(ROOT, "production")["raw"]


def test_without_inventory() -> None:
    got = files(ROOT, "dev", inventory=False)
    snap = got["placement/decisions.json"]
    assert snap["inventory"] is None and snap["decisions"] == {}
    assert {p["clusters"] for p in snap["placements"]} == {None}
    assert {m["clusters"] is None for m in got["models/index.json"]["models"]} == {True}


def test_the_previous_snapshot_is_the_base_of_the_next(tmp_path: Path) -> None:
    fleet = [cluster(n, {"site": "x"}) for n in ("b", "c")]
    root = write_repo(tmp_path, policies=[policy("one", selector="site=x", maxClusters=1)],
                      workloads=[workload("w", "one")], clusters=fleet)
    first = files(root, "dev")["raw"]["placement/decisions.json"]
    assert read_decisions(first) == {"apps/w": ["b"]}
    write_repo(root, policies=[policy("one", selector="site=x", maxClusters=1)], workloads=[workload("w", "one")],
               clusters=[cluster("a", {"site": "x"}), *fleet])
    assert read_decisions(files(root, "dev")["raw"]["placement/decisions.json"]) == {"apps/w": ["a"]}
    again = files(root, "dev", base=read_decisions(first))["raw"]["placement/decisions.json"]
    assert read_decisions(again) == {"apps/w": ["b"]}
    assert read_decisions(b"not json") == {}


def test_advisory_decisions_are_marked_in_the_snapshot_and_the_model_index(tmp_path: Path) -> None:
    """numberOfClusters leaving feasible clusters out: the names are the hub's choice."""
    from i4qew.gitops.describe import placement_changes
    from i4qew.placement.snapshot import read_advisory

    fleet = [cluster(n, {"site": "x", "models.edge.i4q.eu/cache": "true"}) for n in ("a", "b", "c")]
    write_repo(tmp_path, clusters=fleet,
               policies=[policy("two", selector="site=x", maxClusters=2), policy("all", selector="site=x"),
                         policy("cache", selector="models.edge.i4q.eu/cache=true")],
               models=[model("m", "cache")],
               workloads=[workload("pick", "two", model={"name": "m", "version": "1", "mountPath": "/models/m"}),
                          workload("every", "all"), workload("enough", "all")])
    got = files(tmp_path, "dev")
    snap, index = got["placement/decisions.json"], got["models/index.json"]
    marks = {p["workload"]: (p["clusters"], p["feasible"], p["advisory"]) for p in snap["placements"]}
    assert marks == {"pick": (2, 3, True), "every": (3, 3, False), "enough": (3, 3, False)}
    assert [(m["name"], m["clusters"], m["advisory"]) for m in index["models"]] == [("m", ["a", "b"], True)]
    assert read_advisory(got["raw"]["placement/decisions.json"]) == {"apps/pick"}
    table = placement_changes({}, {"apps/pick": ["a", "b"], "apps/every": ["a", "b", "c"]}, {"apps/pick"})
    assert "| `apps/pick` | 0 → 2 (advisory) | `a`, `b` | — |" in table
    assert "| `apps/every` | 0 → 3 | `a`, `b`, `c` | — |" in table
    assert any(line.startswith("(advisory): numberOfClusters") for line in table)
    assert not any("(advisory)" in line for line in placement_changes({}, {"apps/every": ["a"]}, {"apps/pick"}))
