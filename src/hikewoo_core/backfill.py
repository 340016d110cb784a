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
- **One bad order never stops a run**: any error while planning or applying an order is
  counted, kept in :attr:`BackfillReport.failures` with the order's id, and the run goes on.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._unreadable import Unreadable
from .errors import ConfigurationError, describe
from .plan import (
    CreateHikeRefundSale,
    CreateHikeSale,
    Mismatch,
    Reject,
    Skip,
    StockImpact,
    add_stock_impact,
)
from .woo.models import WooOrder

if TYPE_CHECKING:
    from .sync import Syncer

__all__ = [
    "BackfillReport",
    "Partition",
    "Progress",
    "partitions",
    "run_backfill",
]

_MAX_FAILURES_KEPT = 100

log = logging.getLogger("hikewoo_core.sync")


@attrs.frozen
class Partition:
    """A slice ``[after, before)`` of a backfill's creation-date range."""

    after: datetime
    before: datetime
    index: int = 0
    count: int = 1

    def __attrs_post_init__(self) -> None:
        if self.after.tzinfo is None or self.before.tzinfo is None:
            raise ConfigurationError("partition bounds must be timezone-aware")
        if self.after >= self.before:
            raise ConfigurationError("a partition's start must be before its end")

    @property
    def name(self) -> str:
        """The checkpoint name: stable for the same bounds, whatever the worker."""
        return f"backfill:{self.after.isoformat()}/{self.before.isoformat()}"


def partitions(after: datetime, before: datetime, n: int) -> tuple[Partition, ...]:
    """Split ``[after, before)`` into ``n`` contiguous partitions of equal length.

    >>> from datetime import datetime, timezone
    >>> parts = partitions(datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...                    datetime(2026, 1, 5, tzinfo=timezone.utc), 2)
    >>> [(p.after.day, p.before.day) for p in parts]
    [(1, 3), (3, 5)]
    """
    if n < 1:
        raise ConfigurationError("n must be at least 1")
    if after.tzinfo is None or before.tzinfo is None:
        raise ConfigurationError("after and before must be timezone-aware")
    if after >= before:
        raise ConfigurationError("after must be before before")
    step = (before - after) / n
    bounds = [after + step * i for i in range(n)] + [before]
    bounds = [b.replace(microsecond=0) if 0 < i < n else b for i, b in enumerate(bounds)]
    return tuple(
        Partition(bounds[i], bounds[i + 1], i, n) for i in range(n) if bounds[i] < bounds[i + 1]
    )


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
class BackfillReport:
    """Counters of one partition's run (no plans are kept: memory stays flat)."""

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
        lines += [f"  failed order {oid}: {why}" for oid, why in self.failures[:10]]
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


def run_backfill(
    syncer: Syncer,
    partition: Partition,
    *,
    dry_run: bool = False,
    update_inventory: bool | None = None,
    progress: Callable[[Progress], None] | None = None,
    checkpoint_every: int = 100,
    total: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BackfillReport:
    """Run (or resume) one partition of a backfill; see the module docstring.

    A dry run plans every order and adds up the stock impact without writing, and
    records no checkpoint.
    """
    if checkpoint_every < 1:
        raise ConfigurationError("checkpoint_every must be at least 1")
    settings = syncer.settings
    inventory = settings.update_inventory if update_inventory is None else update_inventory
    state: dict[str, Any] = {} if dry_run else syncer.ledger.get_checkpoint(partition.name) or {}
    if state.get("complete"):
        return BackfillReport(
            partition=partition,
            done=int(state.get("done", 0)),
            resumed_from=int(state.get("done", 0)),
            complete=True,
            stock_impact=StockImpact(update_inventory=inventory),
        )
    done = resumed = int(state.get("done", 0))
    position = _Position(state)
    counts: Counter[str] = Counter()
    units: Counter[str] = Counter()
    failures: list[tuple[int | None, str]] = []
    started = clock()

    def save(complete: bool) -> None:
        if not dry_run:
            value = {"done": done, "complete": complete, **position.as_json()}
            syncer.ledger.set_checkpoint(partition.name, value)

    orders = syncer.woo.read_orders(
        created_after=partition.after,
        created_before=partition.before,
        modified_after=position.second,
    )
    for order in orders:
        if isinstance(order, Unreadable):  # listed, but it does not parse: reported
            counts["failed"] += 1
            log.warning("backfill: %s: %s", order, describe(order.error))
            if len(failures) < _MAX_FAILURES_KEPT:
                failures.append((order.id, describe(order.error)))
            done += 1
            continue
        if position.is_done(order):
            continue  # processed before the interruption (or read twice)
        try:
            report = syncer.process_order(
                order, manual=True, update_inventory=inventory, dry_run=dry_run
            )
        except Exception as exc:  # one bad order never stops the run  # noqa: BLE001
            counts["failed"] += 1
            log.warning("backfill of WooCommerce order %d failed: %s", order.id, describe(exc))
            if len(failures) < _MAX_FAILURES_KEPT:
                failures.append((order.id, describe(exc)))
        else:
            actions = report.plan.actions
            counts["created"] += sum(isinstance(a, CreateHikeSale) for a in actions)
            counts["refund_sales"] += sum(isinstance(a, CreateHikeRefundSale) for a in actions)
            counts["writes"] += len(report.plan.remote_writes)
            counts["skipped"] += (
                any(isinstance(a, Skip) for a in actions) and not report.plan.writes
            )
            counts["rejected"] += any(isinstance(a, Reject) for a in actions)
            counts["mismatched"] += any(isinstance(a, Mismatch) for a in actions)
            add_stock_impact(units, actions)
        done += 1
        position.advance(order)
        if done % checkpoint_every == 0:
            save(False)
        if progress is not None:
            progress(Progress(partition.name, done, total, clock() - started, resumed))
    save(True)
    return BackfillReport(
        partition=partition,
        done=done,
        resumed_from=resumed,
        complete=True,
        dry_run=dry_run,
        failures=tuple(failures),
        stock_impact=StockImpact.of(units, inventory, syncer.tracked_products()),
        **{k: counts[k] for k in ("created", "refund_sales", "writes", "skipped", "rejected",
                                   "mismatched", "failed")},
    )  # fmt: skip
