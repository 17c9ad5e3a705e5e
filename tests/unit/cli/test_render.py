"""`i4qew render` as a user runs it: exit codes, problems on stdout, nothing written
on failure, the output folder guard, the source commit, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from i4qew.cli.main import cli
from tests.golden.test_render_golden import SOURCE_COMMIT
from tests.support.repos import copy_repo, without_waves
from tests.support.tools import require, tree_of


def run(*args: str | Path, cwd: Path | None = None) -> Result:
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args])
    finally:
        os.chdir(old)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_repo(tmp_path / "repo")


def test_render_writes_the_tree(repo: Path, tmp_path: Path) -> None:
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    tree = tree_of(tmp_path / "out")
    assert {"README.md", "hub/argocd/gitopscluster.yaml", "charts/sktime/Chart.yaml", "placement/decisions.json",
            "models/index.json"} <= set(tree)
    assert result.output == f"rendered dev: {len(tree)} files in {tmp_path / 'out'}\n"


def test_default_output_is_out_env_in_the_current_folder(repo: Path) -> None:
    result = run("render", "--env", "production", cwd=repo)
    assert result.exit_code == 0, result.output
    assert (repo / "out" / "production" / "README.md").is_file()


def test_validation_errors_print_problems_and_write_nothing(repo: Path, tmp_path: Path) -> None:
    text = (repo / "workloads" / "sktime.yaml").read_text()
    (repo / "workloads" / "sktime.yaml").write_text(text.replace("  replicas: 1\n", "  replica: 1\n"))
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.startswith("workloads/sktime.yaml:")
    assert "error [" in result.output and "replica" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_environment_is_a_usage_error_naming_the_known_ones(repo: Path, tmp_path: Path) -> None:
    result = run("render", "-C", repo, "--env", "staging", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == "i4qew: error: no environment 'staging' in i4qew.yaml (environments: dev, production)\n"
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(repo: Path) -> None:
    assert run("render", "-C", repo).exit_code == 2
    assert run("render", "-C", repo, "--env", "dev", "--bogus").exit_code == 2


def test_placement_rule_problems_exit_1(repo: Path, tmp_path: Path) -> None:
    text = (repo / "i4qew.yaml").read_text()
    (repo / "i4qew.yaml").write_text(text.replace("placementApi: Placement", "placementApi: PlacementRule"))
    without_waves(repo)  # production's waves need Placements: a problem of its own
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "out")
    assert result.exit_code == 1
    warning, first, *lines = result.output.splitlines()
    assert warning.startswith("i4qew.yaml:") and " warning [deprecated-api] " in warning
    # validation reports it for every environment, before anything is compiled: dev is
    # delivered by ApplicationSets, which read Placement decisions only
    assert first.startswith("i4qew.yaml:") and "environment 'dev' has delivery: applicationset" in first
    def where(line: str) -> tuple[str, str]:
        env = line.split(" goes in " if " goes in " in line else " is staged in ")[1].split(":")[0]
        return line.split(":")[0], env

    # the workloads' placements and their models' staging placements
    assert [where(line) for line in lines] == [
        ("models/lrt-forecaster.yaml", "production"), ("models/vision.yaml", "production"),
        ("workloads/sktime.yaml", "production"), ("workloads/vibration.yaml", "production")]
    assert all("error [placement-api]" in line for line in [first, *lines])
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_that_is_not_an_earlier_render(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run("render", "-C", repo, "--env", "dev", "-o", out)
    assert result.exit_code == 1
    assert "refusing" in result.output
    assert tree_of(out) == {"notes.txt": b"mine"}
    # An earlier render is replaced as a whole; an empty folder is fine too.
    (out / "notes.txt").unlink()
    assert run("render", "-C", repo, "--env", "dev", "-o", out).exit_code == 0
    (out / "stale.yaml").write_text("x: 1\n")
    assert run("render", "-C", repo, "--env", "production", "-o", out).exit_code == 0
    assert not (out / "stale.yaml").exists()
    assert b"environment `production`" in (out / "README.md").read_bytes()


def test_inventory_override_and_its_problems(repo: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
                   "metadata:\n  name: bologna-lab\n  labels: {env: lrt, stage: dev, arch.edge.i4q.eu/amd64: 'true'}\n")
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "out", "--inventory", one)
    assert result.exit_code == 0, result.output
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "| `sktime` | `i4q-lrt` | `registry.gitlab.com/i4q/lrt/sktime:1.2.0` | lrt-forecaster 2 | 1 |" in readme
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: ManagedCluster\nmetadata: [\n")
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "out2", "--inventory", bad)
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output
    assert not (tmp_path / "out2").exists()


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    done = subprocess.run([require("git"), "-C", str(repo), *args], capture_output=True, text=True,
                          env=env, check=True)
    return done.stdout.strip()


def init_git(repo: Path) -> str:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "declarations")
    return git(repo, "rev-parse", "HEAD")


def test_source_commit_defaults_to_git_head(repo: Path, tmp_path: Path) -> None:
    assert run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "a").exit_code == 0
    assert "- Source commit: uncommitted" in (tmp_path / "a" / "README.md").read_text()
    head = init_git(repo)
    assert run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "b").exit_code == 0
    assert f"- Source commit: `{head}`\n" in (tmp_path / "b" / "README.md").read_text()
    (repo / "out").mkdir()  # files outside the declarations do not matter
    (repo / "out" / "x").write_text("x")
    assert run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "c").exit_code == 0
    assert f"- Source commit: `{head}`\n" in (tmp_path / "c" / "README.md").read_text()
    with (repo / "policies" / "lrt.yaml").open("a") as fh:
        fh.write("# edited\n")
    assert run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "d").exit_code == 0
    assert f"- Source commit: `{head}-dirty`\n" in (tmp_path / "d" / "README.md").read_text()
    result = run("render", "-C", repo, "--env", "dev", "-o", tmp_path / "e", "--source-commit", SOURCE_COMMIT)
    assert result.exit_code == 0
    assert f"- Source commit: `{SOURCE_COMMIT}`\n" in (tmp_path / "e" / "README.md").read_text()


def test_two_renders_and_two_checkouts_are_byte_identical(tmp_path: Path) -> None:
    """Same commit in two folders at different depths: identical trees, source commit included."""
    a = copy_repo(tmp_path / "a")
    b = copy_repo(tmp_path / "deeper" / "checkout" / "b")
    assert init_git(a) == init_git(b)
    trees = []
    for repo, out in ((a, tmp_path / "out-a1"), (a, tmp_path / "out-a2"), (b, tmp_path / "out-b")):
        result = run("render", "-C", repo, "--env", "production", "-o", out)
        assert result.exit_code == 0, result.output
        trees.append(tree_of(out))
    assert trees[0] == trees[1] == trees[2]


def test_render_runs_as_a_process_without_traceback(repo: Path, tmp_path: Path) -> None:
    """The installed entry point, with a broken i4qew.yaml: exit 1, problem lines, no traceback."""
    (repo / "i4qew.yaml").write_text("apiVersion: edge.i4q.eu/v1alpha1\nkind: Repository\nmetadata: {name: x}\n"
                                     "spec:\n  git: {url: 1}\n")
    done = subprocess.run([sys.executable, "-m", "i4qew", "render", "-C", str(repo), "--env", "dev",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("i4qew.yaml:")
    assert not (tmp_path / "out").exists()
