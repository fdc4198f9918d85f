"""Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): parse "250m", "1.5", "128Mi", "1e3",
read them as CPU millicores or memory bytes (both rounded up, as MilliValue()/Value() do), and canonicalize them
the way the API server serializes them ("0.5" -> "500m", "1024Mi" -> "1Gi")."""
from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation, localcontext

FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
SUFFIX_ERROR = "unable to parse quantity's suffix"
NUMERIC_ERROR = "unable to parse numeric part of quantity"

_FORMAT = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_NUMBER = re.compile(r"^[+-]?[0-9]*(?:\.[0-9]*)?")
_EXPONENT = re.compile(r"^[eE]([-+]?[0-9]+)$")
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_BINARY_SUFFIX = {v: k for k, v in _BINARY.items()}
_NANO = Decimal("1e-9")


class QuantityError(ValueError):
    """A malformed quantity; str() is the API server's message."""


def _to_text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise QuantityError(FORMAT_ERROR)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(FORMAT_ERROR)
        return repr(value).replace("e+", "e")
    return str(value)


def parse(value) -> tuple[Decimal, str]:
    """(value, format) where format is "DecimalSI", "BinarySI" or "DecimalExponent"; raises QuantityError."""
    text = _to_text(value).strip()
    match = _FORMAT.match(text)
    if not text or not match:
        raise QuantityError(FORMAT_ERROR)
    # Like the Go scanner: sign, digits, one '.', digits; whatever follows is the suffix.
    number = _NUMBER.match(text).group(0)
    suffix = text[len(number):]
    if number.lstrip("+-") in (".", ""):
        raise QuantityError(NUMERIC_ERROR)
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise QuantityError(NUMERIC_ERROR) from None
    with localcontext() as ctx:
        ctx.prec = 60
        if suffix in _DECIMAL:
            amount, fmt = amount.scaleb(_DECIMAL[suffix]), "DecimalSI"
        elif suffix in _BINARY:
            amount, fmt = amount * (Decimal(2) ** _BINARY[suffix]), "BinarySI"
        elif _EXPONENT.match(suffix):
            exponent = int(_EXPONENT.match(suffix).group(1))
            if abs(exponent) > 1000:
                raise QuantityError(NUMERIC_ERROR)
            amount, fmt = amount.scaleb(exponent), "DecimalExponent"
        else:
            raise QuantityError(SUFFIX_ERROR)
        # Quantities keep nano precision at most, rounding away from zero like the Go code.
        amount = amount.quantize(_NANO, rounding=ROUND_CEILING) if amount >= 0 else \
            -((-amount).quantize(_NANO, rounding=ROUND_CEILING))
    return amount, fmt


def parse_quantity(value) -> Decimal:
    return parse(value)[0]


def parse_cpu(value) -> int:
    """CPU in millicores, rounded up ("250m" -> 250, "0.1" -> 100, "1" -> 1000)."""
    return int((parse_quantity(value) * 1000).to_integral_value(rounding=ROUND_CEILING))


def parse_memory(value) -> int:
    """Bytes, rounded up ("128Mi" -> 134217728, "1G" -> 10**9, "500m" -> 1)."""
    return int(parse_quantity(value).to_integral_value(rounding=ROUND_CEILING))


def _strip(amount: int, exponent: int, base: int) -> tuple[int, int]:
    while amount and amount % base == 0:
        amount //= base
        exponent += 1
    return amount, exponent


def canonical(value) -> str:
    """The serialized form of a quantity (Quantity.CanonicalizeBytes)."""
    amount, fmt = parse(value)
    if amount == 0:
        return "0"
    if fmt == "BinarySI" and (abs(amount) < 1024 or amount != amount.to_integral_value()):
        fmt = "DecimalSI"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if fmt == "BinarySI":
        mantissa, power = _strip(int(amount), 0, 1024)
        if power * 10 not in _BINARY_SUFFIX and power:
            mantissa, power = mantissa * 1024 ** (power - 6), 6
        return f"{sign}{mantissa}{_BINARY_SUFFIX.get(power * 10, '')}"
    digits, exponent = _decimal_parts(amount)
    digits, exponent = _strip(digits, exponent, 10)
    shift = exponent % 3
    digits, exponent = digits * 10 ** shift, exponent - shift
    if fmt == "DecimalExponent":
        return f"{sign}{digits}" + (f"e{exponent}" if exponent else "")
    if exponent > 18:
        digits, exponent = digits * 10 ** (exponent - 18), 18
    return f"{sign}{digits}{_DECIMAL_SUFFIX[exponent]}"


def _decimal_parts(amount: Decimal) -> tuple[int, int]:
    sign, digits, exponent = amount.as_tuple()
    return int("".join(map(str, digits)) or "0"), int(exponent)


def format_cpu(millicores: int) -> str:
    """Millicores as metrics-server and kubectl show them ("250m", or whole cores as "2")."""
    return canonical(f"{int(millicores)}m")


def format_memory(num_bytes: int) -> str:
    """Bytes in binary units where exact ("128Mi"), else Ki rounded up, as metrics-server reports."""
    num_bytes = int(num_bytes)
    if num_bytes % 1024:
        return f"{-(-num_bytes // 1024)}Ki"
    return canonical(f"{num_bytes // 1024}Ki")
