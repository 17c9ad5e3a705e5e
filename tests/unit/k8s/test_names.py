from __future__ import annotations

import pytest

from i4qew.k8s.names import (
    dns1123_label,
    dns1123_subdomain,
    env_var_name,
    label_key,
    label_value,
    port_name,
    short_name,
)

_CHARSET_LABEL = (
    "must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_CHARSET_SUBDOMAIN = (
    "must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_CHARSET_QUALIFIED = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", None),
        ("web-1", None),
        ("0abc", None),
        ("a" * 63, None),
        ("", "must not be empty"),
        ("a" * 64, "must be at most 63 characters (has 64)"),
        ("A" * 70, "must be at most 63 characters (has 70); " + _CHARSET_LABEL),
        ("Web", _CHARSET_LABEL),
        ("-web", _CHARSET_LABEL),
        ("web-", _CHARSET_LABEL),
        ("web.app", _CHARSET_LABEL),
        ("web_app", _CHARSET_LABEL),
        ("web\n", _CHARSET_LABEL),  # a trailing newline must not slip through the anchor
    ],
)
def test_dns1123_label(text: str, expected: str | None) -> None:
    assert dns1123_label(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", None),
        ("a.b-c.d", None),
        ("a" * 64 + ".com", None),  # only the whole subdomain is bounded, not each part
        ("a" * 253, None),
        ("a" * 254, "must be at most 253 characters (has 254)"),
        ("", "must not be empty"),
        ("example..com", _CHARSET_SUBDOMAIN),
        (".example.com", _CHARSET_SUBDOMAIN),
        ("example.com.", _CHARSET_SUBDOMAIN),
        ("a-.b", _CHARSET_SUBDOMAIN),
        ("Example.com", _CHARSET_SUBDOMAIN),
    ],
)
def test_dns1123_subdomain(text: str, expected: str | None) -> None:
    assert dns1123_subdomain(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app", None),
        ("App_Name.v1-x", None),
        ("example.com/key", None),
        ("k8s.io/Some_Key", None),
        ("a" * 63, None),
        ("p" * 253 + "/" + "n" * 63, None),
        ("a" * 64, "name part must be at most 63 characters (has 64)"),
        ("", "name part must not be empty"),
        ("example.com/", "name part must not be empty"),
        ("/key", "prefix part must not be empty"),
        ("p" * 254 + "/key", "prefix part must be at most 253 characters (has 254)"),
        ("Example.com/key", "prefix part " + _CHARSET_SUBDOMAIN),
        ("a/b/c", "must be a name with an optional DNS subdomain prefix and a single '/'"),
        ("-key", "name part " + _CHARSET_QUALIFIED),
        ("key_", "name part " + _CHARSET_QUALIFIED),
        ("key with space", "name part " + _CHARSET_QUALIFIED),
        (
            "Bad_/" + "x" * 64,
            "prefix part "
            + _CHARSET_SUBDOMAIN
            + "; name part must be at most 63 characters (has 64)",
        ),
    ],
)
def test_label_key(text: str, expected: str | None) -> None:
    assert label_key(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("v1", None),
        ("A.b_c-D", None),
        ("9", None),
        ("x" * 63, None),
        ("x" * 64, "must be at most 63 characters (has 64)"),
        ("-v", _CHARSET_QUALIFIED),
        ("v.", _CHARSET_QUALIFIED),
        ("a/b", _CHARSET_QUALIFIED),
        ("with space", _CHARSET_QUALIFIED),
        ("ünïcode", _CHARSET_QUALIFIED),
    ],
)
def test_label_value(text: str, expected: str | None) -> None:
    assert label_value(text) == expected


_ENV_CHARSET = (
    "must consist of alphabetic characters, digits, '_', '-' or '.', "
    "and must not start with a digit"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PATH", None),
        ("my.env-name", None),
        ("_private", None),
        ("MyEnvName1", None),
        ("-dash-first", None),
        ("1ABC", _ENV_CHARSET),
        ("", _ENV_CHARSET),
        ("A=B", _ENV_CHARSET),
        ("A B", _ENV_CHARSET),
        (".", "must not be '.'"),
        ("..", "must not be '..'"),
        ("..hidden", "must not start with '..'"),
        (".hidden", None),
    ],
)
def test_env_var_name(text: str, expected: str | None) -> None:
    assert env_var_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http", None),
        ("grpc-web", None),
        ("h2c", None),
        ("a" * 15, None),
        ("a" * 16, "must be at most 15 characters (has 16)"),
        ("8080", "must contain at least one letter (a-z)"),
        (
            "",
            "must contain only lower case alphanumeric characters and '-'; "
            "must contain at least one letter (a-z)",
        ),
        (
            "HTTP",
            "must contain only lower case alphanumeric characters and '-'; "
            "must contain at least one letter (a-z)",
        ),
        ("grpc--web", "must not contain consecutive hyphens"),
        ("-http", "must not begin or end with a hyphen"),
        ("http-", "must not begin or end with a hyphen"),
        ("my_port", "must contain only lower case alphanumeric characters and '-'"),
    ],
)
def test_port_name(text: str, expected: str | None) -> None:
    assert port_name(text) == expected


@pytest.mark.parametrize(
    ("base", "max_len", "parts", "expected"),
    [
        ("web", 63, (), "web"),
        ("a" * 20, 20, (), "a" * 20),
        ("a" * 20, 12, (), "aaa-42492da0"),
        # The cut lands right after a separator, which must not survive before the suffix.
        ("abcd-efghijklmnop", 14, (), "abcd-e8b1eedf"),
        ("abcd.efghijklmnop", 14, (), "abcd-20dd31f8"),
        ("-" * 21, 12, (), "fc0e1c1c"),
        (
            "my-very-long-deployment-name-for-the-edge-gpu-inference-workload-v2",
            63,
            (),
            "my-very-long-deployment-name-for-the-edge-gpu-inferenc-231f090d",
        ),
        ("web", 63, ("gpu", "", "v1"), "web-gpu-v1"),
        ("web", 20, ("gpu", "inference", "service"), "web-gpu-inf-8b9b3c3d"),
    ],
)
def test_short_name(base: str, max_len: int, parts: tuple[str, ...], expected: str) -> None:
    result = short_name(base, max_len, *parts)
    assert result == expected
    assert len(result) <= max_len
    assert dns1123_label(result) is None


def test_short_name_is_deterministic_and_distinguishes_shared_prefixes() -> None:
    first = short_name("x" * 70 + "-alpha", 63)
    second = short_name("x" * 70 + "-beta", 63)
    assert first == short_name("x" * 70 + "-alpha", 63)
    assert first[:54] == second[:54]
    assert first != second


def test_short_name_rejects_too_small_limit() -> None:
    with pytest.raises(ValueError, match="at least 9"):
        short_name("a" * 20, 8)
