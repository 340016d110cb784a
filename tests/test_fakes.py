"""The public fakes (``hikewoo_core.testing``) keep the real systems' rules."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core import (
    ApiError,
    HikeStatus,
    OrderWindow,
    PayloadError,
    ReconciliationError,
    RuleViolation,
)
from hikewoo_core._errors import SerialNumberError
from hikewoo_core._ports import HikePort, WooPort
from hikewoo_core._serials import check_serial_entry, serial_entry_allowed
from hikewoo_core.hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikePayment,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce
from hikewoo_core.woo._convert import parse_woo_order
from hikewoo_core.woo._models import WooOrder, WooStatus

from ._shared import DOCS_EXAMPLES, REAL, load, requires_shared

UTC = timezone.utc
T0 = datetime(2026, 11, 27, 2, 8, 10, tzinfo=UTC)
D = Decimal


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def woo(clock: FakeClock) -> FakeWooCommerce:
    return FakeWooCommerce(clock=clock)


@pytest.fixture
def hike(clock: FakeClock) -> FakeHike:
    return FakeHike(clock=clock)


def order_payload(**changes: Any) -> dict[str, Any]:
    """The order of the real 10.0.2 capture: 2 mugs, 4 stickers, flat-rate shipping (74.00)."""
    payload: dict[str, Any] = {
        "status": "processing",
        "payment_method": "bacs",
        "line_items": [
            {"id": 1, "product_id": 10, "sku": "MUG-001", "name": "Test Mug", "quantity": 2,
             "subtotal": "50.00", "total": "50.00"},
            {"id": 2, "product_id": 11, "sku": "STK-001", "name": "Test Sticker", "quantity": 4,
             "subtotal": "14.00", "total": "14.00"},
        ],
        "shipping_lines": [
            {"id": 3, "method_id": "flat_rate", "method_title": "Flat Rate", "total": "10.00"}
        ],
    }  # fmt: skip
    payload.update(changes)
    return payload


def api_error(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str, str, Any]:
    return exc.value.status, exc.value.code, exc.value.api_message, exc.value.data


# ------------------------------------------------------------------ clock, ports


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(T0)
    assert clock.now() == clock() == T0
    clock.advance(1.5)
    clock.advance(timedelta(minutes=1))
    assert clock.now() == T0 + timedelta(seconds=61.5)
    clock.set(datetime(2027, 1, 1, 10, tzinfo=timezone(timedelta(hours=10))))
    assert clock.now() == datetime(2027, 1, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="negative"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 1, 1))
    assert FakeClock().now().tzinfo is UTC


def test_fakes_implement_the_ports() -> None:
    assert isinstance(FakeWooCommerce(), WooPort)
    assert isinstance(FakeHike(), HikePort)


# ------------------------------------------------------------- WooCommerce seed


@requires_shared
def test_add_order_keeps_a_docs_example_as_is(woo: FakeWooCommerce) -> None:
    payload = load(DOCS_EXAMPLES / "order_retrieve_response.json")
    assert woo.add_order(payload) == 727
    assert woo.get_order(727)["total"] == "29.35"
    assert parse_woo_order(woo.get_order(727)) == parse_woo_order(payload)
    assert isinstance(woo.orders()[0], WooOrder)
    with pytest.raises(ValueError, match="already used"):
        woo.add_order(payload)
    assert woo.add_order(order_payload()) == 728  # the sequence continues after 727


def test_add_order_fills_defaults_and_computes_total(woo: FakeWooCommerce) -> None:
    payload = order_payload(fee_lines=[{"id": 4, "name": "Gift wrap", "total": "2.50"}])
    original = copy.deepcopy(payload)
    order_id = woo.add_order(payload)
    assert payload == original  # the caller's dict is left alone
    order = woo.read_order(order_id)
    assert (order.id, order.number, order.currency) == (1, "1", "USD")
    assert order.total == D("76.50")
    assert order.shipping_total == D("10.00")
    assert order.date_created_gmt == T0
    assert order.date_modified_gmt == T0
    body = woo.get_order(order_id)
    assert body["total"] == "76.50"
    assert body["refunds"] == []


def test_add_order_rejects_invalid_payloads(woo: FakeWooCommerce) -> None:
    with pytest.raises(PayloadError) as exc:
        woo.add_order(order_payload(line_items=[{"id": 1, "product_id": 1, "quantity": "two",
                                                 "total": "1"}]))  # fmt: skip
    assert "$.line_items[0].quantity" in exc.value.paths
    with pytest.raises(PayloadError):
        woo.add_order({"id": "seven", "status": "processing"})
    assert woo.orders() == []


def test_get_order_unknown_id_is_404(woo: FakeWooCommerce) -> None:
    with pytest.raises(ApiError) as exc:
        woo.get_order(99999999)
    assert api_error(exc) == (
        404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", {"status": 404}
    )  # fmt: skip
    with pytest.raises(ApiError):
        woo.read_order(99999999)


# ------------------------------------------------------------------ refunds


def test_partial_refund_then_refunded_status_refunds_the_rest(
    woo: FakeWooCommerce, clock: FakeClock
) -> None:
    """The real capture: 5.00 refunded, then status refunded creates 'Order fully refunded.'."""
    order_id = woo.add_order(order_payload())
    clock.advance(1)
    woo.add_refund(order_id, {"amount": "5.00", "reason": "Damaged item", "api_refund": False})
    order = woo.read_order(order_id)
    assert order.status == "processing"
    assert order.total_refunded == D("5.00")
    assert order.date_modified_gmt == T0 + timedelta(seconds=1)
    clock.advance(1)
    woo.set_status(order_id, "refunded")
    order = woo.read_order(order_id)
    assert order.status == WooStatus.REFUNDED
    assert [(r.reason, r.total) for r in order.refunds] == [
        ("Order fully refunded.", D("-69.00")),  # newest first, like WooCommerce
        ("Damaged item", D("-5.00")),
    ]
    refunds = woo.read_refunds(order_id)  # oldest first
    assert [(r.amount, r.line_items, r.refunded_by) for r in refunds] == [
        (D("5.00"), (), 1),
        (D("69.00"), (), 1),
    ]
    assert refunds[1].date_created_gmt == T0 + timedelta(seconds=2)


@requires_shared
def test_status_refunded_matches_the_real_store(woo: FakeWooCommerce) -> None:
    real = load(REAL / "order_update_status_refunded.json")["body"]
    real_refunds = load(REAL / "order_refunds_list_after_status_refunded.json")["body"]
    order_id = woo.add_order(load(REAL / "order_create.json")["body"] | {"refunds": []})
    woo.add_refund(order_id, {"amount": "5.00", "reason": real_refunds[1]["reason"],
                              "api_refund": False})  # fmt: skip
    ours = woo.write_order({"status": "refunded"}, order_id)
    assert [(r.reason, str(r.total)) for r in ours.refunds] == [
        (r["reason"], r["total"]) for r in real["refunds"]
    ]
    got = woo.read_refunds(order_id)[-1]
    assert (str(got.amount), got.reason, got.refunded_payment) == (
        real_refunds[0]["amount"], real_refunds[0]["reason"], real_refunds[0]["refunded_payment"]
    )  # fmt: skip


def test_refund_reaching_total_sets_refunded(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    woo.add_refund(order_id, {"amount": "70.00", "api_refund": False})
    assert woo.read_order(order_id).status == "processing"
    woo.add_refund(order_id, {"amount": 4, "api_refund": False})
    assert woo.read_order(order_id).status == "refunded"
    assert len(woo.refunds(order_id)) == 2  # no extra automatic refund


def test_over_refund_is_the_real_500(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    with pytest.raises(ApiError) as exc:
        woo.write_refund(order_id, {"amount": "9999.00", "api_refund": False})
    assert api_error(exc) == (
        500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500
    )  # fmt: skip
    assert woo.refunds(order_id) == []


def test_negative_refund_amount(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    with pytest.raises(ApiError) as exc:
        woo.write_refund(order_id, {"amount": "-1", "api_refund": False})
    assert exc.value.code == "woocommerce_rest_invalid_order_refund"
    assert exc.value.data_status == 400


def test_api_refund_defaults_to_true_and_fails_like_the_real_store(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    with pytest.raises(ApiError) as exc:
        woo.write_refund(order_id, {"amount": "5.00"})
    assert api_error(exc) == (
        500,
        "woocommerce_rest_cannot_create_order_refund",
        "The payment gateway for this order does not support automatic refunds.",
        500,
    )
    assert woo.refunds(order_id) == []
    assert woo.read_order(order_id).refunds == ()


def test_api_refund_on_a_capable_gateway(clock: FakeClock) -> None:
    woo = FakeWooCommerce(clock=clock, refund_capable_gateways={"stripe"})
    order_id = woo.add_order(order_payload(payment_method="stripe"))
    refund = woo.write_refund(order_id, {"amount": "5.00"})
    assert refund.refunded_payment is True


def test_refund_line_items(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    body = {
        "reason": "one mug broke",
        "api_refund": False,
        "line_items": [
            {"id": 1, "quantity": 1, "refund_total": "25.00",
             "refund_tax": [{"id": 75, "refund_total": "1.50"}]},
            {"id": 3, "refund_total": 5},
        ],
        "meta_data": [{"key": "_hike_refund_sale_id", "value": "9"}],
    }  # fmt: skip
    refund = woo.write_refund(order_id, body)
    assert refund.amount == D("31.50")  # sum of refund_total and refund_tax
    (line,) = refund.line_items
    assert (line.quantity, line.total, line.subtotal, line.total_tax) == (
        -1, D("-25.00"), D("-25.00"), D("-1.50")
    )  # fmt: skip
    assert line.meta("_refunded_item_id") == "1"
    assert line.sku == "MUG-001"
    assert refund.shipping_lines[0].total == D("-5")
    assert refund.meta("_hike_refund_sale_id") == "9"
    assert list(refund.refunded_quantities()) == [(1, 1)]
    woo.write_refund(order_id, {"api_refund": False, "line_items": [{"id": 1, "quantity": 1}]})
    with pytest.raises(ApiError) as exc:
        woo.write_refund(order_id, {"api_refund": False, "line_items": [{"id": 1, "quantity": 1}]})
    assert (exc.value.status, exc.value.code) == (400, "woocommerce_rest_invalid_order_refund")
    assert "2 sold, 0 left" in exc.value.api_message
    with pytest.raises(ApiError):
        woo.write_refund(order_id, {"api_refund": False, "line_items": [{"id": 77, "quantity": 1}]})


def test_orders_and_refunds_share_one_id_sequence(woo: FakeWooCommerce) -> None:
    first = woo.add_order(order_payload())
    refund = woo.add_refund(first, {"amount": "1", "api_refund": False})
    second = woo.write_order({"line_items": [{"product_id": 5, "quantity": 1, "total": "3"}]}).id
    assert (first, refund, second) == (1, 2, 3)
    with pytest.raises(ApiError):
        woo.read_order(refund)  # a refund id is not an order


# --------------------------------------------------------- statuses and dates


def test_date_modified_is_the_clock_in_whole_seconds_shared_within_a_second(
    woo: FakeWooCommerce, clock: FakeClock
) -> None:
    """As on the real store (a batch of 20 updates shared one stamp): changes within one
    second share ``date_modified_gmt``, and a clock stepped back stamps earlier."""
    a = woo.add_order(order_payload())
    b = woo.add_order(order_payload())
    woo.add_meta(a, "note", "x")
    woo.set_status(b, "completed")
    assert [o.date_modified_gmt for o in woo.orders()] == [T0, T0]
    clock.advance(0.4)
    woo.set_status(a, "on-hold")
    assert woo.read_order(a).date_modified_gmt == T0  # three changes, one second
    assert woo.read_order(a).status == "on-hold"
    clock.advance(100.7)
    woo.set_status(a, "processing")
    assert woo.read_order(a).date_modified_gmt == T0 + timedelta(seconds=101)
    assert woo.read_order(a).date_modified_gmt.microsecond == 0
    clock.set(T0 - timedelta(seconds=30))  # an NTP step back
    woo.set_status(a, "completed")
    assert woo.read_order(a).date_modified_gmt == T0 - timedelta(seconds=30)


def test_completed_sets_paid_and_completed_dates(woo: FakeWooCommerce, clock: FakeClock) -> None:
    order_id = woo.add_order(order_payload(status="pending"))
    clock.advance(5)
    order = woo.set_status(order_id, "completed")
    assert order.date_completed_gmt == order.date_paid_gmt == T0 + timedelta(seconds=5)
    assert woo.set_status(order_id, "completed") == order  # no change, no bump


def test_unknown_and_plugin_statuses(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    with pytest.raises(ApiError) as exc:
        woo.set_status(order_id, "shipped")
    status, code, message, data = api_error(exc)
    assert (status, code, message) == (400, "rest_invalid_param", "Invalid parameter(s): status")
    assert data["params"]["status"].startswith("status is not one of auto-draft, pending")
    with pytest.raises(ApiError):
        woo.write_order({"status": "bogus"}, order_id)
    woo.register_status("wc-shipped")
    assert woo.set_status(order_id, "shipped").status == "shipped"
    assert FakeWooCommerce(extra_statuses=["shipped"]).write_order({"status": "shipped"}).status \
        == "shipped"  # fmt: skip


def test_delete_order_trashes(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload())
    woo.delete_order(order_id)
    assert woo.read_order(order_id).status == WooStatus.TRASH
    assert list(woo.read_orders()) == []
    with pytest.raises(ApiError) as exc:
        woo.delete_order(order_id)
    assert exc.value.status == 410


def test_read_orders_windows(woo: FakeWooCommerce, clock: FakeClock) -> None:
    ids = []
    for _ in range(4):
        ids.append(woo.add_order(order_payload()))
        clock.advance(10)
    woo.add_meta(ids[0], "touched", "yes")  # now the most recently modified
    t = [T0 + timedelta(seconds=10 * i) for i in range(5)]
    assert [o.id for o in woo.read_orders()] == [ids[1], ids[2], ids[3], ids[0]]
    middle = OrderWindow(modified_after=t[1], modified_before=t[3])
    assert [o.id for o in woo.read_orders(middle)] == [ids[1], ids[2]]
    assert [
        o.id for o in woo.read_orders(OrderWindow(created_after=t[0], created_before=t[1]))
    ] == [ids[0]]
    lazy = woo.read_orders(OrderWindow(modified_after=t[4]))  # the window ends with this second
    clock.advance(1)
    later = woo.add_order(order_payload())  # a second later: for the next read
    assert [o.id for o in lazy] == [ids[0]]
    live = woo.read_orders(OrderWindow(modified_after=t[4]))
    same_second = woo.add_order(order_payload())  # read live, as over HTTP
    assert sorted(o.id for o in live) == [ids[0], later, same_second]
    with pytest.raises(ValueError, match="timezone-aware"):
        woo.read_orders(OrderWindow(modified_after=datetime(2026, 1, 1)))


# ------------------------------------------------------------ write_order


def test_write_order_create_computes_totals_like_woocommerce(
    woo: FakeWooCommerce, clock: FakeClock
) -> None:
    body = {
        "status": "processing",
        "set_paid": True,
        "currency": "AUD",
        "created_via": "hike",
        "payment_method_title": "Cash",
        "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        "line_items": [
            {"sku": "MUG-001", "quantity": 2, "subtotal": "60.00", "total": "50.00"},
            {"product_id": 11, "quantity": 4, "total": "14"},
            {"product_id": 12, "quantity": 1},
        ],
        "shipping_lines": [{"method_id": "flat_rate", "total": "10.00"}],
        "fee_lines": [{"name": "Surcharge", "total": "1.25"}],
        "meta_data": [{"key": "_hike_sale_id", "value": "42"},
                      {"key": "_hike_sale_id", "value": "43"}],
    }  # fmt: skip
    order = woo.write_order(body)
    assert order.total == D("75.25")
    assert (order.discount_total, order.shipping_total, order.currency) == (
        D("10.00"), D("10.00"), "AUD"
    )  # fmt: skip
    assert [(li.quantity, li.subtotal, li.total, li.price) for li in order.line_items] == [
        (2, D("60.00"), D("50.00"), D("25")),
        (4, D("14.00"), D("14.00"), D("3.5")),
        (1, D("0.00"), D("0.00"), D("0")),  # no price sent: 0.00, like an unknown product
    ]
    assert order.meta_data[0].key == "_hike_sale_id"
    assert order.meta("_hike_sale_id") == "43"
    assert len(order.meta_data) == 1  # update_meta_data upserts by key
    assert (order.created_via, order.billing.email, order.date_paid_gmt) == (
        "hike", "ada@example.com", T0
    )  # fmt: skip
    assert woo.read_order(order.id) == order
    pending = woo.write_order({"line_items": [{"sku": "X", "quantity": 1, "total": "1"}]})
    assert (pending.status, pending.date_paid_gmt, pending.created_via) == (
        "pending", None, "rest-api"
    )  # fmt: skip
    assert woo.write_order({"set_paid": True}).status == "processing"
    completed = woo.write_order({"status": "completed"})
    assert completed.date_paid_gmt is not None
    assert completed.date_completed_gmt is not None


def test_write_order_create_refusals(woo: FakeWooCommerce) -> None:
    with pytest.raises(ApiError) as exc:
        woo.write_order({"line_items": [{"quantity": 1}]})
    assert exc.value.code == "woocommerce_rest_required_product_reference"
    with pytest.raises(ApiError) as exc:
        woo.write_order({"shipping_lines": [{"total": "1"}]})
    assert exc.value.code == "woocommerce_rest_invalid_shipping_item"
    with pytest.raises(ApiError) as exc:
        woo.write_order({"line_items": [{"sku": "A", "quantity": "2", "total": "x"}]})
    assert exc.value.code == "rest_invalid_param"
    assert "line_items[0].quantity" in exc.value.data["params"]["line_items"]
    with pytest.raises(ApiError) as exc:
        woo.write_order({"id": 5})
    assert exc.value.code == "woocommerce_rest_shop_order_exists"
    assert woo.orders() == []


def test_write_order_update(woo: FakeWooCommerce) -> None:
    order_id = woo.add_order(order_payload(meta_data=[{"id": 1, "key": "a", "value": "1"}]))
    order = woo.write_order(
        {
            "customer_note": "Leave at the door",
            "payment_method_title": "Cash (Hike)",
            "meta_data": [{"key": "a", "value": "2"}, {"key": "_hike_sale_id", "value": "7"}],
        },
        order_id,
    )
    assert [(m.key, m.value) for m in order.meta_data] == [("a", "2"), ("_hike_sale_id", "7")]
    assert (order.customer_note, order.payment_method_title) == ("Leave at the door", "Cash (Hike)")
    woo.add_refund(order_id, {"amount": "4", "api_refund": False})
    refunded = woo.write_order({"status": "refunded"}, order_id)
    assert refunded.total_refunded == refunded.total
    assert refunded.refunds[0].reason == "Order fully refunded."
    with pytest.raises(ApiError) as exc:
        woo.write_order({"status": "completed"}, 424242)
    assert (exc.value.status, exc.value.code) == (400, "woocommerce_rest_shop_order_invalid_id")


def test_find_orders_by_meta(woo: FakeWooCommerce, clock: FakeClock) -> None:
    old = woo.write_order({"meta_data": [{"key": "_hike_sale_id", "value": 7}]})
    clock.advance(60)
    new = woo.write_order({"meta_data": [{"key": "_hike_sale_id", "value": "7"}]})
    woo.write_order({"meta_data": [{"key": "_hike_sale_id", "value": "8"}]})
    assert [o.id for o in woo.find_orders_by_meta("_hike_sale_id", "7")] == [old.id, new.id]
    after = T0 + timedelta(seconds=60)
    assert [
        o.id
        for o in woo.find_orders_by_meta("_hike_sale_id", "7", OrderWindow(created_after=after))
    ] == [new.id]
    woo.add_meta(new.id, "x", "y")
    assert woo.read_order(new.id).meta("x") == "y"


# ------------------------------------------------------------- fault injection


def test_woo_fail_next_before_and_after_write(woo: FakeWooCommerce) -> None:
    body = {"line_items": [{"sku": "A", "quantity": 1, "total": "2"}]}
    woo.fail_next("write_order", TimeoutError("before"))
    with pytest.raises(TimeoutError):
        woo.write_order(body)
    assert woo.orders() == []  # nothing was written
    woo.fail_next("write_order", TimeoutError("response lost"), after_write=True)
    with pytest.raises(TimeoutError):
        woo.write_order(body)
    assert len(woo.orders()) == 1  # the write happened
    woo.write_order(body)
    assert woo.call_count("write_order") == 3
    assert woo.calls[0] == ("write_order", (None, body))
    order_id = woo.orders()[0].id
    woo.fail_next("write_refund", ConnectionError("lost"), after_write=True)
    with pytest.raises(ConnectionError):
        woo.write_refund(order_id, {"amount": "1", "api_refund": False})
    assert len(woo.refunds(order_id)) == 1
    woo.fail_next("read_orders", TimeoutError())
    with pytest.raises(TimeoutError):
        woo.read_orders()
    with pytest.raises(ValueError, match="not a port method"):
        woo.fail_next("add_order", TimeoutError())
    woo.add_order(order_payload())  # helpers are not logged
    assert [c.method for c in woo.calls][-1] == "read_orders"


# =================================================================== Hike


def woo_draft(
    sku: str = "CAM-1", qty: int = 2, price: str = "100.00", **changes: Any
) -> HikeSaleDraft:
    total = D(price) * qty
    fields: dict[str, Any] = {
        "fulfilment_status": FulfilmentStatus.COMPLETED,
        "payment_status": PaymentStatus.PAID,
        "total": total,
        "outlet_id": 1,
        "register_id": 1,
        "source": SaleSource.WOOCOMMERCE,
        "external_reference": "woo:12",
        "lines": (HikeSaleLine(quantity=qty, sold_price=D(price), sku=sku, total=total),),
        "payments": (HikePayment(payment_type_name="WooCommerce", amount=total),),
    }
    fields.update(changes)
    return HikeSaleDraft(**fields)


def refund_draft(of: int, qty: int, amount: str, sku: str = "CAM-1") -> HikeSaleDraft:
    return woo_draft(
        sku,
        fulfilment_status=FulfilmentStatus.REFUNDED,
        payment_status=PaymentStatus.REFUNDED,
        total=-D(amount),
        refund_of=of,
        lines=(HikeSaleLine(quantity=-qty, sold_price=D(amount) / qty, sku=sku),),
        payments=(),
    )


def test_hike_starts_with_an_open_register(hike: FakeHike, clock: FakeClock) -> None:
    closure = hike.current_closure(1)
    assert closure is not None
    assert closure.is_open
    assert closure.opened_at == T0
    with pytest.raises(RuleViolation, match="already open"):
        hike.open_register(1)
    clock.advance(3600)
    closed = hike.close_register(1)
    assert closed.closed_at == T0 + timedelta(hours=1)
    assert hike.current_closure(1) is None
    assert hike.read_register_closure(closure.id) == closed
    with pytest.raises(RuleViolation, match="not open"):
        hike.close_register(1)
    with pytest.raises(RuleViolation, match="closed register"):
        hike.write_sale(woo_draft())
    reopened = hike.open_register(1)
    assert reopened.id != closure.id
    assert hike.read_register_closure(closure.id) == closed
    register = hike.add_register("Web orders")
    assert hike.current_closure(register.id) is None  # new registers start closed
    with pytest.raises(ApiError) as exc:
        hike.read_register_closure(999)
    assert exc.value.status == 404


def test_write_sale_numbers_closure_customer_and_stock(hike: FakeHike) -> None:
    hike.add_product("CAM-1", "Camera", stock=10)
    ada = HikeCustomer(first_name="Ada", last_name="Lovelace", email="Ada@Example.com")
    first = hike.write_sale(woo_draft(customer=ada))
    second = hike.write_sale(woo_draft(qty=1, do_not_update_inventory=True, customer=ada))
    assert (first.id, first.number, second.number) == (1, "INV-1001", "INV-1002")
    assert first.register_closure_id == hike.current_closure(1).id  # type: ignore[union-attr]
    assert first.modified_at == second.modified_at == T0  # one second, one stamp
    assert first.customer_id == second.customer_id
    assert len(hike.customers()) == 1
    assert hike.find_customer("ada@example.COM") == first.customer
    assert first.lines[0].product_id == hike.product("CAM-1").id
    assert hike.stock("CAM-1") == 8  # the second sale did not update inventory
    assert hike.find_sales_by_reference("woo:12") == [first, second]
    assert hike.find_product("CAM-1") == hike.product("CAM-1")
    assert hike.find_product("NOPE") is None
    with pytest.raises(ApiError) as exc:
        hike.product("NOPE")
    assert exc.value.status == 404
    with pytest.raises(ValueError, match="already used"):
        hike.add_product("CAM-1")


def test_refund_sales_restock_and_never_exceed_the_original(hike: FakeHike) -> None:
    hike.add_product("CAM-1", stock=10)
    sale = hike.write_sale(woo_draft())
    assert hike.stock("CAM-1") == 8
    refund = hike.write_sale(refund_draft(sale.id, 1, "100.00"))
    assert refund.refund_of == sale.id
    assert refund.total == D("-100.00")
    assert hike.stock("CAM-1") == 9
    with pytest.raises(ReconciliationError, match="more than its total"):
        hike.write_sale(refund_draft(sale.id, 1, "100.01"))
    with pytest.raises(ReconciliationError, match=r"return 3 unit.*2 were sold"):
        hike.write_sale(refund_draft(sale.id, 2, "50.00"))
    with pytest.raises(RuleViolation, match="does not exist"):
        hike.write_sale(refund_draft(999, 1, "1"))
    with pytest.raises(RuleViolation, match="negative total"):
        hike.write_sale(woo_draft(refund_of=sale.id))
    assert hike.sales() == [sale, refund]


def test_write_sale_status_and_void(hike: FakeHike) -> None:
    hike.add_product("CAM-1", stock=5)
    parked: dict[str, Any] = {"fulfilment_status": FulfilmentStatus.PARKED, "payments": ()}
    sale = hike.write_sale(woo_draft(payment_status=PaymentStatus.PENDING, **parked))
    paid = (HikePayment(payment_type_name="WooCommerce", amount=D("200.00")),)
    done = hike.write_sale_status(
        sale.id, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID), paid
    )
    assert (done.fulfilment_status, done.payments) == (FulfilmentStatus.COMPLETED, paid)
    assert done.modified_at == sale.modified_at == T0  # changed within the same second
    voided = hike.write_sale_status(
        sale.id, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED)
    )
    assert voided.payments == paid
    assert hike.stock("CAM-1") == 5
    with pytest.raises(RuleViolation, match="does not reopen"):
        hike.write_sale_status(sale.id, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID))
    hike.write_sale_status(
        sale.id, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED)
    )  # idempotent
    with pytest.raises(RuleViolation):
        hike.void_sale(sale.id)


def test_read_sales_windows(hike: FakeHike, clock: FakeClock) -> None:
    a = hike.write_sale(woo_draft())
    clock.advance(10)
    b = hike.write_sale(woo_draft())
    clock.advance(10)
    hike.write_sale_status(a.id, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID))
    t10 = T0 + timedelta(seconds=10)
    assert [s.id for s in hike.read_sales()] == [b.id, a.id]
    assert [s.id for s in hike.read_sales(modified_after=t10)] == [b.id, a.id]
    assert [s.id for s in hike.read_sales(modified_before=t10)] == []
    t11 = t10 + timedelta(seconds=1)
    assert [s.id for s in hike.read_sales(modified_after=t10, modified_before=t11)] == [b.id]
    with pytest.raises(ApiError):
        hike.read_sale(999)


# ----------------------------------------------------------------- serials


def test_serial_numbers_allowed_while_open_locked_after_close(hike: FakeHike) -> None:
    hike.add_product("CAM-1", "Camera", serial_number_enabled=True, stock=3)
    sale = hike.write_sale(woo_draft())
    updated = hike.write_serial_numbers(sale.id, 0, ["SN-1", "SN-2"])
    assert updated.lines[0].serial_numbers == ("SN-1", "SN-2")
    assert hike.write_serial_numbers(sale.id, 0, ["SN-9"]).lines[0].serial_numbers == ("SN-9",)
    with pytest.raises(SerialNumberError, match="3 serial numbers for 2 unit"):
        hike.write_serial_numbers(sale.id, 0, ["A", "B", "C"])
    with pytest.raises(SerialNumberError, match=r"duplicate serial number.*SN-1"):
        hike.write_serial_numbers(sale.id, 0, ["SN-1", "SN-1"])
    hike.close_register(1)
    with pytest.raises(
        SerialNumberError, match=r"register 1 was closed at .*: serial numbers are locked"
    ):
        hike.write_serial_numbers(sale.id, 0, ["SN-3"])
    hike.open_register(1)  # a new closure does not unlock the old sale
    with pytest.raises(SerialNumberError, match="locked"):
        hike.write_serial_numbers(sale.id, 0, ["SN-3"])
    assert hike.sale(sale.id).lines[0].serial_numbers == ("SN-9",)


def test_serial_numbers_need_woo_completed_and_enabled(hike: FakeHike) -> None:
    hike.add_product("CAM-1", serial_number_enabled=True)
    hike.add_product("MUG-1")
    pos = hike.record_sale([("CAM-1", 1, "100.00")], [("Cash", "100.00")])
    with pytest.raises(SerialNumberError, match="not WooCommerce"):
        hike.write_serial_numbers(pos.id, 0, ["SN-1"])
    parked = hike.write_sale(woo_draft(fulfilment_status=FulfilmentStatus.PARKED))
    with pytest.raises(SerialNumberError, match="Parked, not Completed"):
        hike.write_serial_numbers(parked.id, 0, ["SN-1"])
    mug = hike.write_sale(woo_draft("MUG-1"))
    with pytest.raises(SerialNumberError, match="not serial-number enabled"):
        hike.write_serial_numbers(mug.id, 0, ["SN-1"])
    unknown = hike.write_sale(woo_draft("NOPE-1"))
    with pytest.raises(SerialNumberError, match="not a Hike product"):
        hike.write_serial_numbers(unknown.id, 0, ["SN-1"])
    with pytest.raises(SerialNumberError, match="has no line 3"):
        hike.write_serial_numbers(parked.id, 3, ["SN-1"])


def test_serial_rule_is_a_pure_function(hike: FakeHike) -> None:
    product = hike.add_product("CAM-1", serial_number_enabled=True)
    sale = hike.write_sale(woo_draft())
    closure = hike.current_closure(1)
    assert closure is not None
    ok, reason = serial_entry_allowed(sale, 0, product=product, closure=closure)
    assert ok
    assert "while register 1 is open" in reason
    closed = hike.close_register(1)
    ok, reason = serial_entry_allowed(sale, 0, ["SN-1"], product=product, closure=closed)
    assert not ok
    assert reason.startswith("register 1 was closed at")
    with pytest.raises(SerialNumberError):
        check_serial_entry(sale, 0, ["SN-1"], product=product, closure=closed)
    check_serial_entry(sale, 0, ["SN-1"], product=product, closure=closure)
    ok, reason = serial_entry_allowed(sale, 0, product=product, closure=None)
    assert not ok
    assert "not taken on a known register closure" in reason
    with pytest.raises(SerialNumberError, match="blank"):
        check_serial_entry(sale, 0, [" "], product=product, closure=closure)


# ---------------------------------------------------------------- cashier


def test_record_sale_derives_payment_status(hike: FakeHike) -> None:
    hike.add_product("MUG-1", "Mug", stock=10)
    paid = hike.record_sale([("MUG-1", 2, "25.00")], [("Cash", "20"), ("Card", D("30"))])
    assert (paid.payment_status, paid.source, paid.total) == (
        PaymentStatus.PAID, SaleSource.IPAD, D("50.00")
    )  # fmt: skip
    assert [p.payment_type_name for p in paid.payments] == ["Cash", "Card"]
    layby = hike.record_sale([("MUG-1", 1, "25")], [("Cash", "5")], status=FulfilmentStatus.LAYBY)
    assert (layby.fulfilment_status, layby.payment_status) == (
        FulfilmentStatus.LAYBY, PaymentStatus.PARTIALLY_PAID
    )  # fmt: skip
    parked = hike.record_sale([("MUG-1", 1, "25")], status=FulfilmentStatus.PARKED)
    assert parked.payment_status is PaymentStatus.PENDING
    assert hike.stock("MUG-1") == 6
    with pytest.raises(TypeError, match="not float"):
        hike.record_sale([("MUG-1", 1, 2.5)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="Refunded"):
        hike.record_sale([("MUG-1", 1, "1")], status=FulfilmentStatus.REFUNDED)
    customer = hike.add_customer("Ada", "Lovelace", "ada@example.com")
    assert hike.record_sale([("MUG-1", 1, "1")], customer=customer).customer_id == customer.id
    with pytest.raises(ValueError, match="already exists"):
        hike.add_customer("A", "L", "ADA@example.com")


def test_void_and_refund_at_the_pos(hike: FakeHike) -> None:
    hike.add_product("MUG-1", stock=10)
    hike.add_product("STK-1", stock=10)
    sale = hike.record_sale([("MUG-1", 2, "25.00"), ("STK-1", 4, "3.50")], [("Card", "64.00")])
    part = hike.refund_sale(sale.id, lines=[("STK-1", 1)])
    assert (part.total, part.lines[0].quantity, part.payments[0].amount) == (
        D("-3.50"), -1, D("-3.50")
    )  # fmt: skip
    assert (part.fulfilment_status, part.payment_status, part.source) == (
        FulfilmentStatus.REFUNDED, PaymentStatus.REFUNDED, SaleSource.IPAD
    )  # fmt: skip
    rest = hike.refund_sale(sale.id, payment_type="Card")
    assert rest.total == D("-60.50")
    assert [(li.sku, li.quantity) for li in rest.lines] == [("MUG-1", -2), ("STK-1", -3)]
    assert (hike.stock("MUG-1"), hike.stock("STK-1")) == (10, 10)
    with pytest.raises(ReconciliationError):
        hike.refund_sale(sale.id)
    with pytest.raises(ReconciliationError):
        hike.refund_sale(sale.id, amount="0.01")
    with pytest.raises(RuleViolation, match="has refunds"):
        hike.void_sale(sale.id)
    other = hike.record_sale([("MUG-1", 1, "25")], [("Cash", "25")])
    voided = hike.void_sale(other.id)
    assert (voided.fulfilment_status, voided.payment_status) == (
        FulfilmentStatus.VOIDED, PaymentStatus.VOIDED
    )  # fmt: skip
    assert hike.stock("MUG-1") == 10
    with pytest.raises(RuleViolation, match="only completed"):
        hike.refund_sale(other.id)
    assert hike.refund_sale(hike.record_sale([("MUG-1", 1, "25")]).id, amount="5").lines == ()


def test_hike_fail_next_before_and_after_write(hike: FakeHike) -> None:
    hike.fail_next("write_sale", TimeoutError())
    with pytest.raises(TimeoutError):
        hike.write_sale(woo_draft())
    assert hike.sales() == []
    hike.fail_next("write_sale", TimeoutError(), after_write=True)
    with pytest.raises(TimeoutError):
        hike.write_sale(woo_draft())
    assert len(hike.sales()) == 1
    assert hike.find_sales_by_reference("woo:12")[0].number == "INV-1001"
    assert [c.method for c in hike.calls] == ["write_sale", "write_sale", "find_sales_by_reference"]
    hike.record_sale([("X", 1, "1")])  # cashier helpers are not logged
    assert hike.call_count("write_sale") == 2
    with pytest.raises(ValueError, match="not a port method"):
        hike.fail_next("record_sale", TimeoutError())


# -------------------------------------------------------------------- docs

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


@pytest.mark.skipif(not DOCS_PAGE.is_file(), reason="docs/testing.md not present")
def test_docs_examples_run() -> None:
    text = DOCS_PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile(block, str(DOCS_PAGE), "exec"), {})  # noqa: S102 - our own docs
