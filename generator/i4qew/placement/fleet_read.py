"""The hubs' inventories read on the second core while the model is built (docs/parallel.md).

A cold `validate` of a fleet builds the model (~1 s at 5x) on one core before the fleet's
helper (fleet_fork.py) can start; the inventories do not need the model. So, where that
helper will run, a reader process is forked first, right after the imports
(fleet_fork.read_ahead): it reads the hubs' inventories, the last hubs first, and hands
each one over as soon as it is read (pickled into a scratch file opened before the fork,
its place posted: unpickling one costs a tenth of parsing it, and nothing large crosses
the pipe once the model is built).
Once the model is built, this process tells it to stop after the hub it is reading,
takes what it read and reaps it (`stop`): then fleet_fork forks its helper for the rules
and the first hubs, which the reader did not get to, and this process unpickles the
reader's hubs when it decides them (`take`). One helper at a time, never two at once.

A reader that fails in any way only leaves its hubs to be read as without it: what it
posted whole is used, the rest is read here (or by the fleet's helper).
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path

from i4qew import worker
from i4qew.placement import inventory_load
from i4qew.placement.inventory import Inventory
from i4qew.problems import Problem

Loaded = tuple[Inventory | None, list[Problem]]  # inventory_load.load_inventory's answer


def _read(channel: worker.Channel, root: Path, folders: tuple[str, ...], fd: int) -> None:
    """The reader's part: each folder's inventory written to `fd` as read, where it is
    posted, until told to stop."""
    at = 0
    for folder in folders:
        if channel.waiting():  # "stop" (or the parent is gone)
            return
        inv, found = inventory_load.load_inventory(root, folder=folder)
        kept = None if inv is None else inventory_load.held(inv)
        # pickled here, once: `take` unpickles only the hubs this process decides
        data = memoryview(pickle.dumps(((inv, found), kept), protocol=pickle.HIGHEST_PROTOCOL))
        done = 0
        while done < len(data):
            done += os.pwrite(fd, data[done:], at + done)
        channel.post((folder, at, len(data)))
        at += len(data)


def _scratch() -> int:
    """A file nobody else can open (no name), for the reader's inventories: in memory where
    the system has such files, else an unlinked temporary file."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.memfd_create("i4qew-inventories", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as scratch:
        return os.dup(scratch.fileno())


class ReadAhead:
    """A reader process over `folders` (clusters/<hub>), in that order; `stop` once the
    model is built, then `take` each folder's inventory (or None: not read there)."""

    def __init__(self, root: Path, folders: tuple[str, ...]) -> None:
        # (not through the pipe: tens of MB would cross it only once the model is built)
        self.fd = _scratch()
        self.got: dict[str, tuple[int, int]] = {}  # by folder: where its pickle is in the file
        self.asked = False
        try:
            self.helper: worker.Worker | None = worker.Worker(
                functools.partial(_read, root=root, folders=folders, fd=self.fd))
        except BaseException:
            os.close(self.fd)
            raise

    def ask(self) -> None:
        """Tell the reader to stop after the folder it is reading (`stop` waits for it), once."""
        if self.helper is not None and not self.asked:
            self.asked = True
            with contextlib.suppress(worker.WorkerFailed):  # (it ended already, all read: its messages wait)
                self.helper.post("stop")

    def stop(self) -> set[str]:
        """Stop the reader after the folder it is reading (`ask`) and reap it: the folders it read."""
        self.ask()
        helper, self.helper = self.helper, None
        if helper is not None:
            try:
                while True:
                    got = helper.take()
                    if isinstance(got, tuple) and len(got) == 2 and got[0] == "done":
                        helper.close(wait=True)
                        break
                    if not (isinstance(got, tuple) and len(got) == 3 and isinstance(got[0], str)
                            and isinstance(got[1], int) and isinstance(got[2], int)):
                        break
                    self.got[got[0]] = (got[1], got[2])
            except worker.WorkerFailed:  # what came whole is used, the rest is read as without a reader
                pass
            finally:
                helper.close()
        return set(self.got)

    def take(self, folder: str) -> Loaded | None:
        """load_inventory(root, folder=folder) as the reader found it (kept for a later
        load_inventory of the same files, as there), once; None if it did not read it."""
        where = self.got.pop(folder, None)
        if where is None or self.fd < 0:
            return None
        at, size = where
        try:  # (a short read is a pickle without its end)
            loaded, kept = pickle.loads(os.pread(self.fd, size, at))
        except Exception:  # whatever it is: read here, as without a reader
            return None
        if kept is not None:
            inventory_load.hold(kept)
        result: Loaded = loaded
        return result

    def drop(self, folders: Iterable[str]) -> None:
        """Forget what was read of `folders` (another process took them)."""
        for folder in folders:
            self.got.pop(folder, None)

    def hold_all(self) -> None:
        """Every inventory read kept for load_inventory (the work done here without the fleet's helper)."""
        for folder in list(self.got):
            self.take(folder)

    def close(self) -> None:
        """Kill and reap the reader if it still runs, and let its file go (idempotent)."""
        helper, self.helper = self.helper, None
        if helper is not None:
            helper.close()
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)
