"""The stager against a real HTTP server: good bytes, wrong bytes, a connection that dies
mid-download, a server that is down and comes back, a full disk."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from tests.integration.edge.run import Running, desired, spawn, stage, visible
from tests.integration.edge.servers import ModelServer, Route

BODY = os.urandom(300_000)
HEX = hashlib.sha256(BODY).hexdigest()


def entry(server: ModelServer, path: str = "/m/model.onnx", version: str = "1", body: bytes = BODY,
          **extra: object) -> dict[str, object]:
    server.routes.setdefault(path, Route(body))
    return {"model": "detector", "version": version, "source": server.url + path,
            "sha256": hashlib.sha256(body).hexdigest(), **extra}


def status(root: Path, owner: str = "dev.models") -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".i4qew" / "status" / f"{owner}.json").read_text())
    return data


def test_good_digest_is_staged_with_its_marker(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    done = stage(desired(root, [entry(models)]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "model.onnx").read_bytes() == BODY
    marker = (root / "detector" / "1" / ".i4qew-ready").read_text().splitlines()
    assert marker[0] == "format=i4qew.model-ready/v1"
    assert {"model=detector", "version=1", f"digest=sha256:{HEX}", f"size={len(BODY)}"} <= set(marker)
    assert visible(root) == ["detector", "detector/1", "detector/1/.i4qew-ready", "detector/1/model.onnx"]
    assert list((root / ".i4qew" / "tmp").iterdir()) == []
    assert status(root)["ready"] is True
    assert f"model detector version 1 on node edge-1: ready: sha256:{HEX} verified" in done.stderr
    # a second pass finds it ready and fetches nothing
    before = len(models.requests)
    assert stage(desired(root, [entry(models)]), tmp_path).returncode == 0
    assert len(models.requests) == before


def test_wrong_bytes_never_become_visible(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    e = entry(models)
    models.routes["/m/model.onnx"] = Route(BODY[:-1] + b"X")  # the source serves other bytes
    done = stage(desired(root, [e]), tmp_path)
    assert done.returncode == 1
    assert "digest mismatch" in done.stderr and f"expected sha256:{HEX}" in done.stderr
    assert visible(root) == []
    assert list((root / ".i4qew" / "tmp").iterdir()) == []  # a wrong download is not kept for resuming
    st = status(root)
    assert st["ready"] is False
    assert st["versions"] == [{"model": "detector", "version": "1", "digest": f"sha256:{HEX}",
                               "state": "Failed", "message": st["versions"][0]["message"]}]  # type: ignore[index]
    assert len(models.requests) == 1  # a wrong digest is not retried within a pass


def test_more_bytes_than_declared_are_refused(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    done = stage(desired(root, [entry(models, size=len(BODY) - 10)]), tmp_path)
    assert done.returncode == 1
    assert f"sends more than the declared {len(BODY) - 10} bytes" in done.stderr
    assert visible(root) == []


def test_source_dying_mid_download_resumes_and_never_shows_a_partial_version(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    models.routes["/m/model.onnx"] = Route(BODY, die_after=100_000, die_times=1)
    first = stage(desired(root, [entry(models)]), tmp_path, "--attempts", "1")
    assert first.returncode == 1
    assert "broke off after 100000 bytes" in first.stderr
    assert visible(root) == []  # nothing a workload or the gate could take for the model
    partial = list((root / ".i4qew" / "tmp").rglob("download.part"))
    assert [p.stat().st_size for p in partial] == [100_000]
    second = stage(desired(root, [entry(models)]), tmp_path)
    assert second.returncode == 0, second.stderr
    assert models.requests[-1] == ("/m/model.onnx", "bytes=100000-")  # resumed, not restarted
    assert (root / "detector" / "1" / "model.onnx").read_bytes() == BODY


def test_death_mid_download_without_range_support_restarts_within_one_pass(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    models.routes["/m/model.onnx"] = Route(BODY, die_after=50_000, die_times=2, ranges=False)
    done = stage(desired(root, [entry(models)]), tmp_path, "--attempts", "3")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("attempt ") == 2 and "retry in" in done.stderr
    assert (root / "detector" / "1" / "model.onnx").read_bytes() == BODY


def test_unreachable_source_that_comes_back(tmp_path: Path) -> None:
    down = ModelServer(up=False)  # the port is bound but refuses connections
    try:
        root = tmp_path / "root"
        e = entry(down)
        run = spawn(desired(root, [e]), tmp_path, "stager", "--once", "--attempts", "100000")
        run.wait_line("source unreachable (Connection refused)")
        assert not (root / "detector").exists()
        down.come_up()
        code, log = run.finish()
        assert code == 0, log
        assert "retry in" in log and "ready: sha256:" in log
        assert (root / "detector" / "1" / "model.onnx").read_bytes() == BODY
    finally:
        down.close()


def test_server_errors_are_retried_and_reported(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    models.routes["/m/model.onnx"] = Route(BODY, status=503)
    done = stage(desired(root, [entry(models)]), tmp_path, "--attempts", "3")
    assert done.returncode == 1
    assert len(models.requests) == 3
    assert "not staged after 3 attempts: HTTP 503" in done.stderr
    models.routes["/m/model.onnx"] = Route(BODY, status=404)
    done = stage(desired(root, [entry(models)]), tmp_path, "--attempts", "3")
    assert len(models.requests) == 4  # not found is not retried
    assert "HTTP 404" in done.stderr


def test_full_disk_leaves_nothing_and_keeps_what_was_there(small_disk: Path, tmp_path: Path, models: ModelServer) -> None:
    small = os.urandom(100_000)
    models.routes["/small.bin"] = Route(small)
    big = os.urandom(2_000_000)  # twice the disk
    models.routes["/big.bin"] = Route(big)
    v1 = entry(models, "/small.bin", "1", small)
    assert stage(desired(small_disk, [v1]), tmp_path).returncode == 0
    # size not declared: the write itself hits ENOSPC
    v2 = entry(models, "/big.bin", "2", big)
    done = stage(desired(small_disk, [v1, v2]), tmp_path)
    assert done.returncode == 1
    assert "no space left on device" in done.stderr
    assert visible(small_disk) == ["detector", "detector/1", "detector/1/.i4qew-ready", "detector/1/small.bin"]
    assert list((small_disk / ".i4qew" / "tmp").iterdir()) == []  # the partial is gone: the disk is free again
    assert (small_disk / "detector" / "1" / "small.bin").read_bytes() == small
    st = status(small_disk)
    assert [v["state"] for v in st["versions"]] == ["Ready", "Failed"]  # type: ignore[index]
    # size declared: refused before a byte is fetched
    asked = len(models.requests)
    done = stage(desired(small_disk, [v1, {**v2, "size": len(big)}]), tmp_path)
    assert done.returncode == 1 and f"needs {len(big)} bytes" in done.stderr
    assert len(models.requests) == asked


def test_watch_mode_stages_then_waits_and_stops_on_sigterm(tmp_path: Path, models: ModelServer) -> None:
    root = tmp_path / "root"
    run: Running = spawn(desired(root, [entry(models)]), tmp_path, "stager", "--interval", "3600")
    try:
        run.wait_line("next pass in 3600s")
        assert (root / "detector" / "1" / ".i4qew-ready").is_file()
        run.proc.terminate()
        code, _ = run.finish()
        assert code == 0
    finally:
        run.kill()
