"""A loopback HTTP server that serves a :class:`FakeHike` as Hike's REST API (stdlib only).

:func:`serve_hike` runs :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1``
(a free port) in a thread and yields the API base URL (``http://127.0.0.1:<port>/api/v1``);
the OAuth2 endpoints hang from the host root (``/oauth/authorize``, ``/oauth/token``),
as at Hike. Paths and names come from :mod:`hikewoo_core.hike._schema`, so the server
speaks what the client assumes; it checks bearer tokens (expiring by ``clock``),
pages lists as ``{totalCount, items}`` and answers a ``page_size`` outside 1 to 500
with HTTP 500 and a message, as Hike does. Refused operations (a
:class:`~hikewoo_core.RuleViolation` from the fake) are answered 500 with the message.
:class:`~hikewoo_core.testing.HttpFault` injects 401, 429 with
``Retry-After``, 5xx, or a dropped connection, before or after the write, or a
gateway's 504 while the origin commits the write later (``commit_after``: performed on
a background thread as the request would be, token check included); a
:class:`~hikewoo_core.testing.FaultPlan` adds scripted rules, slow
answers, callbacks and a request log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from .._datetimes import UTC, assume_utc, checked_clock
from .._errors import ApiError, HikeWooError, RuleViolation
from .._mapping import HikeStatus
from ..hike._convert import dump_hike, parse_hike
from ..hike._models import FulfilmentStatus, HikePayment, HikeSaleDraft, PaymentStatus
from ..hike._schema import (
    ENDPOINTS,
    FIELDS,
    FULFILMENT_CODES,
    MAX_PAGE_SIZE,
    PARAMS,
    PAYMENT_CODES,
)
from ._clock import Clock
from ._fault_plan import FaultPlan, LateCommits, gateway_page
from ._faults import HttpFault, HttpFaults
from ._hike import FakeHike
from ._hike_server_auth import Answer, TokenBook, error, param
from ._loopback import read_body, write_answer

__all__ = ["serve_hike"]

E = TypeVar("E", bound=Enum)
log = logging.getLogger("hikewoo_core.testing.hike_server")

API_PREFIX = "/api/v1"
_SALE = FIELDS["HikeSale"]
_PAGING = PARAMS["paging"]
_DROP = object()


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise error(400, f"not a date-time: {value!r}") from None
    return assume_utc(parsed)


def _int(value: object, what: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise error(400, f"{what} must be an integer") from None


def _enum(cls: type[E], codes: Mapping[int, str], value: object) -> E:
    name = codes.get(value) if type(value) is int else value
    for member in cls:
        if isinstance(name, str) and member.value.lower() == name.lower():
            return member
    raise error(400, f"unknown {cls.__name__} {value!r}")


@attrs.frozen
class _Request:
    """A request as the app routes it: the path without its query, which is parsed."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


class _HikeApp:
    """Routes requests to the fake; no sockets (the handler below does the I/O)."""

    def __init__(self, fake: FakeHike, book: TokenBook, faults: HttpFaults) -> None:
        self.fake, self.book, self.faults = fake, book, faults
        self.lock = threading.Lock()
        self.late = LateCommits("serve_hike late commits")
        ep = {op: (e.method, API_PREFIX + e.path) for op, e in ENDPOINTS.items()}
        sale_id = PARAMS["read_sale"]["id"].key
        closure_id = PARAMS["read_register_closure"]["id"].key
        email = PARAMS["find_customer"]["email"].key
        sku = PARAMS["product_by_sku"]["sku"].key
        self.routes: dict[tuple[str, str], Callable[[dict[str, list[str]], Any], Any]] = {
            ep["list_sales"]: self.list_sales,
            ep["read_sale"]: lambda q, b: self.fake.read_sale(_int(_q(q, sale_id), sale_id)),
            ep["create_sale"]: self.create_or_update,
            ep["create_refund_sale"]: self.create_or_update,
            ep["update_sale_status"]: self.create_or_update,
            ep["set_serial_numbers"]: self.serial_numbers,
            ep["find_customer"]: lambda q, b: self.found(self.fake.find_customer(_q(q, email))),
            ep["product_by_sku"]: lambda q, b: self.found(self.fake.find_product(_q(q, sku))),
            ep["read_register_closure"]: lambda q, b: self.fake.read_register_closure(
                _int(_q(q, closure_id), closure_id)
            ),
            ep["list_products"]: lambda q, b: self.page(q, self.listing("products")),
            ep["list_register_closures"]: self.list_closures,
            ep["list_outlets"]: lambda q, b: self.page(q, self.listing("outlets"), paged=False),
        }

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/"), parse_qs(parts.query, keep_blank_values=True)
        request = _Request(method, path, query, headers, body)
        plan = self.faults if isinstance(self.faults, FaultPlan) else None
        if plan is not None:
            plan.record(method, path, parts.query)
            wait = plan.delay(method, path)
            if wait > 0:
                time.sleep(wait)
        with self.lock:
            for callback in plan.callbacks(method, path) if plan is not None else ():
                callback()
            fault = self.faults.take(method, path)
            if fault is None or fault.after:
                try:
                    status, extra, answer = 200, {}, self.route(request)
                except Answer as exc:
                    status, extra, answer = exc.status, exc.headers, exc.body
            if fault is None:
                return status, extra, answer
        if fault.stall > 0:
            time.sleep(fault.stall)  # the store is not locked meanwhile
        if fault.commit_after is not None:  # the gateway gave up; the origin goes on
            self.late.add(fault.commit_after, lambda: self.commit_late(request))
        return self.fault(fault)

    def commit_late(self, request: _Request) -> None:
        """Perform a request the gateway already answered for; its answer goes nowhere."""
        method, path = request.method, request.path
        with self.lock:
            try:
                self.route(request)
            except Answer as exc:
                error = exc.body.get("error") if isinstance(exc.body, dict) else None
                message = error.get("message") if isinstance(error, dict) else None
                log.debug("late %s %s lost: HTTP %d %s", method, path, exc.status, message)
                return
        log.debug("late %s %s performed", method, path)

    @staticmethod
    def fault(fault: HttpFault) -> tuple[int, dict[str, str], Any]:
        if fault.drop:
            return 0, {}, _DROP
        if fault.commit_after is not None and fault.body is None:  # the gateway answers
            headers = {"Content-Type": "text/html", **fault.headers}
            return fault.status, headers, gateway_page(fault.status)
        headers = dict(fault.headers)
        if fault.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
        body = fault.body if fault.body is not None else {"error": {"message": "injected fault"}}
        return fault.status, headers, body

    def route(self, request: _Request) -> Any:
        method, path, query, body = request.method, request.path, request.query, request.body
        if path == ENDPOINTS["authorize"].path and method == "GET":
            raise self.book.authorize(query)
        if path == ENDPOINTS["token"].path and method == "POST":
            return self.book.token(parse_qs(body.decode("utf-8"), keep_blank_values=True))
        handler = self.routes.get((method, path))
        if handler is None:
            raise error(404, f"no route {method} {path}")
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth[:7].lower() == "bearer " else None
        if not self.book.valid(token):
            raise Answer(
                401,
                {"error": {"message": "invalid or expired token"}, "unAuthorizedRequest": True},
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            raise error(400, "the body is not JSON") from None
        try:
            result = handler(query, payload)
        except ApiError as exc:
            raise error(exc.status, exc.api_message) from None
        except RuleViolation as exc:
            raise error(500, str(exc)) from None
        except (HikeWooError, ValueError, TypeError, KeyError) as exc:
            raise error(400, str(exc)) from None
        return _jsonable(result)

    @staticmethod
    def found(record: object) -> object:
        if record is None:
            raise error(404, "not found")
        return record

    def listing(self, name: str) -> list[Any]:
        method = getattr(self.fake, name, None)
        if not callable(method):
            raise error(501, f"this FakeHike has no {name}() listing to serve")
        return list(method())

    @staticmethod
    def page(query: Mapping[str, list[str]], records: list[Any], *, paged: bool = True) -> Any:
        if not paged:
            return {_PAGING["total"].key: len(records), _PAGING["items"].key: records}
        size_text = param(query, _PAGING["page_size"].key)
        size = int(size_text) if size_text and size_text.strip().isdigit() else 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise error(500, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        skip = _int(param(query, _PAGING["skip_count"].key) or 0, "skip_count")
        return {
            _PAGING["total"].key: len(records),
            _PAGING["items"].key: records[skip : skip + size],
        }

    def list_sales(self, query: dict[str, list[str]], _: Any) -> Any:
        names = PARAMS["list_sales"]
        lo = _when(param(query, names["from"].key))
        hi = _when(param(query, names["to"].key))
        sales = [
            s
            for s in self.fake.sales()
            if (when := s.transaction_date or s.modified_at) is None
            or ((lo is None or when >= lo) and (hi is None or when <= hi))
        ]
        epoch = datetime.min.replace(tzinfo=UTC)
        sales.sort(key=lambda s: (s.transaction_date or epoch, s.id))
        return self.page(query, sales)

    def list_closures(self, query: dict[str, list[str]], _: Any) -> Any:
        names = PARAMS["list_register_closures"]
        lo = _when(param(query, names["from"].key))
        hi = _when(param(query, names["to"].key))
        closures = [
            c
            for c in self.listing("register_closures")
            if (lo is None or c.opened_at >= lo) and (hi is None or c.opened_at <= hi)
        ]
        return self.page(query, closures)

    def create_or_update(self, _: Any, body: Any) -> Any:
        if not isinstance(body, dict):
            raise error(400, "expected a JSON object")
        sale_id = body.get(_SALE["id"].key)
        if sale_id is None:
            return self.fake.write_sale(parse_hike(body, HikeSaleDraft))
        payments_raw = body.get(_SALE["payments"].key)
        payments = (
            None if payments_raw is None else [parse_hike(p, HikePayment) for p in payments_raw]
        )
        status = HikeStatus(
            _enum(FulfilmentStatus, FULFILMENT_CODES, body.get(_SALE["fulfilment_status"].key)),
            _enum(PaymentStatus, PAYMENT_CODES, body.get(_SALE["payment_status"].key)),
        )
        return self.fake.write_sale_status(_int(sale_id, "id"), status, payments)

    def serial_numbers(self, _: Any, body: Any) -> Any:
        names = PARAMS["set_serial_numbers"]
        if not isinstance(body, dict):
            raise error(400, "expected a JSON object")
        serials = body.get(names["serial_numbers"].key)
        if not isinstance(serials, list):
            raise error(400, f"{names['serial_numbers'].key} must be an array")
        return self.fake.write_serial_numbers(
            _int(body.get(names["sale_id"].key), "sale id"),
            _int(body.get(names["line_index"].key), "line index"),
            [str(s) for s in serials],
        )


def _q(query: Mapping[str, list[str]], key: str) -> str:
    value = param(query, key)
    if value is None:
        raise error(400, f"missing {key}")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if attrs.has(type(value)):
        return dump_hike(value)
    return value


def _handler(app: _HikeApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm, the client's
        # delayed ACK would stall every answer by ~40 ms.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = app.handle(self.command, self.path, headers, read_body(self))
            if answer is _DROP:
                self.close_connection = True
                return
            if answer is None or isinstance(answer, bytes):
                data = answer or b""
            else:
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            write_answer(self, status, extra, data, content_type="application/json; charset=utf-8")

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.command, urlsplit(self.path).path)

    return Handler


@contextmanager
def serve_hike(
    fake: FakeHike,
    *,
    client_id: str = "app",
    client_secret: str = "secret",  # noqa: S107 - a test server's default
    access_token: str | None = None,
    refresh_token: str | None = None,
    token_ttl: float = 3600,
    faults: HttpFaults | Iterable[HttpFault] | None = None,
    clock: Clock | None = None,
) -> Iterator[str]:
    """Serve ``fake`` over HTTP on 127.0.0.1; yields the API base URL (``.../api/v1``).

    ``access_token`` / ``refresh_token``, when given, are valid from the start (the
    access token for ``token_ttl`` seconds by ``clock``: a callable returning an aware
    datetime, by default the store's own clock, as on a real server). Otherwise get tokens the
    OAuth2 way: ``/oauth/authorize`` redirects with a code, ``/oauth/token`` trades it
    (``client_id`` / ``client_secret`` must match); refresh tokens rotate. ``faults``
    (an :class:`HttpFaults`, or faults to queue) are injected in order. On leaving the
    ``with`` block, late commits still pending (``HttpFault.commit_after``) are
    performed at once and waited for, so the store's end state is settled.
    """
    book = TokenBook(
        client_id=client_id,
        client_secret=client_secret,
        ttl=token_ttl,
        clock=fake._stamper.clock_now
        if clock is None
        else checked_clock(clock, "the server's clock time"),
    )
    if access_token is not None:
        book.grant_access(access_token)
    if refresh_token is not None:
        book.refresh.add(refresh_token)
    queue = faults if isinstance(faults, HttpFaults) else HttpFaults(faults or ())
    app = _HikeApp(fake, book, queue)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(app))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="serve_hike", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{API_PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        app.late.close()
