"""Backfill partitions, runs and reports: the holes mutation testing found (see
docs/testing.md).

Rules (rule 1.7, DESIGN 3 "long work" and "one bad record never stops a run", and the
``hikewoo_core._backfill`` docstring): a range splits into contiguous partitions without
gaps, overlaps or empty slices; bad arguments are refused naming the argument; a run
counts exactly what it did, checkpoints where it got to, resumes from there, keeps and
retries what failed, and the report a person reads says exactly what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from hikewoo_core import (
    ApiError,
    ConfigurationError,
    OrderWindow,
    Partition,
    PayloadError,
    Progress,
    partitions,
)
from hikewoo_core._backfill import BackfillReport, RunOptions, run_backfill
from hikewoo_core._plan import StockImpact
from hikewoo_core._ports import Unreadable
from hikewoo_core.testing import FakeWooCommerce
from hikewoo_core.woo._models import WooOrder

from ._world import ADA, World, make_world, spy_processed
from .test_backfill import Crash, history

UTC = timezone.utc
JAN1 = datetime(2026, 1, 1, tzinfo=UTC)


def refusal(call: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        call()
    return str(info.value)


def bounds(parts: tuple[Partition, ...]) -> list[tuple[datetime, datetime, int, int]]:
    return [(p.after, p.before, p.index, p.count) for p in parts]


def test_rule_1_7_partition_arguments_are_refused_naming_the_argument() -> None:
    """Rule 1.7 (a manual sync over a chosen range): a range that is not one is refused,
    and the message names what is wrong."""
    naive = datetime(2026, 1, 1)
    assert refusal(lambda: partitions(naive, JAN1, 2)).startswith(
        "after must be a timezone-aware datetime, got a naive one (2026-01-01T00:00:00)"
    )
    assert refusal(lambda: partitions(JAN1, naive, 2)).startswith(
        "before must be a timezone-aware datetime, got a naive one"
    )
    assert refusal(lambda: partitions(JAN1, JAN1, 2)) == "after must be before before"
    later = JAN1 + timedelta(days=1)
    assert refusal(lambda: partitions(JAN1, later)) == (
        "give either n (equal parts) or every (a calendar step)"
    )
    assert refusal(lambda: partitions(JAN1, later, 0)) == "n must be at least 1"
    assert refusal(lambda: Partition(later, JAN1)) == "a partition's start must be before its end"


def test_rule_1_7_one_partition_is_the_whole_range() -> None:
    """Rule 1.7: ``n=1`` is the range itself, bounds untouched."""
    after = JAN1.replace(microsecond=250_000)
    before = after + timedelta(days=3, microseconds=1)
    assert bounds(partitions(after, before, 1)) == [(after, before, 0, 1)]


def test_rule_1_7_inner_bounds_fall_on_whole_seconds_and_the_outer_ones_stay_exact() -> None:
    """Rule 1.7 (partitions with stable checkpoint names): inner bounds are whole seconds,
    the range's own bounds are kept to the microsecond, so the slices cover it exactly."""
    after = JAN1.replace(microsecond=250_000)
    before = after + timedelta(seconds=10, microseconds=500_000)
    second = timedelta(seconds=1)
    assert bounds(partitions(after, before, 3)) == [
        (after, JAN1 + 3 * second, 0, 3),
        (JAN1 + 3 * second, JAN1 + 7 * second, 1, 3),
        (JAN1 + 7 * second, before, 2, 3),
    ]


def test_rule_1_7_slices_left_empty_by_whole_seconds_are_dropped() -> None:
    """Rule 1.7: one second in three parts makes one partition, not empty ones."""
    second = JAN1 + timedelta(seconds=1)
    assert bounds(partitions(JAN1, second, 3)) == [(JAN1, second, 2, 3)]


def test_rule_1_7_calendar_steps_end_exactly_at_the_end_of_the_range() -> None:
    """Rule 1.7 (calendar partitions): a step landing on the end closes the last slice."""
    jan2, jan3 = JAN1 + timedelta(days=1), JAN1 + timedelta(days=2)
    assert bounds(partitions(JAN1, jan3, every=timedelta(days=1))) == [
        (JAN1, jan2, 0, 2),
        (jan2, jan3, 1, 2),
    ]
    months = partitions(JAN1, datetime(2026, 3, 1, tzinfo=UTC), every=relativedelta(months=1))
    assert [p.count for p in months] == [2, 2]


def test_rule_1_7_at_most_a_hundred_thousand_calendar_partitions() -> None:
    """Rule 1.7: a typo like one-second steps over a long range is refused, not a
    million partitions; up to 100,000 are made."""
    second = timedelta(seconds=1)
    assert len(partitions(JAN1, JAN1 + 100_000 * second, every=second)) == 100_000
    assert refusal(lambda: partitions(JAN1, JAN1 + 100_001 * second, every=second)) == (
        "every=datetime.timedelta(seconds=1) makes more than 100000 partitions"
    )


def test_rule_1_7_a_complete_run_is_reported_with_every_counter_and_the_stock_impact() -> None:
    """Rule 1.7 (the stock impact is shown) and DESIGN 3 (progress a person can read)."""
    report = BackfillReport(
        partition=Partition(JAN1, datetime(2026, 1, 5, 12, 30, tzinfo=UTC), 1, 4),
        done=30,
        complete=True,
        created=12,
        refund_sales=2,
        writes=15,
        skipped=3,
        rejected=1,
        mismatched=1,
        stock_impact=StockImpact(units={"MUG": 3}, unknown={"ZZZ": 1}),
    )
    assert report.explain() == (
        "backfill 2026-01-01 00:00 .. 2026-01-05 12:30 UTC (partition 2 of 4): 30 order(s) read\n"
        "  Hike sales created: 12, refund sales: 2, writes: 15\n"
        "  skipped: 3, rejected: 1, mismatched: 1, failed: 0\n"
        "  stock impact in Hike (units deducted per product):\n"
        "    MUG                  -3\n"
        "  not tracked by Hike (no stock moves), units sold:\n"
        "    ZZZ                  1"
    )


def test_rule_1_7_an_unfinished_dry_run_says_so_and_shows_ten_failures() -> None:
    """Rule 1.7 (a dry run shows what would be created) and DESIGN 3 (a run that did not
    finish says so; failures are listed with their reasons, the first ten of them)."""
    failures = tuple((i, f"boom {i}") for i in range(1, 13))
    report = BackfillReport(
        partition=Partition(JAN1, JAN1 + timedelta(days=1)),
        done=25,
        resumed_from=20,
        dry_run=True,
        failed=12,
        failures=failures,
        stock_impact=StockImpact(update_inventory=False),
    )
    shown = "".join(f"  failed order {i}: boom {i}\n" for i in range(1, 11))
    assert report.explain() == (
        "backfill 2026-01-01 00:00 .. 2026-01-02 00:00 UTC (partition 1 of 1): 25 order(s) "
        "read, resumed after 20, NOT complete\n"
        "  Hike sales to create: 0, refund sales: 0, writes: 0\n"
        "  skipped: 0, rejected: 0, mismatched: 0, failed: 12\n"
        f"{shown}"
        "  stock impact: none (sales are created with 'do not update inventory')"
    )


# --- runs: helpers ----------------------------------------------------------------------


def break_orders(w: World, broken: set[int]) -> None:
    """Syncing an order whose id is in ``broken`` fails (Hike is down for it) for as long
    as it stays in the set."""
    process = w.syncer.process_order

    def maybe(order: WooOrder, **kw: Any) -> Any:
        if order.id in broken:
            raise ConnectionError("Hike is down")
        return process(order, **kw)

    w.syncer.process_order = maybe  # type: ignore[method-assign]


def two_failed_then_fixed() -> tuple[World, datetime, datetime, list[int]]:
    """A world of 4 orders whose backfill failed the 2nd and the 4th (kept for retry),
    both syncable again now; its window and the order ids, ascending."""
    w = make_world()
    after, before = history(w, 4)
    ids = sorted(o.id for o in w.woo.orders())
    broken = {ids[1], ids[3]}
    break_orders(w, broken)
    assert w.syncer.backfill(after, before).failed == 2
    broken.clear()
    return w, after, before, ids


def synced(w: World) -> set[str]:
    """The external references of the Hike sales made from WooCommerce orders."""
    return {str(s.external_reference) for s in w.hike.sales() if s.refund_of is None}


def refs(ids: Any) -> set[str]:
    return {f"woo:{i}" for i in ids}


def stop_at(done: int) -> Callable[[Progress], None]:
    """A progress callback that kills the worker once ``done`` orders are processed."""

    def stop(p: Progress) -> None:
        if p.done == done:
            raise Crash("worker killed")

    return stop


class ListedUnparseable:
    """A WooCommerce port whose every listing starts with order ``order_id`` in a form that
    does not parse (the REST client yields it as ``Unreadable``); reading it by id fails
    the same way until ``fixed``."""

    def __init__(self, woo: FakeWooCommerce, order_id: int | None) -> None:
        self._woo = woo
        self.error = PayloadError([("$.total", "not a decimal amount")], what="WooCommerce order")
        self.item = Unreadable(side="woo", id=order_id, modified=None, error=self.error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._woo, name)

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder | Unreadable]:
        yield self.item
        yield from self._woo.read_orders(window)

    def read_order(self, order_id: int) -> WooOrder:
        if order_id == self.item.id:
            raise self.error
        return self._woo.read_order(order_id)


# --- runs -------------------------------------------------------------------------------


def test_rule_1_7_a_partition_with_naive_or_empty_bounds_is_refused_naming_the_bound() -> None:
    """Rule 1.7 (a manual sync over a chosen range): a ``Partition`` built by hand is
    checked as ``partitions`` checks its range, and the message names the bound."""
    naive = datetime(2026, 1, 1)
    assert refusal(lambda: Partition(naive, JAN1)).startswith(
        "Partition.after must be a timezone-aware datetime, got a naive one"
    )
    assert refusal(lambda: Partition(JAN1 - timedelta(days=1), naive)).startswith(
        "Partition.before must be a timezone-aware datetime, got a naive one"
    )
    assert refusal(lambda: Partition(JAN1, JAN1)) == "a partition's start must be before its end"


def test_backfill_rule_checkpoint_every_below_one_is_refused_before_anything_is_written() -> None:
    """Backfill docstring (checkpoints every ``checkpoint_every`` orders): zero is refused
    with a message naming the argument, and nothing is synced."""
    w = make_world()
    after, before = history(w, 2)
    assert refusal(lambda: w.syncer.backfill(after, before, checkpoint_every=0)) == (
        "checkpoint_every must be at least 1"
    )
    assert w.hike.sales() == []


@pytest.mark.parametrize(
    ("setting", "argument", "deducts"),
    [(True, None, True), (True, False, False), (False, None, False), (False, True, True)],
)
def test_rule_1_7_a_backfill_deducts_stock_as_the_setting_says_unless_the_caller_says_otherwise(
    setting: bool, argument: bool | None, deducts: bool
) -> None:
    """Rule 1.7: with "update inventory" on, a manual historical sync deducts Hike stock;
    the caller may sync without deduction (the per-sale "do not update inventory" flag),
    and the stock impact shown says which it did."""
    from hikewoo_core import SyncSettings

    w = make_world(SyncSettings(update_inventory=setting))
    after, before = history(w, 3)  # 1 + 2 + 3 mugs
    report = w.syncer.backfill(after, before, update_inventory=argument)
    assert report.complete
    assert w.hike.stock("MUG") == (44 if deducts else 50)
    assert {s.do_not_update_inventory for s in w.hike.sales()} == {not deducts}
    assert report.stock_impact.update_inventory is deducts
    if deducts:
        assert report.stock_impact == StockImpact(units={"MUG": 6})


def test_rule_1_7_a_backfill_counts_each_kind_of_outcome_over_every_order() -> None:
    """Rule 1.7 and DESIGN 3 (the report says what happened): sales, refund sales and
    writes are added up over the partition; an order is "skipped" when it was skipped
    and nothing was written, "rejected" or "mismatched" once each."""
    w = make_world()
    now = w.clock.now()
    w.clock.set(now - timedelta(days=5))
    w.order("completed")
    for _ in range(2):
        w.woo.set_status(w.order("completed"), "refunded")  # a sale and a refund sale
    w.order("pending")
    w.order("pending")
    w.order("completed", lines=())  # nothing to sell: rejected
    w.order("completed", lines=())
    for _ in range(2):  # lines that do not add up to the total: mismatched
        w.tick()
        line = {"product_id": 100, "name": "Mug", "sku": "MUG", "quantity": 1, "total": "12.50"}
        w.woo.add_order(
            {"status": "completed", "billing": ADA, "total": "99.00", "line_items": [line]}
        )
    w.order("completed")  # last: it adds to created and writes only
    w.clock.set(now)
    report = w.syncer.backfill(now - timedelta(days=6), now)
    assert report.complete
    assert report.done == 10
    counted = (
        report.created,
        report.refund_sales,
        report.writes,
        report.skipped,
        report.rejected,
        report.mismatched,
    )
    assert counted == (4, 2, 6, 2, 2, 2)


def test_rule_1_7_a_dry_run_plans_every_order_whatever_a_real_run_checkpointed() -> None:
    """Rule 1.7 (the stock impact is shown before anything is written) and the backfill
    docstring (a dry run plans every order and records no checkpoint): an earlier,
    interrupted real run does not make a dry run start half way, and the report says it
    was a dry run."""
    w = make_world()
    after, before = history(w, 5)
    with pytest.raises(Crash):
        w.syncer.backfill(after, before, concurrency=1, checkpoint_every=2, progress=stop_at(3))
    name = Partition(after, before).name
    checkpoint = w.ledger.get_checkpoint(name)
    assert checkpoint is not None
    assert checkpoint["done"] == 2
    planned = spy_processed(w)
    report = w.syncer.backfill(after, before, concurrency=1, dry_run=True)
    assert sorted(planned) == sorted(o.id for o in w.woo.orders())
    assert (report.dry_run, report.done, report.resumed_from) == (True, 5, 0)
    assert report.created == 2  # three were synced by the interrupted run
    assert "Hike sales to create: 2" in report.explain()
    assert w.ledger.get_checkpoint(name) == checkpoint


def test_backfill_rule_progress_names_the_partition_and_counts_from_the_resumed_position() -> None:
    """DESIGN 3 (long work reports progress through a callback) and the backfill
    docstring: each ``Progress`` names the partition's checkpoint, says where the run
    resumed from, and the time elapsed since this run began (on the injected clock)."""
    w = make_world()
    after, before = history(w, 5)
    partition = Partition(after, before)
    with pytest.raises(Crash):
        w.syncer.backfill_partition(partition, checkpoint_every=2, progress=stop_at(3))
    ticks = iter([100.0, 100.5, 101.5, 103.0])
    seen: list[Progress] = []
    options = RunOptions(
        dry_run=False,
        update_inventory=None,
        progress=seen.append,
        checkpoint_every=100,
        total=5,
        timer=lambda: next(ticks),
    )
    report = run_backfill(w.syncer, partition, options)
    assert report.complete
    assert [(p.partition, p.done, p.total, p.elapsed, p.resumed_from) for p in seen] == [
        (partition.name, 3, 5, 0.5, 2),
        (partition.name, 4, 5, 1.5, 2),
        (partition.name, 5, 5, 3.0, 2),
    ]
    assert seen[0].rate == 2.0


def test_backfill_rule_a_checkpoint_holds_the_second_reached_and_the_ids_done_in_it() -> None:
    """Backfill docstring (checkpoints): every ``checkpoint_every`` orders the ledger gets
    the count, the modification second reached and the ids processed in it, and whether
    the partition is read through and complete; a finished run records that it is."""
    w = make_world()
    after, before = history(w, 3)
    name = Partition(after, before).name
    _, second, third = sorted(w.woo.orders(), key=lambda o: o.date_modified_gmt)
    with pytest.raises(Crash):
        w.syncer.backfill(after, before, concurrency=1, checkpoint_every=2, progress=stop_at(3))
    assert w.ledger.get_checkpoint(name) == {
        "done": 2,
        "complete": False,
        "scanned": False,
        "failed": [],
        "second": second.date_modified_gmt.isoformat(),
        "ids": [second.id],
    }
    assert w.syncer.backfill(after, before, concurrency=1).complete
    assert w.ledger.get_checkpoint(name) == {
        "done": 3,
        "complete": True,
        "scanned": True,
        "failed": [],
        "second": third.date_modified_gmt.isoformat(),
        "ids": [third.id],
    }


def test_backfill_rule_a_finished_partition_returns_at_once_reading_and_writing_nothing() -> None:
    """docs/backfill.md ("A finished partition returns at once"): an orchestrator that
    retries a finished task costs neither store a call, nor the ledger a write."""
    w = make_world()
    after, before = history(w, 3)
    assert w.syncer.backfill(after, before).complete
    name = Partition(after, before).name
    checkpoint = w.ledger.get_checkpoint(name)
    woo_calls, hike_calls = len(w.woo.calls), len(w.hike.calls)
    writes: list[Any] = []
    w.ledger.set_checkpoint = lambda *args: writes.append(args)  # type: ignore[method-assign]
    again = w.syncer.backfill(after, before)
    assert (again.complete, again.done, again.resumed_from, again.created) == (True, 3, 3, 0)
    assert (len(w.woo.calls), writes) == (woo_calls, [])
    assert w.ledger.get_checkpoint(name) == checkpoint
    assert len(w.hike.calls) == hike_calls


def test_backfill_rule_a_read_through_partition_is_not_listed_again_only_its_failures() -> None:
    """Backfill docstring: a failed order is "read again by id at the end of this run and
    of every later run until it syncs"; a partition read through is not listed again
    (passes stop once one finds nothing new), so a later run reads its failures only."""
    w = make_world()
    after, before = history(w, 3)
    broken = {sorted(o.id for o in w.woo.orders())[1]}
    failed_id = next(iter(broken))
    break_orders(w, broken)
    first = w.syncer.backfill(after, before)
    assert (first.complete, first.failed) == (False, 1)
    assert first.failures == ((failed_id, "unexpected builtins.ConnectionError: Hike is down"),)
    broken.clear()
    listings = w.woo.call_count("read_orders")
    second = w.syncer.backfill(after, before)
    assert w.woo.call_count("read_orders") == listings
    assert (second.complete, second.failed, second.created) == (True, 0, 1)
    assert synced(w) == refs(o.id for o in w.woo.orders())


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (ApiError(500, "internal_error", "the database is down"), "ApiError: "),
        (ConnectionError("connection reset"), "unexpected builtins.ConnectionError: "),
    ],
)
def test_one_bad_record_rule_a_failed_order_that_cannot_be_read_again_is_kept_with_why(
    fault: Exception, reason: str
) -> None:
    """DESIGN 3 (one bad record never stops a run: reported with its id and reason, kept
    for retry, the others go on): an order that cannot be read again by id stays failed
    with the new reason, and the failures after it are still retried."""
    w, after, before, ids = two_failed_then_fixed()
    w.woo.fail_next("read_order", fault)  # the retry of the lower id
    report = w.syncer.backfill(after, before)
    assert (report.complete, report.failed) == (False, 1)
    assert report.failures == ((ids[1], f"{reason}{fault}"),)
    assert refs([ids[3]]) <= synced(w)


def test_one_bad_record_rule_a_failed_order_deleted_since_is_dropped_and_the_rest_retried() -> None:
    """DESIGN 3 (one bad record never stops a run) and the backfill docstring (a failed
    order is read again until it syncs): one deleted for good (404) has nothing left to
    sync and no longer holds the partition back; the failures after it are retried."""
    w, after, before, ids = two_failed_then_fixed()
    w.woo.delete_order(ids[1], force=True)
    report = w.syncer.backfill(after, before)
    assert (report.complete, report.failed, report.failures) == (True, 0, ())
    assert synced(w) == refs(i for i in ids if i != ids[1])


def test_one_bad_record_rule_an_unparseable_listed_order_is_reported_kept_and_the_rest_sync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DESIGN 3 (one bad record never stops a run: reported with its id and reason, kept
    for retry, the others go on): a listed order that does not parse is reported and
    logged with its id and why (when listed, and when its retry by id fails again), the
    orders after it sync, and a pass that meets it again finds nothing new (two passes,
    not ten)."""
    w = make_world()
    after, before = history(w, 3)
    port = ListedUnparseable(w.woo, 9999)
    w.syncer.woo = port
    with caplog.at_level(logging.WARNING, logger="hikewoo_core.sync"):
        report = w.syncer.backfill(after, before, concurrency=1)
    why = f"PayloadError: {port.error}"
    assert (report.complete, report.done, report.failed) == (False, 3, 1)
    assert report.failures == ((9999, why),)
    assert synced(w) == refs(o.id for o in w.woo.orders())
    assert w.woo.call_count("read_orders") == 2
    assert [r.getMessage() for r in caplog.records] == [
        f"backfill of WooCommerce order 9999 failed: {why}"
    ] * 2


def test_one_bad_record_rule_an_unparseable_order_without_an_id_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DESIGN 3 (one bad record is reported with its reason): a listed order whose id
    cannot be read cannot be retried, but it is counted and logged, and the run that
    met it is not complete (it was dropped without a word, the partition complete)."""
    w = make_world()
    after, before = history(w, 2)
    port = ListedUnparseable(w.woo, None)
    w.syncer.woo = port
    with caplog.at_level(logging.WARNING, logger="hikewoo_core.sync"):
        report = w.syncer.backfill(after, before, concurrency=1)
    why = f"PayloadError: {port.error}"
    assert (report.complete, report.done, report.failed) == (False, 2, 1)
    assert report.failures == ((None, why),)
    assert "failed order (no id): PayloadError" in report.explain()
    assert synced(w) == refs(o.id for o in w.woo.orders())
    assert [r.getMessage() for r in caplog.records] == [
        f"backfill: unreadable WooCommerce order (no id): {why}"
    ]


def test_backfill_rule_an_order_changed_during_a_pass_is_read_again_despite_a_bad_one() -> None:
    """Backfill docstring (orders that change meanwhile): passes repeat until one finds
    nothing new; a pass that processed an order and met a new unparseable one did find
    something, so the order changed while it ran is read again by the next pass."""
    w = make_world()
    after, before = history(w, 1)
    [order_id] = [o.id for o in w.woo.orders()]
    w.syncer.woo = ListedUnparseable(w.woo, 9999)

    def refund_it(p: Progress) -> None:
        if p.done == 1:
            w.tick()
            w.woo.set_status(order_id, "refunded")

    report = w.syncer.backfill(after, before, progress=refund_it)
    assert (report.done, report.refund_sales) == (2, 1)
    [sale] = [s for s in w.hike.sales() if s.external_reference == f"woo:{order_id}"]
    assert sale.fulfilment_status.value == "Refunded"


def test_backfill_rule_a_checkpoint_written_by_0_1_resumes_from_its_second() -> None:
    """Backfill docstring (a rerun reads again from the second reached) and CHANGELOG (the
    0.1 checkpoint held a ``(modified, id)`` position): a partition checkpointed by 0.1
    resumes from that second, planning again the orders of that second (0.1's id means
    nothing under arbitrary tie order), none before it."""
    w = make_world()
    after, before = history(w, 5)
    orders = sorted(w.woo.orders(), key=lambda o: o.date_modified_gmt)
    partition = Partition(after, before)
    for order in orders[:3]:
        w.syncer.process_order(order, manual=True)
    reached = orders[2]
    w.ledger.set_checkpoint(
        partition.name,
        {"done": 3, "complete": False, "modified": reached.date_modified_gmt.isoformat(),
         "id": reached.id},
    )  # fmt: skip
    planned = spy_processed(w)
    report = w.syncer.backfill_partition(partition)
    assert planned == [o.id for o in orders[2:]]
    assert (report.complete, report.resumed_from, report.done, report.created) == (True, 3, 6, 2)
    assert synced(w) == refs(o.id for o in orders)


def test_rule_1_7_a_partition_syncs_the_orders_created_in_its_slice_only() -> None:
    """Rule 1.7 (a manual sync over a chosen range) and DESIGN 3 (independent date-range
    partitions): a partition reads the orders created in ``[after, before)``, none
    created after its end, which belong to the next partition."""
    w = make_world()
    after, _ = history(w, 6)  # created an hour apart
    orders = sorted(w.woo.orders(), key=lambda o: o.date_created_gmt)
    first = Partition(after, orders[3].date_created_gmt)  # the next one starts there
    inside = [o.id for o in orders[:3]]
    report = w.syncer.backfill_partition(first)
    assert (report.complete, report.done) == (True, len(inside))
    assert synced(w) == refs(inside)


def test_one_bad_record_rule_an_id_less_order_keeps_every_later_run_incomplete() -> None:
    """DESIGN 3: an id-less unreadable order cannot be retried by id, so the next run
    reads the partition again and reports it again, rather than calling the partition
    complete (its checkpoint said "scanned": the rerun listed nothing)."""
    w = make_world()
    after, before = history(w, 2)
    w.syncer.woo = ListedUnparseable(w.woo, None)  # still listed, still unreadable
    first = w.syncer.backfill(after, before, concurrency=1)
    listings = w.woo.call_count("read_orders")
    second = w.syncer.backfill(after, before, concurrency=1)
    assert w.woo.call_count("read_orders") > listings
    assert (first.complete, first.failed, second.complete, second.failed) == (False, 1) * 2
    assert (second.done, second.resumed_from, second.created) == (2, 0, 0)  # no new writes


class TwoIdLessOrders:
    """A WooCommerce port whose first two listings each start with an id-less order that
    does not parse, a different one each time."""

    def __init__(self, woo: FakeWooCommerce) -> None:
        self._woo, self.listings = woo, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._woo, name)

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder | Unreadable]:
        self.listings += 1
        if self.listings <= 2:
            where = f"$.line_items[{self.listings}].total"
            error = PayloadError([(where, "not a decimal amount")], what="WooCommerce order")
            yield Unreadable(side="woo", id=None, modified=None, error=error)
        yield from self._woo.read_orders(window)


def test_one_bad_record_rule_distinct_id_less_orders_met_by_different_passes_count_apart() -> None:
    """DESIGN 3 (each bad record reported): the first pass meets one id-less order, the
    second (an order changed meanwhile) another; both count, each with its reason."""
    w = make_world()
    after, before = history(w, 1)
    [order_id] = [o.id for o in w.woo.orders()]
    port = TwoIdLessOrders(w.woo)
    w.syncer.woo = port

    def change_it(p: Progress) -> None:
        if p.done == 1:  # the order changes during the first pass: a second pass runs
            w.tick()
            w.woo.set_status(order_id, "refunded")

    report = w.syncer.backfill(after, before, progress=change_it)
    assert port.listings >= 2
    assert report.failed == 2
    assert [why.split("\n")[-1] for _, why in report.failures] == [
        "  $.line_items[1].total: not a decimal amount",
        "  $.line_items[2].total: not a decimal amount",
    ]
