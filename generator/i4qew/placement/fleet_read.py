"""The hubs' inventories read on the second core while the model is built (docs/parallel.md).

A cold `validate` of a fleet builds the model (~1 s at 5x) on one core before the fleet's
helper (fleet_fork.py) can start; the inventories do not need the model. So, where that
helper will run, a reader process is forked first, right after the imports
(fleet_fork.read_ahead): it reads the hubs' inventories, the last hubs first, and posts
each one as soon as it is read (pickled: unpickling one costs a tenth of parsing it).
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
import pickle
from collections.abc import Iterable
from pathlib import Path

from i4qew import worker
from i4qew.placement import inventory_load
from i4qew.placement.inventory import Inventory
from i4qew.problems import Problem

Loaded = tuple[Inventory | None, list[Problem]]  # inventory_load.load_inventory's answer


def _read(channel: worker.Channel, root: Path, folders: tuple[str, ...]) -> None:
    """The reader's part: each folder's inventory posted as read, until told to stop."""
    for folder in folders:
        if channel.waiting():  # "stop" (or the parent is gone)
            return
        inv, found = inventory_load.load_inventory(root, folder=folder)
        kept = None if inv is None else inventory_load.held(inv)
        # pickled here, once: `take` unpickles only the hubs this process decides
        channel.post((folder, pickle.dumps(((inv, found), kept), protocol=pickle.HIGHEST_PROTOCOL)))


class ReadAhead:
    """A reader process over `folders` (clusters/<hub>), in that order; `stop` once the
    model is built, then `take` each folder's inventory (or None: not read there)."""

    def __init__(self, root: Path, folders: tuple[str, ...]) -> None:
        self.got: dict[str, bytes] = {}
        self.asked = False
        self.helper: worker.Worker | None = worker.Worker(functools.partial(_read, root=root, folders=folders))

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
                    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], str)):
                        break
                    if got[0] == "done":
                        helper.close(wait=True)
                        break
                    if isinstance(got[1], bytes):
                        self.got[got[0]] = got[1]
            except worker.WorkerFailed:  # what came whole is used, the rest is read as without a reader
                pass
            finally:
                helper.close()
        return set(self.got)

    def take(self, folder: str) -> Loaded | None:
        """load_inventory(root, folder=folder) as the reader found it (kept for a later
        load_inventory of the same files, as there), once; None if it did not read it."""
        data = self.got.pop(folder, None)
        if data is None:
            return None
        loaded, kept = pickle.loads(data)
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
        """Kill and reap the reader if it still runs (idempotent)."""
        helper, self.helper = self.helper, None
        if helper is not None:
            helper.close()
