"""Project-wide pytest settings.

With I4QEW_NO_SKIP=1 (set by .ci/run) a skipped test fails the run: CI always has
the tools and ../shared, so a skip there means a missing install step.

Everything under tests/integration/ (subprocesses, git remotes, servers, pipelines,
the real tools) is marked `slow`, besides the tests marked one by one: the fast loop
is `pytest -m "not slow" -n 2` (CONTRIBUTING.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("I4QEW_NO_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"I4QEW_NO_SKIP=1: {len(skipped)} tests were skipped; CI must run them all", red=True)
        session.exitstatus = 1
