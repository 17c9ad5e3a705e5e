"""validate, plan and publish end without the interpreter's teardown (cli/main.py `leave`):
their output, reports, pushed branches and exit codes are what the in-process run gives, the
exit handlers still run, and other commands exit the usual way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.git_remote import git, make_bare, workload_repo
from tests.support.tools import ROOT

MIXED = ROOT / "tests" / "corpus" / "negative" / "multidoc-positions"  # problems in two files

# The console script, with an exit handler and an object whose teardown leaves a mark.
_SCRIPT = """
import atexit, os, sys, types
class Mark:
    def __del__(self):
        os.close(os.open({marks!r} + "/teardown", os.O_CREAT | os.O_WRONLY))
held = types.ModuleType("held_by_a_module")
held.KEEP = Mark()
sys.modules["held_by_a_module"] = held
atexit.register(lambda: open({marks!r} + "/atexit", "w").close())
from i4qew.cli.entry import main
sys.argv = ["i4qew", *{args!r}]
main()
"""


def _console(marks: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    marks.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "I4QEW_DEBUG"}, **(extra or {})}
    code = _SCRIPT.format(marks=str(marks), args=list(args))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_validate_output_reports_and_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _console(tmp_path / "marks", "validate", "-C", str(MIXED), "--report", f"json={report}")
    inside = CliRunner().invoke(cli, ["validate", "-C", str(MIXED), "--report", f"json={tmp_path / 'in.json'}"])
    assert (done.returncode, done.stdout) == (inside.exit_code, inside.output) and done.returncode == 1
    assert report.read_text() == (tmp_path / "in.json").read_text() != ""
    assert (tmp_path / "marks" / "atexit").exists()
    assert not (tmp_path / "marks" / "teardown").exists()  # no teardown: the quick way was taken


def test_plan_exit_code_and_output(tmp_path: Path) -> None:
    out = tmp_path / "plan.txt"
    done = _console(tmp_path / "marks", "plan", "-C", str(ROOT), "--env", "dev", "-o", str(out))
    inside = CliRunner().invoke(cli, ["plan", "-C", str(ROOT), "--env", "dev", "-o", str(tmp_path / "in.txt")])
    assert done.returncode == inside.exit_code == 0, done.stderr
    assert out.read_text() == (tmp_path / "in.txt").read_text() != ""
    assert not (tmp_path / "marks" / "teardown").exists()


_IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
             "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": "2026-12-01T00:00:00Z",
             "GIT_COMMITTER_DATE": "2026-12-01T00:00:00Z"}


def test_publish_pushes_what_the_in_process_run_pushes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """publish's git processes and cache files are done when it returns: the quick exit
    loses none of its branch (two clones of one commit, two remotes: the same tree)."""
    for key, value in _IDENTITY.items():  # the same source commit in both clones
        monkeypatch.setenv(key, value)
    trees, said = [], []
    for name in ("quick", "inside"):
        bare = make_bare(tmp_path / f"{name}.git")
        work = workload_repo(tmp_path / name, str(bare))
        args = ["publish", "-C", str(work), "--env", "dev", "--remote", "origin"]
        if name == "quick":
            done = _console(tmp_path / "marks", *args, extra=_IDENTITY)
            code, out = done.returncode, done.stdout + done.stderr
        else:
            inside = CliRunner().invoke(cli, args)
            code, out = inside.exit_code, inside.output
        assert code == 0, out
        said.append(out.replace(str(bare), "REMOTE").replace(str(work), "WORK"))
        trees.append(git(bare, "rev-parse", "refs/heads/acm-dev^{tree}"))
    assert trees[0] == trees[1] and said[0] == said[1] and "published acm-dev" in said[0]
    assert (tmp_path / "marks" / "atexit").exists()
    assert not (tmp_path / "marks" / "teardown").exists()  # the quick way was taken


def test_other_commands_exit_the_usual_way(tmp_path: Path) -> None:
    done = _console(tmp_path / "marks", "schema")
    assert done.returncode == 0 and done.stdout
    assert (tmp_path / "marks" / "atexit").exists() and (tmp_path / "marks" / "teardown").exists()
    usage = _console(tmp_path / "usage", "validate", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
