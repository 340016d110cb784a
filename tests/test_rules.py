"""Every rule of DESIGN section 1, end to end against the fakes. Test names name the rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from hikewoo_core import (
    DEFAULT_STATUS_TABLE,
    HikeStatus,
    SerialNumberError,
    SyncDirection,
    SyncSettings,
    UnsupportedProductError,
)
from hikewoo_core._plan import CreateHikeSale, Mismatch, Reject, Skip
from hikewoo_core.hike import FulfilmentStatus as F
from hikewoo_core.hike import HikeCustomer
from hikewoo_core.hike import PaymentStatus as P

from ._world import make_world


def only_sale(world):  # type: ignore[no-untyped-def]
    sales = [s for s in world.hike.sales() if s.refund_of is None]
    assert len(sales) == 1
    return sales[0]


# -- 1.1 status table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("woo_status", "fulfilment", "payment"),
    [
        ("processing", F.PARKED, P.PENDING),
        ("on-hold", F.PARKED, P.PENDING),
        ("completed", F.COMPLETED, P.PAID),
        ("cancelled", F.VOIDED, P.VOIDED),
    ],
)
def test_rule_1_1_new_order_lands_in_hike_with_the_table_statuses(
    woo_status: str, fulfilment: F, payment: P
) -> None:
    w = make_world()
    w.syncer.sync_woo_order(w.order(woo_status))
    sale = only_sale(w)
    assert (sale.fulfilment_status, sale.payment_status) == (fulfilment, payment)


def test_rule_1_1_status_changes_in_woocommerce_follow_to_hike() -> None:
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    for woo_status, expected in [
        ("on-hold", (F.PARKED, P.PENDING)),
        ("processing", (F.PARKED, P.PENDING)),
        ("completed", (F.COMPLETED, P.PAID)),
        ("cancelled", (F.VOIDED, P.VOIDED)),
    ]:
        w.tick()
        w.woo.set_status(oid, woo_status)
        w.syncer.sync_woo_order(oid)
        sale = only_sale(w)
        assert (sale.fulfilment_status, sale.payment_status) == expected, woo_status


@pytest.mark.parametrize("status", ["pending", "failed", "checkout-draft"])
def test_rule_1_1_statuses_outside_the_table_are_not_synced_and_the_plan_says_so(
    status: str,
) -> None:
    w = make_world()
    report = w.syncer.sync_woo_order(w.order(status))
    assert w.hike.sales() == []
    [skip] = report.plan.notes
    assert isinstance(skip, Skip)
    assert f"status '{status}' is not in the status table" in report.plan.explain()


def test_rule_1_1_plugin_status_syncs_once_the_user_adds_a_row() -> None:
    table = DEFAULT_STATUS_TABLE.with_row("shipped", F.COMPLETED, P.PAID)
    w = make_world(SyncSettings(status_table=table))
    w.woo.register_status("shipped")
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "shipped")
    w.syncer.sync_woo_order(oid)
    assert only_sale(w).fulfilment_status is F.COMPLETED


# -- 1.2 Hike → WooCommerce ------------------------------------------------------------


def test_rule_1_2_completed_hike_sale_syncs_with_every_payment_type() -> None:
    w = make_world()
    w.tick()
    sale = w.hike.record_sale([("MUG", 2, "12.50")], [("Cash", "10.00"), ("Card", "15.00")])
    report = w.syncer.sync_hike_sale(sale.id)
    [order] = w.woo.orders()
    assert order.status == "completed"
    assert order.total == Decimal("25.00")
    assert order.payment_method_title == "Cash + Card"
    assert order.meta("_hike_payments") == [
        {"name": "Cash", "amount": "10.00"},
        {"name": "Card", "amount": "15.00"},
    ]
    assert order.meta("_hike_sale_id") == str(sale.id)
    assert "Cash + Card" in report.plan.explain()


@pytest.mark.parametrize("status", [F.LAYBY, F.PARKED])
def test_rule_1_2_partial_hike_sales_do_not_sync(status: F) -> None:
    w = make_world()
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "5.00")], status=status)
    report = w.syncer.sync_hike_sale(sale.id)
    assert w.woo.orders() == []
    assert "partial sale" in report.plan.explain()


def test_rule_1_2_on_account_sales_appear_in_woocommerce_as_completed() -> None:
    w = make_world()
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], status=F.ON_ACCOUNT)
    report = w.syncer.sync_hike_sale(sale.id)
    [order] = w.woo.orders()
    assert order.status == "completed"
    assert "on-account sales appear in WooCommerce as completed" in report.plan.explain()


def test_rule_1_2_voided_sales_do_not_sync_by_default() -> None:
    w = make_world()
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    w.syncer.sync_hike_sale(sale.id)
    w.tick()
    w.hike.void_sale(sale.id)
    report = w.syncer.sync_hike_sale(sale.id)
    assert w.woo.orders()[0].status == "completed"
    assert "voided sales do not sync" in report.plan.explain()


def test_rule_1_2_voided_sales_cancel_the_order_when_the_option_is_on() -> None:
    w = make_world(SyncSettings(sync_voided_to_woo=True))
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    w.syncer.sync_hike_sale(sale.id)
    w.tick()
    w.hike.void_sale(sale.id)
    w.syncer.sync_hike_sale(sale.id)
    assert w.woo.orders()[0].status == "cancelled"


# -- 1.3 payment type ---------------------------------------------------------------------


def test_rule_1_3_paid_orders_are_recorded_with_the_woocommerce_payment_type() -> None:
    w = make_world()
    w.syncer.sync_woo_order(w.order("completed"))
    sale = only_sale(w)
    assert [(p.payment_type_name, p.amount) for p in sale.payments] == [
        ("WooCommerce", Decimal("33.00"))
    ]


def test_rule_1_3_parked_sales_carry_no_payment_until_paid() -> None:
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    assert only_sale(w).payments == ()
    w.tick()
    w.woo.set_status(oid, "completed")
    w.syncer.sync_woo_order(oid)
    assert [p.payment_type_name for p in only_sale(w).payments] == ["WooCommerce"]


def test_rule_1_3_the_payment_label_is_configurable() -> None:
    w = make_world(SyncSettings(woo_payment_label="Online store"))
    w.syncer.sync_woo_order(w.order("completed"))
    assert only_sale(w).payments[0].payment_type_name == "Online store"


# -- 1.4 refunds -----------------------------------------------------------------------------


def test_rule_1_4_partial_refund_on_completed_order_does_not_sync() -> None:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.add_refund(oid, {"amount": "5.00", "reason": "chipped", "api_refund": False})
    report = w.syncer.sync_woo_order(oid)
    assert [s for s in w.hike.sales() if s.refund_of] == []
    assert "refunds sync to Hike only when the WooCommerce order status" in report.plan.explain()
    assert only_sale(w).fulfilment_status is F.COMPLETED


def test_rule_1_4_several_partial_refunds_become_separate_refund_sales_when_refunded() -> None:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    for amount in ("5.00", "8.00"):
        w.tick()
        w.woo.add_refund(oid, {"amount": amount, "reason": "partial", "api_refund": False})
        w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "refunded")  # WooCommerce adds a refund for the remaining 20.00
    w.syncer.sync_woo_order(oid)
    original = only_sale(w)
    assert (original.fulfilment_status, original.payment_status) == (F.REFUNDED, P.REFUNDED)
    refunds = sorted((s for s in w.hike.sales() if s.refund_of), key=lambda s: s.id)
    assert [s.total for s in refunds] == [Decimal("-5.00"), Decimal("-8.00"), Decimal("-20.00")]
    assert {s.refund_of for s in refunds} == {original.id}
    assert -sum(s.total for s in refunds) == w.woo.read_order(oid).total_refunded


def test_rule_1_4_each_refund_syncs_exactly_once_however_often_synced() -> None:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.add_refund(oid, {"amount": "33.00", "reason": "all", "api_refund": False})
    for _ in range(3):
        w.syncer.sync_woo_order(oid)
        w.resync().sync_changes()
    assert len([s for s in w.hike.sales() if s.refund_of]) == 1


def test_rule_1_4_mismatched_refunds_are_reported_not_fixed() -> None:
    w = make_world()
    oid = w.order("refunded")
    # A plugin left a refund line for more units than were sold.
    w.woo.add_refund(
        oid,
        {"amount": "12.50", "api_refund": False, "line_items": [
            {"id": 1, "quantity": 1, "refund_total": "12.50"}]},
    )  # fmt: skip
    state = w.syncer.woo_order_state(w.woo.read_order(oid))
    bad = state.refunds[0]
    bad_line = bad.line_items[0]
    forged = type(bad)(
        id=bad.id,
        amount=bad.amount,
        line_items=(type(bad_line)(**{**_fields(bad_line), "quantity": -5}),),
    )
    from hikewoo_core._planner import plan_woo_order

    plan = plan_woo_order(
        type(state)(order=state.order, refunds=(forged,)),
        w.syncer.settings,
        activated_at=w.syncer.activated_at,
    )
    [mismatch] = plan.of_type(Mismatch)
    assert "5 units refunded but only 2 sold" in plan.explain()
    assert isinstance(mismatch, Mismatch)


def _fields(obj: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(obj, recurse=False)  # type: ignore[arg-type]


def test_rule_1_4_hike_refunds_reach_woocommerce_with_api_refund_false() -> None:
    w = make_world()
    w.tick()
    sale = w.hike.record_sale([("MUG", 2, "12.50")], [("Card", "25.00")])
    w.syncer.sync_hike_sale(sale.id)
    w.tick()
    refund = w.hike.refund_sale(sale.id, amount=Decimal("12.50"))
    w.syncer.sync_hike_sale(refund.id)
    [order] = w.woo.orders()
    writes = [c for c in w.woo.calls if c.method == "write_refund"]
    assert len(writes) == 1
    assert writes[0].args[1]["api_refund"] is False
    assert w.woo.read_order(order.id).total_refunded == Decimal("12.50")
    w.syncer.sync_changes()  # the WooCommerce refund is not echoed back to Hike
    assert len([s for s in w.hike.sales() if s.refund_of]) == 1


# -- 1.5 composites ----------------------------------------------------------------------


def test_rule_1_5_composite_orders_are_refused_whole_naming_the_lines() -> None:
    w = make_world()
    oid = w.order(
        "completed",
        (("KIT", 1, "150.00"), ("GRINDER", 1, "0.00"), ("MUG", 1, "12.50")),
        line_extra={0: {"composite_children": [2]}, 1: {"composite_parent": 1}},
    )
    with pytest.raises(UnsupportedProductError) as info:
        w.syncer.sync_woo_order(oid)
    assert [line_id for line_id, _, _ in info.value.lines] == [1, 2]
    assert "Product KIT" in str(info.value)
    assert w.hike.sales() == []
    assert list(w.ledger.links()) == []
    assert w.hike.stock("MUG") == 50


def test_rule_1_5_composite_meta_and_bundles_are_refused_too() -> None:
    w = make_world()
    oid = w.order(
        "completed",
        (("BOX", 1, "20.00"),),
        line_extra={0: {"meta_data": [{"key": "_bundled_items", "value": ["x"]}]}},
    )
    with pytest.raises(UnsupportedProductError, match="product bundle"):
        w.syncer.sync_woo_order(oid)


def test_rule_1_5_in_batch_work_a_refused_order_is_reported_and_the_rest_go_on() -> None:
    w = make_world()
    bad = w.order("completed", (("KIT", 1, "9.00"),), line_extra={0: {"composite_children": [9]}})
    good = w.order("completed")
    report = w.syncer.sync_changes()
    assert [s.external_reference for s in w.hike.sales()] == [f"woo:{good}"]
    [reject] = report.plan.of_type(Reject)
    assert f"#{bad}" in reject.subject


# -- 1.6 serial numbers --------------------------------------------------------------------


def test_rule_1_6_serials_editable_while_the_register_is_open_locked_after() -> None:
    w = make_world()
    oid = w.order("completed", (("SER-1", 2, "99.00"),))
    w.syncer.sync_woo_order(oid)
    sale = only_sale(w)
    updated = w.syncer.set_serial_numbers(sale.id, 0, ["SN-001", "SN-002"])
    assert updated.lines[0].serial_numbers == ("SN-001", "SN-002")
    w.hike.close_register(1)
    with pytest.raises(SerialNumberError, match="closed"):
        w.syncer.set_serial_numbers(sale.id, 0, ["SN-003"])
    assert only_sale(w).lines[0].serial_numbers == ("SN-001", "SN-002")


def test_rule_1_6_no_more_serials_than_units_and_no_duplicates() -> None:
    w = make_world()
    w.syncer.sync_woo_order(w.order("completed", (("SER-1", 2, "99.00"),)))
    sale = only_sale(w)
    with pytest.raises(SerialNumberError):
        w.syncer.set_serial_numbers(sale.id, 0, ["A", "B", "C"])
    with pytest.raises(SerialNumberError):
        w.syncer.set_serial_numbers(sale.id, 0, ["A", "A"])


def test_rule_1_6_only_completed_sales_from_woocommerce_take_serials() -> None:
    w = make_world()
    w.syncer.sync_woo_order(w.order("processing", (("SER-1", 1, "99.00"),)))
    with pytest.raises(SerialNumberError):
        w.syncer.set_serial_numbers(only_sale(w).id, 0, ["A"])
    pos = w.hike.record_sale([("SER-1", 1, "99.00")], [("Cash", "99.00")])
    with pytest.raises(SerialNumberError):
        w.syncer.set_serial_numbers(pos.id, 0, ["A"])


# -- 1.7 historical sales and inventory -------------------------------------------------


def _historical_world():  # type: ignore[no-untyped-def]
    w = make_world(SyncSettings(sync_from=None))
    w.clock.set(w.clock.now() - timedelta(days=30))
    old = [w.order("completed"), w.order("completed", (("MUG", 5, "12.50"),))]
    w.clock.set(w.clock.now() + timedelta(days=30))
    w.resync()
    return w, old


def test_rule_1_7_historical_orders_never_sync_automatically() -> None:
    w = make_world()
    w.clock.set(w.clock.now() - timedelta(days=30))
    oid = w.order("completed")
    w.clock.set(w.clock.now() + timedelta(days=30))
    report = w.syncer.sync_woo_order(oid)
    assert w.hike.sales() == []
    assert "historical order" in report.plan.explain()
    assert w.syncer.sync_changes().plan.remote_writes == ()


def test_rule_1_7_manual_historical_sync_shows_stock_impact_before_writing() -> None:
    w = make_world()
    start = w.clock.now()
    w.clock.set(start - timedelta(days=30))
    w.order("completed")
    w.order("completed", (("MUG", 5, "12.50"),))
    w.clock.set(start + timedelta(minutes=1))
    preview = w.syncer.historical_sync(start - timedelta(days=31), start)
    assert preview.dry_run
    assert w.hike.sales() == []
    assert preview.stock_impact is not None
    assert preview.stock_impact.units == {"MUG": 7, "TEA": 1}
    assert "MUG" in preview.explain()
    assert w.hike.stock("MUG") == 50
    done = w.syncer.historical_sync(start - timedelta(days=31), start, dry_run=False)
    assert len(done.applied) == 2
    assert w.hike.stock("MUG") == 43
    assert all(isinstance(a, CreateHikeSale) for a in done.plan.remote_writes)


def test_rule_1_7_historical_sync_without_stock_deduction() -> None:
    w = make_world()
    start = w.clock.now()
    w.clock.set(start - timedelta(days=3))
    w.order("completed")
    w.clock.set(start + timedelta(minutes=1))
    report = w.syncer.historical_sync(
        start - timedelta(days=4), start, dry_run=False, update_inventory=False
    )
    assert report.stock_impact is not None
    assert not report.stock_impact.update_inventory
    assert w.hike.stock("MUG") == 50
    assert only_sale(w).do_not_update_inventory


# -- 1.8 customers ---------------------------------------------------------------------


def test_rule_1_8_customer_attached_when_names_and_email_present() -> None:
    w = make_world()
    w.syncer.sync_woo_order(w.order("completed"))
    customer = only_sale(w).customer
    assert customer is not None
    assert (customer.first_name, customer.email) == ("Ada", "ada@example.com")


def test_rule_1_8_existing_customer_matched_by_email() -> None:
    w = make_world()
    existing = w.hike.add_customer("Augusta", "King", "ada@example.com")
    w.syncer.sync_woo_order(w.order("completed"))
    customer = only_sale(w).customer
    assert customer is not None
    assert customer.id == existing.id
    assert len(w.hike.customers()) == 1


@pytest.mark.parametrize("missing", ["first_name", "last_name", "email"])
def test_rule_1_8_no_customer_without_all_three_and_the_plan_says_why(missing: str) -> None:
    w = make_world()
    billing = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    billing[missing] = ""
    report = w.syncer.sync_woo_order(w.order("completed", billing=billing))
    assert only_sale(w).customer is None
    assert "no customer attached" in report.plan.explain()
    assert missing.replace("_", " ") in report.plan.explain()


# -- 1.9 two-way without loops -------------------------------------------------------------


def test_rule_1_9_direction_setting_limits_the_flow() -> None:
    w = make_world(SyncSettings(direction=SyncDirection.HIKE_TO_WOO))
    oid = w.order("completed")
    report = w.syncer.sync_woo_order(oid)
    assert w.hike.sales() == []
    assert "sync direction" in report.plan.explain()
    w2 = make_world(SyncSettings(direction=SyncDirection.OFF))
    w2.tick()
    sale = w2.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    w2.syncer.sync_hike_sale(sale.id)
    assert w2.woo.orders() == []


def test_rule_1_9_records_created_by_the_sync_are_never_echoed_back() -> None:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    w.tick()
    sale = w.hike.record_sale([("TEA", 1, "8.00")], [("Cash", "8.00")])
    w.syncer.sync_hike_sale(sale.id)
    for _ in range(2):
        w.tick()
        w.resync().sync_changes()
    assert len(w.woo.orders()) == 2
    assert len(w.hike.sales()) == 2
    created = only_sale_from_woo = [s for s in w.hike.sales() if s.external_reference]
    assert [s.external_reference for s in only_sale_from_woo] == [f"woo:{oid}"]
    assert created[0].source.value == "Woo"


def test_rule_1_9_echo_prevention_without_a_ledger_entry() -> None:
    """A WooCommerce order carrying _hike_sale_id is never turned into a new Hike sale."""
    w = make_world()
    oid = w.order("completed")
    w.woo.add_meta(oid, "_hike_sale_id", "999")
    report = w.syncer.sync_woo_order(oid)
    assert w.hike.sales() == []
    assert "never echoed back" in report.plan.explain()


def test_rule_1_9_planning_again_after_applying_is_empty() -> None:
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "completed")
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    w.syncer.sync_changes()
    assert w.syncer.plan_woo_order(oid).is_empty
    assert w.syncer.plan_hike_sale(sale.id).is_empty
    assert w.syncer.plan_hike_sale(only_sale_of(w, oid).id).is_empty
    assert w.syncer.sync_changes().plan.is_empty


def only_sale_of(w, oid: int):  # type: ignore[no-untyped-def]
    [sale] = w.hike.find_sales_by_reference(f"woo:{oid}")
    return sale


def test_rule_1_9_terminal_states_are_not_reopened_by_a_stale_change() -> None:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "refunded")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "processing")  # a stale or mistaken change
    report = w.syncer.sync_woo_order(oid)
    assert only_sale_of(w, oid).fulfilment_status is F.REFUNDED
    assert "terminal" in report.plan.explain()


def test_rule_1_9_hike_changes_to_a_woo_origin_sale_flow_back() -> None:
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    sale = only_sale_of(w, oid)
    w.tick()
    w.hike.write_sale_status(sale.id, HikeStatus(F.COMPLETED, P.PAID))
    w.syncer.sync_hike_sale(sale.id)
    assert w.woo.read_order(oid).status == "completed"
    assert w.syncer.sync_changes().plan.is_empty


def test_customer_model_is_public() -> None:
    assert HikeCustomer(first_name="a", last_name="b", email="c").email == "c"
