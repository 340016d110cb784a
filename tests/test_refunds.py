"""Rule 1.4 (pure part): which refunds sync, and do they reconcile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from hikewoo_core import parse_woo_order, parse_woo_refund
from hikewoo_core._refunds import reconcile_refunds, refunds_to_sync, remaining_refundable
from hikewoo_core.woo import WooOrder, WooRefund


def order(status: str, refunds: tuple[tuple[int, str], ...] = ()) -> WooOrder:
    return parse_woo_order(
        {
            "id": 10, "number": "10", "status": status, "currency": "USD", "total": "100.00",
            "date_created_gmt": "2026-11-27T01:00:00", "date_modified_gmt": "2026-11-27T01:00:00",
            "line_items": [
                {"id": 1, "name": "Mug", "product_id": 5, "quantity": 2, "total": "50.00"},
                {"id": 2, "name": "Tea", "product_id": 6, "quantity": 5, "total": "50.00"},
            ],
            "refunds": [{"id": i, "reason": "", "total": f"-{a}"} for i, a in refunds],
        }
    )  # fmt: skip


def refund(rid: int, amount: str, lines: tuple[tuple[int, int], ...] = ()) -> WooRefund:
    body: dict[str, Any] = {
        "id": rid,
        "amount": amount,
        "line_items": [
            {"id": 100 + i, "product_id": 5, "quantity": -q, "total": "-1.00",
             "meta_data": [{"key": "_refunded_item_id", "value": str(item)}]}
            for i, (item, q) in enumerate(lines)
        ],
    }  # fmt: skip
    return parse_woo_refund(body)


def test_rule_1_4_partial_refund_on_completed_order_does_not_sync() -> None:
    o = order("completed", ((21, "10.00"),))
    decision = refunds_to_sync(o, [refund(21, "10.00")], synced_ids=())
    assert decision.to_sync == ()
    [(held, why)] = decision.held
    assert held.id == 21
    assert "only when the WooCommerce order status becomes 'refunded'" in why
    assert "'completed'" in why


def test_rule_1_4_refunded_order_syncs_each_refund_separately_oldest_first() -> None:
    o = order(
        "refunded",
        (
            (23, "60.00"),
            (22, "30.00"),
            (21, "10.00"),
        ),
    )
    refunds = [refund(23, "60.00"), refund(21, "10.00"), refund(22, "30.00")]
    decision = refunds_to_sync(o, refunds, synced_ids=())
    assert [r.id for r in decision.to_sync] == [21, 22, 23]
    assert decision.problems == ()


def test_rule_1_4_each_refund_exactly_once_ever() -> None:
    o = order(
        "refunded",
        (
            (22, "90.00"),
            (21, "10.00"),
        ),
    )
    refunds = [refund(21, "10.00"), refund(22, "90.00")]
    assert [r.id for r in refunds_to_sync(o, refunds, synced_ids={21}).to_sync] == [22]
    assert refunds_to_sync(o, refunds, synced_ids={21, 22}).to_sync == ()


def test_rule_1_4_refunds_never_exceed_the_total() -> None:
    o = order(
        "refunded",
        (
            (21, "80.00"),
            (22, "30.00"),
        ),
    )
    problems = reconcile_refunds(o, [refund(21, "80.00"), refund(22, "30.00")])
    assert any("more than the order total 100.00" in p for p in problems)
    decision = refunds_to_sync(o, [refund(21, "80.00"), refund(22, "30.00")], ())
    assert decision.to_sync == ()
    assert decision.problems


def test_rule_1_4_sum_must_equal_what_woocommerce_says() -> None:
    o = order("refunded", ((21, "10.00"),))
    problems = reconcile_refunds(o, [refund(21, "12.00")])
    assert problems == ("refund objects add up to 12.00 but the order says 10.00 was refunded",)


def test_rule_1_4_missing_refund_objects_are_reported() -> None:
    o = order(
        "refunded",
        (
            (21, "10.00"),
            (22, "5.00"),
        ),
    )
    problems = reconcile_refunds(o, [refund(21, "10.00")])
    assert problems == ("the order lists refunds [21, 22] but [21] were read",)


def test_rule_1_4_quantities_never_exceed_sold() -> None:
    o = order(
        "refunded",
        (
            (21, "10.00"),
            (22, "10.00"),
        ),
    )
    refunds = [
        refund(21, "10.00", ((1, 2),)),
        refund(
            22,
            "10.00",
            (
                (1, 1),
                (9, 1),
            ),
        ),
    ]
    problems = reconcile_refunds(o, refunds)
    assert "refund #22 refunds line item 9, which is not on the order" in problems
    assert "line item 1 ('Mug'): 3 units refunded but only 2 sold" in problems


def test_remaining_refundable() -> None:
    assert remaining_refundable(order("completed", ((21, "10.00"),))) == Decimal("90.00")


# --- holes mutation testing found (docs/testing.md) ---------------------------------


def test_rule_1_4_a_refund_of_zero_is_reported_as_a_mismatch() -> None:
    """Rule 1.4 (reconciliation): a refund must move money; zero is a mismatch, named."""
    o = order("refunded", ((21, "0.00"),))
    assert reconcile_refunds(o, [refund(21, "0.00")]) == (
        "refund #21 has a non-positive amount 0.00",
    )
    decision = refunds_to_sync(o, [refund(21, "0.00")], ())
    assert decision.to_sync == ()
    assert decision.problems == ("refund #21 has a non-positive amount 0.00",)


def test_rule_1_4_refunding_every_unit_sold_is_not_a_mismatch() -> None:
    """Rule 1.4: line quantities refunded never *exceed* those sold: all of them is fine."""
    o = order("refunded", ((21, "100.00"),))
    assert reconcile_refunds(o, [refund(21, "100.00", ((1, 2), (2, 5)))]) == ()


def test_rule_1_4_every_line_of_a_refund_is_checked_after_an_unknown_one() -> None:
    """Rule 1.4 (a mismatch is reported, each of them): a line that is not on the order
    does not stop the check of the refund's next lines."""
    o = order("refunded", ((21, "100.00"),))
    problems = reconcile_refunds(o, [refund(21, "100.00", ((9, 1), (1, 3)))])
    assert problems == (
        "refund #21 refunds line item 9, which is not on the order",
        "line item 1 ('Mug'): 3 units refunded but only 2 sold",
    )


def test_rule_1_4_an_order_refunded_below_zero_is_reported_not_crashed() -> None:
    """Rule 1.4 and DESIGN 3 (bad input is reported, never a bare crash): an order whose
    total is negative, with nothing refunded, is a mismatch stated in money."""
    o = attrs.evolve(order("refunded"), total=Decimal("-5.00"))
    assert reconcile_refunds(o, []) == ("refunds total 0.00, more than the order total -5.00",)
