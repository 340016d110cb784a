"""The asynchronous twin of :class:`~hikewoo_core.woo.WooClient`: the same methods, as coroutines.

Pages are read concurrently by asyncio tasks, at most ``max_concurrency`` at a time,
and yielded in order. All decisions (requests, signing, paging plans, parsing) are the
shared pure ones; only the waiting differs from the synchronous client.
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
from typing import Any, TypeVar, cast

import httpx

from .._convert import JsonLoads
from .._datetimes import optional_aware, require_aware
from .._errors import ApiError, AuthenticationError, ConfigurationError, OutcomeUnknownError
from .._http import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Request, request_flow, send_async
from .._http._owned import OwnedAsyncClient
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

__all__ = ["AsyncWooClient"]

log = logging.getLogger("hikewoo_core.woo")
install_trace_redaction()
T = TypeVar("T")
#: Event-loop turns given to newly started page requests before a page is parsed: httpx
#: needs about four (pool, connection, write) to put a request on the wire, and parsing
#: blocks the loop, so without them the next requests would wait for the parse.
_SEND_TURNS = 5
_Parse = Callable[[bytes, Mapping[str, str]], Page[T]]


async def _items(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    """The items of ``pages``, each let go of once the caller asks for the next (see
    the sync twin)."""
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

    Same settings as :class:`~hikewoo_core.woo.WooClient`, with an
    :class:`httpx.AsyncClient` (``client=``, never closed here when given), an async
    ``sleep`` and ``max_concurrency`` (default 8) pages read at once.
    ``async for order in client.iter_orders(...)`` reads every page. A response body
    over ``max_response_bytes`` (default 64 MiB) raises
    :class:`~hikewoo_core.ResponseTooLargeError` unread; no error keeps a secret, even
    from a page that echoes the request.
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
        clock: Callable[[], float] | None = None,
        nonce_factory: Callable[[], str] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_concurrency: int = DEFAULT_READ_AHEAD,
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
        if type(max_concurrency) is not int or max_concurrency < 1:
            raise ConfigurationError(
                f"max_concurrency must be a positive integer, got {max_concurrency!r}"
            )
        self.max_concurrency = max_concurrency
        self.delete_failed_drafts = delete_failed_drafts
        self._sleep = sleep
        self._own(client, self.requests.root, timeout=timeout)

    # --- lifetime ---------------------------------------------------------------------

    # --- plumbing ---------------------------------------------------------------------
    async def _send(self, request: Request) -> httpx.Response:
        flow = request_flow(
            request, policy=self.retry, prepare=self.requests.prepare, secrets=self.secrets()
        )
        try:
            return await send_async(
                self._http, flow, sleep=self._sleep, max_body=self.max_response_bytes
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
        extra = self.speculation(params, self.max_concurrency) if speculate else 0
        first = int(str(params.get("page", 1)))
        window = self.max_concurrency
        plan: ReadAhead[httpx.Response] = ReadAhead(first, window, path, unique, extra)
        ahead = self._read_ahead(request, parse, plan)
        try:
            async for read in ahead:
                yield read
        finally:
            await ahead.aclose()
        page = plan.sequential
        if page is not None:  # no X-WP-TotalPages: follow Link / count pages
            follow = lambda link: self.requests.follow(link, path)  # noqa: E731
            guard = PageGuard(path, repeats=not unique)
            while True:  # each page is checked before it is yielded
                nxt = self.next_sequential(request, page, per_page, follow, guard)
                yield page
                if nxt is None:
                    return
                request, page = nxt, await self._page(nxt, parse)

    async def _read_ahead(
        self, request: Request, parse: _Parse[T], plan: ReadAhead[httpx.Response]
    ) -> AsyncGenerator[Page[T], None]:
        """The pages of ``plan``, in order: fetched by up to ``max_concurrency`` tasks,
        parsed here (see :class:`~hikewoo_core.woo._paging.ReadAhead` and the sync twin).

        A fetch that ends starts the next one due itself. Parsing blocks the event loop,
        so new requests get a few loop turns to reach the wire first. Leaving early
        cancels the fetches in flight.
        """
        launched = 0  # fetches started since the last loop turns given to them

        def launch(_: object = None) -> None:
            nonlocal launched
            for number in plan.due():
                ask = request.with_params({"page": str(number)})
                fetch = asyncio.ensure_future(self._send(ask))
                plan.add(number, fetch)
                fetch.add_done_callback(launch)  # as soon as it ends: the next one
                launched += 1

        async def start() -> None:
            nonlocal launched
            launch()
            if launched:  # on the wire before a parse blocks the loop
                launched = 0
                for _ in range(_SEND_TURNS):
                    await asyncio.sleep(0)

        try:
            while True:
                await start()
                if plan.over:
                    return
                response = await cast("asyncio.Task[httpx.Response]", plan.head())
                await start()  # what the done callbacks started goes out before the parse
                page = parse(response.content, response.headers)
                checked = plan.pop(page)
                if checked is None:
                    return
                plan.holding = True
                await start()  # the next pages are on the wire while the page is used
                yield checked
                plan.holding = False
        finally:
            left = cast("list[asyncio.Task[httpx.Response]]", plan.cancel())
            await asyncio.gather(*left, return_exceptions=True)

    # --- reads --------------------------------------------------------------------------
    async def get_order(self, order_id: int) -> WooOrder:
        """``GET /orders/<id>``."""
        return self.order((await self._send(self.order_request(order_id))).content)

    async def list_orders(self, **filters: Any) -> list[WooOrder]:
        """One page of ``GET /orders`` with WooCommerce's filters (checked as by the sync
        twin: unknown names and ``_fields`` are refused before sending)."""
        check_order_filter_names(filters, "list_orders")
        request = self.list_request("orders", self.whole_orders(filters))
        return (await self._page(request, self.order_page)).items

    def iter_orders(self, **filters: Any) -> AsyncIterator[WooOrder]:
        """Every order matching ``filters``; pages read concurrently, yielded in order.

        The first ``max_concurrency`` (default 8) pages are requested at once (see
        :meth:`speculation` for why and the bound), then up to ``max_concurrency`` pages
        are in flight or held beyond the current one. Leaving early (``break``, then
        ``aclose()``) cancels the pages in flight. ``offset`` and unknown names are
        refused at the call (see the sync twin)."""
        check_order_filter_names(filters, "iter_orders", PAGED_RESERVED)
        filters = self.page_filters(self.whole_orders(filters), MAX_PER_PAGE)
        self.paged(filters)  # checked now, not at the first iteration
        return _items(self._pages("orders", filters, self.order_page, speculate=True))

    def iter_order_fields(
        self, fields: Sequence[str], **filters: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Every order matching ``filters``, trimmed to ``fields``, as JSON objects (see
        the sync twin)."""
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
        """Orders modified in ``[after - overlap, before)``, none missed (see the sync twin)."""
        check_order_filter_names(filters, "iter_orders_modified", SCAN_RESERVED)
        start = require_aware("after", after) - overlap
        scan = self.scan_plan(start, require_aware("before", before), page_size, filters)
        return self._scan(scan, self.order_page)

    async def _scan(
        self, scan: ModifiedScan[Item], parse: _Parse[Item]
    ) -> AsyncGenerator[Item, None]:
        while (query := scan.query()) is not None:
            page = await self._page(self.requests.build("GET", "orders", query), parse)
            for order in scan.feed(page):
                yield order

    async def list_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of an order, as WooCommerce lists them (newest first)."""
        path = order_path(order_id, "refunds")
        pages = self._pages(path, {"per_page": MAX_PER_PAGE}, self.refund_page)
        return [refund async for page in pages for refund in page.items]

    async def get_refund(self, order_id: int, refund_id: int) -> WooRefund:
        """``GET /orders/<id>/refunds/<refund_id>``."""
        path = order_path(order_id, "refunds", refund_id)
        return self.refund((await self._send(self.requests.build("GET", path))).content)

    # --- writes -------------------------------------------------------------------------
    async def create_order(self, body: Mapping[str, Any]) -> WooOrder:
        """``POST /orders``; never resent once it may have reached the server."""
        try:
            return self.order((await self._send(self.create_request(body))).content)
        except ApiError as exc:
            draft = draft_order_id(exc)
            if draft is None:
                raise
            raise await self._clean_draft(exc, draft) from exc

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
        """``PUT /orders/<id>``."""
        return self.order((await self._send(self.update_request(order_id, body))).content)

    async def delete_order(self, order_id: int, *, force: bool = False) -> WooOrder:
        """``DELETE /orders/<id>``: to the trash, or for good with ``force=True``."""
        request = self.delete_request(order_id, force=force)
        return self.order((await self._send(request)).content)

    async def batch_update_orders(
        self, updates: Sequence[Mapping[str, Any]], *, extra_statuses: Iterable[str] = ()
    ) -> BatchResult:
        """Update orders through ``POST /orders/batch``, 100 per request, every outcome kept.

        Every item is checked first, as WooCommerce does not check batch items (see the
        sync twin): a bad one raises :class:`~hikewoo_core.ConfigurationError` and nothing
        is sent."""
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
        """``POST /orders/<id>/refunds`` with ``api_refund: false`` unless allowed."""
        payload = self.refund_body(body, allow_gateway_refund)
        request = self.requests.build("POST", order_path(order_id, "refunds"), json=payload)
        return self.refund((await self._send(request)).content)

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
        """Create the order unless one with the reference exists (see the sync twin)."""
        optional_aware("created_after", created_after)
        payload = self.with_reference(body, reference_key, reference_value)
        via = payload.get("created_via") if isinstance(payload.get("created_via"), str) else None
        since = self.lookup_since(created_after)
        if attempts < 1:
            raise ConfigurationError(f"attempts must be at least 1, got {attempts}")
        found = await self._find(reference_key, reference_value, since, via)
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
                found = await self._find(reference_key, reference_value, since, via)
                if found:
                    break
            else:
                log.warning("create of unknown outcome not found after settling; creating again")
            if created == attempts and not found:
                raise unknown
        return found[0]

    async def _find(
        self, key: str, value: str, created_after: datetime | None, created_via: str | None
    ) -> list[WooOrder]:
        filters = self.lookup_filters(created_after, created_via)
        ids: set[int] = set()
        async for page in self._pages("orders", filters, self.raw_page):
            ids.update(self.matching_ids(page.items, key, value))
        return [await self.get_order(order_id) for order_id in sorted(ids)]

    # --- the port methods, as coroutines ---------------------------------------------------
    async def read_order(self, order_id: int) -> WooOrder:
        """The order as it is now."""
        return await self.get_order(order_id)

    async def read_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of the order, oldest first (by id)."""
        return sorted(await self.list_refunds(order_id), key=lambda r: r.id)

    def read_orders(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> AsyncGenerator[WooOrder | Unreadable, None]:
        """Orders in a modified/created window, oldest change first, none missed (an
        order that does not parse comes as :class:`~hikewoo_core.Unreadable`)."""
        optional_aware("modified_after", modified_after)
        # Default: to the end of the current second (stamps are whole seconds).
        end = (
            require_aware("modified_before", modified_before) if modified_before else self.now_end()
        )
        created = self.created_window(created_after, created_before)
        scan = self.scan_plan(modified_after, end, MAX_PER_PAGE, created)
        return self._scan(scan, self.order_page_tolerant)

    async def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """Create (``order_id`` None) or update an order."""
        if order_id is None:
            return await self.create_order(body)
        return await self.update_order(order_id, body)

    async def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        """Create a refund with ``api_refund: false``."""
        return await self.create_refund(order_id, body)

    async def find_orders_by_meta(
        self,
        key: str,
        value: str,
        *,
        created_after: datetime | None = None,
        created_via: str | None = None,
    ) -> list[WooOrder]:
        """Orders whose ``meta_data`` has ``key == value`` (see the sync twin for why it lists)."""
        optional_aware("created_after", created_after)
        via = self.created_via if created_via is None else created_via
        return await self._find(key, value, created_after, via)

    async def find_product(self, sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku``, else ``None`` (see the sync twin)."""
        if not self.sku_to_find(sku):
            return None
        found: WooProduct | None = None
        async for page in self._pages("products", self.product_filters(sku), self.product_page):
            found = found or self.exact_product(page.items, sku)  # read to the end: few pages
        return found
