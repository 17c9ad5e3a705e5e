"""What the fleet-fork and reader tests share (tests/unit/placement/test_fleet_fork.py,
test_fleet_read.py): spies on the processes forked and the inventories parsed, the plan's
decisions, and random fleets of hubs made with bench/fleet.py."""

from __future__ import annotations

import atexit
import functools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from i4qew import memo, store, worker
from i4qew.cli.main import cli
from i4qew.placement import fleet_decide, fleet_fork, fleet_plan, fleet_read, inventory_load
from i4qew.validation import validate_repo
from tests.support.tools import ROOT


class Spy:
    """The helpers forked (their pids), the readers forked before the model (fleet_read.py:
    theirs), the helpers of worker.shared (`shared`: the rules of a warm run, the hubs'
    pictures) and the times the work was redone in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pids: list[int] = []
        self.readers: list[int] = []
        self.shared: list[int] = []
        self.redone = 0
        made, redo = worker.Worker.__init__, fleet_fork._redone

        def init(w: worker.Worker, task: Callable[[worker.Channel], object]) -> None:
            made(w, task)
            assert w.pid is not None
            func = task.func if isinstance(task, functools.partial) else None
            (self.readers if func is fleet_read._read else self.shared if func is worker.run_all
             else self.pids).append(w.pid)

        def again(*args: Any) -> Any:
            self.redone += 1
            return redo(*args)

        monkeypatch.setattr(worker.Worker, "__init__", init)
        monkeypatch.setattr(fleet_fork, "_redone", again)


def spying(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    """The `spy` fixture's body (test_fleet_fork.py, test_fleet_read.py)."""
    monkeypatch.setenv(store.ENV, "")
    forking_beside_servers(monkeypatch)
    yield Spy(monkeypatch)
    memo.clear()


def forking_beside_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """i4qew forks here as in a process of its own (worker.can_fork: no other thread)."""
    me = threading.current_thread()
    for other in threading.enumerate():  # i4qew never forks beside another thread: let an earlier test's end
        if other is not me and not other.daemon:
            other.join(timeout=10)
    # Daemon threads still running serve another test's session-scoped servers (the edge tests'
    # registries), which an i4qew process never has: only a thread started from here on keeps
    # this process from forking (worker.can_fork itself: tests/unit/test_worker.py, in a fresh process).
    leftover = frozenset(t for t in threading.enumerate() if t is not me)
    monkeypatch.setattr(worker, "can_fork", lambda: hasattr(os, "fork") and set(threading.enumerate()) <= leftover | {me})


def problems(root: Path, jobs: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv(worker.ENV, jobs)
    memo.clear()  # as a new process
    return [p.format() for p in validate_repo(root).problems]


SEEDS = 8
MADE = Path(tempfile.mkdtemp(prefix="i4qew-fleets-"))
atexit.register(shutil.rmtree, MADE, True)


def random_fleet(seed: int, root: Path) -> Path:
    """bench/fleet.py's fleet of 3-5 hubs, with some of: a broken inventory, clusters named
    in an earlier hub, a file in no hub's folder, a hub without inventory, hubs with their
    own cluster sets, a policy that selects nothing, a hub over its cluster limit."""
    rng = random.Random(seed)
    hubs = 3 + seed % 3
    made = MADE / str(seed)
    if not made.exists():  # bench/fleet.py once per seed and test session
        subprocess.run([sys.executable, str(ROOT / "bench" / "fleet.py"), str(made), "--workloads", "48",
                        "--policies", "12", "--models", "4", "--clusters", str(60 * hubs), "--seed", str(seed),
                        "--hubs", str(hubs)], check=True, capture_output=True)
    shutil.copytree(made, root)
    names = [f"hub-{i + 1:02d}" for i in range(hubs)]
    inventory = {h: root / "clusters" / h / "managedclusters.yaml" for h in names}
    settings = (root / "i4qew.yaml").read_text()
    for h in names:
        pick = rng.random()
        if pick < 0.2:
            settings = settings.replace(f"    - name: {h}\n", f"    - name: {h}\n      clusterSets: [edge-eu-central]\n")
        elif pick < 0.3:
            settings = settings.replace(f"    - name: {h}\n", f"    - name: {h}\n      managedClusterLimit: 10\n")
    (root / "i4qew.yaml").write_text(settings)
    if rng.random() < 0.5:  # a broken hub
        path = inventory[rng.choice(names)]
        path.write_text(path.read_text().replace("effect: NoSelect", "effect: NoSchedule", 1)
                        .replace('cpu: "32"', 'cpu: "32x"', 1))
    if rng.random() < 0.7:  # a cluster of an earlier hub named again
        first, later = sorted(rng.sample(names, 2))
        name = re.findall(r"\n    name: (\S+)\n", inventory[first].read_text())[0]
        (root / "clusters" / later / "again.yaml").write_text(
            "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
            f"metadata:\n  name: {name}\n  labels: {{stage: dev}}\n")
    if rng.random() < 0.4:
        shutil.copy(inventory[names[0]], root / "clusters" / "stray.yaml")
    if rng.random() < 0.4:  # a hub without inventory
        shutil.rmtree(root / "clusters" / rng.choice(names))
    if rng.random() < 0.6:  # workloads too large for their clusters, on every hub that places them
        for path in rng.sample(sorted((root / "workloads").rglob("*.yaml")), 2):
            path.write_text(path.read_text().replace("replicas: 1\n", "replicas: 400\n", 1))
    if rng.random() < 0.3:  # environments that share clusters: on every hub, at one place of i4qew.yaml
        text = (root / "i4qew.yaml").read_text()
        (root / "i4qew.yaml").write_text(text.replace('selector: "stage=production"', 'selector: "stage"'))
    if rng.random() < 0.7:  # the rules' problems, which the helper finds
        path = rng.choice(sorted((root / "workloads").rglob("*.yaml")))
        text = re.sub(r"containerPort: \d+", "containerPort: 99999", path.read_text(), count=1)
        path.write_text(text.replace("  env:\n", "  env:\n  - name: DB_PASSWORD\n    value: hunter2\n", 1))
    if rng.random() < 0.3:  # a policy file that does not load: its workloads' unknown-policy is left out
        path = rng.choice(sorted((root / "policies").iterdir()))
        path.write_text(path.read_text() + "  foo: [1, 2\n")
    if rng.random() < 0.6:  # a policy that selects nothing on any hub
        policy = sorted((root / "policies").iterdir())[rng.randrange(12)]
        policy.write_text(re.sub(r"site: \S+", "site: nowhere", policy.read_text(), count=1))
    return root


class Parses:
    """The pid of each inventory parse (inventory_load._parse) from here on, in this process
    and in the processes it forks (the reader, the helper): a line each in `log`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
        self.log = log
        parse = inventory_load._parse

        def counted(*args: Any) -> Any:
            with log.open("a") as out:
                out.write(f"{os.getpid()}\n")
            return parse(*args)

        monkeypatch.setattr(inventory_load, "_parse", counted)

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)

    def counted(self, hubs: int, jobs: str) -> bool:
        """Each hub parsed once in all (what validation read, this process's or another's, is
        what the command takes), and with a reader or a helper, not all of them here."""
        pids = [int(p) for p in self.log.read_text().split()] if self.log.exists() else []
        here = pids.count(os.getpid())
        return len(pids) == hubs and (here == hubs if jobs == "1" else here < hubs)



class Replanned:
    """Whether a plan was built (`planning`) and which environments were decided after it
    started and had not been decided before (`decided`: a hub decided twice, when the plan
    does not take the helper's decisions)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.planning: list[bool] = []
        self.decided: list[str] = []
        build, final = fleet_plan.build_fleet_plan, fleet_decide.FleetDecider._final

        def building(*args: Any, **kwargs: Any) -> Any:
            self.planning.append(True)
            return build(*args, **kwargs)

        def deciding(decider: Any, env: str) -> Any:
            if self.planning and env not in decider._finals:
                self.decided.append(env)
            return final(decider, env)

        monkeypatch.setattr(fleet_plan, "build_fleet_plan", building)
        monkeypatch.setattr(fleet_decide.FleetDecider, "_final", deciding)

    def plan(self, root: Path, dest: Path, jobs: str, *options: str) -> tuple[int, str, bytes]:
        """`i4qew plan --env dev -o DEST/JOBS.txt OPTIONS` of `root` with I4QEW_JOBS=jobs, as a
        new process would run it (memo cleared, `planning` reset): its exit code, its output and
        the text it wrote."""
        self.monkeypatch.setenv(worker.ENV, jobs)
        memo.clear()
        self.planning.clear()
        text = dest / f"{jobs}.txt"
        done = CliRunner().invoke(cli, ["plan", "-C", str(root), "--env", "dev", "-o", str(text), *options])
        return done.exit_code, done.output, text.read_bytes()


def in_helper(parent: int, fail: Callable[[], None], call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, which runs `fail` first in any process but `parent` (a helper's bug or death)."""
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            fail()
        return call(*args, **kwargs)
    return wrapped


def raising() -> None:
    raise RuntimeError("a bug in the helper")


def killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
