"""Sets of clusters as Python ints (bit i = cluster i) and the label index over them.

At 10,000 clusters a set is a 1,250-byte int: AND/OR/NOT of two sets is one C
loop, so a selector is evaluated as a handful of big-int operations instead of
a requirement check per cluster. The index keeps, per label key and value, the
ids of the clusters carrying it, and turns them into bitsets on first use (most
keys, such as OCM's per-cluster `name` label, are never asked for).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from i4qew.k8s.selectors import DOES_NOT_EXIST, EXISTS, IN, Requirement, Selector

# Positions of the set bits of every byte value: expanding a set walks its bytes.
_BYTE_BITS: tuple[tuple[int, ...], ...] = tuple(
    tuple(b for b in range(8) if byte >> b & 1) for byte in range(256)
)


_NONZERO = re.compile(b"[^\\x00]+")


def from_ids(ids: Iterable[int], size: int) -> int:
    buf = bytearray((size + 7) // 8)
    for i in ids:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def members(bits: int) -> list[int]:
    """The ids in a set, ascending."""
    out: list[int] = []
    if not bits:
        return out
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    table = _BYTE_BITS
    # The regex skips runs of zero bytes in C: sparse sets cost their members only.
    for m in _NONZERO.finditer(data):
        pos = m.start()
        for byte in m.group():
            base = pos << 3
            out.extend([base + b for b in table[byte]])
            pos += 1
    return out


def first(bits: int, count: int) -> int:
    """The `count` lowest members of a set, as a set."""
    if count <= 0:
        return 0
    if bits.bit_count() <= count:
        return bits
    if count <= 256:
        # Peel the lowest bits off: cheaper than expanding a large set.
        out = 0
        for _ in range(count):
            low = bits & -bits
            out |= low
            bits ^= low
        return out
    return from_ids(members(bits)[:count], bits.bit_length())


class LabelIndex:
    """label key -> value -> clusters, over a sequence of label mappings."""

    def __init__(self, maps: Sequence[Mapping[str, str]]) -> None:
        self.size = len(maps)
        self.all = (1 << self.size) - 1
        self._maps = maps
        # Built per key on first use: a scan of one key over 10,000 clusters is
        # well under a millisecond, and selectors name a dozen keys, not all.
        self._postings: dict[str, dict[str, list[int]]] = {}
        self._value_bits: dict[tuple[str, str], int] = {}
        self._key_bits: dict[str, int] = {}
        self._requirement_bits: dict[Requirement, int] = {}

    def _by_value(self, key: str) -> dict[str, list[int]]:
        by_value = self._postings.get(key)
        if by_value is None:
            by_value = self._postings[key] = {}
            for i, labels in enumerate(self._maps):
                value = labels.get(key)
                if value is not None:
                    ids = by_value.get(value)
                    if ids is None:
                        by_value[value] = [i]
                    else:
                        ids.append(i)
        return by_value

    def values(self, key: str) -> list[str]:
        return sorted(self._by_value(key))

    def with_value(self, key: str, value: str) -> int:
        cached = self._value_bits.get((key, value))
        if cached is None:
            ids = self._by_value(key).get(value, ())
            cached = self._value_bits[(key, value)] = from_ids(ids, self.size)
        return cached

    def with_key(self, key: str) -> int:
        cached = self._key_bits.get(key)
        if cached is None:
            cached = 0
            for value in self._by_value(key):
                cached |= self.with_value(key, value)
            self._key_bits[key] = cached
        return cached

    def requirement(self, req: Requirement) -> int:
        cached = self._requirement_bits.get(req)
        if cached is not None:
            return cached
        op = req.operator
        if op == EXISTS:
            bits = self.with_key(req.key)
        elif op == DOES_NOT_EXIST:
            bits = self.all & ~self.with_key(req.key)
        else:
            matching = 0
            for value in req.values:
                matching |= self.with_value(req.key, value)
            # NotIn also selects clusters without the key (Kubernetes semantics).
            bits = matching if op == IN else self.all & ~matching
        self._requirement_bits[req] = bits
        return bits

    def selector(self, sel: Selector) -> int:
        bits = self.all
        for req in sel.requirements:
            bits &= self.requirement(req)
            if not bits:
                break
        return bits
