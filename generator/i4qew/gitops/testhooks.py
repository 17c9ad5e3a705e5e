"""TEST-ONLY: pause a real `i4qew publish`/`promote` process between its commit and its push.

With `I4QEW_TEST_PAUSE_BEFORE_PUSH=<file>` in the environment, a run that has
written its commit and moved the local branch writes the commit id to
`<file>.reached` and waits (at most 10 minutes) until `<file>` exists before it
pushes. The failure-injection tests use it to SIGKILL the process at exactly
that moment, or to let something else happen on the remote first. Nothing but a
test sets it; unset (the normal case) it costs one dictionary look-up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from i4qew.gitops.land import BeforePush

PAUSE_VARIABLE = "I4QEW_TEST_PAUSE_BEFORE_PUSH"
_MAX_WAIT_SECONDS = 600.0


def pause_before_push(environ: Mapping[str, str]) -> BeforePush | None:
    """The hook the variable asks for, None when it is not set."""
    gate = environ.get(PAUSE_VARIABLE, "")
    if not gate:
        return None

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
