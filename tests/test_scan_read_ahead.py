"""A modified-time scan reads the next page while the caller works on this one, on both
backends (threads for the sync client, asyncio tasks for the async one), and a failed
or abandoned read ahead loses nothing and leaks nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from hikewoo_core import parse_woo_order
from hikewoo_core.woo._fetch_tasks import read_scan as read_scan_tasks
from hikewoo_core.woo._fetch_threads import read_scan as read_scan_threads
from hikewoo_core.woo._models import WooOrder
from hikewoo_core.woo._paging import ModifiedScan
from hikewoo_core.woo._responses import Page

from ._woo_loopback import T0, order_json

SIZE = 3


def orders(count: int) -> list[WooOrder]:
    """``count`` orders, one a second from T0."""
    return [
        parse_woo_order(order_json(i + 1, modified=T0 + timedelta(seconds=i))) for i in range(count)
    ]


class Store:
    """Answers a scan's queries from a list of orders, recording each query as it starts."""

    def __init__(self, items: list[WooOrder], fail_page: int | None = None) -> None:
        self.items, self.fail_page = items, fail_page
        self.started: list[Mapping[str, Any]] = []

    def answer(self, query: Mapping[str, Any]) -> Page[WooOrder]:
        self.started.append(query)
        if self.fail_page == len(self.started):
            raise TimeoutError(f"page {len(self.started)} timed out")
        after = query.get("modified_after")
        newer = [o for o in self.items if after is None or o.date_modified_gmt.isoformat() > after]
        return Page(items=newer[: int(query["per_page"])])


def scan() -> ModifiedScan[WooOrder]:
    return ModifiedScan(None, T0 + timedelta(hours=1), SIZE)


def test_threads_fetch_the_next_page_before_this_page_is_used() -> None:
    store = Store(orders(7))
    gate = threading.Event()

    def fetch(query: Mapping[str, Any]) -> Page[WooOrder]:
        page = store.answer(query)
        if len(store.started) == 2:
            gate.set()
        return page

    read = read_scan_threads(fetch, scan())
    first = next(read)
    assert gate.wait(5)  # page 2 was asked for while page 1's first order is in hand
    assert [first.id, *(o.id for o in read)] == [1, 2, 3, 4, 5, 6, 7]


def test_tasks_fetch_the_next_page_before_this_page_is_used() -> None:
    async def main() -> None:
        store = Store(orders(7))

        async def fetch(query: Mapping[str, Any]) -> Page[WooOrder]:
            return store.answer(query)

        read = read_scan_tasks(fetch, scan())
        first = await read.__anext__()
        await asyncio.sleep(0)  # one loop turn: the next page's task runs
        assert len(store.started) == 2
        rest = [o.id async for o in read]
        assert [first.id, *rest] == [1, 2, 3, 4, 5, 6, 7]

    asyncio.run(main())


def test_tasks_a_page_read_ahead_that_fails_fails_the_read_at_its_turn() -> None:
    async def main() -> list[int]:
        store = Store(orders(7), fail_page=2)

        async def fetch(query: Mapping[str, Any]) -> Page[WooOrder]:
            return store.answer(query)

        got: list[int] = []

        async def consume() -> None:
            async for order in read_scan_tasks(fetch, scan()):
                got.append(order.id)

        with pytest.raises(TimeoutError, match="page 2"):
            await consume()
        return got

    assert asyncio.run(main()) == [1, 2, 3]  # page 1 whole, then the failure


def test_tasks_leaving_early_cancels_the_fetch_in_flight() -> None:
    async def main() -> None:
        release = asyncio.Event()
        cancelled = asyncio.Event()
        store = Store(orders(7))

        async def fetch(query: Mapping[str, Any]) -> Page[WooOrder]:
            page = store.answer(query)
            if len(store.started) == 2:
                try:
                    await release.wait()
                except asyncio.CancelledError:
                    cancelled.set()
                    raise
            return page

        read = read_scan_tasks(fetch, scan())
        await read.__anext__()
        await asyncio.sleep(0)
        await read.aclose()
        await asyncio.wait_for(cancelled.wait(), 5)

    asyncio.run(main())
