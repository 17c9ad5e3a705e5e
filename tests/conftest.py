"""Project-wide pytest settings.

With I4QEW_NO_SKIP=1 (set by .ci/run) a skipped test fails the run: CI always has
the tools and ../shared, so a skip there means a missing install step.

Everything under tests/integration/ (subprocesses, git remotes, servers, pipelines,
the real tools) is marked `slow`, besides the tests marked one by one: the fast loop
is `pytest -m "not slow" -n 2` (CONTRIBUTING.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent / "integration"
_OWN_CACHE = "I4QEW_TEST_CACHE_DIR"
_STASH = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Every i4qew the tests run (in process or not) shares one persistent cache
    (i4qew/store.py) made for this session, not the user's ~/.cache/i4qew: the suite's
    processes, two workers included, read and write it as CI's jobs would."""
    if not os.environ.get(_OWN_CACHE):  # the controller; xdist workers inherit its folder
        os.environ[_OWN_CACHE] = os.environ["I4QEW_CACHE_DIR"] = tempfile.mkdtemp(prefix="i4qew-test-cache-")
        config.stash[_STASH] = os.environ[_OWN_CACHE]


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_STASH, None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop(_OWN_CACHE, None)


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
