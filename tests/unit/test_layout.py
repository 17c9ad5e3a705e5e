"""The package's shape: small modules, a design map that names every one of them, and
imports at module level (the layer contract itself is `lint-imports`, run by .ci/test)."""

from __future__ import annotations

import ast
import functools
import re

import pytest

from tests.support.tools import ROOT

PACKAGE = ROOT / "generator" / "i4qew"
MAX_LINES = 400
# Where a module may import i4qew inside a function, and why (docs/DESIGN.md, "Layers"):
# a command imports its stage when it runs; python-gitlab costs ~145 ms to import;
# publish imports its render half (settings check, incremental render, wave pins) only
# when the branch does not record its inputs yet, and the validation and the compilers
# (~0.2 s) only when it renders; the kubectl-shape inventory reader's patterns (~20 ms to
# compile) only when an inventory is parsed.
LAZY_IMPORTERS = ("cli/",)
LAZY_TARGETS = ("i4qew.gitlab", "i4qew.gitops.rendering", "i4qew.gitops.publish_render",
                "i4qew.placement.inventory_fast")


# Package data that happens to be Python: the programs the edge containers run
# (docs/DESIGN.md, `edge/`), never imported by i4qew; mypy checks them on their own.
NOT_IMPORTED = ("edge/",)


@functools.cache
def parsed(module: str) -> ast.Module:
    return ast.parse((PACKAGE / module).read_text("utf-8"))


@functools.cache
def modules() -> list[str]:
    """Every module with code, relative to the package (docstring-only __init__.py and the
    edge programs excluded)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix().startswith(NOT_IMPORTED):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        if path.name == "__init__.py" and not body:
            continue
        found.append(path.relative_to(PACKAGE).as_posix())
    return found


def test_the_package_has_its_modules() -> None:
    # the guard for the two tests below: they must see the package, not an empty folder
    assert {"problems.py", "text.py", "validation.py", "k8s/selectors.py", "cli/main.py"} <= set(modules())


@pytest.mark.parametrize("module", modules() + sorted(p.relative_to(PACKAGE).as_posix()
                                                   for p in (PACKAGE / "edge").glob("*.py")))
def test_no_module_is_over_400_lines(module: str) -> None:
    lines = (PACKAGE / module).read_text("utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it (docs/DESIGN.md: many small modules)"


def test_the_design_map_names_exactly_the_modules() -> None:
    text = (ROOT / "docs" / "DESIGN.md").read_text("utf-8")
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    mapped = {m for m in re.findall(r"`([a-z_0-9/]+\.py)`", section) if not m.startswith(NOT_IMPORTED)}
    actual = set(modules())
    assert not actual - mapped, f"modules missing from docs/DESIGN.md's package map: {sorted(actual - mapped)}"
    assert not mapped - actual, f"docs/DESIGN.md maps modules that do not exist: {sorted(mapped - actual)}"


def _function_level_imports(module: str) -> list[tuple[int, str]]:
    found = []
    for fn in ast.walk(parsed(module)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("i4qew")):
                found.append((node.lineno, node.module or "."))
            elif isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names if a.name.startswith("i4qew")]
    return found


def test_no_function_level_imports_of_i4qew_outside_the_cli() -> None:
    """A layer imports what it needs at the top; a function-level import would only hide
    an import cycle (import-linter sees it all the same)."""
    offenders = [f"{m}:{line}: {target}" for m in modules() if not m.startswith(LAZY_IMPORTERS)
                 for line, target in _function_level_imports(m) if target not in LAZY_TARGETS]
    assert not offenders, "import these at module level:\n" + "\n".join(offenders)


def test_only_gitops_git_runs_programs() -> None:
    """git (the only program i4qew runs) is run from one module: gitops/git.py."""
    runners = []
    for m in modules():
        tree = parsed(m)
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if names & {"subprocess", "os.system", "pty"}:
            runners.append(m)
    assert runners == ["gitops/git.py"]


def test_caches_are_declared_through_memo() -> None:
    """Process-wide caches are seen in one place (i4qew/memo.py): no lru_cache elsewhere."""
    direct = [m for m in modules() if m != "memo.py"
              and any(word in (PACKAGE / m).read_text("utf-8") for word in ("lru_cache", "functools.cache", "@cache\n"))]
    assert direct == []
    from i4qew import memo
    from i4qew.cli.main import COMMANDS  # noqa: F401
    from i4qew.validation import validate_repo  # noqa: F401  (imports every stage)

    assert "placement.inventory_load.last_inventory" in memo.names()
    assert "i4qew.schema.kinds.load_schema" in memo.names()


def _opcodes(parsed: object) -> set[str]:
    """The opcode names of a parsed pattern, nested groups and repeats included."""
    out: set[str] = set()
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)) or type(item).__name__ == "SubPattern":
            stack.extend(item)  # type: ignore[call-overload]
        elif type(item).__name__ == "_NamedIntConstant":
            out.add(str(item))
    return out


def test_no_pattern_is_possessive_or_atomic() -> None:
    """Python 3.11.2 (Debian 12, the oldest Python i4qew supports) matches possessive
    repeats wrongly (python/cpython#106052, fixed in 3.11.5: `(?:ab?c)*+` fully matches `a`
    there). Every compiled pattern of the package avoids them and atomic groups (unambiguous
    repetitions instead)."""
    import importlib

    parser = importlib.import_module("re._parser")  # sre_parse, whose public alias warns
    patterns = {}
    for m in modules():
        if m.endswith("__main__.py"):
            continue  # runs the command line
        name = "i4qew." + m.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for attr, value in vars(importlib.import_module(name)).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                patterns[f"{m}:{attr}"] = value
    assert "placement/inventory_fast.py:_ITEM" in patterns  # the guard: the patterns are seen
    bad = [where for where, p in patterns.items()
           if _opcodes(parser.parse(p.pattern, p.flags)) & {"POSSESSIVE_REPEAT", "ATOMIC_GROUP"}]
    assert bad == []
