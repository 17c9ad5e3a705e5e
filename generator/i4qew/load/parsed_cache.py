"""Parsed declaration files kept between runs (i4qew/store.py), keyed by their bytes.

Each file's documents and issues (`yamlio.parse`'s result less its path and text) are
pickled on their own and kept in `store.Packs` (256 packs by the key's first hex digits):
a run opens only the packs its files' keys fall in (a 4-file repository reads at most 4
small packs, not the entries of every repository the cache has seen), and a one-file
change rewrites one pack. Reading a few hundred packs of small entries is much
faster than opening 11,000 files; each hit is unpickled afresh (no two documents share
a mutable value). The path is not part of an entry: the same text at two paths (or in
another revision's checkout) reports each its own path. A file that does not parse is
not kept: its problem is computed again. Bytes that were parsed were found good text
before (UTF-8, no control character: load/files.py check_text): a hit is only decoded.

A pack is written only when this process parsed something it did not hold; it keeps
what this process used first, then older entries, up to MAX_ENTRIES in all.
"""

from __future__ import annotations

import contextlib
from typing import Any

from i4qew import memo, store
from i4qew.load.yamlio import Issue, Parsed, parse
from i4qew.problems import Problem

KIND = "documents"
MAX_ENTRIES = 60_000
_NO_CLASSES = store.allow(())


class ParsedCache:
    def __init__(self, where: store.Store) -> None:
        self.store = where
        self.packs = store.Packs(where, KIND, MAX_ENTRIES)
        self._last: tuple[bytes, str] | None = None  # the bytes last keyed (kept alive) and their key

    def key(self, data: bytes) -> str:
        """The key of a file's bytes. The loader asks up to three times for one file it parses
        (lookup, parse, its SourceFile): hashed once (the bytes object is kept, so `is` is safe)."""
        last = self._last
        if last is not None and last[0] is data:
            return last[1]
        key = store.digest(data)
        self._last = (data, key)
        return key

    def lookup(self, data: bytes) -> tuple[str, list[Any], list[list[Issue]]] | None:
        """The key, documents and issues of a file whose bytes were parsed before, or None."""
        if not self.store.on:
            return None
        key = self.key(data)
        entry = self.packs.get(key)
        hit = _entry(entry) if entry is not None else None
        if entry is None or hit is None:
            return None
        self.packs.use(key, entry)
        return key, hit[0], hit[1]

    def held(self, key: str) -> tuple[list[Any], list[list[Issue]]] | None:
        """The documents and issues kept under `key` (a key of bytes this cache parsed
        before: another revision of a file), or None; unpickled afresh, not marked used."""
        entry = self.packs.get(key) if self.store.on else None
        return _entry(entry) if entry is not None else None

    def parse(self, path: str, text: str, data: bytes) -> Parsed | Problem:
        """`text` (decoded from `data`) parsed, and kept under the key of `data` when it parses."""
        parsed = parse(path, text)
        if self.store.on and isinstance(parsed, Parsed):
            with contextlib.suppress(Exception):  # a value pickle refuses is simply not kept
                self.packs.use(self.key(data), store.dumps((parsed.docs, parsed.issues)), new=True)
        return parsed

    def save(self) -> None:
        self.packs.save()


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
    """This process's packs (one set per cache folder): `plan --base` reads two revisions
    through the same one."""
    where = store.active()
    got = _caches.get(id(where))
    if got is None or got.store is not where:
        got = _caches[id(where)] = ParsedCache(where)
    return got
