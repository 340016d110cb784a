"""Backfill: partitions, progress, checkpoints, and resuming after an interruption."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from hikewoo_core import ConfigurationError, Partition, Progress, SqliteLedger, partitions

from ._world import World, make_world

UTC = timezone.utc


class Crash(BaseException):
    """The worker dies (a BaseException: a run catches every Exception of one order)."""


def die_at_write(w: World, n: int) -> Callable[[], None]:
    """Make Hike's ``n``-th sale write (counted across threads) kill the worker; returns
    what puts the real ``write_sale`` back."""
    original = w.hike.write_sale
    calls = itertools.count(1)

    def dying(draft):  # type: ignore[no-untyped-def]
        if next(calls) == n:  # atomic: threads each get their own number
            raise Crash("worker killed")
        return original(draft)

    w.hike.write_sale = dying  # type: ignore[method-assign]

    def revive() -> None:
        w.hike.write_sale = original  # type: ignore[method-assign]

    return revive


def history(w: World, n: int) -> tuple[datetime, datetime]:
    """``n`` completed orders created over the past days, before the sync started."""
    now = w.clock.now()
    start = now - timedelta(days=10)
    for i in range(n):
        w.clock.set(start + timedelta(hours=i))
        w.order("completed", (("MUG", 1 + i % 3, "12.50"),))
    w.clock.set(now + timedelta(minutes=5))
    return start - timedelta(hours=1), now


def test_partitions_cover_the_range_without_gaps_or_overlap() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    before = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    parts = partitions(after, before, 7)
    assert parts[0].after == after
    assert parts[-1].before == before
    for a, b in itertools.pairwise(parts):
        assert a.before == b.after
    assert [p.index for p in parts] == list(range(7))
    assert len({p.name for p in parts}) == 7


def test_partition_arguments_are_checked() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ConfigurationError):
        partitions(after, after, 2)
    with pytest.raises(ConfigurationError):
        partitions(after, after + timedelta(days=1), 0)
    with pytest.raises(ConfigurationError):
        Partition(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_backfill_syncs_every_order_once_with_progress() -> None:
    w = make_world()
    after, before = history(w, 30)
    seen: list[Progress] = []
    report = w.syncer.backfill(after, before, progress=seen.append, total=30, checkpoint_every=7)
    assert report.complete
    assert (report.done, report.created, report.failed) == (30, 30, 0)
    assert len(w.hike.sales()) == 30
    assert [p.done for p in seen] == list(range(1, 31))
    assert seen[-1].total == 30
    assert seen[-1].eta == 0 or seen[-1].eta is None
    assert report.stock_impact.units == {"MUG": 60}
    assert "30 order(s) read" in report.explain()
    again = w.syncer.backfill(after, before)
    assert again.complete
    assert again.created == 0
    assert len(w.hike.sales()) == 30


def test_dry_run_backfill_previews_stock_and_writes_nothing() -> None:
    w = make_world()
    after, before = history(w, 12)
    report = w.syncer.backfill(after, before, dry_run=True)
    assert report.created == 12
    assert w.hike.sales() == []
    assert report.stock_impact.units == {"MUG": 24}
    assert w.ledger.get_checkpoint(Partition(after, before).name) is None


@pytest.mark.parametrize("crash_at", [1, 9, 10, 23])
def test_interrupted_backfill_resumes_without_redoing_or_skipping(
    crash_at: int, tmp_path: object
) -> None:
    w = make_world(ledger=lambda clock: SqliteLedger(f"{tmp_path}/ledger.db", clock=clock))
    after, before = history(w, 25)
    # Let crash_at - 1 sales succeed, then die on the next write.
    revive = die_at_write(w, crash_at)
    with pytest.raises(Crash):
        w.syncer.backfill(after, before, concurrency=1, checkpoint_every=5)
    revive()
    assert len(w.hike.sales()) == crash_at - 1

    syncer = w.resync()
    planned: list[int] = []
    process = syncer.process_order

    def spy(order, **kw):  # type: ignore[no-untyped-def]
        planned.append(order.id)
        return process(order, **kw)

    syncer.process_order = spy  # type: ignore[method-assign]
    report = syncer.backfill(after, before, concurrency=1, checkpoint_every=5)
    assert report.complete
    assert report.resumed_from == (crash_at - 1) // 5 * 5
    refs = Counter(s.external_reference for s in w.hike.sales())
    assert len(refs) == 25
    assert set(refs.values()) == {1}
    # Orders before the checkpoint were not planned again; none was skipped.
    assert len(planned) == 25 - report.resumed_from
    assert len(set(planned)) == len(planned)


def test_an_order_modified_during_the_backfill_is_read_again_by_its_next_pass() -> None:
    w = make_world()
    after, before = history(w, 6)
    ids = sorted(o.id for o in w.woo.orders())
    first, last = ids[0], ids[-1]

    def on_progress(p: Progress) -> None:
        if p.done == 3:  # while the backfill runs, a processed order is refunded, and
            w.tick()  # one not processed yet is completed: both leave their place
            w.woo.set_status(first, "refunded")
            w.woo.add_meta(last, "note", "changed while the backfill ran")

    report = w.syncer.backfill(after, before, progress=on_progress)
    assert report.complete
    assert report.done == 8  # six orders (one page), the two changed ones again
    sale = next(s for s in w.hike.sales() if s.external_reference == f"woo:{first}")
    assert sale.fulfilment_status.value == "Refunded"
    assert len([s for s in w.hike.sales() if s.refund_of == sale.id]) == 1
    assert {s.external_reference for s in w.hike.sales() if s.refund_of is None} == {
        f"woo:{i}" for i in ids
    }
    w.tick()
    assert w.syncer.sync_changes().plan.is_empty


def test_partitions_run_in_parallel_threads_on_one_sqlite_ledger(tmp_path: object) -> None:
    from concurrent.futures import ThreadPoolExecutor

    w = make_world(ledger=lambda clock: SqliteLedger(f"{tmp_path}/ledger.db", clock=clock))
    after, before = history(w, 40)
    parts = partitions(after, before, 4)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(w.syncer.backfill_partition, parts))
    assert sum(r.done for r in reports) == 40
    assert sum(r.created for r in reports) == 40
    assert len({s.external_reference for s in w.hike.sales()}) == 40


def test_calendar_partitions_follow_the_calendar_not_a_fixed_length() -> None:
    from dateutil.relativedelta import relativedelta

    after = datetime(2026, 1, 31, 6, tzinfo=UTC)
    before = datetime(2026, 5, 1, tzinfo=UTC)
    months = partitions(after, before, every=relativedelta(months=1))
    assert [(p.after.date().isoformat(), p.before.date().isoformat()) for p in months] == [
        ("2026-01-31", "2026-02-28"),  # February has no 31st
        ("2026-02-28", "2026-03-31"),  # counted from the start: back to the 31st
        ("2026-03-31", "2026-04-30"),
        ("2026-04-30", "2026-05-01"),
    ]
    assert [(p.index, p.count) for p in months] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert len({p.name for p in months}) == 4
    days = partitions(after, after + timedelta(days=3), every=timedelta(days=1))
    assert len(days) == 3
    for bad in (relativedelta(months=-1), timedelta(0)):
        with pytest.raises(ConfigurationError, match="forward"):
            partitions(after, before, every=bad)
    with pytest.raises(ConfigurationError, match="either n"):
        partitions(after, before, 2, every=timedelta(days=1))
    with pytest.raises(ConfigurationError, match="more than"):
        partitions(after, after + timedelta(days=400), every=timedelta(seconds=1))
