"""Review of the concurrent backfill, leases, attempt ids, the ledger and the fakes' lock:
each test is a finding (it fails on the code under review) unless its name says sound."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from hikewoo_core import OrderWindow, Partition, PayloadError, Progress, Syncer, partitions
from hikewoo_core import _backfill_pool as pool
from hikewoo_core._backfill import RunOptions, _Run, start_run
from hikewoo_core._ledger import MemoryLedger
from hikewoo_core._ports import Intent
from hikewoo_core._translate import hike_sale_reference
from hikewoo_core._unreadable import Unreadable
from hikewoo_core.testing import FakeClock, FakeWooCommerce
from hikewoo_core.woo._models import WooOrder

from ._world import World, make_world
from .test_backfill import history

# --- helpers ---------------------------------------------------------------------------


def spread(w: World, n: int, every: timedelta) -> tuple[datetime, datetime]:
    """``n`` completed orders created ``every`` apart from ten days ago; the range
    ``[start, start + n * every)`` (so 8 equal parts of 2 orders each for n=16)."""
    now = w.clock.now()
    start = now - timedelta(days=10)
    for i in range(n):
        w.clock.set(start + every * i)
        w.order("completed", (("MUG", 1, "12.50"),), tick=0)
    w.clock.set(now + timedelta(minutes=5))
    return start, start + every * n


def synced(w: World, order_id: int) -> int:
    """How many Hike sales the order has."""
    ref = hike_sale_reference(order_id)
    return sum(s.external_reference == ref for s in w.hike.sales())


def capture_runs(monkeypatch: pytest.MonkeyPatch) -> list[_Run]:
    """The runs the pool starts (their ``stopping`` is the pool's stop event)."""
    runs: list[_Run] = []
    real = pool.start_run

    def spy(*args: Any, **kw: Any) -> _Run:
        run = real(*args, **kw)
        runs.append(run)
        return run

    monkeypatch.setattr(pool, "start_run", spy)
    return runs


def stop_event(runs: list[_Run]) -> threading.Event:
    event = getattr(runs[0].stopping, "__self__", None)
    assert isinstance(event, threading.Event)
    return event


# --- 1. the split record is read then written: two processes overwrite each other -------


def test_two_processes_starting_the_same_range_at_once_agree_on_its_split() -> None:
    """Found in review: the split was recorded in the ledger by whichever process read
    no record first, so process B (concurrency=2) could run between process A's read and
    A's write (concurrency=4): A overwrote B's split and ran other partitions. The split
    no longer depends on the concurrency, and nothing about it is stored."""
    w = make_world()
    after, before = history(w, 20)
    other = Syncer(woo=w.woo, hike=w.hike, ledger=w.ledger, clock=w.clock, sleep=w.clock.advance)
    whole = Partition(after, before)
    started: list[bool] = []
    real = pool.split

    def split_and_race(syncer: Syncer, part: Partition, concurrency: int) -> Any:
        parts = real(syncer, part, concurrency)
        if not started:
            started.append(True)
            other.backfill(after, before, concurrency=2)  # process B, all of it
        return parts

    pool.split = split_and_race  # type: ignore[assignment]
    try:
        report = w.syncer.backfill(after, before, concurrency=4)  # process A
    finally:
        pool.split = real  # type: ignore[assignment]
    assert report.complete
    assert report.created == 0  # B synced all 20: A found its partitions complete
    ledger = w.ledger
    assert isinstance(ledger, MemoryLedger)
    used = {k for k in ledger._checkpoints if k.startswith("backfill:")}
    assert used == {p.name for p in partitions(after, before, pool.PARTS)}
    assert whole.name not in used
    assert len(w.hike.sales()) == 20


# --- 2. stopping: an interrupt or a failed partition does not stop every write ----------


def test_keyboard_interrupt_writes_nothing_more_and_starts_no_pending_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the pool waits: the pending partitions are not cancelled (the pool's
    shutdown runs them all), and a partition whose orders failed before retries (and
    syncs) every one of them after the interrupt: 16 Hike sales created after Ctrl-C."""
    w = make_world()
    start, end = spread(w, 16, timedelta(minutes=30))
    after, before = start - timedelta(hours=56), end  # 8 parts of 8 h: all in the last
    parts = partitions(after, before, 8)
    assert parts[-1].after == start
    ids = sorted(o.id for o in w.woo.orders())
    # What an earlier run left: parts 0..6 begun, part 7 scanned with
    # every order failed (Hike was down), kept for retry.
    monkeypatch.setattr(pool, "PARTS", 8)
    w.ledger.set_checkpoint(
        parts[7].name, {"done": 16, "complete": False, "scanned": True, "failed": ids}
    )
    runs = capture_runs(monkeypatch)
    real_read = w.woo.read_orders
    listings_after_stop: list[datetime] = []

    def read_orders(window: OrderWindow) -> Iterator[Any]:
        stop = stop_event(runs)
        if stop.is_set():
            listings_after_stop.append(window.created_after)
        else:  # the two threads sit in a request until Ctrl-C
            assert stop.wait(5)
        return real_read(window)

    def interrupted(*args: Any, **kw: Any) -> Any:
        raise KeyboardInterrupt

    w.woo.read_orders = read_orders  # type: ignore[method-assign]
    monkeypatch.setattr(pool, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        w.syncer.backfill(after, before, concurrency=2)
    late = (len(w.hike.sales()), len(listings_after_stop))
    assert late == (0, 0), "Hike sales created, listings sent, after the interrupt"


def test_a_failing_partition_stops_a_partition_retrying_its_failed_orders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partition 0 is retrying 16 failed orders when partition 1 raises: it is asked to
    stop "at its next order", but retry_failed never asks, so it syncs all 16 first."""
    w = make_world()
    after, before = spread(w, 16, timedelta(minutes=30))  # all in part 0 of 8
    parts = partitions(after, before + timedelta(days=7), 8)
    assert parts[0].before > w.woo.orders()[-1].date_created_gmt
    ids = sorted(o.id for o in w.woo.orders())
    monkeypatch.setattr(pool, "PARTS", 8)
    w.ledger.set_checkpoint(
        parts[0].name, {"done": 16, "complete": False, "scanned": True, "failed": ids}
    )
    runs = capture_runs(monkeypatch)
    real_read_order, real_read_orders = w.woo.read_order, w.woo.read_orders

    def read_order(order_id: int) -> WooOrder:
        if order_id == ids[0]:  # the first retry is in flight when partition 1 fails
            assert stop_event(runs).wait(5)
        return real_read_order(order_id)

    def read_orders(window: OrderWindow) -> Iterator[Any]:
        if window.created_after == parts[1].after:
            raise RuntimeError("the store is down for this window")
        return real_read_orders(window)

    w.woo.read_order = read_order  # type: ignore[method-assign]
    w.woo.read_orders = read_orders  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="store is down"):
        w.syncer.backfill(after, parts[-1].before, concurrency=2)
    created = sum(synced(w, i) for i in ids)
    assert created <= 1, f"{created} orders synced after the job was told to stop"


# --- 3. a stopped run forgets an order it could not identify -----------------------------


class IdLess:
    """A WooCommerce port listing one order, while ``broken``, as an id-less unreadable."""

    def __init__(self, woo: FakeWooCommerce, bad: int) -> None:
        self._woo, self.bad, self.broken = woo, bad, True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._woo, name)

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[Any]:
        for order in self._woo.read_orders(window):
            if self.broken and isinstance(order, WooOrder) and order.id == self.bad:
                error = PayloadError([("$.id", "not an integer")], what="WooCommerce order")
                yield Unreadable(side="woo", id=None, modified=order.date_modified_gmt, error=error)
            else:
                yield order


def test_a_run_stopped_by_another_partition_still_rereads_an_id_less_order() -> None:
    """A run that met an id-less order must start its partition over next time (it can
    be met again only by reading again): the normal end of a run saves restart=True. The
    new stop path (another partition failed, Ctrl-C) saves the position past it instead,
    so the next run resumes after it, never syncs it, and reports the partition complete."""
    w = make_world()
    after, before = history(w, 6)
    ids = sorted(o.id for o in w.woo.orders())
    port = IdLess(w.woo, ids[1])
    w.syncer.woo = port
    whole = Partition(after, before)
    options = RunOptions(
        dry_run=False, update_inventory=None, progress=None, checkpoint_every=100, total=None
    )
    run = start_run(w.syncer, whole, options)
    run.stopping = lambda: run.done >= 3  # the pool's stop event, set after 3 orders
    run.go()
    assert run.unidentified  # it met the id-less order
    port.broken = False  # the store's bad order is fixed
    again = w.syncer.backfill_partition(whole)
    assert synced(w, ids[1]) == 1, f"order {ids[1]} was never synced; complete={again.complete}"


# --- 4. the progress stream leaves out the parts that do not run -------------------------


def test_the_progress_stream_counts_the_parts_already_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rerun where 7 of 8 parts are complete: the stream sums only the parts that
    report, so its last event says 2 of 16 done (ETA as if 14 were left) while the report
    says 16."""
    monkeypatch.setattr(pool, "PARTS", 8)
    w = make_world()
    after, before = spread(w, 16, timedelta(hours=12))  # 2 orders in each of 8 parts
    assert w.syncer.backfill(after, before, concurrency=2).complete
    part = partitions(after, before, 8)[3]
    w.ledger.set_checkpoint(part.name, {"done": 0, "complete": False, "scanned": False})
    seen: list[Progress] = []
    report = w.syncer.backfill(after, before, concurrency=2, progress=seen.append, total=16)
    assert report.done == 16
    assert seen, "no progress at all"
    assert seen[-1].done == report.done


# --- 5. partitions: an `after` with microseconds and a short range -----------------------


def test_a_split_range_does_not_reach_before_its_start() -> None:
    """``partitions`` cuts inner bounds to the second: with ``after`` at x.5 s and parts
    shorter than a second, the first kept part starts at x.0 s, before ``after``: an
    order created at x.0 s is synced by concurrency=8 and not by concurrency=1."""
    w = make_world()
    start = (w.clock.now() - timedelta(days=1)).replace(microsecond=0)
    w.clock.set(start)
    early = w.order("completed", (("MUG", 1, "12.50"),), tick=0)  # created at x.0 s
    w.clock.set(start + timedelta(minutes=5))
    after = start + timedelta(microseconds=500_000)
    w.syncer.backfill(after, after + timedelta(seconds=3), concurrency=8)
    assert synced(w, early) == 0, "an order created before `after` was synced"
    assert all(p.after >= after for p in partitions(after, after + timedelta(seconds=3), 32))


# --- 6. the fakes: only port calls hold the lock ---------------------------------------


def test_an_admin_change_from_another_thread_is_not_lost_in_a_port_write() -> None:
    """A test changes the store (``set_status``) from another thread (a progress callback
    runs on a worker thread now) while a port call is under way: ``set_status`` does not
    take the fake's lock, lands between the port's read and its commit, and is lost."""
    clock = FakeClock()
    armed: list[bool] = []
    admin: list[threading.Thread] = []

    def hooked() -> datetime:
        if armed:
            armed.clear()  # the port's stamp, after it read the order
            thread = threading.Thread(target=lambda: woo.set_status(order_id, "cancelled"))
            admin.append(thread)
            thread.start()
            thread.join(0.3)  # a locked fake makes it wait for the port call
        return clock()

    woo = FakeWooCommerce(clock=hooked)
    order_id = woo.add_order(
        {
            "status": "processing",
            "line_items": [{"product_id": 7, "sku": "X", "quantity": 1, "total": "5.00"}],
        }
    )
    armed.append(True)
    woo.write_order({"customer_note": "gift wrap"}, order_id)  # a port call
    admin[0].join(5)
    [order] = [o for o in woo.orders() if o.id == order_id]
    assert (order.customer_note, str(order.status)) == ("gift wrap", "cancelled")


# --- 7. checked and sound --------------------------------------------------------------


def test_sound_memory_ledger_payloads_are_copies_both_ways() -> None:
    ledger = MemoryLedger(clock=FakeClock())
    payload = {"attempt": "a-1", "subject": "order #1"}
    got = ledger.begin_intent(Intent(key="k", kind="CreateHikeSale", payload=payload))
    payload["attempt"] = "mutated"
    got.payload["subject"] = "mutated too"
    again = ledger.begin_intent(Intent(key="k", kind="CreateHikeSale", payload={"x": "y"}))
    assert again.payload == {"attempt": "a-1", "subject": "order #1"}
    ledger.reattempt_intent("k", payload)
    payload["attempt"] = "later"
    assert ledger.pending_intents()[0].payload["attempt"] == "mutated"


def test_sound_a_lone_create_marks_the_order_seen_and_a_create_with_refunds_waits() -> None:
    w = make_world()
    after, before = history(w, 2)
    ids = sorted(o.id for o in w.woo.orders())
    total = str(w.woo.read_order(ids[1]).total)
    w.woo.add_refund(ids[1], {"amount": total, "api_refund": False})  # -> refunded
    w.clock.advance(60)
    real_write = w.hike.write_sale

    def write_sale(draft: Any) -> Any:
        if draft.refund_of is not None:
            raise RuntimeError("Hike refuses refund sales today")
        return real_write(draft)

    w.hike.write_sale = write_sale  # type: ignore[method-assign]
    report = w.syncer.backfill(after, before, concurrency=1)
    assert report.failed == 1  # the refund sale failed: its order is not seen
    lone, refunded = (w.ledger.link_for_woo(i) for i in ids)
    assert lone is not None
    assert lone.woo_fingerprint is not None
    assert refunded is not None
    assert refunded.woo_fingerprint is None
