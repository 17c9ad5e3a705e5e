"""The git remote that holds the environment branches: read its heads, fetch, push.

Nothing here writes a local ref: heads are read with `ls-remote` and objects
fetched by id, so a dry run and a failed run leave the clone as it was. Every
failure to reach the remote, or a refused login, becomes a `RemoteError` whose
text is one line without credentials (exit 4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from i4qew.gitops.credentials import access_for, is_url
from i4qew.gitops.git import REMOTE_TIMEOUT_SECONDS, Git, GitFailed

_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled|"
    r"HTTP Basic: Access denied|returned error: 40[13]|\b40[13]\b|Permission denied|access denied|"
    r"not authorized|Invalid username or password",
    re.IGNORECASE,
)
_MISSING_OBJECT = re.compile(r"not our ref|no such remote ref|couldn't find remote ref|upload-pack: not", re.I)
_NO_PUSH_OPTIONS = "does not support push options"
_MOVED_REASONS = ("non-fast-forward", "fetch first", "stale info", "already exists")
# two pushes landing at the same instant: the loser cannot take the ref's lock
_LOCKED = ("cannot lock ref", "failed to lock", "failed to update ref", "unable to lock")


class RemoteError(Exception):
    """The remote could not be reached or refused us: one printable line (exit 4)."""


class MissingRemote(Exception):
    """`--remote NAME` names no configured remote (a usage error)."""


class Pushed(Enum):
    OK = "ok"
    MOVED = "moved"  # rejected because the branch is no longer where we built on


@dataclass
class Remote:
    git: Git  # carries the auth environment and the secrets to redact
    fetch_url: str
    push_url: str
    display: str
    push_options: bool = True  # until the remote says it has none

    def _failure(self, action: str, exc: GitFailed) -> RemoteError:
        detail = _last_line(exc.stderr)
        if _AUTH.search(exc.stderr):
            advice = ("check that I4QEW_PUSH_TOKEN holds a valid token with write access to the repository"
                      if self.git.secrets else
                      "no credentials were given: set I4QEW_PUSH_TOKEN to a token with write access")
            return RemoteError(f"the git remote {self.display} refused authentication while {action}: {advice}")
        return RemoteError(f"cannot reach the git remote {self.display} while {action}: {detail}")

    def head(self, branch: str) -> str | None:
        """The commit `branch` points at on the remote, None when it does not exist."""
        ref = f"refs/heads/{branch}"
        try:
            out = self.git.run("ls-remote", "--", self.fetch_url, ref, timeout=REMOTE_TIMEOUT_SECONDS).stdout
        except GitFailed as exc:
            raise self._failure(f"reading {branch}", exc) from None
        for line in out.decode("utf-8", "replace").splitlines():
            oid, _, name = line.partition("\t")
            if name == ref:
                return oid
        return None

    def fetch(self, oid: str) -> bool:
        """Make commit `oid` (and its history) present locally; False when the remote lacks it."""
        if self.git.has_object(oid):
            return True
        try:
            self.git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", self.fetch_url, oid,
                         timeout=REMOTE_TIMEOUT_SECONDS)
        except GitFailed as exc:
            if _MISSING_OBJECT.search(exc.stderr):
                return False
            raise self._failure(f"fetching {oid[:12]}", exc) from None
        return self.git.has_object(oid)

    def on_a_branch(self, oid: str) -> bool:
        """Whether some branch of the remote holds commit `oid` (the tips this clone lacks
        are fetched by id to find out; no local ref moves)."""
        try:
            out = self.git.run("ls-remote", "--heads", "--", self.fetch_url,
                               timeout=REMOTE_TIMEOUT_SECONDS).stdout.decode("utf-8", "replace")
        except GitFailed as exc:
            raise self._failure("listing its branches", exc) from None
        tips = sorted({line.partition("\t")[0] for line in out.splitlines() if "\t" in line})
        if oid in tips:
            return True
        here = [self.git.has_object(tip) for tip in tips]
        missing = [tip for tip, has in zip(tips, here, strict=True) if not has]
        if missing:
            try:
                self.git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", self.fetch_url,
                             *missing, timeout=REMOTE_TIMEOUT_SECONDS)
            except GitFailed as exc:
                raise self._failure("fetching its branches", exc) from None
        # asked again only for the tips fetched
        known = [tip for tip, has in zip(tips, here, strict=True) if has or self.git.has_object(tip)]
        if not known:
            return False
        # nothing reachable from `oid` that no tip reaches: `oid` is in some tip's history
        rest = self.git.run("rev-list", "-n", "1", oid, "--not", "--stdin",
                            input="".join(f"{tip}\n" for tip in known).encode()).stdout
        return not rest.strip()

    def unshallow(self, oid: str) -> None:
        """Fetch the whole history behind `oid` into a shallow clone."""
        try:
            self.git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--unshallow", "--",
                         self.fetch_url, oid, timeout=REMOTE_TIMEOUT_SECONDS)
        except GitFailed as exc:
            if not _MISSING_OBJECT.search(exc.stderr):
                raise self._failure("fetching the source history", exc) from None

    def push(self, oid: str, branch: str, *, built_on: str | None, replace: bool = False,
             also: Sequence[tuple[str, str]] = ()) -> Pushed:
        """Push `oid`, built on `built_on` (None: a new branch), to `branch` as a fast-forward.

        The push lands only while `branch` still points at `built_on` (a lease: the
        server compares and swaps). Without it, a branch someone rewound to an older
        commit meanwhile would be fast-forwarded to our commit, bringing back the
        commits they removed. For an environment branch `oid` descends from
        `built_on`, so what lands is always a fast-forward, never a force.
        `replace` is only for i4qew's own throwaway proposal branches, whose `oid`
        need not descend from `built_on`: it replaces that branch under the same lease.
        `also` (branch, commit): branches set in the same atomic push, whatever they held
        (rollout wave branches, which follow from the environment branch's content).
        """
        if not replace and built_on is not None and not self.git.is_ancestor(built_on, oid):
            raise RuntimeError(f"refusing to push {oid[:12]} to {branch}: it does not descend from {built_on[:12]}")
        while True:
            args = ["push", "--porcelain", "--no-verify"]
            if self.push_options:
                args.append("--push-option=ci.skip")  # pushes of generated branches start no pipeline
            args.append(f"--force-with-lease=refs/heads/{branch}:{built_on or ''}")
            if also:
                args.append("--atomic")
            args += ["--", self.push_url, f"{oid}:refs/heads/{branch}", *(f"+{c}:refs/heads/{b}" for b, c in also)]
            proc = self.git.run(*args, check=False, timeout=REMOTE_TIMEOUT_SECONDS)
            stderr = self.git.redact(proc.stderr.decode("utf-8", "replace"))
            if proc.returncode != 0 and self.push_options and _NO_PUSH_OPTIONS in stderr:
                self.push_options = False  # e.g. a plain git daemon: push without the option
                continue
            got = self._push_result(proc.returncode, proc.stdout.decode("utf-8", "replace"), stderr, branch)
            if got is not None:
                return got
            # git died before reporting (e.g. "unable to write flush packet" after a
            # rejection): the remote's head tells what happened
            failure = self._failure(f"pushing {branch}", GitFailed("push", proc.returncode, stderr))
            if _AUTH.search(stderr):
                raise failure
            try:
                now = self.head(branch)
            except RemoteError:  # gone before it could tell: the push may or may not have landed
                raise RemoteError(f"{failure}; whether {branch} was updated is unknown: run it again "
                                  "(a push lands whole or not at all)") from None
            if now == oid:
                return Pushed.OK
            if now != built_on:
                return Pushed.MOVED
            raise failure

    def _push_result(self, code: int, stdout: str, stderr: str, branch: str) -> Pushed | None:
        for line in stdout.splitlines():
            flag, _, rest = line.partition("\t")
            if not rest.endswith(f":refs/heads/{branch}") and f":refs/heads/{branch}\t" not in rest:
                continue
            if flag != "!":
                return Pushed.OK
            summary = rest.partition("\t")[2]
            if "[rejected]" in summary and any(reason in summary for reason in _MOVED_REASONS):
                return Pushed.MOVED
            if "[remote rejected]" in summary and any(r in summary or r in stderr for r in _LOCKED):
                return Pushed.MOVED
            reason = self.git.redact(summary.strip() or _last_line(stderr))
            remote_says = [ln[len("remote: "):].strip() for ln in stderr.splitlines() if ln.startswith("remote: ")]
            extra = f" ({'; '.join(s for s in remote_says if s)})" if any(remote_says) else ""
            raise RemoteError(f"the git remote {self.display} refused the push to {branch}: {reason}{extra}")
        return Pushed.OK if code == 0 else None


def _last_line(stderr: str) -> str:
    """git's last error, with the lines that continue it (e.g. the errno after "unable to connect")."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith(("fatal:", "error:"))]
    if not starts:
        return lines[-1] if lines else "no message from git"
    return " ".join(lines[starts[-1]:starts[-1] + 3])


def open_remote(git: Git, remote: str, environ: Mapping[str, str]) -> Remote:
    """`remote` is a configured remote's name or a URL (or a path to a repository)."""
    if is_url(remote):
        fetch_url = push_url = remote
    else:
        got = git.run("remote", "get-url", "--", remote, check=False)
        if got.returncode != 0:
            raise MissingRemote(f"no git remote named {remote!r}: give the name of a configured remote or a URL")
        fetch_url = got.stdout.decode("utf-8", "replace").strip()
        push_url = git.out("remote", "get-url", "--push", "--", remote)
    fetch_access, push_access = access_for(fetch_url, environ), access_for(push_url, environ)
    env = {**fetch_access.env}
    if push_access.env and push_access.env != fetch_access.env:
        env.update(access_for(push_url, {**environ, **fetch_access.env}).env)
    secrets = (*fetch_access.secrets, *push_access.secrets)
    display = fetch_access.display if is_url(remote) else f"{remote} ({fetch_access.display})"
    return Remote(git.with_access(env, secrets), fetch_access.url, push_access.url, display)
