"""What i4qew writes into its commits, and how it recognises them again.

An i4qew commit is *genuine* when it carries `Source-Commit` and an
`I4qew-Tree` trailer equal to its own tree: the tree is what i4qew rendered,
by construction. A hand-made commit has no such trailer, and an amended or
cherry-picked one no longer matches its tree — both are drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SOURCE_COMMIT = "Source-Commit"
PROMOTED_FROM = "Promoted-From"
VERSION = "I4qew-Version"
ENVIRONMENT = "I4qew-Environment"
INPUTS = "I4qew-Inputs"  # fingerprint of everything the render read
INPUT_PATH = "I4qew-Input"  # an input outside the declaration folders (a config file)
TREE = "I4qew-Tree"
# One per wave a commit moves: "<wave> <from> -> <to>", a commit or `head` (the branch head).
WAVE = "I4qew-Wave"
ROLLOUT = "I4qew-Rollout"  # what `i4qew rollout` did: advance | rollback | pause | resume
MAX_LISTED = 40  # names per line of the "what changed" body


@dataclass(frozen=True)
class BranchCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: str
    subject: str
    trailers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def trailer(self, key: str) -> str | None:
        values = self.trailers.get(key.lower())
        return values[-1] if values else None

    @property
    def genuine(self) -> bool:
        return bool(self.trailer(SOURCE_COMMIT)) and self.trailer(TREE) == self.tree

    @property
    def source(self) -> str | None:
        return self.trailer(SOURCE_COMMIT)

    def describe(self) -> str:
        return f'{self.sha[:12]} "{self.subject}" by {self.author}'


def parse_trailers(block: str) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for entry in block.split("\x1e"):
        key, sep, value = entry.strip().partition(":")
        if sep and key:
            found.setdefault(key.strip().lower(), []).append(value.strip())
    return {k: tuple(v) for k, v in found.items()}


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # top-level entries besides charts/ (hub/, README.md, ...)

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in (("added", self.added), ("updated", self.updated),
                                               ("removed", self.removed)) if v]
        return "workloads " + ", ".join(parts) if parts else "no workload changed"

    def body(self) -> str:
        lines = []
        for label, names in (("Added", self.added), ("Updated", self.updated), ("Removed", self.removed),
                             ("Also changed", self.other)):
            if names:
                shown = ", ".join(names[:MAX_LISTED])
                more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
                lines.append(f"{label} ({len(names)}): {shown}{more}")
        return "\n".join(lines) or "No workload changed."


def changes_between(old: Mapping[str, str], new: Mapping[str, str]) -> Changes:
    """Workloads added/updated/removed, from the ids of the charts/<workload> folders,
    and the other top-level entries that changed; `old`/`new` map path -> oid."""
    def charts(ids: Mapping[str, str]) -> dict[str, str]:
        return {p[len("charts/"):]: oid for p, oid in ids.items()
                if p.startswith("charts/") and p.count("/") == 1}

    def top(ids: Mapping[str, str]) -> dict[str, str]:
        return {p: oid for p, oid in ids.items() if "/" not in p and p != "charts"}

    a, b = charts(old), charts(new)
    ta, tb = top(old), top(new)
    folders = {p.split("/")[0] for p in (*old, *new) if "/" in p}
    other = sorted(p + ("/" if p in folders else "") for p in set(ta) | set(tb) if ta.get(p) != tb.get(p))
    return Changes(
        added=tuple(sorted(set(b) - set(a))),
        updated=tuple(sorted(w for w in set(a) & set(b) if a[w] != b[w])),
        removed=tuple(sorted(set(a) - set(b))),
        other=tuple(other),
    )


def compose(subject: str, body: Sequence[str], trailers: Sequence[tuple[str, str]]) -> str:
    paragraphs = [subject, *[b for b in body if b], "\n".join(f"{k}: {v}" for k, v in trailers)]
    return "\n\n".join(paragraphs) + "\n"
