"""Translation of records between the two systems: the holes mutation testing found
(see docs/testing.md).

The end-to-end tests go through the fakes, which fill in or overwrite some fields of a
draft (the executor sets ``refund_of``; the fake stamps statuses), so a wrong field in a
translation can pass them. These tests hold each translation to its whole output.
Rules: 1.1 and 1.3 (statuses and the payment of a new Hike sale), 1.2 (a Hike sale as
a WooCommerce order: every tender kept), 1.4 (refunds both ways, ``api_refund`` false),
1.5 (which lines are composites or bundles), 1.8 (the customer), 1.9 (the origin every
created record carries).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from hikewoo_core import SyncSettings
from hikewoo_core._mapping import HikeStatus
from hikewoo_core._translate import (
    customer_for_order,
    hike_refund_sale_from_woo,
    hike_sale_from_woo,
    payment_title,
    rounding_tolerance,
    unresolved_lines,
    unsupported_lines,
    woo_order_body_from_hike,
    woo_refund_body_from_hike,
)
from hikewoo_core.hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikePayment,
    HikeSale,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from hikewoo_core.woo._models import (
    WooAddress,
    WooFeeLine,
    WooLineItem,
    WooMeta,
    WooOrder,
    WooProduct,
    WooRefund,
    WooShippingLine,
    WooStatus,
)

D = Decimal
UTC = timezone.utc
CREATED = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
REFUNDED_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
SETTINGS = SyncSettings(
    woo_payment_label="Shop", outlet_id=7, register_id=9, woo_created_via="hike-pos"
)
ADA = HikeCustomer(first_name="Ada", last_name="Lovelace", email="ada@example.com")


def woo_order(**changes: Any) -> WooOrder:
    """Two product lines (one taxed), three shipping lines and two fees: 48.00, and a
    total of 48.01 (a cent of tax rounding at the subtotal)."""
    fields: dict[str, Any] = {
        "id": 40,
        "number": "1040",
        "status": WooStatus.COMPLETED,
        "currency": "USD",
        "total": D("48.01"),
        "total_tax": D("3.00"),
        "date_created_gmt": CREATED,
        "date_modified_gmt": MODIFIED,
        "line_items": (
            WooLineItem(
                id=1, product_id=5, name="Mug", sku="MUG", quantity=2, total=D("20.00"),
                total_tax=D("2.00"),
            ),
            WooLineItem(id=2, product_id=6, name="Tea", quantity=1, total=D("8.00")),
        ),
        "shipping_lines": (
            WooShippingLine(
                id=3, method_title="Flat rate", method_id="flat_rate", total=D("10.00"),
                total_tax=D("1.00"),
            ),
            WooShippingLine(id=4, method_id="local_pickup"),
            WooShippingLine(id=5),
        ),
        "fee_lines": (
            WooFeeLine(id=6, name="Gift wrap", total=D("5.00")),
            WooFeeLine(id=7, total=D("2.00")),
        ),
    }  # fmt: skip
    fields.update(changes)
    return WooOrder(**fields)


def charge(title: str, total: str, tax: str = "0", line_id: str | None = None) -> HikeSaleLine:
    amount = D(total)
    return HikeSaleLine(
        quantity=1, sold_price=amount, sku="", title=title, total=amount + D(tax),
        tax_amount=D(tax), external_line_id=line_id,
    )  # fmt: skip


SALE_LINES = (
    HikeSaleLine(
        quantity=2, sold_price=D("10.00"), sku="MUG", title="Mug", total=D("22.00"),
        tax_amount=D("2.00"), external_line_id="1",
    ),
    HikeSaleLine(
        quantity=1, sold_price=D("8.00"), sku="", title="Tea", total=D("8.00"),
        tax_amount=D(0), external_line_id="2",
    ),
    charge("Shipping: Flat rate", "10.00", "1.00", "3"),
    charge("Shipping: local_pickup", "0", line_id="4"),
    charge("Shipping: shipping", "0", line_id="5"),
    charge("Fee: Gift wrap", "5.00", line_id="6"),
    charge("Fee: fee", "2.00", line_id="7"),
)  # fmt: skip


# -- WooCommerce order -> Hike sale -----------------------------------------------------------


def test_rule_1_1_1_3_1_9_a_paid_order_becomes_this_exact_hike_sale() -> None:
    """Rules 1.1, 1.3, 1.9: the statuses of the table, one payment of the total labelled
    as configured, every line (shipping and fees as named lines, tax rounding as a
    "Rounding" line), the settings' outlet and register, and the order as its origin."""
    draft = hike_sale_from_woo(
        woo_order(), HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID), SETTINGS, ADA
    )
    assert draft == HikeSaleDraft(
        fulfilment_status=FulfilmentStatus.COMPLETED,
        payment_status=PaymentStatus.PAID,
        total=D("48.01"),
        total_tax=D("3.00"),
        currency="USD",
        outlet_id=7,
        register_id=9,
        transaction_date=CREATED,
        customer=ADA,
        source=SaleSource.WOOCOMMERCE,
        external_reference="woo:40",
        do_not_update_inventory=False,
        note="WooCommerce order #1040",
        lines=(*SALE_LINES, charge("Rounding", "0.01")),
        payments=(HikePayment(payment_type_name="Shop", amount=D("48.01")),),
    )


def test_rule_1_3_a_sale_first_seen_refunded_was_paid_and_an_unpaid_one_carries_nothing() -> None:
    """Rule 1.3: money received (Paid, or Refunded: paid, then refunded) is recorded; a
    parked sale carries no payment. Without a number, the note names the order id."""
    order = woo_order(number="", total=D("48.00"))
    refunded = hike_sale_from_woo(
        order, HikeStatus(FulfilmentStatus.REFUNDED, PaymentStatus.REFUNDED), SETTINGS, None
    )
    assert refunded.payments == (HikePayment(payment_type_name="Shop", amount=D("48.00")),)
    assert refunded.note == "WooCommerce order #40"
    assert refunded.lines == SALE_LINES  # no rounding line when the lines add up
    parked = hike_sale_from_woo(
        order, HikeStatus(FulfilmentStatus.PARKED, PaymentStatus.PENDING), SETTINGS, None
    )
    assert parked.payments == ()


def test_rule_1_7_stock_deduction_follows_the_setting_unless_the_call_says_otherwise() -> None:
    """Rule 1.7 (and DESIGN 3, stock follows the end state): the settings decide whether
    a sale deducts stock, a historical sync may say otherwise, a voided sale never does."""
    status = HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID)
    voided = HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED)
    no_stock = SyncSettings(update_inventory=False)
    order = woo_order()
    assert not hike_sale_from_woo(order, status, SETTINGS, None).do_not_update_inventory
    assert hike_sale_from_woo(order, status, no_stock, None).do_not_update_inventory
    flags = [
        hike_sale_from_woo(order, status, no_stock, None, update_inventory=True),
        hike_sale_from_woo(order, status, SETTINGS, None, update_inventory=False),
        hike_sale_from_woo(order, voided, SETTINGS, None, update_inventory=True),
    ]
    assert [d.do_not_update_inventory for d in flags] == [False, True, True]


def test_rule_1_5_the_lines_may_miss_the_total_by_one_minor_unit_each() -> None:
    """Rule 1.5 (an order is synced whole): tax rounding allows one cent (one yen for JPY)
    per product, shipping and fee line, and no more."""
    assert rounding_tolerance(woo_order()) == D("0.07")
    assert rounding_tolerance(woo_order(currency="JPY")) == D("7")
    assert rounding_tolerance(woo_order(line_items=(), shipping_lines=(), fee_lines=())) == (
        D("0.01")
    )


# -- WooCommerce refund -> Hike refund sale -----------------------------------------------------


def refund_line(item: int, quantity: int, total: str, tax: str = "0", ref: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
    meta = () if ref is None else (WooMeta(key="_refunded_item_id", value=ref),)
    return WooLineItem(
        id=item, product_id=5, quantity=quantity, total=D(total), total_tax=D(tax),
        meta_data=meta, **kw,
    )  # fmt: skip


def test_rule_1_4_a_woocommerce_refund_becomes_this_exact_hike_refund_sale() -> None:
    """Rule 1.4: one refund sale per refund, negative lines (named and with the SKU of the
    line they refund when the refund line has none), a negative payment, the refund as its
    origin, the original sale as ``refund_of``, dated when the refund was made."""
    refund = WooRefund(
        id=77,
        amount=D("30.00"),
        date_created_gmt=REFUNDED_AT,
        line_items=(
            refund_line(101, -1, "-10.00", "-1.00", ref="1"),
            refund_line(102, -1, "-8.00", ref=2, name="Tea refund", sku="TEA-X"),
            refund_line(103, 0, "-5.00", ref="abc", name="Odd"),
            refund_line(104, -1, "-4.00"),
        ),
    )
    draft = hike_refund_sale_from_woo(woo_order(), refund, 501, SETTINGS)
    assert draft == HikeSaleDraft(
        fulfilment_status=FulfilmentStatus.REFUNDED,
        payment_status=PaymentStatus.REFUNDED,
        total=D("-30.00"),
        currency="USD",
        outlet_id=7,
        register_id=9,
        transaction_date=REFUNDED_AT,
        source=SaleSource.WOOCOMMERCE,
        external_reference="woo-refund:77",
        do_not_update_inventory=False,
        refund_of=501,
        note="Refund #77 of WooCommerce order #1040",
        lines=(
            HikeSaleLine(
                quantity=-1, sold_price=D("11.00"), sku="MUG", title="Mug", total=D("-11.00"),
                tax_amount=D("-1.00"), external_line_id="1",
            ),
            HikeSaleLine(
                quantity=-1, sold_price=D("8.00"), sku="TEA-X", title="Tea refund",
                total=D("-8.00"), tax_amount=D(0), external_line_id="2",
            ),
            HikeSaleLine(
                quantity=0, sold_price=D(0), sku="", title="Odd", total=D("-5.00"),
                tax_amount=D(0), external_line_id="abc",
            ),
            HikeSaleLine(
                quantity=-1, sold_price=D("4.00"), sku="", title="", total=D("-4.00"),
                tax_amount=D(0), external_line_id=None,
            ),
        ),
        payments=(HikePayment(payment_type_name="Shop", amount=D("-30.00")),),
    )  # fmt: skip


def test_rule_1_4_an_undated_refund_is_dated_by_the_order_and_keeps_its_reason() -> None:
    """Rule 1.4: a refund without its own date takes the order's modification time (when
    it became refunded); a refund's reason is its note; a refund of a sale that took no
    stock puts none back."""
    refund = WooRefund(id=78, amount=D("5.00"), reason="chipped")
    no_stock = SyncSettings(update_inventory=False)
    draft = hike_refund_sale_from_woo(woo_order(), refund, 501, no_stock)
    assert (draft.transaction_date, draft.note, draft.do_not_update_inventory) == (
        MODIFIED,
        "chipped",
        True,
    )
    kept = hike_refund_sale_from_woo(
        woo_order(), refund, 501, SETTINGS, do_not_update_inventory=True
    )
    assert kept.do_not_update_inventory is True


# -- Hike sale -> WooCommerce order -------------------------------------------------------------


def product(pid: int, sku: str) -> WooProduct:
    return WooProduct(id=pid, name=sku.title(), type="simple", status="publish", sku=sku)


def hike_sale(**changes: Any) -> HikeSale:
    fields: dict[str, Any] = {
        "id": 501,
        "number": "INV-1001",
        "fulfilment_status": FulfilmentStatus.COMPLETED,
        "payment_status": PaymentStatus.PAID,
        "total": D("47.50"),
        "outlet_id": 1,
        "customer": ADA,
        "lines": (
            HikeSaleLine(quantity=2, sold_price=D("12.50"), sku="MUG", title="Mug",
                         total=D("25.00")),
            HikeSaleLine(quantity=1, sold_price=D("8.00"), sku="TEA", title="Tea",
                         total=D("8.00")),
            HikeSaleLine(quantity=1, sold_price=D("5.00"), title="Gift wrap", total=D("5.00")),
            HikeSaleLine(quantity=0, sold_price=D(0), sku="MUG", title="Mug", total=D(0)),
        ),
        "payments": (
            HikePayment(payment_type_name="Cash", amount=D("20.00")),
            HikePayment(payment_type_name="Card", amount=D("27.50")),
        ),
    }  # fmt: skip
    fields.update(changes)
    return HikeSale(**fields)


def test_rule_1_2_a_hike_sale_becomes_this_exact_woocommerce_order_body() -> None:
    """Rule 1.2 (and 1.9): known products by id, other lines as named fee lines, the
    difference to the sale total as "Hike adjustments", every tender in the title and the
    ``_hike_payments`` meta, the Hike sale as the origin, the customer as billing."""
    products = {"MUG": product(31, "MUG"), "TEA": None}
    body = woo_order_body_from_hike(hike_sale(), "completed", SETTINGS, "USD", products)
    assert body == {
        "status": "completed",
        "currency": "USD",
        "set_paid": False,
        "created_via": "hike-pos",
        "payment_method": "hike_pos",
        "payment_method_title": "Cash + Card",
        "line_items": [{"product_id": 31, "quantity": 2, "subtotal": "25.00", "total": "25.00"}],
        "meta_data": [
            {"key": "_hike_sale_id", "value": "501"},
            {"key": "_hike_sale_number", "value": "INV-1001"},
            {
                "key": "_hike_payments",
                "value": [
                    {"name": "Cash", "amount": "20.00"},
                    {"name": "Card", "amount": "27.50"},
                ],
            },
        ],
        "fee_lines": [
            {"name": "Tea (TEA)", "total": "8.00", "tax_status": "none"},
            {"name": "Gift wrap", "total": "5.00", "tax_status": "none"},
            {"name": "Hike adjustments", "total": "9.50", "tax_status": "none"},
        ],
        "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    }


def test_rule_1_2_a_sale_whose_lines_add_up_has_no_fee_lines_and_its_own_currency() -> None:
    """Rule 1.2: no adjustment when the lines make the total, the sale's currency wins,
    and a customer without an email is not sent (WooCommerce needs one)."""
    lines = (HikeSaleLine(quantity=3, sold_price=D(500), sku="MUG", title="Mug", total=D(1500)),)
    sale = hike_sale(
        total=D(1500), currency="JPY", lines=lines, payments=(),
        customer=HikeCustomer(first_name="Ada", last_name="Lovelace", email=""),
    )  # fmt: skip
    body = woo_order_body_from_hike(sale, "completed", SETTINGS, "USD", {"MUG": product(31, "MUG")})
    assert body["currency"] == "JPY"
    assert body["line_items"] == [
        {"product_id": 31, "quantity": 3, "subtotal": "1500", "total": "1500"}
    ]
    assert "fee_lines" not in body
    assert "billing" not in body
    assert body["payment_method_title"] == "Hike POS"
    on_account = hike_sale(fulfilment_status=FulfilmentStatus.ON_ACCOUNT, payments=())
    assert (
        woo_order_body_from_hike(on_account, "completed", SETTINGS, "USD")["payment_method_title"]
        == "On account"
    )


def test_rule_1_2_each_tender_type_is_named_once_in_the_order_of_first_use() -> None:
    """Rule 1.2: split tenders keep every type; a type used twice is named once."""
    cash, card = (HikePayment(payment_type_name=n, amount=D(1)) for n in ("Cash", "Card"))
    assert payment_title((cash, card, cash)) == "Cash + Card"
    assert payment_title(()) == "Hike POS"
    assert payment_title((), "On account") == "On account"


def test_rule_1_2_a_line_without_a_woocommerce_product_is_named_for_a_person() -> None:
    """Rule 1.2: lines WooCommerce has no product for are named (title and SKU, either,
    or "Hike line"); lines of no units are not lines."""
    sale = hike_sale(
        lines=(
            HikeSaleLine(quantity=1, sold_price=D(1), sku="MUG", title="Mug"),
            HikeSaleLine(quantity=1, sold_price=D(1), sku="TEA", title="Tea"),
            HikeSaleLine(quantity=1, sold_price=D(1), sku="", title="Gift wrap"),
            HikeSaleLine(quantity=1, sold_price=D(1), sku="SKU-9", title=""),
            HikeSaleLine(quantity=1, sold_price=D(1), sku="", title=""),
            HikeSaleLine(quantity=0, sold_price=D(0), sku="", title="Nothing"),
        )
    )
    assert unresolved_lines(sale, {"MUG": product(31, "MUG"), "TEA": None}) == [
        "Tea (TEA)",
        "Gift wrap",
        "SKU-9",
        "Hike line",
    ]


# -- Hike refund sale -> WooCommerce refund ----------------------------------------------------


def refund_sale(*lines: HikeSaleLine, total: str = "-27.50", note: str = "") -> HikeSale:
    return HikeSale(
        id=601, number="INV-1002", fulfilment_status=FulfilmentStatus.REFUNDED,
        payment_status=PaymentStatus.REFUNDED, total=D(total), outlet_id=1, refund_of=501,
        note=note, lines=lines,
    )  # fmt: skip


MUG_BACK = HikeSaleLine(
    quantity=-1, sold_price=D("13.75"), sku="MUG", total=D("-13.75"), tax_amount=D("-1.25")
)
TEA_BACK = HikeSaleLine(quantity=-1, sold_price=D("15.00"), sku="TEA", total=D("-15.00"))


def sold_order(currency: str = "USD") -> WooOrder:
    return woo_order(
        currency=currency,
        line_items=(
            WooLineItem(id=1, product_id=5, sku="MUG", quantity=2, total=D("25.00")),
            WooLineItem(id=2, product_id=6, sku="TEA", quantity=1, total=D("15.00")),
            WooLineItem(id=3, product_id=7, quantity=1, total=D("8.00")),
        ),
    )


def test_rule_1_4_a_hike_refund_sale_becomes_this_exact_woocommerce_refund() -> None:
    """Rule 1.4: ``api_refund`` false (no second gateway refund), no restock by
    WooCommerce, the refund sale as the origin, and lines matched by SKU when every line
    matches and their amounts (tax excluded) make the refund."""
    body = woo_refund_body_from_hike(refund_sale(MUG_BACK, TEA_BACK), sold_order(), "EUR")
    assert body == {
        "amount": "27.50",
        "reason": "Hike refund sale INV-1002",
        "api_refund": False,
        "api_restock": False,
        "meta_data": [{"key": "_hike_refund_sale_id", "value": "601"}],
        "line_items": [
            {"id": 1, "quantity": 1, "refund_total": "12.50"},
            {"id": 2, "quantity": 1, "refund_total": "15.00"},
        ],
    }


@pytest.mark.parametrize(
    "lines",
    [
        (MUG_BACK, HikeSaleLine(quantity=-1, sold_price=D(1), sku="NOPE", total=D(-1)), TEA_BACK),
        (MUG_BACK,),
    ],
    ids=["a-line-not-on-the-order", "lines-short-of-the-amount"],
)
def test_rule_1_4_a_refund_whose_lines_do_not_all_match_goes_by_amount_only(
    lines: tuple[HikeSaleLine, ...],
) -> None:
    """Rule 1.4: when one line is not on the order, or the lines do not make the amount,
    the refund is sent by amount alone (never with some lines and not others)."""
    body = woo_refund_body_from_hike(refund_sale(*lines), sold_order(), "USD")
    assert "line_items" not in body
    assert body["amount"] == "27.50"


def test_rule_1_4_a_refund_carries_its_note_and_the_currency_of_the_order() -> None:
    """Rule 1.4: the refund sale's note is the reason; amounts at the order's currency,
    or the shop's when the order has none."""
    sale = refund_sale(total="-1500", note="broken on arrival")
    assert woo_refund_body_from_hike(sale, sold_order("JPY"), "USD")["amount"] == "1500"
    body = woo_refund_body_from_hike(sale, sold_order(""), "JPY")
    assert (body["amount"], body["reason"]) == ("1500", "broken on arrival")


# -- 1.8 customers, 1.5 products ------------------------------------------------------------


@pytest.mark.parametrize(
    ("billing", "why"),
    [
        ({"last_name": "L", "email": "a@b.c"}, "the billing first name is missing"),
        ({"first_name": "A", "email": "a@b.c"}, "the billing last name is missing"),
        ({"first_name": "A", "last_name": "L"}, "the billing email is missing"),
        ({"first_name": "A", "email": " "}, "the billing last name, email are missing"),
        ({}, "the billing first name, last name, email are missing"),
    ],
)
def test_rule_1_8_without_all_three_no_customer_and_the_plan_names_what_is_missing(
    billing: dict[str, str], why: str
) -> None:
    """Rule 1.8: first name, last name and email, or no customer; the plan says why."""
    assert customer_for_order(WooAddress(**billing), None) == (
        None,
        f"no customer attached: {why} (Hike needs first and last name, WooCommerce an email)",
    )


def test_rule_1_5_each_kind_of_unsupported_line_is_named() -> None:
    """Rule 1.5: composites (parents and components, by field or meta) and bundles (by
    default) are refused, each line named with what it is."""

    def line(i: int, **kw: Any) -> WooLineItem:
        return WooLineItem(id=i, product_id=i, name=f"L{i}", quantity=1, total=D(1), **kw)

    def meta(key: str) -> tuple[WooMeta, ...]:
        return (WooMeta(key=key, value="x"),)

    order = woo_order(
        line_items=(
            line(1, composite_children=(2,)),
            line(2, composite_parent=1),
            line(3, meta_data=meta("_composite_children")),
            line(4, meta_data=meta("_composite_item")),
            line(5, meta_data=meta("_composite_data")),
            line(6, bundled_items=(7,)),
            line(7, bundled_by=6),
            line(8, meta_data=meta("_woosb_ids")),
            line(9, meta_data=meta("_bundle_cart_key")),
            line(10, meta_data=meta("_something_else")),
        )
    )
    assert unsupported_lines(order) == [
        (1, "L1", "composite product"),
        (2, "L2", "component of a composite product"),
        (3, "L3", "composite product"),
        (4, "L4", "component of a composite product"),
        (5, "L5", "composite product"),
        (6, "L6", "product bundle"),
        (7, "L7", "item of a product bundle"),
        (8, "L8", "product bundle"),
        (9, "L9", "item of a product bundle"),
    ]
    assert [i for i, _, _ in unsupported_lines(order, reject_bundles=False)] == [1, 2, 3, 4, 5]


def test_rule_1_5_a_line_with_children_is_a_composite_even_if_it_is_also_a_component() -> None:
    """Rule 1.5: a line is named for what it is, its children first: a composite nested in
    another (children and a parent in its meta) is named a composite product."""
    meta = (
        WooMeta(key="_composite_children", value=["2"]),
        WooMeta(key="_composite_item", value="x"),
    )
    line = WooLineItem(id=1, product_id=1, name="Box", quantity=1, total=D(1), meta_data=meta)
    order = woo_order(line_items=(line,))
    assert unsupported_lines(order) == [(1, "Box", "composite product")]


def test_rule_1_1_a_line_of_no_units_is_sold_at_no_unit_price() -> None:
    """Rule 1.1 (an order is synced whole): a WooCommerce line of zero units becomes a Hike
    line priced 0 a unit, not a division by zero."""
    line = WooLineItem(id=1, product_id=5, name="Mug", sku="MUG", quantity=0, total=D("3.00"))
    order = woo_order(line_items=(line,), shipping_lines=(), fee_lines=(), total=D("3.00"))
    draft = hike_sale_from_woo(
        order, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID), SETTINGS, None
    )
    assert [(li.quantity, li.sold_price, li.total) for li in draft.lines] == [(0, D(0), D("3.00"))]


def test_rule_1_4_a_refund_of_several_units_is_priced_per_unit() -> None:
    """Rule 1.4: a refund line's unit price is its total (tax included) over its units."""
    refund = WooRefund(
        id=79, amount=D("22.00"), line_items=(refund_line(101, -2, "-20.00", "-2.00", ref="1"),)
    )
    [line] = hike_refund_sale_from_woo(woo_order(), refund, 501, SETTINGS).lines
    assert (line.quantity, line.sold_price, line.total) == (-2, D("11.00"), D("-22.00"))


def test_rule_1_2_a_line_of_no_units_is_left_out_and_the_lines_after_it_are_kept() -> None:
    """Rule 1.2: a Hike line of zero units is no line of the order; the lines that follow
    it still are."""
    lines = (
        HikeSaleLine(quantity=0, sold_price=D(0), sku="MUG", title="Mug", total=D(0)),
        HikeSaleLine(quantity=1, sold_price=D(5), sku="MUG", title="Mug", total=D(5)),
        HikeSaleLine(quantity=1, sold_price=D(2), title="Gift wrap", total=D(2)),
    )
    sale = hike_sale(total=D(7), lines=lines)
    body = woo_order_body_from_hike(sale, "completed", SETTINGS, "USD", {"MUG": product(31, "MUG")})
    assert body["line_items"] == [
        {"product_id": 31, "quantity": 1, "subtotal": "5.00", "total": "5.00"}
    ]
    assert body["fee_lines"] == [{"name": "Gift wrap", "total": "2.00", "tax_status": "none"}]


def test_rule_1_2_a_line_without_a_sku_is_never_sent_as_a_product() -> None:
    """Rule 1.2 (and ``unresolved_lines``: WooCommerce stores a line it cannot place as an
    empty line): a line without a SKU is a named fee line, even when the product lookup
    answered for the empty SKU (WooCommerce has many products without one)."""
    lines = (HikeSaleLine(quantity=1, sold_price=D(2), title="Gift wrap", total=D(2)),)
    sale = hike_sale(total=D(2), lines=lines)
    body = woo_order_body_from_hike(sale, "completed", SETTINGS, "USD", {"": product(9, "x")})
    assert body["line_items"] == []
    assert body["fee_lines"] == [{"name": "Gift wrap", "total": "2.00", "tax_status": "none"}]
