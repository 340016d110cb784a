"""The Hike REST client, asynchronous: the source of both clients and token requests.

:class:`AsyncHikeClient` and the OAuth2 token requests (:func:`exchange_code_async`,
:func:`refresh_tokens_async`) are written here once; ``tools/unasync.py`` generates the
synchronous :mod:`._client` from this file, and CI checks that it is up to date.
Requests are built and answers parsed by the pure :mod:`._requests`; retries are the
shared request flow's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from .._datetimes import require_aware, utc_now
from .._errors import ApiError, ConfigurationError, OutcomeUnknownError, PayloadError
from .._http import DEFAULT_MAX_RESPONSE_BYTES, default_async_client, request_flow, send_async
from .._http._io import warn_if_unverified
from .._http._owned import OwnedAsyncClient
from .._http_types import QueryValue, Request
from .._mapping import HikeStatus
from .._retry import DEFAULT_SETTLE_POLICY, RetryPolicy, SettlePolicy
from .._unreadable import Unreadable
from . import _requests as rq
from ._base import HikeClientBase, OnTokens, log, refresh_failed
from ._models import (
    HikeCustomer,
    HikeOutlet,
    HikePayment,
    HikeProduct,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
)
from ._oauth import (
    DEFAULT_AUTH_BASE,
    Tokens,
    code_grant_request,
    parse_token_response,
    refresh_grant_request,
)
from ._schema import STATUS_ENCODING, StatusEncoding

__all__ = ["AsyncHikeClient", "exchange_code_async", "refresh_tokens_async"]

T = TypeVar("T")
R = TypeVar("R")


class AsyncHikeClient(HikeClientBase, OwnedAsyncClient):
    """Hike's REST API over httpx, with ``asyncio``; the operations of the Hike port.

    The methods are coroutines, the ``iter_*`` and ``read_sales`` methods async iterators.
    Use ``async with AsyncHikeClient(...) as hike:`` or :meth:`aclose`.
    Give it the tokens from the OAuth2 flow (:func:`~hikewoo_core.hike.exchange_code`):
    with a refresh token and the app's ``client_id`` and ``client_secret`` it renews the
    access token ``refresh_margin`` before it expires, and once after a 401. Where
    Hike's API is unpublished the names come from :data:`~hikewoo_core.hike.FIELDS`
    and its sibling tables, marked assumed.

    Args:
        access_token: The access token from the OAuth2 flow (or pass ``tokens``).
        refresh_token: The refresh token, to renew the access token with.
        client_id: The app's OAuth2 client id (needed to renew tokens).
        client_secret: The app's OAuth2 client secret (needed to renew tokens).
        on_tokens: Called with the new :class:`~hikewoo_core.hike.Tokens` after every
            renewal: store them, the library keeps nothing.
        base_url: The API root (default ``https://api.hikeup.com/api/v1``).
        client: Your own :class:`httpx.AsyncClient` (transport, proxies, limits), never
            closed here. Without one the client makes its own, closed by
            ``async with`` or :meth:`aclose`.
        tokens: The :class:`~hikewoo_core.hike.Tokens` to start from, instead of
            ``access_token``, ``refresh_token`` and ``expires_at``.
        expires_at: When the access token expires (aware), if known.
        refresh_margin: How long before it expires the access token is renewed
            (default 5 minutes).
        clock: A callable returning the current time as a timezone-aware
            :class:`~datetime.datetime` (default: the system's UTC time); a naive time
            raises :class:`~hikewoo_core.ConfigurationError`. It decides when the access
            token is due for renewal and which days a lookup by reference lists.
        retry: When to retry (a :class:`~hikewoo_core.RetryPolicy`): timeouts, network
            errors, 429 (honouring ``Retry-After``) and 502/503/504 by default; a write
            is sent again only when the server cannot have performed it. Not 500: Hike
            answers it to refuse a request, with a message.
        sleep: Waits the given seconds between retries and before each lookup of a
            create whose outcome is unknown (default :func:`asyncio.sleep`); tests pass
            one that returns at once.
        page_size: Records asked for per page of a listing (default 200).
        status_encoding: How statuses are sent, ``"name"`` or ``"number"`` (default:
            the schema's).
        sales_lookback: How far before ``modified_after`` :meth:`read_sales` lists
            sales by transaction date (Hike has no filter on the modification time;
            default 7 days).
        reference_lookback: How far back :meth:`find_sales_by_reference` lists sales
            (default 2 days).
        oauth_base: The OAuth2 root the tokens are renewed at (default: derived from
            ``base_url``).
        max_response_bytes: A response body over this size (default 64 MiB) raises
            :class:`~hikewoo_core.ResponseTooLargeError` unread.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        on_tokens: OnTokens | None = None,
        base_url: str = rq.DEFAULT_BASE_URL,
        client: httpx.AsyncClient | None = None,
        tokens: Tokens | None = None,
        expires_at: datetime | None = None,
        refresh_margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        page_size: int = rq.DEFAULT_PAGE_SIZE,
        status_encoding: StatusEncoding = STATUS_ENCODING,
        sales_lookback: timedelta = timedelta(days=7),
        reference_lookback: timedelta = timedelta(days=2),
        oauth_base: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(
            access_token,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            on_tokens=on_tokens,
            base_url=base_url,
            tokens=tokens,
            expires_at=expires_at,
            refresh_margin=refresh_margin,
            clock=clock,
            retry=retry,
            page_size=page_size,
            status_encoding=status_encoding,
            sales_lookback=sales_lookback,
            reference_lookback=reference_lookback,
            oauth_base=oauth_base,
            max_response_bytes=max_response_bytes,
        )
        self._own(client, self.base_url)
        self._sleep = sleep
        self._lock = asyncio.Lock()

    # -- plumbing -------------------------------------------------------------------

    async def _renew(self) -> None:
        try:
            flow = request_flow(
                self._session.refresh_request(), policy=self.retry, secrets=self.secrets()
            )
            response = await send_async(
                self._http, flow, sleep=self._sleep, max_body=self.max_response_bytes
            )
        except ApiError as exc:
            raise refresh_failed(exc) from exc
        self._session.accept(rq.decode(response.content, "Hike token response"))

    async def _refresh_after_401(self, failed: str) -> bool:
        async with self._lock:
            if self._session.tokens.access_token != failed:
                return True  # renewed by another caller meanwhile
            if not self._session.can_refresh:
                log.warning("Hike refused the access token; no refresh token to renew it")
                return False
            log.info("Hike refused the access token; renewing it once")
            await self._renew()
            return True

    async def _send(self, request: Request) -> httpx.Response:
        if self._session.due():
            async with self._lock:
                if self._session.due():
                    await self._renew()
        used: list[str] = []

        def prepare(req: Request, attempt: int) -> Request:
            authorized, token = self._session.authorize(req)
            used.append(token)
            return authorized

        async def on_unauthorized() -> bool:
            return await self._refresh_after_401(used[-1])

        flow = request_flow(
            request,
            policy=self.retry,
            prepare=prepare,
            hint_for_401=rq.HINT_401,
            secrets=self.secrets(),
        )
        return await send_async(
            self._http,
            flow,
            on_unauthorized=on_unauthorized,
            sleep=self._sleep,
            max_body=self.max_response_bytes,
        )

    async def _json(self, request: Request, what: str) -> Any:
        response = await self._send(request)
        return self._decoded(response.content, what)

    async def _lookup(self, request: Request, what: str) -> Any:
        """The answer of a lookup; ``None`` when Hike answers 404."""
        try:
            return await self._json(request, what)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def _drive(self, steps: Generator[Request, Any, R], what: str) -> R:
        """Run ``steps`` (the account probe's reads): send each request it yields and
        send it back the decoded answer, or the :class:`~hikewoo_core.ApiError` or
        :class:`~hikewoo_core.PayloadError` raised instead; returns what it returns."""
        try:
            request = next(steps)
            while True:
                try:
                    answer: Any = await self._json(request, what)
                except (ApiError, PayloadError) as exc:
                    answer = exc
                request = steps.send(answer)
        except StopIteration as stop:
            result: R = stop.value
            return result

    async def _raw_pages(
        self, operation: str, params: dict[str, QueryValue], page_size: int | None
    ) -> AsyncIterator[list[Any]]:
        pager = rq.Pager(
            rq.list_request(self.base_url, operation, params),
            self.page_size if page_size is None else page_size,
        )
        what = f"Hike {operation}"
        while not pager.done:
            body = await self._json(pager.next_request(), what)
            yield pager.feed(body, what)

    async def _pages(
        self, operation: str, params: dict[str, QueryValue], cls: type[T], page_size: int | None
    ) -> AsyncIterator[T]:
        what = f"Hike {operation}"
        async for items in self._raw_pages(operation, params, page_size):
            for item in rq.parse_items(items, cls, what):
                yield item

    async def _sale_from(self, body: Any, sale_id: int | None) -> HikeSale:
        answer = rq.parse_sale_answer(body)
        if isinstance(answer, HikeSale):
            return answer
        known = answer if answer is not None else sale_id
        if known is None:
            raise PayloadError([("$", "expected the sale or its id")], what="Hike sale answer")
        return await self.read_sale(known)

    # -- lists ----------------------------------------------------------------------

    def iter_sales(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        **filters: QueryValue,
    ) -> AsyncIterator[HikeSale]:
        """Sales with a transaction date in ``[since, until]``, lazily, page by page (aware
        datetimes; a naive one raises :class:`~hikewoo_core.ConfigurationError` at once).

        ``filters`` are sent as further query parameters, as named.
        """
        params = {**rq.window_params("list_sales", since, until), **filters}
        return self._pages("list_sales", params, HikeSale, page_size)

    def iter_products(
        self, *, page_size: int | None = None, **filters: QueryValue
    ) -> AsyncIterator[HikeProduct]:
        """Every product, lazily, page by page."""
        return self._pages("list_products", dict(filters), HikeProduct, page_size)

    def iter_register_closures(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        **filters: QueryValue,
    ) -> AsyncIterator[HikeRegisterClosure]:
        """Register closures (openings of a register) in a date range, lazily."""
        params = {**rq.window_params("list_register_closures", since, until), **filters}
        return self._pages("list_register_closures", params, HikeRegisterClosure, page_size)

    async def list_outlets(self) -> list[HikeOutlet]:
        """The active outlets (``GET /outlets/get_all_active``, documented)."""
        body = await self._json(rq.outlets_request(self.base_url), "Hike outlets")
        return rq.parse_outlets(body)

    # -- HikePort -------------------------------------------------------------------

    async def read_sale(self, sale_id: int) -> HikeSale:
        """One sale; unknown id: :class:`~hikewoo_core.ApiError` (404)."""
        body = await self._json(rq.read_sale_request(self.base_url, sale_id), "Hike sale")
        return rq.parse_one(body, HikeSale)

    def read_sales(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
    ) -> AsyncIterator[HikeSale | Unreadable]:
        """Sales modified in ``[modified_after, modified_before)``, lazily.

        Hike publishes no modification filter: sales are listed by transaction date
        from ``modified_after - sales_lookback`` and filtered here on their
        modification time (sales without one are kept). A sale that does not parse
        comes as :class:`~hikewoo_core.Unreadable`: one bad sale never stops a run.
        A naive bound raises :class:`~hikewoo_core.ConfigurationError` at once.
        """
        params = rq.sales_window_params(modified_after, modified_before, self.sales_lookback)
        return self._read_sales(params, modified_after, modified_before)

    async def _read_sales(
        self,
        params: dict[str, QueryValue],
        modified_after: datetime | None,
        modified_before: datetime | None,
    ) -> AsyncIterator[HikeSale | Unreadable]:
        async for items in self._raw_pages("list_sales", params, None):
            for sale in rq.parse_sales_tolerant(items):
                if isinstance(sale, Unreadable) or rq.modified_in(
                    sale, modified_after, modified_before
                ):
                    yield sale

    async def find_sales_by_reference(
        self, external_reference: str, *, around: datetime | None = None
    ) -> list[HikeSale]:
        """Sales carrying ``external_reference``, by id.

        No reference filter is published, so this lists the sales of the last
        ``reference_lookback`` (and of the days around ``around``, or around the
        transaction date of a draft this client sent) and matches them as they come:
        only the matches are kept, however many sales the days hold.
        """
        if around is not None:
            require_aware("around", around)
        hint = self._hint(external_reference, around)
        found: list[HikeSale] = []
        for start, end in rq.reference_windows(self._clock(), self.reference_lookback, hint):
            async for sale in self.iter_sales(since=start, until=end):
                if sale.external_reference == external_reference:
                    found.append(sale)
        return rq.matching_reference(found, external_reference)

    async def write_sale(self, draft: HikeSaleDraft) -> HikeSale:
        """Create a sale or refund sale. A lost answer raises
        :class:`~hikewoo_core.OutcomeUnknownError` (see :meth:`create_sale_idempotent`)."""
        self._remember(draft)
        request = rq.create_sale_request(self.base_url, draft, self.status_encoding)
        body = await self._json(request, "Hike sale answer")
        if body is None and draft.external_reference:
            found = await self.find_sales_by_reference(draft.external_reference)
            if found:
                return found[0]
        return await self._sale_from(body, None)

    async def create_sale_idempotent(
        self,
        draft: HikeSaleDraft,
        *,
        attempts: int = 2,
        lookup_first: bool = False,
        settle: SettlePolicy = DEFAULT_SETTLE_POLICY,
    ) -> HikeSale:
        """Create a sale at most once, keyed by ``draft.external_reference``.

        When the outcome of a create is unknown (no answer came back, or a gateway's
        502/503/504 while the origin may still commit), the sale is looked up by its
        reference after each delay of ``settle`` before the create is sent again;
        ``lookup_first`` also looks before the first attempt. Raises the last
        :class:`~hikewoo_core.OutcomeUnknownError` after ``attempts`` creates.
        """
        ref = draft.external_reference
        if not ref:
            raise ConfigurationError("create_sale_idempotent needs a draft with external_reference")
        if lookup_first:
            found = await self.find_sales_by_reference(ref, around=draft.transaction_date)
            if found:
                return found[0]
        for attempt in range(1, attempts + 1):
            try:
                return await self.write_sale(draft)
            except OutcomeUnknownError:
                log.warning("Hike sale %s: create outcome unknown; looking it up", ref)
                for delay in settle.delays:  # a gateway's 504: the origin may commit later
                    await self._sleep(delay)
                    found = await self.find_sales_by_reference(ref, around=draft.transaction_date)
                    if found:
                        return found[0]
                if attempt >= attempts:
                    raise
        raise ConfigurationError(f"attempts must be at least 1, got {attempts}")

    async def write_sale_status(
        self, sale_id: int, status: HikeStatus, payments: Sequence[HikePayment] | None = None
    ) -> HikeSale:
        """Set a sale's statuses (and replace its payments when given)."""
        request = rq.update_status_request(
            self.base_url,
            sale_id,
            status.fulfilment,
            status.payment,
            payments=payments,
            encoding=self.status_encoding,
        )
        body = await self._json(request, "Hike sale answer")
        return await self._sale_from(body, sale_id)

    async def find_customer(self, email: str) -> HikeCustomer | None:
        """The customer with this email, or ``None``."""
        body = await self._lookup(rq.customer_request(self.base_url, email), "Hike customer")
        return rq.parse_customer_lookup(body)

    async def find_product(self, sku: str) -> HikeProduct | None:
        """The product with this SKU, or ``None``."""
        body = await self._lookup(rq.product_by_sku_request(self.base_url, sku), "Hike product")
        return rq.parse_product_lookup(body, sku)

    async def read_register_closure(self, closure_id: int) -> HikeRegisterClosure:
        """One opening of a register; unknown id: :class:`~hikewoo_core.ApiError` (404)."""
        request = rq.closure_request(self.base_url, closure_id)
        body = await self._json(request, "Hike register closure")
        return rq.parse_one(body, HikeRegisterClosure)

    async def write_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        """Enter or replace the serial numbers of one line of a sale."""
        request = rq.serial_numbers_request(self.base_url, sale_id, line_index, serial_numbers)
        body = await self._json(request, "Hike sale answer")
        return await self._sale_from(body, sale_id)


# -- OAuth2 token requests (the pure parts are in ._oauth) ---------------------------------


async def _token_request(
    request: Request,
    client: httpx.AsyncClient | None,
    retry: RetryPolicy | None,
    sleep: Callable[[float], Awaitable[object]] | None,
) -> Any:
    http = client if client is not None else default_async_client()
    if client is not None:
        warn_if_unverified(client, request.url, "the Hike token request")
    try:
        flow = request_flow(request, policy=retry or rq.HIKE_RETRY_POLICY)
        waits: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        response = await send_async(http, flow, **waits)
    finally:
        if client is None:
            await http.aclose()
    return rq.decode(response.content, "Hike token response")


def _now(clock: Callable[[], datetime] | None) -> datetime:
    return utc_now() if clock is None else require_aware("the clock's time", clock())


async def exchange_code_async(
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Tokens:
    """Trade the ``code`` from Hike's redirect for :class:`Tokens` (store them yourself).

    ``client`` is an optional caller-owned :class:`httpx.AsyncClient` (never closed
    here); ``clock``, ``retry`` and ``sleep`` are as for the clients. A refused code
    raises :class:`~hikewoo_core.ApiError` (HTTP 400 ``invalid_grant`` from a standard
    OAuth2 server).
    """
    request = code_grant_request(client_id, client_secret, code, redirect_uri, base=base)
    body = await _token_request(request, client, retry, sleep)
    return parse_token_response(body, now=_now(clock))


async def refresh_tokens_async(
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Tokens:
    """Renew tokens with ``refresh_token``; the old refresh token is kept if Hike sends none.

    The clients do this themselves (before expiry, and once after a 401); call it
    directly only to renew tokens outside a client. The arguments are as for
    :func:`exchange_code_async`.
    """
    request = refresh_grant_request(client_id, client_secret, refresh_token, base=base)
    body = await _token_request(request, client, retry, sleep)
    previous = Tokens("-", refresh_token)
    return parse_token_response(body, now=_now(clock), previous=previous)
