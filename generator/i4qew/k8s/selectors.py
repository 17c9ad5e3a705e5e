"""Kubernetes label selectors: the kubectl text syntax and the structured LabelSelector.

Semantics follow k8s.io/apimachinery exactly (``labels.Parse`` and
``metav1.LabelSelectorAsSelector``):

* Requirements are ANDed. ``NotIn`` and ``DoesNotExist`` match objects that lack the key, so
  ``tier!=db`` also selects pods with no ``tier`` label at all.
* An *empty* selector (no requirements, e.g. ``""`` or ``{}``) matches everything, while a
  *nil* selector (a missing ``selector:`` field) matches nothing. Here nil is spelled ``None``
  (exported as :data:`NOTHING`); use :func:`selects` when a selector may be absent.
* In the text syntax ``key in ()`` is *not* an empty set: Kubernetes reads it as the set
  holding the empty string, i.e. the same as ``key=``. Only the structured form can express
  (and rejects) an empty value list.

Only the four LabelSelector operators exist here; the ``>``/``<`` extensions that
``labels.Parse`` accepts for node selection are rejected because a LabelSelector cannot carry
them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple, NotRequired, TypedDict

from i4qew.k8s.names import label_key, label_value

__all__ = [
    "DOES_NOT_EXIST",
    "EXISTS",
    "IN",
    "NOTHING",
    "NOT_IN",
    "OPERATORS",
    "LabelSelectorDict",
    "LabelSelectorRequirementDict",
    "Requirement",
    "Selector",
    "SelectorError",
    "everything",
    "from_structured",
    "label_selector_as_selector",
    "parse_selector",
    "selects",
    "to_label_selector_dict",
]

IN: Final = "In"
NOT_IN: Final = "NotIn"
EXISTS: Final = "Exists"
DOES_NOT_EXIST: Final = "DoesNotExist"
OPERATORS: Final = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST)
# Mapping every accepted spelling to the module constant lets Requirement store the very same
# string object, so the hot-path comparisons in matches() short-circuit on identity.
_CANONICAL_OPERATOR: Final[dict[str, str]] = {op: op for op in OPERATORS}

NOTHING: Final = None
"""The nil selector: selects no object. Functions here take ``Selector | None`` for it."""

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


def _key_problem(key: str) -> str | None:
    problem = label_key(key)
    return None if problem is None else f"invalid label key {key!r}: {problem}"


def _value_problem(key: str, value: str) -> str | None:
    problem = label_value(value)
    return None if problem is None else f"invalid value {value!r} for label key {key!r}: {problem}"


def _arity_problem(operator: str, values: Sequence[str]) -> str | None:
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
        operator = _CANONICAL_OPERATOR.get(self.operator)
        if operator is None:
            raise SelectorError(
                f"unsupported operator {self.operator!r}; expected one of {', '.join(OPERATORS)}"
            )
        value_set = frozenset(self.values)
        values = tuple(sorted(value_set))
        problem = (
            _key_problem(self.key)
            or _arity_problem(operator, values)
            or next(filter(None, (_value_problem(self.key, v) for v in values)), None)
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


def selects(selector: Selector | None, labels: Mapping[str, str]) -> bool:
    """Match with nil handling: ``None`` (a missing selector) selects nothing."""
    return selector is not None and selector.matches(labels)


def to_label_selector_dict(selector: Selector) -> LabelSelectorDict:
    return selector.to_structured()


# --- text syntax -------------------------------------------------------------------------------

# Token kinds, mirroring the apimachinery lexer.
_EOS: Final = 0
_IDENT: Final = 1
_NOT: Final = 2  # "!"
_EQ: Final = 3  # "="
_DEQ: Final = 4  # "=="
_NEQ: Final = 5  # "!="
_IN_WORD: Final = 6  # "in"
_NOTIN_WORD: Final = 7  # "notin"
_OPEN: Final = 8
_CLOSE: Final = 9
_COMMA: Final = 10
_GT: Final = 11
_LT: Final = 12

# Only these four count as whitespace in apimachinery; anything else (e.g. "\v") is part of an
# identifier and then fails key/value validation.
_WHITESPACE: Final = frozenset(" \t\r\n")
_SPECIAL: Final = frozenset("=!(),<>")
_SYMBOLS: Final[dict[str, int]] = {
    "==": _DEQ,
    "!=": _NEQ,
    "=": _EQ,
    "!": _NOT,
    "(": _OPEN,
    ")": _CLOSE,
    ",": _COMMA,
    ">": _GT,
    "<": _LT,
}
_WORDS: Final[dict[str, int]] = {"in": _IN_WORD, "notin": _NOTIN_WORD}


class _Token(NamedTuple):
    kind: int
    text: str
    column: int  # 1-based; len(text) + 1 for end of input


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            tokens.append(_Token(_EOS, "", end + 1))
            return tokens
        if text[pos] in _SPECIAL:
            # Longest match: "==" and "!=" are the only two-character symbols.
            symbol = text[pos : pos + 2]
            if symbol not in _SYMBOLS:
                symbol = text[pos]
            tokens.append(_Token(_SYMBOLS[symbol], symbol, pos + 1))
            pos += len(symbol)
            continue
        start = pos
        while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        tokens.append(_Token(_WORDS.get(word, _IDENT), word, start + 1))


def _describe(token: _Token) -> str:
    return "end of input" if token.kind == _EOS else repr(token.text)


class _Parser:
    """Recursive descent over the token list, in the same order of checks as apimachinery."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def _peek(self, values: bool = True) -> _Token:
        return self._as_value(self.tokens[self.pos], values)

    def _next(self, values: bool = True) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != _EOS:
            self.pos += 1
        return self._as_value(token, values)

    @staticmethod
    def _as_value(token: _Token, values: bool) -> _Token:
        # "in"/"notin" are keywords only where an operator is expected; everywhere else they
        # are ordinary keys or values ("in in (in)" is a valid selector).
        if values and token.kind in (_IN_WORD, _NOTIN_WORD):
            return token._replace(kind=_IDENT)
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        token = self._peek()
        if token.kind == _EOS:
            return requirements
        while True:
            if token.kind not in (_IDENT, _NOT):
                raise SelectorError(
                    f"expected a label key or '!', found {_describe(token)}", column=token.column
                )
            requirements.append(self._requirement())
            token = self._next()
            if token.kind == _EOS:
                return requirements
            if token.kind != _COMMA:
                raise SelectorError(
                    f"expected ',' or end of input, found {_describe(token)}",
                    column=token.column,
                )
            token = self._peek()
            if token.kind not in (_IDENT, _NOT):
                raise SelectorError(
                    f"expected a requirement after ',', found {_describe(token)}",
                    column=token.column,
                )

    def _requirement(self) -> Requirement:
        token = self._next()
        negated = token.kind == _NOT
        if negated:
            token = self._next()
            if token.kind != _IDENT:
                raise SelectorError(
                    f"expected a label key after '!', found {_describe(token)}",
                    column=token.column,
                )
        key = token.text
        if (problem := _key_problem(key)) is not None:
            raise SelectorError(problem, column=token.column)
        if negated:
            # Whatever follows "!key" must be ',' or the end; parse() reports anything else.
            return Requirement(key, DOES_NOT_EXIST)
        if self._peek().kind in (_EOS, _COMMA):
            return Requirement(key, EXISTS)

        token = self._next(values=False)
        if token.kind in (_EQ, _DEQ, _NEQ):
            operator = NOT_IN if token.kind == _NEQ else IN
            values = self._exact_value(token.text)
        elif token.kind in (_IN_WORD, _NOTIN_WORD):
            operator = IN if token.kind == _IN_WORD else NOT_IN
            values = self._value_set(token.text)
        elif token.kind in (_GT, _LT):
            raise SelectorError(
                f"operator {token.text!r} is not supported in a label selector "
                "(use =, ==, !=, in or notin)",
                column=token.column,
            )
        else:
            raise SelectorError(
                f"expected an operator (=, ==, !=, in, notin) after key {key!r}, "
                f"found {_describe(token)}",
                column=token.column,
            )
        for value, column in values:
            if (problem := _value_problem(key, value)) is not None:
                raise SelectorError(problem, column=column)
        return Requirement(key, operator, tuple(value for value, _ in values))

    def _exact_value(self, operator: str) -> list[tuple[str, int]]:
        token = self._peek()
        if token.kind in (_EOS, _COMMA):
            return [("", token.column)]  # "key=" selects the empty value
        token = self._next()
        if token.kind != _IDENT:
            raise SelectorError(
                f"expected a value after {operator!r}, found {_describe(token)}",
                column=token.column,
            )
        return [(token.text, token.column)]

    def _value_set(self, operator: str) -> list[tuple[str, int]]:
        token = self._next()
        if token.kind != _OPEN:
            raise SelectorError(
                f"expected '(' after {operator!r}, found {_describe(token)}", column=token.column
            )
        token = self._peek()
        if token.kind == _CLOSE:
            # apimachinery reads "()" as the one-element set {""}, not as an empty set.
            self._next()
            return [("", token.column)]
        if token.kind not in (_IDENT, _COMMA):
            raise SelectorError(
                f"expected a value, ',' or ')', found {_describe(token)}", column=token.column
            )
        values: list[tuple[str, int]] = []
        while True:
            token = self._next()
            if token.kind == _IDENT:
                values.append((token.text, token.column))
                after = self._peek()
                if after.kind == _CLOSE:
                    self._next()
                    return values
                if after.kind != _COMMA:
                    raise SelectorError(
                        f"expected ',' or ')' after value {token.text!r}, found {_describe(after)}",
                        column=after.column,
                    )
            elif token.kind == _COMMA:
                # A comma with nothing before or after it stands for the empty value:
                # "(,a)", "(a,)" and "(a,,b)" all contain "".
                after = self._peek()
                if not values or after.kind in (_COMMA, _CLOSE):
                    values.append(("", token.column))
                if after.kind == _CLOSE:
                    self._next()
                    return values
            else:
                raise SelectorError(
                    f"expected a value, ',' or ')', found {_describe(token)}",
                    column=token.column,
                )


def parse_selector(text: str) -> Selector:
    """Parse kubectl ``-l`` syntax. Blank text is the empty selector, which matches everything.

    Raises :class:`SelectorError` whose ``column`` points into ``text``.
    """
    return Selector(tuple(_Parser(text).parse()))


# --- structured LabelSelector ------------------------------------------------------------------

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
        if (problem := _key_problem(key)) is not None:
            raise SelectorError(problem, path=(*path, key))
        if not isinstance(value, str):
            # Typically an unquoted YAML number or boolean ("tier: 1", "gpu: true").
            raise SelectorError(
                f"value for label key {key!r} must be a string, not {_type_name(value)} "
                "(quote it in YAML)",
                path=(*path, key),
            )
        if (problem := _value_problem(key, value)) is not None:
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
    if (problem := _key_problem(key)) is not None:
        raise SelectorError(problem, path=(*path, "key"))

    operator = expression.get("operator")
    if not isinstance(operator, str):
        message = (
            "is required" if operator is None else f"must be a string, not {_type_name(operator)}"
        )
        raise SelectorError(message, path=(*path, "operator"))
    if operator not in _CANONICAL_OPERATOR:
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
    if (problem := _arity_problem(operator, raw_values)) is not None:
        raise SelectorError(problem, path=(*path, "values"))
    values: list[str] = []
    for index, value in enumerate(raw_values):
        if not isinstance(value, str):
            raise SelectorError(
                f"must be a string, not {_type_name(value)} (quote it in YAML)",
                path=(*path, "values", index),
            )
        if (problem := _value_problem(key, value)) is not None:
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
        return NOTHING
    if not isinstance(label_selector, Mapping):
        raise SelectorError(f"label selector must be a mapping, not {_type_name(label_selector)}")
    _check_fields(label_selector, _SELECTOR_FIELDS, ())
    return from_structured(
        label_selector.get("matchLabels"), label_selector.get("matchExpressions")
    )
