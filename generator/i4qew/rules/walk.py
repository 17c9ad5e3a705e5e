"""Helpers the rule families share: where a field lives in the spec and its overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from i4qew import memo
from i4qew.load.documents import Document
from i4qew.model.repo import Repo, Workload
from i4qew.problems import Problem, Severity

KeyPath = tuple[str | int, ...]
T = TypeVar("T")
# What a rule finds in one value: (key path below the value, message, severity, at the key?).
Finding = tuple[KeyPath, str, Severity, bool]


def variants(w: Workload, field: str) -> tuple[tuple[KeyPath, Any], ...]:
    """(key path, value) of `field` in the spec and in every environment override
    that sets it: each place a user wrote the field, checked once. (Kept per workload
    and field: some thirty rules ask this of every workload, seven fields in all.)"""
    got = _VARIANTS.get((id(w), field))
    if got is not None and got[0] is w:
        return got[1]
    if len(_VARIANTS) >= MAX_VARIANTS:
        _VARIANTS.clear()
    places = _variants(w, field)
    _VARIANTS[(id(w), field)] = (w, places)  # the workload held: its id stays its own
    return places


def _variants(w: Workload, field: str) -> tuple[tuple[KeyPath, Any], ...]:
    own = w.doc.data["spec"]
    out: list[tuple[KeyPath, Any]] = [(("spec", field), own[field])] if field in own else []
    overrides = w.overrides
    if overrides:
        for env, over in sorted(overrides.items()) if len(overrides) > 1 else overrides.items():
            if field in over:
                out.append((("spec", "environments", env, field), over[field]))
    return tuple(out)


MAX_VARIANTS = 250_000
# variants: (id of the workload, field) -> (the workload, its places)
_VARIANTS: dict[tuple[int, str], tuple[Workload, tuple[tuple[KeyPath, Any], ...]]] = memo.held(
    "rules.walk.variants", {})


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


def once(memo: dict[str, T], value: Any, judge: Callable[[Any], T]) -> T:
    """judge(value), computed once per distinct value in one run of a rule (`memo`: a new
    dict per run; `judge` reads nothing but the value). Ten thousand workloads repeat a
    few dozen resources, ports or env lists. Keyed by repr: for what a declaration holds
    (str, int, float, bool, None, lists and dicts of them) equal reprs are equal values of
    the same types, dicts in the same order (`key_of`)."""
    try:
        key = key_of(value)
    except ValueError:  # an int past Python's digit limit: no key, judged as it is
        return judge(value)
    got = memo.get(key)
    if got is None:
        got = memo[key] = judge(value)
    return got


# The repr of each list and dict `once` keyed, by id (the value held, so its id stays its
# own): several rules judge the same value (four a workload's resources, four its ports).
# Declarations are never changed once loaded; emptied by every run_rules (catalog.py) all the same.
MAX_KEYS = 250_000
_KEYS: dict[int, tuple[Any, str]] = memo.held("rules.walk.keys", {})


def key_of(value: Any) -> str:
    """repr(value), each list and dict's made once (`_KEYS`); a tuple (a rule's own, of
    declared values) as its items' keys in parentheses: repr's, but for one item without its
    comma, which no other value's repr reads as."""
    t = type(value)
    if t is tuple:
        return "(" + ", ".join(map(key_of, value)) + ")"
    if t is not dict and t is not list:
        return repr(value)
    got = _KEYS.get(id(value))
    if got is not None and got[0] is value:
        return got[1]
    if len(_KEYS) >= MAX_KEYS:
        _KEYS.clear()
    key = repr(value)
    _KEYS[id(value)] = (value, key)
    return key


def forget_keys() -> None:
    """Empty `key_of`'s reprs (a run of the rules starts afresh)."""
    _KEYS.clear()


def report(doc: Document, at: KeyPath, rule_id: str, findings: list[Finding]) -> Iterator[Problem]:
    """The problems of `findings` about the value at `at` of `doc`."""
    for path, message, severity, key in findings:
        yield doc.problem((*at, *path), rule_id, message, severity, key=key)


def judge_field(repo: Repo, field: str, rule_id: str, judge: Callable[[Any], list[Finding]]) -> Iterator[Problem]:
    """The problems `judge` finds in each place a workload writes `field` (`variants`),
    each distinct value judged once."""
    memo: dict[str, list[Finding]] = {}
    for w in repo.workloads:
        for path, value in variants(w, field):
            found = once(memo, value, judge)
            if found:
                yield from report(w.doc, path, rule_id, found)
