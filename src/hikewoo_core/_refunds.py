"""Refund reconciliation (pure): which WooCommerce refunds sync to Hike, and do they add up.

Hike's rule (seed, footnote 1; rules 1.4):

- a refund syncs **only when the WooCommerce order status becomes ``refunded``**;
- a partial refund on an order left ``completed`` does **not** sync;
- several partial refunds sync, once the status is ``refunded``, as **separate refunded
  orders** in Hike: one refund sale per WooCommerce refund, each exactly once, ever.

Before anything syncs the money is checked: refunds never exceed the order total, the
refund objects add up to what the order says was refunded, and no line has more units
refunded than were sold. A mismatch is reported, never silently "fixed".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from decimal import Decimal

import attrs

from ._money import ZERO, format_money
from .woo._models import WooOrder, WooRefund, WooStatus

__all__ = [
    "RefundDecision",
    "reconcile_refunds",
    "refunds_to_sync",
    "remaining_refundable",
]


@attrs.frozen
class RefundDecision:
    """What to do with an order's refunds.

    ``to_sync``: refunds to turn into Hike refund sales now, oldest first.
    ``held``: ``(refund, reason)`` for refunds that must wait (the order is not refunded).
    ``problems``: reconciliation mismatches; when present nothing syncs.
    """

    to_sync: tuple[WooRefund, ...] = ()
    held: tuple[tuple[WooRefund, str], ...] = ()
    problems: tuple[str, ...] = ()


def reconcile_refunds(order: WooOrder, refunds: Sequence[WooRefund]) -> tuple[str, ...]:
    """Every way the refunds fail to reconcile with the order (empty when they do)."""
    cur = order.currency
    problems: list[str] = []
    for refund in refunds:
        if refund.amount <= ZERO:
            problems.append(f"refund #{refund.id} has a non-positive amount {refund.amount}")
    refunded = sum((r.amount for r in refunds), ZERO)
    if refunded > order.total:
        problems.append(
            f"refunds total {format_money(refunded, cur)}, more than the order total "
            f"{format_money(order.total, cur)}"
        )
    summary_ids = {r.id for r in order.refunds}
    object_ids = {r.id for r in refunds}
    if order.refunds and summary_ids != object_ids:
        problems.append(
            f"the order lists refunds {sorted(summary_ids)} but {sorted(object_ids)} were read"
        )
    elif order.refunds and order.total_refunded != refunded:
        problems.append(
            f"refund objects add up to {format_money(refunded, cur)} but the order says "
            f"{format_money(order.total_refunded, cur)} was refunded"
        )
    sold = {line.id: line for line in order.line_items}
    units: Counter[int] = Counter()
    for refund in refunds:
        for item_id, quantity in refund.refunded_quantities():
            if item_id not in sold:
                problems.append(
                    f"refund #{refund.id} refunds line item {item_id}, which is not on the order"
                )
                continue
            units[item_id] += quantity
    for item_id, quantity in sorted(units.items()):
        line = sold[item_id]
        if quantity > line.quantity:
            problems.append(
                f"line item {item_id} ({line.name!r}): {quantity} units refunded but only "
                f"{line.quantity} sold"
            )
    return tuple(problems)


def refunds_to_sync(
    order: WooOrder, refunds: Sequence[WooRefund], synced_ids: Collection[int]
) -> RefundDecision:
    """Decide which of an order's refunds become Hike refund sales now.

    ``synced_ids`` are the WooCommerce refund ids already synced (from the ledger):
    they are never synced again, however often the order is planned.
    """
    pending = sorted((r for r in refunds if r.id not in synced_ids), key=lambda r: r.id)
    if order.status != WooStatus.REFUNDED:
        return RefundDecision(
            held=tuple(
                (
                    r,
                    f"partial refund #{r.id} ({format_money(r.amount, order.currency)}) not "
                    f"synced: the order is still {str(order.status)!r}, and refunds sync "
                    "to Hike only when the WooCommerce order status becomes 'refunded'",
                )
                for r in pending
            )
        )
    problems = reconcile_refunds(order, refunds)
    if problems:
        return RefundDecision(problems=problems)
    return RefundDecision(to_sync=tuple(pending))


def remaining_refundable(order: WooOrder) -> Decimal:
    """What can still be refunded on the order, per its refund summaries."""
    return order.total - order.total_refunded
