"""Golden files: the whole rendered tree of this repository, byte for byte.

Every file of `i4qew render --env ENV` (README, charts, hub resources, placement
snapshot, model index) is compared with tests/golden/ENV/; the two-hub example of
docs/hubs.md (docs/examples/two-hubs, spec.hubs) with tests/golden/two-hubs/ENV/. The
programs the charts carry for the edge (the stager, `staging/*/*/files/stager/`, and the
gate, `charts/*/files/i4qew-gate.sh`) are not stored per chart: they must be byte for byte
the package's own `i4qew/edge/` files, and are checked against them instead. After an
intended change to the output, regenerate and review the diff (see tests/golden/README.md):

    I4QEW_UPDATE_GOLDEN=1 python -m pytest tests/golden/test_render_golden.py
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.tools import ROOT, tree_of

GOLDEN = ROOT / "tests" / "golden"
# The README states the source commit; a fixed one keeps the goldens independent of HEAD.
SOURCE_COMMIT = "0123456789abcdef0123456789abcdef01234567"
UPDATE = os.environ.get("I4QEW_UPDATE_GOLDEN") == "1"
EDGE = ROOT / "generator" / "i4qew" / "edge"
# rendered path pattern -> the package file it must equal
PROGRAMS = {"staging/*/*/files/stager/*.py": lambda path: EDGE / Path(path).name,
            "charts/*/files/i4qew-gate.sh": lambda path: EDGE / "gate.sh"}


def split_programs(tree: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(the tree without the edge programs, the edge programs by path)."""
    programs = {p: b for p, b in tree.items() if any(fnmatch.fnmatchcase(p, pat) for pat in PROGRAMS)}
    return {p: b for p, b in tree.items() if p not in programs}, programs


def source_of(path: str) -> Path:
    (pattern,) = [pat for pat in PROGRAMS if fnmatch.fnmatchcase(path, pat)]
    return PROGRAMS[pattern](path)


# (repository, golden folder): this repository, and the two-hub example of docs/hubs.md
REPOS = {"": ROOT, "two-hubs": ROOT / "docs" / "examples" / "two-hubs"}


def render(env: str, dest: Path, repo: Path = ROOT) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["render", "-C", str(repo), "--env", env, "-o", str(dest),
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
@pytest.mark.parametrize("name", list(REPOS), ids=["this-repository", "two-hubs"])
def test_render_matches_the_golden_tree(name: str, env: str, tmp_path: Path) -> None:
    got, programs = split_programs(render(env, tmp_path / env, REPOS[name]))
    for path, data in programs.items():
        assert data == source_of(path).read_bytes(), f"{path} is not i4qew's own {source_of(path).name}"
    stagers = {p.rsplit("/", 1)[0] for p in got if fnmatch.fnmatchcase(p, "staging/*/*/Chart.yaml")}
    for chart in stagers:  # each staging chart carries the whole stager
        assert {p.rsplit("/", 1)[1] for p in programs if p.startswith(chart + "/files/stager/")} == {
            f.name for f in EDGE.glob("*.py")}
    gated = {p.rsplit("/", 1)[0] for p in got if fnmatch.fnmatchcase(p, "charts/*/values.yaml")
             and ((yaml.safe_load(got[p]) or {}).get("model") or {}).get("gate")}
    assert {p.rsplit("/files/", 1)[0] for p in programs if p.startswith("charts/")} == gated
    if not name:  # this repository's examples stage models and gate their workloads
        assert stagers and gated, "the charts carry the stager and the gate"
    golden = GOLDEN / name / env if name else GOLDEN / env
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        for path, data in got.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_bytes(data)
    assert golden.is_dir(), f"no goldens yet: run I4QEW_UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    expected = tree_of(golden)
    assert got == expected, (
        f"the rendered tree differs from {golden.relative_to(ROOT)} (if intended, regenerate with "
        "I4QEW_UPDATE_GOLDEN=1 python -m pytest tests/golden/test_render_golden.py and review the diff):\n"
        + describe(expected, got))
