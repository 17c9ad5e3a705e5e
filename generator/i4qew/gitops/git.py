"""The one way i4qew talks to git: the git CLI through subprocess, plumbing only.

gitops/ runs everything through `Git`; the commands that only read a revision
(`render`'s source commit, `plan --base`) use `head_commit` and `revision_archive`,
and `init` uses `init_work_tree`. The one program that is not git, a rollout's health
gate (`i4qew rollout advance --gate`), runs through `run_gate`, so that subprocess
stays in this module.

Every command runs with a C locale (so the messages we classify are English),
without terminal prompts (a pipeline must fail, not hang, on a missing password),
and every failure carries git's stderr with the secrets of the run redacted.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from i4qew.text import redact, shorten

# A remote that accepts the connection and then says nothing must not hang a
# pipeline until GitLab's job timeout: fail it as an unreachable remote instead.
REMOTE_TIMEOUT_SECONDS = 300.0


class GitFailed(Exception):
    """A git command failed; `stderr` is already redacted and safe to print."""

    def __init__(self, command: str, code: int, stderr: str) -> None:
        self.command = command
        self.code = code
        self.stderr = stderr
        super().__init__(f"git {command} failed ({code}): {headline(stderr)}")


def headline(stderr: str) -> str:
    """The line of git's stderr that says what went wrong: its last `fatal:` (else
    `error:`) line, not the advice or "dumping crash report" lines that follow it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:"):
        found = [line for line in lines if line.startswith(prefix)]
        if found:
            return found[-1]
    return lines[-1] if lines else "no message"


def base_environment(environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    env.update({"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0"})
    # a hook or a caller's GIT_INDEX_FILE must never redirect our plumbing
    env.pop("GIT_INDEX_FILE", None)
    return env


@dataclass(frozen=True)
class Git:
    cwd: Path
    env: Mapping[str, str]
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def with_access(self, extra_env: Mapping[str, str], secrets: Sequence[str]) -> Git:
        return Git(self.cwd, {**self.env, **extra_env}, (*self.secrets, *secrets))

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = {**self.env, **env} if env else dict(self.env)
        try:
            proc = subprocess.run(
                ["git", *args], cwd=self.cwd, env=full_env, input=input,
                capture_output=True, timeout=timeout, check=False,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise GitFailed(args[0], -1, f"fatal: no answer within {timeout:.0f}s") from None
        except FileNotFoundError:
            raise GitFailed(args[0], -1, "fatal: the git program is not installed") from None
        if check and proc.returncode != 0:
            raise GitFailed(args[0], proc.returncode, self.redact(proc.stderr.decode("utf-8", "replace")))
        return proc

    def start(self, *args: str, env: Mapping[str, str] | None = None) -> Started:
        """Start a read-only git command that runs while i4qew does other work (`Started`)."""
        full_env = {**self.env, **env} if env else dict(self.env)
        try:
            proc = subprocess.Popen(["git", *args], cwd=self.cwd, env=full_env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise GitFailed(args[0], -1, "fatal: the git program is not installed") from None
        return Started(self, args, proc)

    def out(self, *args: str, input: bytes | None = None) -> str:
        return self.run(*args, input=input).stdout.decode("utf-8", "replace").strip()

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def has_object(self, oid: str) -> bool:
        return self.ok("cat-file", "-e", f"{oid}^{{commit}}")

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.ok("merge-base", "--is-ancestor", older, newer)


@dataclass
class Started:
    """A git command started by `Git.start`: `result()` waits for it as `Git.run` would;
    `close()` (always, in a `finally`) stops one nobody waited for."""

    git: Git
    args: tuple[str, ...]
    proc: subprocess.Popen[bytes]
    done: subprocess.CompletedProcess[bytes] | None = None

    def result(self, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        if self.done is None:
            out, err = self.proc.communicate()
            self.done = subprocess.CompletedProcess(["git", *self.args], self.proc.returncode, out, err)
        if check and self.done.returncode != 0:
            raise GitFailed(self.args[0], self.done.returncode,
                            self.git.redact(self.done.stderr.decode("utf-8", "replace")))
        return self.done

    def close(self) -> None:
        if self.done is None:
            self.proc.kill()
            self.proc.communicate()


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    return base_environment(os.environ if environ is None else environ)


def head_commit(folder: Path, paths: Sequence[str]) -> str | None:
    """HEAD of the work tree holding `folder` (`<sha>-dirty` when `paths` differ from
    it); None outside git or without git. Decided at the edge, so the compilers never
    run git."""
    git = Git(folder, environment())
    try:
        head = git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False, timeout=60)
        if head.returncode != 0 or not head.stdout.strip():
            return None
        # GIT_OPTIONAL_LOCKS=0: status must not refresh (write) the user's index
        status = git.run("status", "--porcelain", "--untracked-files=all", "--", *paths, check=False, timeout=60,
                         env={"GIT_OPTIONAL_LOCKS": "0"})
    except GitFailed:  # no git program, or no answer
        return None
    sha = head.stdout.decode().strip()
    return f"{sha}-dirty" if status.returncode == 0 and status.stdout.strip() else sha


class UnknownRevision(GitFailed):
    """`rev` names no commit; `refs` are the repository's branches and tags (short names)."""

    def __init__(self, rev: str, refs: list[str]) -> None:
        super().__init__("rev-parse", 1, f"fatal: unknown revision {rev!r}")
        self.refs = refs


def revision_archive(folder: Path, rev: str) -> tuple[str, bytes]:
    """(`folder` relative to the top of its work tree: "" or "deploy/", a tar of that
    folder as committed at `rev`). Raises UnknownRevision, or GitFailed (code -1: git
    itself is missing)."""
    git = Git(folder, environment())
    prefix = git.out("rev-parse", "--show-prefix")
    found = git.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if found.returncode != 0:
        refs = git.run("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes", "refs/tags",
                       check=False).stdout.decode("utf-8", "replace").split()
        raise UnknownRevision(rev, refs)
    commit = found.stdout.decode().strip()
    return prefix, git.run("archive", "--format=tar", commit, *([prefix] if prefix else [])).stdout


GATE_TIMEOUT_SECONDS = 600.0


def run_gate(command: str, cwd: Path, extra_env: Mapping[str, str]) -> tuple[int, str]:
    """Run a health gate (a shell command) in `cwd` with `extra_env` added: (exit code,
    its output's last line, redacted). A gate that cannot start or times out fails (126/124)."""
    env = {**os.environ, **extra_env}
    try:
        done = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, env=env, capture_output=True,
                              timeout=GATE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return 124, f"no answer within {GATE_TIMEOUT_SECONDS:.0f} s"
    except OSError as exc:
        return 126, str(exc)
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").strip().splitlines()
    return done.returncode, shorten(redact(lines[-1], ()), 200) if lines else ""


def init_work_tree(directory: Path) -> str:
    """`git init` unless `directory` is inside a git work tree already; what happened, in words."""
    git = Git(directory, environment())
    try:
        inside = git.run("rev-parse", "--is-inside-work-tree", check=False, timeout=60)
        if inside.returncode == 0 and inside.stdout.strip() == b"true":
            return "inside an existing git repository: no git init"
        git.run("init", "-q", timeout=60)  # in `directory` (the cwd): a relative path would nest
    except GitFailed as exc:
        if exc.code == -1 and "not installed" in exc.stderr:
            return "git is not installed: install it and run `git init` here (publish commits from a git clone)"
        return f"git init failed ({headline(exc.stderr)}): run it yourself"
    return "initialised a git repository (git init)"
