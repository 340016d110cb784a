"""Money as :class:`decimal.Decimal`, never ``float``.

WooCommerce sends amounts as JSON strings (``"29.35"``) except ``line_items[].price``,
which is a JSON number. :func:`parse_money` accepts both, keeps the precision that
was sent (a JPY order's ``"1500"`` stays ``Decimal("1500")``), and refuses booleans,
NaN, infinities and absurd amounts (a thousand million million or more, like
``"1E+30"``: no till takes them, and rounding one to cents overflows ``decimal``'s
precision). :func:`format_money` writes an amount back at a currency's precision, the
form WooCommerce accepts on create and update.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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

    Raises :class:`ValueError` with a readable message for anything else:
    booleans, ``None``, NaN, infinities, and strings that are not numbers.

    >>> parse_money("29.35"), parse_money(3), parse_money(3.5)
    (Decimal('29.35'), Decimal('3'), Decimal('3.5'))
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or value is None:
        raise ValueError(f"expected an amount, got {_describe(value)}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest string that round-trips: 3.5 -> "3.5", never the
        # binary expansion Decimal(3.5) would give.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("expected an amount, got an empty string")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected an amount, got {_describe(value)}") from None
    else:
        raise ValueError(f"expected an amount, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite amount, got {_describe(value)}")
    if result.adjusted() >= MAX_AMOUNT_DIGITS:
        raise ValueError(
            f"expected an amount below 10**{MAX_AMOUNT_DIGITS}, got {_describe(value)}"
        )
    return result


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
