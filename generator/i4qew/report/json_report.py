"""Machine-readable problems: {"version": 1, "files": [...], "problems": [...]}."""

from __future__ import annotations

import json
from collections.abc import Sequence

from i4qew.problems import Problem


def render(problems: Sequence[Problem], files: Sequence[str]) -> str:
    doc = {
        "version": 1,
        "files": sorted(files),
        "problems": [
            {"path": p.path, "line": p.line, "column": p.column, "severity": p.severity.value,
             "rule": p.rule, "message": p.message}
            for p in problems
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
