"""Your own ``httpx.Client``, with your own transport, under the WooCommerce client.

``WooClient`` (and ``HikeClient``) take ``client=httpx.Client(...)``: your proxies,
certificates, limits and transports; the library never closes a client it was given.
This example wraps httpx's transport in one that logs and counts every request
(method, path, status, time), in the spirit of httpx's own debugging transports, and
makes the first GET answer a 503 so the log shows the client retrying it (a POST is
never blindly retried: its outcome would be unknown). Over plain HTTP the client signs
each request with OAuth 1.0a in the query string: the log shows the other parameters
only, and keeps whole URLs through ``redact_url``, which hides the signature.

The store is ``FakeWooCommerce().serve()``: the in-memory fake served over real HTTP on
127.0.0.1, checking OAuth signatures as WooCommerce does.

Run it with ``python examples/custom_transport.py``; nothing leaves the machine.
"""

from __future__ import annotations

import time
from collections import Counter

import httpx

from hikewoo_core import redact_url
from hikewoo_core.testing import FakeWooCommerce
from hikewoo_core.woo import WooClient

KEY, SECRET = "ck_demo", "cs_demo"


class LoggingTransport(httpx.BaseTransport):
    """Wraps another transport: logs and counts each request and its answer."""

    def __init__(self, inner: httpx.BaseTransport, *, fail_first_get: int | None = None) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()
        self.urls: list[str] = []
        self._fail_first_get = fail_first_get

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the inner transport (or answer the one injected failure)."""
        started = time.perf_counter()
        if self._fail_first_get is not None and request.method == "GET":
            status, self._fail_first_get = self._fail_first_get, None
            response = httpx.Response(status, request=request)  # as an overloaded proxy might
        else:
            response = self.inner.handle_request(request)
        elapsed = (time.perf_counter() - started) * 1000
        self.counts[f"{request.method} {response.status_code}"] += 1
        self.urls.append(redact_url(str(request.url)))
        params = [f"{k}={v}" for k, v in request.url.params.multi_items() if "oauth_" not in k]
        target = request.url.path + (f"?{'&'.join(params)}" if params else "")
        print(f"   {request.method:<4} {target:<50} -> {response.status_code} ({elapsed:.1f} ms)")
        return response

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


def main() -> None:
    """Create, update and read orders through a logging transport, with one injected 503."""
    shop = FakeWooCommerce()
    transport = LoggingTransport(httpx.HTTPTransport(), fail_first_get=503)
    with (
        shop.serve(consumer_key=KEY, consumer_secret=SECRET) as url,
        httpx.Client(transport=transport, timeout=10) as http,
        WooClient(url, KEY, SECRET, client=http, sleep=lambda _: None) as woo,
    ):
        print(f"WooCommerce served at {url}; requests as the transport sees them:")
        first = woo.get_order(woo.create_order(_order("MUG-001", 2, "25.00")).id)
        woo.create_order(_order("BEANS-1KG", 1, "39.00"))
        woo.update_order(first.id, {"status": "completed"})
        orders = woo.list_orders(status=["completed", "processing"])
        # By id: orders created in the same second come back in any order, as on a store.
        print(f"orders: {sorted((o.id, str(o.status), str(o.total)) for o in orders)}")
    print(f"requests by method and status: {dict(sorted(transport.counts.items()))}")
    print(f"the first URL, as kept: {transport.urls[0]}")
    if any(SECRET in u or "oauth_signature=<redacted>" not in u for u in transport.urls):
        raise SystemExit("a secret leaked into the log")


def _order(sku: str, quantity: int, total: str) -> dict[str, object]:
    line = {"sku": sku, "quantity": quantity, "subtotal": total, "total": total}
    return {"status": "processing", "line_items": [line]}


if __name__ == "__main__":
    main()
