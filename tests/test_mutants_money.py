"""Money: the holes mutation testing found (see docs/testing.md).

Rules (DESIGN 2: money as ``Decimal``, never ``float``; ``hikewoo_core._money``): an amount
is read exactly as sent (a float by its shortest repr, never its binary expansion),
anything else is refused with a message naming it, and amounts are written back at the
currency's ISO 4217 precision, rounded half up.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hikewoo_core._money import (
    MAX_AMOUNT_DIGITS,
    currency_places,
    format_money,
    parse_money,
    quantize_money,
)


def refusal(value: object) -> str:
    with pytest.raises(ValueError) as info:
        parse_money(value)
    return str(info.value)


def test_money_rule_a_float_is_read_by_its_shortest_repr_never_its_binary_expansion() -> None:
    """DESIGN 2: ``0.1`` is ``Decimal("0.1")``, not 0.1000000000000000055511151231257827..."""
    for value, text in ((0.1, "0.1"), (19.99, "19.99"), (3.3333333333333335, "3.3333333333333335")):
        result = parse_money(value)
        assert (result, str(result)) == (Decimal(text), text)


def test_money_rule_amounts_of_every_json_type_are_read_exactly() -> None:
    """DESIGN 2: strings keep the precision sent; integers and Decimals pass unchanged."""
    assert str(parse_money("1500.00")) == "1500.00"
    assert str(parse_money("-5.0")) == "-5.0"
    assert str(parse_money(7)) == "7"
    assert str(parse_money(Decimal("2.500"))) == "2.500"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "expected an amount, got True"),
        (None, "expected an amount, got None"),
        ("", "expected an amount, got an empty string"),
        ("1E+30", "expected an amount in plain decimal digits (like '-12.50'), got '1E+30'"),
        (
            "12345678901234567890123456789012345678901234567890",
            "expected an amount below 10**15, got '123456789012345678901234567890123456...",
        ),
        ([1], "expected an amount, got list"),
        (Decimal("NaN"), "expected a finite amount, got Decimal('NaN')"),
        (float("inf"), "expected a finite amount, got inf"),
    ],
)
def test_money_rule_anything_but_an_amount_is_refused_naming_it(
    value: object, message: str
) -> None:
    """DESIGN 3 (bad input raises the library's error, saying what was wrong)."""
    assert refusal(value) == message


def test_money_rule_amounts_have_fewer_than_fifteen_integer_digits() -> None:
    """An amount of 10**15 or more is refused, in every form; one below it is read."""
    assert MAX_AMOUNT_DIGITS == 15
    largest = 10**15 - 1
    assert parse_money(largest) == Decimal(largest)
    assert parse_money(f"{largest}.99") == Decimal(f"{largest}.99")
    assert parse_money(Decimal(-largest)) == Decimal(-largest)
    assert refusal(10**15) == "expected an amount below 10**15, got 1000000000000000"
    assert refusal(Decimal("1E+15")) == "expected an amount below 10**15, got Decimal('1E+15')"
    assert refusal(-(10**15)) == "expected an amount below 10**15, got -1000000000000000"


def test_money_rule_each_currency_has_its_iso_4217_precision() -> None:
    """ISO 4217 minor units: 0 for JPY and the like, 3 for KWD and the like, else 2,
    whatever the case the code is given in."""
    assert [currency_places(c) for c in ("JPY", "jpy", "KWD", "kwd", "USD", "XYZ", "")] == [
        0,
        0,
        3,
        3,
        2,
        2,
        2,
    ]


def test_money_rule_amounts_are_written_at_the_currency_precision_rounded_half_up() -> None:
    """Amounts written back: the currency's places, half up (not banker's rounding)."""
    assert quantize_money(Decimal("0.125"), "USD") == Decimal("0.13")
    assert quantize_money(Decimal("-0.125"), "USD") == Decimal("-0.13")
    assert [format_money(Decimal("2.5"), c) for c in ("JPY", "USD", "KWD")] == [
        "3",
        "2.50",
        "2.500",
    ]
    assert format_money(Decimal("1E+3"), "USD") == "1000.00"  # never an exponent


def test_money_rule_a_refused_value_is_shown_whole_up_to_forty_characters() -> None:
    """DESIGN 3 (say what was wrong, briefly): the refused value's repr is shown whole when
    it has at most 40 characters, and cut to 40 (37 and ``...``) when longer."""
    prefix = "expected an amount in plain decimal digits (like '-12.50'), got "
    forty = "x" * 38  # repr: 40 characters
    assert refusal(forty) == prefix + repr(forty)
    forty_one = "x" * 39  # repr: 41 characters
    assert refusal(forty_one) == prefix + "'" + "x" * 36 + "..."
