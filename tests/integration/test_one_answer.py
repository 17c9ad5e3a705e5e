"""One mistake, one answer: whichever command meets it, the same line and exit code
(issue 10, items 7-9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.git_remote import clean_environ, git, workload_repo

UNKNOWN = "i4qew: error: no environment 'staging' in i4qew.yaml (environments: dev, production)\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("one-answer")
    bare = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    return workload_repo(tmp / "work", str(bare))


def i4qew(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "i4qew", *args], cwd=cwd, env=clean_environ(),
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("args", [
    ("plan", "--env", "staging"),
    ("plan", "--env", "staging", "--format", "markdown"),
    ("render", "--env", "staging", "-o", "out/x"),
    ("bootstrap", "--env", "staging"),
    ("publish", "--env", "staging", "--no-push"),
    ("publish", "--env", "staging", "--dry-run"),
    ("promote", "--from", "staging", "--to", "production", "--no-push"),
    ("promote", "--from", "dev", "--to", "staging", "--no-push"),
], ids=" ".join)
def test_an_unknown_environment_gets_one_answer(repo: Path, args: tuple[str, ...]) -> None:
    done = i4qew(repo, *args)
    assert (done.returncode, done.stderr, done.stdout) == (2, UNKNOWN, "")
    assert not (repo / "out").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_every_command_finds_the_repository_from_a_subfolder(repo: Path, tmp_path: Path) -> None:
    """As git finds .git: `cd workloads && i4qew validate` checks the repository above."""
    at_root = i4qew(repo, "validate")
    below = i4qew(repo / "workloads", "validate")
    assert at_root.returncode == below.returncode == 0, below.stdout + below.stderr
    assert below.stdout == at_root.stdout
    assert below.stderr == "i4qew: the repository is .. (the nearest folder holding i4qew.yaml); paths are relative to it\n"
    plan = i4qew(repo / "workloads", "plan", "--env", "dev", "--base", "HEAD")
    assert plan.returncode == 0 and plan.stdout == i4qew(repo, "plan", "--env", "dev", "--base", "HEAD").stdout
    render = i4qew(repo / "policies", "render", "--env", "dev", "-o", str(tmp_path / "out"))
    assert render.returncode == 0 and (tmp_path / "out" / "hub" / "argocd" / "gitopscluster.yaml").is_file()


def test_the_search_stops_at_the_top_of_the_git_work_tree(tmp_path: Path) -> None:
    bare = tmp_path / "outer.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    outer = workload_repo(tmp_path / "outer", str(bare))  # a workload repo ...
    inner = outer / "vendor" / "other"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")  # ... holding another git repository without i4qew.yaml
    (inner / "workloads").mkdir()
    done = i4qew(inner / "workloads", "validate")
    assert done.returncode == 1
    assert "no i4qew.yaml at the repository root" in done.stdout and done.stderr == ""


def test_an_unknown_base_revision_says_why(repo: Path) -> None:
    done = i4qew(repo, "plan", "--env", "dev", "--base", "origin/mian")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("i4qew: error: --base origin/mian: unknown revision: no commit 'origin/mian' in this "
                           "repository; did you mean 'origin/main'?\n")
    done = i4qew(repo, "plan", "--env", "dev", "--base", "0123abc")
    assert done.stderr == ("i4qew: error: --base 0123abc: unknown revision: no commit '0123abc' in this "
                           "repository; a typo, or a commit not fetched yet (git fetch)?\n")


def test_a_yaml_error_in_the_inventory_is_reported_once(repo: Path, tmp_path: Path) -> None:
    """Not once plus a placement-empty per workload and environment over what was left."""
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(repo), str(work))
    inventory = work / "clusters" / "managedclusters.yaml"
    lines = inventory.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + " : [\n"
    inventory.write_text("".join(lines))
    (work / "clusters" / "more.yaml").write_text("apiVersion: v1\nkind: List\nitems: []\n")
    expected = "clusters/managedclusters.yaml:3:"
    done = i4qew(work, "validate")
    assert done.returncode == 1
    assert [line for line in done.stdout.splitlines() if "error [" in line] == [
        line for line in done.stdout.splitlines() if line.startswith(expected)], done.stdout
    assert len([line for line in done.stdout.splitlines() if "error [" in line]) == 1, done.stdout
    assert "1 error," in done.stdout
    plan = i4qew(work, "plan", "--env", "dev")
    assert plan.returncode == 1 and len(plan.stderr.splitlines()) == 1 and plan.stderr.startswith(expected)
    other = i4qew(work, "plan", "--env", "dev", "--inventory", str(inventory))
    assert other.returncode == 1 and len(other.stderr.splitlines()) == 1, other.stderr
