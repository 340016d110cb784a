"""An oracle for the end state of a two-way sync, independent of the code under test.

It reads only the two stores and the seed's rules, written out here (DESIGN 1.1 to 1.4):
no table, planner or ledger of the library is consulted. The crash, fault and two-way
suites compare a faulty run with a fault-free run of the same code; this adds the
absolute expectations, so a bug shared by both runs cannot pass unnoticed.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hikewoo_core.hike import FulfilmentStatus as F
from hikewoo_core.hike import PaymentStatus as P
from hikewoo_core.testing import FakeHike, FakeWooCommerce

#: The seed's status table, written out (not taken from the code under test).
SEED_TABLE = {
    "completed": (F.COMPLETED, P.PAID),
    "cancelled": (F.VOIDED, P.VOIDED),
    "processing": (F.PARKED, P.PENDING),
    "on-hold": (F.PARKED, P.PENDING),
    "refunded": (F.REFUNDED, P.REFUNDED),
}
#: Hike sales still partial: they never become WooCommerce orders.
PARTIAL = {F.LAYBY, F.PARKED, F.PENDING, F.BACK_ORDER, F.QUOTE}
ZERO = Decimal(0)


def check_end_state(woo: FakeWooCommerce, hike: FakeHike) -> Counter[str]:
    """Assert the seed's rules hold between the two stores; return what was counted."""
    sales = hike.sales()
    counts: Counter[str] = Counter()
    refs = Counter(s.external_reference for s in sales if s.external_reference)
    assert all(n == 1 for n in refs.values()), f"duplicate Hike sales: {refs.most_common(3)}"
    by_ref = {s.external_reference: s for s in sales if s.external_reference}
    orders = woo.orders()
    origins = Counter(o.meta("_hike_sale_id") for o in orders if o.meta("_hike_sale_id"))
    assert all(n == 1 for n in origins.values()), f"duplicate orders: {origins.most_common(3)}"
    for order in orders:
        if order.meta("_hike_sale_id") is not None:
            continue  # made from a Hike sale: checked from the Hike side below
        sale = by_ref.get(f"woo:{order.id}")
        status = str(order.status)
        if status not in SEED_TABLE:
            assert sale is None, f"order {order.id} is {status}, yet synced"
            continue
        assert sale is not None, f"order {order.id} ({status}) never reached Hike"
        assert (sale.fulfilment_status, sale.payment_status) == SEED_TABLE[status], (
            order.id,
            status,
            sale.fulfilment_status,
        )
        assert sale.total == order.total, (order.id, sale.total, order.total)
        paid = sum((p.amount for p in sale.payments), ZERO)
        if status in ("completed", "refunded"):
            assert paid == order.total, (order.id, paid)
        else:  # processing, on-hold: not paid yet; cancelled: a voided sale holds none
            assert paid == ZERO, (order.id, status, paid)
        refund_sales = [s for s in sales if s.refund_of == sale.id]
        woo_refunds = woo.refunds(order.id)
        if status == "refunded":
            assert {f"woo-refund:{r.id}" for r in woo_refunds} == {
                s.external_reference for s in refund_sales
            }, order.id
            assert -sum((s.total for s in refund_sales), ZERO) == order.total
            counts["refund sales"] += len(refund_sales)
        else:
            assert refund_sales == [], f"order {order.id} ({status}) has refund sales"
        counts[f"sales {sale.fulfilment_status.value}"] += 1
    by_origin = {o.meta("_hike_sale_id"): o for o in orders if o.meta("_hike_sale_id")}
    for sale in sales:
        if sale.refund_of is not None or (sale.external_reference or "").startswith("woo"):
            continue
        order = by_origin.get(str(sale.id))
        refunded = -sum((s.total for s in sales if s.refund_of == sale.id), ZERO)
        if sale.fulfilment_status in PARTIAL or sale.fulfilment_status is F.VOIDED:
            assert order is None, f"Hike sale {sale.number} ({sale.fulfilment_status}) synced"
            continue
        assert order is not None, f"Hike sale {sale.number} never reached WooCommerce"
        assert order.total == sale.total, (sale.number, order.total, sale.total)
        assert order.total_refunded == refunded, (sale.number, order.total_refunded, refunded)
        assert str(order.status) == ("refunded" if refunded == sale.total else "completed")
        counts["orders from Hike"] += 1
        counts["refunds to WooCommerce"] += len(woo.refunds(order.id))
    return counts
