"""Places a rule's example into the example repository and runs i4qew on it
(the example form: generator/i4qew/rules/examples.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import yaml_rs
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.rules.examples import BASE_REVISION, EXAMPLE_REPOSITORY, SYMLINK, Section, sections
from tests.support.git_remote import commit, git

LINE = re.compile(r"^[^:\n]+:\d+:\d+: (?:error|warning|info) \[(?P<rule>[a-z0-9-]+)\] ")


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


def _apply(root: Path, files: list[Section]) -> None:
    for s in files:
        target = root / s.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if s.how == "removed":
            target.unlink()
        elif s.how.startswith(SYMLINK):
            target.unlink(missing_ok=True)
            target.symlink_to(s.how.removeprefix(SYMLINK))
        elif s.how == "a FIFO":
            target.unlink(missing_ok=True)
            os.mkfifo(target)
        elif s.how == "Latin-1":
            target.write_bytes(s.text.encode("latin-1"))
        elif s.how == "" and target.is_file():
            # JSON is YAML 1.2: the merged file means exactly what the two parts meant
            merged = _merge(yaml_rs.loads(target.read_text("utf-8")), yaml_rs.loads(s.text))
            target.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", "utf-8")
        else:
            target.write_text(s.text, "utf-8")


def place(root: Path, example: str) -> None:
    """The example repository with the example's files (not its base/ ones) applied."""
    if root.exists():
        for child in root.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    _apply(root, [Section(path, "", text) for path, text in EXAMPLE_REPOSITORY.items()])
    _apply(root, [s for s in sections(example) if not s.path.startswith(BASE_REVISION)])


def problem_lines(root: Path, example: str) -> list[str]:
    """The problem lines i4qew prints for the example: `validate`, or for an example with
    base/ files, `plan --base` from a commit with them to one without."""
    base = [Section(s.path.removeprefix(BASE_REVISION), s.how, s.text)
            for s in sections(example) if s.path.startswith(BASE_REVISION)]
    place(root, example)
    if base:
        _apply(root, base)
        git(root, "init", "-q", "-b", "main")
        commit(root, "base")
        place(root, example)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "head")
        args = ["plan", "--env", "dev", "--base", "HEAD~1", "-C", str(root)]
    else:
        args = ["validate", "-C", str(root)]
    result = CliRunner().invoke(cli, args)
    # SystemExit is how click reports the exit code; anything else is a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return [line for line in result.output.splitlines() if LINE.match(line)]


def rules_of(lines: list[str]) -> set[str]:
    return {m["rule"] for line in lines if (m := LINE.match(line))}
