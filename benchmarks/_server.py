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

**Every request is authenticated as WooCommerce does over plain HTTP**: OAuth 1.0a
one-legged, from the query string or an ``Authorization: OAuth`` header, HMAC-SHA256 or
HMAC-SHA1 (``WC_REST_Authentication``). The server checks that the OAuth parameters are
all there, the consumer key, the signature (over the method, ``http://`` + the ``Host``
header + the path as sent, and the query as PHP parses it; compared in constant time),
the timestamp (within 15 minutes of its clock) and the nonce (refused if seen in the
last 15 minutes, for any timestamp: stricter than WooCommerce, which keeps one nonce per
timestamp). A failure is a 401 with WooCommerce's own JSON error; a request with no
OAuth parameters at all is the 401 ``woocommerce_rest_cannot_view`` WooCommerce gives
a request with no user (Basic and ``consumer_key`` query parameters are not read over
plain HTTP). The signature is checked with ``hikewoo_core.testing._woo_oauth_check``,
WooCommerce's PHP ported apart from the library's signer.

``GET /__stats`` (never authenticated, never delayed) answers this process's CPU
seconds, the requests served, the seconds spent verifying signatures and the 401s, so
that the benchmark can show what the server costs and stop when a contender is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import hmac
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _orders import _stamp, docs_example, order_json

from hikewoo_core.testing._woo_oauth_check import (
    expected_signature,
    given_signature,
    php_query,
    string_to_sign,
)

_PATH = "/wp-json/wc/v3/orders"
_STATS = "/__stats"
KEY, SECRET = "ck_benchmark", "cs_benchmark"
_OAUTH = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_WINDOW = 15 * 60
#: ``WC_REST_Authentication::parse_header``'s pattern (from the OAuth PHP library).
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def error_body(code: str, message: str, status: int) -> bytes:
    """A WordPress REST error, as ``wp_json_encode`` writes it."""
    error = {"code": code, "message": message, "data": {"status": status}}
    return json.dumps(error, separators=(",", ":")).encode()


class OAuthCheck:
    """``WC_REST_Authentication::perform_oauth_authentication`` for one API key."""

    def __init__(self, key: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.key, self.secret, self.clock = key, secret, clock
        self._nonces: dict[str, int] = {}
        self._swept = 0.0

    @staticmethod
    def header_params(authorization: str) -> dict[str, str]:
        """``parse_header``: the ``oauth_*`` parameters of an ``Authorization: OAuth`` header."""
        authorization = authorization.strip()
        if not authorization.startswith("OAuth "):
            return {}
        return {
            match[1]: unquote_plus(match[3] or match[4])
            for match in _HEADER_PARAM.finditer(authorization)
        }

    def check(
        self, method: str, site_url: str, raw_query: str, authorization: str
    ) -> tuple[str, str] | None:
        """``None`` when the request is authenticated, else WooCommerce's (code, message)."""
        header = self.header_params(authorization)
        get = php_query(raw_query)
        params = {name: get.get(name) for name in _OAUTH} | header
        missing = [name for name in _OAUTH if not params.get(name)]
        if len(missing) == len(_OAUTH):
            return "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        if missing:
            word = "parameters" if len(missing) > 1 else "parameter"
            message = f"Missing OAuth {word} {', '.join(missing)}"
            return "woocommerce_rest_authentication_missing_parameter", message
        error = "woocommerce_rest_authentication_error"
        oauth = {name: str(params[name]) for name in _OAUTH}  # (an array would not verify)
        if oauth["oauth_consumer_key"] != self.key:
            return error, "Consumer key is invalid."
        signature_method = oauth["oauth_signature_method"]
        if signature_method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return error, "Invalid signature - signature method is invalid."
        text = string_to_sign(method, site_url, raw_query, header)
        expected = expected_signature(text, self.secret, signature_method)
        given = given_signature(oauth["oauth_signature"]).encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(expected.encode(), given):  # constant time, any bytes
            return error, "Invalid signature - provided signature does not match."
        now = int(self.clock())
        try:
            timestamp = int(oauth["oauth_timestamp"])
        except ValueError:
            return error, "Invalid timestamp."
        if not now - _WINDOW <= timestamp <= now + _WINDOW:
            return error, "Invalid timestamp."
        nonce = oauth["oauth_nonce"]
        if now - self._swept >= 60:  # forget nonces older than the window, once a minute
            self._nonces = {n: t for n, t in self._nonces.items() if t >= now - _WINDOW}
            self._swept = now
        if nonce in self._nonces:
            return error, "Invalid nonce - nonce has already been used."
        self._nonces[nonce] = timestamp
        return None


class Stats:
    """What the server has done so far (``GET /__stats``)."""

    def __init__(self) -> None:
        self.requests = 0
        self.auth_seconds = 0.0
        self.unauthorized = 0
        self.last_refusal: str | None = None

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "cpu_seconds": time.process_time(),
                "requests": self.requests,
                "auth_seconds": self.auth_seconds,
                "unauthorized": self.unauthorized,
                "last_refusal": self.last_refusal,
            }
        ).encode()


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
            return 400, error_body("rest_invalid_param", "bad page", 400), 0, 0
        if not 1 <= per_page <= 100 or number < 1:
            return 400, error_body("rest_invalid_param", "bad page", 400), 0, 0
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


class Server:
    """Answers one request at a time per connection (HTTP/1.1 keep-alive)."""

    def __init__(self, store: Store, auth: OAuthCheck, latency: float) -> None:
        self.store, self.auth, self.latency = store, auth, latency
        self.stats = Stats()

    def answer(
        self, method: str, target: str, headers: dict[str, str], host: str
    ) -> tuple[int, bytes, str]:
        """``(status, body, extra headers)`` for one request."""
        url = urlsplit(target)
        path = url.path.rstrip("/")
        if path == _STATS:
            return 200, self.stats.as_json(), ""
        self.stats.requests += 1
        if "wp-json/wc/" in url.path:  # WooCommerce reads API keys on its own routes only
            started = time.process_time()  # CPU, not wall: the machine is shared
            site_url = f"http://{headers.get('host') or host}{url.path}"
            refusal = self.auth.check(method, site_url, url.query, headers.get("authorization", ""))
            self.stats.auth_seconds += time.process_time() - started
            if refusal is not None:
                self.stats.unauthorized += 1
                self.stats.last_refusal = f"{method} {url.path}: {refusal[0]}: {refusal[1]}"
                return 401, error_body(*refusal, 401), ""
        if method == "GET" and path == _PATH:
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            status, body, total, pages = self.store.page(query)
            return status, body, f"X-WP-Total: {total}\r\nX-WP-TotalPages: {pages}\r\n"
        return 404, error_body("rest_no_route", "No route.", 404), ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = "{}:{}".format(*writer.get_extra_info("sockname")[:2])
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                close = headers.get("connection", "").lower() == "close"
                if length:
                    await reader.readexactly(length)
                status, body, extra = self.answer(method, target, headers, host)
                if self.latency and not target.startswith(_STATS):
                    await asyncio.sleep(self.latency)
                writer.write(
                    (
                        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
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
    server = Server(Store(count), OAuthCheck(KEY, SECRET), latency)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=256)
    sock = listening.sockets[0]
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    async with listening:
        await listening.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_main(args.orders, args.latency_ms / 1000, args.port))


if __name__ == "__main__":
    main()
