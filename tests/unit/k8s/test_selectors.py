from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.k8s.selector_structured import from_structured, label_selector_as_selector
from i4qew.k8s.selector_text import parse_selector
from i4qew.k8s.selectors import (
    Requirement,
    Selector,
    SelectorError,
    everything,
)

Req = tuple[str, str, tuple[str, ...]]


def selects(selector: Selector | None, labels: dict[str, str]) -> bool:
    """Match with nil handling, as callers of label_selector_as_selector must: None selects nothing."""
    return selector is not None and selector.matches(labels)

NAME_63 = "n" * 63
NAME_64 = "n" * 64
PREFIX_253 = ("p" * 63 + ".") * 3 + "p" * 61  # 4 * 63 + 1 = 253 characters
PREFIX_254 = PREFIX_253 + "p"


def _reqs(selector: Selector) -> list[Req]:
    return [(r.key, r.operator, r.values) for r in selector.requirements]


def test_prefix_fixture_lengths() -> None:
    assert (len(PREFIX_253), len(PREFIX_254), len(NAME_63), len(NAME_64)) == (253, 254, 63, 64)


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        (" \t\r\n ", []),
        ("a", [("a", "Exists", ())]),
        ("!a", [("a", "DoesNotExist", ())]),
        ("! a", [("a", "DoesNotExist", ())]),
        ("a=b", [("a", "In", ("b",))]),
        ("a==b", [("a", "In", ("b",))]),
        ("a = b", [("a", "In", ("b",))]),
        ("a!=b", [("a", "NotIn", ("b",))]),
        ("a=", [("a", "In", ("",))]),
        ("a==", [("a", "In", ("",))]),
        ("a!=", [("a", "NotIn", ("",))]),
        ("a=,b", [("a", "In", ("",)), ("b", "Exists", ())]),
        ("a in (b,c)", [("a", "In", ("b", "c"))]),
        ("a in (c, b, c)", [("a", "In", ("b", "c"))]),
        ("a notin(b)", [("a", "NotIn", ("b",))]),
        ("a notin (b, c)", [("a", "NotIn", ("b", "c"))]),
        # apimachinery reads "()" as {""} and turns bare commas into empty values.
        ("a in ()", [("a", "In", ("",))]),
        ("a notin ()", [("a", "NotIn", ("",))]),
        ("a in (,b)", [("a", "In", ("", "b"))]),
        ("a in (b,)", [("a", "In", ("", "b"))]),
        ("a in (b,,c)", [("a", "In", ("", "b", "c"))]),
        ("a in (,)", [("a", "In", ("",))]),
        # "in"/"notin" are keywords only in operator position.
        ("in in (in)", [("in", "In", ("in",))]),
        ("notin notin (notin, in)", [("notin", "NotIn", ("in", "notin"))]),
        ("!in", [("in", "DoesNotExist", ())]),
        ("in", [("in", "Exists", ())]),
        ("a=in", [("a", "In", ("in",))]),
        ("example.com/key=v", [("example.com/key", "In", ("v",))]),
        ("example.com/key", [("example.com/key", "Exists", ())]),
        ("!example.com/key", [("example.com/key", "DoesNotExist", ())]),
        ("A.b_c-D=E.f_G-h", [("A.b_c-D", "In", ("E.f_G-h",))]),
        ("b=1,a=2", [("a", "In", ("2",)), ("b", "In", ("1",))]),
        ("a=1,a=1", [("a", "In", ("1",))]),
        ("a==1, a in (1)", [("a", "In", ("1",))]),
        ("a,!a", [("a", "DoesNotExist", ()), ("a", "Exists", ())]),
        (
            "x in (a),x notin (b),x=c",
            [("x", "In", ("a",)), ("x", "In", ("c",)), ("x", "NotIn", ("b",))],
        ),
        (
            "  tier   in  ( gold ,  silver ) ,  !legacy  ",
            [("legacy", "DoesNotExist", ()), ("tier", "In", ("gold", "silver"))],
        ),
        ("\tzone\n=\r\neu-1", [("zone", "In", ("eu-1",))]),
        (NAME_63, [(NAME_63, "Exists", ())]),
        (f"{PREFIX_253}/{NAME_63}", [(f"{PREFIX_253}/{NAME_63}", "Exists", ())]),
        (f"a={NAME_63}", [("a", "In", (NAME_63,))]),
    ],
)
def test_parse(text: str, expected: list[Req]) -> None:
    assert _reqs(parse_selector(text)) == expected


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a,", 3, "expected a requirement after ',', found end of input"),
        (",a", 1, "expected a label key or '!', found ','"),
        ("(a)", 1, "expected a label key or '!', found '('"),
        ("a=b,,c", 5, "expected a requirement after ',', found ','"),
        ("a b", 3, "expected an operator (=, ==, !=, in, notin) after key 'a', found 'b'"),
        ("  key with spaces", 7, "after key 'key', found 'with'"),
        ("a!b", 2, "after key 'a', found '!'"),
        ("a=b c", 5, "expected ',' or end of input, found 'c'"),
        ("a=b=c", 4, "expected ',' or end of input, found '='"),
        ("!", 2, "expected a label key after '!', found end of input"),
        ("!a=b", 3, "expected ',' or end of input, found '='"),
        ("a in b", 6, "expected '(' after 'in', found 'b'"),
        ("a notin", 8, "expected '(' after 'notin', found end of input"),
        ("a in (b", 8, "expected ',' or ')' after value 'b', found end of input"),
        ("a in (b c)", 9, "expected ',' or ')' after value 'b', found 'c'"),
        ("a in (b,", 9, "expected a value, ',' or ')', found end of input"),
        ("a in (=)", 7, "expected a value, ',' or ')', found '='"),
        ("a in (b)(", 9, "expected ',' or end of input, found '('"),
        ("a=(", 3, "expected a value after '=', found '('"),
        ("a===", 4, "expected a value after '==', found '='"),
        ("a!=!", 4, "expected a value after '!=', found '!'"),
        ("a>1", 2, "operator '>' is not supported in a label selector"),
        ("a<1", 2, "operator '<' is not supported in a label selector"),
        ("Ab/c", 1, "invalid label key 'Ab/c': prefix part must consist of lower case"),
        ("a/b/c", 1, "invalid label key 'a/b/c'"),
        ("-a", 1, "invalid label key '-a'"),
        ("a\vb", 1, "invalid label key 'a\\x0bb'"),  # only space, \t, \r, \n are whitespace
        (
            NAME_64,
            1,
            f"invalid label key '{NAME_64}': name part must be at most 63 characters (has 64)",
        ),
        (f"x,{PREFIX_254}/k", 3, "prefix part must be at most 253 characters (has 254)"),
        ("a=b@", 3, "invalid value 'b@' for label key 'a'"),
        (f"a={NAME_64}", 3, "for label key 'a': must be at most 63 characters (has 64)"),
        ("x, y in (a, b@d)", 13, "invalid value 'b@d' for label key 'y'"),
        ("x, !y, z notin (ok, -bad)", 21, "invalid value '-bad' for label key 'z'"),
    ],
)
def test_parse_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    error = info.value
    assert error.column == column
    assert message in error.message
    assert str(error) == f"column {column}: {error.message}"
    assert error.path == ()
    assert isinstance(error, ValueError)


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", {}, True),
        ("", {"a": "b"}, True),
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a=b", {}, False),
        ("a=B", {"a": "b"}, False),
        ("a!=b", {}, True),  # absent key satisfies !=
        ("a!=b", {"a": "b"}, False),
        ("a!=b", {"a": "c"}, True),
        ("a in (b,c)", {"a": "c"}, True),
        ("a in (b,c)", {"a": "d"}, False),
        ("a in (b,c)", {}, False),
        ("a notin (b,c)", {}, True),  # absent key satisfies notin
        ("a notin (b,c)", {"a": "c"}, False),
        ("a notin (b,c)", {"a": "d"}, True),
        ("a", {"a": ""}, True),
        ("a", {"b": "a"}, False),
        ("!a", {}, True),
        ("!a", {"a": ""}, False),
        ("a=", {"a": ""}, True),
        ("a=", {}, False),
        ("a=", {"a": "x"}, False),
        ("a!=", {}, True),
        ("a!=", {"a": ""}, False),
        ("a!=", {"a": "x"}, True),
        ("a in ()", {"a": ""}, True),
        ("a in ()", {"a": "x"}, False),
        ("a=b,c!=d", {"a": "b"}, True),
        ("a=b,c!=d", {"a": "b", "c": "d"}, False),
        ("a=b,c!=d", {"c": "e"}, False),
        ("a,!a", {"a": "x"}, False),
        ("a,!a", {}, False),
        ("example.com/tier=gold", {"example.com/tier": "gold"}, True),
        ("example.com/tier=gold", {"tier": "gold"}, False),
        ("tier in (gold,silver),!legacy", {"tier": "silver", "zone": "x"}, True),
        ("tier in (gold,silver),!legacy", {"tier": "silver", "legacy": "true"}, False),
    ],
)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("requirement", "labels", "expected"),
    [
        (Requirement("a", "In", ("x", "y")), {"a": "y"}, True),
        (Requirement("a", "In", ("x", "y")), {}, False),
        (Requirement("a", "NotIn", ("x",)), {}, True),
        (Requirement("a", "NotIn", ("x",)), {"a": "x"}, False),
        (Requirement("a", "Exists"), {"a": "1"}, True),
        (Requirement("a", "Exists"), {}, False),
        (Requirement("a", "DoesNotExist"), {}, True),
        (Requirement("a", "DoesNotExist"), {"a": "1"}, False),
    ],
)
def test_requirement_matches(
    requirement: Requirement, labels: dict[str, str], expected: bool
) -> None:
    assert requirement.matches(labels) is expected


def test_nil_selects_nothing_and_empty_selects_everything() -> None:
    assert selects(None, {}) is False
    assert selects(None, {"a": "b"}) is False
    assert selects(everything(), {}) is True
    assert selects(everything(), {"a": "b"}) is True
    assert everything().is_empty()
    assert bool(everything()) is True  # must never be confused with the nil selector
    assert parse_selector("  ") == everything()
    assert label_selector_as_selector(None) is None
    assert label_selector_as_selector({}) == everything()
    assert label_selector_as_selector({"matchLabels": {}, "matchExpressions": []}) == everything()
    assert not parse_selector("a").is_empty()


# --- canonical form -----------------------------------------------------------------------------


def test_requirement_canonicalises_values() -> None:
    requirement = Requirement("a", "In", ("c", "b", "c"))
    assert requirement.values == ("b", "c")
    assert requirement == Requirement("a", "In", ("b", "c"))
    assert hash(requirement) == hash(Requirement("a", "In", ("c", "b")))


@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        ("a", "in", ("b",), "unsupported operator 'in'"),
        ("a", "Equals", ("b",), "unsupported operator 'Equals'"),
        ("a", "In", (), "values must not be empty for operator In"),
        ("a", "NotIn", (), "values must not be empty for operator NotIn"),
        ("a", "Exists", ("x",), "values must be empty for operator Exists"),
        ("a", "DoesNotExist", ("x",), "values must be empty for operator DoesNotExist"),
        ("Bad Key", "Exists", (), "invalid label key 'Bad Key'"),
        ("a", "In", ("ok", "not ok"), "invalid value 'not ok' for label key 'a'"),
    ],
)
def test_requirement_validation(
    key: str, operator: str, values: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SelectorError, match=message):
        Requirement(key, operator, values)


def test_selector_sorts_and_deduplicates() -> None:
    b = Requirement("b", "Exists")
    a_in = Requirement("a", "In", ("1",))
    a_exists = Requirement("a", "Exists")
    selector = Selector((b, a_in, b, a_exists))
    assert selector.requirements == (a_exists, a_in, b)
    assert selector == Selector((a_exists, a_in, b))


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("", "", ""),
        ("a=1", "", "a=1"),
        ("", "a=1", "a=1"),
        ("b=1", "a=2", "a=2,b=1"),
        ("b=1", "a=2,b=1", "a=2,b=1"),
        ("a=1", "a!=2", "a=1,a!=2"),
    ],
)
def test_and(left: str, right: str, expected: str) -> None:
    combined = parse_selector(left).and_(parse_selector(right))
    assert combined.to_text() == expected
    assert combined == parse_selector(expected)


# --- to_text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        (" a = b ", "a=b"),
        ("a==b", "a=b"),
        ("a in (b)", "a=b"),
        ("a notin (x)", "a!=x"),
        ("b, a", "a,b"),
        ("a in (c,b)", "a in (b,c)"),
        ("a in ()", "a="),
        ("a notin ()", "a!="),
        ("a in (b,,c)", "a in (,b,c)"),
        ("! a", "!a"),
        ("z=1,!y,x notin (p,q),w", "w,x notin (p,q),!y,z=1"),
        ("in in (in, notin)", "in in (in,notin)"),
        ("example.com/k in (v2, v1)", "example.com/k in (v1,v2)"),
    ],
)
def test_to_text(text: str, expected: str) -> None:
    selector = parse_selector(text)
    assert selector.to_text() == expected
    assert str(selector) == expected
    assert parse_selector(expected) == selector


# --- structured form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("a=b", {"matchLabels": {"a": "b"}}),
        ("a=", {"matchLabels": {"a": ""}}),
        ("b=2,a=1", {"matchLabels": {"a": "1", "b": "2"}}),
        (
            "a=b,c in (e,d)",
            {
                "matchLabels": {"a": "b"},
                "matchExpressions": [{"key": "c", "operator": "In", "values": ["d", "e"]}],
            },
        ),
        (
            # matchLabels can hold only one value per key, so both stay expressions.
            "a=1,a=2",
            {
                "matchExpressions": [
                    {"key": "a", "operator": "In", "values": ["1"]},
                    {"key": "a", "operator": "In", "values": ["2"]},
                ]
            },
        ),
        (
            "a=1,a in (1,2)",
            {
                "matchExpressions": [
                    {"key": "a", "operator": "In", "values": ["1"]},
                    {"key": "a", "operator": "In", "values": ["1", "2"]},
                ]
            },
        ),
        (
            "a=1,a!=2",
            {
                "matchLabels": {"a": "1"},
                "matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["2"]}],
            },
        ),
        (
            "x,!y,z notin (q)",
            {
                "matchExpressions": [
                    {"key": "x", "operator": "Exists"},
                    {"key": "y", "operator": "DoesNotExist"},
                    {"key": "z", "operator": "NotIn", "values": ["q"]},
                ]
            },
        ),
    ],
)
def test_to_structured(text: str, expected: dict[str, Any]) -> None:
    selector = parse_selector(text)
    structured = selector.to_structured()
    assert structured == expected
    assert list(structured.get("matchLabels", {})) == sorted(expected.get("matchLabels", {}))
    back = from_structured(structured.get("matchLabels"), structured.get("matchExpressions"))
    assert back == selector


@pytest.mark.parametrize(
    ("match_labels", "match_expressions", "expected_text"),
    [
        (None, None, ""),
        ({}, [], ""),
        ({"app": "web"}, None, "app=web"),
        ({"a": ""}, None, "a="),
        (None, [{"key": "tier", "operator": "In", "values": ["b", "a"]}], "tier in (a,b)"),
        (None, ({"key": "tier", "operator": "NotIn", "values": ("x",)},), "tier!=x"),
        (None, [{"key": "gpu", "operator": "Exists"}], "gpu"),
        (None, [{"key": "gpu", "operator": "Exists", "values": []}], "gpu"),
        (None, [{"key": "gpu", "operator": "DoesNotExist", "values": None}], "!gpu"),
        ({"a": "1"}, [{"key": "a", "operator": "NotIn", "values": ["2"]}], "a=1,a!=2"),
        (
            {"example.com/zone": "eu"},
            [{"key": "node.kubernetes.io/gpu", "operator": "In", "values": ["a100", "h100"]}],
            "example.com/zone=eu,node.kubernetes.io/gpu in (a100,h100)",
        ),
    ],
)
def test_from_structured(
    match_labels: object, match_expressions: object, expected_text: str
) -> None:
    selector = from_structured(match_labels, match_expressions)
    assert selector.to_text() == expected_text


def _expr(**fields: object) -> dict[str, object]:
    return dict(fields)


@pytest.mark.parametrize(
    ("match_labels", "match_expressions", "path", "message"),
    [
        ([], None, ("matchLabels",), "must be a mapping of label keys to values, not list"),
        ({1: "a"}, None, ("matchLabels",), "label key 1 must be a string"),
        ({"a": 1}, None, ("matchLabels", "a"), "must be a string, not int (quote it in YAML)"),
        ({"a": True}, None, ("matchLabels", "a"), "must be a string, not bool"),
        ({"a": None}, None, ("matchLabels", "a"), "must be a string, not null"),
        ({"Bad Key": "x"}, None, ("matchLabels", "Bad Key"), "invalid label key 'Bad Key'"),
        ({"a": "b c"}, None, ("matchLabels", "a"), "invalid value 'b c' for label key 'a'"),
        (None, {"key": "a"}, ("matchExpressions",), "must be a list, not dict"),
        (None, "a=b", ("matchExpressions",), "must be a list, not str"),
        (None, ["a"], ("matchExpressions", 0), "must be a mapping"),
        (None, [_expr(operator="Exists")], ("matchExpressions", 0, "key"), "is required"),
        (
            None,
            [_expr(key=5, operator="Exists")],
            ("matchExpressions", 0, "key"),
            "must be a string, not int",
        ),
        (
            None,
            [_expr(key="a/b/c", operator="Exists")],
            ("matchExpressions", 0, "key"),
            "invalid label key 'a/b/c'",
        ),
        (None, [_expr(key="a")], ("matchExpressions", 0, "operator"), "is required"),
        (
            None,
            [_expr(key="a", operator="in", values=["b"])],
            ("matchExpressions", 0, "operator"),
            "'in' is not a valid label selector operator",
        ),
        (
            None,
            [_expr(key="a", operator="Gt", values=["1"])],
            ("matchExpressions", 0, "operator"),
            "'Gt' is not a valid label selector operator",
        ),
        (
            None,
            [_expr(key="a", operator="In")],
            ("matchExpressions", 0, "values"),
            "values must not be empty for operator In",
        ),
        (
            None,
            [_expr(key="a", operator="NotIn", values=[])],
            ("matchExpressions", 0, "values"),
            "values must not be empty for operator NotIn",
        ),
        (
            None,
            [_expr(key="a", operator="Exists", values=["x"])],
            ("matchExpressions", 0, "values"),
            "values must be empty for operator Exists",
        ),
        (
            None,
            [_expr(key="a", operator="In", values="b")],
            ("matchExpressions", 0, "values"),
            "must be a list of strings, not str",
        ),
        (
            None,
            [
                _expr(key="ok", operator="Exists"),
                _expr(key="a", operator="In", values=["ok", 3]),
            ],
            ("matchExpressions", 1, "values", 1),
            "must be a string, not int",
        ),
        (
            None,
            [_expr(key="a", operator="In", values=["x" * 64])],
            ("matchExpressions", 0, "values", 0),
            "must be at most 63 characters (has 64)",
        ),
        (
            None,
            [_expr(key="a", operator="Exists", value=["x"])],
            ("matchExpressions", 0, "value"),
            "unknown field",
        ),
    ],
)
def test_from_structured_errors(
    match_labels: object,
    match_expressions: object,
    path: tuple[str | int, ...],
    message: str,
) -> None:
    with pytest.raises(SelectorError) as info:
        from_structured(match_labels, match_expressions)
    assert info.value.path == path
    assert message in info.value.message
    assert info.value.column == 0


def test_structured_error_text_names_the_field() -> None:
    with pytest.raises(SelectorError) as info:
        from_structured(None, [{"key": "a", "operator": "In", "values": []}])
    assert str(info.value) == (
        "matchExpressions[0].values: values must not be empty for operator In"
    )


@pytest.mark.parametrize(
    ("label_selector", "path", "message"),
    [
        ("a=b", (), "label selector must be a mapping, not str"),
        ({"matchLabel": {"a": "b"}}, ("matchLabel",), "unknown field"),
        ({"matchLabels": {"a": 1}}, ("matchLabels", "a"), "must be a string, not int"),
    ],
)
def test_label_selector_as_selector_errors(
    label_selector: object, path: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(SelectorError) as info:
        label_selector_as_selector(label_selector)
    assert info.value.path == path
    assert message in info.value.message


def test_label_selector_as_selector() -> None:
    selector = label_selector_as_selector(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
        }
    )
    assert selector is not None
    assert selector.to_text() == "app=web,tier!=db"
    assert selects(selector, {"app": "web"}) is True
    assert selects(selector, {"app": "web", "tier": "db"}) is False


# --- property: text and structured forms round-trip ---------------------------------------------

_names = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", fullmatch=True)
_prefixes = st.from_regex(
    r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?){0,3}",
    fullmatch=True,
)
_keywords = st.sampled_from(["in", "notin"])
_keys = st.one_of(_names, _keywords, st.builds(lambda p, n: f"{p}/{n}", _prefixes, _names))
_values = st.one_of(st.just(""), _names, _keywords)
_requirements = st.one_of(
    st.builds(Requirement, _keys, st.sampled_from(["Exists", "DoesNotExist"])),
    st.builds(
        lambda key, op, values: Requirement(key, op, tuple(values)),
        _keys,
        st.sampled_from(["In", "NotIn"]),
        st.lists(_values, min_size=1, max_size=4),
    ),
)
_selectors = st.builds(lambda rs: Selector(tuple(rs)), st.lists(_requirements, max_size=6))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_selectors)
def test_text_and_structured_round_trip(selector: Selector) -> None:
    assert parse_selector(selector.to_text()) == selector
    structured = selector.to_structured()
    assert (
        from_structured(structured.get("matchLabels"), structured.get("matchExpressions"))
        == selector
    )
