"""How :class:`~hikewoo_core.woo.AsyncWooClient` fetches pages ahead: on asyncio tasks.

The twin of :mod:`._fetch_threads` (the same two functions, on threads), which says why
the two clients differ here and nowhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from .._http_types import Request
from ._paging import Item, ModifiedScan, ReadAhead
from ._responses import Page

__all__ = ["read_ahead", "read_scan"]

R = TypeVar("R")
T = TypeVar("T")
#: Event-loop turns given to newly started page requests before a page is parsed: httpx
#: needs about four (pool, connection, write) to put a request on the wire, and parsing
#: blocks the loop, so without them the next requests would wait for the parse.
_SEND_TURNS = 5


async def read_ahead(
    fetch: Callable[[Request], Awaitable[R]],
    request: Request,
    parse: Callable[[R], Page[T]],
    plan: ReadAhead[R],
) -> AsyncGenerator[Page[T], None]:
    """The pages of ``plan``, in order: fetched by up to ``plan.window`` tasks, parsed
    here (see :class:`~hikewoo_core.woo._paging.ReadAhead`).

    A fetch that ends starts the next one due itself. Parsing blocks the event loop,
    so new requests get a few loop turns to reach the wire first. Leaving early
    cancels the fetches in flight.
    """
    launched = 0  # fetches started since the last loop turns given to them

    def launch(_: object = None) -> None:
        nonlocal launched
        for number in plan.due():
            ask = request.with_params({"page": str(number)})
            task = asyncio.ensure_future(fetch(ask))
            plan.add(number, task)
            task.add_done_callback(launch)  # as soon as it ends: the next one
            launched += 1

    async def start() -> None:
        nonlocal launched
        launch()
        if launched:  # on the wire before a parse blocks the loop
            launched = 0
            for _ in range(_SEND_TURNS):
                await asyncio.sleep(0)

    try:
        while True:
            await start()
            if plan.over:
                return
            response = await cast("asyncio.Future[R]", plan.head())
            await start()  # what the done callbacks started goes out before the parse
            page = parse(response)
            checked = plan.pop(page)
            if checked is None:
                return
            plan.holding = True
            await start()  # the next pages are on the wire while the page is used
            yield checked
            plan.holding = False
    finally:
        left = cast("list[asyncio.Future[R]]", plan.cancel())
        await asyncio.gather(*left, return_exceptions=True)


async def read_scan(
    fetch: Callable[[Mapping[str, Any]], Awaitable[Page[Item]]], scan: ModifiedScan[Item]
) -> AsyncGenerator[Item, None]:
    """The items of ``scan`` (see :class:`~hikewoo_core.woo._paging.ModifiedScan`), each
    page fetched by ``fetch`` (its query) on a task while the previous one is used.

    The next query is known as soon as a page is fed, before its orders are consumed:
    it is fetched while the caller works on this page's orders, as the threads backend
    does. Leaving early cancels the fetch in flight.
    """
    query = scan.query()
    pending = None if query is None else asyncio.ensure_future(fetch(query))
    try:
        while pending is not None:
            fresh = scan.feed(await pending)
            query = scan.query()
            pending = None if query is None else asyncio.ensure_future(fetch(query))
            for item in fresh:
                yield item
    finally:
        if pending is not None:
            _drop(pending)


def _drop(task: asyncio.Future[Any]) -> None:
    """Cancel a fetch nobody will read; a failure it already had is not logged as lost."""
    if task.done():
        if not task.cancelled():
            task.exception()
    else:
        task.cancel()
