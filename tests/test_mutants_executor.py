"""The executor's recovery paths: the holes mutation testing found (see docs/testing.md).

Rules (DESIGN 3 and the executor's docstring): every write is idempotent; a write an
earlier attempt may have made is looked up by the origin it carries before it is sent
again, found records are adopted (the earliest one) and brought to the state wanted now,
and only a recent attempt's write is waited for; a status update made before is made
again only when the pair has moved since. The crash and fault suites exercise these paths
at random; these tests pin each one down, fast, with the public fakes.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

from hikewoo_core import LeaseError, MemoryLedger, OutcomeUnknownError, SyncSettings
from hikewoo_core._executor import Applied, Executor
from hikewoo_core._leases import LeaseKeeper
from hikewoo_core._mapping import HikeStatus
from hikewoo_core._plan import (
    CreateHikeRefundSale,
    CreateHikeSale,
    CreateWooOrder,
    CreateWooRefund,
    RecordLink,
    UpdateHikeSale,
    UpdateWooOrder,
    Write,
)
from hikewoo_core._ports import Fence, Intent, IntentState, Link, Origin, RefundLink
from hikewoo_core._retry import SettlePolicy
from hikewoo_core.hike._models import FulfilmentStatus as F
from hikewoo_core.hike._models import HikeSale
from hikewoo_core.hike._models import PaymentStatus as P
from hikewoo_core.testing import FakeClock

from ._world import World, make_world

W = TypeVar("W", bound=Write)
SETTLE = SettlePolicy((1.0, 2.0))
DAY = timedelta(days=1)
LEASE = 300.0


class Recorder:
    """A ``sleep`` that moves the fake clock and remembers each wait."""

    def __init__(self, w: World) -> None:
        self.w, self.waits = w, []  # type: ignore[var-annotated]

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.w.clock.advance(seconds)


def executor(w: World, sleep: Any = None) -> Executor:
    return Executor(
        w.woo,
        w.hike,
        w.ledger,
        w.clock,
        settle=SETTLE,
        sleep=sleep or Recorder(w),
        lease_seconds=LEASE,
    )


def only(writes: tuple[Write, ...], kind: type[W]) -> W:
    [write] = [w for w in writes if isinstance(w, kind)]
    return write


def left_pending(w: World, write: Write, *, ago: float | None = 86_400, **payload: Any) -> None:
    """An earlier attempt began ``write`` ``ago`` seconds ago and died unrecorded."""
    when = w.clock.now() - timedelta(seconds=ago or 0)
    fields: dict[str, Any] = {"attempt": "dead", "subject": write.subject}
    if ago is not None:
        fields["attempted_at"] = when.isoformat()
    if isinstance(write, (CreateHikeSale, CreateHikeRefundSale)):
        assert write.draft.transaction_date is not None
        fields["around"] = write.draft.transaction_date.isoformat()
    fields.update(payload)
    intent = Intent(key=write.key, kind=type(write).__name__, payload=fields, created_at=when)
    w.ledger.begin_intent(intent)


# -- adopting what a dead attempt created ---------------------------------------------------------


def test_rule_3_a_sale_left_by_a_dead_attempt_is_adopted_and_brought_to_the_status_wanted() -> None:
    """DESIGN 3 (idempotent writes): the dead attempt created the sale parked; the order was
    completed since. The sale is adopted, not created again, and completed with its payment;
    the ledger records the sale as it is now."""
    w = make_world()
    oid = w.order("processing")
    first = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, first)
    created = w.hike.write_sale(first.draft)  # the dead attempt's write
    w.tick()
    w.woo.set_status(oid, "completed")
    now = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    assert now.key == first.key
    sleep = Recorder(w)
    applied = executor(w, sleep).apply(now)
    assert applied == Applied(now, created.id, recovered=True)
    assert sleep.waits == []  # the attempt is a day old: looked up at once
    [sale] = w.hike.sales()
    assert (sale.id, sale.fulfilment_status, sale.payment_status) == (
        created.id,
        F.COMPLETED,
        P.PAID,
    )
    assert sale.payments[0].amount == Decimal("33.00")
    assert w.ledger.link_for_woo(oid) == Link(
        woo_order_id=oid,
        hike_sale_id=created.id,
        origin=Origin.WOO,
        woo_status="completed",
        hike_fulfilment=F.COMPLETED,
        hike_payment=P.PAID,
        hike_modified_at=sale.modified_at,
        woo_modified_gmt=now.woo_modified_gmt,  # the create is the plan's only write:
        woo_fingerprint=now.seen,  # its link marks the order seen as read
    )
    assert now.seen is not None


def test_rule_3_an_adopted_sale_already_in_the_wanted_status_is_not_written_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DESIGN 3: adopting a sale that is as wanted writes nothing more; the recovery is
    logged for the operator."""
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.sync")
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, write)
    created = w.hike.write_sale(write.draft)
    calls = Counter(name for name, _ in w.hike.calls)
    assert executor(w).apply(write) == Applied(write, created.id, recovered=True)
    new_calls = Counter(name for name, _ in w.hike.calls) - calls
    assert new_calls == Counter({"find_sales_by_reference": 1})
    assert (logging.INFO, f"recovered {write.key}: the earlier write had happened") in [
        (r.levelno, r.getMessage()) for r in caplog.records
    ]


def test_rule_3_of_two_sales_left_by_dead_attempts_the_earliest_is_adopted() -> None:
    """DESIGN 3: when dead attempts left duplicates, the earliest is adopted, whatever
    order the port lists them in."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, write)
    first, second = w.hike.write_sale(write.draft), w.hike.write_sale(write.draft)
    find = w.hike.find_sales_by_reference
    w.hike.find_sales_by_reference = lambda ref, **kw: find(ref, **kw)[::-1]  # type: ignore[method-assign]
    assert executor(w).apply(write) == Applied(write, first.id, recovered=True)
    assert second.id > first.id
    assert w.ledger.link_for_woo(oid).hike_sale_id == first.id  # type: ignore[union-attr]


def refunded_world() -> tuple[World, int, CreateHikeRefundSale]:
    w = make_world()
    oid = w.order("completed")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.write_refund(oid, {"amount": "10.00", "api_refund": False})
    w.tick()
    w.woo.set_status(oid, "refunded")  # WooCommerce refunds the remaining 23.00
    plan = w.syncer.plan_woo_order(oid)
    for write in plan.writes:  # the status update goes through
        if not isinstance(write, CreateHikeRefundSale):
            executor(w).apply(write)
    first = next(write for write in plan.writes if isinstance(write, CreateHikeRefundSale))
    assert first.amount == Decimal("10.00")
    return w, oid, first


def test_rule_1_4_a_refund_sale_created_by_a_dead_attempt_is_adopted_once() -> None:
    """Rule 1.4 (each refund exactly once) and DESIGN 3: the refund sale is found by its
    reference and recorded as the refund's, with the order, refund and amount."""
    w, oid, write = refunded_world()
    left_pending(w, write)
    original = w.ledger.link_for_woo(oid).hike_sale_id  # type: ignore[union-attr]
    created = w.hike.write_sale(attrs.evolve(write.draft, refund_of=original))
    find = w.hike.find_sales_by_reference
    w.hike.find_sales_by_reference = lambda ref, **kw: find(ref, **kw)[::-1]  # type: ignore[method-assign]
    w.hike.write_sale(attrs.evolve(write.draft, refund_of=original))  # a later duplicate
    applied = executor(w).apply(write)
    assert applied == Applied(write, created.id, recovered=True)
    assert w.ledger.refund_links(oid) == [
        RefundLink(
            woo_order_id=oid,
            woo_refund_id=write.woo_refund_id,
            hike_refund_sale_id=created.id,
            origin=Origin.WOO,
            amount=Decimal("10.00"),
        )
    ]


def test_rule_3_the_lookup_uses_the_date_kept_in_the_intent_not_the_one_the_write_has_now() -> None:
    """DESIGN 3: Hike lists sales by transaction date only, so the intent keeps the date
    the record was created with; a write planned again later with another date (an
    undated refund takes the order's modification time) still finds the old record."""
    w, oid, write = refunded_world()
    then = w.clock.now() - timedelta(days=60)
    dead = attrs.evolve(write, draft=attrs.evolve(write.draft, transaction_date=then))
    left_pending(w, dead)
    original = w.ledger.link_for_woo(oid).hike_sale_id  # type: ignore[union-attr]
    created = w.hike.write_sale(attrs.evolve(dead.draft, refund_of=original))
    assert executor(w).apply(write) == Applied(write, created.id, recovered=True)
    assert len([s for s in w.hike.sales() if s.refund_of == original]) == 1


def hike_to_woo_world() -> tuple[World, int, CreateWooOrder]:
    w = make_world(SyncSettings(woo_created_via="hike-pos"))
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    return w, sale.id, only(w.syncer.plan_hike_sale(sale.id).writes, CreateWooOrder)


def test_rule_3_an_order_created_by_a_dead_attempt_is_adopted_and_completed() -> None:
    """DESIGN 3: the dead attempt created the order at another status; it is adopted (not
    an older order carrying the same sale id, made outside the write's time) and brought
    to the status wanted; the ledger records the order as it is now."""
    w, sale_id, write = hike_to_woo_world()
    meta = [{"key": "_hike_sale_id", "value": str(sale_id)}]
    older = w.woo.add_order(
        {"status": "processing", "created_via": "hike-pos", "meta_data": meta, "line_items": []}
    )  # a copy made by hand long before: not the write's
    w.tick(3 * 86_400)
    left_pending(w, write)
    dead = w.woo.write_order({**write.body, "status": "processing"})
    w.tick(86_400)
    applied = executor(w).apply(write)
    assert applied == Applied(write, dead.id, recovered=True)
    order = w.woo.read_order(dead.id)
    assert order.status == "completed"
    assert w.woo.read_order(older).status == "processing"
    assert w.ledger.link_for_woo(dead.id) == Link(
        woo_order_id=dead.id,
        hike_sale_id=sale_id,
        origin=Origin.HIKE,
        woo_status="completed",
        hike_fulfilment=F.COMPLETED,
        hike_payment=P.PAID,
        woo_modified_gmt=order.date_modified_gmt,
        hike_modified_at=write.hike_modified_at,
    )


def test_rule_3_of_two_orders_left_by_dead_attempts_the_earliest_is_adopted_as_it_is() -> None:
    """DESIGN 3: the earliest duplicate is adopted, whatever order the port lists them in;
    an adopted order already in the wanted status is not written again."""
    w, _, write = hike_to_woo_world()
    left_pending(w, write, ago=60)
    first, _second = w.woo.write_order(write.body), w.woo.write_order(write.body)
    find = w.woo.find_orders_by_meta
    w.woo.find_orders_by_meta = lambda *a, **kw: find(*a, **kw)[::-1]  # type: ignore[method-assign]
    writes = w.woo.call_count("write_order")
    assert executor(w).apply(write) == Applied(write, first.id, recovered=True)
    assert w.woo.call_count("write_order") == writes


def test_rule_1_4_a_woocommerce_refund_created_by_a_dead_attempt_is_adopted_once() -> None:
    """Rule 1.4 and DESIGN 3: the WooCommerce refund carrying the refund sale's id is
    adopted (not another refund of the order) and recorded with the order and amount."""
    w, sale_id, create = hike_to_woo_world()
    executor(w).apply(create)
    order_id = w.ledger.link_for_hike(sale_id).woo_order_id  # type: ignore[union-attr]
    w.tick()
    refund_sale = w.hike.refund_sale(sale_id, amount="5.00")
    write = only(w.syncer.plan_hike_sale(refund_sale.id).writes, CreateWooRefund)
    w.woo.write_refund(order_id, {"amount": "1.00", "api_refund": False})  # someone else's
    left_pending(w, write)
    dead = w.woo.write_refund(order_id, write.body)
    assert executor(w).apply(write) == Applied(write, dead.id, recovered=True)
    assert w.ledger.refund_link_for_hike(refund_sale.id) == RefundLink(
        woo_order_id=order_id,
        woo_refund_id=dead.id,
        hike_refund_sale_id=refund_sale.id,
        origin=Origin.HIKE,
        amount=Decimal("5.00"),
    )
    assert len(w.woo.read_refunds(order_id)) == 2


# -- waiting for a recent attempt -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "waits"),
    [
        (10.0, [1.0, 2.0]),  # recent: its write may still land
        (LEASE, [1.0, 2.0]),  # still within the lease and the settle period
        (LEASE + SETTLE.total, []),  # past both: looked up once, at once
        (86_400.0, []),
    ],
)
def test_rule_3_only_an_attempt_whose_write_may_still_land_is_waited_for(
    ago: float, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    """DESIGN 3 (a gateway's 504 while the origin commits): an earlier attempt made within
    the lease and the settle period is waited for before writing again (and the log says
    how long), an older one is looked up once."""
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.sync")
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, write, ago=ago)
    sleep = Recorder(w)
    applied = executor(w, sleep).apply(write)
    assert sleep.waits == waits
    assert applied is not None
    assert not applied.recovered
    assert len(w.hike.sales()) == 1
    settled = (logging.INFO, f"{write.key}: not found after settling 3.00 s; writing it")
    assert (settled in [(r.levelno, r.getMessage()) for r in caplog.records]) == bool(waits)


def test_rule_3_by_default_an_attempt_may_land_for_the_settings_lease_time() -> None:
    """DESIGN 3: an executor built without ``lease_seconds`` waits for an earlier attempt
    made within the default lease time of the settings (300 s) and the settle period."""
    assert SyncSettings().lease_seconds == 300.0
    waits: list[list[float]] = []
    for ago in (300 + SETTLE.total - 0.5, 300 + SETTLE.total):
        w = make_world()
        oid = w.order("completed")
        write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
        left_pending(w, write, ago=ago)
        sleep = Recorder(w)
        Executor(w.woo, w.hike, w.ledger, w.clock, settle=SETTLE, sleep=sleep).apply(write)
        waits.append(sleep.waits)
    assert waits == [[1.0, 2.0], []]


def test_rule_3_an_attempt_time_that_is_not_a_dated_instant_falls_back_to_the_intent() -> None:
    """DESIGN 3: an intent's attempt time without a time zone is not trusted; the time the
    ledger dated the intent is (here: a day ago, so no waiting)."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    naive = (w.clock.now() - timedelta(seconds=5)).replace(tzinfo=None).isoformat()
    left_pending(w, write, attempted_at=naive)
    sleep = Recorder(w)
    executor(w, sleep).apply(write)
    assert sleep.waits == []


# -- leases ---------------------------------------------------------------------------------------


def test_rule_3_a_holder_whose_lease_was_taken_while_it_waited_writes_nothing() -> None:
    """DESIGN 3 (leases): the lease is checked again before a write is sent again: taken
    over while the executor waited for an earlier attempt, nothing is written."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    token = w.ledger.acquire_lease("pair", "me", 5)
    assert token is not None
    fence = Fence("pair", "me", token)
    left_pending(w, write, ago=10)

    def taken_over(seconds: float) -> None:
        w.clock.advance(seconds + 10)
        w.ledger.acquire_lease("pair", "other", 60)

    with pytest.raises(LeaseError):
        executor(w, taken_over).apply(write, fence)
    assert w.hike.sales() == []


def test_rule_3_a_fence_without_a_keeper_is_checked_by_the_ledger_alone() -> None:
    """DESIGN 3 (leases): a fence given without a keeper is still honoured, and a write
    sent again under it goes through."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    token = w.ledger.acquire_lease("pair", "me", 600)
    assert token is not None
    left_pending(w, write)
    applied = executor(w).apply(write, Fence("pair", "me", token))
    assert applied is not None
    assert len(w.hike.sales()) == 1


# -- status updates made again --------------------------------------------------------------------


def test_rule_1_9_a_status_update_is_replayed_only_when_the_pair_moved_since(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rule 1.9 (an order going back and forth syncs every time) and DESIGN 3 (a replay
    changes nothing): the same status change, done before, is applied again only when the
    ledger says the pair is elsewhere now; the log tells the two apart."""
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.sync")
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    ex = executor(w)

    def change(status: str) -> UpdateHikeSale:
        w.tick()
        w.woo.set_status(oid, status)
        return only(w.syncer.plan_woo_order(oid).writes, UpdateHikeSale)

    to_completed = change("completed")
    assert ex.apply(to_completed) is not None
    writes = w.hike.call_count("write_sale_status")
    assert ex.apply(to_completed) is None  # a replay: the link shows it done
    assert w.hike.call_count("write_sale_status") == writes
    assert ex.apply(change("processing")) is not None
    again = change("completed")
    assert again.key == to_completed.key
    assert ex.apply(again) is not None
    [sale] = w.hike.sales()
    assert (sale.fulfilment_status, sale.payment_status) == (F.COMPLETED, P.PAID)
    assert [(p.payment_type_name, p.amount) for p in sale.payments] == [
        ("WooCommerce", Decimal("33.00"))
    ]  # one payment, however often the status went back and forth
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.DEBUG, f"already applied: {again.key}") in logged
    assert (logging.DEBUG, f"applying {again.key} again: the pair moved since it was done") in (
        logged
    )


def test_rule_1_9_an_order_status_update_is_replayed_only_when_the_pair_moved_since() -> None:
    """Rule 1.9 and DESIGN 3, Hike → WooCommerce: the same as above for order updates."""
    w, sale_id, create = hike_to_woo_world()
    executor(w).apply(create)
    order_id = w.ledger.link_for_hike(sale_id).woo_order_id  # type: ignore[union-attr]
    ex = executor(w)

    def change(fulfilment: F, payment: P) -> UpdateWooOrder:
        w.tick()
        w.hike.write_sale_status(sale_id, HikeStatus(fulfilment, payment))
        return only(w.syncer.plan_hike_sale(sale_id).writes, UpdateWooOrder)

    to_processing = change(F.PARKED, P.PENDING)
    assert ex.apply(to_processing) is not None
    assert w.woo.read_order(order_id).status == "processing"
    writes = w.woo.call_count("write_order")
    assert ex.apply(to_processing) is None
    assert w.woo.call_count("write_order") == writes
    assert ex.apply(change(F.COMPLETED, P.PAID)) is not None
    again = change(F.PARKED, P.PENDING)
    assert again.key == to_processing.key
    assert ex.apply(again) is not None
    assert w.woo.read_order(order_id).status == "processing"


def test_rule_1_9_a_status_update_is_replayed_when_either_side_of_the_pair_moved() -> None:
    """Rule 1.9 and DESIGN 3: the link shows a status update done only when both sides are
    where it left them; one side moved (the other as it was) is enough to apply it again."""
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "completed")
    to_completed = only(w.syncer.plan_woo_order(oid).writes, UpdateHikeSale)
    ex = executor(w)
    ex.apply(to_completed)
    link = w.ledger.link_for_woo(oid)
    assert link is not None
    w.ledger.save_link(attrs.evolve(link, hike_fulfilment=F.PARKED, hike_payment=P.PENDING))
    writes = w.hike.call_count("write_sale_status")
    assert ex.apply(to_completed) is not None  # the Hike side moved, WooCommerce did not
    assert w.hike.call_count("write_sale_status") == writes + 1

    w2, sale_id, create = hike_to_woo_world()
    executor(w2).apply(create)
    w2.tick()
    w2.hike.write_sale_status(sale_id, HikeStatus(F.PARKED, P.PENDING))
    to_processing = only(w2.syncer.plan_hike_sale(sale_id).writes, UpdateWooOrder)
    ex2 = executor(w2)
    ex2.apply(to_processing)
    moved = w2.ledger.link_for_hike(sale_id)
    assert moved is not None
    w2.ledger.save_link(attrs.evolve(moved, woo_status="completed"))
    writes = w2.woo.call_count("write_order")
    assert ex2.apply(to_processing) is not None  # WooCommerce moved, Hike did not
    assert w2.woo.call_count("write_order") == writes + 1


# -- what the ledger records ----------------------------------------------------------------------


def test_rule_3_an_interrupted_write_leaves_an_intent_saying_what_it_was_and_when() -> None:
    """DESIGN 3 (the executor's docstring): before a remote write, the intent records what
    it is (kind, subject), when it was attempted and dated by the executor's own clock
    (its waits compare against that clock, whatever clock the ledger keeps), and the date
    a lookup of its record needs; once done, it records the id the write produced."""
    w = make_world(ledger=lambda clock: MemoryLedger(clock=FakeClock(clock.now() - DAY)))
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    w.hike.fail_next("write_sale", ConnectionResetError("killed before the write"))
    with pytest.raises(ConnectionResetError):
        executor(w).apply(write)
    [intent] = w.ledger.pending_intents()
    assert write.draft.transaction_date is not None
    payload = dict(intent.payload)
    assert payload.pop("attempt")
    assert (intent.key, intent.kind, intent.created_at, payload) == (
        write.key,
        "CreateHikeSale",
        w.clock.now(),
        {
            "subject": write.subject,
            "attempted_at": w.clock.now().isoformat(),
            "around": write.draft.transaction_date.isoformat(),
        },
    )
    w.tick(DAY.total_seconds())
    applied = executor(w).apply(write)
    assert applied is not None
    done = w.ledger.begin_intent(Intent(key=write.key, kind="probe", payload={}))
    assert (done.state, done.result_id) == (IntentState.DONE, w.hike.sales()[0].id)
    assert applied.result_id == done.result_id


class UndatedLedger(MemoryLedger):
    """A ledger that keeps no date for intents (``Intent.created_at`` is optional)."""

    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        return attrs.evolve(super().begin_intent(intent, fence=fence), created_at=None)


def test_rule_3_an_earlier_attempt_of_unknown_age_is_waited_for() -> None:
    """DESIGN 3: an earlier attempt with neither an attempt time nor a dated intent may
    be recent: its write may still land, so it is waited for before writing again."""
    w = make_world(ledger=lambda clock: UndatedLedger(clock=clock))
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, write, ago=None)
    sleep = Recorder(w)
    executor(w, sleep).apply(write)
    assert sleep.waits == [1.0, 2.0]


def test_rule_1_9_a_write_records_both_sides_as_it_left_them() -> None:
    """Rule 1.9 (the sync's own write is not a change to sync back) and DESIGN 3: the link
    a create or a status update records carries each side's modification stamp as the
    write left it."""
    w = make_world()
    oid = w.order("processing")
    executor(w).apply(only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale))
    [sale] = w.hike.sales()
    assert sale.modified_at is not None
    assert w.ledger.link_for_woo(oid).hike_modified_at == sale.modified_at  # type: ignore[union-attr]
    w.tick()
    w.woo.set_status(oid, "completed")
    executor(w).apply(only(w.syncer.plan_woo_order(oid).writes, UpdateHikeSale))
    [updated] = w.hike.sales()
    assert updated.modified_at != sale.modified_at
    assert w.ledger.link_for_woo(oid).hike_modified_at == updated.modified_at  # type: ignore[union-attr]

    w2, sale_id, create = hike_to_woo_world()
    executor(w2).apply(create)
    created = w2.ledger.link_for_hike(sale_id)
    assert created is not None
    order = w2.woo.read_order(created.woo_order_id)
    assert created.woo_modified_gmt == order.date_modified_gmt is not None
    w2.tick()
    w2.hike.write_sale_status(sale_id, HikeStatus(F.PARKED, P.PENDING))
    update = only(w2.syncer.plan_hike_sale(sale_id).writes, UpdateWooOrder)
    executor(w2).apply(update)
    link = w2.ledger.link_for_hike(sale_id)
    assert link is not None
    now = w2.woo.read_order(created.woo_order_id).date_modified_gmt
    assert (link.woo_modified_gmt, link.hike_modified_at) == (now, update.hike_modified_at)
    assert (now, update.hike_modified_at) != (order.date_modified_gmt, created.hike_modified_at)


# -- leases, fenced at every step -----------------------------------------------------------------


def lease(w: World, ttl: float) -> tuple[Fence, LeaseKeeper]:
    token = w.ledger.acquire_lease("pair", "me", ttl)
    assert token is not None
    return Fence("pair", "me", token), LeaseKeeper(w.ledger, "me", ttl)


def test_rule_3_a_write_renews_the_lease_before_it_starts() -> None:
    """DESIGN 3 (leases): the lease is renewed before every remote write, so a holder
    whose lease lapsed (nobody took it) keeps other executors out while it writes."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, keeper = lease(w, 5)
    w.tick(10)  # lapsed, not taken
    assert executor(w).apply(write, fence, keeper) is not None
    assert w.ledger.acquire_lease("pair", "other", 60) is None


def test_rule_3_a_write_sent_again_after_waiting_renews_the_lease_again() -> None:
    """DESIGN 3 (leases): waiting for an earlier attempt may outlast the lease; it is
    renewed again before the write is sent, keeping other executors out."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, keeper = lease(w, 2)
    left_pending(w, write, ago=10)
    sleep = Recorder(w)
    assert executor(w, sleep).apply(write, fence, keeper) is not None
    assert sleep.waits == [1.0, 2.0]  # 3 s: longer than the lease
    assert w.ledger.acquire_lease("pair", "other", 60) is None


def test_rule_3_a_holder_fenced_out_before_it_starts_writes_nothing() -> None:
    """DESIGN 3 (leases): with a fence and no keeper, the ledger refuses the intent of a
    holder whose lease was taken over, before anything is sent."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, _ = lease(w, 5)
    w.tick(10)
    assert w.ledger.acquire_lease("pair", "other", 60) is not None
    with pytest.raises(LeaseError):
        executor(w).apply(write, fence)
    assert w.hike.call_count("write_sale") == 0


def test_rule_3_a_holder_fenced_out_during_its_write_records_nothing() -> None:
    """DESIGN 3 (leases): the ledger records an outcome only while the fence holds; a
    lease taken over while the write was in flight leaves the intent pending for the new
    holder to look up."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, keeper = lease(w, 5)
    write_sale = w.hike.write_sale

    def slow_write(draft: Any) -> Any:
        sale = write_sale(draft)
        w.tick(10)
        w.ledger.acquire_lease("pair", "other", 60)
        return sale

    w.hike.write_sale = slow_write  # type: ignore[method-assign]
    with pytest.raises(LeaseError):
        executor(w).apply(write, fence, keeper)
    assert w.ledger.link_for_woo(oid) is None
    assert [i.key for i in w.ledger.pending_intents()] == [write.key]


# -- guards ---------------------------------------------------------------------------------------


def test_rule_3_a_holder_fenced_out_while_it_looked_up_records_nothing() -> None:
    """DESIGN 3 (leases): a record found by lookup (after a dead attempt, or after a
    write of unknown outcome) is recorded only while the fence holds."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, _ = lease(w, 5)
    left_pending(w, write)
    w.hike.write_sale(write.draft)  # the dead attempt's write
    find = w.hike.find_sales_by_reference

    def slow_find(external_reference: str, *, around: datetime | None = None) -> list[HikeSale]:
        w.tick(10)
        w.ledger.acquire_lease("pair", "other", 60)
        return find(external_reference, around=around)

    w.hike.find_sales_by_reference = slow_find  # type: ignore[method-assign]
    with pytest.raises(LeaseError):
        executor(w).apply(write, fence)
    assert w.ledger.link_for_woo(oid) is None

    w2 = make_world()
    oid2 = w2.order("completed")
    write2 = only(w2.syncer.plan_woo_order(oid2).writes, CreateHikeSale)
    fence2, _ = lease(w2, 2)
    w2.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1), commit_after=0)

    def taken_over(seconds: float) -> None:
        w2.tick(seconds + 10)
        w2.ledger.acquire_lease("pair", "other", 60)

    with pytest.raises(LeaseError):
        executor(w2, taken_over).apply(write2, fence2)
    assert len(w2.hike.sales()) == 1
    assert w2.ledger.link_for_woo(oid2) is None


def test_rule_3_a_holder_fenced_out_while_it_looked_up_does_not_bring_the_record_up_to_date() -> (
    None
):
    """DESIGN 3 (leases: checked before every remote write): the dead attempt's sale is
    found at an older status while the lease was taken over; the status write that would
    bring it up to date is not sent (the new holder decides it), and nothing is recorded."""
    w = make_world()
    oid = w.order("processing")
    first = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    left_pending(w, first)
    created = w.hike.write_sale(first.draft)  # the dead attempt's write, parked
    w.tick()
    w.woo.set_status(oid, "completed")
    now = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    token = w.ledger.acquire_lease("pair", "me", 5)
    assert token is not None
    keeper = LeaseKeeper(w.ledger, "me", 5, timer=lambda: w.clock.now().timestamp())
    find = w.hike.find_sales_by_reference

    def slow_find(external_reference: str, *, around: datetime | None = None) -> list[HikeSale]:
        w.tick(10)
        assert w.ledger.acquire_lease("pair", "other", 60) is not None
        return find(external_reference, around=around)

    w.hike.find_sales_by_reference = slow_find  # type: ignore[method-assign]
    with pytest.raises(LeaseError):
        executor(w).apply(now, Fence("pair", "me", token), keeper)
    assert w.hike.call_count("write_sale_status") == 0
    assert w.hike.sale(created.id).fulfilment_status == created.fulfilment_status
    assert w.ledger.link_for_woo(oid) is None


def test_rule_3_a_holder_fenced_out_while_it_looked_up_leaves_the_woo_order_as_found() -> None:
    """The same for an order the dead attempt created at another status: its status is
    not written once the lease was taken over during the lookup."""
    w, _, write = hike_to_woo_world()
    left_pending(w, write)
    dead = w.woo.write_order({**write.body, "status": "processing"})
    token = w.ledger.acquire_lease("pair", "me", 5)
    assert token is not None
    keeper = LeaseKeeper(w.ledger, "me", 5, timer=lambda: w.clock.now().timestamp())
    find = w.woo.find_orders_by_meta

    def slow_find(key: str, value: str, window: Any = None) -> Any:
        w.tick(10)
        assert w.ledger.acquire_lease("pair", "other", 60) is not None
        return find(key, value, window)

    w.woo.find_orders_by_meta = slow_find  # type: ignore[method-assign]
    writes = w.woo.call_count("write_order")
    with pytest.raises(LeaseError):
        executor(w).apply(write, Fence("pair", "me", token), keeper)
    assert w.woo.call_count("write_order") == writes
    assert w.woo.read_order(dead.id).status == "processing"


def test_rule_3_a_write_of_unknown_outcome_that_landed_is_adopted() -> None:
    """DESIGN 3 (a gateway's 504 while the origin commits): the sale shows up while the
    executor settles; it is adopted (reported as recovered), not created again."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    w.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1), commit_after=1.5)
    sleep = Recorder(w)
    applied = executor(w, sleep).apply(write)
    [sale] = w.hike.sales()
    assert applied == Applied(write, sale.id, recovered=True)
    assert sleep.waits == [1.0, 2.0]
    assert w.ledger.link_for_woo(oid).hike_sale_id == sale.id  # type: ignore[union-attr]


def test_rule_3_a_write_of_unknown_outcome_that_never_landed_is_sent_again_once() -> None:
    """DESIGN 3: a write whose outcome is unknown and whose record never shows up is sent
    again once, after settling, under a lease renewed again (the settle outlasts it)."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, keeper = lease(w, 2)
    w.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1))
    sleep = Recorder(w)
    applied = executor(w, sleep).apply(write, fence, keeper)
    [sale] = w.hike.sales()
    assert applied == Applied(write, sale.id)
    assert sleep.waits == [1.0, 2.0]
    assert w.hike.call_count("write_sale") == 2
    assert w.ledger.link_for_woo(oid).hike_sale_id == sale.id  # type: ignore[union-attr]
    assert w.ledger.acquire_lease("pair", "other", 60) is None


def test_rule_3_a_holder_fenced_out_while_it_settled_does_not_write_again() -> None:
    """DESIGN 3 (leases): a lease taken over while the executor settled a write of unknown
    outcome stops it before the write is sent again."""
    w = make_world()
    oid = w.order("completed")
    write = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    fence, _ = lease(w, 2)
    w.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1))

    def taken_over(seconds: float) -> None:
        w.tick(seconds + 10)
        w.ledger.acquire_lease("pair", "other", 60)

    with pytest.raises(LeaseError):
        executor(w, taken_over).apply(write, fence)
    assert w.hike.call_count("write_sale") == 1
    assert w.hike.sales() == []


def late_earlier_attempt() -> tuple[World, int, CreateHikeSale, CreateHikeSale]:
    """An order whose earlier attempt's sale (parked) lands 3.5 s late, then completed:
    the create wanted now, whose own write will have an unknown outcome."""
    w = make_world()
    oid = w.order("processing")
    first = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    w.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1), commit_after=3.5)
    with pytest.raises(OutcomeUnknownError):
        w.hike.write_sale(first.draft)  # the earlier attempt's write: it lands 3.5 s later
    left_pending(w, first, ago=0.5)
    w.woo.set_status(oid, "completed")
    now = only(w.syncer.plan_woo_order(oid).writes, CreateHikeSale)
    w.hike.fail_next("write_sale", OutcomeUnknownError("HTTP 504", attempts=1), commit_after=600)
    return w, oid, first, now


def test_rule_3_a_record_found_after_an_unknown_outcome_is_brought_to_the_status_wanted() -> None:
    """DESIGN 3: after a write of unknown outcome, the record found may be an earlier
    attempt's, made at an older status and landed late (no lease kept it out); it is
    adopted and brought to the status wanted now."""
    w, oid, _, now = late_earlier_attempt()
    sleep = Recorder(w)
    applied = executor(w, sleep).apply(now)
    assert sleep.waits == [1.0, 2.0, 1.0]  # not landed after settling; landed after ours
    [sale] = w.hike.sales()
    assert applied == Applied(now, sale.id, recovered=True)
    assert (sale.fulfilment_status, sale.payment_status) == (F.COMPLETED, P.PAID)
    assert w.ledger.link_for_woo(oid).hike_fulfilment == F.COMPLETED  # type: ignore[union-attr]


def test_rule_3_a_link_both_sides_agree_on_is_recorded_as_applied() -> None:
    """DESIGN 3: recording a link writes nothing remote; it is reported applied, with the
    Hike sale it links."""
    w = make_world()
    link = Link(
        woo_order_id=40, hike_sale_id=501, origin=Origin.WOO, woo_status="completed",
        hike_fulfilment=F.COMPLETED, hike_payment=P.PAID,
    )  # fmt: skip
    write = RecordLink(subject="s", reason="r", key="k", link=link)
    assert executor(w).apply(write) == Applied(write, 501)
    assert w.ledger.link_for_woo(40) == link


def test_rule_3_an_action_the_executor_does_not_know_is_refused_by_name() -> None:
    """DESIGN 3 (plans are typed actions): a write of no known kind is refused with an
    error naming it, not performed somehow."""
    w = make_world()
    with pytest.raises(TypeError, match=r"^unknown write action Write$"):
        executor(w).apply(Write(subject="s", reason="r", key="k"))


def test_rule_3_a_status_update_for_a_pair_the_ledger_does_not_know_names_the_order() -> None:
    """DESIGN 3 (plans create the link first): a status update for an order the ledger has
    no link for fails naming the order, before it writes anything (the Hike sale was
    voided, then the error raised, leaving a write the ledger cannot describe)."""
    w, sale_id, _ = hike_to_woo_world()
    before = w.hike.sale(sale_id)
    write = UpdateHikeSale(
        subject="s", reason="r", key="k", woo_order_id=404, hike_sale_id=sale_id,
        woo_status="cancelled", woo_modified_gmt=w.clock.now(),
        status=HikeStatus(F.VOIDED, P.PENDING),
    )  # fmt: skip
    with pytest.raises(LookupError, match=r"^no ledger link for WooCommerce order 404$"):
        executor(w).apply(write)
    assert w.hike.sale(sale_id) == before
    assert w.ledger.pending_intents() == []


def test_rule_3_an_order_status_update_for_an_unlinked_order_writes_and_records_nothing() -> None:
    """DESIGN 3 (plans create the link first; write-ahead intents describe real writes):
    an order status update for an order the ledger has no link for fails naming the
    order before it writes the order or leaves an intent behind."""
    w, sale_id, _ = hike_to_woo_world()
    target_id = w.woo.add_order({"status": "processing", "line_items": []})
    before = w.woo.read_order(target_id)
    write = UpdateWooOrder(
        subject="s", reason="r", key="k", woo_order_id=target_id, hike_sale_id=sale_id,
        status=HikeStatus(F.COMPLETED, P.PAID), hike_modified_at=w.clock.now(),
        body={"status": "completed"},
    )  # fmt: skip
    with pytest.raises(LookupError, match=rf"^no ledger link for WooCommerce order {target_id}$"):
        executor(w).apply(write)
    assert w.woo.read_order(target_id) == before
    assert w.ledger.pending_intents() == []


def test_rule_3_an_order_write_naming_no_channel_is_looked_up_on_every_channel() -> None:
    """DESIGN 3 (look the record up before creating it again): the lookup narrows by the
    channel only when the write names one; an order carrying the sale id under another
    channel (here: made when the setting named one) is found and adopted."""
    w = make_world(SyncSettings(woo_created_via=""))
    w.tick()
    sale = w.hike.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    write = only(w.syncer.plan_hike_sale(sale.id).writes, CreateWooOrder)
    assert write.body["created_via"] == ""
    left_pending(w, write)
    dead = w.woo.write_order({**write.body, "created_via": "hike"})
    assert executor(w).apply(write) == Applied(write, dead.id, recovered=True)


def test_a_hike_port_still_taking_two_statuses_fails_loudly_instead_of_losing_payments() -> None:
    """``write_sale_status(sale_id, status, payments=...)``: payments go by keyword, so a
    port written for the old ``(sale_id, fulfilment, payment, payments=None)`` gets a
    TypeError, not the payments in place of its payment status."""
    w = make_world()
    oid = w.order("processing")
    w.syncer.sync_woo_order(oid)
    w.tick()
    w.woo.set_status(oid, "completed")
    write = only(w.syncer.plan_woo_order(oid).writes, UpdateHikeSale)
    got: list[Any] = []

    def old_port(sale_id: int, fulfilment: Any, payment: Any, payments: Any = None) -> Any:
        got.append((fulfilment, payment, payments))
        raise AssertionError("called with the new arguments in the old places")

    w.hike.write_sale_status = old_port  # type: ignore[assignment]
    with pytest.raises(TypeError, match="payment"):
        executor(w).apply(write)
    assert got == []


def test_rule_3_an_order_made_in_another_channel_is_not_adopted_as_the_writes() -> None:
    """DESIGN 3 (look before writing again): the lookup is narrowed to the channel the
    create names (``created_via``); an order carrying the same sale id made by hand in
    the admin, in the same hours, is not taken for the dead attempt's order."""
    w, sale_id, write = hike_to_woo_world()
    meta = [{"key": "_hike_sale_id", "value": str(sale_id)}]
    left_pending(w, write)
    by_hand = w.woo.add_order(
        {"status": "processing", "created_via": "admin", "meta_data": meta, "line_items": []}
    )
    w.tick(60)
    applied = executor(w).apply(write)
    assert applied is not None
    assert not applied.recovered
    assert applied.result_id != by_hand
    assert w.woo.read_order(by_hand).status == "processing"


def test_rule_3_a_holder_fenced_out_while_it_settled_an_unknown_write_does_not_update_it() -> None:
    """DESIGN 3 (leases): the record found after a write of unknown outcome, at an older
    status, is not brought up to date once the lease was taken over while settling."""
    w, _, first, now = late_earlier_attempt()
    token = w.ledger.acquire_lease("pair", "me", 5)
    assert token is not None
    keeper = LeaseKeeper(w.ledger, "me", 5, timer=lambda: w.clock.now().timestamp())
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        w.tick(seconds)
        if len(waits) == 3:  # settling after our own write: the lease is taken over
            w.tick(10)
            assert w.ledger.acquire_lease("pair", "other", 60) is not None

    with pytest.raises(LeaseError):
        executor(w, sleep).apply(now, Fence("pair", "me", token), keeper)
    assert waits == [1.0, 2.0, 1.0]
    assert w.hike.call_count("write_sale_status") == 0
    assert [s.fulfilment_status for s in w.hike.sales()] == [first.draft.fulfilment_status]
