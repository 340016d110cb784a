"""The :class:`Syncer`: read both sides, plan, apply (shell).

Entry points:

- :meth:`Syncer.sync_woo_order`: one WooCommerce order (a webhook, or "sync now");
- :meth:`Syncer.sync_hike_sale`: one Hike sale (the "end of transaction" hook);
- :meth:`Syncer.sync_changes`: everything changed on either side since the last run
  (run by ``_incremental.IncrementalRun``);
- :meth:`Syncer.historical_sync`: a manual sync of a date range, dry-run by default,
  showing the stock impact before anything is written;
- :meth:`Syncer.set_serial_numbers`: enter serial numbers, under Hike's rules.

Single-record entry points raise on a refused order (composites); batch entry points
report each failure and go on with the rest.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import attrs

from ._backfill import BackfillReport, Partition, Progress, RunOptions, run_backfill
from ._backfill_pool import DEFAULT_CONCURRENCY, run_concurrently
from ._datetimes import checked_clock, require_aware, utc_now
from ._errors import ApiError, UnsupportedProductError
from ._executor import Applied, Executor
from ._incremental import IncrementalRun, batch
from ._leases import LeaseKeeper
from ._pending import RETRY_CHECKPOINT, UNSETTLED_CHECKPOINT
from ._plan import CreateHikeSale, Plan, Reject, stock_impact
from ._planner import (
    HikeSaleState,
    WooOrderState,
    plan_hike_sale,
    plan_woo_order,
    woo_fingerprint,
)
from ._ports import Fence, HikePort, LedgerPort, WooPort
from ._reports import Failure, SyncReport, WebhookResult
from ._retry import DEFAULT_SETTLE_POLICY, SettlePolicy
from ._serials import check_serial_entry
from ._settings import SyncSettings
from ._window import OrderWindow
from .hike._models import FulfilmentStatus, HikeSale
from .woo._models import WooOrder, WooProduct
from .woo._webhooks import verify_woo_webhook

__all__ = [
    "RETRY_CHECKPOINT",
    "UNSETTLED_CHECKPOINT",
    "Failure",
    "SyncReport",
    "Syncer",
    "WebhookResult",
]

log = logging.getLogger("hikewoo_core.sync")

#: Hike statuses a new sale may sync in (its SKUs are resolved to WooCommerce products).
_MAY_BECOME_ORDER = frozenset({FulfilmentStatus.COMPLETED, FulfilmentStatus.ON_ACCOUNT})


class Syncer:
    """Keeps a WooCommerce store and a Hike store in step.

    Args:
        woo: The WooCommerce side: anything implementing :class:`~hikewoo_core.WooPort`
            (a :class:`~hikewoo_core.woo.WooClient`, or a
            :class:`~hikewoo_core.testing.FakeWooCommerce` in tests).
        hike: The Hike side: anything implementing :class:`~hikewoo_core.HikePort`
            (a :class:`~hikewoo_core.hike.HikeClient`, or a
            :class:`~hikewoo_core.testing.FakeHike`).
        settings: The sync's switches (direction, status table, windows, lease length);
            :class:`~hikewoo_core.SyncSettings` defaults when omitted.
        ledger: What remembers what was synced, and who holds what:
            a :class:`~hikewoo_core.LedgerPort` such as
            :class:`~hikewoo_core.SqliteLedger`; a new
            :class:`~hikewoo_core.MemoryLedger` (forgotten at exit) when omitted.
        clock: The wall clock: a callable returning a timezone-aware ``datetime``
            (the real UTC time by default). A naive time raises
            :class:`~hikewoo_core.ConfigurationError`.
        overlap: How far back before the last cursor :meth:`sync_changes` reads again,
            so a record saved at the same second as the cursor is not missed.
        owner: This worker's name in the ledger's leases; a unique one by default.
            Give each process its own.
        settle: How long a write whose outcome is unknown (a gateway's 504 while the
            origin may still commit) is looked for before it is sent again: a
            :class:`~hikewoo_core.SettlePolicy`.
        sleep: How the waiting is done (``time.sleep`` by default; inject one that
            advances a fake clock in tests).
    """

    def __init__(
        self,
        *,
        woo: WooPort,
        hike: HikePort,
        settings: SyncSettings | None = None,
        ledger: LedgerPort | None = None,
        clock: Callable[[], datetime] | None = None,
        overlap: timedelta = timedelta(minutes=2),
        owner: str | None = None,
        settle: SettlePolicy = DEFAULT_SETTLE_POLICY,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        from ._ledger import MemoryLedger

        self.woo = woo
        self.hike = hike
        self.settings = settings or SyncSettings()
        self.ledger: LedgerPort = ledger if ledger is not None else MemoryLedger(clock=clock)
        self.clock = (
            checked_clock(clock, "the Syncer's clock time") if clock is not None else utc_now
        )
        self.overlap = overlap
        self.owner = owner or f"syncer-{uuid.uuid4().hex[:12]}"
        self._leases = LeaseKeeper(self.ledger, self.owner, self.settings.lease_seconds)
        self._executor = Executor(
            woo,
            hike,
            self.ledger,
            self.clock,
            settle=settle,
            sleep=sleep,
            lease_seconds=self.settings.lease_seconds,
        )
        self._activated: tuple[datetime | None, LedgerPort, datetime] | None = None
        if self.settings.sync_from is None:
            self.ledger.activated_at()  # the first Syncer on a ledger marks the start

    def __repr__(self) -> str:
        return f"<Syncer owner={self.owner!r} direction={self.settings.direction.value!r}>"

    @property
    def activated_at(self) -> datetime:
        """When the sync started: older records are historical (rules 1.7)."""
        sync_from, ledger = self.settings.sync_from, self.ledger
        cached = self._activated
        # Computed once per (settings.sync_from, ledger): a ledger's activation instant
        # never changes once recorded, and this is read for every order of a batch.
        if cached is not None and cached[0] is sync_from and cached[1] is ledger:
            return cached[2]
        start = sync_from or ledger.activated_at()
        value = start.replace(microsecond=0)  # WooCommerce dates have 1 s resolution
        self._activated = (sync_from, ledger, value)
        return value

    # -- planning ------------------------------------------------------------------

    def woo_order_state(self, order: WooOrder) -> WooOrderState:
        """Read everything the planner needs about one WooCommerce order."""
        link = self.ledger.link_for_woo(order.id)
        refunds = tuple(self.woo.read_refunds(order.id)) if order.refunds else ()
        sale = self.hike.read_sale(link.hike_sale_id) if link is not None else None
        customer = None
        email = (order.billing.email or "").strip()
        if link is None and email:
            customer = self.hike.find_customer(email)
        return WooOrderState(
            order=order,
            refunds=refunds,
            link=link,
            refund_links=tuple(self.ledger.refund_links(order.id)),
            hike_sale=sale,
            existing_customer=customer,
        )

    def plan_woo_order(self, order_id: int, *, manual: bool = False) -> Plan:
        """The plan for one WooCommerce order, without applying it."""
        order = self.woo.read_order(order_id)
        return plan_woo_order(
            self.woo_order_state(order),
            self.settings,
            activated_at=self.activated_at,
            manual=manual,
        )

    def hike_sale_state(self, sale: HikeSale) -> HikeSaleState:
        """Read everything the planner needs about one Hike sale or refund sale."""
        if sale.refund_of is not None:
            link = self.ledger.link_for_hike(sale.refund_of)
            refund_link = self.ledger.refund_link_for_hike(sale.id)
        else:
            link = self.ledger.link_for_hike(sale.id)
            refund_link = None
        order = self.woo.read_order(link.woo_order_id) if link is not None else None
        products: dict[str, WooProduct | None] = {}
        if link is None and sale.refund_of is None and sale.fulfilment_status in _MAY_BECOME_ORDER:
            for sku in {line.sku for line in sale.lines if line.sku}:
                products[sku] = self.woo.find_product(sku)
        return HikeSaleState(
            sale=sale, link=link, refund_link=refund_link, woo_order=order, woo_products=products
        )

    def plan_hike_sale(self, sale_id: int, *, manual: bool = False) -> Plan:
        """The plan for one Hike sale, without applying it."""
        sale = self.hike.read_sale(sale_id)
        return plan_hike_sale(
            self.hike_sale_state(sale), self.settings, activated_at=self.activated_at, manual=manual
        )

    # -- applying ------------------------------------------------------------------

    def apply(self, plan: Plan, fence: Fence | None = None) -> tuple[Applied, ...]:
        """Apply a plan's writes in order. Stops at the first failing write (it raises).

        ``fence`` is the pair's lease, held by this Syncer (see :meth:`process_order`):
        it is renewed and checked before every write.
        """
        applied = []
        keeper = self._leases if fence is not None else None
        for write in plan.writes:
            done = self._executor.apply(write, fence, keeper)
            if done is not None:
                applied.append(done)
        return tuple(applied)

    def _locked(self, resource: str) -> AbstractContextManager[Fence]:
        return self._leases.hold(resource)

    def process_order(
        self,
        order: WooOrder,
        *,
        manual: bool = False,
        update_inventory: bool | None = None,
        dry_run: bool = False,
        raise_rejects: bool = False,
    ) -> SyncReport:
        """Plan and (unless ``dry_run``) apply the sync of an order already read.

        The building block of every batch: it holds the pair's lease while it works,
        and marks the order seen at its modification time only once its whole plan
        is applied. ``manual`` is a manual (historical) sync.
        """
        state = self.woo_order_state(order)
        plan = self._plan_order(state, manual, update_inventory)
        rejects = [a for a in plan.actions if isinstance(a, Reject)]
        if rejects and raise_rejects:
            raise UnsupportedProductError(order.id, rejects[0].lines)
        if dry_run or plan.is_empty:
            if not dry_run:
                self._mark_seen(order)
            return SyncReport(plan=plan, dry_run=dry_run)
        with self._locked(f"pair:woo:{order.id}") as fence:
            # Another executor may have synced this pair between our read and the lease:
            # if the ledger moved, plan again from what it now says.
            if (
                self.ledger.link_for_woo(order.id) != state.link
                or tuple(self.ledger.refund_links(order.id)) != state.refund_links
            ):
                plan = self._plan_order(self.woo_order_state(order), manual, update_inventory)
            applied = self.apply(plan, fence)
            if not _seen_by_create(plan, applied):
                self._mark_seen(order)
        return SyncReport(plan=plan, applied=applied)

    def _plan_order(
        self, state: WooOrderState, manual: bool, update_inventory: bool | None
    ) -> Plan:
        return plan_woo_order(
            state,
            self.settings,
            activated_at=self.activated_at,
            manual=manual,
            update_inventory=update_inventory,
        )

    def _mark_seen(self, order: WooOrder) -> None:
        """Record that the order was fully processed as read (its fingerprint)."""
        link = self.ledger.link_for_woo(order.id)
        if link is None:
            return
        fingerprint = woo_fingerprint(order)
        if (link.woo_fingerprint, link.woo_modified_gmt) != (fingerprint, order.date_modified_gmt):
            self.ledger.save_link(
                attrs.evolve(
                    link, woo_fingerprint=fingerprint, woo_modified_gmt=order.date_modified_gmt
                )
            )

    def sync_woo_order(self, order_id: int) -> SyncReport:
        """Sync one WooCommerce order to Hike now.

        Raises :class:`~hikewoo_core.UnsupportedProductError` (writing nothing) when the
        order holds composite or bundle lines.
        """
        order = self.woo.read_order(order_id)
        return self.process_order(order, raise_rejects=True)

    def handle_woo_webhook(
        self,
        body: bytes,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        secret: str,
    ) -> WebhookResult:
        """Verify a WooCommerce webhook delivery, de-duplicate it, and sync its order.

        Raises :class:`~hikewoo_core.WebhookSignatureError` for an unsigned, wrongly
        signed or forged delivery (answer 401). Otherwise returns what happened: a ping,
        a duplicate (already seen: real stores repeat deliveries), ``"ignored"`` for a
        topic that is not an order change or a body that is a REST error instead of the
        order (an order deleted for good before the delivery went out), or the
        :class:`SyncReport` of the order. The order is read afresh:
        a delivery is a hint that something changed, not the state to apply. A refused
        order (composite products) is reported in the plan, not raised, so the receiver
        can answer 200 (WooCommerce disables a webhook after repeated failures).
        """
        event = verify_woo_webhook(body, headers, secret)
        if event.is_ping:
            return WebhookResult(event=event, outcome="ping")
        if event.resource != "order" or event.resource_id is None or event.event == "deleted":
            # Nothing to sync (another topic, a deletion, or a REST error body sent for
            # an order deleted before the delivery went out): no key is recorded.
            return WebhookResult(event=event, outcome="ignored")
        if not self.ledger.add_if_new(event.dedup_key):
            return WebhookResult(event=event, outcome="duplicate")
        try:
            order = self.woo.read_order(event.resource_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            # Deleted for good since the delivery went out: nothing left to sync, and the
            # receiver must answer 200 (WooCommerce disables a failing webhook).
            return WebhookResult(event=event, outcome="ignored")
        report = self.process_order(order)
        return WebhookResult(event=event, outcome="synced", report=report)

    def sync_hike_sale(self, sale_id: int) -> SyncReport:
        """Sync one Hike sale to WooCommerce now (Hike's "end of transaction" moment)."""
        sale = self.hike.read_sale(sale_id)
        return self._sync_sale(sale)

    def _sync_sale(self, sale: HikeSale, *, manual: bool = False) -> SyncReport:
        anchor = sale.refund_of if sale.refund_of is not None else sale.id
        link = self.ledger.link_for_hike(anchor)
        resource = f"pair:woo:{link.woo_order_id}" if link else f"pair:hike:{anchor}"
        with self._locked(resource) as fence:
            state = self.hike_sale_state(sale)
            plan = plan_hike_sale(
                state, self.settings, activated_at=self.activated_at, manual=manual
            )
            return SyncReport(plan=plan, applied=self.apply(plan, fence))

    def sync_changes(self) -> SyncReport:
        """Sync everything changed on either side since the last run (incremental).

        Reads closed windows ``[cursor - overlap, now)`` on ``date_modified_gmt`` (and
        Hike's modification time), skips what the ledger already saw at that modification
        time, and moves the cursors only after the whole window is processed, so a record
        modified while pages are read is never missed. A record whose sync fails is
        reported, kept in the ledger (checkpoint ``sync.retry``) and retried on the next
        runs until it syncs, however far the window has moved on meanwhile.

        Hike lists sales by transaction date only, so a sale that changes long after it
        was rung up (a lay-by paid off, a parked sale completed) is not in a window of
        recent changes: the Hike sales seen unsettled (lay-by, parked, pending, on
        account...) are kept in the ledger (checkpoint ``hike.unsettled``) and read
        again by id on every run, until they settle or ``settings.unsettled_horizon``
        has passed.
        """
        return IncrementalRun(self).run()

    def historical_sync(
        self,
        after: datetime,
        before: datetime,
        *,
        dry_run: bool = True,
        update_inventory: bool | None = None,
    ) -> SyncReport:
        """Manually sync WooCommerce orders created in ``[after, before)`` to Hike.

        Dry-run by default: returns the plan and the stock impact (units per product)
        without writing. ``update_inventory=False`` creates the sales with Hike's
        "do not update inventory" flag, leaving stock untouched.
        """
        require_aware("after", after)
        require_aware("before", before)
        inventory = self.settings.update_inventory if update_inventory is None else update_inventory
        report = SyncReport()
        window = OrderWindow(created_after=after, created_before=before)
        orders = self.woo.read_orders(window=window)
        one = functools.partial(
            self.process_order, manual=True, update_inventory=inventory, dry_run=dry_run
        )
        report += batch(orders, one)
        impact = stock_impact(report.plan.actions, inventory, self.tracked_products())
        plan = attrs.evolve(report.plan, stock_impact=impact)
        return attrs.evolve(report, plan=plan, dry_run=dry_run)

    def tracked_products(self) -> Callable[[str], bool]:
        """Whether Hike tracks a SKU (asks Hike once per SKU; a fresh cache per call):
        stock impacts count only those, and list the others apart."""

        @functools.lru_cache(maxsize=4096)
        def tracked(sku: str) -> bool:
            return bool(sku) and self.hike.find_product(sku) is not None

        return tracked

    def backfill(
        self,
        after: datetime,
        before: datetime,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        dry_run: bool = False,
        update_inventory: bool | None = None,
        progress: Callable[[Progress], None] | None = None,
        checkpoint_every: int = 100,
        total: int | None = None,
    ) -> BackfillReport:
        """Stream a manual sync of the orders created in ``[after, before)``, resumably.

        Unlike :meth:`historical_sync`, which keeps every plan for review, a backfill keeps
        only counters, checkpoints its position in the ledger and reports progress, so it
        runs over any number of orders in flat memory and resumes after an interruption.

        The range is split into partitions run on ``concurrency`` threads (8 by default;
        1 runs a range not begun before as one partition, in this thread); a rerun of the
        same range keeps the split of the first run, whatever its ``concurrency``, so it
        resumes every partition from its checkpoint. The
        report and the ``progress`` callback cover the whole range; the callback is
        called from the worker threads, one at a time. Every order is synced once,
        whatever thread meets it (docs: "Backfill and orchestrators"). To spread a
        range over processes or machines instead, split it with
        :func:`hikewoo_core.partitions` and run each part with
        :meth:`backfill_partition`. ``after`` and ``before`` must be timezone-aware
        (:class:`~hikewoo_core.ConfigurationError`).
        """
        require_aware("after", after)
        require_aware("before", before)
        options = RunOptions(
            dry_run=dry_run,
            update_inventory=update_inventory,
            progress=progress,
            checkpoint_every=checkpoint_every,
            total=total,
        )
        return run_concurrently(self, Partition(after, before), options, concurrency=concurrency)

    def backfill_partition(
        self,
        partition: Partition,
        *,
        dry_run: bool = False,
        update_inventory: bool | None = None,
        progress: Callable[[Progress], None] | None = None,
        checkpoint_every: int = 100,
        total: int | None = None,
    ) -> BackfillReport:
        """Run or resume one partition of a backfill (one part of :func:`~hikewoo_core.partitions`),
        in this thread: the unit of work to hand a task queue or another process. The
        arguments mean what they mean to :meth:`backfill`."""
        options = RunOptions(
            dry_run=dry_run,
            update_inventory=update_inventory,
            progress=progress,
            checkpoint_every=checkpoint_every,
            total=total,
        )
        return run_backfill(self, partition, options)

    def set_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        """Enter or edit a line's serial numbers, under Hike's rules (1.6 in docs/rules.md).

        Allowed only for serial-number-enabled products, on a sale that came from
        WooCommerce and is Completed, while the register that took it is still open.
        Raises :class:`~hikewoo_core.SerialNumberError` otherwise; nothing is written.
        """
        sale = self.hike.read_sale(sale_id)
        line = sale.lines[line_index] if 0 <= line_index < len(sale.lines) else None
        product = self.hike.find_product(line.sku) if line is not None and line.sku else None
        if sale.register_closure_id is None:
            closure = None
        else:
            closure = self.hike.read_register_closure(sale.register_closure_id)
        check_serial_entry(sale, line_index, serial_numbers, product=product, closure=closure)
        return self.hike.write_serial_numbers(sale_id, line_index, serial_numbers)


def _seen_by_create(plan: Plan, applied: Sequence[Applied]) -> bool:
    """Whether the plan was one create, applied now, whose link already marks the order
    seen (:attr:`~hikewoo_core._plan.CreateHikeSale.seen`): nothing is left to mark."""
    writes = plan.writes
    return (
        len(writes) == len(applied) == 1
        and isinstance(writes[0], CreateHikeSale)
        and writes[0].seen is not None
    )
