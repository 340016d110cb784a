"""The synchronous WooCommerce REST API v3 client (implements :class:`~hikewoo_core.WooPort`).

With :mod:`hikewoo_core.woo._client_async` and :mod:`hikewoo_core._http`, the only modules that
import httpx. Requests are built, signed and parsed by the pure ``_core``/``_requests``/
``_paging`` modules; retries are the shared request flow's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import httpx

from .._convert import JsonLoads
from .._datetimes import optional_aware, require_aware
from .._errors import ApiError, AuthenticationError, ConfigurationError, OutcomeUnknownError
from .._http import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Request, request_flow, send_sync
from .._http._owned import OwnedClient
from .._page_guard import PageGuard
from .._retry import DEFAULT_SETTLE_POLICY, RetryPolicy, SettlePolicy
from .._unreadable import Unreadable
from ._auth import AuthMode
from ._core import LOOKUP_MARGIN, WooCore, draft_order_id
from ._logs import install_trace_redaction
from ._models import WooOrder, WooProduct, WooRefund
from ._paging import DEFAULT_READ_AHEAD, Item, ModifiedScan, ReadAhead
from ._requests import (
    FIELDS_RESERVED,
    MAX_PER_PAGE,
    PAGED_RESERVED,
    SCAN_RESERVED,
    check_batch_updates,
    check_order_filter_names,
    order_path,
)
from ._responses import BatchItem, BatchResult, Page, parse_batch, with_hint

__all__ = ["WooClient"]

log = logging.getLogger("hikewoo_core.woo")
install_trace_redaction()
T = TypeVar("T")
_Parse = Callable[[bytes, Mapping[str, str]], Page[T]]


def _items(pages: Generator[Page[T], None, None]) -> Iterator[T]:
    """The items of ``pages``, each let go of once the caller asks for the next: a
    caller that drops them frees them as it goes, instead of a page at a time (a
    parsed order that outlives a few allocations is traversed again by every garbage
    collection until it dies)."""
    with closing(pages):  # leaving early ends the read now, not when collected
        for page in pages:
            items: list[Any] = page.items  # this read's own list
            for index in range(len(items)):
                yield items[index]
                items[index] = None


def _dicts(pages: Generator[Page[Any], None, None]) -> Iterator[dict[str, Any]]:
    return (item for item in _items(pages) if isinstance(item, dict))


def _done(send: Callable[[Request], httpx.Response], request: Request) -> Future[httpx.Response]:
    """``send(request)`` run here, as a finished future."""
    future: Future[httpx.Response] = Future()
    try:
        future.set_result(send(request))
    except Exception as exc:  # noqa: BLE001 - raised at the page's turn
        future.set_exception(exc)
    return future


class WooClient(WooCore, OwnedClient):
    """A WooCommerce store over its REST API v3, synchronously.

    ``url`` is the site address (``https://shop.example`` or a subdirectory install);
    ``auth_mode`` defaults to Basic over HTTPS and OAuth 1.0a over plain HTTP (see
    :class:`~hikewoo_core.woo.AuthMode`; modes WooCommerce ignores are refused).
    Pass ``client`` to use your own :class:`httpx.Client` (transport, proxies, limits):
    it is then never closed here; otherwise the client owns one (use ``with`` or
    :meth:`close`). ``max_workers`` (default 8) threads read pages ahead in
    :meth:`iter_orders` over that one connection pool. ``clock``, ``nonce_factory`` and
    ``sleep`` are injectable for tests; ``loads`` decodes JSON (``orjson.loads`` fits).
    ``created_via`` names the channel orders are created as (used to narrow lookups by
    meta). A create that fails leaving a ``checkout-draft`` order is cleaned up
    (``force=true``) unless ``delete_failed_drafts`` is false. A response body over
    ``max_response_bytes`` (default 64 MiB) raises
    :class:`~hikewoo_core.ResponseTooLargeError` unread. The ``repr`` never shows the
    secret, and no error keeps it, even from a page that echoes the request.
    """

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        client: httpx.Client | None = None,
        auth_mode: AuthMode | str | None = None,
        rest_route: bool = False,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        signature_method: str = "HMAC-SHA256",
        clock: Callable[[], float] | None = None,
        nonce_factory: Callable[[], str] | None = None,
        sleep: Callable[[float], object] = time.sleep,
        max_workers: int = DEFAULT_READ_AHEAD,
        loads: JsonLoads | None = None,
        created_via: str | None = "hike",
        lookup_window: timedelta = timedelta(days=1),
        delete_failed_drafts: bool = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(
            url,
            consumer_key,
            consumer_secret,
            auth_mode=auth_mode,
            rest_route=rest_route,
            retry=retry,
            signature_method=signature_method,
            clock=clock,
            nonce_factory=nonce_factory,
            loads=loads,
            created_via=created_via,
            lookup_window=lookup_window,
            max_response_bytes=max_response_bytes,
        )
        if type(max_workers) is not int or max_workers < 1:
            raise ConfigurationError(f"max_workers must be a positive integer, got {max_workers!r}")
        self.max_workers = max_workers
        self.delete_failed_drafts = delete_failed_drafts
        self._sleep = sleep
        self._own(client, self.requests.root, timeout=timeout)

    # --- lifetime ---------------------------------------------------------------------

    # --- plumbing ---------------------------------------------------------------------
    def _send(self, request: Request) -> httpx.Response:
        flow = request_flow(
            request, policy=self.retry, prepare=self.requests.prepare, secrets=self.secrets()
        )
        try:
            return send_sync(self._http, flow, sleep=self._sleep, max_body=self.max_response_bytes)
        except AuthenticationError as exc:
            raise with_hint(exc, self.auth_mode, self.requests.scheme) from exc

    def _page(self, request: Request, parse: _Parse[T]) -> Page[T]:
        response = self._send(request)
        return parse(response.content, response.headers)

    def _pages(
        self,
        path: str,
        filters: Mapping[str, Any],
        parse: _Parse[T],
        *,
        speculate: bool = False,
    ) -> Generator[Page[T], None, None]:
        params, unique = self.paged(filters)
        per_page = int(str(params.get("per_page", 10)))
        request = self.requests.build("GET", path, params)
        extra = self.speculation(params, self.max_workers) if speculate else 0
        first = int(str(params.get("page", 1)))
        plan: ReadAhead[httpx.Response] = ReadAhead(first, self.max_workers, path, unique, extra)
        yield from self._read_ahead(request, parse, plan)
        page = plan.sequential
        if page is not None:  # no X-WP-TotalPages: follow Link / count pages
            guard = PageGuard(path, repeats=not unique)
            while True:  # each page is checked before it is yielded
                nxt = self.next_sequential(request, page, per_page, self._follow(path), guard)
                yield page
                if nxt is None:
                    return
                request, page = nxt, self._page(nxt, parse)

    def _read_ahead(
        self, request: Request, parse: _Parse[T], plan: ReadAhead[httpx.Response]
    ) -> Generator[Page[T], None, None]:
        """The pages of ``plan``, in order: fetched on up to ``max_workers`` threads sharing
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
                        plan.add(number, _done(self._send, ask))  # the first page, here
                        continue
                    if pool is None:
                        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="woo-page")
                    fetch = pool.submit(self._send, ask)
                    plan.add(number, fetch)
                    fetch.add_done_callback(start)  # on the fetching thread: the next one

        try:
            while True:
                start()
                with lock:
                    if plan.over:
                        return
                    fetch = cast("Future[httpx.Response]", plan.head())
                response = fetch.result()  # a failed fetch raises here, at its turn
                page = parse(response.content, response.headers)
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

    def _follow(self, path: str) -> Callable[[str], Request]:
        return lambda link: self.requests.follow(link, path)

    # --- reads --------------------------------------------------------------------------
    def get_order(self, order_id: int) -> WooOrder:
        """``GET /orders/<id>``."""
        return self.order(self._send(self.order_request(order_id)).content)

    def list_orders(self, **filters: Any) -> list[WooOrder]:
        """One page of ``GET /orders`` with WooCommerce's filters (see ``order_filters``).

        An unknown filter name (WooCommerce would ignore it) and ``_fields`` (the answer
        would not be whole orders) raise :class:`~hikewoo_core.ConfigurationError`
        before anything is sent."""
        check_order_filter_names(filters, "list_orders")
        request = self.list_request("orders", self.whole_orders(filters))
        return self._page(request, self.order_page).items

    def iter_orders(self, **filters: Any) -> Iterator[WooOrder]:
        """Every order matching ``filters``, lazily, page by page (``per_page`` 100).

        The first ``max_workers`` (default 8) pages are requested at once, before the
        page count is known (see :meth:`speculation` for why and the bound), and while
        a page is consumed the next ones are read on threads sharing one connection pool;
        orders are yielded in page order, and no more than ``max_workers`` pages beyond
        the current one are in flight or held. Leaving early (``break``, or ``close()``
        on the iterator) cancels the pages not yet requested and waits for those on the
        wire: no thread outlives the read. Offset paging: if the store changes meanwhile,
        use :meth:`iter_orders_modified` instead. Filters are checked as by
        :meth:`list_orders`; ``offset`` is refused (WooCommerce ignores ``page`` when it
        is given, so every page would be the same).
        """
        check_order_filter_names(filters, "iter_orders", PAGED_RESERVED)
        filters = self.page_filters(self.whole_orders(filters), MAX_PER_PAGE)
        self.paged(filters)  # checked now, not at the first next()
        return _items(self._pages("orders", filters, self.order_page, speculate=True))

    def iter_order_fields(self, fields: Sequence[str], **filters: Any) -> Iterator[dict[str, Any]]:
        """Every order matching ``filters``, trimmed to ``fields`` (``_fields``), as JSON
        objects: ``iter_order_fields(["id", "status"], status="processing")``.

        The store sends only the fields named (a page of 100 ids is ~50 times smaller than
        full orders), so the objects are not parsed as orders. Paged like
        :meth:`iter_orders`.
        """
        check_order_filter_names(filters, "iter_order_fields", FIELDS_RESERVED)
        trimmed = self.fields_filters(fields, filters)
        self.paged(trimmed)  # checked now, not at the first next()
        pages = self._pages("orders", trimmed, self.raw_page, speculate=True)
        return _dicts(pages)

    def iter_orders_modified(
        self,
        after: datetime,
        before: datetime,
        *,
        overlap: timedelta = timedelta(seconds=60),
        page_size: int = MAX_PER_PAGE,
        **filters: Any,
    ) -> Iterator[WooOrder]:
        """Orders modified in ``[after - overlap, before)``, oldest change first, none missed.

        Keyset paging on ``date_modified_gmt`` (see :class:`~hikewoo_core.woo._paging.ModifiedScan`
        for the proof): an order modified while pages are read is never missed, and no
        other order is skipped because one moved. An order appears once per
        ``(id, date_modified_gmt)``. Keep ``before`` at or before the server's now, and
        start the next window at ``before`` (minus the overlap). ``filters`` narrow the
        read (``status``, ``created_via``, ...); those the scan sets itself
        (``modified_*``, ``orderby``, ``order``, ``page``, ``per_page``, ``offset``,
        ``dates_are_gmt``) and unknown names are refused.
        """
        check_order_filter_names(filters, "iter_orders_modified", SCAN_RESERVED)
        start = require_aware("after", after) - overlap
        scan = self.scan_plan(start, require_aware("before", before), page_size, filters)
        return self._scan(scan, self.order_page)

    def _scan(self, scan: ModifiedScan[Item], parse: _Parse[Item]) -> Iterator[Item]:
        def fetch(query: Mapping[str, Any]) -> Page[Item]:
            return self._page(self.requests.build("GET", "orders", query), parse)

        # The next query is known as soon as a page is fed, before its orders are
        # consumed: fetch it on a thread while the caller works on this page's orders
        # (a backfill syncs each one), so reading the next page costs no waiting.
        with ThreadPoolExecutor(1, thread_name_prefix="woo-scan") as pool:
            query = scan.query()
            pending = pool.submit(fetch, query) if query is not None else None
            while pending is not None:
                fresh = scan.feed(pending.result())
                query = scan.query()
                pending = pool.submit(fetch, query) if query is not None else None
                yield from fresh

    def list_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of an order, as WooCommerce lists them (newest first)."""
        path = order_path(order_id, "refunds")
        pages = self._pages(path, {"per_page": MAX_PER_PAGE}, self.refund_page)
        return [refund for page in pages for refund in page.items]

    def get_refund(self, order_id: int, refund_id: int) -> WooRefund:
        """``GET /orders/<id>/refunds/<refund_id>``."""
        path = order_path(order_id, "refunds", refund_id)
        return self.refund(self._send(self.requests.build("GET", path)).content)

    # --- writes -------------------------------------------------------------------------
    def create_order(self, body: Mapping[str, Any]) -> WooOrder:
        """``POST /orders``. Never resent once it may have reached the server: an unknown
        outcome raises :class:`~hikewoo_core.OutcomeUnknownError` (see
        :meth:`create_order_idempotent`)."""
        try:
            return self.order(self._send(self.create_request(body)).content)
        except ApiError as exc:
            draft = draft_order_id(exc)
            if draft is None:
                raise
            raise self._clean_draft(exc, draft) from exc

    def _clean_draft(self, error: ApiError, draft: int) -> ApiError:
        if not self.delete_failed_drafts:
            return self.draft_error(error, draft, "not deleted: delete_failed_drafts is off")
        try:
            self.delete_order(draft, force=True)
        except ApiError as exc:
            log.warning("could not delete draft order #%d: %s", draft, exc)
            return self.draft_error(error, draft, f"deleting it failed: {exc.code}")
        log.info("deleted draft order #%d left by a failed create", draft)
        return self.draft_error(error, draft, "deleted with force=true")

    def update_order(self, order_id: int, body: Mapping[str, Any]) -> WooOrder:
        """``PUT /orders/<id>`` (retried after a lost answer unless it carries item lists)."""
        return self.order(self._send(self.update_request(order_id, body)).content)

    def delete_order(self, order_id: int, *, force: bool = False) -> WooOrder:
        """``DELETE /orders/<id>``: to the trash, or for good with ``force=True``."""
        return self.order(self._send(self.delete_request(order_id, force=force)).content)

    def batch_update_orders(
        self, updates: Sequence[Mapping[str, Any]], *, extra_statuses: Iterable[str] = ()
    ) -> BatchResult:
        """Update orders through ``POST /orders/batch``, 100 per request.

        WooCommerce does not check batch items as it checks a single update (an unknown
        ``status`` makes the order ``pending``, with HTTP 200), so every item is checked
        first (see :func:`~hikewoo_core.woo._requests.check_batch_updates`): a bad one
        raises :class:`~hikewoo_core.ConfigurationError` naming its index and field, and
        nothing is sent. Plugin statuses the store accepts go in ``extra_statuses``.

        Returns every item's outcome (:class:`~hikewoo_core.woo.BatchResult`); failed items
        are reported, never dropped. A chunk refused whole (an :class:`ApiError`, e.g.
        413) marks each of its items with that error; other failures raise, leaving
        earlier chunks applied.
        """
        result = BatchResult()
        checked = check_batch_updates(updates, extra_statuses)
        for first, chunk, request in self.batch_requests(checked):
            try:
                response = self._send(request)
            except AuthenticationError:
                raise
            except ApiError as exc:
                items = [
                    BatchItem(index=first + i, id=b["id"], error=exc) for i, b in enumerate(chunk)
                ]
            else:
                items = parse_batch(
                    response.content, "update", chunk, first_index=first, loads=self.loads,
                    url=str(response.request.url), secrets=self.secrets(),
                )  # fmt: skip
            result += BatchResult(tuple(items))
        return result

    def create_refund(
        self, order_id: int, body: Mapping[str, Any], *, allow_gateway_refund: bool = False
    ) -> WooRefund:
        """``POST /orders/<id>/refunds`` with ``api_refund: false`` unless allowed (see
        ``refund_body``). Never resent once it may have reached the server."""
        payload = self.refund_body(body, allow_gateway_refund)
        request = self.requests.build("POST", order_path(order_id, "refunds"), json=payload)
        return self.refund(self._send(request).content)

    def create_order_idempotent(
        self,
        body: Mapping[str, Any],
        *,
        reference_key: str,
        reference_value: str,
        created_after: datetime | None = None,
        attempts: int = 3,
        settle: SettlePolicy = DEFAULT_SETTLE_POLICY,
    ) -> WooOrder:
        """Create the order unless one carrying ``reference_key == reference_value`` exists.

        Looks the reference up (orders created since ``created_after``, default
        ``lookup_window`` ago), creates only when absent, and after an unknown outcome
        (a gateway's 502/503/504, a lost answer) looks again after each delay of
        ``settle`` before any new attempt: the origin may commit seconds later. Up to
        ``attempts`` creates; if the last outcome stays unknown, its
        :class:`~hikewoo_core.OutcomeUnknownError` is raised.
        """
        optional_aware("created_after", created_after)
        payload = self.with_reference(body, reference_key, reference_value)
        via = payload.get("created_via") if isinstance(payload.get("created_via"), str) else None
        since = self.lookup_since(created_after)
        if attempts < 1:
            raise ConfigurationError(f"attempts must be at least 1, got {attempts}")
        found = self._find(reference_key, reference_value, since, via)
        for created in range(1, attempts + 1):
            if found:
                return found[0]
            since = min(since, self.now() - LOOKUP_MARGIN)
            try:
                return self.create_order(payload)
            except OutcomeUnknownError as exc:
                unknown = exc
            for delay in settle.delays:  # a gateway's 504: the origin may commit later
                self._sleep(delay)
                found = self._find(reference_key, reference_value, since, via)
                if found:
                    break
            else:
                log.warning("create of unknown outcome not found after settling; creating again")
            if created == attempts and not found:
                raise unknown
        return found[0]

    def _find(
        self, key: str, value: str, created_after: datetime | None, created_via: str | None
    ) -> list[WooOrder]:
        filters = self.lookup_filters(created_after, created_via)
        ids = [
            i
            for page in self._pages("orders", filters, self.raw_page)
            for i in self.matching_ids(page.items, key, value)
        ]
        return [self.get_order(order_id) for order_id in sorted(set(ids))]

    # --- WooPort ------------------------------------------------------------------------
    def read_order(self, order_id: int) -> WooOrder:
        """The order as it is now (:meth:`get_order`)."""
        return self.get_order(order_id)

    def read_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of the order, oldest first (by id)."""
        return sorted(self.list_refunds(order_id), key=lambda r: r.id)

    def read_orders(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Iterator[WooOrder | Unreadable]:
        """Orders modified in ``[modified_after, modified_before)`` (default: until now)
        and created in ``[created_after, created_before)``, oldest change first, none
        missed (see :meth:`iter_orders_modified`; no overlap is added here). An order
        that does not parse comes as :class:`~hikewoo_core.Unreadable`: one bad
        order never stops the read."""
        optional_aware("modified_after", modified_after)
        # Default: to the end of the current second (stamps are whole seconds).
        end = (
            require_aware("modified_before", modified_before) if modified_before else self.now_end()
        )
        created = self.created_window(created_after, created_before)
        scan = self.scan_plan(modified_after, end, MAX_PER_PAGE, created)
        return self._scan(scan, self.order_page_tolerant)

    def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """Create (``order_id`` None) or update an order."""
        return self.create_order(body) if order_id is None else self.update_order(order_id, body)

    def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        """Create a refund with ``api_refund: false`` (:meth:`create_refund`)."""
        return self.create_refund(order_id, body)

    def find_orders_by_meta(
        self,
        key: str,
        value: str,
        *,
        created_after: datetime | None = None,
        created_via: str | None = None,
    ) -> list[WooOrder]:
        """Orders whose ``meta_data`` has ``key == value`` (drafts and trash left out), by id.

        WooCommerce cannot filter by meta (``search`` skips meta, ``meta_key`` is
        ignored), so this lists orders created via ``created_via`` (default: the
        client's own) since ``created_after`` with ``_fields`` trimmed to what matching
        needs, matches locally, then reads the matches in full.
        """
        optional_aware("created_after", created_after)
        via = self.created_via if created_via is None else created_via
        return self._find(key, value, created_after, via)

    def find_product(self, sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku``, else ``None`` (``GET /products?sku=``).

        WooCommerce's ``sku`` filter ignores case and splits on commas, so the answer is
        matched exactly here. ``""`` finds nothing and sends no request.
        """
        if not self.sku_to_find(sku):
            return None
        found: WooProduct | None = None
        for page in self._pages("products", self.product_filters(sku), self.product_page):
            found = found or self.exact_product(page.items, sku)  # read to the end: few pages
        return found
