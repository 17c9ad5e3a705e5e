"""`i4qew init` gives a newcomer a repo whose two README commands work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.init import FILES
from i4qew.cli.main import cli
from tests.support.tools import ROOT


def test_init_creates_every_file_and_never_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "README.md").write_text("mine\n")
    result = runner.invoke(cli, ["init", str(tmp_path), "--name", "plant-a"])
    assert result.exit_code == 0, result.output
    for dest in FILES.values():
        assert (tmp_path / dest).is_file(), dest
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert "kept     README.md (exists)" in result.output
    assert "name: plant-a" in (tmp_path / "i4qew.yaml").read_text()
    # a second init refuses: it is a workload repo already
    again = runner.invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code == 1
    assert "already a workload repository" in again.output


def test_init_rejects_a_bad_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--name", "Bad_Name"])
    assert result.exit_code == 2
    assert "Bad_Name" in result.output
    assert not (tmp_path / "i4qew.yaml").exists()


def _readme_commands(readme: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^    (python3 -m pip install .+)$", readme, re.MULTILINE)]


@pytest.mark.slow
def test_scaffold_readme_commands_work_for_a_newcomer(tmp_path: Path) -> None:
    """A fresh virtualenv (its dependencies visible from the system site-packages),
    i4qew installed from this checkout exactly as the README says, both commands run."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    repo = tmp_path / "edge"
    subprocess.run([sys.executable, "-m", "i4qew", "init", str(repo), "--install-spec", str(ROOT)],
                   check=True, capture_output=True)
    commands = _readme_commands((repo / "README.md").read_text())
    assert len(commands) == 2, commands
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(env_dir),
           "PIP_NO_BUILD_ISOLATION": "1", "PIP_QUIET": "1"}
    env.pop("PYTHONPATH", None)
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert (env_dir / "bin" / "i4qew").exists()
    assert (repo / "out" / "dev" / "README.md").is_file()
    assert (repo / "out" / "dev" / "charts" / "hello-model" / "Chart.yaml").is_file()
