"""A WooCommerce webhook receiver in plain WSGI: verify, de-duplicate, answer 200, sync.

``webhook_app`` is a framework-free WSGI application (serve it with gunicorn, waitress,
mod_wsgi, ...). For each delivery it

1. verifies the signature on the raw body (``verify_woo_webhook``): 401 if forged;
2. de-duplicates through the ledger (``ledger.add_if_new(event.dedup_key)``): real
   stores send two ``order.updated`` per change and repeat delivery ids;
3. answers 200 at once and lets a worker thread call ``Syncer.sync_woo_order``.

When run (``python examples/webhook_receiver.py``), it serves the app on 127.0.0.1 with
``wsgiref`` in a thread, plays WooCommerce with the in-memory fakes, posts the activation
ping, a signed delivery, its duplicate and a forged one to itself with ``urllib``, prints
what happened, and exits. Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from hikewoo_core import (
    PayloadError,
    Syncer,
    SyncReport,
    WebhookSignatureError,
    verify_woo_webhook,
)
from hikewoo_core.testing import FakeHike, FakeWooCommerce

log = logging.getLogger("webhook_receiver")

SECRET = "whsec-example-only"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Submit = Callable[[Callable[[int], SyncReport], int], "Future[SyncReport]"]


def webhook_app(syncer: Syncer, secret: str, submit: Submit) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: ``submit(fn, order_id)`` runs the sync after the answer."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST")])
            return [b""]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = [
            (name[5:].replace("_", "-"), value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        ]
        status, note = "200 OK", "ignored"
        try:
            event = verify_woo_webhook(body, headers, secret)
        except WebhookSignatureError as exc:
            status, note = "401 Unauthorized", f"refused: {exc}"
        except PayloadError as exc:  # signed but unusable: log it, answer 200 all the same
            note = f"unusable: {exc}"
        else:
            if event.is_ping:
                note = "ping answered"
            elif event.resource != "order" or event.order is None:
                note = f"{event.topic}: nothing to sync"
            elif not syncer.ledger.add_if_new(event.dedup_key):
                note = f"{event.topic} for order #{event.order.id}: duplicate, skipped"
            else:
                submit(syncer.sync_woo_order, event.order.id)
                note = f"{event.topic} for order #{event.order.id}: sync queued"
        log.info(note)
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [note.encode()]

    return app


class QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without its access log on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


# Loopback only: no proxy from the environment may stand in between.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``body`` and return the status and the answer's text, errors included."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"this demo posts to loopback only, not {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with OPENER.open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sign(body: bytes, secret: str) -> str:
    """``X-WC-Webhook-Signature`` as WooCommerce computes it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def main() -> None:
    """Serve the receiver on 127.0.0.1, post four deliveries to it, print what happened."""
    woo, hike = FakeWooCommerce(), FakeHike()
    hike.add_product("MUG-001", "Mug", stock=10)
    syncer = Syncer(woo=woo, hike=hike)  # use a SqliteLedger in production
    order_id = woo.add_order(
        {
            "status": "completed",
            "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
            "line_items": [
                {"id": 1, "product_id": 7, "sku": "MUG-001", "quantity": 2, "total": "25.00"}
            ],
        }
    )
    body = json.dumps(woo.get_order(order_id)).encode()  # the order, as the store sends it
    delivery = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Delivery-ID": "b1946ac92492d2347c6235b4d2611184",
        "X-WC-Webhook-Source": "https://shop.example/",
    }
    deliveries = [
        ("activation ping", b"webhook_id=7", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("signed delivery", body, {**delivery, "X-WC-Webhook-Signature": sign(body, SECRET)}),
        ("the same again", body, {**delivery, "X-WC-Webhook-Signature": sign(body, SECRET)}),
        ("forged delivery", body, {**delivery, "X-WC-Webhook-Signature": sign(body, "guess")}),
    ]

    with ThreadPoolExecutor(max_workers=1) as worker:
        app = webhook_app(syncer, SECRET, worker.submit)
        server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/hooks/woocommerce"
            print(f"receiver listening on {url}")
            for name, data, headers in deliveries:
                status, answer = post(url, data, headers)
                print(f"   {name:<16} -> {status} {answer}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    # Leaving the ThreadPoolExecutor waited for the queued sync.

    sales = hike.find_sales_by_reference(f"woo:{order_id}")
    print(f"Hike sales for order #{order_id}: {len(sales)}")
    for sale in sales:
        print(
            f"   {sale.number}: {sale.fulfilment_status.value}/{sale.payment_status.value},"
            f" total {sale.total}, stock of MUG-001 now {hike.stock('MUG-001')}"
        )
    if len(sales) != 1:
        raise SystemExit("a duplicate delivery must not create a second sale")


if __name__ == "__main__":
    main()
