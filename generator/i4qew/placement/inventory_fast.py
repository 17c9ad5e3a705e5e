"""The common inventory file read without the YAML parser: `kubectl get managedclusters
-o yaml` as kubectl prints it (a `kind: List`, keys sorted, two-space indentation).

At 50,000 clusters the YAML parser builds some 5 million Python objects that
parse_cluster then walks: two thirds of reading the inventory. A file of the
regular shape is matched here item by item with one regular expression (the blocks
clusters repeat, labels, claims, quantities and conditions, checked once per distinct
line or block), and only the fields planning reads become objects. The shape is
narrow on purpose: every value it accepts means one thing in YAML 1.2 (and 1.1), so
the clusters are those parse_cluster makes of the parsed file; anything else
(another key, order or indentation, a comment inside, a value YAML could read as a
number, boolean or null, an escape, a duplicate key, a value parse_cluster would
report) makes the whole file go through the YAML parser and parse_cluster, with
their problems and positions. tests/unit/placement/test_inventory_fast.py holds the two paths equal.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from fractions import Fraction
from typing import Any

from i4qew.load.documents import SourceFile
from i4qew.load.files import SourceText
from i4qew.placement.inventory import (
    AVAILABLE_CONDITION,
    CLUSTERSET_LABEL,
    Cluster,
    Origin,
    Taint,
    as_hub_stores,
)
from i4qew.placement.inventory_parse import EFFECTS, Entries

# Plain scalars some YAML reader takes for null, a boolean, a number or a time are never
# taken as text here. yaml-rs reads more than YAML 1.2 says (0X1F, 0O17, _1, 1e_3: numbers),
# so the number test is wide: a sign or '_' run, then digits, '_', a dot, an exponent, a
# base prefix in either case, or a colon (sexagesimal). Each test starts with a class of
# first characters, so most values fail it at once. No two repetitions can share a
# character (a run of digits and '_' after the sign run starts with a digit; the dot and the
# exponent are met once): a hostile run (2,000 '_' then a letter took 138 s with overlapping
# runs) is read in one pass and a few steps back. No possessive quantifier nor atomic group:
# Python 3.11.2 (Debian 12) matches them wrongly (python/cpython#106052, fixed in 3.11.5).
_RESERVED = "(?=[yYnNtTfFoO~])(?:(?i:true|false|null|yes|no|on|off|y|n)|~)"
_NUMBERISH = (r"(?=[-+_0-9.eE])[-+_]*(?:0_*[bBoOxX][0-9a-fA-F_]*"
              r"|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+_]*(?:[0-9][0-9_]*)?)?"
              r"|(?:[0-9][0-9_]*)?(?::[0-9_]*)+|\.(?i:inf|nan))")
_TIMESTAMPISH = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
# A character of a plain scalar after its first: no space, ':', '#', quote, bracket or brace.
_W = r"[A-Za-z0-9_./@+=(),;<>$%*~-]"
_TEXT = (rf"(?!{_RESERVED}\n)(?!{_NUMBERISH}\n)(?!{_TIMESTAMPISH})"
         rf"[A-Za-z0-9_./(]{_W}*(?::{_W}+)*(?: {_W}+(?::{_W}+)*)*")
# Quoted: printable ASCII without quotes or '\\' (no escape; quoted as kubectl or PyYAML do).
_QUOTED = r"""(?:"[ !#-&(-\[\]-~]*"|'[ !#-&(-\[\]-~]*')"""
_STR = rf"(?:{_QUOTED}|{_TEXT})"  # a value read as text
_TIME = r"""(?:"[ !#-&(-\[\]-~]+"|'[ !#-&(-\[\]-~]+')"""  # quoted, not empty (a taint's timeAdded)
# A value nothing reads (apiVersion, uid, messages...): text, a short integer, a boolean.
_ANY = rf"(?:{_QUOTED}|[0-9]{{1,18}}|true|false|{_TEXT})"
# A key: at most 300 characters (a label key's 253 + 63; YAML refuses implicit keys over 1,024).
_KEY = rf"(?!{_RESERVED}:)(?!{_NUMBERISH}:)[A-Za-z0-9_./][A-Za-z0-9_./-]{{0,299}}"
# Quantities as kubectl prints them: quoted text, an integer, or digits and a suffix.
_QUANTITY = rf'(?:{_QUOTED}|(?:0|[1-9][0-9]{{0,17}})|[0-9]{{1,18}}(?:\.[0-9]{{1,18}})?(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P))'


def _map(indent: int, key: str, value: str) -> str:
    """One or more `key: value` lines at `indent`."""
    return rf"(?:{' ' * indent}{key}: {value}\n)+"


_HEAD = re.compile(r"(?:#[\t -~]*\n)*apiVersion: v1\nitems:\n")
_TAIL = re.compile(r"""kind: List\nmetadata:\n  resourceVersion: (?:""|'')\n(?:  selfLink: (?:""|'')\n)?""")
_ITEM = re.compile(
    rf"- apiVersion: {_ANY}\n"
    r"  kind: ManagedCluster\n"
    r"  metadata:\n"
    rf"(?:    annotations:\n(?P<annotations>{_map(6, _KEY, _ANY)}))?"
    rf"(?:    creationTimestamp: {_QUOTED}\n)?"
    rf"(?:    finalizers:\n(?:    - {_ANY}\n)+)?"
    r"(?:    generation: [0-9]{1,18}\n)?"
    r"(?:    labels:\n(?P<labels>(?:      [^\n]*\n)*))?"  # each line: _LABEL_LINE
    rf"    name: (?P<name>{_STR})\n"
    rf"(?:    resourceVersion: {_QUOTED}\n)?"
    rf"(?:    uid: {_ANY}\n)?"
    r"  spec:\n"
    r"(?:    hubAcceptsClient: (?:true|false)\n)?"
    r"(?:    leaseDurationSeconds: [0-9]{1,18}\n)?"
    rf"(?:    managedClusterClientConfigs:\n(?:    - caBundle: {_ANY}\n      url: {_ANY}\n)+)?"
    rf"(?:    taints:\n(?P<taints>(?:    - effect: {_TEXT}\n      key: {_STR}\n(?:      timeAdded: {_TIME}\n)?"
    rf"(?:      value: {_STR}\n)?)+))?"
    r"  status:\n"
    r"(?:    allocatable:\n(?P<allocatable>(?:      [^\n]*\n)+))?"  # _QUANTITIES
    r"(?:    capacity:\n(?P<capacity>(?:      [^\n]*\n)+))?"  # _QUANTITIES
    r"(?:    clusterClaims:\n(?P<claims>(?:    - name: [^\n]*\n(?:      value: [^\n]*\n)?)+))?"  # _CLAIM_LINE
    r"(?:    conditions:\n(?P<conditions>(?:    - [^\n]*\n(?:      [^\n]*\n)*)+))?"  # _CONDITIONS
    rf"(?:    version:\n      kubernetes: {_ANY}\n)?"
)
# The blocks the item's pattern only delimits (the lines of its indentation), checked here:
# each distinct label or claim line once per file (_Lines), each distinct quantities or
# conditions block once (_Seen), as the item's pattern would check them in place. What
# follows each block starts with less indentation, so the item ends where it would.
_LABEL_LINE = re.compile(rf"      {_KEY}: {_STR}\n")
_CLAIM_LINE = re.compile(rf"(?:    - name|      value): {_STR}\n")
_QUANTITIES = re.compile(rf"(?:      {_KEY}: {_QUANTITY}\n)+")
_CONDITIONS = re.compile(
    rf"(?:    - lastTransitionTime: {_QUOTED}\n      message: {_ANY}\n"
    rf"(?:      observedGeneration: [0-9]{{1,18}}\n)?      reason: {_ANY}\n      status: {_STR}\n"
    rf"      type: {_STR}\n)+")
# The lines of a matched block taken apart: the item's pattern checked each of them, so
# these only split a line at its first ': ' and drop the quotes (no value holds one).
_KEY_LINE = re.compile(r"^      ([^:\n]+): ", re.MULTILINE)
_QUANTITY_PAIR = re.compile(r""" +([^:\n]+): (['"]?)([^'"\n]*)['"]?\n""")
_V = r"""['"]?([^'"\n]*)['"]?\n"""  # a value line's end: the value without its quotes
_CONDITION = re.compile(rf"      status: {_V}      type: {_V}")
_TAINT = re.compile(rf"    - effect: ([^\n]*)\n      key: {_V}(?:      timeAdded: {_V})?(?:      value: {_V})?")


class _Irregular(Exception):
    """parse_cluster would report something here, or could read it otherwise."""


def read_regular(src: SourceText, entries: Entries) -> bool:
    """The clusters of a regular file into `entries`, as parse_cluster puts them there;
    False (no cluster, source or problem added) when the file is not of the regular shape."""
    text = src.text
    head = _HEAD.match(text)
    if head is None:
        return False
    pos = head.end()
    items = []
    match = _ITEM.match
    while (m := match(text, pos)) is not None:
        items.append(m)
        pos = m.end()
    if not items or _TAIL.fullmatch(text, pos) is None:
        return False
    seen = _Seen()
    try:
        made = [_cluster(m, Origin(src.path, 0, i), entries, seen) for i, m in enumerate(items)]
    except _Irregular:
        return False
    names = {c.name for c in made}
    if len(names) != len(made) or not names.isdisjoint(entries.clusters):
        return False  # "declared twice": parse_cluster says where
    entries.add_source(SourceFile(src.path, text))
    entries.clusters.update((c.name, c) for c in made)
    return True


class _Seen:
    """What the items of one file repeat (hardware profiles, condition lists, taint times),
    read once: each by its text."""

    def __init__(self) -> None:
        self.resources: dict[tuple[str | None, str | None], dict[str, Fraction]] = {}
        self.available: dict[str, bool | None] = {}
        self.times: dict[str, datetime] = {}
        self.labels = _Lines(_LABEL_LINE)
        self.claims = _Lines(_CLAIM_LINE)


class _Lines(dict[str, tuple[str, str]]):
    """Lines `key: value` (a label, a claim's name or value) by their text, taken apart the
    first time a file holds them: the key without its indentation and the value without its
    quotes, both interned. A fleet's clusters repeat most of their lines: most are a lookup.
    A line `pattern` refuses makes the file irregular; in one it takes, a key holds no ':'
    and a quoted value no quote."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.pattern = pattern
        # the line of the cluster being read that repeats its name (OCM's `name` label, the
        # `id.k8s.io` claim's value: a line no other cluster holds), and what it is taken apart into
        self.own: tuple[str, tuple[str, str]] = ("", ("", ""))

    def __missing__(self, line: str) -> tuple[str, str]:
        own = self.own
        if line == own[0]:  # (the item's pattern checked the name as this line holds it: not kept)
            return own[1]
        if self.pattern.fullmatch(line + "\n") is None:
            raise _Irregular
        key, _, value = line.partition(": ")
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        got = self[line] = (_intern(key.lstrip(" ")), _intern(value))
        return got


def _cluster(m: re.Match[str], origin: Origin, entries: Entries, seen: _Seen) -> Cluster:
    annotations, labels_block, name, taints_block, allocatable, capacity, claims_block, conditions = m.group(
        "annotations", "labels", "name", "taints", "allocatable", "capacity", "claims", "conditions")
    if annotations and len(set(_KEY_LINE.findall(annotations))) != annotations.count("\n"):
        raise _Irregular  # a duplicate key: the YAML parser refuses the file
    written = name
    if name[0] in "\"'":
        name = name[1:-1]
        if not name:
            raise _Irregular
    # The name, label and claim keys and values interned: thousands of clusters repeat them
    # (the name too, as a label and a claim), and the persistent cache pickles (and
    # unpickles) a string once per object (inventory_load.py).
    name = _intern(name)
    seen.labels.own = ("      name: " + written, ("name", name))
    seen.claims.own = ("      value: " + written, ("value", name))
    labels: dict[str, str] = {}
    if labels_block:
        lines = labels_block.split("\n")
        lines.pop()  # after the last "\n"
        labels = dict(map(seen.labels.__getitem__, lines))
        if len(labels) != len(lines):
            raise _Irregular
    claims: dict[str, str] = {}
    if claims_block:
        lines = claims_block.split("\n")
        lines.pop()
        claim = ""
        for key, text in map(seen.claims.__getitem__, lines):
            if key == "value":
                claims[claim] = text
            else:  # "- name": its value is "" unless a value line follows
                claim = text
                claims[claim] = ""
    available: bool | None = None
    if conditions:
        if conditions in seen.available:
            available = seen.available[conditions]
        else:
            if _CONDITIONS.fullmatch(conditions) is None:
                raise _Irregular
            for status, kind in _CONDITION.findall(conditions):
                if kind == AVAILABLE_CONDITION:
                    available = status == "True"
            seen.available[conditions] = available
    taints = _taints(taints_block, seen.times) if taints_block else ()
    stored = as_hub_stores(labels)
    blocks = (allocatable, capacity)
    resources = seen.resources.get(blocks)
    if resources is None:
        resources = seen.resources[blocks] = _resources(blocks, entries)
    # Made as Cluster(...) makes it, without its frozen __init__'s eight object.__setattr__
    # calls (a tenth of reading the fleet): test_inventory_fast compares both paths' clusters.
    made = _new(Cluster)
    made.__dict__.update(name=name, labels=stored, claims=claims, allocatable=dict(resources), taints=taints,
                         cluster_set=stored[CLUSTERSET_LABEL], available=available, origin=origin)
    return made


def _resources(blocks: tuple[str | None, str | None], entries: Entries) -> dict[str, Fraction]:
    """status.allocatable, completed from status.capacity, as parse_cluster's _resources."""
    out: dict[str, Fraction] = {}
    known = entries.quantities
    for block in blocks:
        if not block:
            continue
        if _QUANTITIES.fullmatch(block) is None:
            raise _Irregular
        pairs = _QUANTITY_PAIR.findall(block)
        if len({k for k, _, _ in pairs}) != len(pairs):
            raise _Irregular
        for res, quote, text in pairs:
            if res in out:
                continue
            raw: str | int = text if quote or not text.isdigit() else int(text)
            value = known.get(raw, _UNKNOWN)
            if value is _UNKNOWN:
                value = entries.quantity(raw)
            if value is None:
                raise _Irregular
            out[res] = value
    return out


_UNKNOWN: Any = object()
_intern = sys.intern
_new = object.__new__


def _taints(block: str, times: dict[str, datetime]) -> tuple[Taint, ...]:
    out: list[Taint] = []
    for effect, key, added, value in _TAINT.findall(block):
        if effect not in EFFECTS:
            raise _Irregular
        when: datetime | None = None
        if added:
            when = times.get(added)
            if when is None:
                try:
                    when = datetime.fromisoformat(added)
                except ValueError:
                    raise _Irregular from None
                if when.tzinfo is None:
                    raise _Irregular
                times[added] = when
        out.append(Taint(key, value, effect, when))
    return tuple(out)
