"""The forked helper process (i4qew/worker.py): messages both ways, however large, without
a deadlock; a child that fails is a WorkerFailed, never an exception of its own or a
return into the caller's code; no child outlives `close`; I4QEW_JOBS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from i4qew import worker
from tests.support.fleet_fork import forking_beside_servers
from tests.support.processes import gone


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """A deadlock fails the test instead of hanging the suite."""
    def late(signum: int, frame: object) -> None:
        raise TimeoutError("no answer within 60 s")

    before = signal.signal(signal.SIGALRM, late)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, before)


def test_large_messages_cross_both_ways_at_once() -> None:
    big = bytes(range(256)) * 40_000  # 10 MB: many times what a pipe holds

    def task(channel: worker.Channel) -> int:
        channel.post(big)  # does not wait for the parent to read
        got: bytes = channel.take()
        return len(got) + got.count(7)

    w = worker.Worker(task)
    w.post(big + b"\7")  # neither end reads before it has posted
    assert w.take() == big
    assert w.result() == len(big) + 1 + big.count(7) + 1
    assert w.pid is None


def test_the_child_works_on_a_copy_of_the_parent_memory() -> None:
    seen: list[int] = []

    def task(channel: worker.Channel) -> list[int]:
        seen.append(os.getpid())
        return seen

    got = worker.Worker(task).result()
    assert len(got) == 1 and got[0] != os.getpid() and seen == []


def test_waiting_tells_whether_a_message_is_there_without_blocking() -> None:
    def task(channel: worker.Channel) -> tuple[bool, str]:
        before = channel.waiting()  # the parent posts only once it has "ready"
        channel.post("ready")
        while not channel.waiting():
            time.sleep(0.01)
        return before, channel.take()

    w = worker.Worker(task)
    assert w.take() == "ready"
    assert not w.channel.waiting()
    w.post("go")
    assert w.result() == (False, "go")


def test_what_a_child_sent_before_it_ended_is_taken_after_a_post_that_fails() -> None:
    w = worker.Worker(lambda channel: "all of it")
    assert w.pid is not None
    os.waitpid(w.pid, 0)  # it ended: its answer waits in the pipe, nobody reads ours
    w.pid = None
    with pytest.raises(worker.WorkerFailed):
        w.post("stop")
    assert w.channel.waiting()
    assert w.take() == ("done", "all of it")
    with pytest.raises(worker.WorkerFailed):
        w.take()


def test_a_child_that_raises_or_is_killed_is_a_failure_and_never_returns_here() -> None:
    me = os.getpid()

    def raises(channel: worker.Channel) -> None:
        raise SystemExit("nor SystemExit, nor any other exception, leaves the child's block")

    def killed(channel: worker.Channel) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    for task in (raises, killed):
        w = worker.Worker(task)
        assert os.getpid() == me
        pid = w.pid
        with pytest.raises(worker.WorkerFailed):
            w.result()
        w.close()
        assert pid is not None and gone(pid)


def test_an_unpicklable_answer_is_a_failure() -> None:
    w = worker.Worker(lambda channel: threading.Lock())
    with pytest.raises(worker.WorkerFailed):
        w.result()
    w.close()


def test_close_ends_a_child_that_still_runs() -> None:
    w = worker.Worker(lambda channel: time.sleep(600))
    pid = w.pid
    assert pid is not None and not gone(pid)
    w.close()
    w.close()  # once is enough; twice does nothing
    assert gone(pid)


def test_a_child_ends_when_the_parent_stops_answering() -> None:
    w = worker.Worker(lambda channel: channel.take())
    pid = w.pid
    w.channel.close()  # the parent's ends of the pipes: the child reads an end of file
    assert pid is not None
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0
    w.pid = None


@pytest.mark.parametrize(("text", "jobs"), [("", None), ("1", 1), ("2", 2), ("8", 2), (" 2 ", 2), ("0", None),
                                            ("-1", None), ("two", None), ("auto", None)])
def test_jobs(text: str, jobs: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(worker.ENV, text)
    assert worker.jobs() == jobs


def test_no_fork_while_another_thread_runs() -> None:
    """In a fresh process: this one may hold another test's session-scoped server threads."""
    script = """
import threading
from i4qew import worker
assert worker.can_fork()
stop = threading.Event()
other = threading.Thread(target=stop.wait)
other.start()
try:
    assert not worker.can_fork()
finally:
    stop.set()
    other.join()
assert worker.can_fork()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def _tagged(i: int) -> tuple[int, int]:
    return i, os.getpid()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """worker.shared forks beside the suite's own server threads (as in a process of its own)."""
    forking_beside_servers(monkeypatch)


def test_shared_gives_each_value_in_order_the_first_ones_from_the_helper(monkeypatch: pytest.MonkeyPatch, forks: None) -> None:
    monkeypatch.delenv(worker.ENV, raising=False)
    got = worker.shared([lambda i=i: _tagged(i) for i in range(5)], [4, 1, 1, 1, 1], pays=True)
    assert [i for i, _ in got] == [0, 1, 2, 3, 4]
    here = os.getpid()
    assert got[0][1] != here  # the heaviest first task balances the four others
    assert all(pid == here for _, pid in got[1:])


@pytest.mark.parametrize(("jobs", "pays", "forks"), [("1", True, False), ("2", False, True), ("", False, False),
                                                     ("", True, True)])
def test_shared_forks_where_it_pays_or_i4qew_jobs_says(jobs: str, pays: bool, forks: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    forking_beside_servers(monkeypatch)
    monkeypatch.setenv(worker.ENV, jobs)
    monkeypatch.setattr(worker, "cores", lambda: 2)
    got = worker.shared([lambda i=i: _tagged(i) for i in range(2)], [1, 1], pays=pays)
    assert [i for i, _ in got] == [0, 1]
    assert (got[0][1] != os.getpid()) is forks
    assert got[1][1] == os.getpid()


def test_shared_with_one_core_or_one_task_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(worker.ENV, raising=False)
    monkeypatch.setattr(worker, "cores", lambda: 1)
    assert all(pid == os.getpid() for _, pid in worker.shared([lambda: _tagged(0), lambda: _tagged(1)], [1, 1],
                                                               pays=True))
    monkeypatch.setenv(worker.ENV, "2")
    assert worker.shared([lambda: _tagged(0)], [1], pays=True) == [(0, os.getpid())]


def test_a_helper_that_fails_only_means_its_tasks_run_here(monkeypatch: pytest.MonkeyPatch, forks: None) -> None:
    monkeypatch.setenv(worker.ENV, "2")
    here = os.getpid()

    def dies() -> tuple[int, int]:
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGKILL)
        return _tagged(0)

    assert worker.shared([dies, lambda: _tagged(1)], [1, 1], pays=True) == [(0, here), (1, here)]
    assert worker.shared([lambda: threading.Lock(), lambda: 1], [1, 1], pays=True)[1] == 1  # unpicklable: here


def test_a_task_that_raises_raises_here_and_no_helper_is_left(monkeypatch: pytest.MonkeyPatch, forks: None) -> None:
    monkeypatch.setenv(worker.ENV, "2")
    made: list[worker.Worker] = []
    real = worker.Worker

    def spy(task: object) -> worker.Worker:
        made.append(real(task))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(worker, "Worker", spy)

    def broken() -> int:
        raise ValueError("bad hub")

    with pytest.raises(ValueError, match="bad hub"):
        worker.shared([broken, lambda: 1], [1, 1], pays=True)  # the helper's: raised again here
    with pytest.raises(ValueError, match="bad hub"):
        worker.shared([lambda: 1, broken], [1, 1], pays=True)  # this process's
    assert len(made) == 2 and all(w.pid is None for w in made)


@pytest.mark.parametrize(("weights", "cut"), [([1, 1], 1), ([5, 1, 1, 1], 1), ([1, 1, 1, 5], 3), ([1, 2, 3, 4], 3),
                                              ([3], 0), ([], 0), ([0, 0], 1)])
def test_the_helper_takes_the_first_tasks_that_balance_the_rest(weights: list[float], cut: int) -> None:
    assert worker._cut(weights) == cut
