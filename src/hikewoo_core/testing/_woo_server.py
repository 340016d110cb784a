"""A loopback HTTP server that serves a :class:`FakeWooCommerce` as WooCommerce's REST API v3.

Standard library only (``http.server.ThreadingHTTPServer`` on ``127.0.0.1``, a free
port, a background thread); no httpx. :func:`serve_woo` yields the site address
``http://127.0.0.1:<port>``; the API lives under ``/wp-json/wc/v3/`` (and, for
application passwords, ``/index.php?rest_route=/wc/v3/...``). It authenticates as
WooCommerce does (:mod:`._woo_server_auth`), answers with the real error bodies and
headers (:mod:`._woo_api`), and injects the failures of a
:class:`~hikewoo_core.testing.FaultPlan`. Requests are handled
concurrently; the store itself is locked per request. A gateway timeout with a late
commit (``HttpFault.commit_after``) answers at once and performs the request later on
a background thread, as the same request would be (authentication included); leaving
the ``with`` block performs the late commits still pending and waits for them.

Example::

    with serve_woo(FakeWooCommerce()) as url:
        with WooClient(url, "ck_test", "cs_test") as woo:  # OAuth 1.0a over http
            woo.list_orders()
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import attrs

from .._datetimes import checked_clock
from .._errors import ApiError, PayloadError
from .._redact import redact_url
from ..woo._php_query import php_get, query_pairs
from ._clock import Clock
from ._fault_plan import FaultPlan, LateCommits, gateway_page
from ._faults import HttpFault, HttpFaults
from ._loopback import read_body, write_answer
from ._woo import FakeWooCommerce
from ._woo_api import Reply, WooApi, error_reply
from ._woo_server_auth import WooServerAuth

__all__ = ["serve_woo"]

log = logging.getLogger("hikewoo_core.testing.woo_server")
_DROP = Reply(0, None)
_CRITICAL = ApiError(
    500,
    "internal_server_error",
    "<p>There has been a critical error on this website.</p>",
    {"status": 500},
)


def _fault_reply(fault: HttpFault) -> Reply:
    if fault.drop:
        return _DROP
    if fault.commit_after is not None and fault.body is None:  # the gateway answers
        headers = {"Content-Type": "text/html", **fault.headers}
        return Reply(fault.status, gateway_page(fault.status), headers)
    body: Any = fault.body
    if body is None:
        body = {
            "code": "injected_fault",
            "message": f"HTTP {fault.status}",
            "data": {"status": fault.status},
        }
    return Reply(fault.status, body, dict(fault.headers))


@attrs.frozen
class _Incoming:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    route: str = ""
    key_route: bool = True
    base: str = ""


class _Server:
    """Everything a request needs: the store, its lock, auth, faults, the site address."""

    def __init__(
        self,
        fake: FakeWooCommerce,
        auth: WooServerAuth,
        faults: HttpFaults,
        home: str,
        stopping: threading.Event,
    ) -> None:
        self.api, self.auth, self.faults = WooApi(fake), auth, faults
        self.fake, self.home, self.stopping = fake, home, stopping
        self.lock = threading.RLock()
        self.late = LateCommits("serve_woo late commits")

    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        plan = self.faults if isinstance(self.faults, FaultPlan) else None
        if plan is not None:
            plan.record(method, path, query)
        get = php_get(query_pairs(query))
        if path.startswith("/wp-json/"):
            route, key_route, base = path[len("/wp-json") :], True, self.home + path
        elif path in ("/", "/index.php") and isinstance(get.get("rest_route"), str):
            route, key_route, base = str(get["rest_route"]), False, self.home + "/index.php"
        else:
            return Reply(
                404, {"code": "rest_no_route", "message": "Not found.", "data": {"status": 404}}
            )
        if plan is not None:
            self.stopping.wait(plan.delay(method, route))
            callbacks = plan.callbacks(method, route)
            if callbacks:
                with self.lock:
                    for callback in callbacks:
                        callback()
        fault = self.faults.take(method, route)
        request = _Incoming(method, path, query, headers, body, route, key_route, base)
        if fault is not None and not fault.after:
            self.stopping.wait(fault.stall)
            if fault.commit_after is not None:  # the origin goes on with it
                self.late.add(fault.commit_after, lambda: self._commit_late(request))
            return _fault_reply(fault)
        reply = self._authorized(request)
        if plan is not None and reply.status == 201 and plan.draft(method, route):
            reply = self._leave_draft(reply)
        if fault is None:
            return reply
        self.stopping.wait(fault.stall)
        return _fault_reply(fault)

    def _authorized(self, r: _Incoming) -> Reply:
        method, route = r.method, r.route
        outcome = self.auth.check(
            method, self.home + r.path, r.query, r.headers, key_route=r.key_route
        )
        if outcome.error is not None:
            extra = (
                {"WWW-Authenticate": outcome.www_authenticate} if outcome.www_authenticate else {}
            )
            return error_reply(outcome.error, extra)
        found = self.api.route(method, route.rstrip("/") or route)
        if found is None:
            message = "No route was found matching the URL and request method."
            return error_reply(ApiError(404, "rest_no_route", message, {"status": 404}))
        permission, handler = found
        if outcome.user is None:
            return error_reply(self.api.permission_error(permission))
        try:
            data = self.api.decode(r.body) if method in ("POST", "PUT", "PATCH") else None
            get = php_get(query_pairs(r.query))
            with self.lock:
                return handler(get, data, r.base)
        except ApiError as exc:
            return error_reply(exc)
        except PayloadError as exc:
            return error_reply(ApiError(400, "rest_invalid_param", str(exc), {"status": 400}))
        except NotImplementedError as exc:
            return error_reply(ApiError(501, "not_implemented", str(exc), {"status": 501}))
        except Exception:  # the fake broke: answer like a PHP fatal error, log it for the test
            log.exception("loopback WooCommerce failed on %s %s", method, route)
            return error_reply(_CRITICAL)

    def _commit_late(self, r: _Incoming) -> None:
        """Perform a request the gateway already answered for; its answer goes nowhere."""
        reply = self._authorized(r)
        code = reply.body.get("code") if isinstance(reply.body, dict) else None
        outcome = "lost" if reply.status >= 400 else "performed"
        log.debug("late %s %s %s: HTTP %d %s", r.method, r.route, outcome, reply.status, code)

    def _leave_draft(self, reply: Reply) -> Reply:
        order_id = reply.body["id"]
        with self.lock:
            self.fake.set_status(order_id, "checkout-draft")
        data = {"status": 400, "new_draft_order_id": order_id}
        error = ApiError(400, "woocommerce_rest_invalid_coupon", 'Coupon "x" does not exist!', data)
        return error_reply(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "loopback-woocommerce"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    timeout = 10
    state: _Server

    def log_message(self, format: str, *args: Any) -> None:
        shown = tuple(redact_url(a) if isinstance(a, str) else a for a in args)
        log.debug("%s " + format, self.address_string(), *shown)

    def _handle(self) -> None:
        headers = dict(self.headers.items())
        reply = self.state.answer(self.command, self.path, headers, read_body(self))
        if reply is _DROP:
            self.close_connection = True  # read the request, answer nothing
            return
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        content_type = "application/json; charset=UTF-8"
        write_answer(self, reply.status, reply.headers, data, content_type=content_type)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


@contextmanager
def serve_woo(
    fake: FakeWooCommerce,
    *,
    consumer_key: str = "ck_test",
    consumer_secret: str = "cs_test",  # noqa: S107 - a test server's default
    https_terminated: bool = False,
    faults: FaultPlan | HttpFaults | Iterable[HttpFault] | None = None,
    clock: Clock | None = None,
    app_passwords: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Serve ``fake`` on loopback; yields the site address ``http://127.0.0.1:<port>``.

    Over plain HTTP only OAuth 1.0a is accepted (Basic and query keys are ignored, as
    by WooCommerce). ``https_terminated=True`` plays a site behind a TLS-terminating
    proxy that tells PHP (``is_ssl()``): Basic, query keys and ``app_passwords``
    (``{user: application password}``) work, and OAuth signatures use ``https://``.
    The server itself still speaks plain HTTP: point an ``https://127.0.0.1:<port>``
    client at it through a transport that rewrites the scheme. ``clock`` (a callable
    returning an aware datetime; default: the store's own clock, as on a real server)
    checks OAuth timestamps: a client signing with another clock more than 15 minutes
    apart is refused, as WooCommerce refuses it. ``faults`` are injected per request; on
    leaving the ``with`` block, late commits still pending (``HttpFault.commit_after``)
    are performed at once and waited for, so the store's end state is settled.
    """
    stopping = threading.Event()
    queue = faults if isinstance(faults, HttpFaults) else HttpFaults(faults or ())
    # Checked before the socket opens: a naive clock leaves nothing behind.
    server_clock = (
        fake._stamper.clock_now
        if clock is None
        else checked_clock(clock, "the server's clock time")
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = httpd.server_address[1]
    home = f"{'https' if https_terminated else 'http'}://127.0.0.1:{port}"
    auth = WooServerAuth(
        consumer_key,
        consumer_secret,
        https=https_terminated,
        clock=server_clock,
        app_passwords=app_passwords,
    )
    state = _Server(fake, auth, queue, home, stopping)
    httpd.RequestHandlerClass = type("WooHandler", (_Handler,), {"state": state})
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        state.late.close()
