"""Parsed declaration files kept between runs (i4qew/store.py), keyed by their text.

One pack holds every file's documents and issues (`yamlio.parse`'s result less its path
and text), each pickled on its own: reading one file of 11,000 small entries is much
faster than opening 11,000 files, and each hit is unpickled afresh (no two documents
share a mutable value). The path is not part of an entry: the same text at two paths
(or in another revision's checkout) reports each its own path. A file that does not
parse is not kept: its problem is computed again.

The pack is written only when this process parsed something it did not hold; it keeps
what this process used first, then older entries up to MAX_ENTRIES.
"""

from __future__ import annotations

from typing import Any

from i4qew import memo, store
from i4qew.load.yamlio import Issue, Parsed, parse
from i4qew.problems import Problem

KIND = "documents"
PACK = "pack"
MAX_ENTRIES = 60_000
_NO_CLASSES = store.allow(())


class ParsedCache:
    def __init__(self, where: store.Store) -> None:
        self.store = where
        self.held: dict[str, bytes] | None = None
        self.used: dict[str, bytes] = {}
        self.added = 0

    def _pack(self) -> dict[str, bytes]:
        if self.held is None:
            self.held = {}
            got = self.store.get(KIND, PACK, _NO_CLASSES) if self.store.on else None
            if isinstance(got, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in got.items()):
                self.held = got
        return self.held

    def parse(self, path: str, text: str) -> Parsed | Problem:
        if not self.store.on:
            return parse(path, text)
        key = store.digest(text.encode("utf-8", "surrogatepass"))
        entry = self.used.get(key) or self._pack().get(key)
        if entry is not None:
            hit = _entry(entry)
            if hit is not None:
                self.used[key] = entry
                return Parsed(path, text, hit[0], hit[1])
        parsed = parse(path, text)
        if isinstance(parsed, Parsed):
            try:
                self.used[key] = store.dumps((parsed.docs, parsed.issues))
                self.added += 1
            except Exception:  # a value pickle refuses is simply not kept
                pass
        return parsed

    def save(self) -> None:
        if not self.added:
            return
        merged = dict(self.used)
        for key, entry in self._pack().items():
            if len(merged) >= MAX_ENTRIES:
                break
            merged.setdefault(key, entry)
        self.store.put(KIND, PACK, merged)
        self.held = merged
        self.added = 0


def _entry(data: bytes) -> tuple[list[Any], list[list[Issue]]] | None:
    try:
        got = store.loads(data, _NO_CLASSES)
    except Exception:  # a bad entry is a miss
        return None
    if (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], list) and isinstance(got[1], list)
            and len(got[0]) == len(got[1])):
        return got[0], got[1]
    return None


_caches: dict[int, ParsedCache] = memo.held("load.parsed_cache.pack", {})


def parsed_cache() -> ParsedCache:
    """This process's pack (one per cache folder): `plan --base` reads two revisions
    through the same one."""
    where = store.active()
    got = _caches.get(id(where))
    if got is None or got.store is not where:
        got = _caches[id(where)] = ParsedCache(where)
    return got
