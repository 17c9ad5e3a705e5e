"""Golden files: the whole rendered tree of this repository, byte for byte.

Every file of `i4qew render --env ENV` (README, charts, hub resources, placement
snapshot, model index) is compared with tests/golden/ENV/. After an intended
change to the output, regenerate and review the diff (see tests/golden/README.md):

    I4QEW_UPDATE_GOLDEN=1 python -m pytest tests/golden/test_render_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.tools import ROOT, tree_of

GOLDEN = ROOT / "tests" / "golden"
# The README states the source commit; a fixed one keeps the goldens independent of HEAD.
SOURCE_COMMIT = "0123456789abcdef0123456789abcdef01234567"
UPDATE = os.environ.get("I4QEW_UPDATE_GOLDEN") == "1"


def render(env: str, dest: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["render", "-C", str(ROOT), "--env", env, "-o", str(dest),
                                      "--source-commit", SOURCE_COMMIT])
    assert result.exit_code == 0, result.output
    return tree_of(dest)


def describe(expected: dict[str, bytes], got: dict[str, bytes]) -> str:
    lines = [f"missing: {p}" for p in sorted(set(expected) - set(got))]
    lines += [f"unexpected: {p}" for p in sorted(set(got) - set(expected))]
    for path in sorted(set(expected) & set(got)):
        if expected[path] != got[path]:
            diff = difflib.unified_diff(expected[path].decode(errors="replace").splitlines(),
                                        got[path].decode(errors="replace").splitlines(),
                                        f"golden/{path}", f"rendered/{path}", lineterm="", n=2)
            lines += list(diff)[:40]
    return "\n".join(lines)


@pytest.mark.parametrize("env", ["dev", "production"])
def test_render_matches_the_golden_tree(env: str, tmp_path: Path) -> None:
    got = render(env, tmp_path / env)
    golden = GOLDEN / env
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(tmp_path / env, golden)
    assert golden.is_dir(), f"no goldens yet: run I4QEW_UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    expected = tree_of(golden)
    assert got == expected, (
        "the rendered tree differs from tests/golden/" + env + " (if intended, regenerate with "
        "I4QEW_UPDATE_GOLDEN=1 python -m pytest tests/golden/test_render_golden.py and review the diff):\n"
        + describe(expected, got))
