"""Which versions stay on a node: every live stager ("owner") records what it needs, and a
version is removed only when no live owner needs it any more.

An owner needs its desired versions plus, per model it still desires, the ``keepPrevious``
versions it desired most recently before them that are still ready (the rollback target).
Owner records live in ROOT/.i4qew/owners/OWNER.json; a record not refreshed for the owner
TTL belongs to a stager that is gone (its chart was removed) and stops protecting anything.
Everything here runs under the root lock.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stage_desired import Desired
from stage_log import log
from stage_store import Layout, is_locked, ready_digest, remove

HISTORY = 16


@dataclass
class Needs:
    keep: dict[str, set[str]] = field(default_factory=dict)  # model -> versions some owner needs
    managed: set[str] = field(default_factory=set)  # models some stager manages (or managed)
    pins: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (model, version) -> owner -> digest


def update_owner(layout: Layout, desired: Desired) -> dict[str, Any]:
    """Record what ``desired.owner`` needs now (refreshing its liveness); return the record."""
    path = layout.state / "owners" / f"{desired.owner}.json"
    old = _read(path) or {}
    old_models = old.get("models", {})
    models: dict[str, Any] = {}
    for e in desired.entries:
        models.setdefault(e.model, {"desired": {}, "history": []})["desired"][e.version] = e.digest
    for model, rec in models.items():
        prev = old_models.get(model, {}).get("history", [])
        now = sorted(rec["desired"])
        rec["history"] = (now + [v for v in prev if v not in now])[:HISTORY]
    record = {"owner": desired.owner, "keepPrevious": desired.keep_previous, "models": models}
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return record


def previous(layout: Layout, record: dict[str, Any]) -> dict[str, list[str]]:
    """Per model: the versions kept for rollback by this owner record."""
    keep = record.get("keepPrevious", 1)
    out: dict[str, list[str]] = {}
    for model, rec in record.get("models", {}).items():
        wanted = rec.get("desired", {})
        ready = [v for v in rec.get("history", []) if v not in wanted and ready_digest(layout, model, v)]
        out[model] = ready[: keep if isinstance(keep, int) else 1]
    return out


def needs(layout: Layout, ttl: float) -> Needs:
    """What all live owners need; records older than ``ttl`` seconds are deleted."""
    result = Needs()
    for path in sorted((layout.state / "owners").glob("*.json")):
        record = _read(path)
        models = record.get("models") if record else None
        if not record or not isinstance(models, dict):
            remove(path)
            continue
        result.managed.update(models)
        if time.time() - path.stat().st_mtime > ttl:
            log("info", f"owner {record.get('owner')} has not run for {ttl:.0f}s: its versions are no "
                "longer protected")
            remove(path)
            continue
        for model, versions in previous(layout, record).items():
            result.keep.setdefault(model, set()).update(versions)
        for model, rec in models.items():
            for version, digest in rec.get("desired", {}).items():
                result.keep.setdefault(model, set()).add(version)
                result.pins.setdefault((model, version), {})[str(record.get("owner"))] = digest
    return result


def collect(layout: Layout, need: Needs) -> list[str]:
    """Remove unneeded versions of managed models and abandoned work; return what was removed."""
    removed = []
    for model in sorted(need.managed):
        model_dir = layout.root / model
        if not model_dir.is_dir() or model_dir.is_symlink():
            continue
        for child in sorted(model_dir.iterdir()):
            if child.name.startswith(".") or child.name in need.keep.get(model, set()):
                continue
            remove(child)
            removed.append(f"{model}/{child.name}")
            log("info", "removed: no stager on this node needs it any more", f"model {model} version {child.name}")
        if model not in need.keep and not any(model_dir.iterdir()):
            model_dir.rmdir()
    for work in sorted((layout.state / "tmp").iterdir()):
        model, _, rest = work.name.partition("@")
        version, _, digest = rest.partition("@")
        wanted = {d[7:23] for d in need.pins.get((model, version), {}).values()}
        if digest in wanted:
            continue  # a resumable download (or one in progress) of a pin some owner desires
        if not is_locked(layout.state / "locks" / f"{model}@{version}.lock"):
            remove(work)
    for junk in (layout.state / "trash").iterdir():
        remove(junk)
    return removed


def _read(path: Path) -> dict[str, Any] | None:
    """An owner record with only well-formed parts, or None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        return None
    models: dict[str, Any] = {}
    for model, rec in data["models"].items():
        if not isinstance(rec, dict):
            continue
        desired, history = rec.get("desired"), rec.get("history")
        desired = desired if isinstance(desired, dict) else {}
        history = history if isinstance(history, list) else []
        models[model] = {"desired": {k: v for k, v in desired.items() if isinstance(v, str)},
                         "history": [v for v in history if isinstance(v, str)]}
    return {**data, "models": models}
