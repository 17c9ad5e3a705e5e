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


def first_members(bits: int, count: int) -> list[int]:
    """The `count` lowest ids in a set, ascending: members(bits)[:count], expanding its
    bytes only up to the last one taken (a plan lists 20 names of sets of thousands)."""
    out: list[int] = []
    if not bits or count <= 0:
        return out
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    table = _BYTE_BITS
    for m in _NONZERO.finditer(data):
        pos = m.start()
        for byte in m.group():
            base = pos << 3
            out.extend([base + b for b in table[byte]])
            if len(out) >= count:
                del out[count:]
                return out
            pos += 1
    return out


def first(bits: int, count: int) -> int:
    """The `count` lowest members of a set, as a set."""
    if count <= 0:
        return 0
    if bits.bit_count() <= count:
        return bits
    if count <= 64:
        # Peel the lowest bits off: cheaper than expanding the bytes of a large set.
        out = 0
        for _ in range(count):
            low = bits & -bits
            out |= low
            bits ^= low
        return out
    return bits & ((2 << first_members(bits, count)[-1]) - 1)  # the set up to its count-th member


_DENSE = 255  # a key with fewer distinct values gets every value's set in one scan (LabelIndex._scan)
_ONES: dict[int, bytes] = {}  # code -> a translate table: that byte to "1", every other to "0"


def _ones(code: int) -> bytes:
    table = _ONES.get(code)
    if table is None:
        table = _ONES[code] = bytes(49 if b == code else 48 for b in range(256))
    return table


class LabelIndex:
    """label key -> value -> clusters, over a sequence of label mappings."""

    def __init__(self, maps: Sequence[Mapping[str, str]]) -> None:
        self.size = len(maps)
        self.all = (1 << self.size) - 1
        self._maps = maps
        # Built per key on first use: selectors name a dozen keys, not all.
        self._dense: dict[str, tuple[str, ...]] = {}  # a key of few values: its values (their sets made)
        self._postings: dict[str, dict[str, list[int]]] = {}  # a key of many values: ids per value
        self._value_bits: dict[tuple[str, str], int] = {}
        self._key_bits: dict[str, int] = {}
        self._requirement_bits: dict[Requirement, int] = {}

    def prefetch(self, keys: Iterable[str]) -> None:
        """Index `keys` (those not indexed yet) in one pass over the label mappings: a pass
        costs what it reads from memory (50,000 mappings at 5x), whether it looks up one key or a
        dozen. Asking for a key later without this gives the same sets."""
        todo = [k for k in dict.fromkeys(keys) if k not in self._dense and k not in self._postings]
        if len(todo) < 2:
            for key in todo:
                self._scan(key)
            return
        columns: list[list[str | None]] = [[] for _ in todo]
        adds = list(zip(todo, [c.append for c in columns], strict=True))
        for labels in self._maps:
            get = labels.get
            for key, add in adds:
                add(get(key))
        for key, column in zip(todo, columns, strict=True):
            self._index(key, column)

    def _scan(self, key: str) -> None:
        self._index(key, [labels.get(key) for labels in self._maps])

    def _index(self, key: str, column: list[str | None]) -> None:
        """Index one key from its column (each cluster's value, None where absent). A key with
        few values (region, stage, an architecture label) gets the set of each value at once,
        in C: each cluster's value becomes a byte code, and a value's set is that string of
        codes translated to binary digits, highest cluster first, read by int(). A key with
        many (OCM's per-cluster `name`) keeps the ids of each value, turned into a set when
        asked for."""
        values = dict.fromkeys(column)
        values.pop(None, None)
        if self.size and len(values) < _DENSE:
            code: dict[str | None, int] = {None: 0}
            code.update((v, c) for c, v in enumerate(values, 1))
            digits = bytes(map(code.__getitem__, column))[::-1]
            for value, c in code.items():
                if value is not None:
                    self._value_bits[(key, value)] = int(digits.translate(_ones(c)), 2)
            self._dense[key] = tuple(values)  # type: ignore[arg-type]
            return
        by_value: dict[str, list[int]] = {}
        for i, value in enumerate(column):
            if value is not None:
                ids = by_value.get(value)
                if ids is None:
                    by_value[value] = [i]
                else:
                    ids.append(i)
        self._postings[key] = by_value

    def _values(self, key: str) -> Iterable[str]:
        dense = self._dense.get(key)
        if dense is not None:
            return dense
        postings = self._postings.get(key)
        if postings is None:
            self._scan(key)
            return self._values(key)
        return postings

    def values(self, key: str) -> list[str]:
        return sorted(self._values(key))

    def with_value(self, key: str, value: str) -> int:
        cached = self._value_bits.get((key, value))
        if cached is None:
            if key not in self._dense and key not in self._postings:
                self._scan(key)
                cached = self._value_bits.get((key, value))
            if cached is None:  # (a key of few values holds every value's set: this one no cluster has)
                ids = self._postings[key].get(value, ()) if key in self._postings else ()
                cached = self._value_bits[(key, value)] = from_ids(ids, self.size)
        return cached

    def with_key(self, key: str) -> int:
        cached = self._key_bits.get(key)
        if cached is None:
            cached = 0
            for value in self._values(key):
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
