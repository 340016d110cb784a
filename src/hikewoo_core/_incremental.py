"""One run of :meth:`Syncer.sync_changes <hikewoo_core.Syncer.sync_changes>`: closed
windows on both sides, the records to read again, follow-ups and retries (shell).

:func:`batch` runs a sync over many records, reporting each failure and going on; the
historical sync uses it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from ._errors import ApiError, describe
from ._pending import (
    RETRY_CHECKPOINT,
    UNSETTLED_CHECKPOINT,
    Again,
    Retry,
    Unsettled,
    record_key,
    subject_of,
)
from ._plan import CreateWooRefund, UpdateWooOrder
from ._planner import woo_fingerprint
from ._ports import Unreadable
from ._reports import Failure, SyncReport
from ._window import OrderWindow
from .hike._models import HikeSale
from .woo._models import WooOrder

if TYPE_CHECKING:
    from ._sync import Syncer

T = TypeVar("T")

log = logging.getLogger("hikewoo_core.sync")

WOO_CURSOR = "woo.modified_before"
HIKE_CURSOR = "hike.modified_before"


class IncrementalRun:
    """One :meth:`~hikewoo_core.Syncer.sync_changes` of a :class:`~hikewoo_core.Syncer`."""

    def __init__(self, syncer: Syncer) -> None:
        self.syncer = syncer
        self.ledger = syncer.ledger

    def run(self) -> SyncReport:
        """Sync everything changed since the cursors (see ``Syncer.sync_changes``)."""
        # A closed window ending just after the current second (both systems stamp whole
        # seconds); anything changed later in that second is re-read through the overlap.
        now = self.syncer.clock().replace(microsecond=0) + timedelta(seconds=1)
        report = SyncReport()
        retry = Retry(self.ledger.get_checkpoint(RETRY_CHECKPOINT))
        try:
            if self.syncer.settings.direction.woo_to_hike:
                start = self._cursor(WOO_CURSOR)
                window = OrderWindow(modified_after=start, modified_before=now)
                orders = self.syncer.woo.read_orders(window=window)
                report += batch(orders, self._woo_item, retry)
                report += batch(retry.due("woo"), self._woo_again, retry)
                self.ledger.set_cursor(WOO_CURSOR, now.isoformat())
            if self.syncer.settings.direction.hike_to_woo:
                report += self._hike_changes(now, retry)
        finally:
            # Even when reading a window fails half-way (the Hike side after the
            # WooCommerce side moved its cursor), the failures seen so far are kept.
            retry.save(self.ledger)
        return report

    def _hike_changes(self, now: datetime, retry: Retry) -> SyncReport:
        start = self._cursor(HIKE_CURSOR)
        unsettled = Unsettled(
            self.ledger.get_checkpoint(UNSETTLED_CHECKPOINT),
            self.syncer.clock(),
            self.syncer.settings.unsettled_horizon,
        )
        seen: set[int] = set()

        def one(sale: HikeSale, *, reread: bool = False) -> SyncReport | None:
            seen.add(sale.id)
            unsettled.observe(sale, reread=reread)
            return self._hike_item(sale)

        def again(item: Again) -> SyncReport | None:
            sale = self._read_sale(item.id)
            if sale is None:
                unsettled.forget(item.id)
                return None
            return one(sale, reread=True)

        listed = list(self.syncer.hike.read_sales(modified_after=start, modified_before=now))
        sales = sorted(
            (s for s in listed if isinstance(s, HikeSale)),
            key=lambda s: (s.refund_of is not None, s.modified_at or now, s.id),
        )
        unreadable = [s for s in listed if isinstance(s, Unreadable)]
        items: list[HikeSale | Unreadable] = [*unreadable, *sales]
        report = batch(items, one, retry)
        report += batch(retry.due("hike"), again, retry)
        watched = [item for item in unsettled.due() if item.id not in seen]
        report += batch(watched, again, retry)
        self.ledger.set_cursor(HIKE_CURSOR, now.isoformat())
        unsettled.save(self.ledger)
        if self.syncer.settings.direction.woo_to_hike:
            report += self._follow_up(report, retry=retry)
        return report

    def _follow_up(
        self, report: SyncReport, rounds: int = 3, *, retry: Retry | None = None
    ) -> SyncReport:
        """Re-plan WooCommerce orders that Hike-side writes just changed.

        A refund written to WooCommerce can flip the order to ``refunded`` (WooCommerce
        does that when refunds reach the total); that change must flow back to Hike's
        sale in the same run, so one ``sync_changes`` converges.
        """
        total = SyncReport()
        for _ in range(rounds):
            touched = sorted(
                {
                    a.action.woo_order_id
                    for a in report.applied
                    if isinstance(a.action, (CreateWooRefund, UpdateWooOrder))
                }
            )
            if not touched:
                break
            again = [Again("woo", i) for i in touched]
            report = batch(again, self._woo_again, retry)
            total += report
        return total

    def _cursor(self, name: str) -> datetime:
        value = self.ledger.get_cursor(name)
        if value is None:
            return self.syncer.activated_at - self.syncer.overlap
        return datetime.fromisoformat(value) - self.syncer.overlap

    def _woo_item(self, order: WooOrder) -> SyncReport | None:
        link = self.ledger.link_for_woo(order.id)
        if link is not None and link.woo_fingerprint == woo_fingerprint(order):
            # Already processed as it is now. Not the modification time: WooCommerce
            # stamps whole seconds, so a change within the second keeps the stamp.
            return None
        return self.syncer.process_order(order)

    def _hike_item(self, sale: HikeSale) -> SyncReport | None:
        if sale.refund_of is not None:
            if self.ledger.refund_link_for_hike(sale.id) is not None:
                return None  # a refund sale syncs once, ever
        else:
            link = self.ledger.link_for_hike(sale.id)
            if link is not None and (link.hike_fulfilment, link.hike_payment) == (
                sale.fulfilment_status,
                sale.payment_status,
            ):
                # The statuses are all the planner reads of a linked sale (equal
                # modification times do not mean equal statuses).
                return None
        return self.syncer._sync_sale(sale)

    def _woo_again(self, again: Again) -> SyncReport | None:
        """Read one WooCommerce order by id and sync it (a retry or a follow-up)."""
        try:
            order = self.syncer.woo.read_order(again.id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            log.warning("WooCommerce order %d is gone; no longer retried", again.id)
            return None
        return self._woo_item(order)

    def _read_sale(self, sale_id: int) -> HikeSale | None:
        """One Hike sale by id; ``None`` (logged) when Hike no longer has it."""
        try:
            return self.syncer.hike.read_sale(sale_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            log.warning("Hike sale %d is gone; no longer read again", sale_id)
            return None


def batch(
    items: Iterable[T | Unreadable],
    one: Callable[[T], SyncReport | None],
    retry: Retry | None = None,
) -> SyncReport:
    """Sync each item with ``one``, reporting a failure (or an unreadable item) and going
    on with the rest; with ``retry``, failures are kept for the next run and successes
    forgotten."""
    report = SyncReport()
    for item in items:
        if isinstance(item, Unreadable):  # a listed record that does not parse
            report += report_unreadable(item, retry)
            continue
        try:
            result = one(item)
        except Exception as exc:  # one bad record never stops a run  # noqa: BLE001
            subject = subject_of(item)
            reason = describe(exc)
            log.warning("sync of %s failed: %s", subject, reason)
            side, record_id = record_key(item) or ("", None)
            failure = Failure(subject, reason, type(exc).__name__, side, record_id)
            report += SyncReport(failures=(failure,))
            if retry is not None:
                retry.failed(item)
            continue
        if retry is not None:
            retry.done(item)
        if result is not None:
            report += result
    return report


def report_unreadable(item: Unreadable, retry: Retry | None) -> SyncReport:
    """Report a listed record that does not parse; keep it for retry (by id)."""
    reason = describe(item.error)
    log.warning("%s: %s", item, reason)
    failure = Failure(str(item), reason, type(item.error).__name__, item.side, item.id)
    if retry is not None and item.id is not None:
        retry.failed(Again(item.side, item.id))
    return SyncReport(failures=(failure,))
