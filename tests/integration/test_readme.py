"""The README's two newcomer commands stay true: the main job runs on this repo's
own declarations exactly as written (the pip install part is what .ci/run already
did), and the test command is the one CI runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import ROOT


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Two commands for a newcomer", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^    (\S.*)$", section, re.MULTILINE)]


def test_the_readme_names_the_ci_test_command() -> None:
    commands = _commands()
    assert len(commands) == 2, commands
    assert commands[1] == "bash .ci/run"
    assert (ROOT / ".ci" / "run").is_file()


@pytest.mark.slow
def test_the_main_job_runs_on_this_repos_examples(tmp_path: Path) -> None:
    main_job = _commands()[0]
    install, _, rest = main_job.partition(" && ")
    assert install == "python3 -m pip install -e ."
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(".git", ".tools", "bench", "tests", "out", "*.egg-info"))
    script = rest.replace("i4qew ", f"{sys.executable} -m i4qew ")
    done = subprocess.run(["bash", "-c", script], cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d+ files checked: 0 errors, 0 warnings$", done.stdout, re.MULTILINE), done.stdout
    assert "plan for 'dev'" in done.stdout
    assert (repo / "out" / "dev" / "hub" / "channel.yaml").is_file()
    assert (repo / "out" / "dev" / "charts" / "sktime" / "Chart.yaml").is_file()
