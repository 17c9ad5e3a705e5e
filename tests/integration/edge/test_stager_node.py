"""What the stager keeps on a node: two stagers racing, removed versions, the previous version
kept for rollback, several owners sharing a root, a re-pinned version, a directory the
kubelet made, and the status an operator reads (file and ConfigMap)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from tests.integration.edge.run import desired, spawn, stage, visible
from tests.integration.edge.servers import KubeApi, ModelServer, Route

BODIES = {v: os.urandom(50_000) for v in ("1", "2", "3")}


def version(models: ModelServer, v: str, model: str = "detector") -> dict[str, object]:
    path = f"/{model}/{v}/model.bin"
    models.routes.setdefault(path, Route(BODIES[v]))
    return {"model": model, "version": v, "source": models.url + path,
            "sha256": hashlib.sha256(BODIES[v]).hexdigest()}


def versions(root: Path, model: str = "detector") -> list[str]:
    d = root / model
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def fetches(models: ModelServer) -> int:
    return len(models.requests)


def test_two_stagers_racing_fetch_once_and_both_succeed(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    hold = threading.Event()
    models.routes["/detector/1/model.bin"] = Route(BODIES["1"], hold=hold)
    doc = desired(root, [version(models, "1")])
    first = spawn(doc, tmp_path, "first", "--once")
    second = None
    try:
        models.wait_requests(1)  # the first stager is downloading (held by the server)
        second = spawn(doc, tmp_path, "second", "--once")
        second.wait_line("waiting for detector@1.lock: another stager holds it")
        assert visible(root) == []
        hold.set()
        assert first.finish()[0] == 0
        code, log = second.finish()
        assert code == 0, log
        assert "staged meanwhile by another stager" in log
    finally:
        hold.set()
        first.kill()
        if second:
            second.kill()
    assert fetches(models) == 1
    assert (root / "detector" / "1" / "model.bin").read_bytes() == BODIES["1"]


def test_racing_owners_with_different_versions_keep_both(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    hold = threading.Event()
    models.routes["/detector/1/model.bin"] = Route(BODIES["1"], hold=hold)
    a = spawn(desired(root, [version(models, "1")], owner="dev.detector", keep=0), tmp_path, "a", "--once")
    b = spawn(desired(root, [version(models, "2")], owner="prod.detector", keep=0), tmp_path, "b", "--once")
    try:
        code_b, log_b = b.finish()  # b publishes v2 and collects while a still downloads v1
        assert code_b == 0, log_b
        hold.set()
        code_a, log_a = a.finish()
        assert code_a == 0, log_a
    finally:
        hold.set()
        a.kill()
        b.kill()
    assert versions(root) == ["1", "2"]
    # each pass of either owner keeps the other's version
    assert stage(desired(root, [version(models, "2")], owner="prod.detector", keep=0), tmp_path).returncode == 0
    assert versions(root) == ["1", "2"]


def test_removed_version_goes_and_the_previous_stays_for_rollback(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    for v in ("1", "2", "3"):
        done = stage(desired(root, [version(models, v)]), tmp_path)
        assert done.returncode == 0, done.stderr
    assert versions(root) == ["2", "3"]  # 3 in use, 2 kept for rollback, 1 removed
    assert "removed: no stager on this node needs it any more" in done.stderr
    st = json.loads((root / ".i4qew" / "status" / "dev.models.json").read_text())
    assert [(v["version"], v["state"]) for v in st["versions"]] == [("3", "Ready"), ("2", "Kept")]
    # roll back to 2: nothing to fetch; 3 is now the previous
    asked = fetches(models)
    assert stage(desired(root, [version(models, "2")]), tmp_path).returncode == 0
    assert fetches(models) == asked
    assert versions(root) == ["2", "3"]
    # keepPrevious 0: only what is in use stays
    assert stage(desired(root, [version(models, "2")], keep=0), tmp_path).returncode == 0
    assert versions(root) == ["2"]


def test_previous_is_the_last_version_that_was_ready(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    assert stage(desired(root, [version(models, "1")]), tmp_path).returncode == 0
    broken = {**version(models, "2"), "sha256": "0" * 64}  # 2 never stages
    assert stage(desired(root, [broken]), tmp_path).returncode == 1
    assert stage(desired(root, [version(models, "3")]), tmp_path).returncode == 0
    assert versions(root) == ["1", "3"]  # the rollback target is 1, the last one that worked


def test_a_version_another_owner_uses_is_never_removed(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    assert stage(desired(root, [version(models, "1")], owner="a", keep=0), tmp_path).returncode == 0
    assert stage(desired(root, [version(models, "1")], owner="b", keep=0), tmp_path).returncode == 0
    assert stage(desired(root, [version(models, "2")], owner="a", keep=0), tmp_path).returncode == 0
    assert versions(root) == ["1", "2"]  # b still uses 1
    # b's stager is gone (its chart was removed): after the owner TTL its record protects nothing
    old = time.time() - 3600
    os.utime(root / ".i4qew" / "owners" / "b.json", (old, old))
    done = stage(desired(root, [version(models, "2")], owner="a", keep=0), tmp_path, "--owner-ttl", "600")
    assert done.returncode == 0
    assert "owner b has not run for 600s" in done.stderr
    assert versions(root) == ["2"]
    assert not (root / ".i4qew" / "owners" / "b.json").exists()


def test_models_nobody_manages_are_left_alone(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    external = root / "external-model" / "7"
    external.mkdir(parents=True)
    (external / ".i4qew-ready").write_text("format=i4qew.model-ready/v1\n")
    assert stage(desired(root, [version(models, "1")], keep=0), tmp_path).returncode == 0
    assert external.is_dir()


def test_a_directory_the_kubelet_created_is_replaced(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    (root / "detector" / "1").mkdir(parents=True)  # a subPath mount of a missing version makes an empty directory
    done = stage(desired(root, [version(models, "1")]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (root / "detector" / "1").iterdir()) == [".i4qew-ready", "model.bin"]


def test_a_repinned_version_is_replaced_and_a_conflicting_pin_refused(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    assert stage(desired(root, [version(models, "1")], owner="a"), tmp_path).returncode == 0
    repinned = {**version(models, "2"), "version": "1"}  # version 1 now names other bytes
    done = stage(desired(root, [repinned], owner="a"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "model.bin").read_bytes() == BODIES["2"]
    # another owner pinning version 1 to the old bytes is a conflict, not a tug of war
    done = stage(desired(root, [version(models, "1")], owner="b"), tmp_path)
    assert done.returncode == 1
    assert "conflict: owner a pins digest sha256:" in done.stderr
    assert (root / "detector" / "1" / "model.bin").read_bytes() == BODIES["2"]


def test_status_is_merged_into_a_configmap_per_node(tmp_path: Path, models: ModelServer, kube_api: KubeApi) -> None:
    root = tmp_path / "root"
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token-value\n")
    args = ("--report-configmap", "i4q-models/detector-staging", "--kube-api", kube_api.url,
            "--service-account-dir", str(sa))
    done = stage(desired(root, [version(models, "1")]), tmp_path, *args)
    assert done.returncode == 0, done.stderr
    [patch] = kube_api.patches
    assert patch["path"] == "/api/v1/namespaces/i4q-models/configmaps/detector-staging"
    assert patch["content_type"] == "application/merge-patch+json"
    assert patch["auth"] == "Bearer sa-token-value"
    assert list(patch["body"]) == ["data"] and list(patch["body"]["data"]) == ["edge-1.json"]
    reported = patch["body"]["data"]["edge-1.json"]
    assert reported == (root / ".i4qew" / "status" / "dev.models.json").read_text()
    assert json.loads(reported)["versions"][0]["state"] == "Ready"
    assert "sa-token-value" not in done.stderr


def test_an_unreachable_api_server_does_not_stop_staging(tmp_path: Path, models: ModelServer) -> None:
    down = ModelServer(up=False)
    try:
        root = tmp_path / "root"
        sa = tmp_path / "sa"
        sa.mkdir()
        (sa / "token").write_text("t")
        done = stage(desired(root, [version(models, "1")]), tmp_path, "--report-configmap", "ns/cm",
                     "--kube-api", down.url, "--service-account-dir", str(sa))
        assert done.returncode == 0, done.stderr
        assert "warning: node edge-1: status not reported: Kubernetes API unreachable" in done.stderr
        assert (root / ".i4qew" / "status" / "dev.models.json").is_file()
    finally:
        down.close()


def test_an_unusable_root_is_one_error_line_not_a_traceback(tmp_path: Path, models: ModelServer) -> None:
    (tmp_path / "file").write_text("x")
    done = stage(desired(tmp_path / "file" / "root", [version(models, "1")]), tmp_path)
    assert done.returncode == 1
    assert done.stderr == (f"i4qew-stager: error: node edge-1: model root {tmp_path}/file/root unusable: "
                           "Not a directory (NotADirectoryError)\n")


def test_abandoned_work_of_an_old_pin_is_removed_and_current_work_kept(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    entry = version(models, "1")
    stale = root / ".i4qew" / "tmp" / f"detector@1@{'0' * 16}"
    current = root / ".i4qew" / "tmp" / f"detector@2@{hashlib.sha256(BODIES['2']).hexdigest()[:16]}"
    for d in (stale, current):
        d.mkdir(parents=True)
    models.routes["/detector/2/model.bin"] = Route(BODIES["2"], status=503)
    done = stage(desired(root, [entry, version(models, "2")]), tmp_path, "--attempts", "1")
    assert done.returncode == 1
    assert not stale.exists()
    assert current.is_dir()  # version 2 is still desired: its partial download stays for resuming


def test_only_stages_one_version_and_keeps_what_the_desired_state_names(tmp_path: Path, models: ModelServer) -> None:
    """A Job per version on a shared volume: `--only MODEL/VERSION` fetches that version alone,
    while what stays is decided by the whole desired state (the other Jobs' versions stay)."""
    root = tmp_path / "root"
    assert stage(desired(root, [version(models, "1")], owner="dev.detector", keep=0), tmp_path).returncode == 0
    doc = desired(root, [version(models, "2"), version(models, "3")], owner="dev.detector", keep=0)
    done = stage(doc, tmp_path, "--only", "detector/3")
    assert done.returncode == 0, done.stderr
    assert versions(root) == ["3"]  # 1 is desired no more; 2 is another Job's
    assert [path for path, _ in models.requests if "/2/" in path] == []
    assert [path for path, _ in models.requests if "/3/" in path] == ["/detector/3/model.bin"]
    status = json.loads((root / ".i4qew" / "status" / "dev.detector@detector@3.json").read_text())
    assert [(v["version"], v["state"]) for v in status["versions"]] == [("3", "Ready")]
    done = stage(doc, tmp_path, "--only", "detector/2")
    assert done.returncode == 0, done.stderr
    assert versions(root) == ["2", "3"]
    done = stage(doc, tmp_path, "--only", "detector/4")
    assert done.returncode == 2
    assert done.stderr.endswith("error [stage-desired] --only detector/4: not a desired version\n")
