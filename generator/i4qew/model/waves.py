"""Rollout waves as the model holds them (docs/rollout.md).

An environment's `waves` is an ordered list; a workload may redeclare which
clusters each wave holds (`spec.waves` or `spec.environments.<env>.waves`) using
the environment's wave names in their order, and keeps the environment's soak
and windows. A cluster belongs to the first wave that selects it; the last wave
takes every cluster left.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from i4qew.k8s.selector_text import parse_selector
from i4qew.k8s.selectors import Selector, SelectorError

_DURATION_PART = re.compile(r"([0-9]+)([dhm])")
_MINUTES = {"d": 1440, "h": 60, "m": 1}


def duration_minutes(text: str) -> int:
    """"1d12h" -> 2160; the schema already fixed the shape (`^([0-9]+[dhm])+$`)."""
    return sum(int(n) * _MINUTES[unit] for n, unit in _DURATION_PART.findall(text))


@dataclass(frozen=True, slots=True)
class Window:
    cron: str
    minutes: int  # how long it stays open
    time_zone: str


@dataclass(frozen=True, slots=True)
class Share:
    count: int | None  # a number of clusters, or
    percent: int | None  # a percentage of those left, rounded up

    def of(self, left: int) -> int:
        if self.count is not None:
            return min(self.count, left)
        # As OCM computes it, floats included (math.Ceil(f / 100 * float64(total))): 7% of 100 is 8.
        return min(left, math.ceil((self.percent or 0) / 100 * left))

    @property
    def key(self) -> str:
        """The field it was declared with."""
        return "clusters" if self.count is not None else "percent"


@dataclass(frozen=True, slots=True)
class Wave:
    name: str
    selector: Selector | None  # None: no selector (every cluster left)
    selector_text: str
    share: Share | None
    soak_minutes: int
    windows: tuple[Window, ...]
    index: int  # position in the declaring list, for problems

    @property
    def takes_rest(self) -> bool:
        return self.selector is None and self.share is None


def parse_share(item: Mapping[str, Any]) -> Share | None:
    """`clusters: N` or `percent: P` (the rule wave-declaration refuses both)."""
    if item.get("clusters") is not None:
        return Share(int(item["clusters"]), None)
    if item.get("percent") is not None:
        return Share(None, int(item["percent"]))
    return None


def windows_of(raw: Sequence[Mapping[str, Any]]) -> tuple[Window, ...]:
    return tuple(Window(w["cron"], duration_minutes(w["duration"]), w["timeZone"]) for w in raw)


def names(waves: Sequence[Wave]) -> tuple[str, ...]:
    return tuple(w.name for w in waves)


def wave_list(raw: Sequence[Mapping[str, Any]], env_waves: Sequence[Wave] = ()) -> tuple[Wave, ...] | None:
    """Waves from their declaration; None when a selector does not parse (a rule says
    where). A workload's list takes soak and windows from the environment's wave of
    the same name."""
    timing = {w.name: w for w in env_waves}
    out: list[Wave] = []
    for i, item in enumerate(raw):
        text = item.get("selector")
        try:
            sel = parse_selector(text) if text is not None else None
        except SelectorError:
            return None
        own = timing.get(item["name"])
        soak = own.soak_minutes if own else duration_minutes(item.get("soak", "0m"))
        windows = own.windows if own else windows_of(item.get("windows") or ())
        out.append(Wave(item["name"], sel, text or "", parse_share(item), soak, windows, i))
    return tuple(out)
