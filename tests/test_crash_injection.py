"""Crash injection: stop the executor at every action boundary, resume, compare.

For a scenario of 200+ WooCommerce orders and 40 Hike sales with refunds and status
changes in both directions, the executor is killed at *every* write, at each of the
three boundaries:

- ``before``: just before the remote write;
- ``after-write``: after the remote write, before the ledger records it;
- ``after-ledger``: right after the ledger recorded it;

and, a fourth kind, *paused* at every write: the write lands, but the executor gets its
answer only after its lease expired and a second process took the pair over (the first
is then fenced out).

After each kill a new ``Syncer`` resumes on the same SQLite ledger. The world is the real
one: a quarter of the orders were created 60 days before they sync (a lookup must find a
sale that old), some change within the second of the sync that read them, ties come in
arbitrary order, lay-bys are paid off more than a week after they were rung up, and
gateways answer 504 on some creates while the origin commits a second later. The end
state must equal a run with no crash (zero duplicates, zero lost writes) and satisfy the
seed's rules as :func:`tests._oracle.check_end_state` states them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core import HikeStatus, OutcomeUnknownError, SqliteLedger, Syncer, SyncSettings
from hikewoo_core._ports import LedgerPort
from hikewoo_core.hike import FulfilmentStatus as F
from hikewoo_core.hike import HikePayment
from hikewoo_core.hike import PaymentStatus as P
from hikewoo_core.testing import DEFAULT_START

from ._oracle import check_end_state
from ._world import World, make_world

BOUNDARIES = ["before", "after-write", "after-ledger", "paused"]
WRITES = {"woo": ("write_order", "write_refund"), "hike": ("write_sale", "write_sale_status")}


class Crash(BaseException):
    """The executor process is killed (not even an Exception: nothing catches it)."""


class Killer:
    """Kills the executor at the next write boundary of one kind, each time it is armed."""

    def __init__(self, world: World, boundary: str) -> None:
        self.world = world
        self.boundary = boundary
        self.pausing = False
        self.armed = False
        self.kills = 0
        self.grace = 0
        for side, names in WRITES.items():  # the remote systems outlive the executor
            fake = world.woo if side == "woo" else world.hike
            for name in names:
                setattr(fake, name, self._wrap(getattr(fake, name)))
        self.watch(world.ledger)

    def watch(self, ledger: LedgerPort) -> None:
        """Die right after the (new process's) ledger records an outcome."""
        complete = ledger.complete_intent

        def complete_then_die(*args: Any, **kwargs: Any) -> None:
            complete(*args, **kwargs)
            self._maybe("after-ledger")

        ledger.complete_intent = complete_then_die  # type: ignore[method-assign]

    def _maybe(self, boundary: str) -> None:
        if boundary == "after-write" and self.boundary == "paused":
            if self.armed and not self.pausing:
                self._pause()
            return
        if not self.armed or boundary != self.boundary:
            return
        if self.grace:
            # A write killed *before* it happened is redone first by the new process:
            # let that one through, so every write is killed once and then completes.
            self.grace -= 1
            return
        self.armed = False
        self.kills += 1
        self.grace = 1 if self.boundary == "before" else 0
        raise Crash(boundary)

    def _pause(self) -> None:
        """The write landed; the answer comes back after the lease expired, and meanwhile
        another process (a new Syncer on the same ledger) took the pair over."""
        w = self.world
        [resource] = w.syncer._leases._held  # the pair the paused executor works on
        self.kills += 1
        self.pausing = True
        try:
            w.tick(w.syncer.settings.lease_seconds + 1)
            other = Syncer(
                woo=w.woo, hike=w.hike, ledger=w.ledger, clock=w.clock,
                settings=w.syncer.settings, sleep=w.clock.advance,
            )  # fmt: skip
            _, side, number = resource.split(":")
            if side == "woo":
                other.sync_woo_order(int(number))
            else:
                other.sync_hike_sale(int(number))
        finally:
            self.pausing = False

    def _wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            self._maybe("before")
            result = method(*args, **kwargs)
            self._maybe("after-write")
            return result

        return write


def gateway_504s(world: World, rnd: random.Random) -> None:
    """Queue a few creates that a gateway answers 504 while the origin commits later."""
    for fake, method in ((world.hike, "write_sale"), (world.woo, "write_order")):
        for _ in range(3):
            error = OutcomeUnknownError("gateway answered HTTP 504", attempts=1)
            fake.fail_next(method, error, commit_after=rnd.choice([0.2, 1.0, 2.0]))


def scenario(world: World, seed: int = 7) -> list[Callable[[], None]]:
    """Phases of edits on both sides; each phase is followed by a sync."""
    rnd = random.Random(seed)
    orders: list[int] = []
    pos: list[int] = []
    laybys: list[int] = []

    def create() -> None:
        for i in range(200):
            status = rnd.choice(["processing", "completed", "on-hold", "pending"])
            qty = 1 + i % 3
            age = timedelta(days=60) if i % 4 == 0 else None  # old, synced only now
            tick = 0 if i % 5 == 0 else 2  # in the same second as the previous one
            lines = (("MUG", qty, "12.50"), ("TEA", 1, "8.00"))
            orders.append(world.order(status, lines, age=age, tick=tick))
        for i in range(40):
            world.tick()
            pays = rnd.choice([[("Cash", "25.00")], [("Cash", "10.00"), ("Card", "15.00")]])
            status = F.LAYBY if i % 8 == 0 else F.COMPLETED  # paid off in the last phase
            sale = world.hike.record_sale([("MUG", 2, "12.50")], pays, status=status)
            (laybys if status is F.LAYBY else pos).append(sale.id)
        gateway_504s(world, rnd)

    def change() -> None:
        for oid in orders:
            order = world.woo.read_order(oid)
            world.tick(1)
            roll = rnd.random()
            if order.status in ("processing", "on-hold", "pending") and roll < 0.6:
                world.woo.set_status(oid, "completed")
            elif order.status in ("processing", "on-hold") and roll < 0.7:
                world.woo.set_status(oid, "cancelled")
            elif order.status == "completed" and roll < 0.5:
                world.woo.add_refund(oid, {"amount": "5.00", "api_refund": False})
            if roll > 0.9 and world.woo.read_order(oid).status == "completed":
                # a second change within the same second: the same stamp
                world.woo.add_refund(oid, {"amount": "1.00", "api_refund": False})
        for sale_id in pos[::3]:
            world.tick(1)
            world.hike.refund_sale(sale_id, amount=Decimal("5.00"))
        gateway_504s(world, rnd)

    def finish() -> None:
        world.tick(8 * 86_400)  # more than the week Hike's listing looks back
        paid = (HikePayment(payment_type_name="Cash", amount=Decimal("25.00")),)
        for sale_id in laybys:
            world.hike.write_sale_status(sale_id, HikeStatus(F.COMPLETED, P.PAID), paid)
        for oid in orders:
            order = world.woo.read_order(oid)
            world.tick(1)
            if order.status == "completed" and order.refunds:
                world.woo.set_status(oid, "refunded")
        for sale_id in pos[1::3]:
            world.tick(1)
            world.hike.refund_sale(sale_id, amount=Decimal("25.00"))

    return [create, change, finish]


def snapshot(world: World) -> dict[str, Any]:
    """The observable end state, keyed by references (not by ids, which may differ)."""
    sales = world.hike.sales()
    by_id = {s.id: s for s in sales}
    hike = sorted(
        (
            s.external_reference or f"pos:{s.number}",
            s.refund_of and (by_id[s.refund_of].external_reference or by_id[s.refund_of].number),
            s.fulfilment_status.value,
            s.payment_status.value,
            str(s.total),
            tuple((p.payment_type_name, str(p.amount)) for p in s.payments),
        )
        for s in sales
        if not (s.external_reference or "").startswith("woo-refund:")
    )
    refund_sales = sorted(
        (str(by_id[s.refund_of].external_reference), str(s.total))
        for s in sales
        if (s.external_reference or "").startswith("woo-refund:")
    )
    woo = sorted(
        (
            str((o.meta("_hike_sale_id") and by_id[int(o.meta("_hike_sale_id"))].number) or o.id),
            str(o.status),
            str(o.total),
            str(o.total_refunded),
            o.payment_method_title,
            len(world.woo.refunds(o.id)),
        )
        for o in world.woo.orders()
    )
    return {"hike": hike, "refund_sales": refund_sales, "woo": woo}


def run(tmp: Path, boundary: str | None) -> tuple[dict[str, Any], int]:
    """Play the scenario; with a boundary, kill the executor at every write there."""
    path = tmp / "ledger.db"
    settings = SyncSettings(sync_from=DEFAULT_START - timedelta(days=90))
    world = make_world(settings, ledger=lambda clock: SqliteLedger(path, clock=clock))
    killer = Killer(world, boundary) if boundary else None
    for phase in scenario(world):
        phase()
        world.tick()
        for _ in range(5000):  # bounded: a bug must fail the test, not hang it
            kills = 0
            if killer is not None:
                killer.armed = True
                kills = killer.kills
            try:
                world.syncer.sync_changes()
            except Crash:
                # A new process: a new ledger connection on the same file, a new Syncer.
                world.ledger.close()  # type: ignore[attr-defined]
                world.ledger = SqliteLedger(path, clock=world.clock)
                assert killer is not None
                killer.watch(world.ledger)
                world.resync()
                world.tick(1)
                continue
            if killer is not None and killer.kills > kills:
                continue  # paused executors were fenced out: run until none is
            break
        else:
            pytest.fail("the sync never finished")
        if killer is not None:
            killer.armed = False
    world.tick()
    world.syncer.sync_changes()
    world.tick()
    assert world.syncer.sync_changes().plan.is_empty
    counts = check_end_state(world.woo, world.hike)
    assert counts["orders from Hike"] == 40, counts  # every POS sale, the lay-bys paid off
    state = snapshot(world)
    state["counts"] = dict(counts)
    writes = sum(
        fake.call_count(name)
        for side, names in WRITES.items()
        for fake in ([world.woo] if side == "woo" else [world.hike])
        for name in names
    )
    world.ledger.close()  # type: ignore[attr-defined]
    return state, killer.kills if killer else writes


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    state, writes = run(tmp_path_factory.mktemp("reference"), None)
    state["writes"] = writes
    return state


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_crash_at_every_write_boundary_ends_like_no_crash(
    boundary: str, reference: dict[str, Any], tmp_path: Path
) -> None:
    state, kills = run(tmp_path, boundary)
    # Every write of the uninterrupted run is killed once (a paused executor is fenced
    # out of the rest of its pair, and gateway 504s make some writes count twice there).
    least = 300 if boundary == "paused" else reference["writes"] * 0.9
    print(f"{boundary}: {kills} kills; the uninterrupted run made {reference['writes']} writes")
    assert kills >= least, f"only {kills} crashes were injected"
    assert state["counts"] == reference["counts"]
    assert state["woo"] == reference["woo"]
    assert state["refund_sales"] == reference["refund_sales"]
    assert state["hike"] == reference["hike"]
    refs = [r[0] for r in state["hike"]]
    assert len(refs) == len(set(refs)), "duplicate Hike sale"
    assert len(reference["woo"]) == 240  # 200 orders + 40 from Hike sales
