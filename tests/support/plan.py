"""`i4qew plan` run in-process over a fixture repository, and the git it compares against."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.tools import require


def git(root: Path, *args: str) -> str:
    done = subprocess.run([require("git"), "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return done.stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def plan(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "-C", str(root), *args])
    return result.exit_code, result.output


def plan_json(root: Path, *args: str) -> dict[str, Any]:
    code, out = plan(root, "--format", "json", *args)
    assert code == 0, out
    doc: dict[str, Any] = json.loads(out)
    return doc
