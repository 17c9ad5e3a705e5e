"""The persistent cache (i4qew/store.py, docs/caching.md) as a user meets it: `validate` and
`plan` print the same bytes and exit with the same code with a warm cache as without one,
whatever was edited (workloads, policies, models, the inventory, i4qew.yaml; edits that
make errors, files copied to a second path, files removed and put back); a damaged cache,
two processes filling one cache at once, and a cache that is off or cannot be written
change nothing either."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew import memo, store
from i4qew.cli.main import cli
from i4qew.load import parsed_cache
from tests.support.hubs import TWO_HUBS
from tests.support.repos import copy_repo
from tests.support.tools import ROOT

COMMANDS = (("validate",), ("plan", "--env", "dev"), ("plan", "--env", "production", "--format", "json"))
# Line edits: what replaces the chosen line (None: the line goes; "dup": it is doubled).
LINES = (None, "dup", "  replicas: -3", "  image: registry.example.com/x/y:2.0", "  x: [", "\tbad: tab",
         "    stage: production", "    arch.edge.i4q.eu/arm64: \"true\"", "  name: renamed", "kind: Workload")


def _repo(dest: Path, source: Path = ROOT) -> Path:
    if source == ROOT:
        return copy_repo(dest)
    shutil.copytree(source, dest)
    return dest


def _inputs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json"))


def invoke(root: Path, args: tuple[str, ...], cache: str) -> tuple[int, str]:
    """One command as a fresh process would run it: nothing kept in memory from before."""
    memo.clear()
    result = CliRunner().invoke(cli, [*args, "-C", str(root)], env={store.ENV: cache})
    memo.clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def same_with_and_without(root: Path, cache: Path) -> None:
    for args in COMMANDS:
        cold = invoke(root, args, "")
        assert invoke(root, args, str(cache)) == cold, args
        if args == ("validate",):  # again: validate's whole answer, from its journal
            assert invoke(root, args, str(cache)) == cold, args


EDIT = st.tuples(st.sampled_from(["line", "line", "line", "copy", "remove", "restore", "comment", "yamllint"]),
                 st.integers(0, 30), st.integers(0, 120), st.sampled_from(LINES))
# The repository's yamllint config (read by validate beside the declarations): None removes it.
YAMLLINT = (None, "extends: default\n", "rules:\n  line-length: {max: 40}\n", "extends: relaxed\nrules:\n  indentation: {spaces: 4}\n")


def apply(root: Path, original: dict[Path, bytes], edit: tuple[str, int, int, str | None]) -> None:
    kind, which, where, line = edit
    files = _inputs(root)
    if kind == "yamllint":
        config, text = root / ".yamllint", YAMLLINT[which % len(YAMLLINT)]
        if text is None:
            config.unlink(missing_ok=True)
        else:
            config.write_text(text, "utf-8")
        return
    if kind == "restore":
        path = sorted(original)[which % len(original)]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(original[path])
        return
    if not files:
        return
    path = files[which % len(files)]
    if kind == "remove":
        path.unlink()
    elif kind == "copy":  # the same bytes at a second path: each must report its own path
        path.with_name(f"copy-{where % 3}{path.suffix}").write_bytes(path.read_bytes())
    elif kind == "comment":  # other bytes, the same documents
        path.write_bytes(path.read_bytes() + b"\n# edited\n")
    else:
        lines = path.read_text("utf-8").split("\n")
        at = where % len(lines)
        if line is None:
            del lines[at]
        elif line == "dup":
            lines.insert(at, lines[at])
        else:
            lines[at] = line
        path.write_text("\n".join(lines), "utf-8")


@pytest.mark.slow  # a few hundred in-process runs of validate and plan
@pytest.mark.parametrize("source", ["one hub", "two hubs"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDIT, min_size=1, max_size=4))
def test_a_warm_cache_answers_as_a_cold_run_after_any_edits(tmp_path_factory: pytest.TempPathFactory, source: str,
                                                            edits: list[tuple[str, int, int, str | None]]) -> None:
    work = tmp_path_factory.mktemp("edits")
    root = _repo(work / "repo", TWO_HUBS if source == "two hubs" else ROOT)
    cache = work / "cache"
    original = {p: p.read_bytes() for p in _inputs(root)}
    same_with_and_without(root, cache)  # the cache filled from the unchanged repository
    for edit in edits:
        apply(root, original, edit)
        same_with_and_without(root, cache)


def test_the_same_bytes_at_two_paths_report_each_path(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    (root / "workloads" / "again.yaml").write_bytes((root / "workloads" / "sktime.yaml").read_bytes())
    cache = tmp_path / "cache"
    code, out = invoke(root, ("validate",), "")
    assert code == 1 and "workloads/again.yaml:" in out and "workloads/sktime.yaml:" in out
    assert invoke(root, ("validate",), str(cache)) == (code, out)
    (root / "workloads" / "sktime.yaml").unlink()  # the entry stays; the path it reports is the file's own
    gone = invoke(root, ("validate",), "")
    assert "sktime.yaml" not in gone[1]
    assert invoke(root, ("validate",), str(cache)) == gone


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign", "empty"])
def test_a_damaged_cache_changes_nothing(tmp_path: Path, damage: str) -> None:
    root = _repo(tmp_path / "repo", TWO_HUBS)
    cache = tmp_path / "cache"
    same_with_and_without(root, cache)
    entries = [p for p in cache.rglob("*.bin")]
    assert {p.parent.name for p in entries} == {"documents", "inventory", "invsummary", "eligible", "decided", "decideddocs",
                                              "hubchecks", "rules", "given", "validate", "groupcolumn"}
    for p in entries:
        data = p.read_bytes()
        p.write_bytes({"truncate": data[: len(data) // 3], "garbage": os.urandom(len(data)),
                       "foreign": store.MAGIC + b"\0" * 16 + b"not a pickle", "empty": b""}[damage])
    same_with_and_without(root, cache)
    assert all(store.Store(cache).read(p.parent.name, p.stem) is not None for p in entries)  # written again


def test_the_cache_off_or_unwritable_writes_nothing_and_changes_nothing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "repo", TWO_HUBS)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cold = invoke(root, ("validate",), "")
    assert not (tmp_path / "xdg").exists()  # I4QEW_CACHE_DIR= : off, not the default folder
    (tmp_path / "file").write_text("")
    assert invoke(root, ("validate",), str(tmp_path / "file" / "cache")) == cold
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert invoke(root, ("validate",), str(ro)) == cold
        assert list(ro.iterdir()) == [] or os.geteuid() == 0  # root writes anywhere
    finally:
        ro.chmod(0o700)


@pytest.mark.slow  # processes
def test_processes_filling_one_cache_at_once_all_answer_right(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", TWO_HUBS)
    (root / "workloads" / "anomaly.yaml").write_text(
        (root / "workloads" / "anomaly.yaml").read_text("utf-8").replace("replicas:", "replicas: -1 #"), "utf-8")
    cache = tmp_path / "cache"
    expected = invoke(root, ("validate",), "")
    env = {**os.environ, store.ENV: str(cache)}
    for _ in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "i4qew", "validate", "-C", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(4)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert (p.returncode, out, err) == (expected[0], expected[1], "")
        shutil.rmtree(cache / next(iter(os.listdir(cache))) / "inventory", ignore_errors=True)  # race again
    assert invoke(root, ("validate",), str(cache)) == expected
    assert not [p for p in cache.rglob(".tmp-*")]  # no temporary file left behind


def test_a_small_repository_opens_only_the_packs_its_files_fall_in(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The parsed documents of every repository the cache has seen are not read by a run
    of a small one: it opens one pack per file at most, the ones its texts' keys name."""
    cache = tmp_path / "cache"
    for source in (ROOT, TWO_HUBS):
        same_with_and_without(_repo(tmp_path / source.name, source), cache)
    small = _repo(tmp_path / "small", ROOT / "tests" / "corpus" / "positive" / "minimal")
    read: list[tuple[str, str]] = []
    real = store.Store.read

    def recording(self: store.Store, kind: str, key: str) -> bytes | None:
        read.append((kind, key))
        return real(self, kind, key)

    monkeypatch.setattr(store.Store, "read", recording)
    cold = invoke(small, ("validate",), "")
    assert invoke(small, ("validate",), str(cache)) == cold
    texts = [p.read_bytes() for p in small.rglob("*.yaml")]
    assert {key for kind, key in read if kind == parsed_cache.KIND} == {
        store.Packs.pack(store.digest(t)) for t in texts}
    assert len(list((cache / os.listdir(cache)[0] / parsed_cache.KIND).iterdir())) > len(texts)
