"""Staging one model version: under its version lock, fetch into a work directory on the same
filesystem, verify, finish the tree with its marker, publish with one rename under the root
lock. Transient failures are retried with bounded exponential backoff; a full disk or a
wrong digest removes the work directory so nothing partial stays behind.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import stage_oci
from stage_desired import Entry
from stage_log import log, redact
from stage_net import FetchError, Http, download, no_space
from stage_report import VersionStatus
from stage_store import Layout, finish_tree, locked, publish, read_marker, ready_digest, remove


@dataclass(frozen=True)
class Options:
    attempts: int = 5
    backoff_initial: float = 2.0
    backoff_max: float = 300.0
    lock_timeout: float = 3600.0
    timeout: float = 60.0
    ca_file: str | None = None
    staged_by: str = "i4qew-stager"


def backoff(attempt: int, opts: Options) -> float:
    """Delay before retry ``attempt`` (1-based): doubling from the initial delay, capped, jittered."""
    base = min(opts.backoff_max, opts.backoff_initial * 2 ** (attempt - 1))
    return float(base * random.uniform(0.8, 1.0))


def ensure(entry: Entry, layout: Layout, pins: dict[str, str], owner: str, opts: Options) -> VersionStatus:
    if not entry.digest:
        followed = _follow(entry, layout, opts)
        if isinstance(followed, VersionStatus):
            return followed
        entry = followed
    if ready_digest(layout, entry.model, entry.version) == entry.digest:
        return _ready(entry, layout)
    lock = layout.state / "locks" / f"{entry.model}@{entry.version}.lock"
    with locked(lock, entry.what, opts.lock_timeout):
        if ready_digest(layout, entry.model, entry.version) == entry.digest:
            log("info", "staged meanwhile by another stager", entry.what)
            return _ready(entry, layout)
        # A pin of another owner wins; an owner following a tag ("") pins nothing.
        others = sorted(o for o, d in pins.items() if o != owner and d and d != entry.digest)
        if others:
            msg = f"conflict: owner {others[0]} pins digest {pins[others[0]]} for this version"
            log("error", msg, entry.what)
            return VersionStatus(entry.model, entry.version, entry.digest, "Failed", msg)
        return _attempts(entry, layout, opts)


def _follow(entry: Entry, layout: Layout, opts: Options) -> Entry | VersionStatus:
    """An OCI tag without a digest: the entry pinned to what the tag names now. Offline, the
    version staged earlier stays Ready (the tag is checked again next pass)."""
    http = Http(entry.ca_file or opts.ca_file, opts.timeout)
    error: FetchError | None = None
    for attempt in range(1, opts.attempts + 1):
        try:
            digest, _ = stage_oci.resolve_tag(http, entry)
            log("info", f"tag {redact(entry.source)} names {digest}", entry.what)
            return dataclasses.replace(entry, digest=digest)
        except FetchError as e:
            error = e
        if not error.transient or attempt == opts.attempts:
            break
        time.sleep(backoff(attempt, opts))
    assert error is not None
    staged = ready_digest(layout, entry.model, entry.version)
    if staged and error.transient:
        log("warning", f"tag not checked ({error}); keeping the staged {staged}", entry.what)
        return _ready(dataclasses.replace(entry, digest=staged), layout)
    log("error", f"not staged: {error}", entry.what)
    return VersionStatus(entry.model, entry.version, "", "Failed", str(error))


def _attempts(entry: Entry, layout: Layout, opts: Options) -> VersionStatus:
    work = layout.work(entry.model, entry.version, entry.digest)
    for attempt in range(1, opts.attempts + 1):
        try:
            return _stage(entry, layout, work, opts)
        except FetchError as e:
            error = e
        except OSError as e:
            error = no_space(e, work) or FetchError(f"{e.__class__.__name__}: {e.strerror or e}", transient=False)
        if not error.transient:
            remove(work)  # a full disk, wrong bytes, a refusal: nothing worth resuming
        if not error.transient or attempt == opts.attempts:
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            log("error", f"not staged{tries}: {error}", entry.what)
            return VersionStatus(entry.model, entry.version, entry.digest, "Failed", str(error))
        delay = backoff(attempt, opts)
        log("warning", f"{error}; attempt {attempt}/{opts.attempts}, retry in {delay:.1f}s", entry.what)
        time.sleep(delay)
    raise AssertionError("unreachable")


def _stage(entry: Entry, layout: Layout, work: Path, opts: Options) -> VersionStatus:
    work.mkdir(mode=0o755, exist_ok=True)
    http = Http(entry.ca_file or opts.ca_file, opts.timeout)
    log("info", f"fetching {redact(entry.source)} (pinned {entry.digest})", entry.what)
    tree = stage_oci.stage(http, entry, work) if entry.kind == "oci" else _stage_http(http, entry, work)
    size = finish_tree(tree, entry.model, entry.version, entry.digest, opts.staged_by)
    with locked(layout.state / "lock", entry.what, opts.lock_timeout):
        publish(layout, entry.model, entry.version, tree)
    remove(work)
    log("info", f"ready: {entry.digest} verified, {size} bytes", entry.what)
    return VersionStatus(entry.model, entry.version, entry.digest, "Ready", size=size)


def _stage_http(http: Http, entry: Entry, work: Path) -> Path:
    part = work / "download.part"
    if entry.size is not None:
        need = entry.size - (part.stat().st_size if part.exists() else 0)
        free = shutil.disk_usage(work).free
        if need > free:
            raise FetchError(f"no space left on device: needs {need} bytes, {free} free", transient=False,
                             no_space=True)
    download(lambda h: http.open(entry.source, h), entry.source, part, entry.digest, entry.size)
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(mode=0o755)
    part.replace(tree / entry.file)
    (tree / entry.file).chmod(0o644)
    return tree


def _ready(entry: Entry, layout: Layout) -> VersionStatus:
    marker = read_marker(layout.version(entry.model, entry.version)) or {}
    size = marker.get("size", "")
    return VersionStatus(entry.model, entry.version, entry.digest, "Ready",
                         size=int(size) if size.isdigit() else None)
