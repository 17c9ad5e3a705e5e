"""`validate`'s whole answer from the persistent cache (cli/validate_answer.py, docs/caching.md):
a repository whose files read the same bytes again is answered without computing; a change
to any file it read (in the folders it reads whole, at its root, a path a declaration names)
is computed again; files changed while it ran, and a yamllint config that reads files the
journal does not know, are never kept as an answer; and every file validate opens or lists
is one its journal observes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from i4qew import memo, store
from i4qew.cli import validate as validate_cli
from i4qew.cli.validate_answer import answer
from tests.support.hubs import two_hubs
from tests.support.tools import ROOT
from tests.unit.cli.test_cache import invoke

CASES = ROOT / "tests" / "corpus"


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The repositories validate computed an answer for (not answered from the cache)."""
    runs: list[Path] = []
    real = validate_cli._validate

    def counting(root: Path, known: Mapping[str, bytes]) -> object:
        runs.append(root)
        return real(root, known)

    monkeypatch.setattr(validate_cli, "_validate", counting)
    return runs


def warm_equals_cold(root: Path, cache: Path) -> tuple[int, str]:
    cold = invoke(root, ("validate",), "")
    assert invoke(root, ("validate",), str(cache)) == cold
    return cold


def test_an_unchanged_repository_is_answered_from_its_journal(tmp_path: Path, computed: list[Path]) -> None:
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    warm_equals_cold(root, cache)
    assert len(computed) == 2  # cold, then warm filling the cache
    warm_equals_cold(root, cache)
    assert len(computed) == 3  # only the cold run computed
    anomaly = root / "workloads" / "anomaly.yaml"
    anomaly.write_text(anomaly.read_text("utf-8").replace("cpu: 500m", "cpu: -500m"), "utf-8")
    code, out = warm_equals_cold(root, cache)
    assert code == 1 and "workloads/anomaly.yaml:" in out and len(computed) == 5
    (root / "workloads" / "notes.txt").write_text("not a declaration")  # a new file in a folder read whole
    warm_equals_cold(root, cache)
    assert len(computed) == 7


def test_a_file_a_declaration_names_outside_the_folders_is_in_the_journal(tmp_path: Path,
                                                                          computed: list[Path]) -> None:
    """git-ca: i4qew.yaml names certs/gitlab-ca.pem, which validate reads and judges."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    shutil.copytree(CASES / "negative" / "git-ca", root, ignore=shutil.ignore_patterns("expected.txt"))
    code, out = warm_equals_cold(root, cache)
    assert code == 1 and "certificate 1 is not base64 PEM data" in out
    warm_equals_cold(root, cache)  # the first warm run learnt the path; this one observed it and kept the answer
    before = len(computed)
    warm_equals_cold(root, cache)
    assert len(computed) == before + 1  # answered from the journal
    pem = root / "certs" / "gitlab-ca.pem"
    pem.write_bytes(b"\x00" + pem.read_bytes())
    code, out = warm_equals_cold(root, cache)
    assert "certificate 1 is not base64 PEM data" not in out
    pem.unlink()
    code, out = warm_equals_cold(root, cache)
    assert "does not exist in the repository" in out
    (root / "certs").rmdir()
    (root / "certs").symlink_to(tmp_path)
    code, out = warm_equals_cold(root, cache)
    assert "symlink" in out


def test_a_file_changed_while_validate_ran_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_hubs(tmp_path / "repo")
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    memo.clear()  # this process's store, as the environment now says
    runs = []

    def changing(known: object) -> tuple[list[object], list[str], None]:
        runs.append(1)
        (root / "workloads" / "anomaly.yaml").write_text("changed while validate ran\n")
        return [], ["stale"], None

    try:
        for _ in range(3):
            answer(root, changing)  # type: ignore[arg-type]
        assert len(runs) == 3
        assert answer(root, lambda known: ([], ["kept"], None)) == ([], ["kept"])
        assert answer(root, changing) == ([], ["kept"])  # type: ignore[arg-type]
        assert len(runs) == 3
    finally:
        memo.clear()


def test_a_yamllint_config_reading_other_files_is_never_answered_from_the_cache(tmp_path: Path,
                                                                                computed: list[Path]) -> None:
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    (root / ".yamllint").write_text(f"extends: {root / 'shared.yaml'}\n")  # yamllint: from the working folder
    (root / "shared.yaml").write_text("extends: default\n")
    warm_equals_cold(root, cache)
    warm_equals_cold(root, cache)
    assert len(computed) == 4
    (root / "shared.yaml").write_text("rules: {}\n")
    code, out = warm_equals_cold(root, cache)
    assert code == 0 and "[yamllint]" not in out
    assert len(computed) == 6


_AUDIT = r"""
import json, os, pathlib, sys
import i4qew
from i4qew import memo
from i4qew.cli import validate
from i4qew.cli.validate_answer import spec_for
# imports read the package's own files and the libraries' (a venv may live in the repository: CI's .venv)
code = {os.path.realpath(p) for p in (os.path.dirname(i4qew.__file__), sys.prefix, sys.base_prefix, *sys.path) if p}
root, seen, skip = "", set(), ()
def hook(event, args):
    if event in ("open", "os.scandir", "os.listdir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if (path == root or path.startswith(root + os.sep)) and not path.startswith(skip):
            seen.add(os.path.relpath(path, root))
sys.addaudithook(hook)
for arg in sys.argv[1:]:
    memo.clear()
    root, seen = os.path.realpath(arg), set()
    # code folders inside the repository, not the repository itself or a folder above it
    skip = tuple(c + os.sep for c in code if not (root == c or root.startswith(c + os.sep)))
    problems, files, repo = validate._validate(pathlib.Path(arg))
    spec = spec_for(repo)
    print(json.dumps({"repo": arg, "seen": sorted(seen), "trees": [t for t, _ in spec.trees],
                      "roots": [r for r, _ in spec.roots], "refs": [r for r, _ in spec.refs]}))
"""


def _covered(rel: str, trees: list[str], roots: list[str], refs: list[str]) -> bool:
    return (rel in (".", *roots) or any(rel == t or rel.startswith(t + "/") for t in trees)
            or any(rel == r or r.startswith(rel + "/") for r in refs))


@pytest.mark.slow  # a process over the corpus
def test_every_file_validate_opens_or_lists_is_in_its_journal(tmp_path: Path) -> None:
    """An audit hook (open, os.scandir, os.listdir) on validate over every corpus repository,
    this repository and the two-hub example: each path it touched under the repository is
    one the journal observes. A new file read by validate fails here until the journal
    (cli/validate_answer.py spec_for) observes it."""
    repos = [ROOT, ROOT / "docs" / "examples" / "two-hubs",
             *sorted(p for p in (CASES / "positive").iterdir() if p.is_dir()),
             *sorted(p for p in (CASES / "negative").iterdir() if p.is_dir())]
    env = {**os.environ, store.ENV: ""}
    got = subprocess.run([sys.executable, "-c", _AUDIT, *map(str, repos)], capture_output=True, text=True, env=env,
                         timeout=600, check=True)
    found = [json.loads(line) for line in got.stdout.splitlines() if line.startswith('{"repo"')]
    assert [f["repo"] for f in found] == [str(r) for r in repos]
    assert all(f["seen"] for f in found)  # the hook saw the reads
    missed = [f"{Path(f['repo']).name}: {rel}" for f in found for rel in f["seen"]
              if not _covered(rel, f["trees"], f["roots"], f["refs"])]
    assert missed == []


def test_publish_takes_validates_answer_for_the_same_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """answered(): validate_repo's part of the last answer (not the yamllint findings), in
    another folder holding the same files too, and a check that says when a file changed since."""
    from i4qew.cli.validate_answer import STYLE_RULE, answered
    from i4qew.load.style import RULE

    assert STYLE_RULE == RULE
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    (root / ".yamllint").write_text("extends: default\nrules:\n  document-start: {level: warning}\n", "utf-8")
    monkeypatch.setenv(store.ENV, str(cache))
    memo.clear()
    assert answered(root) is None  # nothing validated yet
    code, out = invoke(root, ("validate",), str(cache))
    assert code == 0 and "[yamllint]" in out
    memo.clear()
    got = answered(shutil.copytree(root, tmp_path / "other"))
    assert got is not None and got[0] == [] and got[1]()
    got = answered(root)
    assert got is not None
    anomaly = root / "workloads" / "anomaly.yaml"
    anomaly.write_text(anomaly.read_text("utf-8") + "\n", "utf-8")
    assert not got[1]()  # changed after it was observed
    assert answered(root) is None  # and no longer the files validate judged
    memo.clear()


def test_a_folder_validated_first_here_keeps_its_answer_for_publish(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Validate in a new folder (a CI job's new clone path) starts from the spec the last
    folder learnt (the paths its declarations name): its first run stores the answer
    publish reads, for its own files."""
    from i4qew.cli.validate_answer import answered
    from tests.support.repos import copy_repo

    first, cache = copy_repo(tmp_path / "first"), tmp_path / "cache"
    monkeypatch.setenv(store.ENV, str(cache))
    for _ in range(2):  # the first run learns the paths, the second stores the answer
        assert invoke(first, ("validate",), str(cache))[0] == 0
    again = shutil.copytree(first, tmp_path / "again")
    (again / "workloads" / "sktime.yaml").write_text(
        (again / "workloads" / "sktime.yaml").read_text("utf-8") + "\n", "utf-8")
    memo.clear()
    assert answered(again) is None  # the last answer is of other files
    assert invoke(again, ("validate",), str(cache))[0] == 0
    memo.clear()
    assert answered(again) is not None
    memo.clear()
