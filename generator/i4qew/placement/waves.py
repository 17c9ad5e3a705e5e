"""Which of a workload's clusters each rollout wave holds (docs/rollout.md).

Over the clusters the workload's placement decides, in wave order: a wave takes
the clusters still left that its selector matches (all of them without one),
then, with a share, that many of them by cluster name (a percentage rounded up,
as OCM's decision groups count); the last wave takes every cluster left. So the
waves are disjoint and together hold every decided cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from i4qew.model.waves import Wave
from i4qew.placement.bits import first
from i4qew.placement.inventory import Inventory


@dataclass(frozen=True, slots=True)
class WavePlan:
    name: str
    clusters: int  # bitset over the inventory
    gained: int = 0  # against --base (bitsets over the head inventory)
    lost: int = 0


def members_by_wave(inv: Inventory, waves: Sequence[Wave], clusters: int) -> list[int]:
    """The clusters of each wave, as bitsets in wave order."""
    left = clusters
    out: list[int] = []
    for i, wave in enumerate(waves):
        if i == len(waves) - 1:
            take = left
        else:
            take = left & inv.labels.selector(wave.selector) if wave.selector is not None else left
            if wave.share is not None:
                take = first(take, wave.share.of(take.bit_count()))
        out.append(take)
        left &= ~take
    return out


def wave_plans(inv: Inventory, waves: Sequence[Wave], clusters: int,
               base: tuple[Sequence[Wave], int] | None = None) -> tuple[WavePlan, ...]:
    """Each wave's clusters now and, with `base` (its waves and decided clusters over
    this inventory), what each wave gained and lost by name."""
    now = members_by_wave(inv, waves, clusters)
    if base is None:
        return tuple(WavePlan(w.name, bits) for w, bits in zip(waves, now, strict=True))
    was = dict(zip((w.name for w in base[0]), members_by_wave(inv, base[0], base[1]), strict=True))
    return tuple(WavePlan(w.name, bits, bits & ~was.get(w.name, 0), was.get(w.name, 0) & ~bits)
                 for w, bits in zip(waves, now, strict=True))

