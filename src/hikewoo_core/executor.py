"""Apply a plan's writes crash-safely (shell).

For every remote write the executor

1. records a *write intent* in the ledger (keyed by the action's key),
2. performs the write, the record carrying its origin (external reference / meta),
3. records the outcome and the link it produced, atomically.

If the process dies between 1 and 3, the next executor finds the pending intent and
first looks the record up by its external reference: a write that happened is
adopted, never repeated. A write whose outcome is unknown (a timeout after the
request was sent) is resolved the same way before it is ever retried.

Writes made for a WooCommerce order never mark the order as *seen* at its
modification time: the :class:`~hikewoo_core.Syncer` does that only once the whole
plan for the order is applied, so a plan interrupted half-way is planned again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

from .errors import OutcomeUnknownError
from .hike.models import HikeSale
from .plan import (
    CreateHikeRefundSale,
    CreateHikeSale,
    CreateWooOrder,
    CreateWooRefund,
    RecordLink,
    UpdateHikeSale,
    UpdateWooOrder,
    Write,
)
from .ports import HikePort, Intent, IntentState, LedgerPort, Link, Origin, RefundLink, WooPort
from .translate import HIKE_REFUND_META, HIKE_SALE_META, hike_refund_reference, hike_sale_reference

__all__ = ["Applied", "Executor"]

log = logging.getLogger("hikewoo_core.sync")

#: How far before an intent a record created by it may be dated (clock skew margin).
_LOOKUP_MARGIN = timedelta(minutes=15)

_Outcome = tuple[int | None, Link | None, RefundLink | None]


@attrs.frozen
class Applied:
    """A write that was applied: ``recovered`` when found already done by a lookup."""

    action: Write
    result_id: int | None
    recovered: bool = False


class Executor:
    """Applies :class:`~hikewoo_core.plan.Write` actions through the ports."""

    def __init__(
        self,
        woo: WooPort,
        hike: HikePort,
        ledger: LedgerPort,
        clock: Callable[[], datetime],
    ) -> None:
        self.woo = woo
        self.hike = hike
        self.ledger = ledger
        self.clock = clock

    def apply(self, write: Write) -> Applied | None:
        """Apply one write; ``None`` when it had already been applied (a replay)."""
        if isinstance(write, RecordLink):
            self.ledger.save_link(write.link)
            return Applied(write, write.link.hike_sale_id)
        attempt = uuid.uuid4().hex
        mine = Intent(
            key=write.key,
            kind=type(write).__name__,
            payload={"attempt": attempt, "subject": write.subject},
            created_at=self.clock(),
        )
        stored = self.ledger.begin_intent(mine)
        if stored.state is IntentState.DONE:
            log.debug("already applied: %s", write.key)
            return None
        if stored.payload.get("attempt") != attempt:
            found = self._lookup(write, stored)
            if found is not None:
                self._complete(write, self._catch_up(write, found))
                log.info("recovered %s: the earlier write had happened", write.key)
                return Applied(write, found[0], recovered=True)
        try:
            outcome = self._perform(write)
        except OutcomeUnknownError:
            found = self._lookup(write, stored)
            if found is not None:
                self._complete(write, self._catch_up(write, found))
                return Applied(write, found[0], recovered=True)
            outcome = self._perform(write)
        self._complete(write, outcome)
        return Applied(write, outcome[0])

    def _catch_up(self, write: Write, found: _Outcome) -> _Outcome:
        """Bring a record found by lookup to the state the action wants now.

        The interrupted write may have created the record at an older status (the
        order changed while the executor was down); adopt it, then update it.
        """
        result_id, link, refund_link = found
        if isinstance(write, CreateHikeSale) and link is not None and result_id is not None:
            draft = write.draft
            if (link.hike_fulfilment, link.hike_payment) != (
                draft.fulfilment_status,
                draft.payment_status,
            ):
                sale = self.hike.write_sale_status(
                    result_id, draft.fulfilment_status, draft.payment_status, draft.payments
                )
                link = attrs.evolve(
                    link,
                    hike_fulfilment=sale.fulfilment_status,
                    hike_payment=sale.payment_status,
                    hike_modified_at=sale.modified_at,
                )
        if isinstance(write, CreateWooOrder) and link is not None and result_id is not None:
            wanted = write.body.get("status")
            if wanted and link.woo_status != wanted:
                order = self.woo.write_order({"status": wanted}, result_id)
                link = attrs.evolve(
                    link, woo_status=str(order.status), woo_modified_gmt=order.date_modified_gmt
                )
        return result_id, link, refund_link

    # -- doing ----------------------------------------------------------------

    def _complete(self, write: Write, outcome: _Outcome) -> None:
        result_id, link, refund_link = outcome
        self.ledger.complete_intent(
            write.key, result_id=result_id, link=link, refund_link=refund_link
        )

    def _perform(self, write: Write) -> _Outcome:
        if isinstance(write, CreateHikeSale):
            sale = self.hike.write_sale(write.draft)
            return sale.id, self._sale_link(write, sale), None
        if isinstance(write, UpdateHikeSale):
            sale = self.hike.write_sale_status(
                write.hike_sale_id, write.status.fulfilment, write.status.payment, write.payments
            )
            link = self._link_for_woo(write.woo_order_id)
            link = attrs.evolve(
                link,
                woo_status=write.woo_status,
                hike_fulfilment=sale.fulfilment_status,
                hike_payment=sale.payment_status,
                hike_modified_at=sale.modified_at,
            )
            return sale.id, link, None
        if isinstance(write, CreateHikeRefundSale):
            original = self._link_for_woo(write.woo_order_id)
            draft = attrs.evolve(write.draft, refund_of=original.hike_sale_id)
            sale = self.hike.write_sale(draft)
            return sale.id, None, self._refund_link(write, sale.id)
        if isinstance(write, CreateWooOrder):
            order = self.woo.write_order(write.body)
            return order.id, self._link_from_woo(write, order.id, str(order.status), order), None
        if isinstance(write, UpdateWooOrder):
            order = self.woo.write_order(write.body, write.woo_order_id)
            link = attrs.evolve(
                self._link_for_woo(write.woo_order_id),
                woo_status=str(order.status),
                hike_fulfilment=write.status.fulfilment,
                hike_payment=write.status.payment,
                woo_modified_gmt=order.date_modified_gmt,
                hike_modified_at=write.hike_modified_at,
            )
            return order.id, link, None
        if isinstance(write, CreateWooRefund):
            refund = self.woo.write_refund(write.woo_order_id, write.body)
            return refund.id, None, self._woo_refund_link(write, refund.id)
        raise TypeError(f"unknown write action {type(write).__name__}")  # pragma: no cover

    def _link_for_woo(self, woo_order_id: int) -> Link:
        link = self.ledger.link_for_woo(woo_order_id)
        if link is None:  # pragma: no cover - plans create the link first
            raise LookupError(f"no ledger link for WooCommerce order {woo_order_id}")
        return link

    def _link_from_woo(self, write: CreateWooOrder, order_id: int, status: str, order: Any) -> Link:
        return Link(
            woo_order_id=order_id,
            hike_sale_id=write.hike_sale_id,
            origin=Origin.HIKE,
            woo_status=status,
            hike_fulfilment=write.status.fulfilment,
            hike_payment=write.status.payment,
            woo_modified_gmt=order.date_modified_gmt,
            hike_modified_at=write.hike_modified_at,
        )

    @staticmethod
    def _sale_link(write: CreateHikeSale, sale: HikeSale) -> Link:
        return Link(
            woo_order_id=write.woo_order_id,
            hike_sale_id=sale.id,
            origin=Origin.WOO,
            woo_status=write.woo_status,
            hike_fulfilment=sale.fulfilment_status,
            hike_payment=sale.payment_status,
            hike_modified_at=sale.modified_at,
        )

    @staticmethod
    def _refund_link(write: CreateHikeRefundSale, sale_id: int) -> RefundLink:
        return RefundLink(
            woo_order_id=write.woo_order_id,
            woo_refund_id=write.woo_refund_id,
            hike_refund_sale_id=sale_id,
            origin=Origin.WOO,
            amount=write.amount,
        )

    @staticmethod
    def _woo_refund_link(write: CreateWooRefund, refund_id: int) -> RefundLink:
        return RefundLink(
            woo_order_id=write.woo_order_id,
            woo_refund_id=refund_id,
            hike_refund_sale_id=write.hike_refund_sale_id,
            origin=Origin.HIKE,
            amount=write.amount,
        )

    # -- looking up what an interrupted write may have done -------------------

    def _lookup(self, write: Write, intent: Intent) -> _Outcome | None:
        if isinstance(write, CreateHikeSale):
            sales = self.hike.find_sales_by_reference(hike_sale_reference(write.woo_order_id))
            if not sales:
                return None
            sale = min(sales, key=lambda s: s.id)
            return sale.id, self._sale_link(write, sale), None
        if isinstance(write, CreateHikeRefundSale):
            ref = hike_refund_reference(write.woo_refund_id)
            sales = self.hike.find_sales_by_reference(ref)
            if not sales:
                return None
            sale_id = min(s.id for s in sales)
            return sale_id, None, self._refund_link(write, sale_id)
        if isinstance(write, CreateWooOrder):
            since = (intent.created_at or self.clock()) - _LOOKUP_MARGIN
            orders = self.woo.find_orders_by_meta(
                HIKE_SALE_META, str(write.hike_sale_id), created_after=since
            )
            if not orders:
                return None
            order = min(orders, key=lambda o: o.id)
            return order.id, self._link_from_woo(write, order.id, str(order.status), order), None
        if isinstance(write, CreateWooRefund):
            for refund in self.woo.read_refunds(write.woo_order_id):
                if str(refund.meta(HIKE_REFUND_META)) == str(write.hike_refund_sale_id):
                    return refund.id, None, self._woo_refund_link(write, refund.id)
            return None
        # Status updates are idempotent: performing them again is the lookup.
        return None
