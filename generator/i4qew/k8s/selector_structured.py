"""The structured LabelSelector (``matchLabels``/``matchExpressions``, as decoded from
YAML or JSON), converted into the model of ``selectors.py`` as
``metav1.LabelSelectorAsSelector`` does, with errors that carry the bad field's path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from i4qew.k8s.selectors import (
    CANONICAL_OPERATOR,
    IN,
    OPERATORS,
    PathElement,
    Requirement,
    Selector,
    SelectorError,
    arity_problem,
    key_problem,
    value_problem,
)

_EXPRESSION_FIELDS: Final = frozenset({"key", "operator", "values"})
_SELECTOR_FIELDS: Final = frozenset({"matchLabels", "matchExpressions"})


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def _check_fields(
    value: Mapping[object, object], allowed: frozenset[str], path: tuple[PathElement, ...]
) -> None:
    unknown = sorted(str(name) for name in value if name not in allowed)
    if unknown:
        raise SelectorError(
            f"unknown field (expected {', '.join(sorted(allowed))})", path=(*path, unknown[0])
        )


def _match_labels(match_labels: object) -> list[Requirement]:
    path: tuple[PathElement, ...] = ("matchLabels",)
    if not isinstance(match_labels, Mapping):
        raise SelectorError(
            f"must be a mapping of label keys to values, not {_type_name(match_labels)}", path=path
        )
    requirements: list[Requirement] = []
    for key, value in match_labels.items():
        if not isinstance(key, str):
            raise SelectorError(f"label key {key!r} must be a string", path=path)
        if (problem := key_problem(key)) is not None:
            raise SelectorError(problem, path=(*path, key))
        if not isinstance(value, str):
            # Typically an unquoted YAML number or boolean ("tier: 1", "gpu: true").
            raise SelectorError(
                f"value for label key {key!r} must be a string, not {_type_name(value)} "
                "(quote it in YAML)",
                path=(*path, key),
            )
        if (problem := value_problem(key, value)) is not None:
            raise SelectorError(problem, path=(*path, key))
        requirements.append(Requirement(key, IN, (value,)))
    return requirements


def _match_expression(expression: object, path: tuple[PathElement, ...]) -> Requirement:
    if not isinstance(expression, Mapping):
        raise SelectorError(
            f"must be a mapping with key, operator and values, not {_type_name(expression)}",
            path=path,
        )
    _check_fields(expression, _EXPRESSION_FIELDS, path)

    key = expression.get("key")
    if not isinstance(key, str):
        message = "is required" if key is None else f"must be a string, not {_type_name(key)}"
        raise SelectorError(message, path=(*path, "key"))
    if (problem := key_problem(key)) is not None:
        raise SelectorError(problem, path=(*path, "key"))

    operator = expression.get("operator")
    if not isinstance(operator, str):
        message = (
            "is required" if operator is None else f"must be a string, not {_type_name(operator)}"
        )
        raise SelectorError(message, path=(*path, "operator"))
    if operator not in CANONICAL_OPERATOR:
        raise SelectorError(
            f"{operator!r} is not a valid label selector operator "
            f"(expected one of {', '.join(OPERATORS)}; case-sensitive)",
            path=(*path, "operator"),
        )

    raw_values = expression.get("values")
    if raw_values is None:
        raw_values = []
    if not _is_list(raw_values):
        raise SelectorError(
            f"must be a list of strings, not {_type_name(raw_values)}", path=(*path, "values")
        )
    assert isinstance(raw_values, Sequence)  # narrowed by _is_list, for mypy
    if (problem := arity_problem(operator, raw_values)) is not None:
        raise SelectorError(problem, path=(*path, "values"))
    values: list[str] = []
    for index, value in enumerate(raw_values):
        if not isinstance(value, str):
            raise SelectorError(
                f"must be a string, not {_type_name(value)} (quote it in YAML)",
                path=(*path, "values", index),
            )
        if (problem := value_problem(key, value)) is not None:
            raise SelectorError(problem, path=(*path, "values", index))
        values.append(value)
    return Requirement(key, operator, tuple(values))


def from_structured(match_labels: object, match_expressions: object) -> Selector:
    """Build a Selector from the two halves of a LabelSelector (as decoded from YAML/JSON).

    ``None`` stands for an absent field; with both absent or empty the result is the empty
    selector (matches everything), as in LabelSelectorAsSelector. Errors carry ``path``.
    """
    requirements: list[Requirement] = []
    if match_labels is not None:
        requirements.extend(_match_labels(match_labels))
    if match_expressions is not None:
        if not _is_list(match_expressions):
            raise SelectorError(
                f"must be a list, not {_type_name(match_expressions)}", path=("matchExpressions",)
            )
        assert isinstance(match_expressions, Sequence)  # narrowed by _is_list, for mypy
        for index, expression in enumerate(match_expressions):
            requirements.append(_match_expression(expression, ("matchExpressions", index)))
    return Selector(tuple(requirements))


def label_selector_as_selector(label_selector: object) -> Selector | None:
    """Convert a whole LabelSelector mapping; ``None`` (nil) stays ``None`` = selects nothing."""
    if label_selector is None:
        return None
    if not isinstance(label_selector, Mapping):
        raise SelectorError(f"label selector must be a mapping, not {_type_name(label_selector)}")
    _check_fields(label_selector, _SELECTOR_FIELDS, ())
    return from_structured(
        label_selector.get("matchLabels"), label_selector.get("matchExpressions")
    )
