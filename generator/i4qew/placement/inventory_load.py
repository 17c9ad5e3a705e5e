"""Read the inventory: every YAML/JSON file under clusters/, or one --inventory file.

Accepted shapes, per file: single ManagedCluster objects, multi-document YAML,
and `kind: List` (or ManagedClusterList) exactly as `kubectl get managedclusters
-o yaml` / `-o json` print it. ManagedClusterSet objects may sit beside them.
A malformed entry is a problem and is skipped; the other clusters still count.
A file in kubectl's own list shape is read by inventory_fast.py without the YAML
parser (two thirds of the time at 50,000 clusters), to the same clusters.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml_rs

from i4qew import memo, store
from i4qew.k8s.selectors import Requirement, Selector
from i4qew.load.documents import SourceFile
from i4qew.load.files import (
    INVENTORY_DIR,
    MAX_INVENTORY_BYTES,
    SourceText,
    check_text,
    decode,
    discover_files,
    inside,
    known_text,
    read_bytes,
    read_text,
)
from i4qew.load.yamlio import parse
from i4qew.placement.inventory import Cluster, Inventory, Origin, Summary, Taint, lazy_inventory
from i4qew.placement.inventory_parse import Entries, parse_cluster, parse_cluster_set
from i4qew.problems import Problem, Severity, error

SUFFIXES = (".yaml", ".yml", ".json")
LIST_KINDS = ("List", "ManagedClusterList")
# kubectl output has no aliases; a hand-written file gets the declarations' bound.
_ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=100_000, max_replay_stack_depth=64)


def _read_override(root: Path, path: Path) -> SourceText | Problem:
    if inside(root, path) and not path.is_absolute():
        return read_text(root, root / path, MAX_INVENTORY_BYTES)
    shown = path.as_posix()
    try:
        size = path.stat().st_size
        if size > MAX_INVENTORY_BYTES:
            return error(shown, 1, 1, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_INVENTORY_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return error(shown, 1, 1, "unreadable", f"cannot read the inventory: {exc.strerror or exc}")
    return decode(shown, data)


def _documents(src: SourceText, out: list[Problem]) -> list[Any] | None:
    if src.path.endswith(".json"):
        try:
            return [json.loads(src.text)]
        except json.JSONDecodeError as exc:
            out.append(error(src.path, exc.lineno, exc.colno, "json-syntax", exc.msg))
            return None
        except RecursionError:
            out.append(error(src.path, 1, 1, "json-syntax", "nesting too deep"))
            return None
    try:
        # The fast path without the declaration loader's depth walk (a quarter of a
        # second on a 10 MB inventory): nothing here recurses into the data.
        result = yaml_rs.loads(src.text, parse_datetime=False, alias_limits=_ALIAS_LIMITS)
    except Exception:  # any failure: the project's parser explains it
        parsed = parse(src.path, src.text)
        if isinstance(parsed, Problem):
            out.append(parsed)
            return None
        return parsed.docs
    # Several documents come back as a list; so would a top-level list of objects,
    # whose items are then read as entries all the same.
    return result if isinstance(result, list) else [result]


def _collect(src: SourceText, docs: list[Any], entries: Entries) -> None:
    source = entries.add_source(SourceFile(src.path, src.text))
    for d, data in enumerate(docs):
        if data is None:
            continue
        if not isinstance(data, dict):
            entries.problem(source, Origin(src.path, d, -1), (), "inventory-entry",
                            "expected a ManagedCluster object or a kind: List of them")
            continue
        kind = data.get("kind")
        if kind in LIST_KINDS or (kind is None and isinstance(data.get("items"), list)):
            items = data.get("items") or []
            if not isinstance(items, list):
                entries.problem(source, Origin(src.path, d, -1), ("items",), "inventory-entry", "items must be a list")
                continue
            for i, item in enumerate(items):
                _entry(source, Origin(src.path, d, i), item, entries)
        else:
            _entry(source, Origin(src.path, d, -1), data, entries)


def _entry(source: SourceFile, origin: Origin, data: Any, entries: Entries) -> None:
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "ManagedClusterSet":
        parse_cluster_set(source, origin, data, entries)
    elif kind == "ManagedCluster" or (kind is None and isinstance(data, dict) and "metadata" in data):
        parse_cluster(source, origin, data, entries)
    elif not isinstance(data, dict):
        entries.problem(source, origin, (), "inventory-entry", "expected a ManagedCluster object")
    else:
        entries.problem(source, origin, ("kind",), "inventory-entry",
                        f"kind {kind!r} is not part of a cluster inventory (ManagedCluster, ManagedClusterSet); ignored",
                        Severity.WARNING)


def load_inventory(root: Path, override: Path | None = None,
                   folder: str = INVENTORY_DIR) -> tuple[Inventory | None, list[Problem]]:
    """Every ManagedCluster under `root`/`folder` (clusters/; one hub's clusters/<hub>/),
    or in the one `override` file.

    None when there is no inventory (no such folder, no files); problems (with
    positions) for malformed entries."""
    pending = _pending.pop(_pending_key(root, override, folder), None)
    if pending is not None:
        pool, future = pending
        result: tuple[Inventory | None, list[Problem]] | None = None
        cached: tuple[str, tuple[Inventory, list[Problem]]] | None = None
        try:
            result, cached = future.result()
        except Exception:  # the child died or could not pickle: read it here
            result = None
        finally:
            pool.shutdown(wait=True)
        if result is not None:
            if cached is not None:
                _remember(*cached)
            return result
    return _load(root, override, folder)


def _load(root: Path, override: Path | None, folder: str = INVENTORY_DIR) -> tuple[Inventory | None, list[Problem]]:
    got = _read_ahead.pop(_pending_key(root, override, folder), None) or _read(root, override, folder)
    if got is None:
        return None, []
    problems, read = got[0], got[1]
    if not read:
        return None, problems
    key = got[2] or _content_key(read)
    hit = next((got for k, got in _cache if k == key), None) or _summarized(key, read) or _stored(key, read, summarize=True)
    if hit is not None:
        _remember(key, hit)
        return hit[0], [*problems, *hit[1]]
    inv, parsed = _parse(read, key)
    _remember(key, (inv, parsed))
    _store(key, inv, parsed)
    return inv, [*problems, *parsed]


def _read(root: Path, override: Path | None, folder: str) -> tuple[list[Problem], list[Read], str] | None:
    """The problems of finding the inventory's files, what was read of each, and the key of
    that ("" when nothing was read); None when there is no such folder."""
    problems: list[Problem] = []
    read: list[Read] = []
    if override is not None:
        read = [_read_override(root, override)]
    else:
        if not (root / folder).exists():
            return None
        found, discovered = discover_files(root, (folder,), suffixes=SUFFIXES, what="the inventory", skip=None)
        problems.extend(discovered)
        for rel, path in found:
            data = read_bytes(rel, path, MAX_INVENTORY_BYTES)
            read.append(data if isinstance(data, Problem) else (rel, data))
    return problems, read, _content_key(read) if read else ""


def _parse(read: list[Read], key: str) -> tuple[Inventory, list[Problem]]:
    """The inventory in what was read, and the problems of its files and entries."""
    # imported here: its patterns cost ~20 ms to compile, which a run reading no inventory
    # (validate or publish answered from the cache) does not pay
    from i4qew.placement.inventory_fast import read_regular

    problems: list[Problem] = []
    entries = Entries(problems)
    for item in read:
        got = check_text(*item) if isinstance(item, tuple) else item
        if isinstance(got, Problem):
            problems.append(got)
            continue
        if not got.path.endswith(".json") and read_regular(got, entries):
            continue  # kubectl's shape, read without the YAML parser (same clusters)
        docs = _documents(got, problems)
        if docs is not None:
            _collect(got, docs, entries)
    clusters: list[Cluster] = sorted(entries.clusters.values(), key=lambda c: c.name)
    return Inventory(tuple(clusters), dict(sorted(entries.sets.items())), entries.sources, key), problems


# What was read of each inventory file: its path and bytes (clusters/), its text (an
# --inventory file), or why it could not be read.
Read = tuple[str, bytes] | SourceText | Problem


# The persistent cache (i4qew/store.py): an inventory by the same content key, without
# its files' text (the files were just read: their SourceFiles are made again).
_KIND = "inventory"
_SUMMARY = "invsummary"  # its Summary: a run whose decisions all come from the caches reads only that
_CLASSES = store.allow((Inventory, Summary, Cluster, Taint, Origin, Selector, Requirement, Problem, Severity, Fraction,
                        datetime, timezone, timedelta))


def _store(key: str, inv: Inventory, problems: list[Problem]) -> None:
    where = store.active()
    if where.on:
        where.put(_KIND, key, (dataclasses.replace(inv, sources={}), sorted(inv.sources), problems))
        where.put(_SUMMARY, key, (Summary.of(inv), sorted(inv.sources), problems))


def _stored(key: str, read: list[Read], *, summarize: bool = False) -> tuple[Inventory, list[Problem]] | None:
    where = store.active()
    got = where.get(_KIND, key, _CLASSES) if where.on else None
    if not (isinstance(got, tuple) and len(got) == 3 and isinstance(got[0], Inventory)):
        return None
    found = _sources(read, got[1], got[2])
    if found is None:
        return None
    inv = dataclasses.replace(got[0], sources=found[0], key=key)
    if summarize:  # the next run loads it lazily
        where.put(_SUMMARY, key, (Summary.of(inv), got[1], found[1]))
    return inv, found[1]


def _summarized(key: str, read: list[Read]) -> tuple[Inventory, list[Problem]] | None:
    """The inventory of `key` from its summary: its clusters and sets are loaded (from the
    cache, else from what was read) only when something reads them."""
    where = store.active()
    got = where.get(_SUMMARY, key, _CLASSES) if where.on else None
    if not (isinstance(got, tuple) and len(got) == 3 and isinstance(got[0], Summary)):
        return None
    found = _sources(read, got[1], got[2])
    if found is None:
        return None

    def load() -> Inventory:
        full = _stored(key, read)
        return full[0] if full is not None and len(full[0]) == len(got[0].names) else _parse(read, key)[0]

    return lazy_inventory(got[0], found[0], key, load), found[1]


def _sources(read: list[Read], paths: object, problems: object) -> tuple[dict[str, SourceFile], list[Problem]] | None:
    """The files of an entry (`paths`, as read now) and its problems; None when the entry is not one."""
    if not (isinstance(paths, list) and isinstance(problems, list) and all(isinstance(p, str) for p in paths)
            and all(isinstance(p, Problem) for p in problems)):
        return None
    by_path = {t.path: t.text for t in read if isinstance(t, SourceText)}
    # bytes read into this entry before were good text then: decoded, not checked again
    wanted = set(paths)
    by_path.update((r[0], known_text(*r).text) for r in read if isinstance(r, tuple) and r[0] in wanted)
    if not all(p in by_path for p in paths):
        return None
    return {p: SourceFile(p, by_path[p]) for p in paths}, problems


# The last inventories read, by content: `validate` (inside `plan`) and `plan` itself,
# or the head and the base revision of `plan --base`, read a multi-MB inventory once;
# a fleet of hubs is one inventory per hub.
_cache: list[tuple[str, tuple[Inventory, list[Problem]]]] = memo.held("placement.inventory_load.last_inventory", [])
_KEPT = 64


def _remember(key: str, got: tuple[Inventory, list[Problem]]) -> None:
    _cache[:] = [*(e for e in _cache if e[0] != key), (key, got)][-_KEPT:]


Held = tuple[str, tuple[Inventory, list[Problem]]]


def held(inv: Inventory) -> Held | None:
    """What this process keeps of `inv`, an inventory load_inventory gave: a helper process
    (placement/fleet_fork.py) sends it, and `hold` in the parent makes the next
    load_inventory of the same files take it."""
    return next(((k, got) for k, got in _cache if got[0] is inv), None)


def hold(entry: Held) -> None:
    _remember(*entry)


def _content_key(read: list[Read]) -> str:
    """The key of what was read: every file's path and bytes (or text, or problem)."""
    h = hashlib.sha256()
    for t in read:
        if isinstance(t, tuple):
            h.update(b"B" + t[0].encode("utf-8", "surrogatepass") + b"\0" + len(t[1]).to_bytes(8, "big") + t[1])
        elif isinstance(t, SourceText):
            data = t.text.encode("utf-8", "surrogatepass")
            h.update(b"T" + t.path.encode("utf-8", "surrogatepass") + b"\0" + len(data).to_bytes(8, "big") + data)
        else:
            h.update(b"P" + t.format().encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


# Reading a 10 MB inventory takes about half a second, all of it holding the GIL.
# `plan` starts it in a forked process while the declarations are validated on the
# other core; `load` then takes the parsed result (unpickling is ~5x cheaper).
_pending: dict[tuple[str, str, str], tuple[Any, Any]] = memo.held("placement.inventory_load.prefetch", {})


def _pending_key(root: Path, override: Path | None, folder: str = INVENTORY_DIR) -> tuple[str, str, str]:
    return str(root.resolve()), str(override.resolve()) if override is not None else "", folder


def _load_in_child(root: Path, override: Path | None, folder: str) -> tuple[
        tuple[Inventory | None, list[Problem]], tuple[str, tuple[Inventory, list[Problem]]] | None]:
    result = _load(root, override, folder)
    return result, (_cache[-1] if _cache else None)


# What prefetch read of an inventory the persistent cache holds: `load` takes it from there.
_read_ahead: dict[tuple[str, str, str], tuple[list[Problem], list[Read], str]] = memo.held(
    "placement.inventory_load.read_ahead", {})


def prefetch(root: Path, override: Path | None = None, folder: str = INVENTORY_DIR) -> None:
    """Start loading the inventory in the background (POSIX fork; elsewhere a no-op). When
    the persistent cache holds it, read it here instead: the child would only unpickle what
    the parent unpickles again, and a fork costs more than it saves."""
    key = _pending_key(root, override, folder)
    if key in _pending or key in _read_ahead or "fork" not in multiprocessing.get_all_start_methods():
        return
    where = store.active()
    if where.on:
        got = _read(root, override, folder)
        if got is not None and got[2] and where.has(_SUMMARY, got[2]):
            _read_ahead[key] = got
            return
    try:
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        _pending[key] = (pool, pool.submit(_load_in_child, root, override, folder))
    except (OSError, RuntimeError):
        return

