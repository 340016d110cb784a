"""How :class:`~hikewoo_core.woo.WooClient` fetches pages ahead: on threads.

The client is generated from :class:`~hikewoo_core.woo.AsyncWooClient` by
``tools/unasync.py``; what genuinely differs between the two is how a read keeps pages
on the wire while the caller works, and it lives here and in :mod:`._fetch_tasks` (the
same two functions, on asyncio tasks). The plans they drive, which pages and in what
order, are the pure ones of :mod:`._paging`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar, cast

from .._http_types import Request
from ._paging import Item, ModifiedScan, ReadAhead
from ._responses import Page

__all__ = ["read_ahead", "read_scan"]

R = TypeVar("R")
T = TypeVar("T")


def _done(fetch: Callable[[Request], R], request: Request) -> Future[R]:
    """``fetch(request)`` run here, as a finished future."""
    future: Future[R] = Future()
    try:
        future.set_result(fetch(request))
    except Exception as exc:  # noqa: BLE001 - raised at the page's turn
        future.set_exception(exc)
    return future


def _failed(exc: Exception) -> Future[Any]:
    """A finished future that raises ``exc``."""
    future: Future[Any] = Future()
    future.set_exception(exc)
    return future


def read_ahead(
    fetch: Callable[[Request], R],
    request: Request,
    parse: Callable[[R], Page[T]],
    plan: ReadAhead[R],
) -> Generator[Page[T], None, None]:
    """The pages of ``plan``, in order: fetched on up to ``plan.window`` threads sharing
    the connection pool, parsed here (see :class:`~hikewoo_core.woo._paging.ReadAhead`).

    The threads only fetch: parsing is CPU work, and on threads it would hold the
    GIL against the fetches. A fetch that ends starts the next one due itself, so
    the window stays on the wire while this thread parses. A read that does not
    speculate fetches its first page on this thread, and starts no thread if that
    page is the only one. Leaving early cancels the fetches not started and waits for
    those on the wire (no thread or connection outlives the read).
    """
    pool: ThreadPoolExecutor | None = None
    lock = threading.RLock()  # the plan, shared with the threads' done callbacks

    def start(_: object = None) -> None:
        nonlocal pool
        with lock:
            for number in plan.due():
                ask = request.with_params({"page": str(number)})
                if pool is None and not plan.speculative and number == plan.first_number:
                    plan.add(number, _done(fetch, ask))  # the first page, here
                    continue
                try:
                    if pool is None:
                        pool = ThreadPoolExecutor(plan.window, thread_name_prefix="woo-page")
                    future = pool.submit(fetch, ask)
                except Exception as exc:  # noqa: BLE001 - "can't start new thread", say
                    # The page is due: it fails at its turn instead of going missing.
                    plan.add(number, _failed(exc))
                    return
                plan.add(number, future)
                future.add_done_callback(start)  # on the fetching thread: the next one

    try:
        while True:
            start()
            with lock:
                if plan.over:
                    return
                head = cast("Future[R]", plan.head())
            response = head.result()  # a failed fetch raises here, at its turn
            page = parse(response)
            with lock:
                checked = plan.pop(page)
                if checked is None:
                    return
                plan.holding = True
            start()  # the next pages are on the wire while the page is used
            yield checked
            with lock:
                plan.holding = False
    finally:
        with lock:
            plan.cancel()
        if pool is not None:
            pool.shutdown(wait=True)


def read_scan(
    fetch: Callable[[Mapping[str, Any]], Page[Item]], scan: ModifiedScan[Item]
) -> Generator[Item, None, None]:
    """The items of ``scan`` (see :class:`~hikewoo_core.woo._paging.ModifiedScan`), each
    page fetched by ``fetch`` (its query) on a thread while the previous one is used.

    The next query is known as soon as a page is fed, before its orders are consumed:
    it is fetched while the caller works on this page's orders (a backfill syncs each
    one), so reading the next page costs no waiting.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="woo-scan") as pool:
        query = scan.query()
        pending = pool.submit(fetch, query) if query is not None else None
        while pending is not None:
            fresh = scan.feed(pending.result())
            query = scan.query()
            pending = pool.submit(fetch, query) if query is not None else None
            yield from fresh
