"""Helpers the rule families share: where a field lives in the spec and its overrides."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from i4qew.model.repo import Repo, Workload

KeyPath = tuple[str | int, ...]


def variants(w: Workload, field: str) -> Iterator[tuple[KeyPath, Any]]:
    """(key path, value) of `field` in the spec and in every environment override
    that sets it: each place a user wrote the field, checked once."""
    own = w.doc.data["spec"]
    if field in own:
        yield ("spec", field), own[field]
    for env, over in sorted(w.overrides.items()):
        if field in over:
            yield ("spec", "environments", env, field), over[field]


def effective(repo: Repo, w: Workload, field: str) -> Iterator[tuple[str, KeyPath, Any]]:
    """(environment, key path of where it was written, value) of `field` as
    deployed to each environment the workload is enabled in."""
    for env in repo.repository.environments:
        if not w.enabled_in(env.name):
            continue
        over = w.overrides.get(env.name, {})
        if field in over:
            yield env.name, ("spec", "environments", env.name, field), over[field]
        elif field in w.spec:
            yield env.name, ("spec", field), w.spec[field]


def shorten(text: str, limit: int = 60) -> str:
    """A user value quoted in a message, cut so one line stays one line; credentials
    are masked first, so a cut never leaves half a token behind."""
    from i4qew.rules.secrets import mask_credentials  # here: secrets imports this module

    # masked in a window well past the cut: a credential that starts before the cut is
    # whole enough there for its pattern to match
    one = mask_credentials(text[: limit + 4096]).replace("\n", "\\n")
    return one if len(one) <= limit else one[: limit - 1] + "…"


def lookalike(text: str) -> str:
    """A note naming the first non-ASCII character of a name, or "": a Cyrillic 'а'
    reads exactly like a Latin 'a' in a message ("unknown 'еdge' (did you mean 'edge'?)")."""
    if text.isascii():
        return ""
    for i, ch in enumerate(text):
        if ord(ch) > 0x7F:
            return f" (character {i + 1} is U+{ord(ch):04X} {unicodedata.name(ch, 'without a name')}, not ASCII)"
    return ""


def dotted(path: Sequence[str | int]) -> str:
    """spec.env[0].value: a key path as a user reads it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
