"""The gate init container, run by /bin/sh and by busybox sh: it passes only when the marker
of every required version is there with the declared digest, and otherwise says which model
version is missing on which node and why, then fails after its bound."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.integration.edge.run import Running, desired, gate, stage
from tests.integration.edge.servers import ModelServer, Route

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


def shells() -> list[list[str]]:
    found = [["/bin/sh"]]
    busybox = shutil.which("busybox")
    found.append([busybox, "sh"] if busybox else ["busybox-missing"])
    return found


@pytest.fixture(params=shells(), ids=lambda s: "busybox" if "busybox" in s[0] else "sh")
def shell(request: pytest.FixtureRequest) -> list[str]:
    if request.param == ["busybox-missing"]:
        pytest.skip("busybox is not installed; .ci/run installs it")
    return list(request.param)


def mark(root: Path, model: str, version: str, digest: str, first: str = "format=i4qew.model-ready/v1") -> None:
    d = root / model / version
    d.mkdir(parents=True, exist_ok=True)
    (d / ".i4qew-ready").write_text(f"{first}\nmodel={model}\nversion={version}\ndigest={digest}\nsize=1\n")


def test_present_marker_passes(shell: list[str], tmp_path: Path) -> None:
    mark(tmp_path, "detector", "1", DIGEST)
    mark(tmp_path, "tokenizer", "v2", OTHER)
    code, log = gate(shell, tmp_path, "detector", "1", DIGEST, "tokenizer", "v2", OTHER).finish()
    assert code == 0, log
    assert log.splitlines() == [f"i4qew-gate: ready: model detector version 1 ({DIGEST}) on node edge-1",
                                f"i4qew-gate: ready: model tokenizer version v2 ({OTHER}) on node edge-1"]


def test_any_accepts_a_valid_marker_of_whatever_digest(shell: list[str], tmp_path: Path) -> None:
    """`any`: a version without a pin (an external distributor's, or a followed OCI tag) needs
    its marker, but not one particular digest."""
    mark(tmp_path, "detector", "1", OTHER)
    code, log = gate(shell, tmp_path, "detector", "1", "any").finish()
    assert code == 0, log
    assert log.splitlines() == [f"i4qew-gate: ready: model detector version 1 ({OTHER}, not pinned) on node edge-1"]


@pytest.mark.parametrize(("setup", "reason"), [
    ("nothing", "absent: no directory {root}/detector/1"),
    ("empty-dir", "absent: {root}/detector/1 has no .i4qew-ready (not staged yet, or still staging)"),
    ("no-digest", "unreadable marker: {root}/detector/1/.i4qew-ready has no sha256 digest"),
])
def test_any_still_needs_the_marker(shell: list[str], tmp_path: Path, setup: str, reason: str) -> None:
    if setup == "empty-dir":
        (tmp_path / "detector" / "1").mkdir(parents=True)
    elif setup == "no-digest":
        mark(tmp_path, "detector", "1", "")
    code, log = gate(shell, tmp_path, "detector", "1", "any").finish()
    assert code == 1
    assert f"model detector version 1 is not ready on node edge-1: {reason.format(root=tmp_path)}" in log


@pytest.mark.parametrize(("setup", "reason"), [
    ("nothing", "absent: no directory {root}/detector/1"),
    ("empty-dir", "absent: {root}/detector/1 has no .i4qew-ready (not staged yet, or still staging)"),
    ("other-digest", f"digest mismatch: the marker has {OTHER}, the workload declares {DIGEST}"),
    ("other-version", "marker mismatch: {root}/detector/1/.i4qew-ready is for model 'detector' version '9'"),
    ("bad-format", "unreadable marker: {root}/detector/1/.i4qew-ready does not start with format=i4qew.model-ready/v1"),
])
def test_missing_or_wrong_marker_fails_and_says_why(shell: list[str], tmp_path: Path, setup: str, reason: str) -> None:
    if setup == "empty-dir":
        (tmp_path / "detector" / "1").mkdir(parents=True)
    elif setup == "other-digest":
        mark(tmp_path, "detector", "1", OTHER)
    elif setup == "other-version":
        mark(tmp_path, "detector", "9", DIGEST)
        os.rename(tmp_path / "detector" / "9", tmp_path / "detector" / "1")
    elif setup == "bad-format":
        mark(tmp_path, "detector", "1", DIGEST, first="format=something-else/v9")
    term = tmp_path / "termination-log"
    term.write_text("")
    code, log = gate(shell, tmp_path, "detector", "1", DIGEST, env={"I4QEW_TERMINATION_LOG": str(term)}).finish()
    assert code == 1
    expected = f"model detector version 1 is not ready on node edge-1: {reason.format(root=tmp_path)}"
    assert log.splitlines() == [f"i4qew-gate: error: {expected}; gave up after 0s (I4QEW_GATE_TIMEOUT=0), "
                                "the pod restarts this check"]
    assert term.read_text() == expected + "\n"


def test_waits_with_logged_backoff_until_the_stager_is_done(shell: list[str], tmp_path: Path) -> None:
    models = ModelServer()
    try:
        body = os.urandom(10_000)
        models.routes["/m.bin"] = Route(body)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        run: Running = gate(shell, tmp_path / "root", "detector", "1", digest, timeout=120)
        first = run.wait_line("i4qew-gate: waiting:")
        assert ("model detector version 1 is not ready on node edge-1: absent: no directory "
                f"{tmp_path / 'root'}/detector/1; next check in 1s (0s of 120s)") in first
        done = stage(desired(tmp_path / "root", [{"model": "detector", "version": "1", "source": models.url + "/m.bin",
                                                  "sha256": digest[7:]}]), tmp_path)
        assert done.returncode == 0, done.stderr
        code, log = run.finish()
        assert code == 0, log
        assert log.splitlines()[-1] == f"i4qew-gate: ready: model detector version 1 ({digest}) on node edge-1"
    finally:
        models.close()


def test_gives_up_after_its_bound(shell: list[str], tmp_path: Path) -> None:
    code, log = gate(shell, tmp_path, "detector", "1", DIGEST, timeout=3, env={"I4QEW_GATE_BACKOFF_MAX": "2"}).finish()
    assert code == 1
    waits = [line.split("next check in ")[1] for line in log.splitlines() if "waiting:" in line]
    assert waits == ["1s (0s of 3s)", "2s (1s of 3s)"]
    assert "gave up after 3s (I4QEW_GATE_TIMEOUT=3)" in log.splitlines()[-1]


@pytest.mark.parametrize(("args", "env", "message"), [
    (["detector", "1"], {}, "expected MODEL VERSION DIGEST triples, got 2 arguments"),
    (["detector", "1", "sha256:abc"], {}, "'sha256:abc' is not sha256:<64 lowercase hex> or any"),
    (["detector", "1", "ANY"], {}, "'ANY' is not sha256:<64 lowercase hex> or any"),
    (["../etc", "1", DIGEST], {}, "'../etc' is not a model or version name"),
    (["detector", "1", DIGEST], {"I4QEW_GATE_TIMEOUT": "soon"}, "I4QEW_GATE_TIMEOUT must be whole seconds, not 'soon'"),
    (["detector", "1", DIGEST], {"I4QEW_GATE_BACKOFF_MAX": "0"}, "I4QEW_GATE_BACKOFF_MAX must be whole seconds >= 1"),
])
def test_bad_arguments(shell: list[str], tmp_path: Path, args: list[str], env: dict[str, str], message: str) -> None:
    code, log = gate(shell, tmp_path, *args, env=env).finish()
    assert code == 2
    assert log.splitlines()[0] == f"i4qew-gate: error: {message}"
