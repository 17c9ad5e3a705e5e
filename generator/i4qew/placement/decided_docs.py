"""Where each workload document's decisions are in the decided cache (decided_cache.py),
kept between runs: a warm run finds an unchanged workload's decisions on every hub
without making its effective placement or writing out its entry's key.

A workload's effective placement in an environment is a function of its own document
and of what every workload shares: i4qew.yaml (environments, defaults, labels, hubs and
their cluster sets) and the policies and models; not of the inventories. So a pack per
environment, number of hub groups and those shared declarations (each by path, position
and its file's bytes key: doc_keys.shared_declarations) maps each workload document
(path, position, its file's bytes key) to the key of its entry in the decided cache per
hub group, or to None where it has no effective placement (a reference that does not
resolve). The decided cache, keyed by the fleet, says what that entry decides; an entry
it does not hold (another fleet, or one it let go) is decided as without this pack. The
pack is written when this run's documents are not the ones it held: it then holds this
run's only.
"""

from __future__ import annotations

from i4qew import store
from i4qew.model.repo import Repo, Workload
from i4qew.placement.doc_keys import Files, Ident, ident, shared_declarations

KIND = "decideddocs"
_NO_CLASSES = store.allow(())
_VERSION = "decideddocs 1"
Where = tuple[str | None, ...]  # per hub group: the decided entry's key, or None (no effective placement)


class DecidedDocs:
    """One pack: `get` a workload's entries per group, `put` them, `save` once."""

    def __init__(self, env: str, repo: Repo, groups: int) -> None:
        self.where = store.active()
        self.groups = groups
        self._files: Files = {}
        shared = repr((_VERSION, env, groups, shared_declarations(repo, self._files)))
        self.key = store.digest(shared.encode("utf-8", "surrogatepass"))
        got = self.where.get(KIND, self.key, _NO_CLASSES)
        self.held: dict[Ident, Where] = got if isinstance(got, dict) else {}
        self.now: dict[Ident, list[str | None]] = {}  # what this run found that the pack did not say
        self.hits: list[tuple[Ident, int]] = []  # what it took from the pack
        self._last: tuple[Workload, Ident] | None = None

    def _ident(self, w: Workload) -> Ident:
        last = self._last
        if last is None or last[0] is not w:
            last = self._last = (w, ident(w.doc, self._files))
        return last[1]

    def get(self, w: Workload, group: int) -> str | bool | None:
        """The decided entry's key of `w` in `group`; None: it has no effective placement;
        False: not known. A caller that uses the answer says so (`hit`), else it `put`s one."""
        held = self.held.get(self._ident(w))
        if not (isinstance(held, tuple) and len(held) == self.groups):
            return False
        entry = held[group]
        return entry if entry is None or isinstance(entry, str) else False

    def hit(self, w: Workload, group: int) -> None:
        """`get`'s answer for `w` in `group` was used."""
        self.hits.append((self._ident(w), group))

    def put(self, w: Workload, group: int, entry: str | None) -> None:
        i = self._ident(w)
        got = self.now.get(i)
        if got is None:
            got = self.now[i] = [""] * self.groups
        got[group] = entry

    def save(self) -> None:
        """Keep this run's documents, when they are not what the pack held (a document seen
        in some groups only is left out)."""
        if not self.where.on or (not self.now and len(self.hits) == len(self.held) * self.groups):
            return
        now: dict[Ident, list[str | None]] = {}
        for i, group in self.hits:
            got = now.get(i)
            if got is None:
                got = now[i] = [""] * self.groups
            got[group] = self.held[i][group]
        for i, entries in self.now.items():
            got = now.setdefault(i, [""] * self.groups)
            for group, entry in enumerate(entries):
                if entry != "":
                    got[group] = entry
        kept = {i: tuple(v) for i, v in now.items() if "" not in v}
        if kept != self.held:
            self.where.put(KIND, self.key, kept)
            self.held = kept
        self.now, self.hits = {}, []
