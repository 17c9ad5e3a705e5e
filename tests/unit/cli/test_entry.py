"""A crash (a bug, a missing dependency) is one line and exit 5, never a traceback on
the terminal and never exit 1, which means "problems found" (issue 10, item 6)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.hostile.repo import as_yaml, workload, write_repo
from tests.support.tools import ROOT

TOKEN = "glpat-SECRETSECRETSECRET12"


def run(code: str, tmp: Path) -> tuple[subprocess.CompletedProcess[str], Path | None]:
    env = {k: v for k, v in os.environ.items() if k != "I4QEW_DEBUG"}
    env.update(TMPDIR=str(tmp), I4QEW_GITLAB_TOKEN="glpat-FromTheEnvironment99")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                          check=False)
    named = re.search(r"traceback in (\S+)$", done.stderr.strip())
    return done, Path(named[1]) if named else None


def test_a_bug_exits_5_in_one_line_with_the_traceback_in_a_file(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"workloads/app.yaml": as_yaml(workload("app"))})
    code = ("import sys, i4qew.compile.render as r\n"
            "def boom(*a, **k): raise RuntimeError('" + TOKEN + " and glpat-FromTheEnvironment99')\n"
            "r.render_tree = boom\n"
            "from i4qew.cli.entry import main\n"
            f"sys.argv = ['i4qew', 'render', '-C', {str(root)!r}, '--env', 'dev', '-o', {str(tmp_path / 'o')!r}]\n"
            "main()\n")
    done, path = run(code, tmp_path)
    assert done.returncode == 5, done.stderr
    assert done.stderr.startswith("i4qew: internal error (RuntimeError), a bug in i4qew: please report it; "
                                  "traceback in "), done.stderr
    assert len(done.stderr.splitlines()) == 1 and "glpat" not in done.stdout + done.stderr
    assert path is not None and path.parent == tmp_path and path.name.startswith("i4qew-crash-")
    assert path.stat().st_mode & 0o077 == 0  # the owner's only
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "in boom" in text and "RuntimeError" in text
    assert "command: render -C" in text
    assert "glpat" not in text  # a token pattern and the token variable's value, masked


def test_a_missing_dependency_names_the_module(tmp_path: Path) -> None:
    code = ("import sys\nsys.modules['click'] = None  # as if pip had installed i4qew with --no-deps\n"
            "from i4qew.cli.entry import main\nsys.argv = ['i4qew', '--version']\nmain()\n")
    done, path = run(code, tmp_path)
    assert done.returncode == 5, done.stderr
    line = done.stderr.strip()
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert line.startswith(f"i4qew: internal error: the module 'click' is missing (ModuleNotFoundError) in "
                           f"{sys.executable}; install i4qew with pip and its dependencies (no --no-deps); "
                           "traceback in "), line
    assert path is not None and "import click" in path.read_text()


def test_the_exit_codes_are_documented_where_users_look() -> None:
    from click.testing import CliRunner

    from i4qew.cli.main import cli

    help_text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    assert "5 internal error" in help_text
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "5 an internal error" in readme
