"""Hostile servers: every response bounded, every secret kept, no read without end.

Each test plays a broken proxy, a misconfigured store or an attacker on a real HTTP
server on 127.0.0.1 (:class:`Hostile`, a script per test), and checks what the clients
do with it: a WAF page echoing the request with its credentials, a page served again and
again, a body of hundreds of megabytes, a compressed bomb, a certificate that does not
verify, a plain-HTTP server behind an ``https://`` URL, a caller's client that skips
verification. The webhook test forges the one header WooCommerce does not sign.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import http.server
import itertools
import json
import logging
import pickle
import socket
import ssl
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from hikewoo_core import (
    ApiError,
    HikeWooError,
    OutcomeUnknownError,
    PayloadError,
    ResponseTooLargeError,
    RetriesExhaustedError,
    TransportError,
    UnexpectedResponseError,
)
from hikewoo_core._retry import RetryPolicy
from hikewoo_core.hike import HikeClient
from hikewoo_core.hike._convert import dump_hike
from hikewoo_core.hike._models import HikeProduct
from hikewoo_core.hike._oauth import refresh_tokens
from hikewoo_core.woo import WooClient
from hikewoo_core.woo._client_async import AsyncWooClient

from ._secrets import find_leaks, register_secret
from ._woo_loopback import https_client, order_json

KEY = "ck_hostile_0123456789abcdef0123456789abcdef"
SECRET = register_secret("cs_hostile_9f8e7d6c5b4a39281706f5e4d3c2b1a0ff")
BASIC = register_secret(base64.b64encode(f"{KEY}:{SECRET}".encode()).decode())
ACCESS = register_secret("hike-access-hostile-4f1e9b77aa")
REFRESH = register_secret("hike-refresh-hostile-8c2d0a55bb")
APP_SECRET = register_secret("hike-app-secret-hostile-77e1cc")
MiB = 1024 * 1024
#: No waiting between retries, and few of them.
QUICK = RetryPolicy(attempts=3, initial=0.0, jitter=0.0)


def no_sleep(seconds: float) -> None:
    """Back-off waits, skipped."""


# --- a scriptable hostile server ---------------------------------------------------


class Hostile(http.server.ThreadingHTTPServer):
    """A loopback HTTP server whose answers a test scripts; counts what it sends.

    ``script(handler)`` answers each request (``handler.path``, ``handler.headers``,
    ``handler.send_body(...)``); ``sent`` is how many body bytes reached the socket, so
    a test can tell a body refused unread from one read whole.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Callable[[Handler], None]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.sent = 0
        self.requests: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on a hostile answer is the point: stay quiet."""


class Handler(http.server.BaseHTTPRequestHandler):
    server: Hostile
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self) -> None:
        with self.server.lock:
            self.server.requests.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        try:
            self.server.script(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))

    def send_body(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.count(len(body))

    def count(self, n: int) -> None:
        with self.server.lock:
            self.server.sent += n

    def stream(
        self, status: int, total: int, *, declare: bool, chunk: bytes = b"0" * 65536
    ) -> None:
        """Send ``total`` bytes of ``chunk``s, declared or chunked, until the peer leaves."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if declare:
            self.send_header("Content-Length", str(total))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        left = total
        while left > 0:
            piece = chunk[: min(len(chunk), left)]
            if declare:
                self.wfile.write(piece)
            else:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.count(len(piece))
            left -= len(piece)
        if not declare:
            self.wfile.write(b"0\r\n\r\n")


@contextmanager
def hostile(script: Callable[[Handler], None]) -> Iterator[Hostile]:
    """Serve ``script``; print what it sent (the figures of docs/reliability.md, ``-s``)."""
    server = Hostile(script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        yield server
    finally:
        took = time.perf_counter() - started
        server.shutdown()
        server.server_close()
        print(
            f"\n[hostile] {server.sent / MiB:.2f} MiB sent in {len(server.requests)} "
            f"request(s), {took:.2f} s"
        )


def woo(url: str, **options: Any) -> WooClient:
    options.setdefault("retry", QUICK)
    return WooClient(url, KEY, SECRET, sleep=no_sleep, **options)


def seen_texts(exc: BaseException) -> list[str]:
    """Every text of ``exc`` and its chain a person or a log could see, and its pickle."""
    texts: list[str] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None:
            continue
        texts += [str(current), repr(current), repr(current.args)]
        texts += [repr(v) for v in vars(current).values()]
        texts.append(pickle.dumps(current).decode("latin-1"))
        todo += [current.__cause__, current.__context__, getattr(current, "last_error", None)]
    return texts


# --- 1. secrets echoed in error bodies -----------------------------------------------


def _waf_page(handler: Handler) -> None:
    """A WAF block page that echoes the request line and headers, as many do."""
    echoed = f"{handler.command} {handler.path}\n" + "".join(
        f"{k}: {v}\n" for k, v in handler.headers.items()
    )
    page = f"<html><body><h1>Request blocked</h1><pre>{echoed}</pre></body></html>"
    handler.send_body(403, page.encode(), content_type="text/html")


@pytest.mark.parametrize("mode", ["query", "basic"])
def test_an_error_page_echoing_the_request_keeps_no_secret(mode: str) -> None:
    with hostile(_waf_page) as server, https_client() as http:
        site = server.url.replace("http://", "https://")
        with woo(site, auth_mode=mode, client=http) as client, pytest.raises(ApiError) as caught:
            client.get_order(7)
    exc = caught.value
    assert exc.status == 403
    assert "Request blocked" in str(exc)
    assert "<redacted>" in exc.api_message  # the echo is there, the secret is not
    texts = seen_texts(exc)
    assert not find_leaks(texts), find_leaks(texts)
    assert not [t for t in texts if KEY in t or SECRET in t]
    copy = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    assert (type(copy), copy.status, str(copy)) == (type(exc), exc.status, str(exc))


def test_an_error_page_echoing_the_hike_token_keeps_no_secret() -> None:
    def script(handler: Handler) -> None:
        auth = handler.headers.get("Authorization", "")
        body = {"error": {"message": f"token rejected: {auth}", "details": handler.path}}
        handler.send_body(400, json.dumps(body).encode())

    with hostile(script) as server:
        hike = HikeClient(ACCESS, base_url=server.url + "/api/v1", retry=QUICK, sleep=no_sleep)
        with hike, pytest.raises(ApiError) as caught:
            hike.read_sale(5)
    assert "token rejected: Bearer <redacted>" in str(caught.value)
    assert not find_leaks(seen_texts(caught.value))


def test_a_token_endpoint_repeating_the_refresh_token_keeps_no_secret() -> None:
    def script(handler: Handler) -> None:
        body = {
            "error": "invalid_grant",
            "error_description": f"refresh_token {REFRESH} is not valid for client "
            f"secret {APP_SECRET}",
        }
        handler.send_body(400, json.dumps(body).encode())

    with hostile(script) as server, pytest.raises(ApiError) as caught:
        refresh_tokens("app", APP_SECRET, REFRESH, base=server.url, sleep=no_sleep)
    assert caught.value.code == "invalid_grant"
    assert not find_leaks(seen_texts(caught.value))


# --- 2. paging that never ends -------------------------------------------------------

PAGE = [order_json(n) for n in range(1, 101)]


def _same_page(headers: Callable[[Handler], dict[str, str]]) -> Callable[[Handler], None]:
    def script(handler: Handler) -> None:
        handler.send_body(200, json.dumps(PAGE).encode(), headers(handler))

    return script


def _page(handler: Handler) -> int:
    return int(handler.query.get("page", "1"))


BROKEN_PAGING: dict[str, Callable[[Handler], None]] = {
    # a cache that ignores ?page=, with totals that promise a million pages
    "total-pages-huge": _same_page(
        lambda h: {"X-WP-Total": "99999999", "X-WP-TotalPages": "999999"}
    ),
    # a proxy that strips the paging headers
    "no-headers": _same_page(lambda h: {}),
    # a Link that always points one page on, over the same orders
    "link-one-page-on": _same_page(
        lambda h: {
            "Link": f'<http://127.0.0.1/wp-json/wc/v3/orders?page={_page(h) + 1}>; rel="next"'
        }
    ),
    # new orders on every page, far more of them than X-WP-Total announced
    "more-than-total": lambda h: h.send_body(
        200,
        json.dumps([order_json(_page(h) * 1000 + n) for n in range(100)]).encode(),
        {"X-WP-Total": "150", "X-WP-TotalPages": "999999"},
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_PAGING))
def test_a_page_served_forever_stops_the_read_naming_the_page(broken: str) -> None:
    with hostile(BROKEN_PAGING[broken]) as server, woo(server.url) as client:
        read = itertools.islice(client.iter_orders(), 5_000)
        with pytest.raises(UnexpectedResponseError) as caught:
            for _ in read:
                pass
    assert caught.value.where == "page 2"
    assert "page 2" in str(caught.value)
    # Stopped at once: the first page, the window, and the pages the read-ahead starts as
    # pages arrive (an arrived page no longer holds a place, so the next is asked for
    # before it is parsed: at most two such while page 2 is checked). Seen under load:
    # 11 with a window of 8.
    assert len(server.requests) <= 1 + client.concurrency + 2


def test_the_async_client_stops_the_same_way() -> None:
    async def read(url: str) -> int:
        n = 0
        async with AsyncWooClient(url, KEY, SECRET, retry=QUICK) as client:
            async for _ in client.iter_orders():
                n += 1
                if n >= 5_000:
                    break
        return n

    with (
        hostile(BROKEN_PAGING["no-headers"]) as server,
        pytest.raises(UnexpectedResponseError, match="page 2"),
    ):
        asyncio.run(read(server.url))


def test_hike_paging_that_ignores_skip_count_stops() -> None:
    products = [dump_hike(HikeProduct(id=n, sku=f"S{n}")) for n in range(1, 11)]

    def script(handler: Handler) -> None:
        body = {"totalCount": 10**9, "items": products}
        handler.send_body(200, json.dumps(body).encode())

    with hostile(script) as server:
        hike = HikeClient(ACCESS, base_url=server.url + "/api/v1", page_size=10, sleep=no_sleep)
        with hike, pytest.raises(UnexpectedResponseError) as caught:
            for _ in itertools.islice(hike.iter_products(), 5_000):
                pass
    assert "skip_count=10" in str(caught.value)


def test_hike_paging_past_its_total_stops() -> None:
    def script(handler: Handler) -> None:
        skip = int(handler.query.get("skip_count", handler.query.get("SkipCount", "0")))
        items = [dump_hike(HikeProduct(id=skip + n, sku=f"S{skip + n}")) for n in range(10)]
        handler.send_body(200, json.dumps({"totalCount": 15, "items": items}).encode())

    with hostile(script) as server:
        hike = HikeClient(ACCESS, base_url=server.url + "/api/v1", page_size=10, sleep=no_sleep)
        with hike, pytest.raises(UnexpectedResponseError, match="more than the 15"):
            list(itertools.islice(hike.iter_products(), 5_000))


def test_tied_orders_read_by_offset_are_each_read_once() -> None:
    """A fair server whose tied rows come back shuffled: ordered by id, nothing repeats
    and nothing is lost (by date, offset paging over ties would do both)."""
    from hikewoo_core.testing import FakeWooCommerce

    fake = FakeWooCommerce()
    for _ in range(30):
        fake.add_order({"status": "processing", "total": "1.00"})  # all in one second
    with (
        fake.serve(consumer_key=KEY, consumer_secret=SECRET) as url,
        WooClient(url, KEY, SECRET) as client,
    ):
        ids = [order.id for order in client.iter_orders(per_page=7)]
    assert len(set(ids)) == len(ids) == 30


# --- 3. bodies without a size limit --------------------------------------------------


def test_a_declared_huge_body_is_refused_before_it_is_read() -> None:
    declared = 100 * MiB  # over the 64 MiB default

    with (
        hostile(lambda h: h.stream(200, declared, declare=True)) as server,
        woo(server.url) as client,
        pytest.raises(ResponseTooLargeError) as caught,
    ):
        client.get_order(1)
    assert caught.value.declared == declared
    assert caught.value.status == 200
    assert server.sent < 16 * MiB  # socket buffers at most: the body was not read


@pytest.mark.parametrize("declare", [False, True])
def test_a_streamed_huge_body_is_cut_off_at_the_limit(declare: bool) -> None:
    with (
        hostile(lambda h: h.stream(200, 400 * MiB, declare=declare)) as server,
        woo(server.url, max_response_bytes=MiB) as client,
        pytest.raises(ResponseTooLargeError) as caught,
    ):
        client.get_order(1)
    assert caught.value.limit == MiB
    assert server.sent < 32 * MiB


def test_a_compressed_bomb_is_refused_as_it_inflates() -> None:
    bomb = gzip.compress(b"0" * (200 * MiB), compresslevel=9)  # about 200 KB on the wire

    def script(handler: Handler) -> None:
        handler.send_body(200, bomb, {"Content-Encoding": "gzip"})

    with (
        hostile(script) as server,
        woo(server.url, max_response_bytes=4 * MiB) as client,
        pytest.raises(ResponseTooLargeError),
    ):
        client.get_order(1)


def test_an_error_body_is_read_only_as_far_as_it_is_kept() -> None:
    with (
        hostile(lambda h: h.stream(400, 100 * MiB, declare=True)) as server,
        woo(server.url) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.get_order(1)
    assert caught.value.status == 400
    assert len(caught.value.api_message) <= 501
    assert server.sent < 16 * MiB


def test_hike_bodies_are_bounded_too() -> None:
    with hostile(lambda h: h.stream(200, 10 * MiB, declare=False)) as server:
        hike = HikeClient(
            ACCESS, base_url=server.url + "/api/v1", max_response_bytes=MiB, sleep=no_sleep
        )
        with hike, pytest.raises(ResponseTooLargeError):
            hike.read_sale(1)


def test_a_body_within_the_limit_is_read_as_before() -> None:
    order = json.dumps(order_json(9)).encode()
    gz = gzip.compress(order)

    def script(handler: Handler) -> None:
        handler.send_body(200, gz, {"Content-Encoding": "gzip"})

    with hostile(script) as server, woo(server.url, max_response_bytes=len(order)) as client:
        assert client.get_order(9).id == 9


# --- 5. TLS ------------------------------------------------------------------------------


def test_a_client_that_does_not_verify_certificates_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="hikewoo_core")
    unsafe: Any = False  # what a caller passes to skip verification
    with httpx.Client(verify=unsafe) as unverified, httpx.Client() as verified:
        WooClient("https://shop.example", KEY, SECRET, client=unverified)
        WooClient("https://shop.example", KEY, SECRET, client=unverified)
        HikeClient(ACCESS, client=unverified)
        WooClient("https://shop.example", KEY, SECRET, client=verified)
        WooClient("http://shop.example", KEY, SECRET, client=httpx.Client(verify=unsafe))
    warnings = [r for r in caplog.records if "verify=False" in r.getMessage()]
    assert len(warnings) == 1
    assert "WooClient" in warnings[0].getMessage()
    assert SECRET not in caplog.text


def test_an_https_url_pointed_at_a_plain_http_server_fails_at_once() -> None:
    waits: list[float] = []
    with hostile(lambda h: h.send_body(200, b"[]")) as server:
        site = server.url.replace("http://", "https://")
        client = WooClient(site, KEY, SECRET, sleep=waits.append)
        started = time.monotonic()
        with client, pytest.raises(TransportError) as caught:
            client.get_order(1)
    assert type(caught.value) is TransportError  # not RetriesExhaustedError
    assert waits == []
    assert time.monotonic() - started < 5
    assert "plain-HTTP" in str(caught.value)
    assert not find_leaks(seen_texts(caught.value))


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[str, Any]]:
    """A loopback HTTPS server whose certificate comes from a throw-away CA."""
    trustme = pytest.importorskip("trustme", reason="trustme is in the tests group")
    ca = trustme.CA()
    server = Hostile(lambda h: h.send_body(200, json.dumps(order_json(3)).encode()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca
    finally:
        server.shutdown()
        server.server_close()


def test_a_certificate_that_does_not_verify_fails_at_once(tls_server: tuple[str, Any]) -> None:
    url, ca = tls_server
    waits: list[float] = []
    with (
        WooClient(url, KEY, SECRET, sleep=waits.append) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.get_order(3)
    assert type(caught.value) is TransportError
    assert waits == []
    assert "certificate did not verify" in str(caught.value)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with (
        httpx.Client(verify=context) as trusting,
        WooClient(url, KEY, SECRET, client=trusting) as ok,
    ):
        assert ok.get_order(3).id == 3  # the same server, trusted: the set-up is sound


@contextmanager
def stalling_tls_server(ca: Any) -> Iterator[tuple[str, list[int]]]:
    """A trusted TLS server that sends the headers and part of the body, then stalls."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    hits: list[int] = []
    stop = threading.Event()

    def handle(raw: socket.socket) -> None:
        with suppress(OSError), context.wrap_socket(raw, server_side=True) as conn:
            conn.recv(65536)
            hits.append(1)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1,")
            stop.wait(5)

    def accept() -> None:
        with suppress(OSError):
            while not stop.is_set():
                raw, _ = listener.accept()
                threading.Thread(target=handle, args=(raw,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}", hits
    finally:
        stop.set()
        listener.close()


def test_an_https_timeout_is_retried_not_taken_for_a_tls_failure(
    tls_server: tuple[str, Any],
) -> None:
    """asyncio raises a TLS read timeout inside ``except ssl.SSLWantReadError``: that
    context must not make a timeout look like a certificate or handshake failure."""
    _, ca = tls_server
    trust = ssl.create_default_context()
    ca.configure_trust(trust)

    async def nap(seconds: float) -> None:
        await asyncio.sleep(0)

    async def attempt(url: str, create: bool) -> BaseException:
        http = httpx.AsyncClient(verify=trust, timeout=0.3)
        client = AsyncWooClient(url, KEY, SECRET, client=http, retry=QUICK, sleep=nap)
        async with http, client:
            try:
                if create:
                    await client.create_order({"status": "pending"})
                else:
                    await client.get_order(1)
            except HikeWooError as exc:
                return exc
        raise AssertionError("no error")

    with stalling_tls_server(ca) as (url, hits):
        read = asyncio.run(attempt(url, create=False))
        assert isinstance(read, RetriesExhaustedError)
        assert len(hits) == 3
        hits.clear()
        write = asyncio.run(attempt(url, create=True))
        assert isinstance(write, OutcomeUnknownError)  # not sent again, looked up instead
        assert len(hits) == 1


def test_the_async_client_fails_at_once_on_tls_failures(tls_server: tuple[str, Any]) -> None:
    url, _ = tls_server
    waits: list[float] = []

    async def nap(seconds: float) -> None:
        waits.append(seconds)

    async def get(site: str) -> BaseException:
        async with AsyncWooClient(site, KEY, SECRET, sleep=nap) as client:
            try:
                await client.get_order(3)
            except HikeWooError as exc:
                return exc
        raise AssertionError("no error")

    untrusted = asyncio.run(get(url))
    with hostile(lambda h: h.send_body(200, b"[]")) as server:
        plain = asyncio.run(get(server.url.replace("http://", "https://")))
    assert type(untrusted) is TransportError
    assert "certificate did not verify" in str(untrusted)
    assert type(plain) is TransportError
    assert "plain-HTTP" in str(plain)
    assert waits == []


def test_a_trimmed_listing_without_ids_is_not_taken_for_a_repeated_page() -> None:
    from hikewoo_core.testing import FakeWooCommerce

    fake = FakeWooCommerce()
    for _ in range(250):
        fake.add_order({"status": "processing", "total": "1.00"})
    with (
        fake.serve(consumer_key=KEY, consumer_secret=SECRET) as url,
        WooClient(url, KEY, SECRET) as client,
    ):
        rows = list(client.iter_order_fields(["status"]))
    assert len(rows) == 250
    assert rows[0] == {"status": "processing"}


def test_orders_created_while_pages_are_read_do_not_look_like_a_repeat() -> None:
    """A busy store: a page's worth of new orders between two page reads. Read newest
    first, every page would repeat the one before; read by id ascending, none does."""
    from hikewoo_core.testing import FakeWooCommerce

    fake = FakeWooCommerce()
    for _ in range(20):
        fake.add_order({"status": "processing", "total": "1.00"})
    seen: list[int] = []
    with (
        fake.serve(consumer_key=KEY, consumer_secret=SECRET) as url,
        WooClient(url, KEY, SECRET, concurrency=1) as client,
    ):
        for order in client.iter_orders(per_page=5):
            seen.append(order.id)
            if len(seen) % 5 == 0 and len(seen) <= 20:
                for _ in range(5):
                    fake.add_order({"status": "processing", "total": "1.00"})
    assert seen[:20] == list(range(1, 21))
    assert len(set(seen)) == len(seen)


def test_a_compressed_bomb_is_inflated_in_bounded_memory() -> None:
    """httpx inflates a whole network chunk at once (64 KiB of this bomb is 64 MiB): the
    client inflates gzip and deflate itself, never more than the limit at a time."""
    bomb = gzip.compress(b"0" * (200 * MiB), compresslevel=9)

    def script(handler: Handler) -> None:
        handler.send_body(200, bomb, {"Content-Encoding": "gzip"})

    with hostile(script) as server, woo(server.url, max_response_bytes=MiB) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                client.get_order(1)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 * MiB, f"{peak / MiB:.0f} MiB"


@pytest.mark.parametrize("form", ["zlib", "raw"])
def test_deflate_bodies_with_and_without_a_zlib_header_are_read(form: str) -> None:
    order = json.dumps(order_json(9)).encode()
    if form == "zlib":
        encoded = zlib.compress(order)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        encoded = packer.compress(order) + packer.flush()

    def script(handler: Handler) -> None:
        handler.send_body(200, encoded, {"Content-Encoding": "deflate"})

    with hostile(script) as server, woo(server.url) as client:
        assert client.get_order(9).id == 9


def test_a_too_large_answer_to_a_create_is_an_unknown_outcome() -> None:
    """The server performed the create (201) and its answer is over the limit: the write
    happened, its result is unknown, so the caller looks it up instead of sending again."""
    with (
        hostile(lambda h: h.stream(201, 100 * MiB, declare=True)) as server,
        woo(server.url) as client,
        pytest.raises(OutcomeUnknownError) as caught,
    ):
        client.create_order({"status": "pending"})
    assert isinstance(caught.value.__cause__, ResponseTooLargeError)
    assert len(server.requests) == 1


# --- secrets echoed in answers that parse, or only once decoded -----------------------


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def test_a_secret_written_with_json_escapes_is_scrubbed_once_decoded() -> None:
    """The raw body holds no secret; ``json.loads`` writes it back."""

    def script(handler: Handler) -> None:
        text = (
            f'{{"code": "denied", "message": "bad key {_escaped(SECRET)}",'
            f' "data": {{"status": 403, "echo": "{_escaped(SECRET)}"}}}}'
        )
        handler.send_body(403, text.encode())

    with hostile(script) as server, woo(server.url) as client, pytest.raises(ApiError) as caught:
        client.get_order(1)
    assert caught.value.api_message == "bad key <redacted>"
    assert caught.value.data == {"status": 403, "echo": "<redacted>"}
    assert not find_leaks(seen_texts(caught.value))


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: "".join(f"&#{ord(c)};" for c in t),  # HTML decimal references
        lambda t: "".join(f"&#x{ord(c):x};" for c in t),  # HTML hex references
        lambda t: "".join(f"%{ord(c):02X}" for c in t),  # every character percent-encoded
    ],
    ids=["html-decimal", "html-hex", "percent-every-character"],
)
def test_a_secret_echoed_in_an_encoding_of_its_own_is_scrubbed(
    encode: Callable[[str], str],
) -> None:
    """An error page may echo the request in whatever encoding its template uses; a
    secret written as character references or percent-encoded letters is a secret."""

    def script(handler: Handler) -> None:
        page = f"<html><body>blocked: consumer_secret={encode(SECRET)}</body></html>"
        handler.send_body(403, page.encode(), content_type="text/html")

    with hostile(script) as server, woo(server.url) as client, pytest.raises(ApiError) as caught:
        client.get_order(1)
    assert "consumer_secret=<redacted>" in str(caught.value)
    texts = seen_texts(caught.value)
    assert not [t for t in texts if SECRET in t or encode(SECRET) in t]


def test_an_echoed_secret_in_an_order_is_not_quoted_by_the_payload_error() -> None:
    """A 2xx body that fails to parse: the error quotes the offending value (its first
    37 characters), which must not be the consumer secret, nor most of it."""
    order = {**order_json(1), "total": SECRET}
    with (
        hostile(lambda h: h.send_body(200, json.dumps(order).encode())) as server,
        woo(server.url) as client,
        pytest.raises(PayloadError) as caught,
    ):
        client.get_order(1)
    assert caught.value.paths == ("$.total",)
    assert SECRET[:12] not in str(caught.value)
    assert not find_leaks(seen_texts(caught.value))


def test_a_batch_item_error_echoing_a_secret_is_scrubbed_and_cut() -> None:
    def script(handler: Handler) -> None:
        error = {"code": "bad", "message": f"bad {SECRET} " + "x" * 5000, "data": {"k": SECRET}}
        handler.send_body(200, json.dumps({"update": [{"id": 1, "error": error}]}).encode())

    with hostile(script) as server, woo(server.url) as client:
        result = client.batch_update_orders([{"id": 1, "status": "completed"}])
    [item] = result.items
    assert item.error is not None
    assert len(item.error.api_message) <= 501
    assert item.error.data == {"k": "<redacted>"}
    assert not find_leaks(seen_texts(item.error))


def test_a_hike_answer_echoing_the_token_keeps_it_out_of_the_records_and_errors() -> None:
    def script(handler: Handler) -> None:
        body = {"totalCount": 1, "items": [{"id": f"echo {ACCESS}", "sku": "S1"}]}
        handler.send_body(200, json.dumps(body).encode())

    with hostile(script) as server:
        hike = HikeClient(ACCESS, base_url=server.url + "/api/v1", sleep=no_sleep)
        with hike, pytest.raises(PayloadError) as caught:
            list(hike.iter_products())
    assert "echo <redacted>" in str(caught.value)
    assert not find_leaks(seen_texts(caught.value))
