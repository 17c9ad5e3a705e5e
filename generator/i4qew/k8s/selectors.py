"""Kubernetes label selectors: the kubectl text syntax and the structured LabelSelector.

Semantics follow k8s.io/apimachinery exactly (``labels.Parse`` and
``metav1.LabelSelectorAsSelector``):

* Requirements are ANDed. ``NotIn`` and ``DoesNotExist`` match objects that lack the key, so
  ``tier!=db`` also selects pods with no ``tier`` label at all.
* An *empty* selector (no requirements, e.g. ``""`` or ``{}``) matches everything, while a
  *nil* selector (a missing ``selector:`` field) matches nothing. Here nil is spelled ``None``
  (what ``label_selector_as_selector(None)`` returns).
* In the text syntax ``key in ()`` is *not* an empty set: Kubernetes reads it as the set
  holding the empty string, i.e. the same as ``key=``. Only the structured form can express
  (and rejects) an empty value list.

Only the four LabelSelector operators exist here; the ``>``/``<`` extensions that
``labels.Parse`` accepts for node selection are rejected because a LabelSelector cannot carry
them.

This module is the selector model; ``selector_text.py`` parses the kubectl text syntax and
``selector_structured.py`` the structured LabelSelector (both into this model).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, NotRequired, TypedDict

from i4qew.k8s.names import label_key, label_value

IN: Final = "In"
NOT_IN: Final = "NotIn"
EXISTS: Final = "Exists"
DOES_NOT_EXIST: Final = "DoesNotExist"
OPERATORS: Final = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST)
# Mapping every accepted spelling to the module constant lets Requirement store the very same
# string object, so the hot-path comparisons in matches() short-circuit on identity.
CANONICAL_OPERATOR: Final[dict[str, str]] = {op: op for op in OPERATORS}

PathElement = str | int


class SelectorError(ValueError):
    """An invalid selector.

    ``column`` is the 1-based position inside the parsed text (0 when not parsing text);
    ``path`` locates the bad field of a structured selector, e.g.
    ``("matchExpressions", 0, "values")`` (empty when parsing text).
    """

    def __init__(self, message: str, *, column: int = 0, path: Iterable[PathElement] = ()) -> None:
        self.message = message
        self.column = column
        self.path: tuple[PathElement, ...] = tuple(path)
        super().__init__(self._render())

    def _render(self) -> str:
        if self.column:
            return f"column {self.column}: {self.message}"
        if self.path:
            return f"{_format_path(self.path)}: {self.message}"
        return self.message


def _format_path(path: tuple[PathElement, ...]) -> str:
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += f".{element}" if text else element
    return text


class LabelSelectorRequirementDict(TypedDict):
    key: str
    operator: str
    values: NotRequired[list[str]]


class LabelSelectorDict(TypedDict, total=False):
    matchLabels: dict[str, str]
    matchExpressions: list[LabelSelectorRequirementDict]


def key_problem(key: str) -> str | None:
    problem = label_key(key)
    return None if problem is None else f"invalid label key {key!r}: {problem}"


def value_problem(key: str, value: str) -> str | None:
    problem = label_value(value)
    return None if problem is None else f"invalid value {value!r} for label key {key!r}: {problem}"


def arity_problem(operator: str, values: Sequence[str]) -> str | None:
    if operator in (IN, NOT_IN):
        if not values:
            return f"values must not be empty for operator {operator}"
    elif values:
        return f"values must be empty for operator {operator}"
    return None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key <operator> values`` term. ``values`` is stored sorted and deduplicated."""

    key: str
    operator: str
    values: tuple[str, ...] = ()
    _value_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        operator = CANONICAL_OPERATOR.get(self.operator)
        if operator is None:
            raise SelectorError(
                f"unsupported operator {self.operator!r}; expected one of {', '.join(OPERATORS)}"
            )
        value_set = frozenset(self.values)
        values = tuple(sorted(value_set))
        problem = (
            key_problem(self.key)
            or arity_problem(operator, values)
            or next(filter(None, (value_problem(self.key, v) for v in values)), None)
        )
        if problem is not None:
            raise SelectorError(problem)
        object.__setattr__(self, "operator", operator)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_value_set", value_set)

    def matches(self, labels: Mapping[str, str]) -> bool:
        # Hot path (called for every requirement x object x cluster while planning): plain
        # attribute reads, one dict lookup, a frozenset membership test.
        operator = self.operator
        if operator == IN:
            value = labels.get(self.key)
            return value is not None and value in self._value_set
        if operator == NOT_IN:
            value = labels.get(self.key)
            return value is None or value not in self._value_set
        if operator == EXISTS:
            return self.key in labels
        return self.key not in labels

    def to_text(self) -> str:
        """kubectl syntax; single values use ``=``/``!=`` which parse back to In/NotIn."""
        operator = self.operator
        if operator == EXISTS:
            return self.key
        if operator == DOES_NOT_EXIST:
            return "!" + self.key
        if len(self.values) == 1:
            return f"{self.key}{'=' if operator == IN else '!='}{self.values[0]}"
        word = "in" if operator == IN else "notin"
        return f"{self.key} {word} ({','.join(self.values)})"


def _canonical_order(requirement: Requirement) -> tuple[str, str, tuple[str, ...]]:
    return (requirement.key, requirement.operator, requirement.values)


@dataclass(frozen=True, slots=True)
class Selector:
    """An AND of requirements, kept in canonical order (key, operator, values) without duplicates.

    A Selector is always truthy; test ``is_empty()`` for "matches everything" and ``is None``
    for the nil selector.
    """

    requirements: tuple[Requirement, ...] = ()

    def __post_init__(self) -> None:
        # Repeating a requirement never changes an AND, so duplicates are dropped to keep one
        # canonical form (equality, hashing and to_text all rely on it).
        canonical = tuple(sorted(set(self.requirements), key=_canonical_order))
        object.__setattr__(self, "requirements", canonical)

    def is_empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        # An explicit loop: all() over a generator is markedly slower on this hot path.
        for requirement in self.requirements:  # noqa: SIM110
            if not requirement.matches(labels):
                return False
        return True

    def and_(self, other: Selector) -> Selector:
        return Selector(self.requirements + other.requirements)

    def to_text(self) -> str:
        """Canonical kubectl syntax; ``parse_selector(s.to_text()) == s`` always holds."""
        return ",".join(requirement.to_text() for requirement in self.requirements)

    def __str__(self) -> str:
        return self.to_text()

    def to_structured(self) -> LabelSelectorDict:
        """The equivalent Kubernetes LabelSelector; ``{}`` for the empty selector.

        A single-value ``In`` becomes a ``matchLabels`` entry unless another ``In`` on the same
        key needs the slot (matchLabels holds one value per key).
        """
        in_counts = Counter(r.key for r in self.requirements if r.operator == IN)
        match_labels: dict[str, str] = {}
        expressions: list[LabelSelectorRequirementDict] = []
        for requirement in self.requirements:
            key, operator, values = requirement.key, requirement.operator, requirement.values
            if operator == IN and len(values) == 1 and in_counts[key] == 1:
                match_labels[key] = values[0]
                continue
            expression: LabelSelectorRequirementDict = {"key": key, "operator": operator}
            if values:
                expression["values"] = list(values)
            expressions.append(expression)
        result: LabelSelectorDict = {}
        if match_labels:
            result["matchLabels"] = match_labels
        if expressions:
            result["matchExpressions"] = expressions
        return result


_EVERYTHING: Final = Selector()


def everything() -> Selector:
    """The empty selector, which matches every object (unlike the nil selector, ``None``)."""
    return _EVERYTHING

