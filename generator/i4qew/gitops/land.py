"""Landing one generated commit on a branch: the loop every publish and promotion runs.

Each attempt reads the branch where it really is (the remote's head, not the
local branch, which a killed run may have left ahead), lets the caller decide
against that head (drift, late pipeline, unchanged tree), builds the commit on
top of it, moves the local branch only once the commit exists, and pushes as a
fast-forward. A push rejected because the branch moved starts the next attempt
after a jittered pause; nothing is ever force-pushed to an environment branch.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from i4qew.gitops.branch import BranchState, read_state
from i4qew.gitops.git import Git, GitFailed, headline
from i4qew.gitops.identity import Identity
from i4qew.gitops.objects import BuiltTree, listing, write_missing
from i4qew.gitops.remote import Pushed, Remote
from i4qew.gitops.source import Source
from i4qew.gitops.trailers import Changes, changes_between
from i4qew.problems import Problem, UserError


def quoted(message: str) -> list[str]:
    """A commit message as an indented block (printed as it is, without the `i4qew: ` prefix)."""
    return [f"    {line}" if line else "" for line in message.rstrip("\n").split("\n")]


class RetriesExhausted(Exception):
    """The branch kept moving under us (exit 3)."""


@dataclass(frozen=True)
class Outcome:
    status: str  # published | promoted | committed | unchanged | late | dry-run | proposed
    branch: str
    commit: str | None
    lines: tuple[str, ...]
    problems: tuple[Problem, ...] = ()  # warnings of the validation, reported with the outcome


@dataclass(frozen=True)
class Proposal:
    tree: BuiltTree
    message: str
    changes: Changes
    # Branches that move with the commit, atomically (rollout wave branches): (branch, commit).
    refs: tuple[tuple[str, str], ...] = ()


Decide = Callable[[BranchState], "Proposal | Outcome"]
# Called after the commit exists and the local branch moved, right before the
# push: tests use it to race other publishers and to simulate a killed run.
BeforePush = Callable[[int, str], None]


@dataclass
class Landing:
    source: Source
    remote: Remote | None  # None: --no-push, only the local branch moves
    identity: Identity
    tracking: str | None = None  # remote name whose tracking refs seed a missing local branch
    # where the source history lives when the branches are pushed elsewhere (`origin`)
    source_remote: Remote | None = None
    dry_run: bool = False
    attempts: int = 5
    backoff: float = 0.25
    before_push: BeforePush | None = None
    written: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    _listings: dict[str, dict[str, str]] = field(default_factory=dict)
    _partial: dict[str, dict[str, str]] = field(default_factory=dict)
    _unshallowed: bool = False

    def note(self, text: str) -> None:
        """Something the user should know, said once even when attempts repeat it."""
        if text not in self.notes:
            self.notes.append(text)

    def listing(self, tree_oid: str) -> dict[str, str]:
        """path -> oid of a committed tree, read once per run."""
        if tree_oid not in self._listings:
            self._listings[tree_oid] = listing(self.git, tree_oid)
        return self._listings[tree_oid]

    def remember(self, tree_oid: str, ids: dict[str, str]) -> None:
        """Part of a committed tree's listing, read by a walk (gitops/objects.py): enough for
        `changes` (the charts' and the top-level ids) and for what `_commit` need not write."""
        self._partial[tree_oid] = ids

    def _known(self, tree_oid: str) -> tuple[dict[str, str], bool]:
        """The listing of a tree, and whether it is whole (else a walk's part of it)."""
        if tree_oid not in self._listings and tree_oid in self._partial:
            return self._partial[tree_oid], False
        return self.listing(tree_oid), True

    def head_file(self, state: BranchState, path: str) -> bytes | None:
        """A file of the branch head, None when absent."""
        oid = self.listing(state.head.tree).get(path) if state.head else None
        return self.git.run("cat-file", "blob", oid).stdout if oid else None

    @property
    def git(self) -> Git:
        return self.source.git

    def _local(self, branch: str) -> str | None:
        for ref in (f"refs/heads/{branch}", f"refs/remotes/{self.tracking}/{branch}" if self.tracking else ""):
            if ref:
                got = self.git.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
                if got.returncode == 0:
                    return got.stdout.decode().strip()
        return None

    def state(self, branch: str) -> BranchState:
        if self.remote is None:
            return read_state(self.git, branch, self._local(branch))
        head = self.remote.head(branch)
        if head is not None:
            try:  # usually here already (the last run fetched it): no process asks first
                return read_state(self.git, branch, head)
            except GitFailed:
                pass
            if not self.remote.fetch(head):
                raise UserError(f"the remote advertises {branch} at {head[:12]} but does not serve it")
        return read_state(self.git, branch, head)

    def relation(self, ours: str, theirs: str) -> str:
        """same | newer | older | diverged: where `ours` stands against `theirs` in source history."""
        if ours == theirs:
            return "same"
        here = self.git.has_object(theirs)
        for remote in (self.remote, self.source_remote):
            if remote is not None and not here:
                remote.fetch(theirs)
                here = self.git.has_object(theirs)
        history = self.source_remote or self.remote
        if self.source.shallow and not self._unshallowed and history is not None:
            # ancestry answers from a shallow clone are wrong: fetch the whole history once
            history.unshallow(ours)
            self._unshallowed = True
            here = self.git.has_object(theirs)
        if not here:
            # not in our complete history, and not on the remote: not an ancestor
            return "diverged"
        if self.git.is_ancestor(theirs, ours):
            return "newer"
        if self.git.is_ancestor(ours, theirs):
            return "older"
        return "diverged"

    def changes(self, state: BranchState, tree: BuiltTree) -> Changes:
        old = self._known(state.head.tree)[0] if state.head else {}
        return changes_between(old, tree.ids)

    def _commit(self, state: BranchState, proposal: Proposal) -> str:
        known = set(self.written)
        whole = True
        if state.head is not None:
            listing, whole = self._known(state.head.tree)
            known.update(listing.values())
        write_missing(self.git, proposal.tree, known, ask=not whole)
        self.written.update(proposal.tree.ids.values())
        self.written.add(proposal.tree.oid)
        parents = ["-p", state.head.sha] if state.head else []
        made = self.git.run("commit-tree", proposal.tree.oid, *parents, "-F", "-",
                            input=proposal.message.encode(), env=self.identity.env())
        return made.stdout.decode().strip()

    def _checked_out(self, branch: str) -> str | None:
        where = self.git.out("for-each-ref", "--format=%(worktreepath)", f"refs/heads/{branch}")
        return where or None

    def _move_local(self, branch: str, new: str, expected: str | None) -> bool:
        """Point the local branch at `new`; with --no-push only if it still is at `expected`."""
        where = self._checked_out(branch)
        if where:
            if self.remote is None:
                raise UserError(f"{branch} is checked out in {where}: publishing would change files under "
                                "your feet; check out another branch first")
            self.note(f"the local branch {branch} is checked out in {where} and was left as it is")
            return True
        args = ["update-ref", "-m", "i4qew", f"refs/heads/{branch}", new]
        if self.remote is None:
            current = self.git.run("rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
            local = current.stdout.decode().strip() or None
            if local is not None and local != expected:
                return False
            args.append(local or "0" * len(new))
        moved = self.git.run(*args, check=False)
        if moved.returncode == 0:
            return True
        stderr = self.git.redact(moved.stderr.decode("utf-8", "replace"))
        if self.remote is not None:
            # e.g. a stale refs/heads/<branch>.lock left by a killed git: the local
            # branch is a convenience, the remote's is the one that counts
            self.note(f"the local branch {branch} could not be moved ({headline(stderr)}); pushing anyway")
            return True
        if "but expected" in stderr:  # it moved since we read it: try again
            return False
        raise GitFailed("update-ref", moved.returncode, stderr)

    def land(self, branch: str, decide: Decide, verb: str = "published", first: BranchState | None = None) -> Outcome:
        """`first`: the branch's state as this landing just read it (the first attempt's)."""
        for attempt in range(1, self.attempts + 1):
            state = first if attempt == 1 and first is not None and first.branch == branch else self.state(branch)
            decision = decide(state)
            if isinstance(decision, Outcome):
                return decision
            if self.dry_run:
                return Outcome("dry-run", branch, None, (f"dry run: would commit onto {branch}:", "",
                                                         *quoted(decision.message)))
            sha = self._commit(state, decision)
            base = state.head.sha if state.head else None
            if not self._move_local(branch, sha, base):
                self._pause(attempt)
                continue
            if self.remote is None:
                for ref, oid in decision.refs:
                    self.git.run("update-ref", "-m", "i4qew", f"refs/heads/{ref}", oid)
                return Outcome("committed", branch, sha, (
                    f"committed {branch} {sha[:12]} locally ({decision.changes.summary()}); not pushed",))
            if self.before_push:
                self.before_push(attempt, sha)
            if self.remote.push(sha, branch, built_on=base, also=decision.refs) is Pushed.OK:
                return Outcome(verb, branch, sha, (
                    f"{verb} {branch} {sha[:12]} to {self.remote.display} ({decision.changes.summary()})",))
            if attempt < self.attempts:
                self.note(f"{branch} moved on {self.remote.display} during attempt {attempt}; retrying")
                self._pause(attempt)
        where = self.remote.display if self.remote else "the local repository"
        raise RetriesExhausted(
            f"{branch} kept moving on {where}: gave up after {self.attempts} attempts; run it again")

    def propose(self, branch: str, decide: Decide, proposal_branch: str) -> tuple[Outcome, Proposal | None]:
        """The commit `land` would make on `branch`, pushed to `proposal_branch` instead
        (a merge request's source). Re-running for the same proposal reuses its commit."""
        if self.remote is None:
            raise UserError("a merge request needs a remote to push the proposal branch to")
        state = self.state(branch)
        decision = decide(state)
        if isinstance(decision, Outcome):
            return decision, None
        if self.dry_run:
            return Outcome("dry-run", proposal_branch, None, (
                f"dry run: would push {proposal_branch} and propose it for {branch}:", "",
                *quoted(decision.message))), decision
        existing = self.remote.head(proposal_branch)
        if existing is not None and self.remote.fetch(existing):
            info = self.git.out("show", "-s", "--format=%T %P", existing).split()
            if info[:1] == [decision.tree.oid] and info[1:] == ([state.head.sha] if state.head else []):
                return Outcome("proposed", proposal_branch, existing, (
                    f"{proposal_branch} already proposes this commit ({existing[:12]})",)), decision
        sha = self._commit(state, decision)
        # the proposal branch is i4qew's own and throwaway: replaced only if it is
        # still where we saw it; environment branches are never replaced. Wave branches
        # go with it: they pin commits the environment branch already holds.
        if self.remote.push(sha, proposal_branch, built_on=existing, replace=True,
                            also=decision.refs) is not Pushed.OK:
            raise RetriesExhausted(f"{proposal_branch} changed on {self.remote.display} while we replaced it; "
                                   "run it again")
        return Outcome("proposed", proposal_branch, sha, (
            f"pushed {proposal_branch} {sha[:12]} to {self.remote.display} ({decision.changes.summary()})",)), decision

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
