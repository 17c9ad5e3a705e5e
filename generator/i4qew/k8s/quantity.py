"""Kubernetes resource quantities (``500m``, ``1.5Gi``, ``1e3``) as exact fractions.

Values are kept as :class:`fractions.Fraction` so that sums of requests across many workloads
never pick up float rounding: ``100m`` three times is exactly ``3/10`` of a core.

Grammar (k8s.io/apimachinery/pkg/api/resource)::

    quantity  ::= [sign] number [suffix]
    number    ::= digits | digits "." [digits] | "." digits
    suffix    ::= binarySI | decimalSI | ("e" | "E") [sign] digits
    binarySI  ::= Ki | Mi | Gi | Ti | Pi | Ei
    decimalSI ::= n | u | m | k | M | G | T | P | E

Deliberately stricter than Kubernetes in one place: a mantissa without any digit (".", "-")
is an error here, whereas the Go scanner quietly reads it as zero.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

__all__ = [
    "QuantityError",
    "format_bytes",
    "format_cpu_millis",
    "parse_quantity",
]

MAX_DIGITS: Final = 64
_NUMBER_RE: Final = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)", re.DOTALL)
_EXPONENT_RE: Final = re.compile(r"[eE]([+-]?[0-9]+)")
# Bounds the work a hostile "1e999999999" can cause; real quantities stay within 10^±18.
_MAX_EXPONENT: Final = 100

_BINARY_SUFFIXES: Final[dict[str, int]] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_DECIMAL_SUFFIXES: Final[dict[str, Fraction]] = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
# Largest first, for picking the display unit; plain bytes are the fallback.
_BYTE_UNITS: Final[tuple[tuple[str, int], ...]] = (
    *sorted(_BINARY_SUFFIXES.items(), key=lambda kv: -kv[1]),
    ("B", 1),
)


class QuantityError(ValueError):
    """Raised for a string that is not a valid Kubernetes quantity."""

    def __init__(self, value: object, reason: str) -> None:
        super().__init__(f"invalid quantity {value!r}: {reason}")
        self.value = value
        self.reason = reason


def _multiplier(text: str, suffix: str) -> Fraction:
    if suffix in _DECIMAL_SUFFIXES:
        return _DECIMAL_SUFFIXES[suffix]
    if suffix in _BINARY_SUFFIXES:
        return Fraction(_BINARY_SUFFIXES[suffix])
    # "E" alone is exa and was handled above; "E3"/"e-3" is a decimal exponent.
    match = _EXPONENT_RE.fullmatch(suffix)
    if match is None:
        raise QuantityError(
            text,
            f"unknown suffix {suffix if len(suffix) <= 20 else suffix[:19] + '…'!r} (expected one of Ki Mi Gi Ti Pi Ei, "
            "n u m k M G T P E, or an exponent such as e3)",
        )
    exponent = int(match.group(1))
    if abs(exponent) > _MAX_EXPONENT:
        raise QuantityError(text, f"exponent {exponent} is out of range")
    return Fraction(10) ** exponent


def parse_quantity(s: str | int | float, *, allow_negative: bool = False) -> Fraction:
    """Parse a quantity into an exact :class:`Fraction` of the base unit (cores, bytes, ...).

    Plain ``int``/``float`` values (as YAML produces for ``cpu: 2``) are accepted; floats are
    read through their shortest decimal repr so ``0.1`` means exactly one tenth.
    """
    if isinstance(s, bool):
        # bool is an int subclass; "cpu: true" is a mistake, not 1 core.
        raise QuantityError(s, "must be a number or string, not a boolean")
    if isinstance(s, int):
        value = Fraction(s)
    elif isinstance(s, float):
        if not math.isfinite(s):
            raise QuantityError(s, "must be a finite number")
        value = Fraction(repr(s))
    elif isinstance(s, str):
        value = _parse_text(s)
    else:
        raise QuantityError(s, f"must be a number or string, not {type(s).__name__}")
    if value < 0 and not allow_negative:
        raise QuantityError(s, "must not be negative")
    return value


def _parse_text(text: str) -> Fraction:
    if not text:
        raise QuantityError(text, "must not be empty")
    if any(ch.isspace() for ch in text):
        raise QuantityError(text, "must not contain whitespace (write 1.5Gi, not 1.5 Gi)")
    match = _NUMBER_RE.fullmatch(text)
    if match is None:
        raise QuantityError(text, "must start with a number (e.g. 100m, 1.5Gi, 2)")
    sign, number, suffix = match.groups()
    if len(number) > MAX_DIGITS:
        # far beyond any quantity Kubernetes can hold, and Python refuses to turn
        # 4,300 digits into an int
        raise QuantityError(text[:MAX_DIGITS] + "…", f"has more than {MAX_DIGITS} digits")
    magnitude = Fraction(number) * _multiplier(text, suffix)
    return -magnitude if sign == "-" else magnitude


def _round_decimal(value: Fraction, places: int) -> str:
    """Format with at most ``places`` decimals, rounding half away from zero, no trailing 0s."""
    scale = 10**places
    units = math.floor(abs(value) * scale + Fraction(1, 2))
    whole, frac = divmod(units, scale)
    text = str(whole)
    if frac:
        text += "." + str(frac).rjust(places, "0").rstrip("0")
    return "-" + text if value < 0 and units else text


def format_cpu_millis(value: Fraction) -> str:
    """Render CPU cores for reports: whole cores as ``"2"``, anything else in millicores.

    Examples: ``Fraction(1, 4)`` -> ``"250m"``, ``Fraction(3, 2)`` -> ``"1500m"``,
    ``Fraction(1, 2000)`` -> ``"0.5m"``.
    """
    if value.denominator == 1:
        return str(value.numerator)
    return _round_decimal(value * 1000, 3) + "m"


def format_bytes(value: Fraction | int) -> str:
    """Render a byte count with the largest fitting binary unit, e.g. ``"1.5 Gi"``, ``"512 B"``."""
    if isinstance(value, int) or value.denominator == 1:
        return _format_whole_bytes(int(value))
    return _format_bytes(value)


def _byte_unit(magnitude: Fraction | int) -> int:
    return next(
        (i for i, (_, size) in enumerate(_BYTE_UNITS) if magnitude >= size),
        len(_BYTE_UNITS) - 1,
    )


def _format_bytes(value: Fraction) -> str:
    index = _byte_unit(abs(value))
    name, size = _BYTE_UNITS[index]
    text = _round_decimal(value / size, 2)
    # 1023.999 Mi rounds to "1024"; report it as 1 Gi instead.
    if index > 0 and abs(Fraction(text)) >= 1024:
        name, size = _BYTE_UNITS[index - 1]
        text = _round_decimal(value / size, 2)
    return f"{text} {name}"


def _format_whole_bytes(value: int) -> str:
    """_format_bytes(Fraction(value)) in integer arithmetic: a plan formats tens of thousands
    of byte counts (issue 17's 5x: 47,000), and Fraction arithmetic made that seconds."""
    magnitude = abs(value)
    index = _byte_unit(magnitude)
    name, size = _BYTE_UNITS[index]
    hundredths = (200 * magnitude + size) // (2 * size)  # rounded half away from zero
    if index > 0 and hundredths >= 102400:  # 1023.999 Mi rounds to 1024: 1 Gi instead
        name, size = _BYTE_UNITS[index - 1]
        hundredths = (200 * magnitude + size) // (2 * size)
    whole, frac = divmod(hundredths, 100)
    text = f"{whole}.{frac:02d}".rstrip("0") if frac else str(whole)
    return f"{'-' if value < 0 and hundredths else ''}{text} {name}"
