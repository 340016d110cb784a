"""The backfill benchmark's contenders: each reads every order of the loopback store.

Every request is OAuth 1.0a-signed, since the server verifies it as WooCommerce does:

* the ``woocommerce`` package (``API(...).get("orders", ...)``, page after page; it signs
  over http by itself);
* the floors: httpx fetching the same pages and doing nothing with them, signed by
  ``_oauth.py``, ``Job.concurrency`` (8) threads or asyncio requests in flight;
* ``WooClient(base, key, secret).iter_orders()`` and the same with ``AsyncWooClient``,
  with their defaults;
* ``Syncer(...).backfill(after, before)`` over ``WooClient`` into ``FakeHike``, with its
  defaults, with a ``MemoryLedger`` and with a ``SqliteLedger`` on ``/dev/shm``.

Each returns how many orders it read (or created); a non-200 answer raises.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from _measure import check, log
from _oauth import signed_query
from _orders import BASE

ORDERS_PATH = "/wp-json/wc/v3/orders"
PER_PAGE = 100
KEY, SECRET = "ck_benchmark", "cs_benchmark"  # as in _server.py

PACKAGE = "woocommerce (PyPI), sequential pages"
THREADS_FLOOR = "raw httpx, threads (floor)"
SYNC_CLIENT = "WooClient.iter_orders (sync)"
ASYNC_FLOOR = "raw httpx, asyncio (floor)"
ASYNC_CLIENT = "AsyncWooClient.iter_orders"
SYNCER_MEMORY = "Syncer.backfill -> FakeHike, MemoryLedger"
SYNCER_SQLITE = "Syncer.backfill -> FakeHike, SqliteLedger (/dev/shm)"
#: The floor each contender is compared with: sync contenders vs threads, async vs asyncio.
FLOOR_OF = {
    PACKAGE: THREADS_FLOOR,
    SYNC_CLIENT: THREADS_FLOOR,
    ASYNC_CLIENT: ASYNC_FLOOR,
    SYNCER_MEMORY: THREADS_FLOOR,
    SYNCER_SQLITE: THREADS_FLOOR,
}


@dataclass
class Job:
    """What one contender run needs, and what the syncers report back."""

    base: str
    orders: int
    concurrency: int  # the floors' threads or requests in flight
    scratch: Path  # for the SqliteLedger files
    reports: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    _files: Iterator[int] = field(default_factory=itertools.count)

    def ledger_path(self) -> Path:
        return self.scratch / f"ledger-{next(self._files)}.sqlite"


# --- the runs -----------------------------------------------------------------------


def run_woocommerce_package(job: Job) -> int:
    """The official ``woocommerce`` client: page after page, ``.json()`` each (it signs
    OAuth 1.0a itself over http and opens a connection per request)."""
    from woocommerce import API

    api = API(url=job.base, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=30)
    count, page, pages = 0, 1, 1
    while page <= pages:
        response = api.get("orders", params={"per_page": PER_PAGE, "page": page})
        response.raise_for_status()
        count += len(response.json())
        pages = int(response.headers["X-WP-TotalPages"])
        page += 1
    return count


def _limits(concurrency: int) -> Any:
    import httpx

    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


def _signed(url: str, page: int) -> str:
    return f"{url}?{signed_query('GET', url, {'per_page': PER_PAGE, 'page': page}, KEY, SECRET)}"


def _body(answer: Any) -> bytes:
    check(answer.status_code == 200, f"the floor got {answer.status_code}: {answer.text[:300]}")
    content: bytes = answer.content
    return content


def run_raw_threads(job: Job) -> int:
    """The floor: httpx on ``concurrency`` threads, each request signed, no processing."""
    import httpx

    url = job.base + ORDERS_PATH
    with httpx.Client(limits=_limits(job.concurrency), timeout=30) as client:
        first = client.get(_signed(url, 1))
        pages = int(first.headers["X-WP-TotalPages"])

        def fetch(page: int) -> int:
            return len(_body(client.get(_signed(url, page))))

        with ThreadPoolExecutor(job.concurrency) as pool:
            fetched = [len(_body(first)), *pool.map(fetch, range(2, pages + 1))]
    check(len(fetched) == pages and all(fetched), "a page came back empty")
    return int(first.headers["X-WP-Total"])


def run_raw_async(job: Job) -> int:
    """The async floor: httpx.AsyncClient, ``concurrency`` signed requests at a time."""
    import httpx

    async def main() -> int:
        url = job.base + ORDERS_PATH
        limit = asyncio.Semaphore(job.concurrency)
        async with httpx.AsyncClient(limits=_limits(job.concurrency), timeout=30) as client:
            first = await client.get(_signed(url, 1))
            pages = int(first.headers["X-WP-TotalPages"])

            async def fetch(page: int) -> int:
                async with limit:
                    return len(_body(await client.get(_signed(url, page))))

            fetched = await asyncio.gather(*(fetch(p) for p in range(2, pages + 1)))
        check(len(fetched) + 1 == pages and all(fetched) and _body(first), "a page came back empty")
        return int(first.headers["X-WP-Total"])

    return asyncio.run(main())


def run_sync_client(job: Job) -> int:
    """``WooClient(base, KEY, SECRET).iter_orders()``, defaults: typed orders."""
    from hikewoo_core.woo import WooClient

    with WooClient(job.base, KEY, SECRET) as client:
        return sum(1 for _ in client.iter_orders())


def run_async_client(job: Job) -> int:
    """``AsyncWooClient(base, KEY, SECRET).iter_orders()``, defaults: typed orders."""
    from hikewoo_core.woo import AsyncWooClient

    async def main() -> int:
        async with AsyncWooClient(job.base, KEY, SECRET) as client:
            count = 0
            async for _ in client.iter_orders():
                count += 1
            return count

    return asyncio.run(main())


def _backfill(job: Job, name: str, ledger: Any) -> int:
    """``Syncer(...).backfill(after, before)``, defaults, over ``WooClient`` into ``FakeHike``."""
    from hikewoo_core import Syncer
    from hikewoo_core.testing import FakeHike
    from hikewoo_core.woo import WooClient

    with WooClient(job.base, KEY, SECRET) as client:
        syncer = Syncer(woo=client, hike=FakeHike(), ledger=ledger)
        report = syncer.backfill(BASE - timedelta(seconds=1), BASE + timedelta(seconds=job.orders))
    processed = {"created": report.created, "failed": report.failed, "done": report.done}
    job.reports.setdefault(name, []).append(processed)
    once = report.created == job.orders and report.failed == 0
    check(once, f"{name}: not every order was created exactly once: {report.explain()}")
    return int(report.created)


def run_syncer_memory(job: Job) -> int:
    """``Syncer.backfill`` with a ``MemoryLedger``."""
    from hikewoo_core import MemoryLedger

    return _backfill(job, SYNCER_MEMORY, MemoryLedger())


def run_syncer_sqlite(job: Job) -> int:
    """``Syncer.backfill`` with a fresh ``SqliteLedger`` on /dev/shm (the job a user runs)."""
    from hikewoo_core import SqliteLedger

    path = job.ledger_path()
    try:
        with SqliteLedger(path) as ledger:
            return _backfill(job, SYNCER_SQLITE, ledger)
    finally:
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()


CONTENDERS: dict[str, Callable[[Job], int]] = {
    PACKAGE: run_woocommerce_package,
    THREADS_FLOOR: run_raw_threads,
    SYNC_CLIENT: run_sync_client,
    ASYNC_FLOOR: run_raw_async,
    ASYNC_CLIENT: run_async_client,
    SYNCER_MEMORY: run_syncer_memory,
    SYNCER_SQLITE: run_syncer_sqlite,
}


def contenders() -> dict[str, Callable[[Job], int]]:
    """The contenders this install can run (the ``woocommerce`` package is optional)."""
    try:
        import woocommerce  # noqa: F401
    except ImportError:  # pragma: no cover - the woocommerce package is in the bench group
        log("the woocommerce package is not installed: its row and the ratios to it are skipped")
        return {name: run for name, run in CONTENDERS.items() if name != PACKAGE}
    return dict(CONTENDERS)


# --- the defaults the library contenders ran with -------------------------------------


def library_defaults() -> dict[str, Any]:
    """The read-ahead and concurrency defaults of this install, as far as they can be read
    (the clients are built, never used: no request is sent)."""
    from hikewoo_core import Syncer
    from hikewoo_core.woo import AsyncWooClient, WooClient

    base = "http://127.0.0.1:9"
    with WooClient(base, KEY, SECRET) as client:
        workers = getattr(client, "concurrency", None)

    async def concurrency() -> Any:
        async with AsyncWooClient(base, KEY, SECRET) as client:
            return getattr(client, "concurrency", None)

    parameter = inspect.signature(Syncer.backfill).parameters.get("concurrency")
    if parameter is None:
        backfill: Any = "no such parameter (sequential)"
    else:
        default = parameter.default
        backfill = default if default is None or isinstance(default, (int, str)) else repr(default)
    return {
        "WooClient.concurrency": workers,
        "AsyncWooClient.concurrency": asyncio.run(concurrency()),
        "Syncer.backfill concurrency": backfill,
    }
