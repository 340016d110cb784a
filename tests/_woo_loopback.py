"""Helpers for the WooCommerce client tests: mock scripts, a clock, loopback plumbing."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from hikewoo_core._retry import RetryPolicy
from hikewoo_core.testing import FakeClock, FakeWooCommerce

UTC = timezone.utc
T0 = datetime(2026, 11, 27, 2, 8, 10, tzinfo=UTC)
KEY = "ck_0123456789abcdef0123456789abcdef01234567"
SECRET = "cs_TOPSECRET_fedcba9876543210fedcba98765432"
FAST = RetryPolicy(attempts=4, initial=0.5, maximum=5.0, jitter=0.0)
#: The wall clock of loopback tests (client and server agree on it): an hour after T0.
NOW = T0 + timedelta(hours=1)


def wall() -> datetime:
    """The loopback tests' wall clock (OAuth timestamps, lookup windows)."""
    return NOW


class Sleeps:
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def nonces() -> Callable[[], str]:
    """A thread-safe nonce factory: ``n1``, ``n2``, ..."""
    counter = itertools.count(1)
    lock = threading.Lock()

    def make() -> str:
        with lock:
            return f"n{next(counter)}"

    return make


def query(request: httpx.Request) -> list[tuple[str, str]]:
    """The decoded query pairs of a request, in order."""
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def qdict(request: httpx.Request) -> dict[str, str]:
    """The decoded query of a request as a dict (last value wins)."""
    return dict(query(request))


def order_json(order_id: int, modified: datetime | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal order as WooCommerce returns it."""
    stamp = (modified or T0).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "id": order_id,
        "status": "processing",
        "currency": "USD",
        "total": "10.00",
        "date_created_gmt": stamp,
        "date_modified_gmt": stamp,
    }
    body.update(extra)
    return body


def page_response(
    items: list[dict[str, Any]], total: int | None, pages: int | None, link: str | None = None
) -> httpx.Response:
    """A list answer with the paging headers WooCommerce sends."""
    headers: dict[str, str] = {}
    if total is not None:
        headers["X-WP-Total"] = str(total)
    if pages is not None:
        headers["X-WP-TotalPages"] = str(pages)
    if link is not None:
        headers["Link"] = link
    return httpx.Response(200, json=items, headers=headers)


class HttpsToLoopback(httpx.BaseTransport):
    """Send ``https://127.0.0.1:<port>`` requests to the plain-HTTP loopback server.

    Plays the TLS-terminating proxy in front of ``serve_woo(https_terminated=True)``.
    """

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def https_client() -> httpx.Client:
    """A caller-owned client that reaches the loopback server as if over HTTPS."""
    return httpx.Client(transport=HttpsToLoopback(), trust_env=False)


def store(clock: FakeClock | None = None) -> FakeWooCommerce:
    """A fake store on a fake clock (2026-11-27T02:08:10Z)."""
    return FakeWooCommerce(clock=clock or FakeClock(T0))


def body(total: str = "10.00", **extra: Any) -> dict[str, Any]:
    """A create-order body with one line."""
    data: dict[str, Any] = {
        "status": "processing",
        "line_items": [{"product_id": 10, "quantity": 1, "subtotal": total, "total": total}],
    }
    data.update(extra)
    return data


def seed(fake: FakeWooCommerce, count: int, start: datetime = T0, step: int = 1) -> list[int]:
    """``count`` orders modified ``step`` seconds apart from ``start`` (0: the same second)."""
    ids = []
    for n in range(count):
        stamp = (start + timedelta(seconds=n * step)).strftime("%Y-%m-%dT%H:%M:%S")
        ids.append(
            fake.add_order(
                {
                    "status": "processing",
                    "total": "10.00",
                    "date_created_gmt": stamp,
                    "date_modified_gmt": stamp,
                }
            )
        )
    return ids


def path_of(request: httpx.Request) -> str:
    """The request path below ``/wp-json/wc/v3/``."""
    return urlsplit(str(request.url)).path.split("/wc/v3/", 1)[-1]
