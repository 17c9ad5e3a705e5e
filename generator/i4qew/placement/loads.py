"""Per-cluster sums of requests as big-int arithmetic (capacity.cluster_loads).

A fleet's hub has thousands of placements, each on a set of clusters (a bitset), and
most of them request one of a few dozen resource vectors. Adding each request to each
chosen cluster is a Python add per placed cluster (1.3 million at issue 17's 5x).
Instead, per request vector, the sets are counted per cluster with a bit-sliced
counter (slice k holds bit k of every cluster's count; adding a set is a ripple of a
few ANDs and XORs over the whole hub), the count is widened into 64-bit fields of one
int (a field per cluster), and multiplied by each request: a handful of C-speed
big-int operations per vector instead of one add per cluster. The sums are exact:
a field never overflows (checked before, else the caller adds member by member).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence

Requests = tuple[tuple[str, int], ...]  # (resource, milli-units), as placed
_EXPAND: tuple[bytes, ...] = tuple(bytes(b >> i & 1 for i in range(8)) for b in range(256))
CHUNK = 255  # sets per counter: a cluster's count fits in a byte
MIN_SETS = 4  # fewer sets with one request vector: cheaper added member by member
_FIELD = 64
_WIDE = array("Q").itemsize * 8 != _FIELD  # a platform whose 'Q' is not 64 bits: member by member


def split_by_count(size: int, by_req: Mapping[Requests, list[int]]) -> tuple[
        list[tuple[Requests, list[int]]], list[tuple[Requests, list[int]]]]:
    """(the groups to count, the groups to add member by member). Everything goes
    member by member when a cluster's sum could exceed a 64-bit field."""
    counted = [(req, sets) for req, sets in by_req.items()
               if len(sets) >= MIN_SETS and all(v > 0 for _, v in req)]
    bound: dict[str, int] = {}
    for req, sets in counted:
        for res, v in req:
            bound[res] = bound.get(res, 0) + v * len(sets)
    if not size or _WIDE or any(b >> _FIELD for b in bound.values()):
        return [], list(by_req.items())
    ids = {id(sets) for _, sets in counted}
    return counted, [(req, sets) for req, sets in by_req.items() if id(sets) not in ids]


def expand(bits: int, size: int) -> bytes:
    """One byte per cluster (0 or 1), `size` rounded up to whole bytes of the set."""
    return b"".join(map(_EXPAND.__getitem__, bits.to_bytes((size + 7) // 8, "little")))


def counts(sets: Sequence[int], size: int) -> int:
    """How many of `sets` (at most CHUNK) hold each cluster, one 64-bit field per cluster."""
    slices: list[int] = []
    for bits in sets:
        carry, k = bits, 0
        while carry:
            if k == len(slices):
                slices.append(carry)
                break
            low = slices[k]
            slices[k], carry = low ^ carry, low & carry
            k += 1
    per_byte = 0
    for k, low in enumerate(slices):
        per_byte |= int.from_bytes(expand(low, size), "little") << k
    width = (size + 7) // 8 * 8
    # iter(): array() would take bytes as raw machine words; each byte becomes one field
    return int.from_bytes(array("Q", iter(per_byte.to_bytes(width, "little"))).tobytes(), sys.byteorder)


def weighted_loads(size: int, counted: Sequence[tuple[Requests, list[int]]]) -> dict[str, list[int]]:
    """Per resource, the sum over the groups of request × count, per cluster."""
    totals: dict[str, int] = {}
    for req, sets in counted:
        for start in range(0, len(sets), CHUNK):
            count = counts(sets[start:start + CHUNK], size)
            for res, v in req:
                totals[res] = totals.get(res, 0) + v * count
    width = (size + 7) // 8 * 8
    out: dict[str, list[int]] = {}
    for res, total in totals.items():
        fields = array("Q")
        fields.frombytes(total.to_bytes(width * 8, sys.byteorder))
        out[res] = fields.tolist()[:size]
    return out
