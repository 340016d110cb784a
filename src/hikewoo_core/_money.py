"""Money as :class:`decimal.Decimal`, never ``float``.

WooCommerce sends amounts as JSON strings (``"29.35"``) except ``line_items[].price``,
which is a JSON number. :func:`parse_money` accepts both and keeps the precision that
was sent (a JPY order's ``"1500"`` stays ``Decimal("1500")``).

An amount string must be written as WooCommerce writes one: ASCII digits, an optional
leading ``-`` and an optional ``.`` (``"29.35"``, ``"-5.00"``, ``"1500"``; a product's
price keeps what the merchant typed, so ``".99"`` and ``"5."`` are read too). Whatever
else :class:`~decimal.Decimal` would read is refused: ``"1_0.00"``, full-width or other
non-ASCII digits, surrounding whitespace, ``"+10"``, exponents (``"1E+30"``), ``"NaN"``,
``"Infinity"``. So are booleans, and absurd amounts
(a thousand million million or more, even as JSON numbers: no till takes them, and
rounding one to cents overflows ``decimal``'s precision).

The currency's precision is applied where amounts are written and compared
(:func:`quantize_money`, :func:`format_money`), not when they are read, and the decimals
are not counted: WooCommerce writes amounts with the shop's "number of decimals"
setting, which is not the currency's ISO 4217 exponent (a JPY shop keeps WooCommerce's
default of 2, ``"1500.00"``), writes line taxes unrounded (``"1.125"`` on a USD order in
the REST docs' examples) and a line's ``price`` as a float (``3.3333333333333335`` for
10.00 over three units). :func:`format_money` writes an amount back at a currency's
precision, the form WooCommerce accepts on create and update.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "ZERO",
    "currency_places",
    "format_money",
    "parse_money",
    "quantize_money",
]

ZERO = Decimal(0)
#: Amounts must have fewer integer digits than this: ``|amount| < 10**15``.
MAX_AMOUNT_DIGITS = 15

# Amount strings as WooCommerce writes them. ``[0-9]``, not ``\d``: only ASCII digits.
# Order and refund amounts always have digits on both sides of the point (PHP's
# number_format); a product's prices are stored as the merchant typed them, cleaned by
# wc_format_decimal, which keeps ".99" and "5." as they are.
_SYNTAX = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII).fullmatch
#: Whether a string is a valid amount, in one regular expression (the hot path): the
#: syntax above with at most MAX_AMOUNT_DIGITS integer digits after any leading zeros.
#: :func:`parse_money` gives the reason for a refusal.
_is_plain_amount = re.compile(
    rf"-?(?:0*[0-9]{{1,{MAX_AMOUNT_DIGITS}}}(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII
).fullmatch
#: Integers (JSON numbers) in ``(-_AMOUNT_LIMIT, _AMOUNT_LIMIT)`` are valid amounts.
_AMOUNT_LIMIT = 10**MAX_AMOUNT_DIGITS

# ISO 4217 minor units where they differ from 2.
_PLACES: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def currency_places(currency: str) -> int:
    """The number of decimal places ISO 4217 gives ``currency`` (2 when unknown)."""
    return _PLACES.get(currency.upper(), 2)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_money(value: object) -> Decimal:
    """Turn a JSON amount (string or number) into a finite ``Decimal``.

    A string must be ASCII digits with an optional leading ``-`` and an optional
    ``.`` followed by digits, as WooCommerce writes amounts. Raises :class:`ValueError`
    with a readable message for anything else: booleans, ``None``, NaN, infinities,
    exponents, underscores, whitespace, ``+``, non-ASCII digits, and amounts of more
    than :data:`MAX_AMOUNT_DIGITS` integer digits.

    >>> parse_money("29.35"), parse_money(3), parse_money(3.5)
    (Decimal('29.35'), Decimal('3'), Decimal('3.5'))
    >>> parse_money("1_0.00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: expected an amount in plain decimal digits ..., got '1_0.00'
    """
    if isinstance(value, str):
        result = _parse_text(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or value is None:
        raise ValueError(f"expected an amount, got {_describe(value)}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest string that round-trips: 3.5 -> "3.5", never the
        # binary expansion Decimal(3.5) would give.
        result = Decimal(repr(value))
    else:
        raise ValueError(f"expected an amount, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite amount, got {_describe(value)}")
    if result.adjusted() >= MAX_AMOUNT_DIGITS:
        raise ValueError(
            f"expected an amount below 10**{MAX_AMOUNT_DIGITS}, got {_describe(value)}"
        )
    return result


def _parse_text(text: str) -> Decimal:
    """An amount string, or :class:`ValueError` if it is not plain decimal digits."""
    if _SYNTAX(text) is None:
        if not text:
            raise ValueError("expected an amount, got an empty string")
        raise ValueError(
            f"expected an amount in plain decimal digits (like '-12.50'), got {_describe(text)}"
        )
    return Decimal(text)  # ASCII digits only: exact, finite, never InvalidOperation


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to ``currency``'s precision."""
    exponent = Decimal(1).scaleb(-currency_places(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """Format ``amount`` as WooCommerce writes it: a string at the currency's precision.

    >>> format_money(Decimal("5"), "USD"), format_money(Decimal("1500"), "JPY")
    ('5.00', '1500')
    """
    return f"{quantize_money(amount, currency):f}"
