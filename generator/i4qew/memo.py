"""Every process-wide cache of i4qew, declared through this module so they are seen (and
emptied) in one place.

i4qew runs as a short-lived process: a cache lives as long as one command, and it
exists because one command meets the same value many times (2,000 workloads repeat a
few dozen quantities and images; validation and `plan` read one 10 MB inventory and
plan over it once). Each cache is keyed by the values it depends on (a content hash,
the objects themselves), so a stale entry can never answer for new input; `clear()`
exists for long-lived callers (bench/ times every run cold with it) and for tests.

`names()` lists them: the lru caches by their function, the others by the name
they were declared with (`held`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast


class Clearable(Protocol):
    def clear(self) -> None: ...


F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=Clearable)

_CLEARERS: dict[str, Callable[[], None]] = {}


def _register(name: str, clear: Callable[[], None]) -> None:
    if name in _CLEARERS:
        raise RuntimeError(f"cache {name} declared twice")
    _CLEARERS[name] = clear


def lru(maxsize: int | None = None, *, typed: bool = False) -> Callable[[F], F]:
    """`functools.lru_cache`, registered under the function's module and name."""
    def wrap(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize, typed=typed)(fn)
        _register(f"{fn.__module__}.{fn.__qualname__}", cached.cache_clear)
        return cast(F, cached)

    return wrap


def held(name: str, container: C) -> C:
    """A module-level dict or list a module keeps between calls, registered as `name`."""
    _register(name, container.clear)
    return container


def names() -> list[str]:
    return sorted(_CLEARERS)


def clear() -> None:
    """Empty every cache: the next call computes from scratch, as a fresh process does."""
    for clear_one in _CLEARERS.values():
        clear_one()
