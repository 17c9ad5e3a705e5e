"""Loading the declarations from bytes the run read already (publish after validate: the
journal's observation hands them over, load/journal.py `keep`): the same documents,
problems and files as reading them from disk, after every kind of edit, with the
persistent cache on or off; and no declaration is read twice."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from i4qew import memo, store
from i4qew.cli.validate_answer import base_spec
from i4qew.load import repo as load_repo
from i4qew.load.files import DECLARATION_DIRS, REPOSITORY_FILE
from i4qew.load.journal import observe
from i4qew.load.repo import Loaded, load_declarations
from tests.support.repos import copy_repo

KEEP = (REPOSITORY_FILE, *DECLARATION_DIRS)


def _seen(loaded: Loaded) -> tuple[Any, ...]:
    docs = [(d.path, d.index, d.data, d.source.text) for d in loaded.documents]
    return docs, [p.format() for p in loaded.problems], loaded.files


def _spy_on_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The declarations the loader reads from disk from now on, in order."""
    reads: list[str] = []
    real = load_repo.read_bytes

    def spy(rel: str, path: str, limit: int) -> bytes | Any:
        reads.append(rel)
        return real(rel, path, limit)

    monkeypatch.setattr(load_repo, "read_bytes", spy)
    return reads


def _edits(root: Path) -> list[Callable[[], object]]:
    w = root / "workloads"
    anomaly = next(iter(sorted(w.glob("*.yaml"))))
    return [
        lambda: anomaly.write_text(anomaly.read_text("utf-8").replace("name:", "name:  ", 1), "utf-8"),
        lambda: (w / "new.yaml").write_text("apiVersion: i4qew.io/v1\nkind: Workload\nmetadata: {name: n}\n"),
        lambda: (w / "latin1.yaml").write_bytes(b"kind: Workload # caf\xe9\n"),
        lambda: (w / "nul.yaml").write_bytes(b"kind: Workload\x00\n"),
        lambda: (w / "bad.yaml").write_text("kind: [unclosed\n"),
        lambda: (w / "link.yaml").symlink_to(anomaly.name),
        lambda: os.mkfifo(w / "fifo.yaml"),
        lambda: (root / "policies" / "extra.yaml").write_text("# nothing but a comment\n"),
        lambda: (root / REPOSITORY_FILE).write_text((root / REPOSITORY_FILE).read_text("utf-8") + "# edited\n"),
        lambda: (w / "new.yaml").unlink(),
        lambda: (root / REPOSITORY_FILE).unlink(),
    ]


@pytest.mark.parametrize("cache", ["off", "on"])
def test_loading_from_the_observed_bytes_equals_reading_them(tmp_path: Path, cache: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_repo(tmp_path / "repo")
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache") if cache == "on" else "")
    memo.clear()
    try:
        for edit in [lambda: None, *_edits(root)]:
            edit()
            seen = observe(root, base_spec(), KEEP)
            assert seen.read  # the declarations were handed over
            assert _seen(load_declarations(root, seen.read)) == _seen(load_declarations(root))
    finally:
        memo.clear()


def test_no_declaration_is_read_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what the observation did not hand over is read again: here a file added after it."""
    root = copy_repo(tmp_path / "repo")
    seen = observe(root, base_spec(), KEEP)
    (root / "workloads" / "late.yaml").write_text("kind: Workload\n")
    reads = _spy_on_reads(monkeypatch)
    loaded = load_declarations(root, seen.read)
    assert reads == ["workloads/late.yaml"] and "workloads/late.yaml" in loaded.files
    assert set(loaded.files) - {"workloads/late.yaml"} <= set(seen.read)


def test_bytes_over_the_limit_are_read_as_the_loader_reads_them(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Handed-over bytes longer than the limit (a file that grew while it was observed) are
    not trusted: the file is read, and refused, as usual."""
    root = copy_repo(tmp_path / "repo")
    seen = observe(root, base_spec(), KEEP)
    monkeypatch.setattr(load_repo, "MAX_DECLARATION_BYTES", 64)
    loaded = load_declarations(root, seen.read)
    refused = {p.path for p in loaded.problems if p.rule == "file-too-large"}
    assert refused and refused == {rel for rel in loaded.files if len(seen.read[rel]) > 64}


def test_validate_builds_from_the_bytes_its_journal_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A validate that computes its answer (the cache on, a file changed since the last one)
    reads no declaration a second time, and says what a validate without the cache says."""
    from tests.unit.cli.test_cache import invoke

    root, cache = copy_repo(tmp_path / "repo"), str(tmp_path / "cache")
    assert invoke(root, ("validate",), cache)[0] == 0
    anomaly = next(iter(sorted((root / "workloads").glob("*.yaml"))))
    anomaly.write_text(anomaly.read_text("utf-8") + "\n", "utf-8")
    reads = _spy_on_reads(monkeypatch)
    warm = invoke(root, ("validate",), cache)
    assert reads == []
    assert warm == invoke(root, ("validate",), "") and reads


def test_a_render_that_judges_builds_from_the_bytes_its_look_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """publish (and plan) look for validate's answer first (cli/validate_answer.py
    `validation`); when the files changed since, they judge from the bytes that look read:
    no declaration is read a second time, and the answer is validate_repo's without the cache."""
    from i4qew.cli.validate_answer import validation
    from i4qew.validation import validate_repo
    from tests.unit.cli.test_cache import invoke

    root, cache = copy_repo(tmp_path / "repo"), str(tmp_path / "cache")
    for _ in range(2):  # (the first learns the paths the declarations name, the second keeps the answer)
        assert invoke(root, ("validate",), cache)[0] == 0
    anomaly = next(iter(sorted((root / "workloads").glob("*.yaml"))))
    anomaly.write_text(anomaly.read_text("utf-8") + "\n", "utf-8")
    reads = _spy_on_reads(monkeypatch)
    monkeypatch.setenv(store.ENV, cache)
    memo.clear()
    try:
        warm = validation(root)
        assert reads == []
        monkeypatch.setenv(store.ENV, "")
        memo.clear()
        cold = validate_repo(root)
    finally:
        memo.clear()
    assert reads  # (the spy sees reads)
    assert [p.format() for p in warm.problems] == [p.format() for p in cold.problems] and warm.files == cold.files
