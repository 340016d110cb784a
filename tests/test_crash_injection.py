"""Crash injection: stop the executor at every action boundary, resume, compare.

For a scenario of 200+ WooCommerce orders and 40 Hike sales with refunds and status
changes in both directions, the executor is killed at *every* write, at each of the
three boundaries:

- ``before``: just before the remote write;
- ``after-write``: after the remote write, before the ledger records it;
- ``after-ledger``: right after the ledger recorded it.

After each kill a new ``Syncer`` resumes on the same SQLite ledger. The end state must
equal a run with no crash: zero duplicates, zero lost writes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core import SqliteLedger
from hikewoo_core.ports import LedgerPort

from ._world import World, make_world

BOUNDARIES = ["before", "after-write", "after-ledger"]
WRITES = {"woo": ("write_order", "write_refund"), "hike": ("write_sale", "write_sale_status")}


class Crash(BaseException):
    """The executor process is killed (not even an Exception: nothing catches it)."""


class Killer:
    """Kills the executor at the next write boundary of one kind, each time it is armed."""

    def __init__(self, world: World, boundary: str) -> None:
        self.boundary = boundary
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

    def _wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            self._maybe("before")
            result = method(*args, **kwargs)
            self._maybe("after-write")
            return result

        return write


def scenario(world: World, seed: int = 7) -> list[Callable[[], None]]:
    """Phases of edits on both sides; each phase is followed by a sync."""
    rnd = random.Random(seed)
    orders: list[int] = []
    pos: list[int] = []

    def create() -> None:
        for i in range(200):
            status = rnd.choice(["processing", "completed", "on-hold", "pending"])
            qty = 1 + i % 3
            orders.append(world.order(status, (("MUG", qty, "12.50"), ("TEA", 1, "8.00"))))
        for _ in range(40):
            world.tick()
            pays = rnd.choice([[("Cash", "25.00")], [("Cash", "10.00"), ("Card", "15.00")]])
            pos.append(world.hike.record_sale([("MUG", 2, "12.50")], pays).id)

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
        for sale_id in pos[::3]:
            world.tick(1)
            world.hike.refund_sale(sale_id, amount=Decimal("5.00"))

    def finish() -> None:
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
    world = make_world(ledger=lambda clock: SqliteLedger(path, clock=clock))
    killer = Killer(world, boundary) if boundary else None
    for phase in scenario(world):
        phase()
        world.tick()
        for _ in range(5000):  # bounded: a bug must fail the test, not hang it
            if killer is not None:
                killer.armed = True
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
            break
        else:
            pytest.fail("the sync never finished")
        if killer is not None:
            killer.armed = False
    world.tick()
    world.syncer.sync_changes()
    state = snapshot(world)
    world.ledger.close()  # type: ignore[attr-defined]
    return state, killer.kills if killer else 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    state, _ = run(tmp_path_factory.mktemp("reference"), None)
    return state


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_crash_at_every_write_boundary_ends_like_no_crash(
    boundary: str, reference: dict[str, Any], tmp_path: Path
) -> None:
    state, kills = run(tmp_path, boundary)
    assert kills >= 400, f"only {kills} crashes were injected"
    assert state["woo"] == reference["woo"]
    assert state["refund_sales"] == reference["refund_sales"]
    assert state["hike"] == reference["hike"]
    refs = [r[0] for r in state["hike"]]
    assert len(refs) == len(set(refs)), "duplicate Hike sale"
    assert len(reference["woo"]) == 240  # 200 orders + 40 from Hike sales
