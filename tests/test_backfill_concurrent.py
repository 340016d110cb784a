"""A backfill's partitions on threads: every order once, one progress stream, a kept split."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from hikewoo_core import (
    ConfigurationError,
    OrderWindow,
    Partition,
    Progress,
    SqliteLedger,
    partitions,
)
from hikewoo_core._backfill_pool import PARTS

from ._world import World, make_world
from .test_backfill import Crash, die_at_write, history


def once_each(w: World, n: int) -> None:
    """Every one of the ``n`` orders has exactly one Hike sale."""
    refs = Counter(s.external_reference for s in w.hike.sales())
    assert len(refs) == n
    assert set(refs.values()) == {1}


def part_names(w: World) -> set[str]:
    names = getattr(w.ledger, "_checkpoints", None)
    assert isinstance(names, dict)
    return {k for k in names if k.startswith("backfill:")}


def test_a_concurrent_backfill_syncs_every_order_once_and_reports_the_whole_range() -> None:
    w = make_world()
    after, before = history(w, 60)
    seen: list[Progress] = []
    inside = threading.Lock()

    def progress(p: Progress) -> None:
        assert inside.acquire(blocking=False), "the callback ran on two threads at once"
        try:
            seen.append(p)
        finally:
            inside.release()

    report = w.syncer.backfill(after, before, concurrency=4, progress=progress, total=60)
    assert report.complete
    assert (report.done, report.created, report.failed) == (60, 60, 0)
    assert (report.partition.after, report.partition.before) == (after, before)
    assert report.stock_impact.units == {"MUG": sum(1 + i % 3 for i in range(60))}
    once_each(w, 60)
    # One stream, for the whole range: its counts only grow, up to every order.
    assert {p.partition for p in seen} == {report.partition.name}
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == 60
    assert {p.total for p in seen} == {60}
    # Every part has its own checkpoint.
    assert part_names(w) == {p.name for p in partitions(after, before, PARTS)}


def test_every_run_of_a_range_splits_it_alike_whatever_its_concurrency() -> None:
    w = make_world()
    after, before = history(w, 40)

    def stop_at(n: int) -> Any:
        def progress(p: Progress) -> None:
            if p.done >= n:
                raise Crash("interrupted")

        return progress

    with pytest.raises(Crash):
        w.syncer.backfill(after, before, concurrency=3, checkpoint_every=2, progress=stop_at(10))
    parts = {p.name for p in partitions(after, before, PARTS)}
    assert part_names(w) <= parts
    assert part_names(w)  # some part checkpointed before the interruption
    report = w.resync().backfill(after, before, concurrency=2)
    assert report.complete
    assert report.resumed_from > 0
    assert part_names(w) == parts  # the same partitions resumed
    once_each(w, 40)
    assert w.syncer.backfill(after, before, concurrency=1).complete  # and complete it stays


def test_a_range_begun_in_one_partition_stays_in_one() -> None:
    w = make_world()
    after, before = history(w, 12)
    whole = Partition(after, before)

    def stop_at_5(p: Progress) -> None:
        if p.done == 5:
            raise Crash("interrupted")

    # Begun as 0.1 ran it: one checkpoint for the whole range, no split record.
    with pytest.raises(Crash):
        w.syncer.backfill_partition(whole, checkpoint_every=1, progress=stop_at_5)
    assert part_names(w) == {whole.name}
    again = w.resync().backfill(after, before, concurrency=8)
    assert (again.complete, again.resumed_from) == (True, 5)
    assert part_names(w) == {whole.name}
    once_each(w, 12)


def test_concurrency_1_runs_the_range_as_one_partition() -> None:
    w = make_world()
    after, before = history(w, 6)
    assert w.syncer.backfill(after, before, concurrency=1).created == 6
    assert part_names(w) == {Partition(after, before).name}


def test_a_failing_partition_stops_the_others_with_their_checkpoints_and_raises() -> None:
    w = make_world(ledger=None)
    after, before = history(w, 48)
    real = w.woo.read_orders
    middle = after + timedelta(hours=24)  # the 48 orders are an hour apart from after + 1 h

    def read_orders(window: OrderWindow) -> Iterator[Any]:
        low = window.created_after
        if low is not None and low >= middle:
            raise RuntimeError("the store is down for this window")
        return real(window)

    w.woo.read_orders = read_orders  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="store is down"):
        w.syncer.backfill(after, before, concurrency=4)
    assert len(w.hike.sales()) < 48
    w.woo.read_orders = real  # type: ignore[method-assign]
    report = w.resync().backfill(after, before, concurrency=4)
    assert report.complete
    once_each(w, 48)


@pytest.mark.parametrize("crash_at", [1, 7, 20])
def test_a_worker_killed_mid_write_then_resumed_syncs_every_order_once(
    crash_at: int, tmp_path: object
) -> None:
    w = make_world(ledger=lambda clock: SqliteLedger(f"{tmp_path}/ledger.db", clock=clock))
    after, before = history(w, 30)
    revive = die_at_write(w, crash_at)
    with pytest.raises(Crash):
        w.syncer.backfill(after, before, concurrency=4, checkpoint_every=3)
    revive()
    assert len(w.hike.sales()) < 30
    report = w.resync().backfill(after, before, concurrency=4, checkpoint_every=3)
    assert report.complete
    once_each(w, 30)


def test_a_dry_run_records_no_checkpoint() -> None:
    w = make_world()
    after, before = history(w, 10)
    report = w.syncer.backfill(after, before, dry_run=True, concurrency=4)
    assert (report.created, report.dry_run) == (10, True)
    assert w.hike.sales() == []
    assert part_names(w) == set()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "8"])
def test_concurrency_must_be_a_positive_integer(bad: Any) -> None:
    w = make_world()
    after, before = history(w, 2)
    with pytest.raises(ConfigurationError, match="concurrency must be a positive integer"):
        w.syncer.backfill(after, before, concurrency=bad)
    assert w.hike.sales() == []


def test_a_range_shorter_than_its_parts_still_covers_every_order() -> None:
    w = make_world()
    start = w.clock.now() - timedelta(days=1)
    for i in range(5):  # five orders created within three seconds
        w.clock.set(start + timedelta(seconds=i * 0.6))
        w.order("completed", (("MUG", 1, "12.50"),), tick=0)
    w.clock.set(start + timedelta(minutes=5))
    report = w.syncer.backfill(start, start + timedelta(seconds=3), concurrency=8)
    assert (report.complete, report.created) == (True, 5)
    once_each(w, 5)


def test_backfill_partition_still_runs_one_part_for_an_orchestrator() -> None:
    w = make_world()
    after, before = history(w, 20)
    reports = [w.syncer.backfill_partition(p) for p in partitions(after, before, 3)]
    assert sum(r.created for r in reports) == 20
    assert all(r.complete for r in reports)
    once_each(w, 20)
