"""A plugin status in the status table: ``shipped`` syncs to Hike as Completed/Paid.

Hike's table knows WooCommerce's core statuses only; an order in a status a plugin adds
(here ``shipped``, as shipment-tracking plugins register it) is not synced, and the
plan says so. This example adds a row with ``DEFAULT_STATUS_TABLE.with_row``, prints the
new table as the Markdown the docs show, and syncs an order through
processing -> shipped against the in-memory fakes, with and without the row.

Run it with ``python examples/custom_status_table.py``; nothing leaves the process.
"""

from __future__ import annotations

from datetime import datetime, timezone

from hikewoo_core import DEFAULT_STATUS_TABLE, MemoryLedger, Syncer, SyncSettings
from hikewoo_core.hike import FulfilmentStatus, PaymentStatus
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce

CUSTOMER = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


def show(syncer: Syncer, hike: FakeHike, order_id: int, status: str) -> None:
    """Sync the order and print the plan and the Hike sale."""
    report = syncer.sync_woo_order(order_id)
    print(f"order #{order_id} is {status!r}:")
    for line in report.plan.explain().splitlines():
        print(f"   {line}")
    for sale in hike.find_sales_by_reference(f"woo:{order_id}"):
        paid = ", ".join(f"{p.payment_type_name} {p.amount}" for p in sale.payments)
        print(
            f"   Hike {sale.number}: {sale.fulfilment_status.value}/"
            f"{sale.payment_status.value}, payments: {paid or 'none'}"
        )


def run(settings: SyncSettings, title: str) -> None:
    """Sync one order through processing -> shipped under ``settings``."""
    print(f"\n== {title}")
    clock = FakeClock(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc))
    woo = FakeWooCommerce(clock=clock, extra_statuses=["shipped"])  # the plugin's status
    hike = FakeHike(clock=clock)
    hike.add_product("LAMP-01", "Desk lamp", stock=5)
    ledger = MemoryLedger(clock=clock)
    syncer = Syncer(woo=woo, hike=hike, settings=settings, ledger=ledger, clock=clock)

    clock.advance(60)
    line = {"id": 1, "product_id": 3, "sku": "LAMP-01", "quantity": 1, "total": "79.00"}
    order_id = woo.add_order({"status": "processing", "billing": CUSTOMER, "line_items": [line]})
    show(syncer, hike, order_id, "processing")
    clock.advance(3600)
    woo.set_status(order_id, "shipped")  # the plugin marks the parcel as sent
    show(syncer, hike, order_id, "shipped")


def main() -> None:
    """Print the extended table, then sync an order with the default and the new table."""
    table = DEFAULT_STATUS_TABLE.with_row("shipped", FulfilmentStatus.COMPLETED, PaymentStatus.PAID)
    print("The status table with the plugin's row:\n")
    print(table.to_markdown().rstrip())
    hike_status = table.to_hike("shipped")
    if hike_status is None:
        raise SystemExit("the 'shipped' row is missing")
    print(
        f"\n'shipped' -> {hike_status}; Hike {hike_status} -> {table.to_woo(hike_status)!r}"
        " (completed stays the canonical row for the way back)"
    )

    run(SyncSettings(), "With the default table, 'shipped' is not synced")
    run(SyncSettings(status_table=table), "With the 'shipped' row, Hike completes the sale")


if __name__ == "__main__":
    main()
