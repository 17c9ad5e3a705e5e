"""The kubectl text syntax of label selectors (``labels.Parse`` of k8s.io/apimachinery),
parsed into the model of ``selectors.py`` with errors that point at a column."""

from __future__ import annotations

from typing import Final, NamedTuple

from i4qew.k8s.selectors import (
    DOES_NOT_EXIST,
    EXISTS,
    IN,
    NOT_IN,
    Requirement,
    Selector,
    SelectorError,
    key_problem,
    value_problem,
)

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
        if (problem := key_problem(key)) is not None:
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
            if (problem := value_problem(key, value)) is not None:
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
