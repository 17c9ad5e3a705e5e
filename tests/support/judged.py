"""A spy on validate_repo: which folders were judged, not answered from the persistent cache
(cli/validate_answer.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from i4qew import validation


def judged_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders validate_repo judges from now on (the list grows as it runs)."""
    runs: list[Path] = []
    real = validation.validate_repo

    def counting(root: Path, known: Mapping[str, bytes] | None = None) -> validation.Validation:
        runs.append(root)
        return real(root, known)

    monkeypatch.setattr(validation, "validate_repo", counting)
    return runs
