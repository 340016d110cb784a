"""Amounts are read exactly as WooCommerce writes them, and nothing else (issue 12, item 6).

WooCommerce writes an amount as a JSON string of plain ASCII decimal digits, an optional
leading ``-`` and an optional ``.`` with more digits (``"29.35"``, ``"-5.00"``,
``"1500"``), and a line's ``price`` as a JSON number. Python's ``Decimal()`` reads much
more: ``"1_0.00"``, full-width digits, surrounding whitespace, ``"+10"``, exponents. Each
of those is refused with a :class:`~hikewoo_core.PayloadError` naming the JSON path, by
every parser that reads amounts, from a ``dict`` and from raw bytes or text alike. So is
a negative quantity on an order's line (a refund's lines are negative by design, and
stay accepted), and every problem of a payload is reported in one error.

The decimals are not counted against the currency's precision: the captures show why
(``test_every_amount_in_the_real_captures_and_docs_examples_is_still_read``).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hikewoo_core import PayloadError, parse_money, parse_woo_order, parse_woo_refund
from hikewoo_core.hike import _models as hike_models
from hikewoo_core.hike import parse_hike, parse_hike_sale
from hikewoo_core.woo import _convert as woo_convert
from hikewoo_core.woo import parse_woo_orders, parse_woo_refunds

from ._shared import REAL, WOO_FIXTURES, load, requires_shared

Json = Any

#: Forms ``Decimal()`` reads, and the parsers used to accept, that WooCommerce never
#: writes; the key names the rule each breaks.
HOSTILE: dict[str, str] = {
    "underscore": "1_0.00",
    "full-width-digits": "\uff11\uff10.\uff10\uff10",  # 10.00 in U+FF10..U+FF19
    "arabic-indic-digits": "\u0661\u0660.\u0660\u0660",  # 10.00 in U+0660..U+0669
    "leading-space": " 10.00",
    "trailing-space": "10.00 ",
    "trailing-newline": "10.00\n",
    "non-breaking-space": "\u00a010.00",
    "huge-exponent": "1e999",
    "exponent": "1E+30",
    "small-exponent": "1E2",
    "negative-exponent": "1e-5",
    "plus-sign": "+10.00",
}
#: Strings that are no number at all: refused before, and still refused.
NOT_NUMBERS: dict[str, str] = {
    "nan": "NaN",
    "signalling-nan": "sNaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "hex": "0x10",
    "decimal-comma": "10,00",
    "two-points": "1.2.3",
    "empty": "",
}
#: Forms WooCommerce does write, which stay accepted.
PLAIN: dict[str, Decimal] = {
    "10.00": Decimal("10.00"),
    "-10.00": Decimal("-10.00"),
    "1500": Decimal("1500"),  # a JPY order
    "1500.00": Decimal("1500.00"),  # a JPY shop with WooCommerce's default 2 decimals
    "0": Decimal("0"),
    "-0.00": Decimal("-0.00"),
    "1.125": Decimal("1.125"),  # a line tax, unrounded (the REST docs' batch example)
    "1.363636": Decimal("1.363636"),  # WooCommerce's 6-digit rounding precision
    "0.0000001": Decimal("0.0000001"),
    "999999999999999.99": Decimal("999999999999999.99"),  # just below 10**15
}

ORDER: dict[str, Json] = {
    "id": 727,
    "status": "processing",
    "currency": "USD",
    "total": "29.35",
    "discount_total": "0.00",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified_gmt": "2017-03-22T19:28:08",
    "line_items": [
        {"id": 315, "product_id": 93, "quantity": 2, "total": "6.00", "subtotal": "6.00",
         "price": 3, "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}]},
        {"id": 316, "product_id": 22, "quantity": 3, "total": "10.00",
         "price": 3.3333333333333335},
    ],
    "tax_lines": [{"id": 318, "rate_code": "US-CA", "tax_total": "1.35", "rate_percent": 7.5}],
    "shipping_lines": [{"id": 317, "method_id": "flat_rate", "total": "10.00"}],
    "fee_lines": [{"id": 319, "name": "Discount", "total": "-2.00"}],
    "coupon_lines": [{"id": 320, "code": "ten", "discount": "1.00", "nominal_amount": 10}],
    "refunds": [{"id": 1, "reason": "", "total": "-1.00"}],
}  # fmt: skip
REFUND: dict[str, Json] = {
    "id": 728,
    "date_created_gmt": "2017-03-22T19:30:00",
    "amount": "10.00",
    "line_items": [
        {"id": 320, "product_id": 93, "quantity": -1, "total": "-10.00", "subtotal": "-10.00",
         "price": -10, "meta_data": [{"key": "_refunded_item_id", "value": "315"}],
         "taxes": [{"id": 75, "total": "-0.75", "subtotal": "-0.75"}]},
    ],
    "shipping_lines": [{"id": 321, "total": "-5.00"}],
}  # fmt: skip
PRODUCT: dict[str, Json] = {
    "id": 10,
    "name": "Mug",
    "type": "simple",
    "status": "publish",
    "sku": "MUG",
    "price": "25.00",
    "regular_price": "25.00",
    "sale_price": "",
}
HIKE_SALE: dict[str, Json] = {
    "id": 1, "number": "INV-1001", "status": "Completed", "financialStatus": "Paid",
    "netAmount": "25.00", "outletId": 1, "currency": "USD", "totalTax": "0",
    "invoiceLineItems": [{"quantity": 2, "soldPrice": "12.50", "sku": "MUG",
                          "totalAmount": "25.00", "taxAmount": "0"}],
    "invoicePayments": [{"paymentOptionName": "Cash", "amount": "25.00"}],
}  # fmt: skip
HIKE_REFUND_SALE: dict[str, Json] = {
    "id": 2, "number": "INV-1002", "status": "Refunded", "financialStatus": "Refunded",
    "netAmount": "-12.50", "outletId": 1, "currency": "USD", "refundedInvoiceId": 1,
    "invoiceLineItems": [{"quantity": -1, "soldPrice": "-12.50", "sku": "MUG",
                          "totalAmount": "-12.50"}],
    "invoicePayments": [{"paymentOptionName": "Cash", "amount": "-12.50"}],
}  # fmt: skip

#: Where an order holds an amount: one place of each kind of amount, each kind of line.
ORDER_AMOUNTS: list[tuple[Any, ...]] = [
    ("total",),
    ("discount_total",),
    ("line_items", 0, "total"),
    ("line_items", 0, "subtotal"),
    ("line_items", 0, "taxes", 0, "total"),
    ("line_items", 1, "price"),
    ("tax_lines", 0, "tax_total"),
    ("shipping_lines", 0, "total"),
    ("fee_lines", 0, "total"),
    ("coupon_lines", 0, "discount"),
    ("refunds", 0, "total"),
]

# --- helpers ------------------------------------------------------------------------


def json_path(steps: tuple[Any, ...], root: str = "$") -> str:
    return root + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)


def with_value(doc: dict[str, Json], steps: tuple[Any, ...], value: Json) -> dict[str, Json]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = value
    return doc


#: How a payload reaches a parser: the decoded object, UTF-8 bytes (non-ASCII
#: characters as themselves, not ``\\u`` escapes), ASCII-escaped bytes, or text.
ENCODINGS: dict[str, Callable[[Json], Json]] = {
    "dict": lambda doc: doc,
    "utf8-bytes": lambda doc: json.dumps(doc, ensure_ascii=False).encode(),
    "escaped-bytes": lambda doc: json.dumps(doc).encode(),
    "text": lambda doc: json.dumps(doc, ensure_ascii=False),
}


def refused_at(parse: Callable[[Json], object], data: Json) -> list[str]:
    with pytest.raises(PayloadError) as info:
        parse(data)
    return [path for path, _ in info.value.problems]


# --- WooCommerce orders -------------------------------------------------------------


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("form", list(HOSTILE), ids=list(HOSTILE))
def test_an_order_total_not_in_plain_ascii_decimal_digits_is_refused_naming_its_path(
    form: str, encoding: str
) -> None:
    data = ENCODINGS[encoding](with_value(ORDER, ("total",), HOSTILE[form]))
    assert refused_at(parse_woo_order, data) == ["$.total"]


@pytest.mark.parametrize("steps", ORDER_AMOUNTS, ids=json_path)
@pytest.mark.parametrize(
    "form", ["underscore", "full-width-digits", "leading-space", "exponent", "plus-sign"]
)
def test_every_amount_of_an_order_is_held_to_the_plain_decimal_rule(
    form: str, steps: tuple[Any, ...]
) -> None:
    for encoding in ENCODINGS.values():
        data = encoding(with_value(ORDER, steps, HOSTILE[form]))
        assert refused_at(parse_woo_order, data) == [json_path(steps)]


def test_every_hostile_amount_of_an_order_is_reported_at_once() -> None:
    doc = ORDER
    for steps, form in zip(
        ORDER_AMOUNTS, list(HOSTILE.values())[: len(ORDER_AMOUNTS)], strict=True
    ):
        doc = with_value(doc, steps, form)
    for encoding in ENCODINGS.values():
        assert refused_at(parse_woo_order, encoding(doc)) == [json_path(s) for s in ORDER_AMOUNTS]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("text", list(PLAIN))
def test_plain_ascii_decimal_amounts_are_still_read_exactly(text: str, encoding: str) -> None:
    order = parse_woo_order(ENCODINGS[encoding](with_value(ORDER, ("total",), text)))
    assert str(order.total) == str(PLAIN[text])  # the precision sent, kept


def test_json_numbers_are_still_read_as_woocommerce_sends_them() -> None:
    """``line_items[].price`` is a JSON number: ``3``, ``3.5``, or ``10.00 / 3``."""
    for price, expected in [(3, "3"), (3.5, "3.5"), (3.3333333333333335, "3.3333333333333335")]:
        for encoding in ENCODINGS.values():
            order = parse_woo_order(encoding(with_value(ORDER, ("line_items", 0, "price"), price)))
            assert str(order.line_items[0].price) == expected


@pytest.mark.parametrize("number", [10**15, -(10**15), 10**30, 1e30])
def test_an_absurd_json_number_amount_is_refused_naming_its_path(number: Json) -> None:
    """An integer of 10**15 or more was accepted by the fast path (only the slow one
    checked its size): both now refuse it."""
    for steps in [("total",), ("line_items", 1, "price")]:
        assert refused_at(parse_woo_order, with_value(ORDER, steps, number)) == [json_path(steps)]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("quantity", [-1, -3, -(2**31)])
def test_a_negative_quantity_on_an_order_line_is_refused_naming_its_path(
    quantity: int, encoding: str
) -> None:
    data = ENCODINGS[encoding](with_value(ORDER, ("line_items", 1, "quantity"), quantity))
    with pytest.raises(PayloadError) as info:
        parse_woo_order(data)
    assert info.value.paths == ("$.line_items[1].quantity",)
    assert "0 or more" in str(info.value)


def test_a_negative_quantity_is_refused_in_dict_subclasses_and_tuples_too() -> None:
    """The converters read any ``dict`` as an object and a tuple as an array (a caller's
    own decoder may build them): the quantity rule reads them alike."""
    doc = with_value(ORDER, ("line_items", 1, "quantity"), -1)
    doc["line_items"] = tuple(OrderedDict(line) for line in doc["line_items"])
    assert refused_at(parse_woo_order, OrderedDict(doc)) == ["$.line_items[1].quantity"]


def test_a_zero_quantity_on_an_order_line_is_still_read() -> None:
    """WooCommerce keeps a line whose quantity was set to 0 (nothing to refuse)."""
    order = parse_woo_order(with_value(ORDER, ("line_items", 0, "quantity"), 0))
    assert order.line_items[0].quantity == 0


def test_a_negative_quantity_and_bad_amounts_are_reported_in_one_error() -> None:
    doc = with_value(ORDER, ("line_items", 0, "quantity"), -2)
    doc = with_value(doc, ("line_items", 1, "quantity"), -1)
    doc = with_value(doc, ("total",), "1_0.00")
    doc = with_value(doc, ("shipping_lines", 0, "total"), " 10.00")
    doc = with_value(doc, ("id",), "727")
    for encoding in ENCODINGS.values():
        assert sorted(refused_at(parse_woo_order, encoding(doc))) == sorted(
            [
                "$.id",
                "$.total",
                "$.shipping_lines[0].total",
                "$.line_items[0].quantity",
                "$.line_items[1].quantity",
            ]
        )


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_an_order_list_names_the_item_of_each_hostile_amount_and_negative_quantity(
    encoding: str,
) -> None:
    bad_total = with_value(ORDER, ("total",), "1E+30")
    bad_quantity = with_value(ORDER, ("line_items", 0, "quantity"), -1)
    data = ENCODINGS[encoding]([ORDER, bad_total, bad_quantity])
    assert refused_at(parse_woo_orders, data) == ["$[1].total", "$[2].line_items[0].quantity"]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_tolerant_order_listing_makes_hostile_orders_unreadable_naming_the_path(
    encoding: str,
) -> None:
    bad_total = with_value(ORDER, ("total",), "\uff11\uff10.\uff10\uff10")
    bad_quantity = with_value(ORDER, ("line_items", 0, "quantity"), -1)
    data = ENCODINGS[encoding]([bad_total, ORDER, bad_quantity])
    first, second, third = woo_convert.parse_woo_orders_tolerant(data)
    assert second == parse_woo_order(ORDER)
    assert (first.id, first.error.paths) == (727, ("$.total",))  # type: ignore[union-attr]
    assert third.error.paths == ("$.line_items[0].quantity",)  # type: ignore[union-attr]


def test_a_hostile_amount_inside_a_signed_webhook_delivery_is_a_payload_error() -> None:
    from hikewoo_core.woo._webhooks import verify_woo_webhook

    body = json.dumps(with_value(ORDER, ("total",), "1_0.00"), ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    headers = {
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "d1",
    }
    with pytest.raises(PayloadError) as info:
        verify_woo_webhook(body, headers, "s3cret")
    assert info.value.paths == ("$.total",)


def test_an_item_reference_in_non_ascii_digits_is_refused_naming_its_path() -> None:
    """``str.isdigit`` says yes to full-width ``"12"`` (read as 12) and to ``"\u00b2"``
    (superscript two, which ``int()`` refuses)."""
    for ref in ["\uff11\uff12", "\u00b2", "\u0661\u0662"]:
        doc = with_value(ORDER, ("line_items", 0, "composite_parent"), ref)
        assert refused_at(parse_woo_order, doc) == ["$.line_items[0].composite_parent"]
    assert (
        parse_woo_order(with_value(ORDER, ("line_items", 0, "bundled_by"), "12"))
        .line_items[0]
        .bundled_by
        == 12
    )


# --- WooCommerce refunds and products -----------------------------------------------


def test_refund_lines_keep_their_negative_quantities_and_amounts() -> None:
    for encoding in ENCODINGS.values():
        refund = parse_woo_refund(encoding(REFUND))
        line = refund.line_items[0]
        assert (line.quantity, line.total, line.price) == (-1, Decimal("-10.00"), Decimal(-10))
        assert list(refund.refunded_quantities()) == [(315, 1)]
        assert parse_woo_refunds(encoding([REFUND, REFUND]))[1] == refund


@pytest.mark.parametrize("form", list(HOSTILE), ids=list(HOSTILE))
def test_a_refund_amount_not_in_plain_ascii_decimal_digits_is_refused_naming_its_path(
    form: str,
) -> None:
    for steps in [("amount",), ("line_items", 0, "total"), ("shipping_lines", 0, "total")]:
        bad = with_value(REFUND, steps, HOSTILE[form])
        for encoding in ENCODINGS.values():
            assert refused_at(parse_woo_refund, encoding(bad)) == [json_path(steps)]
            assert refused_at(parse_woo_refunds, encoding([REFUND, bad])) == [
                json_path(steps, "$[1]")
            ]


@pytest.mark.parametrize("form", list(HOSTILE))
def test_a_product_price_not_in_plain_ascii_decimal_digits_is_refused_naming_its_path(
    form: str,
) -> None:
    for key in ["price", "regular_price", "sale_price"]:
        for encoding in ENCODINGS.values():
            data = encoding(with_value(PRODUCT, (key,), HOSTILE[form]))
            assert refused_at(woo_convert.parse_woo_product, data) == [f"$.{key}"]
        listing = [PRODUCT, with_value(PRODUCT, (key,), HOSTILE[form])]
        assert refused_at(woo_convert.parse_woo_products, listing) == [f"$[1].{key}"]


# --- Hike ---------------------------------------------------------------------------

HIKE_AMOUNTS: list[tuple[Any, ...]] = [
    ("netAmount",),
    ("totalTax",),
    ("invoiceLineItems", 0, "soldPrice"),
    ("invoiceLineItems", 0, "totalAmount"),
    ("invoiceLineItems", 0, "taxAmount"),
    ("invoicePayments", 0, "amount"),
]


@pytest.mark.parametrize("form", list(HOSTILE), ids=list(HOSTILE))
def test_a_hike_sale_amount_not_in_plain_ascii_decimal_digits_is_refused_naming_its_path(
    form: str,
) -> None:
    for steps in HIKE_AMOUNTS:
        for encoding in ENCODINGS.values():
            data = encoding(with_value(HIKE_SALE, steps, HOSTILE[form]))
            assert refused_at(parse_hike_sale, data) == [json_path(steps)]
            assert refused_at(lambda d: parse_hike(d, hike_models.HikeSaleDraft), data) == [
                json_path(steps)
            ]


def test_every_hostile_amount_of_a_hike_sale_is_reported_at_once() -> None:
    doc = HIKE_SALE
    for steps, form in zip(HIKE_AMOUNTS, list(HOSTILE.values())[: len(HIKE_AMOUNTS)], strict=True):
        doc = with_value(doc, steps, form)
    for encoding in ENCODINGS.values():
        assert refused_at(parse_hike_sale, encoding(doc)) == [json_path(s) for s in HIKE_AMOUNTS]


def test_hike_refund_sales_keep_their_negative_quantities_and_amounts() -> None:
    """Hike's refund (and exchange) sales carry negative lines by design: no quantity
    rule applies to Hike sales."""
    for encoding in ENCODINGS.values():
        sale = parse_hike_sale(encoding(HIKE_REFUND_SALE))
        assert sale.total == Decimal("-12.50")
        assert (sale.lines[0].quantity, sale.lines[0].sold_price) == (-1, Decimal("-12.50"))
        assert sale.payments[0].amount == Decimal("-12.50")
        assert parse_hike_sale(encoding(HIKE_SALE)).total == Decimal("25.00")


def test_hike_amounts_sent_as_json_numbers_are_still_read() -> None:
    doc = with_value(HIKE_SALE, ("netAmount",), 25.5)
    doc = with_value(doc, ("invoicePayments", 0, "amount"), 25)
    sale = parse_hike_sale(json.dumps(doc).encode())
    assert (sale.total, sale.payments[0].amount) == (Decimal("25.5"), Decimal(25))


# --- not numbers at all: refused before, still refused --------------------------------


def test_nan_infinity_and_other_non_numbers_are_still_refused_by_every_parser() -> None:
    """A guard, not a regression test: these were refused before the plain-decimal rule
    (``Decimal()`` refuses some, the finiteness check the others) and still are."""
    for text in NOT_NUMBERS.values():
        with pytest.raises(ValueError, match="expected"):
            parse_money(text)
        for encoding in ENCODINGS.values():
            for steps in ORDER_AMOUNTS:
                assert refused_at(parse_woo_order, encoding(with_value(ORDER, steps, text))) == [
                    json_path(steps)
                ]
            bad_refund = encoding(with_value(REFUND, ("amount",), text))
            assert refused_at(parse_woo_refund, bad_refund) == ["$.amount"]
            for steps in HIKE_AMOUNTS:
                bad_sale = encoding(with_value(HIKE_SALE, steps, text))
                assert refused_at(parse_hike_sale, bad_sale) == [json_path(steps)]
    for number in [float("nan"), float("inf"), float("-inf")]:
        for steps in [("total",), ("line_items", 1, "price")]:
            assert refused_at(parse_woo_order, with_value(ORDER, steps, number)) == [
                json_path(steps)
            ]


# --- parse_money, dumps -------------------------------------------------------------


@pytest.mark.parametrize("form", list(HOSTILE), ids=list(HOSTILE))
def test_parse_money_refuses_what_woocommerce_never_writes(form: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_money(HOSTILE[form])


def test_parse_money_reads_plain_decimals_and_json_numbers_exactly() -> None:
    for text, expected in PLAIN.items():
        assert str(parse_money(text)) == str(expected)
    assert str(parse_money(3.5)) == "3.5"
    assert parse_money(1500) == Decimal(1500)


@given(st.text(alphabet="0123456789-+._eE \uff11\u0661", max_size=22))
@example("0" * 30 + "999999999999999.5")  # 15 integer digits after the zeros
@example("1" + "0" * 15)  # 16
def test_the_fast_check_of_an_amount_string_agrees_with_parse_money(text: str) -> None:
    """The parsers' one-regex check (``_is_plain_amount``) accepts exactly the strings
    ``parse_money`` accepts, and reads them the same."""
    from hikewoo_core._money import _is_plain_amount

    try:
        expected: Decimal | None = parse_money(text)
    except ValueError:
        expected = None
    assert (_is_plain_amount(text) is not None) == (expected is not None)
    if expected is not None:
        assert str(parse_woo_order(with_value(ORDER, ("total",), text)).total) == str(expected)


def test_dumped_amounts_are_plain_decimals_that_read_back_equal() -> None:
    """``str(Decimal)`` writes ``"1E-7"`` and ``"1E+2"``, which the parsers refuse: the
    dumps write plain digits, as WooCommerce does."""
    order = parse_woo_order(ORDER)
    tiny, hundred = Decimal("1E-7"), Decimal("1E+2")
    line = order.line_items[0]
    odd = attrs.evolve(
        order,
        total=hundred,
        line_items=(attrs.evolve(line, total=tiny, price=Decimal("3.3333333333333335")),),
    )
    dumped = woo_convert.dump_woo_order(odd)
    assert (dumped["total"], dumped["line_items"][0]["total"]) == ("100", "0.0000001")
    assert parse_woo_order(dumped) == odd
    assert parse_woo_order(json.dumps(dumped).encode()) == odd


# --- the real captures --------------------------------------------------------------


def _documents(path: Path) -> Iterator[Json]:
    capture = load(path)
    yield capture.get("body", capture) if isinstance(capture, dict) else capture
    if isinstance(capture, dict) and isinstance(capture.get("raw_body"), str):
        with contextlib.suppress(ValueError):
            yield json.loads(capture["raw_body"])


def _objects(doc: Json) -> Iterator[dict[str, Json]]:
    if isinstance(doc, dict):
        yield doc
        for value in doc.values():
            yield from _objects(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _objects(value)


@requires_shared
def test_every_amount_in_the_real_captures_and_docs_examples_is_still_read() -> None:
    """Every order and refund WooCommerce 10.0.2 sent (and the REST docs show) parses.

    They are why the decimals are not held to the currency's ISO 4217 precision: line
    taxes come unrounded (``"1.125"`` on a USD order, docs-examples
    ``orders_batch_response.json``), coupon discounts trimmed (``"13.7"``,
    ``real-10.0.2/orders_list_orderby_modified_ties.json``), prices as JSON numbers
    (``3.5``); and WooCommerce writes amounts with the shop's decimals setting, 2 by
    default whatever the currency.
    """
    orders = refunds = 0
    for path in sorted(WOO_FIXTURES.rglob("*.json")):
        if path.name.startswith("_") or "request" in path.name:
            continue
        for doc in _documents(path):
            for obj in _objects(doc):
                if "order_key" in obj and "line_items" in obj and "date_created_gmt" in obj:
                    parse_woo_order(obj)
                    orders += 1
                elif "refunded_payment" in obj and "amount" in obj:
                    parse_woo_refund(obj)
                    refunds += 1
    assert orders > 100, orders
    assert refunds > 0, refunds
    assert REAL.is_dir()


@pytest.mark.parametrize(("typed", "read"), [(".99", "0.99"), ("5.", "5"), ("-.5", "-0.5")])
def test_a_product_price_as_the_merchant_typed_it_is_still_read(typed: str, read: str) -> None:
    """WooCommerce stores a product's prices as typed, through ``wc_format_decimal``
    without a precision, which keeps ``".99"`` and ``"5."``: plain ASCII decimals too."""
    body = {"id": 10, "name": "Mug", "type": "simple", "status": "publish", "sku": "MUG"}
    product = woo_convert.parse_woo_product({**body, "price": typed, "regular_price": typed})
    assert product.price == Decimal(read)
    assert parse_money(typed) == Decimal(read)
