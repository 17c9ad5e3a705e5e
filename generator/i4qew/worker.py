"""One forked helper process: a share of a run's work on the machine's second core
(docs/parallel.md).

`Worker(task)` forks; the child runs `task(channel)` over a copy of the parent's memory
(the model built, nothing pickled to get there) and ends with `os._exit`, never returning
into the parent's code: no exit handler, no buffered output of the parent's, no
teardown. Both ends exchange small pickled messages: `post` never blocks (what the pipe
does not take yet waits in the sender and goes out during its next `take`), `take`
blocks until the next message. A child that fails (an exception, a signal, an
unpicklable answer) is only a `WorkerFailed` in the parent, which does the work itself
(the same exception, if any, is then raised in-process and reported as any other).

No orphan: the parent's `close` kills and reaps the child (a `finally` around every use,
so also on Ctrl-C); on Linux the child is killed when the parent dies (PR_SET_PDEATHSIG),
and elsewhere it ends at its next message (end of file or a broken pipe).

`I4QEW_JOBS`: `1` never forks; `2` (or more) forks wherever it can, however small the
work; anything else (unset): the callers fork where it pays. Never forks while another
thread runs (a fork copies only the calling thread).
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "I4QEW_JOBS"
_HEAD = 8  # bytes of a message's length
_CHUNK = 1 << 20


class WorkerFailed(Exception):
    """The child ended (or sent something unreadable) before its answer."""


def jobs() -> int | None:
    """I4QEW_JOBS: 1 (one process), 2 (a helper wherever possible), None (where it pays)."""
    text = os.environ.get(ENV, "").strip()
    if not text.isdigit() or int(text) < 1:
        return None
    return min(int(text), 2)


def can_fork() -> bool:
    """A fork is possible and safe now: POSIX, and no other thread running."""
    return hasattr(os, "fork") and threading.active_count() == 1


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Channel:
    """One end of the two pipes between the parent and the child."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self._out = bytearray()
        self._in = bytearray()
        os.set_blocking(write_fd, False)

    def post(self, value: object) -> None:
        """Send `value` without waiting for the other end to read it."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._out += len(data).to_bytes(_HEAD, "big")
        self._out += data  # (not head + data: a copy less of a large message)
        self._push()

    def take(self) -> Any:
        """The next value the other end posted (sending what is still pending meanwhile)."""
        while True:
            if len(self._in) >= _HEAD:
                size = int.from_bytes(self._in[:_HEAD], "big")
                if len(self._in) >= _HEAD + size:
                    try:
                        with memoryview(self._in) as whole, whole[_HEAD:_HEAD + size] as data:
                            value = pickle.loads(data)  # (read in place: no copy of a large message)
                    except Exception as exc:
                        raise WorkerFailed(f"unreadable message ({type(exc).__name__})") from None
                    finally:
                        del self._in[:_HEAD + size]
                    return value
            readable, writable, _ = select.select([self.read_fd], [self.write_fd] if self._out else [], [])
            if writable:
                self._push()
            if readable:
                try:
                    chunk = os.read(self.read_fd, _CHUNK)
                except OSError as exc:
                    raise WorkerFailed(f"cannot read ({exc})") from None
                if not chunk:
                    raise WorkerFailed("the other end closed")
                self._in += chunk

    def waiting(self) -> bool:
        """Whether the other end posted something not taken yet, or ended (never blocks)."""
        if self._in:
            return True
        try:
            readable, _, _ = select.select([self.read_fd], [], [], 0)
        except (OSError, ValueError):  # (a closed end) `take` tells what it is
            return True
        return bool(readable)

    def flush(self) -> None:
        """Wait until everything posted is in the pipe."""
        while self._out:
            select.select([], [self.write_fd], [])
            self._push()

    def _push(self) -> None:
        while self._out:
            try:
                n = os.write(self.write_fd, self._out)
            except BlockingIOError:
                return
            except OSError as exc:  # a broken pipe: the other end is gone, nothing more goes out
                self._out.clear()  # (`take` still reads what it sent before it ended)
                raise WorkerFailed(f"cannot write ({exc})") from None
            del self._out[:n]

    def close(self) -> None:
        """Close both ends (once)."""
        fds, self.read_fd, self.write_fd = (self.read_fd, self.write_fd), -1, -1
        for fd in fds:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


class Worker:
    """A forked child running `task(channel)`; its return value is its last message."""

    def __init__(self, task: Callable[[Channel], object]) -> None:
        parent_pid = os.getpid()
        up_read, up_write = os.pipe()  # child -> parent
        down_read, down_write = os.pipe()  # parent -> child
        pid = os.fork()
        if pid == 0:  # the child: never leaves this block
            code = 70
            try:
                os.close(up_read)
                os.close(down_write)
                _die_with(parent_pid)
                channel = Channel(down_read, up_write)
                channel.post(("done", task(channel)))
                channel.flush()
                code = 0
            except BaseException:  # whatever it was, the parent does the work itself
                code = 70
            finally:
                os._exit(code)
        os.close(up_write)
        os.close(down_read)
        self.pid: int | None = pid
        self.channel = Channel(up_read, down_write)

    def post(self, value: object) -> None:
        self.channel.post(value)

    def take(self) -> Any:
        return self.channel.take()

    def result(self) -> Any:
        """The task's return value (after any messages the caller took before)."""
        got = self.take()
        if not (isinstance(got, tuple) and len(got) == 2 and got[0] == "done"):
            raise WorkerFailed("an unexpected message")
        self.close(wait=True)
        return got[1]

    def close(self, *, wait: bool = False) -> None:
        """Reap the child: killed first if it still runs, unless `wait` (it sent its answer
        and is ending). Idempotent."""
        self.channel.close()
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            if not wait and os.waitpid(pid, os.WNOHANG)[0] == 0:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def shared(tasks: Sequence[Callable[[], T]], weights: Sequence[float], *, pays: bool) -> list[T]:
    """Each task's value, in order. With a helper (`pays`, or I4QEW_JOBS=2; two tasks or
    more, 2 cores, a fork possible now), the helper runs the first tasks, as many as
    balance the others by `weights`, while this process runs the rest; their values come
    back pickled. A helper that fails in any way only means its tasks run here (an
    exception they raise is then raised here)."""
    cut = _cut(weights)
    if len(tasks) < 2 or not cut or not _forks(pays):
        return [task() for task in tasks]
    try:
        helper = Worker(functools.partial(run_all, tasks[:cut]))
    except OSError:  # no process to be had
        return [task() for task in tasks]
    try:
        mine = [task() for task in tasks[cut:]]
        try:
            theirs = helper.result()
        except WorkerFailed:
            theirs = None
        if not isinstance(theirs, list) or len(theirs) != cut:
            theirs = [task() for task in tasks[:cut]]
        return [*theirs, *mine]
    finally:
        helper.close()


def run_all(tasks: Sequence[Callable[[], T]], channel: Channel) -> list[T]:
    """A `shared` helper's task: its tasks' values."""
    return [task() for task in tasks]


def _forks(pays: bool) -> bool:
    n = jobs()
    return n != 1 and (n == 2 or (pays and cores() >= 2)) and can_fork()


def _cut(weights: Sequence[float]) -> int:
    """How many first tasks make the helper's share closest to half of the whole."""
    total, best, cut, run = sum(weights), float("inf"), 0, 0.0
    for k, w in enumerate(weights, 1):
        run += w
        span = max(run, total - run)
        if span < best:
            best, cut = span, k
    return cut if cut < len(weights) else 0


def _die_with(parent_pid: int) -> None:
    """In the child: be killed when the parent dies (Linux), and end now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # then the next message's end of file ends it
            pass
    if os.getppid() != parent_pid:
        os._exit(70)
