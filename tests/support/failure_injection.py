"""Shared by tests/integration/test_failure_injection_*.py and tests/integration/test_gitops_secrets.py (no tests here).

Remotes that fail on cue (a git-http-backend bridge that hangs up mid-pack, loses
its reply or goes down; a TCP proxy in front of `git daemon` that cuts a push
inside its pack), a real `i4qew` process paused between its commit and its push
and SIGKILLed there, and the checks every scenario ends with: the branch is a
commit whose tree git computes from a fresh `i4qew render`, and every update the
remote recorded was a fast-forward.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tests.support.git_remote import HttpGit, _CgiHandler, clean_environ, git, http_git, trailers
from tests.support.paused_i4qew import PAUSE_VARIABLE

PAUSED_I4QEW = Path(__file__).with_name("paused_i4qew.py")  # i4qew, paused before its push


# ---- a real i4qew process, killed between its commit and its push ------------

@dataclass(frozen=True)
class Killed:
    commit: str  # the commit it had made (and moved the local branch to)
    stdout: str
    stderr: str


def kill_before_push(repo: Path, args: Sequence[str], gate: Path, env: dict[str, str] | None = None) -> Killed:
    """Run `i4qew ARGS` until it has committed and is about to push, then SIGKILL it
    (its whole process group, git children included)."""
    reached = gate.with_name(gate.name + ".reached")
    proc = subprocess.Popen([sys.executable, str(PAUSED_I4QEW), *args], cwd=repo,
                            env=clean_environ(**(env or {}), **{PAUSE_VARIABLE: str(gate)}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (reached.exists() and reached.read_text()):
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"i4qew {' '.join(args)} ended ({proc.returncode}) before its push:\n{out}{err}")
            assert time.monotonic() < deadline, "i4qew never reached its push"
            time.sleep(0.01)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return Killed(reached.read_text().strip(), out, err)


def start_cli(repo: Path, args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "i4qew", *args], cwd=repo, env=clean_environ(**(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def one_error_line(stderr: str) -> str:
    """A failure's stderr is exactly one `i4qew: error:` line, no traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("i4qew: error: "), stderr
    return lines[0]


# ---- what a branch must end as --------------------------------------------------

def render_tree_id(repo: Path, rev: str, env: str, tmp: Path) -> str:
    """The tree id git computes for `i4qew render --env ENV` of the declarations at `rev`."""
    name = f"{rev[:12]}-{env}"
    src, out, scratch = tmp / f"src-{name}", tmp / f"render-{name}", tmp / "scratch.git"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=repo, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    done = subprocess.run([sys.executable, "-m", "i4qew", "render", "-C", str(src), "--env", env, "-o", str(out),
                           "--source-commit", rev], env=clean_environ(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    if not scratch.exists():
        git(tmp, "init", "-q", "--bare", str(scratch))
    index = {"GIT_INDEX_FILE": str(tmp / f"index-{name}")}
    git(tmp, f"--git-dir={scratch}", f"--work-tree={out}", "add", "-A", ".", env=index)
    return git(tmp, f"--git-dir={scratch}", "write-tree", env=index)


def assert_render_of(bare: Path, rev: str, work: Path, source: str, env: str, tmp: Path) -> None:
    """`rev`'s tree is `i4qew render` of `source` for `env`, up to where its waves are pinned."""
    expected = render_tree_id(work, source, env, tmp)
    if tree_of(bare, rev) != expected:
        only_pins_differ(bare, rev, tmp / "scratch.git", expected)


def only_pins_differ(bare: Path, rev: str, scratch: Path, expected: str) -> None:
    """The branch differs from a fresh render (every wave following the branch head) only
    in where its rollout waves are pinned: the state file and the wave Subscriptions'
    git-branch / git-desired-commit annotations (tests/integration/test_rollout.py checks
    that those pins are the ones the trailers record)."""
    import yaml

    git(scratch, "fetch", "-q", str(bare), rev)
    changed = git(scratch, "diff", "--name-only", expected, rev).splitlines()
    assert changed and all(p == "hub/rollout.yaml" or "/workloads/" in p for p in changed), changed

    def unpinned(tree: str, path: str) -> list[object]:
        docs = list(yaml.safe_load_all(git(scratch, "show", f"{tree}:{path}")))
        for d in docs:
            if d["kind"] == "ConfigMap":
                d["data"] = sorted(d["data"])
            for key in ("apps.open-cluster-management.io/git-branch", "apps.open-cluster-management.io/git-desired-commit"):
                d["metadata"].get("annotations", {}).pop(key, None)
        return docs

    for path in changed:
        assert unpinned(expected, path) == unpinned(rev, path), path


def tree_of(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", f"{rev}^{{tree}}")


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], cwd=repo,
                          check=False).returncode == 0


def ref_updates(bare: Path, branch: str) -> list[tuple[str, str]]:
    """(old, new) of every update of `branch` in the remote's reflog, oldest first."""
    values = git(bare, "reflog", "show", "--format=%H", f"refs/heads/{branch}").splitlines()[::-1]
    return list(itertools.pairwise(values))


def assert_forward_only(bare: Path, branch: str, *, except_: Iterable[tuple[str, str]] = ()) -> None:
    """Every update of `branch` the remote recorded was a fast-forward (but the
    rewrites a test made on purpose, as someone else)."""
    allowed = set(except_)
    for old, new in ref_updates(bare, branch):
        if (old, new) not in allowed:
            assert is_ancestor(bare, old, new), f"{branch} moved {old[:12]} -> {new[:12]}: not a fast-forward"


def assert_intact(bare: Path) -> None:
    """No half-written ref or lock left on the remote, and its objects are sound."""
    locks = [p for p in bare.rglob("*.lock")]
    assert not locks, locks
    done = subprocess.run(["git", "fsck", "--no-dangling", "--no-progress"], cwd=bare, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


def assert_new_state(bare: Path, work: Path, old: str | None, tmp: Path, *, branch: str = "acm-dev",
                     env: str = "dev", source: str | None = None) -> str:
    """`branch` moved from `old` by exactly one linear commit holding the render of `source`
    (default: `work`'s HEAD) for `env`; every update of it was a fast-forward."""
    source = source or git(work, "rev-parse", "HEAD")
    new = git(bare, "rev-parse", f"refs/heads/{branch}")
    assert new != old
    assert git(bare, "rev-list", "--parents", "-n", "1", new).split()[1:] == ([old] if old else [])
    assert git(bare, "rev-list", "--merges", new) == ""
    assert trailers(bare, new)["Source-Commit"] == source
    assert_render_of(bare, new, work, source, env, tmp)
    assert_forward_only(bare, branch)
    assert_intact(bare)
    return new


# ---- git http-backend that fails on cue -----------------------------------------

@dataclass
class Faults:
    """What the next push (a POST to git-receive-pack) meets. `mode`:
    "cut"        read part of the pack, then hang up (nothing applied)
    "lost-reply" apply the push, then hang up before answering
    "hold"       signal `held`, wait for `release`, then act as `after_hold`
    With `die`, every request after the fault gets 503 until `down` is cleared."""
    mode: str | None = None
    die: bool = False
    after_hold: str = "cut"
    down: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)  # the fault is over
    faults_made: int = 0


def _handler_for(faults: Faults) -> type[_CgiHandler]:
    class Faulty(_CgiHandler):
        preread: bytes | None = None

        def _body(self) -> bytes:
            return self.preread if self.preread is not None else super()._body()

        def _hang_up(self) -> None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _unavailable(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _handle(self) -> None:
            if faults.down:
                return self._unavailable()
            mode = faults.mode
            if mode is None or self.command != "POST" or not self.path.partition("?")[0].endswith("/git-receive-pack"):
                return super()._handle()
            faults.mode = None  # one shot
            # the fault as it was armed: while this one holds, the test may arm the next
            die, after_hold = faults.die, faults.after_hold
            faults.faults_made += 1
            if mode == "hold":
                self.preread = super()._body()
                faults.held.set()
                faults.release.wait(120)
                mode = after_hold
            if mode == "cut":
                length = int(self.headers.get("Content-Length") or 0)
                if self.preread is None:
                    self.rfile.read(min(max(length // 2, 1), 4096) if length else 64)
            elif mode == "lost-reply":
                real, self.wfile = self.wfile, io.BytesIO()
                try:
                    super()._handle()
                finally:
                    self.wfile = real
            self._hang_up()
            if die:
                faults.down = True
            faults.done.set()
            return None

        def finish(self) -> None:
            with suppress(OSError):
                super().finish()

    return Faulty


@contextmanager
def faulty_http_git(root: Path, user: str, password: str) -> Iterator[tuple[HttpGit, Faults]]:
    """`tests.support.git_remote.http_git`, whose pushes fail as `Faults` says."""
    faults = Faults()
    with http_git(root, user, password) as server:
        server.server.RequestHandlerClass = _handler_for(faults)
        yield server, faults


# ---- a TCP proxy in front of git daemon that dies inside a pack ---------------------

class CuttingProxy:
    """127.0.0.1:port forwarding to `upstream`. When `armed`, a connection whose client
    starts sending a pack (a push) is cut `after` bytes into it, and the proxy stops
    listening: the remote is gone until `revive()`."""

    def __init__(self, upstream: int, after: int = 40) -> None:
        self.upstream, self.after = upstream, after
        self.armed = False
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._serve(self._listener)

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def _serve(self, listener: socket.socket) -> None:
        def accept() -> None:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))

        def close_both() -> None:
            for sock in (client, upstream):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        def down() -> None:  # daemon -> client, as it comes
            with suppress(OSError):
                while data := upstream.recv(65536):
                    client.sendall(data)
            close_both()

        threading.Thread(target=down, daemon=True).start()
        tail = b""  # the last bytes sent, for a signature split between two reads
        with suppress(OSError):
            while data := client.recv(65536):
                at = (tail + data).find(b"PACK") if self.armed else -1
                if at >= 0:
                    upstream.sendall(data[:max(at - len(tail) + self.after, 0)])
                    self.armed = False
                    self.cuts += 1
                    self.kill()
                    break
                tail = (tail + data)[-3:]
                upstream.sendall(data)
        close_both()
        client.close()
        upstream.close()

    def kill(self) -> None:
        with suppress(OSError):  # shutdown first: a bare close leaves the blocked accept() listening
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def revive(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._serve(self._listener)


# ---- where a secret must never be found -------------------------------------------

def secret_forms(secret: str, users: Iterable[str] = ("oauth2", "gitlab-ci-token")) -> list[str]:
    """The token raw, URL-encoded, and base64 as in a Basic auth header."""
    forms = {secret, quote(secret, safe=""), quote(secret)}
    forms |= {base64.b64encode(f"{user}:{secret}".encode()).decode() for user in users}
    forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return sorted(forms)


def assert_not_in_text(text: str, forms: Iterable[str], where: str) -> None:
    for form in forms:
        assert form not in text, f"{form!r} found in {where}"


def assert_not_in_files(roots: Iterable[Path], forms: Iterable[str]) -> int:
    """No file under `roots` holds a form (git objects are compressed: see assert_not_in_repo)."""
    encoded = [f.encode() for f in forms]
    count = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                count += 1
                for form in encoded:
                    assert form not in data, f"{form!r} found in {path}"
    return count


def assert_not_in_repo(repo: Path, forms: Iterable[str], env: dict[str, str] | None = None) -> None:
    """Not in any object (decompressed: commit messages, trees, blobs) nor the git config
    (all of it, as `git config --list --show-origin` sees it with `env`'s HOME)."""
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo,
                             capture_output=True, check=True).stdout
    config = git(repo, "config", "--list", "--show-origin", env=env)
    for form in forms:
        assert form.encode() not in objects, f"{form!r} found in an object of {repo}"
        assert form not in config, f"{form!r} found in the git config of {repo}"
