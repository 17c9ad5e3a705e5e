"""Processes a test started, or that i4qew started for it."""

from __future__ import annotations

import os


def gone(pid: int) -> bool:
    """No process `pid` any more (ended and reaped: a zombie still counts as there)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
