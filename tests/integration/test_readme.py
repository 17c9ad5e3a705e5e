"""The README's two newcomer commands stay true. The first runs exactly as written in
a copy of this checkout, offline: pip reads the wheelhouse .ci/test fetches instead of
the package index (CI's .ci/newcomer runs it against the index, with Debian's python3)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import ROOT

WHEELHOUSE = ROOT / ".tools" / "wheelhouse"


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Two commands for a newcomer", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^    (\S.*)$", section, re.MULTILINE)]


def test_the_readme_names_the_ci_test_command() -> None:
    commands = _commands()
    assert len(commands) == 2, commands
    assert commands[1] == "bash .ci/run"
    assert (ROOT / ".ci" / "run").is_file()


def test_the_first_command_installs_into_a_venv_it_makes() -> None:
    """Debian's and Ubuntu's python3 refuse `pip install` outside a venv (PEP 668)."""
    steps = _commands()[0].split(" && ")
    assert steps[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "python3 -m pip install -e ."], steps
    assert all(step.startswith("i4qew ") for step in steps[3:])


@pytest.mark.slow
def test_the_main_job_runs_as_written_on_this_repos_examples(tmp_path: Path) -> None:
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip(f"no wheelhouse at {WHEELHOUSE} (bash .ci/test fetches it)")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".git", ".tools", ".venv", "bench", "tests", "out", "*.egg-info", "__pycache__", ".*_cache"))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
               PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELHOUSE), PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(["bash", "-c", _commands()[0]], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / ".venv" / "bin" / "i4qew").is_file()
    assert re.search(r"^\d+ files checked: 0 errors, 0 warnings$", done.stdout, re.MULTILINE), done.stdout
    assert "plan for 'dev'" in done.stdout
    assert (repo / "out" / "dev" / "hub" / "argocd" / "gitopscluster.yaml").is_file()  # dev: by Argo CD
    assert (repo / "out" / "dev" / "charts" / "sktime" / "Chart.yaml").is_file()
