"""What syncing one new order costs the ledger: the writes and reads a backfill pays for
every order (issue 13: after concurrency, CPU per order is the limit)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hikewoo_core import MemoryLedger
from hikewoo_core._planner import woo_fingerprint

from ._world import make_world


class Counting(MemoryLedger):
    """A MemoryLedger that counts the calls of its methods."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.count: Counter[str] = Counter()

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if not name.startswith("_") and callable(value) and name != "count":
            super().__getattribute__("count")[name] += 1
        return value


def test_a_new_order_costs_one_link_write_and_two_link_reads() -> None:
    ledger: Counting | None = None

    def build(clock: Any) -> Counting:
        nonlocal ledger
        ledger = Counting(clock=clock)
        return ledger

    w = make_world(ledger=build)
    oid = w.order("completed")
    assert ledger is not None
    ledger.count.clear()
    report = w.syncer.sync_woo_order(oid)
    assert len(report.applied) == 1
    link = w.ledger.link_for_woo(oid)
    assert link is not None
    order = w.woo.read_order(oid)
    # The create's own link marks the order seen: no second write, no read to compare.
    assert (link.woo_fingerprint, link.woo_modified_gmt) == (
        woo_fingerprint(order),
        order.date_modified_gmt,
    )
    assert ledger.count["save_link"] == 0
    assert ledger.count["complete_intent"] == 1
    assert ledger.count["link_for_woo"] == 2 + 1  # planning, after the lease; and above
    # The lease taken moments before the create is not renewed again before it: one
    # ledger write less per order (a write transaction on SQLite, a round trip on
    # PostgreSQL). The begin_intent's fence still refuses a holder taken over.
    assert ledger.count["acquire_lease"] == 1
    assert ledger.count["renew_lease"] == 0


def test_a_new_refunded_order_is_marked_seen_after_its_refund_sales() -> None:
    w = make_world()
    oid = w.order("completed")
    w.tick()
    w.woo.add_refund(oid, {"amount": "33.00", "api_refund": False})  # -> refunded
    order = w.woo.read_order(oid)
    assert str(order.status) == "refunded"
    report = w.syncer.sync_woo_order(oid)
    assert [type(a.action).__name__ for a in report.applied] == [
        "CreateHikeSale",
        "CreateHikeRefundSale",
    ]
    link = w.ledger.link_for_woo(oid)
    assert link is not None
    assert link.woo_fingerprint == woo_fingerprint(order)
