"""A hypothesis state machine: random edits on both sides, syncs, and executor crashes.

Invariants, checked after the machine settles (faults cleared, synced until quiet):
no duplicate sale or order, every refund synced exactly once, statuses agree with the
table, money reconciles, and planning again yields nothing.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hikewoo_core import DEFAULT_STATUS_TABLE, SqliteLedger
from hikewoo_core.hike import FulfilmentStatus

from ._world import World, make_world


class SimulatedCrash(RuntimeError):
    """The executor process dying mid-write (not a library error: nothing catches it)."""


WOO_WRITES = ["write_order", "write_refund"]
HIKE_WRITES = ["write_sale", "write_sale_status"]


class TwoWaySync(RuleBasedStateMachine):
    world: World

    @initialize(sqlite=st.booleans())
    def start(self, sqlite: bool) -> None:
        if sqlite:
            import tempfile

            self._tmp = tempfile.TemporaryDirectory()
            path = f"{self._tmp.name}/ledger.db"
            self.world = make_world(ledger=lambda clock: SqliteLedger(path, clock=clock))
        else:
            self.world = make_world()
        self.orders: list[int] = []
        self.pos_sales: list[int] = []

    def teardown(self) -> None:
        close = getattr(self.world.ledger, "close", None)
        if close is not None:
            close()
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()

    # -- WooCommerce side --------------------------------------------------------

    @rule(status=st.sampled_from(["processing", "completed", "on-hold"]),
          qty=st.integers(1, 3))  # fmt: skip
    def new_order(self, status: str, qty: int) -> None:
        self.orders.append(self.world.order(status, (("MUG", qty, "12.50"), ("TEA", 1, "8.00"))))

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
        sales = w.hike.sales()
        by_ref = {s.external_reference: s for s in sales if s.external_reference}
        for oid in self.orders:
            order = w.woo.read_order(oid)
            sale = by_ref.get(f"woo:{oid}")
            assert sale is not None, f"order {oid} never reached Hike"
            expected = DEFAULT_STATUS_TABLE.to_hike(order.status)
            assert expected is not None
            assert (sale.fulfilment_status, sale.payment_status) == (
                expected.fulfilment,
                expected.payment,
            ), (oid, order.status)
            refund_sales = [s for s in sales if s.refund_of == sale.id]
            if order.status == "refunded":
                ids = {r.id for r in w.woo.refunds(oid)}
                assert {f"woo-refund:{i}" for i in ids} == {
                    s.external_reference for s in refund_sales
                }
                assert -sum(s.total for s in refund_sales) == order.total_refunded == order.total
            else:
                assert refund_sales == []
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


TwoWaySync.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_two_way_sync_state_machine = TwoWaySync.TestCase
