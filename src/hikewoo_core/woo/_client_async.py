"""The WooCommerce REST API v3 client, asynchronous: the source of both clients.

:class:`AsyncWooClient` is written here once; ``tools/unasync.py`` generates the
synchronous client from it (CI checks that the generated file is up to date). What
genuinely differs, how pages are fetched ahead, lives in a pair of small backends
(:mod:`._fetch_tasks` here, on asyncio tasks). Requests are built, signed and parsed
by the pure ``_core``/``_requests``/``_paging`` modules; retries are the shared request
flow's. With :mod:`hikewoo_core._http`, the only modules that import httpx.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from .._convert import JsonLoads
from .._datetimes import optional_aware, require_aware
from .._errors import ApiError, AuthenticationError, ConfigurationError, OutcomeUnknownError
from .._http import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Request, request_flow, send_async
from .._http._owned import OwnedAsyncClient
from .._page_guard import PageGuard
from .._retry import DEFAULT_SETTLE_POLICY, RetryPolicy, SettlePolicy
from .._unreadable import Unreadable
from .._window import OrderWindow, order_window
from ._auth import AuthMode
from ._core import LOOKUP_MARGIN, WooCore, draft_order_id
from ._fetch_tasks import read_ahead, read_scan
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

__all__ = ["AsyncWooClient"]

log = logging.getLogger("hikewoo_core.woo")
install_trace_redaction()
T = TypeVar("T")
_Parse = Callable[[bytes, Mapping[str, str]], Page[T]]


async def _items(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    """The items of ``pages``, each let go of once the caller asks for the next: a
    caller that drops them frees them as it goes, instead of a page at a time (a
    parsed order that outlives a few allocations is traversed again by every garbage
    collection until it dies)."""
    try:
        async for page in pages:
            items: list[Any] = page.items  # this read's own list
            for index in range(len(items)):
                yield items[index]
                items[index] = None
    finally:  # leaving early ends the read now, not when collected
        await pages.aclose()


async def _dicts(pages: AsyncGenerator[Page[Any], None]) -> AsyncGenerator[dict[str, Any], None]:
    items = _items(pages)
    try:
        async for item in items:
            if isinstance(item, dict):
                yield item
    finally:
        await items.aclose()


class AsyncWooClient(WooCore, OwnedAsyncClient):
    """A WooCommerce store over its REST API v3, with ``asyncio``.

    The methods are coroutines, the ``iter_*`` and ``read_orders`` methods async iterators:
    ``async for order in woo.iter_orders(status="processing")``. Use
    ``async with AsyncWooClient(...) as woo:`` or :meth:`aclose`. The ``repr`` never
    shows the secret, and no error keeps it, even from a page that echoes the request.

    Args:
        url: The site address (``https://shop.example``, or a subdirectory install).
        consumer_key: The REST API key (``ck_...``).
        consumer_secret: The REST API secret (``cs_...``).
        client: Your own :class:`httpx.AsyncClient` (transport, proxies, limits), never
            closed here. Without one the client makes its own, closed by
            ``async with`` or :meth:`aclose`.
        auth_mode: How the keys are sent (see :class:`~hikewoo_core.woo.AuthMode`):
            Basic over HTTPS and OAuth 1.0a over plain HTTP by default; modes
            WooCommerce ignores are refused.
        rest_route: Reach the API at ``/index.php?rest_route=/wc/v3/...`` (sites
            without pretty permalinks; application passwords only).
        retry: When to retry (a :class:`~hikewoo_core.RetryPolicy`): timeouts, network
            errors, 429 (honouring ``Retry-After``) and 502/503/504 by default; a write
            is sent again only when the server cannot have performed it.
        timeout: The timeouts of the client made here (default: connect 5 s, the rest
            30 s); ignored with ``client``.
        signature_method: The OAuth 1.0a signature (``HMAC-SHA256`` or ``HMAC-SHA1``).
        clock: A callable returning the current time as a timezone-aware
            :class:`~datetime.datetime` (default: the system's UTC time); a naive time
            raises :class:`~hikewoo_core.ConfigurationError`. It dates OAuth 1.0a
            signatures and the windows of lookups by meta.
        nonce_factory: Makes the OAuth 1.0a nonces (default: 16 random bytes, in hex).
        sleep: Waits the given seconds between retries and before each lookup of a
            create whose outcome is unknown (default :func:`asyncio.sleep`); tests pass
            one that returns at once.
        concurrency: How many pages a listing keeps in flight (default 8):
            :meth:`iter_orders` and :meth:`iter_order_fields` read pages ahead on up to
            this many asyncio tasks sharing one connection pool.
        loads: Decodes JSON (default :func:`json.loads`; ``orjson.loads`` fits).
        created_via: The channel orders are created as, which narrows
            :meth:`create_order_idempotent`'s lookup (default ``"hike"``; ``None``: not
            set).
        lookup_window: How far back :meth:`create_order_idempotent` looks for an order
            carrying its reference (default one day).
        delete_failed_drafts: Delete (``force=true``) the ``checkout-draft`` order a
            failed create leaves behind (default ``True``).
        max_response_bytes: A response body over this size (default 64 MiB) raises
            :class:`~hikewoo_core.ResponseTooLargeError` unread.
    """

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        auth_mode: AuthMode | str | None = None,
        rest_route: bool = False,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        signature_method: str = "HMAC-SHA256",
        clock: Callable[[], datetime] | None = None,
        nonce_factory: Callable[[], str] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        concurrency: int = DEFAULT_READ_AHEAD,
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
            concurrency=concurrency,
            loads=loads,
            created_via=created_via,
            lookup_window=lookup_window,
            delete_failed_drafts=delete_failed_drafts,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = sleep
        self._own(client, self.requests.root, timeout=timeout)

    # --- plumbing ---------------------------------------------------------------------
    async def _send(self, request: Request) -> httpx.Response:
        flow = request_flow(
            request, policy=self.retry, prepare=self.requests.prepare, secrets=self.secrets()
        )
        try:
            return await send_async(
                self._http,
                flow,
                sleep=self._sleep,
                max_body=self.max_response_bytes,
            )
        except AuthenticationError as exc:
            raise with_hint(exc, self.auth_mode, self.requests.scheme) from exc

    async def _page(self, request: Request, parse: _Parse[T]) -> Page[T]:
        response = await self._send(request)
        return parse(response.content, response.headers)

    async def _pages(
        self,
        path: str,
        filters: Mapping[str, Any],
        parse: _Parse[T],
        *,
        speculate: bool = False,
    ) -> AsyncGenerator[Page[T], None]:
        params, unique = self.paged(filters)
        per_page = int(str(params.get("per_page", 10)))
        request = self.requests.build("GET", path, params)
        extra = self.speculation(params, self.concurrency) if speculate else 0
        first = int(str(params.get("page", 1)))
        plan: ReadAhead[httpx.Response] = ReadAhead(first, self.concurrency, path, unique, extra)
        ahead = read_ahead(self._send, request, lambda r: parse(r.content, r.headers), plan)
        try:
            async for read in ahead:
                yield read
        finally:
            await ahead.aclose()
        page = plan.sequential
        if page is not None:  # no X-WP-TotalPages: follow Link / count pages
            guard = PageGuard(path, repeats=not unique)
            while True:  # each page is checked before it is yielded
                nxt = self.next_sequential(request, page, per_page, self._follow(path), guard)
                yield page
                if nxt is None:
                    return
                request, page = nxt, await self._page(nxt, parse)

    def _follow(self, path: str) -> Callable[[str], Request]:
        return lambda link: self.requests.follow(link, path)

    def _scan(self, scan: ModifiedScan[Item], parse: _Parse[Item]) -> AsyncIterator[Item]:
        async def fetch(query: Mapping[str, Any]) -> Page[Item]:
            return await self._page(self.requests.build("GET", "orders", query), parse)

        return read_scan(fetch, scan)

    # --- reads --------------------------------------------------------------------------
    async def get_order(self, order_id: int) -> WooOrder:
        """``GET /orders/<id>``."""
        response = await self._send(self.order_request(order_id))
        return self.order(response.content)

    async def list_orders(self, **filters: Any) -> list[WooOrder]:
        """One page of ``GET /orders`` with WooCommerce's filters (see ``order_filters``).

        An unknown filter name (WooCommerce would ignore it) and ``_fields`` (the answer
        would not be whole orders) raise :class:`~hikewoo_core.ConfigurationError`
        before anything is sent."""
        check_order_filter_names(filters, "list_orders")
        request = self.list_request("orders", self.whole_orders(filters))
        page = await self._page(request, self.order_page)
        return page.items

    def iter_orders(self, **filters: Any) -> AsyncIterator[WooOrder]:
        """Every order matching ``filters``, lazily, page by page (``per_page`` 100).

        The first ``concurrency`` (default 8) pages are requested at once, before the
        page count is known (see :meth:`speculation` for why and the bound), and while
        a page is consumed the next ones are read on asyncio tasks sharing one
        connection pool; orders are yielded in page order, and no more than
        ``concurrency`` pages beyond the current one are in flight or held. Leaving
        early (``break``, or :meth:`aclose` on the iterator) cancels the pages not yet
        requested and waits for those on the wire. Offset paging: if the store changes
        meanwhile, use :meth:`iter_orders_modified` instead. Filters are checked as by
        :meth:`list_orders`, when called; ``offset`` is refused (WooCommerce ignores
        ``page`` when it is given, so every page would be the same).
        """
        check_order_filter_names(filters, "iter_orders", PAGED_RESERVED)
        filters = self.page_filters(self.whole_orders(filters), MAX_PER_PAGE)
        self.paged(filters)  # checked now, not at the first iteration
        return _items(self._pages("orders", filters, self.order_page, speculate=True))

    def iter_order_fields(
        self,
        fields: Sequence[str],
        **filters: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every order matching ``filters``, trimmed to ``fields`` (``_fields``), as JSON
        objects: ``iter_order_fields(["id", "status"], status="processing")``.

        The store sends only the fields named (a page of 100 ids is ~50 times smaller than
        full orders), so the objects are not parsed as orders. Paged like
        :meth:`iter_orders`.
        """
        check_order_filter_names(filters, "iter_order_fields", FIELDS_RESERVED)
        trimmed = self.fields_filters(fields, filters)
        self.paged(trimmed)  # checked now, not at the first iteration
        return _dicts(self._pages("orders", trimmed, self.raw_page, speculate=True))

    def iter_orders_modified(
        self,
        after: datetime,
        before: datetime,
        *,
        overlap: timedelta = timedelta(seconds=60),
        page_size: int = MAX_PER_PAGE,
        **filters: Any,
    ) -> AsyncIterator[WooOrder]:
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

    async def list_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of an order, as WooCommerce lists them (newest first)."""
        path = order_path(order_id, "refunds")
        pages = self._pages(path, {"per_page": MAX_PER_PAGE}, self.refund_page)
        return [refund async for page in pages for refund in page.items]

    async def get_refund(self, order_id: int, refund_id: int) -> WooRefund:
        """``GET /orders/<id>/refunds/<refund_id>``."""
        path = order_path(order_id, "refunds", refund_id)
        response = await self._send(self.requests.build("GET", path))
        return self.refund(response.content)

    # --- writes -------------------------------------------------------------------------
    async def create_order(self, body: Mapping[str, Any]) -> WooOrder:
        """``POST /orders``. Never resent once it may have reached the server: an unknown
        outcome raises :class:`~hikewoo_core.OutcomeUnknownError` (see
        :meth:`create_order_idempotent`)."""
        try:
            response = await self._send(self.create_request(body))
        except ApiError as exc:
            draft = draft_order_id(exc)
            if draft is None:
                raise
            raise await self._clean_draft(exc, draft) from exc
        return self.order(response.content)

    async def _clean_draft(self, error: ApiError, draft: int) -> ApiError:
        if not self.delete_failed_drafts:
            return self.draft_error(error, draft, "not deleted: delete_failed_drafts is off")
        try:
            await self.delete_order(draft, force=True)
        except ApiError as exc:
            log.warning("could not delete draft order #%d: %s", draft, exc)
            return self.draft_error(error, draft, f"deleting it failed: {exc.code}")
        log.info("deleted draft order #%d left by a failed create", draft)
        return self.draft_error(error, draft, "deleted with force=true")

    async def update_order(self, order_id: int, body: Mapping[str, Any]) -> WooOrder:
        """``PUT /orders/<id>`` (retried after a lost answer unless it carries item lists)."""
        response = await self._send(self.update_request(order_id, body))
        return self.order(response.content)

    async def delete_order(self, order_id: int, *, force: bool = False) -> WooOrder:
        """``DELETE /orders/<id>``: to the trash, or for good with ``force=True``."""
        response = await self._send(self.delete_request(order_id, force=force))
        return self.order(response.content)

    async def batch_update_orders(
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
                response = await self._send(request)
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

    async def create_refund(
        self, order_id: int, body: Mapping[str, Any], *, allow_gateway_refund: bool = False
    ) -> WooRefund:
        """``POST /orders/<id>/refunds`` with ``api_refund: false`` unless allowed (see
        ``refund_body``). Never resent once it may have reached the server."""
        payload = self.refund_body(body, allow_gateway_refund)
        request = self.requests.build("POST", order_path(order_id, "refunds"), json=payload)
        response = await self._send(request)
        return self.refund(response.content)

    async def create_order_idempotent(
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
        via = payload.get("created_via")
        via = via if isinstance(via, str) and via else None  # "" is no channel
        since = self.lookup_since(created_after)
        if attempts < 1:
            raise ConfigurationError(f"attempts must be at least 1, got {attempts}")
        found = await self._find(
            reference_key, reference_value, OrderWindow(created_after=since, created_via=via)
        )
        for created in range(1, attempts + 1):
            if found:
                return found[0]
            since = min(since, self.now() - LOOKUP_MARGIN)
            try:
                return await self.create_order(payload)
            except OutcomeUnknownError as exc:
                unknown = exc
            for delay in settle.delays:  # a gateway's 504: the origin may commit later
                await self._sleep(delay)
                found = await self._find(
                    reference_key,
                    reference_value,
                    OrderWindow(created_after=since, created_via=via),
                )
                if found:
                    break
            else:
                log.warning("create of unknown outcome not found after settling; creating again")
            if created == attempts and not found:
                raise unknown
        return found[0]

    async def _find(self, key: str, value: str, window: OrderWindow) -> list[WooOrder]:
        filters = self.lookup_filters(window)
        ids: set[int] = set()
        async for page in self._pages("orders", filters, self.raw_page):
            ids.update(self.matching_ids(page.items, key, value, window))
        return [await self.get_order(order_id) for order_id in sorted(ids)]

    # --- WooPort ------------------------------------------------------------------------
    async def read_order(self, order_id: int) -> WooOrder:
        """The order as it is now (:meth:`get_order`)."""
        return await self.get_order(order_id)

    async def read_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of the order, oldest first (by id)."""
        return sorted(await self.list_refunds(order_id), key=lambda r: r.id)

    def read_orders(
        self,
        window: OrderWindow | None = None,
    ) -> AsyncIterator[WooOrder | Unreadable]:
        """The orders in ``window`` (default: every order until now), oldest change first,
        none missed (see :meth:`iter_orders_modified`; no overlap is added here). An
        order that does not parse comes as :class:`~hikewoo_core.Unreadable`: one bad
        order never stops the read. ``created_via`` is sent as WooCommerce's filter of
        that name and checked on each order too (stores before WooCommerce 9.9 ignore
        the filter)."""
        window = order_window(window, "read_orders")
        # Default: to the end of the current second (stamps are whole seconds).
        end = window.modified_before or self.now_end()
        filters = self.created_window(window)
        scan = self.scan_plan(window.modified_after, end, MAX_PER_PAGE, filters)
        orders = self._scan(scan, self.order_page_tolerant)
        return orders if window.created_via is None else _through(orders, window.created_via)

    async def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """Create (``order_id`` None) or update an order."""
        if order_id is None:
            return await self.create_order(body)
        return await self.update_order(order_id, body)

    async def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        """Create a refund with ``api_refund: false`` (:meth:`create_refund`)."""
        return await self.create_refund(order_id, body)

    async def find_orders_by_meta(
        self, key: str, value: str, window: OrderWindow | None = None
    ) -> list[WooOrder]:
        """The orders in ``window`` whose ``meta_data`` has ``key == value`` (drafts and
        trash left out), by id.

        WooCommerce cannot filter by meta (``search`` skips meta, ``meta_key`` is
        ignored), so this lists the window's orders with ``_fields`` trimmed to what
        matching needs, matches locally, then reads the matches in full.
        """
        return await self._find(key, value, order_window(window, "find_orders_by_meta"))

    async def find_product(self, sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku``, else ``None`` (``GET /products?sku=``).

        WooCommerce's ``sku`` filter ignores case and splits on commas, so the answer is
        matched exactly here. ``""`` finds nothing and sends no request.
        """
        if not self.sku_to_find(sku):
            return None
        found: WooProduct | None = None
        async for page in self._pages("products", self.product_filters(sku), self.product_page):
            found = found or self.exact_product(page.items, sku)  # read to the end: few pages
        return found


async def _through(
    orders: AsyncIterator[WooOrder | Unreadable], created_via: str
) -> AsyncIterator[WooOrder | Unreadable]:
    """The orders created through ``created_via`` (an unreadable one passes: the caller
    decides), for stores that ignore the filter."""
    async for order in orders:
        if isinstance(order, Unreadable) or order.created_via == created_via:
            yield order
