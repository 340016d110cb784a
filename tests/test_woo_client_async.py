"""AsyncWooClient: the same requests as WooClient, pages read concurrently and yielded in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hikewoo_core import OrderWindow
from hikewoo_core._errors import AuthenticationError, ConfigurationError, OutcomeUnknownError
from hikewoo_core.testing import FakeClock
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import AsyncWooClient

from ._woo_loopback import (
    FAST,
    KEY,
    SECRET,
    T0,
    Sleeps,
    body,
    nonces,
    order_json,
    page_response,
    qdict,
    query,
    seed,
    store,
    wall,
)

AsyncHandler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def mock(
    answer: AsyncHandler, url: str = "https://shop.test", **kw: Any
) -> tuple[AsyncWooClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await answer(request)

    kw.setdefault("retry", FAST)
    kw.setdefault("sleep", Sleeps().asleep)
    kw.setdefault("nonce_factory", nonces())
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncWooClient(url, KEY, SECRET, client=http, **kw), seen


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def test_pages_are_read_concurrently_bounded_and_yielded_in_order() -> None:
    pages, limit = 10, 3
    in_flight = peak = 0

    async def scenario() -> tuple[list[int], list[httpx.Request]]:
        full = asyncio.Event()

        async def answer(request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            number = int(qdict(request).get("page", "1"))
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight == limit:
                full.set()
            try:
                if 2 <= number <= 1 + limit:  # pages 2..4 must be in flight together
                    await asyncio.wait_for(full.wait(), timeout=5)
                return page_response([order_json(number)], total=pages, pages=pages)
            finally:
                in_flight -= 1

        client, seen = mock(answer, concurrency=limit)
        async with client:
            ids = [o.id async for o in client.iter_orders(per_page=1)]
        return ids, seen

    ids, seen = run(scenario())
    assert ids == list(range(1, pages + 1))
    assert peak == limit
    assert sorted(int(qdict(r).get("page", "1")) for r in seen) == list(range(1, pages + 1))


def test_leaving_early_cancels_the_pages_in_flight() -> None:
    async def scenario() -> list[httpx.Request]:
        async def answer(request: httpx.Request) -> httpx.Response:
            number = int(qdict(request).get("page", "1"))
            if number > 1:
                await asyncio.sleep(0)  # yield to the loop like a real read would
            return page_response([order_json(number)], total=50, pages=50)

        client, seen = mock(answer, concurrency=2)
        pages = client.iter_orders(per_page=1)
        async for order in pages:
            if order.id == 3:
                break
        await pages.aclose()
        return seen

    seen = run(scenario())
    assert len(seen) <= 3 + 2


def test_the_link_is_followed_with_a_fresh_nonce() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        number = int(qdict(request).get("page", "1"))
        if number >= 2:
            return page_response([order_json(2)] if number == 2 else [], total=None, pages=None)
        stale = "&".join(f"{k}={v}" for k, v in query(request))
        link = f'<http://shop.test/wp-json/wc/v3/orders?{stale}&page=2>; rel="next"'
        return page_response([order_json(1)], total=None, pages=None, link=link)

    async def scenario() -> tuple[list[int], list[httpx.Request]]:
        # one page at a time (no speculative pages): the requests are exactly the Link's
        client, seen = mock(answer, "http://shop.test", concurrency=1)
        return [o.id async for o in client.iter_orders(per_page=1)], seen

    ids, seen = run(scenario())
    assert ids == [1, 2]
    assert [qdict(r)["oauth_nonce"] for r in seen] == ["n1", "n2", "n3"]


def test_writes_refunds_and_batches() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content or b"{}")
        if request.url.path.endswith("/batch"):
            return httpx.Response(
                200, json={"update": [order_json(u["id"]) for u in sent["update"]]}
            )
        if request.url.path.endswith("/refunds"):
            return httpx.Response(201, json={"id": 9, "amount": sent["amount"]})
        raise httpx.ReadTimeout("lost", request=request)

    async def scenario() -> list[httpx.Request]:
        client, seen = mock(answer)
        refund = await client.write_refund(3, {"amount": "2.00"})
        assert refund.id == 9
        with pytest.raises(ConfigurationError):
            await client.create_refund(3, {"amount": "2.00", "api_refund": True})
        result = await client.batch_update_orders(
            [{"id": i, "status": "completed"} for i in range(1, 151)]
        )
        assert result.ok
        assert len(result.orders) == 150
        with pytest.raises(OutcomeUnknownError):
            await client.create_order(body())
        return seen

    seen = run(scenario())
    assert json.loads(seen[0].content)["api_refund"] is False
    assert [r.url.path.rsplit("/", 1)[-1] for r in seen] == ["refunds", "batch", "batch", "orders"]


def test_authentication_errors_carry_the_hint() -> None:
    denied = {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=denied)

    async def scenario() -> None:
        client, _ = mock(answer)
        with pytest.raises(AuthenticationError, match=r"AuthMode\.QUERY"):
            await client.list_orders()

    run(scenario())


def test_a_caller_owned_async_client_is_left_open() -> None:
    async def scenario() -> tuple[bool, bool]:
        async def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=order_json(1))

        mine = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with AsyncWooClient("https://shop.test", KEY, SECRET, client=mine) as woo:
            await woo.read_order(1)
        async with AsyncWooClient("https://shop.test", KEY, SECRET) as owned:
            inner = owned._http
        left_open = not mine.is_closed
        await mine.aclose()
        return left_open, inner.is_closed

    assert run(scenario()) == (True, True)
    with pytest.raises(ConfigurationError, match="concurrency"):
        AsyncWooClient("https://shop.test", KEY, SECRET, concurrency=0)


# --- loopback -------------------------------------------------------------------------------


@asynccontextmanager
async def loopback(url: str, **kw: Any) -> AsyncIterator[AsyncWooClient]:
    kw.setdefault("retry", FAST)
    kw.setdefault("sleep", Sleeps().asleep)
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        AsyncWooClient(url, "ck_test", "cs_test", client=http, clock=wall, **kw) as woo,
    ):
        yield woo


def test_async_end_to_end_with_concurrent_paging() -> None:
    fake = store()
    ids = seed(fake, 230)

    async def scenario(url: str) -> None:
        async with loopback(url, concurrency=4) as woo:
            got = [o.id async for o in woo.iter_orders(orderby="id", order="asc")]
            assert got == ids
            order = await woo.create_order(body("12.00"))
            assert (await woo.update_order(order.id, {"status": "completed"})).status == "completed"
            refund = await woo.create_refund(order.id, {"amount": "2.00"})
            assert [r.id for r in await woo.read_refunds(order.id)] == [refund.id]
            assert (await woo.get_refund(order.id, refund.id)).amount == refund.amount

    with serve_woo(fake, clock=wall) as url:
        run(scenario(url))


def test_async_fields_listings_are_trimmed_objects_never_orders() -> None:
    fake = store()
    ids = seed(fake, 120)

    async def scenario(url: str) -> None:
        async with loopback(url) as woo:
            got = [o async for o in woo.iter_order_fields(["id"], orderby="id", order="asc")]
            assert got == [{"id": i} for i in ids]
            with pytest.raises(ConfigurationError, match="iter_order_fields"):
                await woo.list_orders(_fields="id")
            with pytest.raises(ConfigurationError, match="iter_order_fields"):
                [o async for o in woo.iter_orders(_fields="id")]

    with serve_woo(fake, clock=wall) as url:
        run(scenario(url))


def test_async_incremental_read_and_idempotent_create_under_faults() -> None:
    clock = FakeClock(T0 + timedelta(hours=1))
    fake = store(clock)
    ids = seed(fake, 30)

    def touch() -> None:
        clock.advance(1)
        fake.set_status(ids[0], "completed")

    plan = FaultPlan().on_request(touch, method="GET", skip=1)
    plan.drop(after=True, method="POST", path="orders").throttle(
        retry_after=2, method="GET", skip=5
    )

    async def scenario(url: str) -> None:
        async with loopback(url) as woo:
            end = T0 + timedelta(minutes=10)
            got = [
                o.id
                async for o in woo.iter_orders_modified(T0, end, overlap=timedelta(0), page_size=7)
            ]
            assert sorted(got) == ids
            reads = [
                o.id
                async for o in woo.read_orders(OrderWindow(modified_after=T0, modified_before=end))
            ]
            assert sorted(reads) == ids[1:]  # the touched order left the window
            made = await woo.create_order_idempotent(
                body(), reference_key="_ref", reference_value="A1"
            )
            again = await woo.create_order_idempotent(
                body(), reference_key="_ref", reference_value="A1"
            )
            assert made.id == again.id
            assert [o.id for o in await woo.find_orders_by_meta("_ref", "A1")] == [made.id]

    with serve_woo(fake, clock=wall, faults=plan) as url:
        run(scenario(url))
    assert len(fake.orders()) == 31
    assert plan.pending == 0
