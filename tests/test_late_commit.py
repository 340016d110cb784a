"""A gateway answers 504 while the origin commits the write later (``commit_after``).

Reverse proxies in front of WooCommerce or Hike give up on a slow origin, which goes on
and commits 0.2 to 2 s later. Over loopback: the create is answered at once without
being performed, is absent right after the answer, appears after the delay (polled
through the server, with a bounded wait), exactly once; other requests are answered
meanwhile; leaving the server's ``with`` block performs what is still pending.
Delays are kept short (0.3 s at most is waited for).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import TypeVar

import httpx
import pytest

from hikewoo_core._errors import ApiError, OutcomeUnknownError
from hikewoo_core._retry import RetryPolicy
from hikewoo_core.hike import HikeClient
from hikewoo_core.hike._models import (
    FulfilmentStatus,
    HikePayment,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
)
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce
from hikewoo_core.testing._fault_plan import FaultPlan, LateCommits
from hikewoo_core.testing._faults import HttpFault, HttpFaults
from hikewoo_core.testing._hike_server import serve_hike
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import WooClient

T = TypeVar("T")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ORDER = {"line_items": [{"product_id": 1, "quantity": 1, "total": "9.00"}]}
CREATE_SALE = "/sales/create_ecommerce_sale"


def eventually(check: Callable[[], T], within: float = 5.0) -> T:
    """Poll ``check()`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"still {got!r} after {within} s")
        time.sleep(0.01)


def late_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "late commits" in t.name]


# --- WooCommerce ----------------------------------------------------------------------------


@pytest.fixture
def woo_http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as http:
        yield http


def woo(url: str, http: httpx.Client) -> WooClient:
    return WooClient(url, "ck_test", "cs_test", client=http, retry=RetryPolicy.NONE)


def test_woo_create_answered_504_is_committed_later_once(woo_http: httpx.Client) -> None:
    shop = FakeWooCommerce()
    plan = FaultPlan().gateway_timeout(commit_after=0.3, method="POST", path="orders")
    with serve_woo(shop, faults=plan) as url:
        client = woo(url, woo_http)
        with pytest.raises(OutcomeUnknownError) as info:
            client.create_order(ORDER)
        assert client.list_orders() == []  # a lookup at once finds nothing; GETs unharmed
        orders = eventually(client.list_orders)
        assert len(orders) == 1
    cause = info.value.__cause__
    assert isinstance(cause, ApiError)
    assert cause.status == 504
    assert "504 Gateway Time-out" in str(cause)  # the gateway's page, not WooCommerce JSON
    assert [o.id for o in shop.orders()] == [orders[0].id]
    seen = [(r.method, r.path.rsplit("/", 1)[-1]) for r in plan.requests]
    assert seen[0] == ("POST", "orders")
    assert set(seen[1:]) == {("GET", "orders")}  # the lookups, answered meanwhile
    assert plan.pending == 0


def test_woo_naive_retry_after_504_duplicates_the_order(woo_http: httpx.Client) -> None:
    shop = FakeWooCommerce()
    plan = FaultPlan().gateway_timeout(commit_after=0.2, method="POST", path="orders")
    with serve_woo(shop, faults=plan) as url:
        client = woo(url, woo_http)
        with pytest.raises(OutcomeUnknownError):
            client.create_order(ORDER)
        if not client.list_orders():  # "not done": send it again
            client.create_order(ORDER)
    assert len(shop.orders()) == 2  # the hazard the fault exists to expose


def test_woo_late_commit_is_authenticated_and_lost_when_refused(
    woo_http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.testing.woo_server")
    shop = FakeWooCommerce()
    plan = FaultPlan().gateway_timeout(commit_after=0.0, method="POST", times=None)
    with serve_woo(shop, faults=plan) as url:
        answer = woo_http.post(f"{url}/wp-json/wc/v3/orders", json=ORDER)  # no credentials
        assert answer.status_code == 504  # the gateway does not look at credentials
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "<h1>504 Gateway Time-out</h1>" in answer.text
        eventually(lambda: "lost" in caplog.text)
    assert shop.orders() == []
    assert "late POST /wc/v3/orders lost: HTTP 401 woocommerce_rest_cannot_create" in caplog.text


def test_woo_exit_performs_pending_late_commits(woo_http: httpx.Client) -> None:
    shop = FakeWooCommerce()
    plan = FaultPlan().gateway_timeout(commit_after=600, method="POST", times=2)
    with serve_woo(shop, faults=plan) as url:
        client = woo(url, woo_http)
        for _ in range(2):
            with pytest.raises(OutcomeUnknownError):
                client.create_order(ORDER)
        assert client.list_orders() == []
    assert [o.id for o in shop.orders()] == [1, 2]  # performed on exit, in order, not lost
    assert late_threads() == []


# --- Hike -----------------------------------------------------------------------------------


@pytest.fixture
def hike_shop() -> FakeHike:
    fake = FakeHike(clock=FakeClock(T0))
    fake.add_product("MUG", "Mug", stock=50)
    return fake


def draft(ref: str) -> HikeSaleDraft:
    return HikeSaleDraft(
        fulfilment_status=FulfilmentStatus.COMPLETED,
        payment_status=PaymentStatus.PAID,
        total=Decimal("10.00"),
        outlet_id=1,
        transaction_date=T0,
        external_reference=ref,
        lines=(HikeSaleLine(quantity=1, sold_price=Decimal("10.00"), sku="MUG"),),
        payments=(HikePayment(payment_type_name="WooCommerce", amount=Decimal("10.00")),),
    )


def hike_client(base: str) -> HikeClient:
    return HikeClient("pre-acc", base_url=base, sleep=lambda s: None, clock=lambda: T0)


def test_hike_create_sale_answered_504_is_committed_later_once(hike_shop: FakeHike) -> None:
    plan = FaultPlan().gateway_timeout(commit_after=0.3, method="POST", path=CREATE_SALE)
    with serve_hike(hike_shop, access_token="pre-acc", faults=plan) as base:
        with hike_client(base) as hike:
            with pytest.raises(OutcomeUnknownError):
                hike.write_sale(draft("woo:1"))
            assert hike.find_sales_by_reference("woo:1") == []  # not yet; GETs unharmed
            found = eventually(lambda: hike.find_sales_by_reference("woo:1"))
        assert len(found) == 1
    assert [s.id for s in hike_shop.sales()] == [found[0].id]
    assert hike_shop.stock("MUG") == 49
    assert plan.fired[0].commit_after == 0.3


def test_hike_queued_fault_html_answer_and_a_lost_late_write(
    hike_shop: FakeHike, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.testing.hike_server")
    faults = HttpFaults([HttpFault(status=502, path=CREATE_SALE, commit_after=0.0)])
    with serve_hike(hike_shop, access_token="pre-acc", faults=faults) as base:
        answer = httpx.post(
            base + CREATE_SALE,
            json={"lineItems": "not a list"},
            headers={"Authorization": "Bearer pre-acc"},
            trust_env=False,
        )
        assert answer.status_code == 502
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "<h1>502 Bad Gateway</h1>" in answer.text
        eventually(lambda: "lost" in caplog.text)
    assert hike_shop.sales() == []
    assert f"late POST /api/v1{CREATE_SALE} lost: HTTP 400" in caplog.text


def test_hike_exit_performs_pending_late_commits(hike_shop: FakeHike) -> None:
    plan = FaultPlan().gateway_timeout(commit_after=600, method="POST", path=CREATE_SALE)
    with serve_hike(hike_shop, access_token="pre-acc", faults=plan) as base:
        with hike_client(base) as hike, pytest.raises(OutcomeUnknownError):
            hike.write_sale(draft("woo:2"))
        assert hike_shop.find_sales_by_reference("woo:2") == []
    assert len(hike_shop.find_sales_by_reference("woo:2")) == 1
    assert late_threads() == []


# --- the plan -------------------------------------------------------------------------------


def test_seeded_delays_are_repeatable_and_drawn_per_firing() -> None:
    def delays(seed: int) -> list[float | None]:
        plan = FaultPlan(seed=seed).gateway_timeout(method="POST", path="orders", times=3)
        fired = [plan.take("POST", "/wc/v3/orders") for _ in range(4)]
        assert fired[3] is None
        assert plan.pending == 0
        return [f.commit_after for f in fired if f is not None]

    first = delays(11)
    assert first == delays(11) != delays(12)
    assert len(set(first)) == 3
    assert all(d is not None and 0.2 <= d <= 2.0 for d in first)


def test_gets_are_unaffected_when_the_rule_targets_post() -> None:
    plan = FaultPlan().gateway_timeout(commit_after=0.5, method="POST", times=None)
    assert plan.take("GET", "/wc/v3/orders") is None
    fault = plan.take("POST", "/wc/v3/orders")
    assert fault is not None
    assert (fault.status, fault.commit_after) == (504, 0.5)


def test_randomly_draws_late_commits_when_asked() -> None:
    def draws(seed: int) -> list[tuple[int, float | None]]:
        plan = FaultPlan(seed=seed).randomly(0.5, late_commit=(0.1, 0.3), method="POST")
        return [
            (f.status, f.commit_after) if (f := plan.take("POST", "/x")) else (200, None)
            for _ in range(40)
        ]

    got = draws(3)
    assert got == draws(3) != draws(4)
    late = [d for s, d in got if d is not None]
    assert late
    assert all(0.1 <= d <= 0.3 for d in late)
    assert {s for s, _ in got} == {200, 503, 504}
    assert all(f.commit_after is None for f in FaultPlan(seed=3).randomly(1.0).fired)
    only = FaultPlan().randomly(1.0, statuses=(), late_commit=(0.2, 0.2)).take("GET", "/x")
    assert only is not None
    assert (only.status, only.commit_after) == (504, 0.2)


def test_bad_late_commit_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="exclude"):
        HttpFault(status=504, after=True, commit_after=1.0)
    with pytest.raises(ValueError, match="commit_after"):
        HttpFault(status=504, commit_after=-1.0)
    with pytest.raises(ValueError, match="commit_after"):
        FaultPlan().gateway_timeout(commit_after=(2.0, 1.0))
    with pytest.raises(ValueError, match="late_commit"):
        FaultPlan().randomly(0.1, late_commit=(-1.0, 1.0))


def test_late_commits_run_in_due_order_and_close_runs_the_rest() -> None:
    done: list[str] = []
    late = LateCommits("test late commits")
    late.add(0.0, lambda: done.append("soon"))
    late.add(600, lambda: done.append("b"))
    late.add(300, lambda: done.append("a"))
    late.add(0.0, lambda: 1 / 0)  # logged and lost; the worker goes on
    eventually(lambda: late.pending == 2)
    late.close()
    late.add(0.0, lambda: done.append("after close"))  # the origin is gone: dropped
    late.close()
    assert done == ["soon", "a", "b"]
    assert late.pending == 0
    assert late_threads() == []
