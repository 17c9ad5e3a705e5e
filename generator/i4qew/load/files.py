"""Find the repository's YAML files and refuse the ones that are unsafe to read.

Guards run before a byte is parsed: a file that is too large, a symlink or a
path that resolves outside the repository, or bytes that are not UTF-8 text
become problems; the run goes on with the other files.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from i4qew.problems import Problem, error

DECLARATION_DIRS = ("workloads", "policies", "models")
INVENTORY_DIR = "clusters"
REPOSITORY_FILE = "i4qew.yaml"
# The repository's yamllint config (load/style.py), at its root.
CONFIG_NAMES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")
# Declarations are hand-written: 16 MiB is far above any real repo and far below a DoS.
MAX_DECLARATION_BYTES = 16 * 1024 * 1024
# `kubectl get managedclusters -o yaml` for 10,000 clusters is ~5 MB.
MAX_INVENTORY_BYTES = 64 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
# Files a workload mounts (spec.config.files) live in `files/` folders, which
# are not declarations even when they are YAML.
DATA_FOLDER = "files"


# YAML 1.2 allows only printable characters (c-printable): tab, LF and CR are
# the only C0 controls; DEL and the C1 block (but NEL) are out too.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
# The ASCII ones as bytes: in ASCII bytes (nearly every file) deleting them and comparing
# lengths finds "none" in C, some 5x faster than the search over the text.
_CONTROL_ASCII = bytes([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


# Characters a file or folder name must not carry into a problem line or a generated
# file: line breaks would forge report lines (and comment lines of values.yaml), bidi
# controls reorder what a reviewer reads, and a lone surrogate is a byte that is not
# UTF-8 (how Python hands over such a name).
_UNSAFE_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def _escape(m: re.Match[str]) -> str:
    o = ord(m.group())
    return f"\\x{o - 0xDC00:02x}" if 0xDC80 <= o <= 0xDCFF else f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def has_unsafe_char(name: str) -> bool:
    return _UNSAFE_NAME.search(name) is not None


def printable(path: str) -> str:
    """`path` with every character that is unsafe in a one-line report escaped."""
    return _UNSAFE_NAME.sub(_escape, path)


def _unsafe(rel: str, what: str) -> Problem:
    return error(printable(rel), 1, 1, "unsafe-path",
                 f"the {what} name is not UTF-8 or holds a control, line-break or bidi character; rename it")


@dataclass(frozen=True, slots=True)
class SourceText:
    """A file's text, with the repo-relative POSIX path used in every message."""

    path: str
    text: str


def inside(root: Path, candidate: Path) -> bool:
    """True when `candidate`, with every symlink resolved, stays under `root`."""
    try:
        candidate.resolve(strict=False).relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def discover(
    root: Path,
    dirs: tuple[str, ...],
    *,
    suffixes: tuple[str, ...] = YAML_SUFFIXES,
    what: str = "declarations",
    skip: str | None = DATA_FOLDER,
) -> tuple[list[Path], list[Problem]]:
    """Files ending in `suffixes` under `dirs` (sorted, recursive), `skip` folders
    left out; symlinks are refused, not followed. `what` names the files in messages."""
    found, problems = discover_files(root, dirs, suffixes=suffixes, what=what, skip=skip)
    return [root / rel for rel, _ in found], problems


def discover_files(
    root: Path,
    dirs: tuple[str, ...],
    *,
    suffixes: tuple[str, ...] = YAML_SUFFIXES,
    what: str = "declarations",
    skip: str | None = DATA_FOLDER,
) -> tuple[list[tuple[str, str]], list[Problem]]:
    """`discover`'s files as (repo-relative POSIX path, path to open) strings: a walk
    of os.scandir entries, whose types come with the listing (no Path per file)."""
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    base = os.fspath(root)
    for name in dirs:
        top = root / name
        if top.is_symlink():
            problems.append(error(name, 1, 1, "unsafe-path", "the folder is a symlink; i4qew reads no symlinks"))
            continue
        if not top.is_dir():
            continue
        _walk(root, name, os.path.join(base, name), _Walk(suffixes, what, skip, found, problems))
    return found, problems


@dataclass(frozen=True, slots=True)
class _Walk:
    suffixes: tuple[str, ...]
    what: str
    skip: str | None
    found: list[tuple[str, str]]
    problems: list[Problem]


def _walk(root: Path, rel: str, path: str, w: _Walk) -> None:
    """One folder, as os.walk(followlinks=False) with sorted names gives it: its files,
    then its folders (a folder that cannot be listed is passed over, as os.walk does)."""
    try:
        with os.scandir(path) as it:
            entries = list(it)
    except OSError:
        return
    folders: list[tuple[str, str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            files.append(entry)
            continue
        sub = f"{rel}/{entry.name}"
        if _UNSAFE_NAME.search(sub):
            w.problems.append(_unsafe(sub, "folder"))
        elif entry.is_symlink():
            w.problems.append(error(sub, 1, 1, "unsafe-path",
                                    f"symlinked folder refused: {w.what} must be plain files inside the repository"))
        elif entry.name != w.skip:
            folders.append((entry.name, entry.path))
    files.sort(key=lambda e: e.name)
    for entry in files:
        if not entry.name.endswith(w.suffixes):
            continue
        sub = f"{rel}/{entry.name}"
        if _UNSAFE_NAME.search(sub):
            w.problems.append(_unsafe(sub, "file"))
        elif entry.is_symlink():
            where = "" if inside(root, Path(entry.path)) else " (this one points outside the repository)"
            w.problems.append(error(sub, 1, 1, "unsafe-path",
                                    f"symlink refused: {w.what} must be plain files inside the repository{where}"))
        else:
            w.found.append((sub, entry.path))
    for name, sub_path in sorted(folders):
        _walk(root, f"{rel}/{name}", sub_path, w)


def read_text(root: Path, path: Path, limit: int, *, discovered: bool = False) -> SourceText | Problem:
    """The file as text, or the problem that stops it from being read.

    `discovered`: the path came from `discover`, which walked down from the root
    refusing every symlink, so it cannot leave the repository; resolving it
    again would cost more than parsing it."""
    if discovered:
        rel = path.relative_to(root).as_posix()
    else:
        is_inside = inside(root, path)
        rel = _rel(root, path) if is_inside else path.as_posix()
        if not is_inside and not path.is_absolute():
            return error(rel, 1, 1, "unsafe-path", "path leaves the repository")
    return read_found(rel, os.fspath(path), limit)


def read_found(rel: str, path: str, limit: int) -> SourceText | Problem:
    """A file `discover_files` found (`rel`, opened at `path`), as read_text reads it."""
    data = read_bytes(rel, path, limit)
    return data if isinstance(data, Problem) else check_text(rel, data)


def read_bytes(rel: str, path: str, limit: int) -> bytes | Problem:
    """The bytes of a regular file within `limit`, or why they are not read."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            # a FIFO would block the read forever; a device could be endless
            return error(rel, 1, 1, "unreadable", "not a regular file")
        size = st.st_size
        if size > limit:
            return error(rel, 1, 1, "file-too-large",
                         f"file is {size:,} bytes; the limit is {limit:,} bytes")
        # os-level: no file object (11,200 files at 5x); to the end as a file object reads
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.read(fd, size + 1)
            if len(data) > size:  # it grew since the stat
                parts = [data]
                while chunk := os.read(fd, 1 << 16):
                    parts.append(chunk)
                data = b"".join(parts)
            return data
        finally:
            os.close(fd)
    except OSError as exc:
        return error(rel, 1, 1, "unreadable", f"cannot read the file: {exc.strerror or exc}")


def check_text(rel: str, data: bytes) -> SourceText | Problem:
    """The bytes as text, or the problem that makes them no YAML text (encoding, control characters)."""
    got = decode(rel, data)
    if isinstance(got, SourceText) and not (data.isascii() and len(data.translate(None, _CONTROL_ASCII)) == len(data)):
        bad = _CONTROL.search(got.text)
        if bad:
            line, col = _text_line_col(got.text, bad.start())
            return error(rel, line, col, "encoding",
                         f"control character U+{ord(bad.group()):04X} is not allowed in YAML; remove it or write it as an escape in a double-quoted string")
    return got


def known_text(rel: str, data: bytes) -> SourceText:
    """The text of bytes `check_text` already found good (the same bytes, met before): decoded
    without looking for what it did not find."""
    return SourceText(rel, (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8"))


def decode(rel: str, data: bytes) -> SourceText | Problem:
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return error(rel, 1, 1, "encoding", f"the file is {name}; save it as UTF-8")
    if b"\x00" in data:
        line, col = _line_col(data, data.index(b"\x00"))
        return error(rel, line, col, "encoding", "NUL byte: this is not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        return error(rel, line, col, "encoding", f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
    return SourceText(rel, text)


def _text_line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1
