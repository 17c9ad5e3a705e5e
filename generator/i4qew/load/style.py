"""The repository's own yamllint config, applied by `i4qew validate` to the files it
reads (i4qew.yaml, workloads/, policies/, models/, clusters/): the style CI checks
becomes problem lines like any other, so it reaches the text, Code Quality and JUnit
reports of one run. Only when the repository has a config (.yamllint, .yamllint.yaml,
.yamllint.yml at its root), as pre-commit's yamllint hook would. A problem i4qew
reports itself is not said twice: yamllint's syntax errors (the loader's yaml-syntax)
and its findings on a line i4qew already has an error for are left out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from i4qew.load.files import (
    CONFIG_NAMES,
    DECLARATION_DIRS,
    INVENTORY_DIR,
    MAX_DECLARATION_BYTES,
    REPOSITORY_FILE,
    discover,
)
from i4qew.problems import Problem, Severity, error

RULE = "yamllint"


def config_file(root: Path) -> Path | None:
    return next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)


def style_problems(root: Path, known: Sequence[Problem]) -> tuple[list[Problem], list[str]]:
    """yamllint's problems (rule `yamllint`) and the files it read; none without a config."""
    path = config_file(root)
    if path is None:
        return [], []
    try:
        config = YamlLintConfig(file=str(path))
    except (YamlLintConfigError, OSError, UnicodeDecodeError) as exc:
        return [error(path.name, 1, 1, RULE, f"the yamllint config cannot be used: {exc}")], [path.name]
    taken = {(p.path, p.line) for p in known if p.severity is Severity.ERROR}
    paths, _ = discover(root, (*DECLARATION_DIRS, INVENTORY_DIR), suffixes=(".yaml", ".yml"))
    top = root / REPOSITORY_FILE
    if top.is_file() and not top.is_symlink():
        paths.insert(0, top)
    problems: list[Problem] = []
    files: list[str] = []
    for file in paths:
        rel = file.relative_to(root).as_posix()
        if config.is_file_ignored(rel):
            continue
        try:
            if file.stat().st_size > MAX_DECLARATION_BYTES:
                continue  # refused by the loader already
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the loader says why
        files.append(rel)
        for found in linter.run(text, config, rel):
            if found.rule is None or (rel, found.line) in taken:
                continue
            severity = Severity.ERROR if found.level == "error" else Severity.WARNING
            problems.append(Problem(rel, found.line, found.column, severity, RULE, f"{found.desc} ({found.rule})"))
    return problems, files
