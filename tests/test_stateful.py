"""A hypothesis state machine: random edits on both sides, syncs, and executor crashes.

The world is as unkind as the real one: changes within the second of the last sync
(whole-second stamps), ties in arbitrary order (the fake's default), orders created 60
days before they are synced, lay-bys paid off more than a week later, gateways answering
504 while the origin commits seconds later, and a process paused past its lease while
another takes over.

Invariants, checked after the machine settles (faults cleared, synced until quiet):
no duplicate sale or order, every refund synced exactly once, statuses agree with the
seed's table (written out here, not taken from the code under test), money reconciles,
and planning again yields nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hikewoo_core import HikeStatus, OutcomeUnknownError, SqliteLedger, Syncer, SyncSettings
from hikewoo_core.hike import FulfilmentStatus, HikePayment, PaymentStatus

from ._oracle import check_end_state
from ._world import World, make_world


class SimulatedCrash(BaseException):
    """The executor process dying mid-write (a BaseException: nothing catches it)."""


WOO_WRITES = ["write_order", "write_refund"]
HIKE_WRITES = ["write_sale", "write_sale_status"]
CREATES = {"woo": ["write_order", "write_refund"], "hike": ["write_sale"]}

F, P = FulfilmentStatus, PaymentStatus
#: The seed's table (DESIGN 1.1), written out: the oracle is not the table under test.
SEED_TABLE = {
    "completed": (F.COMPLETED, P.PAID),
    "cancelled": (F.VOIDED, P.VOIDED),
    "processing": (F.PARKED, P.PENDING),
    "on-hold": (F.PARKED, P.PENDING),
    "refunded": (F.REFUNDED, P.REFUNDED),
}
#: The sync started 90 days before the machine's clock: orders 60 days old sync.
SYNC_FROM_DAYS = 90


class TwoWaySync(RuleBasedStateMachine):
    world: World

    @initialize(sqlite=st.booleans())
    def start(self, sqlite: bool) -> None:
        from hikewoo_core.testing import DEFAULT_START

        settings = SyncSettings(sync_from=DEFAULT_START - timedelta(days=SYNC_FROM_DAYS))
        if sqlite:
            import tempfile

            self._tmp = tempfile.TemporaryDirectory()
            path = f"{self._tmp.name}/ledger.db"
            self.world = make_world(settings, ledger=lambda clock: SqliteLedger(path, clock=clock))
        else:
            self.world = make_world(settings)
        self.orders: list[int] = []
        self.pos_sales: list[int] = []
        self.laybys: list[int] = []

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.check_settled()  # every run ends settled, checked against the oracle
        close = getattr(self.world.ledger, "close", None)
        if close is not None:
            close()
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()

    # -- WooCommerce side --------------------------------------------------------

    @rule(status=st.sampled_from(["processing", "completed", "on-hold"]),
          qty=st.integers(1, 3), days=st.sampled_from([0, 0, 60]),
          tick=st.sampled_from([2, 0]))  # fmt: skip
    def new_order(self, status: str, qty: int, days: int, tick: int) -> None:
        lines = (("MUG", qty, "12.50"), ("TEA", 1, "8.00"))
        age = timedelta(days=days) if days else None
        self.orders.append(self.world.order(status, lines, age=age, tick=tick))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.orders))
        if self.world.woo.read_order(oid).status in ("processing", "on-hold"):
            self.world.tick()
            self.world.woo.set_status(oid, "completed")

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.orders))
        if self.world.woo.read_order(oid).status in ("processing", "on-hold"):
            self.world.tick()
            self.world.woo.set_status(oid, "cancelled")

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), cents=st.integers(1, 900))
    def partial_refund(self, data: st.DataObject, cents: int) -> None:
        oid = data.draw(st.sampled_from(self.orders))
        order = self.world.woo.read_order(oid)
        amount = Decimal(cents) / 100
        if order.status == "completed" and order.total - order.total_refunded > amount:
            self.world.tick()
            self.world.woo.add_refund(oid, {"amount": str(amount), "api_refund": False})

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def set_refunded(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.orders))
        if self.world.woo.read_order(oid).status == "completed":
            self.world.tick()
            self.world.woo.set_status(oid, "refunded")

    # -- Hike side -------------------------------------------------------------------

    @rule(split=st.booleans())
    def pos_sale(self, split: bool) -> None:
        self.world.tick()
        payments = [("Cash", "10.00"), ("Card", "15.00")] if split else [("Card", "25.00")]
        self.pos_sales.append(self.world.hike.record_sale([("MUG", 2, "12.50")], payments).id)

    @rule()
    def layby(self) -> None:
        self.world.tick()
        sale = self.world.hike.record_sale(
            [("MUG", 2, "12.50")], [("Cash", "5.00")], status=F.LAYBY
        )
        self.laybys.append(sale.id)

    @precondition(lambda self: self.laybys)
    @rule(data=st.data(), days=st.sampled_from([1, 10]))
    def pay_off_layby(self, data: st.DataObject, days: int) -> None:
        """Paid off days later: Hike lists sales by transaction date, so a week-old
        lay-by is outside every window of recent changes."""
        sale_id = data.draw(st.sampled_from(self.laybys))
        self.laybys.remove(sale_id)
        self.world.tick(days * 86_400)
        paid = (HikePayment(payment_type_name="Cash", amount=Decimal("25.00")),)
        self.world.hike.write_sale_status(sale_id, HikeStatus(F.COMPLETED, P.PAID), paid)
        self.pos_sales.append(sale_id)

    @precondition(lambda self: self.pos_sales)
    @rule(data=st.data())
    def pos_refund(self, data: st.DataObject) -> None:
        sale_id = data.draw(st.sampled_from(self.pos_sales))
        refunded = sum(-s.total for s in self.world.hike.sales() if s.refund_of == sale_id)
        if refunded + Decimal("5.00") <= Decimal("25.00"):
            self.world.tick()
            self.world.hike.refund_sale(sale_id, amount=Decimal("5.00"))

    # -- the sync, with crashes ---------------------------------------------------------

    @rule()
    def sync(self) -> None:
        self.world.tick()
        self.world.syncer.sync_changes()

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), status=st.sampled_from(["completed", "cancelled"]))
    def sync_then_change_in_the_same_second(self, data: st.DataObject, status: str) -> None:
        """The order changes within the second the sync read it: the same stamp."""
        self.world.tick()
        self.world.syncer.sync_changes()
        oid = data.draw(st.sampled_from(self.orders))
        if self.world.woo.read_order(oid).status in ("processing", "on-hold"):
            self.world.woo.set_status(oid, status)

    @rule(side=st.sampled_from(["woo", "hike"]), data=st.data(),
          seconds=st.floats(0.2, 2.0))  # fmt: skip
    def sync_through_a_gateway_504(self, side: str, data: st.DataObject, seconds: float) -> None:
        """The gateway answers 504 at once; the origin commits ``seconds`` later."""
        fake = self.world.woo if side == "woo" else self.world.hike
        method = data.draw(st.sampled_from(CREATES[side]))
        fake.fail_next(method, OutcomeUnknownError("HTTP 504", attempts=1), commit_after=seconds)
        self.world.tick()
        try:
            self.world.syncer.sync_changes()
        finally:
            fake.clear_faults()

    @rule(side=st.sampled_from(["woo", "hike"]), data=st.data())
    def paused_past_the_lease_while_another_takes_over(
        self, side: str, data: st.DataObject
    ) -> None:
        """A write lands, but its answer comes back after the lease: meanwhile a second
        process takes the pair over; the first then finds itself fenced out."""
        w = self.world
        fake = w.woo if side == "woo" else w.hike
        method = data.draw(st.sampled_from(CREATES[side]))
        original = getattr(fake, method)
        state = {"paused": False}

        def slow(*args: object, **kwargs: object) -> object:
            result = original(*args, **kwargs)
            if not state["paused"]:
                state["paused"] = True
                setattr(fake, method, original)
                w.tick(w.syncer.settings.lease_seconds + 1)
                other = Syncer(
                    woo=w.woo, hike=w.hike, ledger=w.ledger, clock=w.clock,
                    settings=w.syncer.settings, sleep=w.clock.advance,
                )  # fmt: skip
                other.sync_changes()
            return result

        setattr(fake, method, slow)
        w.tick()
        try:
            w.syncer.sync_changes()  # the first process: fenced out, reported, not raised
        finally:
            setattr(fake, method, original)

    @rule(side=st.sampled_from(["woo", "hike"]), data=st.data(), after=st.booleans())
    def sync_and_crash(self, side: str, data: st.DataObject, after: bool) -> None:
        fake = self.world.woo if side == "woo" else self.world.hike
        method = data.draw(st.sampled_from(WOO_WRITES if side == "woo" else HIKE_WRITES))
        fake.fail_next(method, SimulatedCrash(method), after_write=after)
        self.world.tick()
        try:
            self.world.syncer.sync_changes()
        except SimulatedCrash:
            self.world.resync()  # a new process, same ledger
        finally:
            fake.clear_faults()

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def no_duplicates(self) -> None:
        if not hasattr(self, "world"):
            return
        refs = Counter(
            s.external_reference for s in self.world.hike.sales() if s.external_reference
        )
        assert all(n == 1 for n in refs.values()), refs
        origins = Counter(o.meta("_hike_sale_id") for o in self.world.woo.orders())
        origins.pop(None, None)
        assert all(n == 1 for n in origins.values()), origins
        woo_refund_origins = Counter(
            r.meta("_hike_refund_sale_id")
            for o in self.world.woo.orders()
            for r in self.world.woo.refunds(o.id)
        )
        woo_refund_origins.pop(None, None)
        assert all(n == 1 for n in woo_refund_origins.values()), woo_refund_origins

    def settle(self) -> None:
        for _ in range(3):
            self.world.tick()
            self.world.resync().sync_changes()

    def check_settled(self) -> None:
        w = self.world
        self.settle()
        assert w.syncer.sync_changes().plan.is_empty
        check_end_state(w.woo, w.hike)
        sales = w.hike.sales()
        by_ref = {s.external_reference: s for s in sales if s.external_reference}
        for oid in self.orders:
            order = w.woo.read_order(oid)
            sale = by_ref.get(f"woo:{oid}")
            assert sale is not None, f"order {oid} never reached Hike"
            expected = SEED_TABLE[str(order.status)]
            assert (sale.fulfilment_status, sale.payment_status) == expected, (oid, order.status)
            refund_sales = [s for s in sales if s.refund_of == sale.id]
            if order.status == "refunded":
                ids = {r.id for r in w.woo.refunds(oid)}
                assert {f"woo-refund:{i}" for i in ids} == {
                    s.external_reference for s in refund_sales
                }
                assert -sum(s.total for s in refund_sales) == order.total_refunded == order.total
            else:
                assert refund_sales == []
        for sale_id in self.laybys:  # never paid off: never an order
            assert not [o for o in w.woo.orders() if o.meta("_hike_sale_id") == str(sale_id)]
        for sale_id in self.pos_sales:
            sale = w.hike.sale(sale_id)
            [order] = [o for o in w.woo.orders() if o.meta("_hike_sale_id") == str(sale_id)]
            assert order.total == sale.total
            hike_refunded = -sum(s.total for s in sales if s.refund_of == sale_id)
            assert order.total_refunded == hike_refunded
            fully = hike_refunded == sale.total
            expected_status = FulfilmentStatus.REFUNDED if fully else FulfilmentStatus.COMPLETED
            assert sale.fulfilment_status is expected_status
            assert order.status == ("refunded" if fully else "completed")

    @rule()
    def settle_and_check(self) -> None:
        self.check_settled()


#: Steps per run: the hypothesis profile sets how many runs (ci: 60, explore: 300, nightly:
#: 10,000); the longer profiles also take longer runs.
STEPS = {"ci": 30}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 60)
TwoWaySync.TestCase.settings = settings(settings.default, stateful_step_count=STEPS, deadline=None)
test_two_way_sync_state_machine = TwoWaySync.TestCase


@pytest.mark.slow
def test_two_way_sync_state_machine_at_length() -> None:
    """``--run-slow``: fresh random runs, longer (300 runs of 60 steps, not derandomized)."""
    run_state_machine_as_test(
        TwoWaySync,
        settings=settings(
            max_examples=300,
            stateful_step_count=60,
            deadline=None,
            derandomize=False,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
