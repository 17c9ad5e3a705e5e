"""Runtime dependencies are exactly what the package imports (yamllint included:
validate applies the repository's yamllint configuration itself, load/style.py)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement

from tests.support.tools import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions() -> set[str]:
    """The distributions whose top-level modules the package imports (stdlib and i4qew aside)."""
    tops: set[str] = set()
    package = ROOT / "generator" / "i4qew"
    for path in package.rglob("*.py"):
        if path.relative_to(package).parts[0] == "edge":
            continue  # package data: the edge containers' programs, standard library only (.ci/mypy-edge.ini)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops.add(node.module.split(".")[0])
    tops -= {*sys.stdlib_module_names, "i4qew", "__future__"}
    owners = packages_distributions()
    missing = sorted(t for t in tops if t not in owners)
    assert not missing, f"imported but installed by no distribution: {missing}"
    return {_canonical(owners[t][0]) for t in tops}


def test_runtime_dependencies_are_exactly_the_imports() -> None:
    declared = {_canonical(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    imported = imported_distributions()
    assert not imported - declared, f"imported, not declared: {sorted(imported - declared)}"
    assert not declared - imported, f"declared, never imported: {sorted(declared - imported)}"


def test_the_edge_programs_need_only_the_standard_library() -> None:
    """generator/i4qew/edge runs in a plain python image from a ConfigMap: it imports the
    standard library and its own modules, nothing i4qew declares."""
    edge = ROOT / "generator" / "i4qew" / "edge"
    own = {p.stem for p in edge.glob("*.py")}
    foreign = set()
    for path in edge.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            foreign |= {n.split(".")[0] for n in names} - own - set(sys.stdlib_module_names) - {"__future__"}
    assert own and not foreign, sorted(foreign)
