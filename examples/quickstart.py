"""Quickstart: Hike's WooCommerce sync rules, told as a story against the in-memory fakes.

Run it with ``python examples/quickstart.py``. Nothing leaves the process: both systems
are the fakes of :mod:`hikewoo_core.testing`, which behave like the real ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hikewoo_core import (
    SerialNumberError,
    Syncer,
    SyncReport,
    UnsupportedProductError,
    format_money,
)
from hikewoo_core.hike import HikeSale
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce
from hikewoo_core.woo import WooOrder, parse_woo_orders

DATA = Path(__file__).with_name("data") / "orders.json"
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def chapter(title: str) -> None:
    print(f"\n== {title}")


def show(report: SyncReport) -> None:
    for line in report.plan.explain().splitlines():
        print(f"   plan: {line}")


def hike_line(sale: HikeSale) -> str:
    kind = f"refund of {sale.refund_of}" if sale.refund_of else "sale"
    pays = ", ".join(f"{p.payment_type_name} {p.amount}" for p in sale.payments) or "no payment"
    return (
        f"   Hike {sale.number} ({kind}): {sale.fulfilment_status.value}/"
        f"{sale.payment_status.value}, total {sale.total}, {pays}"
    )


def woo_line(order: WooOrder) -> str:
    cur = order.currency
    refunds = ", ".join(f"#{r.id} {format_money(r.amount, cur)}" for r in order.refunds) or "-"
    return (
        f"   WooCommerce #{order.number}: {order.status}, total "
        f"{format_money(order.total, cur)} {cur}, paid by {order.payment_method_title!r}, "
        f"refunds {refunds}"
    )


def print_example_orders() -> list[WooOrder]:
    orders = parse_woo_orders(DATA.read_bytes())
    chapter("The shipped example orders (examples/data/orders.json)")
    print(f"   {'order':>6}  {'status':<11} {'lines':<36} {'total':>12}  refunds")
    for order in orders:
        cur = order.currency
        lines = ", ".join(f"{li.quantity}x {li.sku or li.name}" for li in order.line_items)
        refunds = ", ".join(f"#{r.id} {format_money(r.amount, cur)}" for r in order.refunds)
        total = f"{format_money(order.total, cur)} {cur}"
        print(
            f"   {order.number:>6}  {order.status!s:<11} {lines[:36]:<36} {total:>12}  "
            f"{refunds or '-'}"
        )
    return orders


def main() -> None:
    """Tell the whole story, printing each plan's reasons and both systems' state."""
    print_example_orders()

    clock = FakeClock(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc))
    woo = FakeWooCommerce(clock=clock, currency="AUD", extra_statuses=["shipped"])
    hike = FakeHike(clock=clock, currency="AUD")
    for sku, stock, serial in (("CUP-01", 40, False), ("BEAN-1KG", 25, False),
                               ("KETTLE-1", 8, False), ("FILTER-100", 60, False),
                               ("GRINDER-PRO", 5, True)):  # fmt: skip
        hike.add_product(sku, stock=stock, serial_number_enabled=serial)
    woo.add_product("CUP-01", "Espresso cup", "12.50")  # what a Hike sale sells must exist
    woo.add_product("BEAN-1KG", "House beans 1 kg", "39.00")  # in WooCommerce too
    syncer = Syncer(woo=woo, hike=hike, clock=clock)  # in-memory ledger by default

    # Historical orders, created before the sync started.
    for payload in json.loads(DATA.read_text()):
        woo.add_order(payload)

    chapter("1. An order goes processing -> completed, and Hike follows")
    clock.advance(60)
    order_id = woo.add_order(
        {
            "status": "processing", "currency": "AUD", "billing": ADA,
            "line_items": [
                {"id": 1, "name": "Pour-over kettle", "product_id": 12, "quantity": 1,
                 "sku": "KETTLE-1", "total": "89.00"},
                {"id": 2, "name": "Paper filters", "product_id": 13, "quantity": 3,
                 "sku": "FILTER-100", "total": "19.50"},
            ],
        }
    )  # fmt: skip
    show(syncer.sync_woo_order(order_id))
    clock.advance(60)
    woo.set_status(order_id, "completed")
    show(syncer.sync_woo_order(order_id))
    [sale] = hike.find_sales_by_reference(f"woo:{order_id}")
    print(hike_line(hike.sale(sale.id)))

    chapter("2. Two partial refunds do not sync while the order stays completed")
    for amount, reason in (("10.00", "Dented kettle lid"), ("6.50", "One pack missing")):
        clock.advance(60)
        woo.add_refund(order_id, {"amount": amount, "reason": reason, "api_refund": False})
    show(syncer.sync_woo_order(order_id))

    chapter("3. The order is set to refunded: Hike gets separate refund sales")
    clock.advance(60)
    woo.set_status(order_id, "refunded")  # WooCommerce refunds what remains by itself
    show(syncer.sync_woo_order(order_id))
    for hike_sale in hike.sales():
        print(hike_line(hike_sale))
    again = syncer.sync_woo_order(order_id)
    print(f"   syncing again: {again.plan.explain()} (each refund syncs exactly once)")

    chapter("4. A Hike sale paid by cash and card shows both on the WooCommerce order")
    clock.advance(60)
    pos = hike.record_sale(
        [("CUP-01", 2, "12.50"), ("BEAN-1KG", 1, "39.00")], [("Cash", "20.00"), ("Card", "44.00")]
    )
    show(syncer.sync_hike_sale(pos.id))
    print(woo_line(woo.orders()[-1]))

    chapter("5. A composite order is refused whole, with the lines named")
    clock.advance(60)
    kit = woo.add_order(
        {
            "status": "processing", "currency": "AUD", "billing": ADA,
            "line_items": [
                {"id": 1, "name": "Barista starter kit", "product_id": 20, "quantity": 1,
                 "sku": "KIT", "total": "150.00", "composite_children": [2]},
                {"id": 2, "name": "Grinder (kit part)", "product_id": 21, "quantity": 1,
                 "sku": "GRIND-K", "total": "0.00", "composite_parent": 1},
            ],
        }
    )  # fmt: skip
    try:
        syncer.sync_woo_order(kit)
    except UnsupportedProductError as exc:
        print(f"   refused: {exc}")
    print(f"   Hike sales from that order: {hike.find_sales_by_reference(f'woo:{kit}')}")

    chapter("6. Serial numbers: editable while the register is open, locked after")
    clock.advance(60)
    grinder = woo.add_order(
        {
            "status": "completed", "currency": "AUD", "billing": ADA,
            "line_items": [{"id": 1, "name": "Grinder Pro", "product_id": 30, "quantity": 1,
                            "sku": "GRINDER-PRO", "total": "349.00"}],
        }
    )  # fmt: skip
    syncer.sync_woo_order(grinder)
    [sale] = hike.find_sales_by_reference(f"woo:{grinder}")
    updated = syncer.set_serial_numbers(sale.id, 0, ["GP-2026-0001"])
    print(f"   register open: serial numbers {list(updated.lines[0].serial_numbers)}")
    hike.close_register(1)
    try:
        syncer.set_serial_numbers(sale.id, 0, ["GP-2026-0002"])
    except SerialNumberError as exc:
        print(f"   register closed: refused: {exc}")

    chapter("7. A historical sync shows its stock impact before writing")
    hike.open_register(1)
    start, end = clock.now() - timedelta(days=30), clock.now() - timedelta(hours=1)
    preview = syncer.historical_sync(start, end)
    for line in preview.explain().splitlines():
        print(f"   {line}")
    print(f"   stock of CUP-01 before writing: {hike.stock('CUP-01')}")
    done = syncer.historical_sync(start, end, dry_run=False)
    print(f"   applied {len(done.applied)} sale(s); stock of CUP-01 now {hike.stock('CUP-01')}")

    chapter("Convergence: syncing everything changed, then again")
    clock.advance(60)
    for attempt in (1, 2):
        plan = syncer.sync_changes().plan
        print(f"   run {attempt}: {len(plan.writes)} write(s), {len(plan.notes)} note(s)")
    for line in plan.explain().splitlines():
        print(f"   {line}")


if __name__ == "__main__":
    main()
