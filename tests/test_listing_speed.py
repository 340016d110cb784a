"""Listing at the floor: the read-ahead's defaults, speculative pages, order, bounds, exits.

``iter_orders`` requests the first window of pages (8 by default) before the page count
is known, each fetch that ends starts the next one, and pages are parsed and handed out
strictly in order. These tests pin what that must never change: every order exactly once
and in order, whatever order the answers arrive in; errors and guard failures at the page
they belong to; no more pages in flight or held than the window; and nothing (thread,
task, connection) left running after an early exit. No timing is asserted.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from hikewoo_core._errors import ApiError, PayloadError, UnexpectedResponseError
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import AsyncWooClient, WooClient

from ._woo_loopback import (
    FAST,
    KEY,
    SECRET,
    Sleeps,
    nonces,
    order_json,
    page_response,
    qdict,
    seed,
    store,
    wall,
)
from .test_woo_client_async import mock as amock

Handler = Callable[[httpx.Request], httpx.Response]
AsyncHandler = Callable[[httpx.Request], Awaitable[httpx.Response]]
WINDOW = 8  # the default read-ahead of both clients


def page_of(request: httpx.Request) -> int:
    return int(qdict(request).get("page", "1"))


def mock(
    answer: Handler, url: str = "https://shop.test", **kw: Any
) -> tuple[WooClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            seen.append(request)
        return answer(request)

    kw.setdefault("retry", FAST)
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("nonce_factory", nonces())
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return WooClient(url, KEY, SECRET, client=http, **kw), seen


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def listing(pages: int, per_page: int = 1) -> Handler:
    """A store of ``pages`` full pages; order ``n * 100 + i`` is item ``i`` of page ``n``."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = page_of(request)
        items = [order_json(number * 100 + i) for i in range(per_page)] if number <= pages else []
        return page_response(items, total=pages * per_page, pages=pages)

    return answer


def expected(pages: int, per_page: int = 1) -> list[int]:
    return [n * 100 + i for n in range(1, pages + 1) for i in range(per_page)]


def read_until_error(orders: Iterator[Any], got: list[int]) -> None:
    for order in orders:
        got.append(order.id)


def page_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("woo-page")]


# --- defaults -------------------------------------------------------------------------------


def test_both_clients_read_eight_pages_ahead_by_default() -> None:
    with WooClient("https://shop.test", KEY, SECRET) as sync:
        assert sync.concurrency == WINDOW

    async def concurrency() -> int:
        async with AsyncWooClient("https://shop.test", KEY, SECRET) as client:
            return client.concurrency

    assert run(concurrency()) == WINDOW


def test_the_first_eight_pages_are_on_the_wire_together_before_any_answer() -> None:
    """The page count comes with the first page; the first window does not wait for it.
    Pages 1 to 8 only answer once all eight are in flight."""
    together = threading.Barrier(WINDOW, timeout=10)
    answer = listing(20)

    def gated(request: httpx.Request) -> httpx.Response:
        if page_of(request) <= WINDOW:
            together.wait()
        return answer(request)

    client, seen = mock(gated)
    assert [o.id for o in client.iter_orders(per_page=1)] == expected(20)
    assert sorted(page_of(r) for r in seen) == list(range(1, 21))


def test_the_async_client_sends_the_first_eight_pages_together() -> None:
    async def scenario() -> tuple[list[int], list[httpx.Request]]:
        in_flight = 0
        full = asyncio.Event()
        answer = listing(20)

        async def gated(request: httpx.Request) -> httpx.Response:
            nonlocal in_flight
            if page_of(request) <= WINDOW:
                in_flight += 1
                if in_flight == WINDOW:
                    full.set()
                await asyncio.wait_for(full.wait(), timeout=10)
            return answer(request)

        client, seen = amock(gated)
        async with client:
            return [o.id async for o in client.iter_orders(per_page=1)], seen

    ids, seen = run(scenario())
    assert ids == expected(20)
    assert sorted(page_of(r) for r in seen) == list(range(1, 21))


# --- every order once, in order, over loopback --------------------------------------------


@contextmanager
def loopback_store(count: int) -> Iterator[tuple[str, FaultPlan, list[int]]]:
    fake = store()
    ids = seed(fake, count)
    plan = FaultPlan()
    with serve_woo(fake, clock=wall, faults=plan) as url:
        yield url, plan, ids


def requested_pages(plan: FaultPlan, *, fields: bool = False) -> list[int]:
    """The pages of ``/orders`` the server saw: of ``iter_order_fields`` reads (``_fields``)
    or of the others. (An async read that ends cancels the fetches still on the wire:
    the server may see them after the read is over.)"""
    queries = [dict(parse_qsl(r.query)) for r in plan.requests if r.path.endswith("/orders")]
    return [int(q.get("page", "1")) for q in queries if ("_fields" in q) == fields]


def check_pages(pages: list[int], count: int, per_page: int) -> None:
    """Every page of the list was asked for once; beyond it, only the first window."""
    last = -(-count // per_page)
    assert len(pages) == len(set(pages)), "a page was requested twice"
    assert set(range(1, last + 1)) <= set(pages)
    assert max(pages) <= max(last, WINDOW), "a page past the end beyond the first window"


@contextmanager
def loopback_client(url: str) -> Iterator[WooClient]:
    with (
        httpx.Client(trust_env=False) as http,
        WooClient(url, "ck_test", "cs_test", client=http, clock=wall, retry=FAST) as woo,
    ):
        yield woo


@pytest.mark.parametrize(("count", "per_page"), [(0, 10), (1, 10), (10, 10), (57, 10), (95, 5)])
def test_speculative_pages_never_repeat_or_skip_an_order(count: int, per_page: int) -> None:
    with loopback_store(count) as (url, plan, ids), loopback_client(url) as woo:
        assert [o.id for o in woo.iter_orders(per_page=per_page)] == ids
        assert [o["id"] for o in woo.iter_order_fields(["id"], per_page=per_page)] == ids
    check_pages(requested_pages(plan), count, per_page)
    check_pages(requested_pages(plan, fields=True), count, per_page)
    assert page_threads() == []


@pytest.mark.parametrize(("count", "per_page"), [(0, 10), (3, 10), (57, 10), (95, 5)])
def test_the_async_client_never_repeats_or_skips_an_order(count: int, per_page: int) -> None:
    async def scenario(url: str, plan: FaultPlan, ids: list[int]) -> None:
        async with (
            httpx.AsyncClient(trust_env=False) as http,
            AsyncWooClient(url, "ck_test", "cs_test", client=http, clock=wall, retry=FAST) as woo,
        ):
            assert [o.id async for o in woo.iter_orders(per_page=per_page)] == ids
            fields = woo.iter_order_fields(["id"], per_page=per_page)
            assert [o["id"] async for o in fields] == ids

    with loopback_store(count) as (url, plan, ids):
        run(scenario(url, plan, ids))
    check_pages(requested_pages(plan), count, per_page)
    check_pages(requested_pages(plan, fields=True), count, per_page)


def test_a_store_growing_while_pages_are_read_yields_each_order_once_in_order() -> None:
    """Orders created while the window is in flight: speculative pages past the first
    page count may hold them. Each order comes once, in id order, none of the first
    ones is lost."""
    fake = store()
    ids = seed(fake, 25)

    def grow() -> None:
        seed(fake, 10)

    plan = FaultPlan().on_request(grow, method="GET", times=3, skip=2)
    with serve_woo(fake, clock=wall, faults=plan) as url, loopback_client(url) as woo:
        got = [o.id for o in woo.iter_orders(per_page=10)]
    assert got == sorted(set(got)), "an order came twice or out of order"
    assert got[: len(ids)] == ids


def test_speculation_is_bounded_by_include_and_left_to_bulk_reads() -> None:
    with loopback_store(30) as (url, plan, ids), loopback_client(url) as woo:
        assert [o.id for o in woo.iter_orders(include=ids[:3], per_page=10)] == ids[:3]
        assert requested_pages(plan) == [1]  # three ids fill one page: nothing to guess
        plan.requests.clear()
        assert woo.read_refunds(ids[0]) == []
        assert len(plan.requests) == 1  # a lookup reads one page, on this thread
        plan.requests.clear()
        assert [o.id for o in woo.iter_orders(page=2, per_page=10)] == ids[10:]
        assert set(requested_pages(plan)) <= set(range(2, 2 + WINDOW))
    assert page_threads() == []


def test_one_worker_reads_one_page_at_a_time_without_speculation() -> None:
    client, seen = mock(listing(5), concurrency=1)
    assert [o.id for o in client.iter_orders(per_page=1)] == expected(5)
    assert [page_of(r) for r in seen] == [1, 2, 3, 4, 5]


# --- answers out of order -------------------------------------------------------------------


def reversed_arrivals(answer: Handler, first: int = WINDOW) -> Handler:
    """Hold each of the first ``first`` pages so that they arrive last page first."""
    arrived = {n: threading.Event() for n in range(1, first + 2)}
    arrived[first + 1].set()

    def held(request: httpx.Request) -> httpx.Response:
        number = page_of(request)
        if number <= first:
            arrived[number + 1].wait(timeout=10)
        try:
            return answer(request)
        finally:
            if number <= first:
                arrived[number].set()

    return held


def test_pages_arriving_last_first_are_yielded_first_first() -> None:
    client, _ = mock(reversed_arrivals(listing(12, per_page=3)))
    assert [o.id for o in client.iter_orders(per_page=3)] == expected(12, per_page=3)


def test_an_error_on_a_later_page_is_raised_after_the_pages_before_it() -> None:
    base = listing(12)

    def answer(request: httpx.Request) -> httpx.Response:
        if page_of(request) == 5:
            return httpx.Response(400, json={"code": "rest_invalid_param", "message": "no"})
        return base(request)

    client, _ = mock(reversed_arrivals(answer))
    got: list[int] = []
    with pytest.raises(ApiError, match="rest_invalid_param"):
        read_until_error(client.iter_orders(per_page=1), got)
    assert got == expected(4)
    assert page_threads() == []


def test_a_page_that_does_not_parse_fails_at_its_turn() -> None:
    base = listing(12)

    def answer(request: httpx.Request) -> httpx.Response:
        if page_of(request) == 3:
            return page_response([{"id": "three", "status": 3}], total=12, pages=12)
        return base(request)

    client, _ = mock(reversed_arrivals(answer))
    got: list[int] = []
    with pytest.raises(PayloadError):
        read_until_error(client.iter_orders(per_page=1), got)
    assert got == expected(2)


def test_the_async_client_yields_late_first_pages_in_order_and_fails_in_turn() -> None:
    async def scenario(fail_at: int | None) -> list[int]:
        base = listing(12)

        async def answer(request: httpx.Request) -> httpx.Response:
            number = page_of(request)
            if number <= WINDOW:
                await asyncio.sleep(0.002 * (WINDOW - number))  # last page first
            if number == fail_at:
                return httpx.Response(400, json={"code": "rest_invalid_param", "message": "no"})
            return base(request)

        client, _ = amock(answer)
        got: list[int] = []
        async with client:
            try:
                async for order in client.iter_orders(per_page=1):
                    got.append(order.id)
            except ApiError:
                got.append(-1)
        return got

    assert run(scenario(None)) == expected(12)
    assert run(scenario(6)) == [*expected(5), -1]


# --- guards ---------------------------------------------------------------------------------


def same_page(total: int, pages: int) -> Handler:
    """A cache that ignores ``page``: every page holds orders 1 and 2."""
    return lambda request: page_response([order_json(1), order_json(2)], total=total, pages=pages)


@pytest.mark.parametrize("arrivals", ["in order", "last first"])
def test_a_repeated_page_stops_the_read_at_page_two_whatever_arrives_first(arrivals: str) -> None:
    answer = same_page(total=10_000, pages=5_000)
    client, seen = mock(reversed_arrivals(answer) if arrivals == "last first" else answer)
    with pytest.raises(UnexpectedResponseError) as caught:
        list(client.iter_orders(per_page=2))
    assert caught.value.where == "page 2"
    assert len(seen) <= 1 + 2 * WINDOW  # stopped within a window or so, not 5,000 pages
    assert page_threads() == []


def test_more_items_than_the_total_stop_the_read() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = page_of(request)
        return page_response([order_json(number * 10 + i) for i in range(5)], total=12, pages=99)

    client, _ = mock(answer)
    with pytest.raises(UnexpectedResponseError, match="more than the 12") as caught:
        list(client.iter_orders(per_page=5))
    assert caught.value.where == "page 3"


def test_the_async_guards_fire_the_same_way() -> None:
    async def scenario() -> str | None:
        async def answer(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.001 * (WINDOW - min(page_of(request), WINDOW)))
            return same_page(total=10_000, pages=5_000)(request)

        client, _ = amock(answer)
        async with client:
            try:
                async for _ in client.iter_orders(per_page=2):
                    pass
            except UnexpectedResponseError as exc:
                return exc.where
        return None

    assert run(scenario()) == "page 2"


def test_without_total_pages_speculative_answers_are_dropped_and_links_followed() -> None:
    """A proxy that strips ``X-WP-TotalPages``: the pages requested with the first one are
    dropped, the ``Link`` is followed page by page, signed afresh."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = page_of(request)
        if number > 3:
            return page_response([], total=None, pages=None)
        link = f'<http://shop.test/wp-json/wc/v3/orders?per_page=1&page={number + 1}>; rel="next"'
        return page_response([order_json(number)], total=None, pages=None, link=link)

    client, seen = mock(answer, "http://shop.test")  # OAuth 1.0a: a nonce per request
    assert [o.id for o in client.iter_orders(per_page=1)] == [1, 2, 3]
    nonces_sent = [qdict(r)["oauth_nonce"] for r in seen]
    assert len(set(nonces_sent)) == len(nonces_sent)
    followed = [qdict(r)["page"] for r in seen if "orderby" not in qdict(r)]
    assert followed == ["2", "3", "4"]  # the Link's own query, page by page


# --- bounds and early exits -----------------------------------------------------------------


def test_no_more_than_the_window_is_read_beyond_the_page_in_use() -> None:
    client, seen = mock(listing(40))
    for order in client.iter_orders(per_page=1):
        time.sleep(0.002)  # let finished fetches start the next ones
        assert len(seen) <= order.id // 100 + WINDOW
    assert sorted(page_of(r) for r in seen) == list(range(1, 41))


def test_breaking_out_early_leaves_no_thread_and_no_busy_connection() -> None:
    with loopback_store(300) as (url, plan, ids), httpx.Client(trust_env=False) as http:
        plan.slow(0.05, method="GET", times=None)  # pages are on the wire when we leave
        with WooClient(url, "ck_test", "cs_test", client=http, clock=wall, retry=FAST) as woo:
            for order in woo.iter_orders(per_page=10):
                assert order.id == ids[0]
                break
            assert page_threads() == []
            pool = http._transport._pool  # type: ignore[attr-defined]
            assert all(connection.is_idle() for connection in pool.connections)
            reads = iter(woo.iter_orders(per_page=10))
            assert next(reads).id == ids[0]
            del reads  # dropped without close(): ended when collected
            gc.collect()
            assert page_threads() == []
    assert len(plan.requests) <= 2 * (WINDOW + 1)  # the first window (+ 1 once page 1 is out)


def test_leaving_an_async_read_early_cancels_its_fetches() -> None:
    async def scenario() -> tuple[int, list[asyncio.Task[Any]], list[httpx.Request]]:
        async def answer(request: httpx.Request) -> httpx.Response:
            if page_of(request) > 1:
                await asyncio.sleep(0.05)
            return listing(300)(request)

        client, seen = amock(answer)
        async with client:
            reads = client.iter_orders(per_page=1)
            first = 0
            async for order in reads:
                first = order.id
                break
            await reads.aclose()  # type: ignore[attr-defined]
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return first, left, seen

    first, left, seen = run(scenario())
    assert first == 100
    assert left == []
    assert len(seen) <= WINDOW + 1
