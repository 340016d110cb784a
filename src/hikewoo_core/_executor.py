"""Apply a plan's writes crash-safely (shell).

For every remote write the executor

1. records a *write intent* in the ledger (keyed by the action's key),
2. performs the write, the record carrying its origin (external reference / meta),
3. records the outcome and the link it produced, atomically.

If the process dies between 1 and 3, the next executor finds the pending intent and
first looks the record up by its external reference: a write that happened is
adopted, never repeated. The intent carries everything that lookup needs (the
reference's transaction date, since Hike lists sales only by date), so a process that
knows nothing of the dead one's memory finds a sale of any age.

A write whose outcome is unknown (a 502/503/504 from a gateway while the origin may
still commit, or a timeout after the request was sent) is resolved the same way, but
over a settle period (:class:`~hikewoo_core.SettlePolicy`): the record is looked
up after each delay of the policy and adopted as soon as it shows up; the write is sent
again only when every lookup came back empty. A pending intent left by another
executor recently (its write may still land) is settled the same way.

With a lease (a :class:`~hikewoo_core._leases.LeaseKeeper` and the :class:`Fence` it
gave), the lease is renewed and checked before every remote write, and the ledger records
an outcome only while the fence still holds: a holder whose lease was taken over is
stopped before it writes again and records nothing.

Writes made for a WooCommerce order never mark the order as *seen* at its
modification time: the :class:`~hikewoo_core.Syncer` does that only once the whole
plan for the order is applied, so a plan interrupted half-way is planned again.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._datetimes import is_aware
from ._errors import OutcomeUnknownError
from ._leases import LeaseKeeper
from ._mapping import HikeStatus
from ._plan import (
    CreateHikeRefundSale,
    CreateHikeSale,
    CreateWooOrder,
    CreateWooRefund,
    RecordLink,
    UpdateHikeSale,
    UpdateWooOrder,
    Write,
)
from ._ports import (
    Fence,
    HikePort,
    Intent,
    IntentState,
    LedgerPort,
    Link,
    Origin,
    RefundLink,
    WooPort,
)
from ._retry import DEFAULT_SETTLE_POLICY, SettlePolicy
from ._translate import HIKE_REFUND_META, HIKE_SALE_META, hike_refund_reference, hike_sale_reference
from ._window import OrderWindow
from .hike._models import HikeSale

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
    """Applies :class:`~hikewoo_core.Write` actions through the ports.

    ``settle`` and ``sleep`` decide how an unknown outcome is waited out;
    ``lease_seconds`` is how long an earlier attempt's write may still be in flight
    (see the module docstring).
    """

    def __init__(
        self,
        woo: WooPort,
        hike: HikePort,
        ledger: LedgerPort,
        clock: Callable[[], datetime],
        *,
        settle: SettlePolicy = DEFAULT_SETTLE_POLICY,
        sleep: Callable[[float], object] = time.sleep,
        lease_seconds: float = 300.0,
    ) -> None:
        self.woo = woo
        self.hike = hike
        self.ledger = ledger
        self.clock = clock
        self.settle = settle
        self.sleep = sleep
        self.lease_seconds = lease_seconds

    def apply(
        self, write: Write, fence: Fence | None = None, keeper: LeaseKeeper | None = None
    ) -> Applied | None:
        """Apply one write; ``None`` when it had already been applied (a replay).

        With ``fence`` (and the ``keeper`` that renews it), nothing is written or recorded
        once the lease was taken over: :class:`~hikewoo_core.LeaseError` is raised.
        """
        _check_lease(fence, keeper)
        if isinstance(write, RecordLink):
            self.ledger.save_link(write.link)
            return Applied(write, write.link.hike_sale_id)
        if isinstance(write, _STATUS_UPDATES):
            self._link_for_woo(write.woo_order_id)  # no link, no intent and no write
        attempt = _ATTEMPTS.next()
        payload = {"attempt": attempt, "subject": write.subject, **_lookup_hints(write)}
        mine = Intent(
            key=write.key,
            kind=type(write).__name__,
            payload={**payload, "attempted_at": self.clock().isoformat()},
            created_at=self.clock(),
        )
        stored = self.ledger.begin_intent(mine, fence=fence)
        if stored.state is IntentState.DONE:
            if not isinstance(write, _STATUS_UPDATES) or self._reflected(write):
                log.debug("already applied: %s", write.key)
                return None
            # The same status change made before (the order went back and forth): the
            # earlier intent is done, but the link says the sale is elsewhere now.
            log.debug("applying %s again: the pair moved since it was done", write.key)
        if stored.payload.get("attempt") != attempt:
            # Another attempt began this write and did not record its outcome: it may
            # have happened, or (if recent) may still land. Look before writing.
            found = self._settle(write, stored, fresh=self._recent(stored))
            if found is not None:
                self._complete(write, self._catch_up(write, found, fence, keeper), fence)
                log.info("recovered %s: the earlier write had happened", write.key)
                return Applied(write, found[0], recovered=True)
            self._reattempt(write, payload, fence, keeper)
        try:
            outcome = self._perform(write)
        except OutcomeUnknownError:
            found = self._settle(write, stored, fresh=True)
            if found is not None:
                self._complete(write, self._catch_up(write, found, fence, keeper), fence)
                return Applied(write, found[0], recovered=True)
            self._reattempt(write, payload, fence, keeper)
            outcome = self._perform(write)
        self._complete(write, outcome, fence)
        return Applied(write, outcome[0])

    def _reflected(self, write: UpdateHikeSale | UpdateWooOrder) -> bool:
        """Whether the link already shows the outcome of a status update."""
        link = self._link_for_woo(write.woo_order_id)
        if isinstance(write, UpdateHikeSale):
            return link.woo_status == write.woo_status and (
                link.hike_fulfilment,
                link.hike_payment,
            ) == (write.status.fulfilment, write.status.payment)
        return link.woo_status == write.body.get("status") and (
            link.hike_fulfilment,
            link.hike_payment,
        ) == (write.status.fulfilment, write.status.payment)

    def _reattempt(
        self,
        write: Write,
        payload: Mapping[str, Any],
        fence: Fence | None,
        keeper: LeaseKeeper | None,
    ) -> None:
        """Before a write is sent again: check the lease, and note the new attempt's time
        in the intent (a later executor must know this write may still land)."""
        _check_lease(fence, keeper)
        stamped = {**payload, "attempted_at": self.clock().isoformat()}
        self.ledger.reattempt_intent(write.key, stamped, fence=fence)

    def _recent(self, intent: Intent) -> bool:
        """Whether the latest attempt's write may still land: sent within the lease time
        and the settle period."""
        when = _when(intent.payload.get("attempted_at")) or intent.created_at
        if when is None:
            return True
        horizon = timedelta(seconds=self.lease_seconds + self.settle.total)
        return self.clock() - when < horizon

    def _settle(self, write: Write, intent: Intent, *, fresh: bool) -> _Outcome | None:
        """Look the record up; for a write that may still land, after each settle delay."""
        if not isinstance(write, _CREATES):
            return None  # status updates are idempotent: performing again is the lookup
        if not fresh:
            return self._lookup(write, intent)
        for delay in self.settle.delays:
            self.sleep(delay)
            found = self._lookup(write, intent)
            if found is not None:
                return found
        log.info("%s: not found after settling %.2f s; writing it", write.key, self.settle.total)
        return None

    def _catch_up(
        self, write: Write, found: _Outcome, fence: Fence | None, keeper: LeaseKeeper | None
    ) -> _Outcome:
        """Bring a record found by lookup to the state the action wants now.

        The interrupted write may have created the record at an older status (the
        order changed while the executor was down); adopt it, then update it, with the
        lease checked first (the lookup may have outlasted it, and a new holder decides).
        """
        result_id, link, refund_link = found
        if isinstance(write, CreateHikeSale) and link is not None and result_id is not None:
            draft = write.draft
            if (link.hike_fulfilment, link.hike_payment) != (
                draft.fulfilment_status,
                draft.payment_status,
            ):
                status = HikeStatus(draft.fulfilment_status, draft.payment_status)
                _check_lease(fence, keeper)
                sale = self.hike.write_sale_status(result_id, status, payments=draft.payments)
                link = attrs.evolve(
                    link,
                    hike_fulfilment=sale.fulfilment_status,
                    hike_payment=sale.payment_status,
                    hike_modified_at=sale.modified_at,
                )
        if isinstance(write, CreateWooOrder) and link is not None and result_id is not None:
            wanted = write.body.get("status")
            if wanted and link.woo_status != wanted:
                _check_lease(fence, keeper)
                order = self.woo.write_order({"status": wanted}, result_id)
                link = attrs.evolve(
                    link, woo_status=str(order.status), woo_modified_gmt=order.date_modified_gmt
                )
        return result_id, link, refund_link

    # -- doing ----------------------------------------------------------------

    def _complete(self, write: Write, outcome: _Outcome, fence: Fence | None) -> None:
        result_id, link, refund_link = outcome
        self.ledger.complete_intent(
            write.key, result_id=result_id, link=link, refund_link=refund_link, fence=fence
        )

    def _perform(self, write: Write) -> _Outcome:
        if isinstance(write, CreateHikeSale):
            sale = self.hike.write_sale(write.draft)
            return sale.id, self._sale_link(write, sale), None
        if isinstance(write, UpdateHikeSale):
            link = self._link_for_woo(write.woo_order_id)  # before the write, never after
            sale = self.hike.write_sale_status(
                write.hike_sale_id, write.status, payments=write.payments
            )
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
            link = self._link_for_woo(write.woo_order_id)  # before the write, never after
            order = self.woo.write_order(write.body, write.woo_order_id)
            link = attrs.evolve(
                link,
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
        if link is None:  # plans create the link first; a ledger that lost it stops here
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
            # The plan's last write: the order is seen as read (see CreateHikeSale.seen).
            woo_modified_gmt=None if write.seen is None else write.woo_modified_gmt,
            woo_fingerprint=write.seen,
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
        around = _around(intent.payload, write)
        if isinstance(write, CreateHikeSale):
            ref = hike_sale_reference(write.woo_order_id)
            sales = self.hike.find_sales_by_reference(ref, around=around)
            if not sales:
                return None
            sale = min(sales, key=lambda s: s.id)
            return sale.id, self._sale_link(write, sale), None
        if isinstance(write, CreateHikeRefundSale):
            ref = hike_refund_reference(write.woo_refund_id)
            sales = self.hike.find_sales_by_reference(ref, around=around)
            if not sales:
                return None
            sale_id = min(s.id for s in sales)
            return sale_id, None, self._refund_link(write, sale_id)
        if isinstance(write, CreateWooOrder):
            since = (intent.created_at or self.clock()) - _LOOKUP_MARGIN
            via = write.body.get("created_via")
            window = OrderWindow(
                created_after=since, created_via=via if isinstance(via, str) and via else None
            )
            orders = self.woo.find_orders_by_meta(
                HIKE_SALE_META, str(write.hike_sale_id), window=window
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


class _AttemptIds:
    """Ids that tell one attempt at a write from every other: a random prefix per
    process and a counter. (A ``uuid4`` per write read ``os.urandom`` each time: a
    tenth of a backfill's CPU per order on a VM.) A forked child draws a new prefix, so
    it never repeats its parent's ids."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prefix = uuid.uuid4().hex
        self._count = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._count)}"


_ATTEMPTS = _AttemptIds()
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_ATTEMPTS.reset)

_CREATES = (CreateHikeSale, CreateHikeRefundSale, CreateWooOrder, CreateWooRefund)
_STATUS_UPDATES = (UpdateHikeSale, UpdateWooOrder)


def _check_lease(fence: Fence | None, keeper: LeaseKeeper | None) -> None:
    """Renew and check the lease before a remote write (:class:`LeaseError` once taken
    over); nothing without a keeper."""
    if fence is not None and keeper is not None:
        keeper.check(fence)


def _lookup_hints(write: Write) -> dict[str, str]:
    """What a lookup of this write's record needs, kept in its intent before the write:
    Hike lists sales by transaction date only, so the date the sale is created with."""
    if isinstance(write, (CreateHikeSale, CreateHikeRefundSale)):
        when = write.draft.transaction_date
        if when is not None:
            return {"around": when.isoformat()}
    return {}


def _when(value: object) -> datetime | None:
    """An aware datetime kept in an intent's payload (ISO 8601), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if is_aware(parsed) else None


def _around(payload: Mapping[str, Any], write: Write) -> datetime | None:
    """The transaction date to look a Hike sale up around: kept in the intent, or (an
    intent left by 0.1, which kept none) the date the write carries."""
    kept = _when(payload.get("around"))
    if kept is None and isinstance(write, (CreateHikeSale, CreateHikeRefundSale)):
        return write.draft.transaction_date
    return kept
