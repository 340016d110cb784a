"""A minimal WooCommerce-compatible order list server for the benchmarks (asyncio, loopback).

Run as its own process (so that its work never competes with the client for the GIL)::

    python benchmarks/_server.py --orders 10000 --latency-ms 50

It prints ``PORT <n>`` once listening on 127.0.0.1, then serves until killed.

What it serves: ``GET /wp-json/wc/v3/orders`` with WooCommerce's paging (``page``,
``per_page`` up to 100, ``X-WP-Total``, ``X-WP-TotalPages``), ordering (``order``,
default ``desc``; every ``orderby`` gives the same order here, since order ``i`` is
created and modified at ``BASE + i`` seconds) and date filters (``after``, ``before``,
``modified_after``, ``modified_before``, all exclusive, GMT). Each order is rendered
to JSON once at start-up and each page body once, on first use, so the server is
never the bottleneck. Keep-alive HTTP/1.1; every response waits ``--latency-ms``
first (``asyncio.sleep``, so concurrent requests wait concurrently).

Authentication is **accepted, not verified**: OAuth 1.0a query parameters, Basic
headers and ``consumer_key`` parameters are all ignored. Verifying a signature costs
the server, not the client, so it would not change what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _orders import _stamp, docs_example, order_json

_PATH = "/wp-json/wc/v3/orders"


class Store:
    """Pre-rendered orders and a cache of page bodies."""

    def __init__(self, count: int) -> None:
        template, _ = docs_example()
        self.bodies = [order_json(template, i) for i in range(count)]
        self.stamps = [_stamp(i) for i in range(count)]  # sorted, same for created/modified
        self._pages: dict[tuple[int, int, bool], bytes] = {}

    def page(self, query: dict[str, str]) -> tuple[int, bytes, int, int]:
        """``(status, body, total, total_pages)`` for a list query."""
        try:
            per_page = int(query.get("per_page", "10"))
            number = int(query.get("page", "1"))
        except ValueError:
            return 400, b'{"code":"rest_invalid_param","message":"bad page"}', 0, 0
        if not 1 <= per_page <= 100 or number < 1:
            return 400, b'{"code":"rest_invalid_param","message":"bad page"}', 0, 0
        lo, hi = 0, len(self.stamps)
        for name in ("after", "modified_after"):
            if name in query:
                lo = max(lo, bisect.bisect_right(self.stamps, query[name][:19]))
        for name in ("before", "modified_before"):
            if name in query:
                hi = min(hi, bisect.bisect_left(self.stamps, query[name][:19]))
        total = max(hi - lo, 0)
        pages = -(-total // per_page)
        ascending = query.get("order", "desc") == "asc"
        start = (number - 1) * per_page
        if ascending:
            first, last = lo + start, min(lo + start + per_page, hi)
        else:
            first, last = max(hi - start - per_page, lo), hi - start
        key = (first, last, ascending)
        body = self._pages.get(key)
        if body is None:
            chunk = self.bodies[first:last] if last > first else []
            if not ascending:
                chunk = chunk[::-1]
            body = b"[" + b",".join(chunk) + b"]"
            self._pages[key] = body
        return 200, body, total, pages


async def _handle(
    store: Store, latency: float, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            close = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            if length:
                await reader.readexactly(length)
            url = urlsplit(target)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            if method == "GET" and url.path.rstrip("/") == _PATH:
                status, body, total, pages = store.page(query)
                extra = f"X-WP-Total: {total}\r\nX-WP-TotalPages: {pages}\r\n"
            else:
                status, extra = 404, ""
                body = json.dumps(
                    {"code": "rest_no_route", "message": "No route.", "data": {"status": 404}}
                ).encode()
            if latency:
                await asyncio.sleep(latency)
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
            writer.write(
                (
                    f"HTTP/1.1 {status} {reason}\r\n"
                    "Content-Type: application/json; charset=UTF-8\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
                ).encode()
                + body
            )
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _main(count: int, latency: float, port: int) -> None:
    store = Store(count)
    server = await asyncio.start_server(
        lambda r, w: _handle(store, latency, r, w), "127.0.0.1", port, backlog=256
    )
    sock = server.sockets[0]
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_main(args.orders, args.latency_ms / 1000, args.port))


if __name__ == "__main__":
    main()
