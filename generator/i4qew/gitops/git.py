"""The one way gitops talks to git: the git CLI through subprocess, plumbing only.

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

from i4qew.text import redact

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


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    return base_environment(os.environ if environ is None else environ)
