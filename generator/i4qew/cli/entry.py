"""The console script. It imports nothing outside the standard library before its
guard, so that even a missing dependency (`pip install --no-deps`, a broken venv)
ends in one line: a crash is exit 5, never exit 1 ("problems found"), never a
traceback on the terminal. The traceback goes to a file the line names (mode 0600,
tokens and URL passwords masked); I4QEW_DEBUG=1 raises it instead."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

INTERNAL = 5  # i4qew.problems.ExitCode.INTERNAL (not imported: this module must not fail)
TOKEN_VARIABLES = ("I4QEW_PUSH_TOKEN", "I4QEW_GITLAB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")


def main() -> None:
    try:
        from i4qew.cli.main import run

        run()
    except Exception as exc:
        if os.environ.get("I4QEW_DEBUG"):
            raise
        crash(exc)


def crash(exc: BaseException) -> NoReturn:
    what = type(exc).__name__
    if isinstance(exc, ImportError) and exc.name:
        python = sys.executable or "this Python"
        missing = isinstance(exc, ModuleNotFoundError)
        head = (f"i4qew: internal error: the module '{exc.name}' is "
                f"{'missing' if missing else 'broken or of another version'} ({what}) in {python}; "
                "install i4qew with pip and its dependencies (no --no-deps)")
    else:
        head = f"i4qew: internal error ({what}), a bug in i4qew: please report it"
    path = write_traceback(exc)
    tail = f"; traceback in {path}" if path else "; set I4QEW_DEBUG=1 to see the traceback"
    sys.stderr.write(head + tail + "\n")
    sys.stderr.flush()
    sys.exit(INTERNAL)


def write_traceback(exc: BaseException) -> str | None:
    """The traceback, masked, in a new file of the temporary folder; None if none can be written."""
    import platform  # the standard library's, imported only on a crash (start-up: ~10 ms)
    import tempfile
    import traceback

    from i4qew import __version__

    text = "".join([
        f"i4qew {__version__}, Python {platform.python_version()} ({sys.executable}), {platform.platform()}\n",
        f"command: {' '.join(sys.argv[1:])}\n\n",
        *traceback.format_exception(exc),
    ])
    try:
        fd, path = tempfile.mkstemp(prefix="i4qew-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
            out.write(mask(text))
    except OSError:
        return None
    return path


def mask(text: str) -> str:
    """The values of the token variables and every credential pattern i4qew knows, masked."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "[redacted]")
    try:
        from i4qew.text import mask_credentials
    except Exception:  # the crash may be in that very import: the variables are masked
        return text
    return mask_credentials(text)
