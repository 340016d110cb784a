"""Backfill at scale: streamed, resumable, partitioned (shell).

A backfill syncs the WooCommerce orders *created* in a date range to Hike, as a manual
(historical) sync. It reads, plans and applies one order at a time, so memory does not
grow with the number of orders: the report keeps counters, never the plans.

- **Progress**: a callback receives :class:`Progress` (done, total when known, rate, ETA).
- **Checkpoints**: every ``checkpoint_every`` orders the position in the stream is saved
  in the ledger: the modification *second* reached and the ids already processed in that
  second. The stream comes oldest modification first, but orders modified in the same
  second come in no particular order (WooCommerce sorts by the second only, and a real
  store returned ties out of id order), so a position cannot be a single order. A rerun
  reads again from that second and skips the ids it lists: an interrupted backfill
  neither redoes nor skips an order, whatever order ties arrive in. An order modified
  after the backfill processed it is caught by the incremental sync
  (:meth:`~hikewoo_core.Syncer.sync_changes`), since its modification time moved.
- **Partitions**: :func:`partitions` splits a range into independent slices, each with its
  own checkpoint, so an orchestrator (Airflow, Dagster, Prefect, ``concurrent.futures``)
  can run them in parallel and retry each on its own.
- **One bad order never stops a run**: an order that fails (an error while reading,
  planning or applying it) is reported with its id and reason, kept in the partition's
  checkpoint, and read again by id at the end of this run and of every later run until
  it syncs; the partition is not ``complete`` while one is left. The run goes on.
- **Orders that change meanwhile**: a pass over the partition reads up to the store's
  "now" when it began; an order modified while it runs leaves its place, so passes are
  repeated from the position reached until one finds nothing new (at most 10 per run;
  a partition that is still changing reports itself not complete and goes on next time).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
from dateutil.relativedelta import relativedelta

from ._datetimes import require_aware
from ._errors import ApiError, ConfigurationError, HikeWooError, describe
from ._plan import (
    CreateHikeRefundSale,
    CreateHikeSale,
    Mismatch,
    Reject,
    Skip,
    StockImpact,
    add_stock_impact,
)
from ._unreadable import Unreadable
from ._window import OrderWindow
from .woo._models import WooOrder

if TYPE_CHECKING:
    from ._sync import Syncer

__all__ = [
    "BackfillReport",
    "Partition",
    "Progress",
    "RunOptions",
    "partitions",
    "run_backfill",
]

_MAX_FAILURES_KEPT = 100
#: Passes over a partition before a run stops while orders keep changing (it reports
#: itself not complete; the next run goes on from where it stopped).
_MAX_PASSES = 10

log = logging.getLogger("hikewoo_core.sync")


@attrs.frozen
class Partition:
    """A slice ``[after, before)`` of a backfill's creation-date range."""

    after: datetime
    before: datetime
    index: int = 0
    count: int = 1

    def __attrs_post_init__(self) -> None:
        require_aware("Partition.after", self.after)
        require_aware("Partition.before", self.before)
        if self.after >= self.before:
            raise ConfigurationError("a partition's start must be before its end")

    @property
    def name(self) -> str:
        """The checkpoint name: stable for the same bounds, whatever the worker."""
        return f"backfill:{self.after.isoformat()}/{self.before.isoformat()}"


def partitions(
    after: datetime,
    before: datetime,
    n: int | None = None,
    *,
    every: relativedelta | timedelta | None = None,
) -> tuple[Partition, ...]:
    """Split ``[after, before)`` into contiguous partitions: ``n`` of equal length, or one
    per calendar step ``every`` (what ETL schedules want: a month is not 30 days).

    >>> from datetime import datetime, timezone
    >>> from dateutil.relativedelta import relativedelta
    >>> parts = partitions(datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...                    datetime(2026, 1, 5, tzinfo=timezone.utc), 2)
    >>> [(p.after.day, p.before.day) for p in parts]
    [(1, 3), (3, 5)]
    >>> months = partitions(datetime(2026, 1, 31, tzinfo=timezone.utc),
    ...                     datetime(2026, 4, 15, tzinfo=timezone.utc),
    ...                     every=relativedelta(months=1))
    >>> [f"{p.after:%b %d} to {p.before:%b %d}" for p in months]
    ['Jan 31 to Feb 28', 'Feb 28 to Mar 31', 'Mar 31 to Apr 15']
    """
    require_aware("after", after)
    require_aware("before", before)
    if after >= before:
        raise ConfigurationError("after must be before before")
    if (n is None) == (every is None):
        raise ConfigurationError("give either n (equal parts) or every (a calendar step)")
    if every is not None:
        bounds = _calendar_bounds(after, before, every)
    else:
        assert n is not None  # noqa: S101 - checked just above
        if n < 1:
            raise ConfigurationError("n must be at least 1")
        step = (before - after) / n
        bounds = [after + step * i for i in range(n)] + [before]
        # Inner bounds on whole seconds, never outside the range (a part shorter than a
        # second would otherwise start before ``after``).
        bounds = [
            min(max(b.replace(microsecond=0), after), before) if 0 < i < n else b
            for i, b in enumerate(bounds)
        ]
    count = len(bounds) - 1
    return tuple(
        Partition(bounds[i], bounds[i + 1], i, count)
        for i in range(count)
        if bounds[i] < bounds[i + 1]
    )


#: A calendar partition scheme may not make more parts than this (a typo like
#: ``relativedelta(seconds=1)`` over a year would make millions).
_MAX_PARTITIONS = 100_000


def _calendar_bounds(
    after: datetime, before: datetime, every: relativedelta | timedelta
) -> list[datetime]:
    """``after``, ``after + every``, ``after + 2 * every``, ... then ``before``; each
    step counted from ``after`` (so months keep their day where they can)."""
    bounds = [after]
    for k in range(1, _MAX_PARTITIONS + 1):
        bound = after + every * k
        if bound <= bounds[-1]:
            raise ConfigurationError(f"every must move forward in time, got {every!r}")
        if bound >= before:
            return [*bounds, before]
        bounds.append(bound)
    raise ConfigurationError(f"every={every!r} makes more than {_MAX_PARTITIONS} partitions")


@attrs.frozen
class Progress:
    """How far a backfill partition has come."""

    partition: str
    done: int
    total: int | None
    elapsed: float
    resumed_from: int = 0

    @property
    def rate(self) -> float:
        """Orders per second in this run."""
        done_now = self.done - self.resumed_from
        return done_now / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, when the total is known and the rate is positive."""
        if self.total is None or self.rate <= 0:
            return None
        return max(self.total - self.done, 0) / self.rate


@attrs.frozen(kw_only=True)
class RunOptions:
    """How a backfill runs: the arguments of :meth:`~hikewoo_core.Syncer.backfill` after
    the range (defaults there), and the monotonic ``timer`` that times :class:`Progress`."""

    dry_run: bool
    update_inventory: bool | None
    progress: Callable[[Progress], None] | None
    checkpoint_every: int
    total: int | None
    timer: Callable[[], float] = time.monotonic


@attrs.frozen(kw_only=True)
class BackfillReport:
    """Counters of one partition's run (no plans are kept: memory stays flat).

    ``complete`` is true once every order of the partition has been read and none is
    left failing; ``failed`` counts the orders still failing (kept for the next run),
    ``failures`` lists up to 100 of them with the reason. A listed order whose id cannot
    be read cannot be retried by id: it counts as failed, with ``None`` for its id, the
    run is not complete, and the next run reads the partition again from its start.
    """

    partition: Partition
    done: int = 0
    resumed_from: int = 0
    complete: bool = False
    dry_run: bool = False
    created: int = 0
    refund_sales: int = 0
    writes: int = 0
    skipped: int = 0
    rejected: int = 0
    mismatched: int = 0
    failed: int = 0
    failures: tuple[tuple[int | None, str], ...] = ()
    stock_impact: StockImpact = attrs.field(factory=StockImpact)

    def explain(self) -> str:
        """One paragraph for a person."""
        p = self.partition
        lines = [
            f"backfill {p.after:%Y-%m-%d %H:%M} .. {p.before:%Y-%m-%d %H:%M} UTC "
            f"(partition {p.index + 1} of {p.count}): {self.done} order(s) read"
            + (f", resumed after {self.resumed_from}" if self.resumed_from else "")
            + ("" if self.complete else ", NOT complete"),
            f"  Hike sales {'to create' if self.dry_run else 'created'}: {self.created}, "
            f"refund sales: {self.refund_sales}, writes: {self.writes}",
            f"  skipped: {self.skipped}, rejected: {self.rejected}, "
            f"mismatched: {self.mismatched}, failed: {self.failed}",
        ]
        lines += [
            f"  failed order {'(no id)' if oid is None else oid}: {why}"
            for oid, why in self.failures[:10]
        ]
        lines.append("  " + self.stock_impact.explain().replace("\n", "\n  "))
        return "\n".join(lines)


class _Position:
    """Where a partition's stream has got to: the modification second reached and the ids
    processed in it (ties in one second arrive in no particular order)."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.second: datetime | None = None
        self.ids: set[int] = set()
        if isinstance(state.get("second"), str):
            self.second = datetime.fromisoformat(state["second"])
            self.ids = {i for i in state.get("ids") or () if type(i) is int}
        elif isinstance(state.get("modified"), str):  # written by 0.1: its id means nothing
            self.second = datetime.fromisoformat(state["modified"])

    def is_done(self, order: WooOrder) -> bool:
        """Whether ``order`` was processed at this version (in this run or before)."""
        return order.date_modified_gmt == self.second and order.id in self.ids

    def advance(self, order: WooOrder) -> None:
        """Record ``order`` as processed. A stream that goes back in time (a port not
        keeping its "oldest first" promise) leaves the position where it is."""
        modified = order.date_modified_gmt
        if self.second is None or modified > self.second:
            self.second, self.ids = modified, {order.id}
        elif modified == self.second:
            self.ids.add(order.id)

    def as_json(self) -> dict[str, Any]:
        if self.second is None:
            return {}
        return {"second": self.second.isoformat(), "ids": sorted(self.ids)}


def run_backfill(syncer: Syncer, partition: Partition, options: RunOptions) -> BackfillReport:
    """Run (or resume) one partition of a backfill; see the module docstring.

    A dry run plans every order and adds up the stock impact without writing, and
    records no checkpoint.
    """
    run = start_run(syncer, partition, options)
    run.total, run.progress, run.timer = options.total, options.progress, options.timer
    run.go()
    return report_of(partition, [run], syncer.tracked_products())


def start_run(syncer: Syncer, partition: Partition, options: RunOptions) -> _Run:
    """A run of ``partition`` set up from its checkpoint (not started: see :meth:`_Run.go`).

    ``checkpoint_every`` is checked here, before the ledger is read."""
    if options.checkpoint_every < 1:
        raise ConfigurationError("checkpoint_every must be at least 1")
    inventory = options.update_inventory
    if inventory is None:
        inventory = syncer.settings.update_inventory
    dry_run = options.dry_run
    state: dict[str, Any] = {} if dry_run else syncer.ledger.get_checkpoint(partition.name) or {}
    run = _Run(syncer, partition, state, dry_run=dry_run, inventory=inventory)
    run.every = options.checkpoint_every
    return run


def report_of(
    partition: Partition, runs: Sequence[_Run], tracked: Callable[[str], bool]
) -> BackfillReport:
    """One report for the runs of ``partition`` (or of its parts), counters added up."""
    counts: Counter[str] = Counter()
    units: Counter[str] = Counter()
    failed: dict[int, str] = {}
    unidentified: dict[tuple[datetime | None, str], str] = {}
    for run in runs:
        counts.update(run.counts)
        units.update(run.units)
        failed.update(run.failed)
        unidentified.update(run.unidentified)
    failures = [*sorted(failed.items()), *((None, why) for why in unidentified.values())]
    first = runs[0]
    return BackfillReport(
        partition=partition,
        done=sum(run.done for run in runs),
        resumed_from=sum(run.resumed for run in runs),
        complete=all(run.complete for run in runs),
        dry_run=first.dry_run,
        failed=len(failed) + len(unidentified),
        failures=tuple(failures[:_MAX_FAILURES_KEPT]),
        stock_impact=StockImpact.of(units, first.inventory, tracked),
        **{k: counts[k] for k in ("created", "refund_sales", "writes", "skipped",
                                  "rejected", "mismatched")},
    )  # fmt: skip


class _Run:
    """One run of a partition: the scan's passes, the failures, the counters."""

    every: int = 100
    total: int | None = None
    progress: Callable[[Progress], None] | None = None
    timer: Callable[[], float] = time.monotonic
    started: float = 0.0
    complete: bool = False

    def __init__(
        self,
        syncer: Syncer,
        partition: Partition,
        state: Mapping[str, Any],
        *,
        dry_run: bool,
        inventory: bool,
    ) -> None:
        self.syncer, self.partition, self.dry_run, self.inventory = (
            syncer, partition, dry_run, inventory,
        )  # fmt: skip
        self.done = self.resumed = int(state.get("done", 0))
        self.position = _Position(state)
        self.failed: dict[int, str] = {
            i: "failed in an earlier run" for i in state.get("failed") or () if type(i) is int
        }
        self.counts: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        #: Listed orders whose id could not be read, by what can be read of them
        #: (modification time, reason): they cannot be retried by id.
        self.unidentified: dict[tuple[datetime | None, str], str] = {}
        self._state = state
        #: Asked before each order: true when the run must stop now (another partition
        #: of a concurrent backfill failed, or it was interrupted); it stops with a
        #: checkpoint saved.
        self.stopping: Callable[[], bool] = lambda: False

    def go(self) -> None:
        """Scan (pass after pass), retry what failed, save the checkpoint; sets
        :attr:`complete`."""
        if self._state.get("complete") and not self.failed:
            self.complete = True
            return
        if self.stopping():  # another part failed before this one began
            return
        self.started = self.timer()
        scanned = bool(self._state.get("scanned"))  # 0.1 wrote no "scanned"
        for _ in range(_MAX_PASSES if not scanned else 0):
            found = self.scan()
            if self.stopping():
                self.save(complete=False, scanned=False, restart=bool(self.unidentified))
                return
            if found == 0:  # a pass found nothing new: no order is left behind
                scanned = True
                break
        self.retry_failed()
        if self.stopping():
            self.save(complete=False, scanned=scanned, restart=bool(self.unidentified))
            return
        self.complete = scanned and not self.failed and not self.unidentified
        # An order without a readable id can be met again only by reading the partition
        # again: the next run starts it over.
        self.save(complete=self.complete, scanned=scanned, restart=bool(self.unidentified))

    def scan(self) -> int:
        """One pass over the orders modified from the position on; how many it processed.

        A pass ends where the store's "now" was when it began: an order modified while
        the pass runs leaves its place and is read by the next pass.
        """
        processed = 0
        window = OrderWindow(
            created_after=self.partition.after,
            created_before=self.partition.before,
            modified_after=self.position.second,
        )
        orders = self.syncer.woo.read_orders(window=window)
        for order in orders:
            if self.stopping():
                break
            if isinstance(order, Unreadable):  # listed, but it does not parse
                if order.id is None:  # nothing to retry it by: reported, run not complete
                    reason = describe(order.error)
                    if (order.modified, reason) not in self.unidentified:  # passes repeat
                        log.warning("backfill: %s: %s", order, reason)
                        self.unidentified[order.modified, reason] = reason
                elif order.id not in self.failed:
                    self._fail(order.id, describe(order.error))
                    processed += 1
                continue
            if self.position.is_done(order):
                continue  # processed before the interruption (or read twice)
            second = self.position.second
            if second is not None and order.date_modified_gmt < second:
                raise HikeWooError(
                    f"the WooCommerce port returned order {order.id} (modified "
                    f"{order.date_modified_gmt.isoformat()}) after orders modified at "
                    f"{second.isoformat()}: read_orders must return the oldest "
                    "modification first, or a resumed backfill would skip orders"
                )
            self._process(order)
            processed += 1
            self.done += 1
            self.position.advance(order)
            if self.done % self.every == 0:
                self.save(complete=False, scanned=False)
            if self.progress is not None:
                elapsed = self.timer() - self.started
                self.progress(
                    Progress(self.partition.name, self.done, self.total, elapsed, self.resumed)
                )
        return processed

    def retry_failed(self) -> None:
        """Read again, by id, every order that failed (in this run or an earlier one)."""
        for order_id in sorted(self.failed):
            if self.stopping():
                return
            try:
                order = self.syncer.woo.read_order(order_id)
            except ApiError as exc:
                if exc.status == 404:  # gone: nothing left to sync
                    del self.failed[order_id]
                    continue
                self._fail(order_id, describe(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - kept for the next run
                self._fail(order_id, describe(exc))
                continue
            self._process(order)

    def _process(self, order: WooOrder) -> None:
        try:
            report = self.syncer.process_order(
                order, manual=True, update_inventory=self.inventory, dry_run=self.dry_run
            )
        except Exception as exc:  # one bad order never stops the run  # noqa: BLE001
            self._fail(order.id, describe(exc))
            return
        self.failed.pop(order.id, None)
        actions = report.plan.actions
        self.counts["created"] += sum(isinstance(a, CreateHikeSale) for a in actions)
        self.counts["refund_sales"] += sum(isinstance(a, CreateHikeRefundSale) for a in actions)
        self.counts["writes"] += len(report.plan.remote_writes)
        self.counts["skipped"] += (
            any(isinstance(a, Skip) for a in actions) and not report.plan.writes
        )
        self.counts["rejected"] += any(isinstance(a, Reject) for a in actions)
        self.counts["mismatched"] += any(isinstance(a, Mismatch) for a in actions)
        add_stock_impact(self.units, actions)

    def _fail(self, order_id: int, reason: str) -> None:
        log.warning("backfill of WooCommerce order %d failed: %s", order_id, reason)
        self.failed[order_id] = reason

    def save(self, *, complete: bool, scanned: bool, restart: bool = False) -> None:
        if self.dry_run:
            return
        value = {
            "done": 0 if restart else self.done,
            "complete": complete,
            "scanned": scanned and not restart,
            "failed": sorted(self.failed),
            **({} if restart else self.position.as_json()),
        }
        self.syncer.ledger.set_checkpoint(self.partition.name, value)
