"""GitLab Code Quality report (artifacts:reports:codequality) for the MR widget.

The fingerprint leaves out the line number on purpose: GitLab compares the MR's
report with the target branch's by fingerprint, and a problem that merely moved
down a few lines is not a new problem.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from i4qew.problems import Problem, Severity

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(problems: Sequence[Problem], files: Sequence[str]) -> str:
    issues = []
    seen: Counter[str] = Counter()
    for p in problems:
        base = hashlib.sha256(f"{p.path}\0{p.rule}\0{p.message}".encode()).hexdigest()
        seen[base] += 1
        # identical problems in one file still need distinct fingerprints
        fingerprint = base if seen[base] == 1 else hashlib.sha256(f"{base}{seen[base]}".encode()).hexdigest()
        issues.append({
            "type": "issue",
            "check_name": p.rule,
            "description": f"[{p.rule}] {p.message}",
            "categories": ["Bug Risk" if p.severity is Severity.ERROR else "Style"],
            "severity": _SEVERITY[p.severity],
            "fingerprint": fingerprint,
            "location": {"path": p.path, "lines": {"begin": p.line}, "positions": {"begin": {"line": p.line, "column": p.column}}},
        })
    return json.dumps(issues, indent=2) + "\n"
