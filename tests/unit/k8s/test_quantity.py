from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.k8s.quantity import (
    QuantityError,
    _format_bytes,
    format_bytes,
    format_cpu_millis,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Fraction(0)),
        ("1", Fraction(1)),
        ("007", Fraction(7)),
        ("+1", Fraction(1)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("1.", Fraction(1)),
        ("0.1", Fraction(1, 10)),
        ("100m", Fraction(1, 10)),
        ("250m", Fraction(1, 4)),
        ("5n", Fraction(1, 200_000_000)),
        ("3u", Fraction(3, 1_000_000)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(1_000_000)),
        ("1G", Fraction(1_000_000_000)),
        ("1T", Fraction(1_000_000_000_000)),
        ("1P", Fraction(1_000_000_000_000_000)),
        ("1E", Fraction(1_000_000_000_000_000_000)),  # bare "E" is exa, not an exponent
        ("1Ki", Fraction(1024)),
        ("1Mi", Fraction(1_048_576)),
        ("1.5Gi", Fraction(1_610_612_736)),
        ("2Ti", Fraction(2_199_023_255_552)),
        ("1Pi", Fraction(1_125_899_906_842_624)),
        ("1Ei", Fraction(1_152_921_504_606_846_976)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("1E-3", Fraction(1, 1000)),
        ("1e+2", Fraction(100)),
        ("12e0", Fraction(12)),
        ("2.5e-1", Fraction(1, 4)),
    ],
)
def test_parse_quantity_strings(text: str, expected: Fraction) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, Fraction(2)),
        (0, Fraction(0)),
        (0.1, Fraction(1, 10)),  # the decimal the user wrote, not the nearest binary float
        (1.5, Fraction(3, 2)),
        (1e-07, Fraction(1, 10_000_000)),
    ],
)
def test_parse_quantity_numbers(value: int | float, expected: Fraction) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", Fraction(-1)),
        ("-500m", Fraction(-1, 2)),
        ("-1Ki", Fraction(-1024)),
        (-2, Fraction(-2)),
        (-0.5, Fraction(-1, 2)),
    ],
)
def test_negative_quantities_need_opt_in(value: str | int | float, expected: Fraction) -> None:
    assert parse_quantity(value, allow_negative=True) == expected
    with pytest.raises(QuantityError, match="must not be negative"):
        parse_quantity(value)


def test_negative_zero_is_zero() -> None:
    assert parse_quantity("-0") == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "must not be empty"),
        (" 1", "must not contain whitespace"),
        ("1 ", "must not contain whitespace"),
        ("1 Gi", "must not contain whitespace"),
        ("1\n", "must not contain whitespace"),
        ("abc", "must start with a number"),
        ("Gi", "must start with a number"),
        (".", "must start with a number"),
        ("-", "must start with a number"),
        ("+", "must start with a number"),
        ("\u0661", "must start with a number"),  # ARABIC-INDIC DIGIT ONE is not a digit here
        ("1gi", "unknown suffix 'gi'"),
        ("1K", "unknown suffix 'K'"),
        ("1KiB", "unknown suffix 'KiB'"),
        ("1mi", "unknown suffix 'mi'"),
        ("1e", "unknown suffix 'e'"),
        ("1.5.5", "unknown suffix '.5'"),
        ("1e1.5", "unknown suffix 'e1.5'"),
        ("1e101", "exponent 101 is out of range"),
        ("1e-101", "exponent -101 is out of range"),
        (True, "not a boolean"),
        (None, "not NoneType"),
        (float("nan"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
    ],
)
def test_parse_quantity_errors(value: object, reason: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(value)  # type: ignore[arg-type]
    assert reason in str(info.value)
    assert str(info.value).startswith(f"invalid quantity {value!r}: ")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), "0"),
        (Fraction(2), "2"),
        (Fraction(1, 4), "250m"),
        (Fraction(3, 2), "1500m"),
        (Fraction(1, 2000), "0.5m"),
        (Fraction(1, 3), "333.333m"),
        (Fraction(2, 3), "666.667m"),
        (Fraction(-1, 4), "-250m"),
        (Fraction(1, 10**9), "0m"),
    ],
)
def test_format_cpu_millis(value: Fraction, expected: str) -> None:
    assert format_cpu_millis(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), "0 B"),
        (Fraction(100), "100 B"),
        (Fraction(1, 2), "0.5 B"),
        (Fraction(1000), "1000 B"),
        (Fraction(1023), "1023 B"),
        (Fraction(1024), "1 Ki"),
        (Fraction(1536), "1.5 Ki"),
        (Fraction(1152), "1.13 Ki"),  # 1.125 rounds half up
        (Fraction(-1536), "-1.5 Ki"),
        (Fraction(512 * 2**20), "512 Mi"),
        (Fraction(10**9), "953.67 Mi"),
        (Fraction(1_610_612_736), "1.5 Gi"),
        (Fraction(2**30 - 1), "1 Gi"),  # 1023.999999 Mi would round to "1024 Mi"
        (Fraction(1_023_995, 1000), "1 Ki"),
        (Fraction(2**60), "1 Ei"),
        (Fraction(2**70), "1024 Ei"),
    ],
)
def test_format_bytes(value: Fraction, expected: str) -> None:
    assert format_bytes(value) == expected


_UNIT_SIZES = st.sampled_from([2**10, 2**20, 2**30, 2**40, 2**50, 2**60])


@settings(max_examples=400)
@given(st.one_of(
    st.integers(min_value=-(2**72), max_value=2**72),
    # around 1023.99-1024.01 of a unit, where "1024" must read one unit up
    st.builds(lambda size, h, d: size * h // 100 + d, _UNIT_SIZES, st.integers(102_390, 102_410), st.integers(-3, 3)),
    # exactly half a hundredth of a unit, rounded half away from zero
    st.builds(lambda size, j, sign: sign * (size // 8) * (2 * j + 1), _UNIT_SIZES, st.integers(0, 10**6),
              st.sampled_from([1, -1])),
))
def test_format_bytes_of_whole_counts_in_integers_as_in_fractions(n: int) -> None:
    # plan formats whole byte counts without Fraction arithmetic: the same text, to the byte
    assert format_bytes(n) == format_bytes(Fraction(n)) == _format_bytes(Fraction(n))
