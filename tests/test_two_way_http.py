"""The full two-way sync with BOTH systems over loopback HTTP.

``Syncer(woo=WooClient(...), hike=HikeClient(...), ledger=SqliteLedger(tmp))`` against
``serve_woo(FakeWooCommerce())`` and ``serve_hike(FakeHike())``, running the same story
as the in-memory run (the fakes passed to the ``Syncer`` directly); both must end in
the same state. The story: a WooCommerce order goes processing -> completed -> refunded
through two partial refunds; a Hike sale paid cash + card goes to WooCommerce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from hikewoo_core import SqliteLedger, Syncer
from hikewoo_core._ledger import MemoryLedger
from hikewoo_core._ports import HikePort, LedgerPort, WooPort
from hikewoo_core.hike import FulfilmentStatus as F
from hikewoo_core.hike import HikeClient
from hikewoo_core.hike import PaymentStatus as P
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._hike_server import serve_hike
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import WooClient

from ._oracle import check_end_state

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def new_stores() -> tuple[FakeClock, FakeWooCommerce, FakeHike]:
    clock = FakeClock()
    hike = FakeHike(clock=clock)
    hike.add_product("MUG", "Mug", stock=50)
    hike.add_product("TEA", "Tea", stock=80)
    woo = FakeWooCommerce(clock=clock)
    woo.add_product("MUG", "Mug", "12.50")
    woo.add_product("TEA", "Tea", "8.00")
    return clock, woo, hike


def story(clock: FakeClock, woo: FakeWooCommerce, hike: FakeHike, syncer: Syncer) -> None:
    """Admins act on the stores; the syncer follows (through whatever ports it holds)."""
    clock.advance(2)
    oid = woo.add_order(
        {
            "status": "processing",
            "currency": "USD",
            "billing": ADA,
            "payment_method": "bacs",
            "payment_method_title": "Direct bank transfer",
            "line_items": [
                {"id": 1, "name": "Mug", "product_id": 100, "sku": "MUG", "quantity": 2,
                 "subtotal": "25.00", "total": "25.00", "price": 12.5},
                {"id": 2, "name": "Tea", "product_id": 101, "sku": "TEA", "quantity": 1,
                 "subtotal": "8.00", "total": "8.00", "price": 8.0},
            ],
        }
    )  # fmt: skip
    syncer.sync_woo_order(oid)
    clock.advance(2)
    woo.set_status(oid, "completed")
    syncer.sync_woo_order(oid)
    clock.advance(2)
    woo.add_refund(oid, {"amount": "5.00", "reason": "chipped", "api_refund": False})
    syncer.sync_woo_order(oid)  # a partial refund on a completed order does not sync
    clock.advance(2)
    woo.add_refund(oid, {"amount": "28.00", "reason": "rest", "api_refund": False})
    syncer.sync_woo_order(oid)  # the refunds reach the total: the order is refunded
    clock.advance(2)
    sale = hike.record_sale([("MUG", 2, "12.50")], [("Cash", "10.00"), ("Card", "15.00")])
    syncer.sync_hike_sale(sale.id)
    clock.advance(2)
    syncer.sync_changes()  # nothing left to do


def end_state(woo: FakeWooCommerce, hike: FakeHike, ledger: LedgerPort) -> dict[str, Any]:
    """What both runs must agree on (ids, statuses, money, payments, links)."""
    return {
        "orders": [
            (
                o.id,
                str(o.status),
                o.total,
                o.payment_method_title,
                o.meta("_hike_sale_id"),
                o.meta("_hike_payments"),
                [(r.id, r.amount) for r in woo.refunds(o.id)],
            )
            for o in woo.orders()
        ],
        "sales": [
            (
                s.id,
                s.number,
                s.fulfilment_status,
                s.payment_status,
                s.total,
                s.refund_of,
                s.external_reference,
                str(s.source),
                [(p.payment_type_name, p.amount) for p in s.payments],
                [(li.sku, li.quantity) for li in s.lines],
            )
            for s in hike.sales()
        ],
        "stock": (hike.stock("MUG"), hike.stock("TEA")),
        "links": [
            (k.woo_order_id, k.hike_sale_id, k.origin, k.woo_status, k.hike_fulfilment)
            for k in ledger.links()
        ],
        "refund_links": [
            (r.woo_refund_id, r.hike_refund_sale_id, r.amount) for r in ledger.all_refund_links()
        ],
    }


@contextmanager
def over_http(
    clock: FakeClock, woo: FakeWooCommerce, hike: FakeHike, faults: FaultPlan | None = None
) -> Iterator[tuple[WooPort, HikePort]]:
    with ExitStack() as stack:
        woo_url = stack.enter_context(serve_woo(woo, consumer_key="ck_k", consumer_secret="cs_s"))
        hike_url = stack.enter_context(
            serve_hike(hike, access_token="acc", refresh_token="ref", clock=clock, faults=faults)
        )
        woo_client = stack.enter_context(WooClient(woo_url, "ck_k", "cs_s", clock=clock))
        hike_client = stack.enter_context(
            HikeClient(
                "acc",
                refresh_token="ref",
                client_id="app",
                client_secret="secret",
                base_url=hike_url,
                clock=clock,
                sleep=lambda seconds: None,
            )
        )
        yield woo_client, hike_client


def run(
    ports: Callable[[FakeClock, FakeWooCommerce, FakeHike], Any] | None,
    ledger: Callable[[FakeClock], LedgerPort],
) -> dict[str, Any]:
    clock, woo, hike = new_stores()
    store = ledger(clock)
    if ports is None:
        story(clock, woo, hike, Syncer(woo=woo, hike=hike, ledger=store, clock=clock))
    else:
        with ports(clock, woo, hike) as (woo_port, hike_port):
            syncer = Syncer(woo=woo_port, hike=hike_port, ledger=store, clock=clock)
            story(clock, woo, hike, syncer)
    counts = check_end_state(woo, hike)  # the seed's rules, written apart from the code
    assert +counts == {"sales Refunded": 1, "refund sales": 2, "orders from Hike": 1}, counts
    return end_state(woo, hike, store)


def test_two_way_sync_over_http_ends_like_the_in_memory_run(tmp_path: Path) -> None:
    in_memory = run(None, lambda clock: MemoryLedger(clock=clock))
    over_loopback = run(over_http, lambda clock: SqliteLedger(tmp_path / "ledger.db", clock=clock))
    assert over_loopback == in_memory

    # and that state is the one the rules ask for
    sales = {s[0]: s for s in in_memory["sales"]}
    original = next(s for s in sales.values() if s[6] and s[5] is None and s[7] == "Woo")
    assert (original[2], original[3]) == (F.REFUNDED, P.REFUNDED)
    refunds = [s for s in sales.values() if s[5] == original[0]]
    assert sorted(s[4] for s in refunds) == [Decimal("-28.00"), Decimal("-5.00")]
    order, hike_order = in_memory["orders"]
    assert order[1] == "refunded"
    assert len(order[6]) == 2
    assert (hike_order[1], hike_order[3]) == ("completed", "Cash + Card")
    assert hike_order[5] == [
        {"name": "Cash", "amount": "10.00"},
        {"name": "Card", "amount": "15.00"},
    ]
    assert len(in_memory["refund_links"]) == 2


def test_hike_faults_mid_run_change_nothing(tmp_path: Path) -> None:
    """A lost create answer, a 503, a 429 and an expired token on the Hike side: the
    executor looks the sale up instead of creating it twice, and the end state holds."""
    plan = (
        FaultPlan()
        .drop(after=True, method="POST", path="sales/create_ecommerce_sale")
        .fail(503, method="GET", path="sales/get")
        .throttle(retry_after=1, method="GET", path="sales/get_all")
        .fail(401, method="GET", path="sales/get", skip=2)
        .drop(after=True, method="POST", path="sales/create_ecommerce_sale", skip=2)
    )

    @contextmanager
    def faulty(
        clock: FakeClock, woo: FakeWooCommerce, hike: FakeHike
    ) -> Iterator[tuple[WooPort, HikePort]]:
        with over_http(clock, woo, hike, plan) as ports:
            yield ports

    in_memory = run(None, lambda clock: MemoryLedger(clock=clock))
    assert run(faulty, lambda clock: SqliteLedger(tmp_path / "l.db", clock=clock)) == in_memory
    assert [(f.path, f.status, f.drop) for f in plan.fired] == [
        ("sales/create_ecommerce_sale", 500, True),  # the sale is made, the answer lost
        ("sales/get_all", 429, False),  # while looking it up by reference
        ("sales/get", 503, False),
        ("sales/get", 401, False),  # renewed once with the refresh token
        ("sales/create_ecommerce_sale", 500, True),  # a refund sale made, answer lost
    ]
    assert sum(1 for r in plan.requests if r.path == "/oauth/token") == 1
