"""store.py: the persistent cache answers with what was stored or with nothing: a file that
is short, corrupt, from another format or naming another class is a miss, never an error,
and never runs code."""

from __future__ import annotations

import os
import pickle
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from i4qew import memo, store
from i4qew.problems import Problem, Severity


def _entry(s: store.Store, kind: str, key: str) -> Path:
    assert s.folder is not None
    return s.folder / kind / f"{key}.bin"


def test_a_value_comes_back_as_stored(tmp_path: Path) -> None:
    s = store.Store(tmp_path)
    value = [Problem("a.yaml", 1, 2, Severity.ERROR, "r", "m"), Fraction(3, 7), {"k": (1, None)}]
    s.put("inventory", "abc123", value)
    assert s.get("inventory", "abc123", store.allow((Problem, Severity, Fraction))) == value
    assert s.get("inventory", "other", store.allow(())) is None


def test_only_the_named_classes_are_unpickled(tmp_path: Path) -> None:
    s = store.Store(tmp_path)
    s.put("inventory", "k1", Fraction(1, 2))
    assert s.get("inventory", "k1", store.allow(())) is None  # Fraction not allowed here


class _Plant:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


class _Reach:
    """getattr(Problem, '__init__'): a first step from an allowed class towards its module."""

    def __reduce__(self) -> tuple[object, tuple[type, str]]:
        return (getattr, (Problem, "__init__"))


def test_getattr_reaches_enum_members_only(tmp_path: Path) -> None:
    s = store.Store(tmp_path)
    enum_by_getattr = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x07getattr\x93" \
        b"\x8c\x0ei4qew.problems\x8c\x08Severity\x93\x8c\x05ERROR\x86R."  # as Python 3.11.2 pickles it
    assert pickle.loads(enum_by_getattr) is Severity.ERROR
    assert store.loads(enum_by_getattr, store.allow((Severity,))) is Severity.ERROR
    with pytest.raises(pickle.UnpicklingError):
        store.loads(enum_by_getattr, store.allow(()))
    s.write("inventory", "k", pickle.dumps(_Reach()))
    assert s.get("inventory", "k", store.allow((Problem, Severity))) is None


def test_a_planted_entry_runs_no_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = store.Store(tmp_path / "cache")
    s.write("documents", "pack", pickle.dumps(_Plant()))  # a well-formed file holding a call of os.system
    assert s.get("documents", "pack", store.allow(())) is None
    assert not (tmp_path / "planted").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "empty", "directory"])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    s = store.Store(tmp_path)
    s.put("documents", "pack", {"x": b"y" * 1000})
    path = _entry(s, "documents", "pack")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    elif damage == "magic":
        path.write_bytes(b"i4qew-cache 0\n" + data[len(store.MAGIC):])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
        path.mkdir()
    assert s.get("documents", "pack", store.allow(())) is None
    if damage != "directory":
        s.put("documents", "pack", {"x": b"z"})  # recomputed and stored again
        assert s.get("documents", "pack", store.allow(())) == {"x": b"z"}


def test_another_build_reads_nothing_of_this_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = store.Store(tmp_path)
    s.put("inventory", "k", 1)
    monkeypatch.setattr(store, "__version__", "0.0.0-other")
    other = store.Store(tmp_path)
    assert other.folder != s.folder
    assert other.get("inventory", "k", store.allow(())) is None


def test_off_stores_nothing(tmp_path: Path) -> None:
    s = store.Store(None)
    assert not s.on
    s.put("inventory", "k", 1)
    assert s.get("inventory", "k", store.allow(())) is None


def test_keys_and_kinds_cannot_name_a_path_outside(tmp_path: Path) -> None:
    s = store.Store(tmp_path / "cache")
    s.put("inventory", "../../escape", 1)
    s.put("../x", "k", 1)
    assert not (tmp_path / "escape.bin").exists() and not list(tmp_path.rglob("*.bin"))


def test_prune_keeps_the_most_recently_used_within_the_bound(tmp_path: Path) -> None:
    s = store.Store(tmp_path)
    for i in range(5):
        s.write("inventory", f"k{i}", bytes(1000))
        os.utime(_entry(s, "inventory", f"k{i}"), (1000 + i, 1000 + i))
    s.read("inventory", "k0")  # a hit: used now
    store.prune(tmp_path, 3 * 1100)
    kept = sorted(p.stem for p in (tmp_path).rglob("*.bin"))
    assert kept == ["k0", "k3", "k4"]


def test_the_folder_deleted_while_running_is_made_again(tmp_path: Path) -> None:
    """docs/caching.md: deleting the folder at any time is safe; the process writes on."""
    s = store.Store(tmp_path / "cache")
    s.put("inventory", "k1", 1)
    shutil.rmtree(tmp_path / "cache")
    s.put("inventory", "k2", 2)
    assert s.get("inventory", "k2", store.allow(())) == 2 and s.get("inventory", "k1", store.allow(())) is None
    assert not [p for p in (tmp_path / "cache").rglob(".tmp-*")]


def _held(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_writes_stay_within_the_bound_walking_the_folder_once_per_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that writes many entries walks the cache folder once (805 walks made a 5x
    `validate` filling an empty cache ~2.5x slower), and again only when its own writes
    would pass the bound: the folder never holds more than MAX_BYTES after a write."""
    entry = len(store.MAGIC) + 16 + 1000
    monkeypatch.setattr(store, "MAX_BYTES", 10 * entry)
    monkeypatch.setattr(store, "KEEP_BYTES", 6 * entry)
    walks: list[int] = []
    real = store.prune

    def counted(root: Path, limit: int, keep: int | None = None) -> int:
        walks.append(limit)
        return real(root, limit, keep)

    monkeypatch.setattr(store, "prune", counted)
    s = store.Store(tmp_path)
    for i in range(8):
        s.write("inventory", f"a{i}", bytes(1000))
        os.utime(_entry(s, "inventory", f"a{i}"), (1000 + i, 1000 + i))  # in the order written
        assert _held(tmp_path) <= 10 * entry
    assert len(walks) == 1  # 8 entries fit: walked at the first write only
    for i in range(30):
        s.write("inventory", f"b{i}", bytes(1000))
        if (at := _entry(s, "inventory", f"b{i}")).exists():
            os.utime(at, (2000 + i, 2000 + i))
        assert _held(tmp_path) <= 10 * entry
    # past the bound it prunes down to KEEP_BYTES, so the next walk is 4 writes later, not at each one
    assert 1 < len(walks) <= 1 + 30 // 4 + 1
    kept = {p.stem for p in tmp_path.rglob("*.bin")}
    assert "b29" in kept and "a0" not in kept  # the newest stay, the oldest went
    other = store.Store(tmp_path)  # another process walks again at its first write
    other.write("inventory", "c0", bytes(1000))
    assert _held(tmp_path) <= 10 * entry


@pytest.mark.parametrize(("value", "expected"), [
    (None, "xdg/i4qew"), ("", None), ("  ", None), ("own", "own"),
])
def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None,
                               expected: str | None) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if value is None:
        monkeypatch.delenv(store.ENV, raising=False)
    else:
        monkeypatch.setenv(store.ENV, value)
    memo.clear()
    try:
        got = store.active()
        assert got.root == (None if expected is None else tmp_path / expected)
        assert got.on == (expected is not None)
    finally:
        memo.clear()


def test_a_folder_that_cannot_be_made_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv(store.ENV, str(tmp_path / "file" / "cache"))
    memo.clear()
    try:
        assert not store.active().on
    finally:
        memo.clear()
