"""Git remotes on 127.0.0.1 for the gitops tests: `git daemon`, and `git http-backend`
behind Basic auth (a tiny CGI bridge in http.server) for the login tests."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.tools import require


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    full = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
            "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", **(env or {})}
    done = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def commit(cwd: Path, message: str) -> None:
    """Everything in the work tree, committed."""
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def make_bare(path: Path, *, push_options: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "init", "-q", "--bare", "-b", "main", str(path))
    if push_options:
        # like GitLab, accept `git push -o ci.skip`
        git(path, "config", "receive.advertisePushOptions", "true")
    # keep every ref update in the remote's reflog, so tests can prove nothing was forced
    git(path, "config", "core.logAllRefUpdates", "always")
    return path


@dataclass
class GitDaemon:
    base: Path
    port: int

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def bare(self, name: str, *, push_options: bool = True) -> Path:
        return make_bare(self.base / name, push_options=push_options)


@contextmanager
def git_daemon(base: Path) -> Iterator[GitDaemon]:
    require("git")
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr", f"--base-path={base}",
         "--listen=127.0.0.1", f"--port={port}", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield GitDaemon(base, port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _CgiHandler(BaseHTTPRequestHandler):
    server: _HttpGitServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(chunks)
                chunks += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        expected = "Basic " + base64.b64encode(f"{self.server.user}:{self.server.password}".encode()).decode()
        self.server.auth_headers.append(self.headers.get("Authorization", ""))
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "REMOTE_USER": self.server.user,
            "REMOTE_ADDR": "127.0.0.1", "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        body = self._body() if self.command == "POST" else b""
        env["CONTENT_LENGTH"] = str(len(body))
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()


class _HttpGitServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, user: str, password: str) -> None:
        super().__init__(("127.0.0.1", 0), _CgiHandler)
        self.root, self.user, self.password = root, user, password
        self.auth_headers: list[str] = []


@dataclass
class HttpGit:
    server: _HttpGitServer

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def bare(self, name: str) -> Path:
        return make_bare(self.server.root / name)

    @property
    def auth_headers(self) -> list[str]:
        return self.server.auth_headers


@contextmanager
def http_git(root: Path, user: str, password: str) -> Iterator[HttpGit]:
    """Smart HTTP on 127.0.0.1 that admits only `user:password` (Basic auth)."""
    require("git")
    root.mkdir(parents=True, exist_ok=True)
    server = _HttpGitServer(root, user, password)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpGit(server)
    finally:
        server.shutdown()
        server.server_close()


# ---- workload repositories -------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_INPUTS = ("i4qew.yaml", "workloads", "policies", "models", "clusters")


def workload_repo(dest: Path, origin: str) -> Path:
    """A clone-like repo holding a copy of this project's example declarations, pushed to `origin`."""
    import shutil

    dest.mkdir(parents=True)
    for name in EXAMPLE_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "--", *EXAMPLE_INPUTS)
    git(dest, "commit", "-q", "-m", "example workloads")
    git(dest, "remote", "add", "origin", origin)
    git(dest, "push", "-q", "origin", "main")
    return dest


def clone(url: str, dest: Path, *, branch: str = "main") -> Path:
    git(dest.parent, "clone", "-q", "--branch", branch, url, str(dest))
    return dest


def edit(repo: Path, path: str, old: str, new: str, message: str, *, push: bool = True) -> str:
    """Replace `old` by `new` in one file, commit (and push main); the new commit id."""
    target = repo / path
    text = target.read_text()
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new))
    git(repo, "add", "--", path)
    git(repo, "commit", "-q", "-m", message)
    if push:
        git(repo, "push", "-q", "origin", "HEAD:main")
    return git(repo, "rev-parse", "HEAD")


def trailers(bare: Path, rev: str) -> dict[str, str]:
    out = git(bare, "log", "-1", "--format=%(trailers:only,unfold)", rev)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def head(repo: Path, ref: str) -> str | None:
    got = git(repo, "rev-parse", "--verify", "-q", ref, check=False)
    return got or None


# ---- a remote with one workload repository on it ------------------------------

SECRET_VARIABLES = ("I4QEW_PUSH_TOKEN", "I4QEW_GITLAB_TOKEN", "CI_JOB_TOKEN", "GITLAB_TOKEN", "GIT_AUTHOR_NAME",
                    "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GITLAB_USER_NAME",
                    "GITLAB_USER_EMAIL", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


def race(jobs: Mapping[str, Callable[[Callable[[int, str], None]], Any]]) -> dict[str, Any]:
    """Run each job in a thread of its own, handing it a before-push hook that holds its
    first push until every job is about to push: name -> its result or exception."""
    barrier = threading.Barrier(len(jobs), timeout=60)

    def together(attempt: int, sha: str) -> None:
        if attempt == 1:
            barrier.wait()

    results: dict[str, Any] = {}

    def go(name: str, job: Callable[[Callable[[int, str], None]], Any]) -> None:
        try:
            results[name] = job(together)
        except BaseException as exc:  # the caller asserts on it
            results[name] = exc

    threads = [threading.Thread(target=go, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def clean_environ(**extra: str) -> dict[str, str]:
    """The test process's environment without ambient tokens or identities."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env.update(extra)
    return env


@dataclass
class Site:
    tmp: Path
    daemon: GitDaemon
    bare: Path
    url: str
    work: Path  # a clone with the example declarations, on main

    def clone(self, name: str) -> Path:
        return clone(self.url, self.tmp / name)

    def cli(self, *args: str, repo: Path | None = None, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        import sys

        return subprocess.run([sys.executable, "-m", "i4qew", *args], cwd=repo or self.work,
                              env=clean_environ(**(env or {})), capture_output=True, text=True,
                              check=False, timeout=300)

    def branch(self, name: str) -> str | None:
        return head(self.bare, f"refs/heads/{name}")

    def files(self, rev: str) -> list[str]:
        return git(self.bare, "ls-tree", "-r", "--name-only", rev).splitlines()

    def show(self, rev: str, path: str) -> str:
        return git(self.bare, "show", f"{rev}:{path}")


@contextmanager
def site(tmp: Path) -> Iterator[Site]:
    with git_daemon(tmp / "srv") as daemon:
        bare = daemon.bare("workloads.git")
        url = daemon.url("workloads.git")
        work = workload_repo(tmp / "work", url)
        yield Site(tmp, daemon, bare, url, work)
