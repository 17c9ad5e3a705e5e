"""The persistent cache: values keyed by the content they were computed from, kept on disk
between runs, so that a run after a small change (or none) reuses what the change does
not touch (docs/caching.md).

Where: `$I4QEW_CACHE_DIR`, else `$XDG_CACHE_HOME/i4qew`, else `~/.cache/i4qew`;
`I4QEW_CACHE_DIR=` (set and empty) turns it off. A folder that cannot be made or
written turns it off too: the cache never breaks a run.

Never stale, never a wrong answer:
- every key is a hash of the bytes the value was computed from; entries live in a
  folder named by a hash of i4qew's version, its code (every module's bytes) and
  Python's version, so another build never reads them;
- each file is written to a temporary name and renamed into place (two processes
  writing the same entry: the last rename wins, both whole);
- each file carries a digest of its payload; a file that is short, corrupt or from
  another format is ignored (and recomputed by the caller), never an error;
- values are unpickled only into the classes their reader names (no other global:
  a planted file cannot run code);
- the folder is bounded: the oldest entries go when it holds more than MAX_BYTES.

This module is the bottom layer's: the loaders (load/, placement/) use it as a side
effect at their edge; what they return is the same with it or without it.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import itertools
import os
import pickle
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from i4qew import __version__, memo

ENV = "I4QEW_CACHE_DIR"
MAGIC = b"i4qew-cache 2\n"
_DIGEST = 16
# Everything the cache may hold, over every build's folder: past it the least recently
# used entries (by mtime, which a hit refreshes) are removed, down to KEEP_BYTES (so that a
# full cache is not walked again at the next write).
MAX_BYTES = 1024 * 1024 * 1024
KEEP_BYTES = MAX_BYTES // 8 * 7
_PACKAGE = Path(__file__).resolve().parent


def digest(data: bytes) -> str:
    """The key of some bytes (SHA-256, which CPUs with SHA extensions hash ~3x faster than
    BLAKE2b: every declaration file's bytes are hashed on every run; 160 bits of it)."""
    return hashlib.sha256(data).hexdigest()[:40]


def _check(payload: bytes | memoryview) -> bytes:
    """The digest a file carries of its payload."""
    return hashlib.sha256(payload).digest()[:_DIGEST]


def _location() -> Path | None:
    value = os.environ.get(ENV)
    if value is not None:
        return Path(value).expanduser().absolute() if value.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "i4qew"


def build_key() -> str:
    """This build of i4qew: version, Python, and the bytes of every module (an edited source
    tree is another build; two installs of one wheel, whose files differ only in mtime, as
    two CI jobs' venvs do, are the same build). About 200 files: ~10 ms."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0".encode())
    for dirpath, dirnames, filenames in os.walk(_PACKAGE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".json")):
                path = os.path.join(dirpath, name)
                with open(path, "rb") as fh:
                    data = fh.read()
                h.update(f"{os.path.relpath(path, _PACKAGE)}\0{len(data)}\0".encode())
                h.update(data)
    return h.hexdigest()


class _Restricted(pickle.Unpickler):
    def __init__(self, data: bytes, allowed: dict[tuple[str, str], Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return self._member  # how Python 3.11.2 pickles an Enum member: getattr(cls, name)
        found = self._allowed.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a class this entry may hold")
        return found

    def _member(self, cls: Any, name: Any) -> Any:
        """A member of an allowed Enum by its name, and nothing else getattr could reach."""
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum) and cls in self._allowed.values()
                and isinstance(name, str) and name in cls.__members__):
            raise pickle.UnpicklingError("only a member of an allowed Enum may be looked up")
        return cls.__members__[name]


def allow(classes: Iterable[type]) -> dict[tuple[str, str], Any]:
    return {(c.__module__, c.__qualname__): c for c in classes}


def loads(data: bytes, allowed: dict[tuple[str, str], Any]) -> Any:
    """Unpickle `data` into the allowed classes only; raises on anything else."""
    return _Restricted(data, allowed).load()


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class Store:
    """One build's folder of the cache; `folder` None: the cache is off (get misses, put
    does nothing)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.folder = None if root is None else root / build_key()
        # What this process may still write before the folder is over MAX_BYTES, as of the
        # last walk over it (None: not walked yet). Writes count down; the folder is walked
        # (and pruned) again only when they would pass it: once per process, not per write.
        self._room: int | None = None
        self._made: set[str] = set()  # the kinds whose folder this process made (or found)

    @property
    def on(self) -> bool:
        return self.folder is not None

    def _path(self, kind: str, key: str) -> Path | None:
        if self.folder is None or not key.isalnum() or not kind.isalnum():
            return None
        return self.folder / kind / f"{key}.bin"

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is stored under `key` (whole and readable or not: `get` says)."""
        path = self._path(kind, key)
        return path is not None and path.is_file()

    def get(self, kind: str, key: str, allowed: dict[tuple[str, str], Any]) -> Any | None:
        """The value stored under `key`, or None (absent, unreadable, corrupt, foreign)."""
        data = self.read(kind, key)
        if data is None:
            return None
        try:
            return loads(data, allowed)
        except Exception:  # a bad entry is a miss, whatever it raises
            return None

    def read(self, kind: str, key: str) -> bytes | None:
        """The payload stored under `key` whose digest checks, or None."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head = len(MAGIC) + _DIGEST
        if len(data) < head or not data.startswith(MAGIC):
            return None
        payload = memoryview(data)[head:]
        if _check(payload) != data[len(MAGIC):head]:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the pruning keeps it
        return bytes(payload)

    def put(self, kind: str, key: str, value: Any) -> None:
        try:
            self.write(kind, key, dumps(value))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return

    def write(self, kind: str, key: str, payload: bytes) -> None:
        """Store `payload` under `key`: whole or not at all; errors are ignored."""
        path = self._path(kind, key)
        if path is None:
            return
        folder = os.fspath(path.parent)
        tmp = None
        try:
            if kind not in self._made:
                os.makedirs(folder, exist_ok=True)
                self._made.add(kind)
            # os-level, not tempfile + a buffered file: a run filling the cache writes ~800 entries
            tmp = f"{folder}/.tmp-{os.getpid()}-{next(_serial)}-{os.urandom(4).hex()}"
            try:
                fd = os.open(tmp, _CREATE, 0o600)
            except FileNotFoundError:  # the folder went (the cache deleted while running): once more
                os.makedirs(folder, exist_ok=True)
                fd = os.open(tmp, _CREATE, 0o600)
            try:
                _write_all(fd, MAGIC + _check(payload))
                _write_all(fd, payload)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            tmp = None
            self._wrote(len(MAGIC) + _DIGEST + len(payload))
        except OSError:
            return
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _wrote(self, size: int) -> None:
        """Count `size` new bytes; walk and prune the folder when they pass what it may hold."""
        if self.root is None:
            return
        if self._room is None or size > self._room:
            self._room = MAX_BYTES - prune(self.root, MAX_BYTES, KEEP_BYTES)
        else:
            self._room -= size


_serial = itertools.count()
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Packs:
    """Entries (bytes) of one kind by hex key, kept in SHARDS packs chosen by the key's
    first two hex digits: a run opens only the packs its keys fall in (a small repository
    does not read what a large one left) and rewrites only the packs it added to, each
    keeping what this process used first, then older entries, up to `limit` in all."""

    SHARDS = 256

    def __init__(self, where: Store, kind: str, limit: int) -> None:
        self.store, self.kind, self.per_pack = where, kind, max(1, limit // self.SHARDS)
        self.held: dict[str, dict[str, bytes]] = {}
        self.used: dict[str, dict[str, bytes]] = {}
        self.added: set[str] = set()

    @staticmethod
    def pack(key: str) -> str:
        """The pack a key falls in."""
        return f"pack{key[:2]}"

    def _held(self, name: str) -> dict[str, bytes]:
        got = self.held.get(name)
        if got is None:
            got = {}
            found = self.store.get(self.kind, name, _NOTHING)
            if isinstance(found, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in found.items()):
                got = found
            self.held[name] = got
        return got

    def get(self, key: str) -> bytes | None:
        """The entry under `key` (this process's or a pack's), or None."""
        name = self.pack(key)
        return self.used.get(name, {}).get(key) or self._held(name).get(key)

    def use(self, key: str, entry: bytes, *, new: bool = False) -> None:
        """Keep `entry` in its pack (a hit that answered, or a `new` one to write)."""
        name = self.pack(key)
        self.used.setdefault(name, {})[key] = entry
        if new:
            self.added.add(name)

    def save(self) -> None:
        for name in sorted(self.added):
            merged = dict(self.used[name])
            for key, entry in self._held(name).items():
                if len(merged) >= self.per_pack:
                    break
                merged.setdefault(key, entry)
            self.store.put(self.kind, name, merged)
            self.held[name] = merged
        self.added.clear()


_NOTHING: dict[tuple[str, str], Any] = {}


def prune(root: Path, limit: int, keep: int | None = None) -> int:
    """When the cache holds more than `limit` bytes, remove the least recently used
    entries (and stale temporary files) until it holds at most `keep` (default `limit`).
    The bytes it holds then."""
    entries: list[tuple[float, int, Path]] = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return total
    bound = limit if keep is None else min(keep, limit)
    for _, size, path in sorted(entries):
        if total <= bound:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            pass
    return total


def _open() -> Store:
    root = _location()
    if root is None:
        return Store(None)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            return Store(None)
    except OSError:
        return Store(None)
    return Store(root)


_active: dict[str, Store] = memo.held("store.active", {})


def active() -> Store:
    """The cache of this process, as the environment configures it (read once)."""
    got = _active.get("store")
    if got is None:
        got = _active["store"] = _open()
    return got
