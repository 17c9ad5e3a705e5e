"""`python tests/support/paused_i4qew.py ARGS...`: `i4qew ARGS`, paused between its commit and its push.

With `I4QEW_TEST_PAUSE_BEFORE_PUSH=<file>` in the environment, a publish or promote
that has written its commit and moved the local branch writes the commit id to
`<file>.reached` and waits (at most 10 minutes) until `<file>` exists before it
pushes. The failure-injection tests use it to SIGKILL the process at exactly that
moment, or to let something else happen on the remote first.

The hook is installed from outside (the `before_push` of every `Landing`), so the
package ships no test-only code: the real `i4qew` entry point runs unchanged.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from i4qew.cli.main import main
from i4qew.gitops.land import Landing

PAUSE_VARIABLE = "I4QEW_TEST_PAUSE_BEFORE_PUSH"
_MAX_WAIT_SECONDS = 600.0


def _pause(gate: str) -> Any:
    def pause(attempt: int, sha: str) -> None:
        if attempt != 1:
            return
        reached = Path(gate + ".reached")
        reached.with_name(reached.name + ".tmp").write_text(sha)
        reached.with_name(reached.name + ".tmp").replace(reached)  # seen whole or not at all
        deadline = time.monotonic() + _MAX_WAIT_SECONDS
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    return pause


def _install(gate: str) -> None:
    """Every `Landing.land` (the one place a publish or promote pushes) pauses first."""
    land = Landing.land

    def paused_land(self: Landing, *args: Any, **kwargs: Any) -> Any:
        if self.before_push is None:
            self.before_push = _pause(gate)
        return land(self, *args, **kwargs)

    Landing.land = paused_land  # type: ignore[method-assign]


if __name__ == "__main__":
    if os.environ.get(PAUSE_VARIABLE):
        _install(os.environ[PAUSE_VARIABLE])
    sys.argv[0] = "i4qew"
    main()
