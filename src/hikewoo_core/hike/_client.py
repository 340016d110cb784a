"""The synchronous Hike REST client: :class:`HikeClient` (implements the Hike port)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from .._datetimes import require_aware
from .._errors import ApiError, ConfigurationError, OutcomeUnknownError, PayloadError
from .._http import DEFAULT_MAX_RESPONSE_BYTES, request_flow, send_sync
from .._http._owned import OwnedClient
from .._http_types import QueryValue, Request
from .._retry import DEFAULT_SETTLE_POLICY, RetryPolicy, SettlePolicy
from .._unreadable import Unreadable
from . import _requests as rq
from ._base import HikeClientBase, OnTokens, log, refresh_failed
from ._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikeOutlet,
    HikePayment,
    HikeProduct,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
    PaymentStatus,
)
from ._oauth import Tokens
from ._schema import STATUS_ENCODING, StatusEncoding

__all__ = ["HikeClient"]

T = TypeVar("T")


class HikeClient(HikeClientBase, OwnedClient):
    """Hike's REST API over httpx; implements :class:`~hikewoo_core.HikePort`.

    Give it the tokens from the OAuth2 flow (:mod:`hikewoo_core.hike._oauth`). With a
    refresh token and the app's ``client_id``/``client_secret`` it renews the access
    token ``refresh_margin`` before it expires, and once after a 401, handing the new
    tokens to ``on_tokens`` (store them: the library keeps nothing). ``client`` is an
    optional caller-owned :class:`httpx.Client`, never closed here; otherwise the client
    owns one (use ``with HikeClient(...) as hike:`` or :meth:`close`).

    Timeouts, network errors, 429 (honouring ``Retry-After``) and 502/503/504 are
    retried by ``policy``; 500 is not, as Hike uses it to refuse a request with a
    message. Where Hike's API is unpublished the names come from
    :mod:`hikewoo_core.hike._schema`, marked assumed. ``clock`` (aware datetimes) and
    ``sleep`` are injectable for tests.
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
        client: httpx.Client | None = None,
        tokens: Tokens | None = None,
        expires_at: datetime | None = None,
        refresh_margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], object] = time.sleep,
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
            policy=policy,
            page_size=page_size,
            status_encoding=status_encoding,
            sales_lookback=sales_lookback,
            reference_lookback=reference_lookback,
            oauth_base=oauth_base,
            max_response_bytes=max_response_bytes,
        )
        self._own(client, self.base_url)
        self._sleep = sleep
        self._lock = threading.RLock()

    # -- lifecycle ----------------------------------------------------------------

    # -- plumbing -------------------------------------------------------------------

    def _renew(self) -> None:
        try:
            flow = request_flow(
                self._session.refresh_request(), policy=self.policy, secrets=self.secrets()
            )
            response = send_sync(
                self._http, flow, sleep=self._sleep, max_body=self.max_response_bytes
            )
        except ApiError as exc:
            raise refresh_failed(exc) from exc
        self._session.accept(rq.decode(response.content, "Hike token response"))

    def _refresh_after_401(self, failed: str) -> bool:
        with self._lock:
            if self._session.tokens.access_token != failed:
                return True  # another thread renewed it meanwhile
            if not self._session.can_refresh:
                log.warning("Hike refused the access token; no refresh token to renew it")
                return False
            log.info("Hike refused the access token; renewing it once")
            self._renew()
            return True

    def _send(self, request: Request) -> httpx.Response:
        if self._session.due():
            with self._lock:
                if self._session.due():
                    self._renew()
        used: list[str] = []

        def prepare(req: Request, attempt: int) -> Request:
            authorized, token = self._session.authorize(req)
            used.append(token)
            return authorized

        flow = request_flow(
            request,
            policy=self.policy,
            prepare=prepare,
            hint_for_401=rq.HINT_401,
            secrets=self.secrets(),
        )
        return send_sync(
            self._http,
            flow,
            on_unauthorized=lambda: self._refresh_after_401(used[-1]),
            sleep=self._sleep,
            max_body=self.max_response_bytes,
        )

    def _json(self, request: Request, what: str) -> Any:
        return self._decoded(self._send(request).content, what)

    def _lookup(self, request: Request, what: str) -> Any:
        """The answer of a lookup; ``None`` when Hike answers 404."""
        try:
            return self._json(request, what)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _raw_pages(
        self, operation: str, params: dict[str, QueryValue], page_size: int | None
    ) -> Iterator[list[Any]]:
        pager = rq.Pager(
            rq.list_request(self.base_url, operation, params),
            self.page_size if page_size is None else page_size,
        )
        what = f"Hike {operation}"
        while not pager.done:
            yield pager.feed(self._json(pager.next_request(), what), what)

    def _pages(
        self, operation: str, params: dict[str, QueryValue], cls: type[T], page_size: int | None
    ) -> Iterator[T]:
        what = f"Hike {operation}"
        for items in self._raw_pages(operation, params, page_size):
            yield from rq.parse_items(items, cls, what)

    def _sale_from(self, body: Any, sale_id: int | None) -> HikeSale:
        answer = rq.parse_sale_answer(body)
        if isinstance(answer, HikeSale):
            return answer
        known = answer if answer is not None else sale_id
        if known is None:
            raise PayloadError([("$", "expected the sale or its id")], what="Hike sale answer")
        return self.read_sale(known)

    # -- lists ----------------------------------------------------------------------

    def iter_sales(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        **filters: QueryValue,
    ) -> Iterator[HikeSale]:
        """Sales with a transaction date in ``[since, until]``, lazily, page by page (aware
        datetimes; a naive one raises :class:`~hikewoo_core.ConfigurationError` at once).

        ``filters`` are sent as further query parameters, as named.
        """
        params = {**rq.window_params("list_sales", since, until), **filters}
        return self._pages("list_sales", params, HikeSale, page_size)

    def iter_products(
        self, *, page_size: int | None = None, **filters: QueryValue
    ) -> Iterator[HikeProduct]:
        """Every product, lazily, page by page."""
        return self._pages("list_products", dict(filters), HikeProduct, page_size)

    def iter_register_closures(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        **filters: QueryValue,
    ) -> Iterator[HikeRegisterClosure]:
        """Register closures (openings of a register) in a date range, lazily."""
        params = {**rq.window_params("list_register_closures", since, until), **filters}
        return self._pages("list_register_closures", params, HikeRegisterClosure, page_size)

    def list_outlets(self) -> list[HikeOutlet]:
        """The active outlets (``GET /outlets/get_all_active``, documented)."""
        return rq.parse_outlets(self._json(rq.outlets_request(self.base_url), "Hike outlets"))

    # -- HikePort -------------------------------------------------------------------

    def read_sale(self, sale_id: int) -> HikeSale:
        """One sale; unknown id: :class:`~hikewoo_core.ApiError` (404)."""
        body = self._json(rq.read_sale_request(self.base_url, sale_id), "Hike sale")
        return rq.parse_one(body, HikeSale)

    def read_sales(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
    ) -> Iterator[HikeSale | Unreadable]:
        """Sales modified in ``[modified_after, modified_before)``, lazily.

        Hike publishes no modification filter: sales are listed by transaction date
        from ``modified_after - sales_lookback`` and filtered here on their
        modification time (sales without one are kept). A sale that does not parse
        comes as :class:`~hikewoo_core.Unreadable`: one bad sale never stops a run.
        A naive bound raises :class:`~hikewoo_core.ConfigurationError` at once.
        """
        params = rq.sales_window_params(modified_after, modified_before, self.sales_lookback)
        return self._read_sales(params, modified_after, modified_before)

    def _read_sales(
        self,
        params: dict[str, QueryValue],
        modified_after: datetime | None,
        modified_before: datetime | None,
    ) -> Iterator[HikeSale | Unreadable]:
        for items in self._raw_pages("list_sales", params, None):
            for sale in rq.parse_sales_tolerant(items):
                if isinstance(sale, Unreadable) or rq.modified_in(
                    sale, modified_after, modified_before
                ):
                    yield sale

    def find_sales_by_reference(
        self, external_reference: str, *, around: datetime | None = None
    ) -> list[HikeSale]:
        """Sales carrying ``external_reference``, by id.

        No reference filter is published, so this lists the sales of the last
        ``reference_lookback`` (and of the days around ``around``, or around the
        transaction date of a draft this client sent) and matches locally.
        """
        if around is not None:
            require_aware("around", around)
        hint = self._hint(external_reference, around)
        found: list[HikeSale] = []
        for start, end in rq.reference_windows(self._clock(), self.reference_lookback, hint):
            found += rq.matching_reference(
                self.iter_sales(since=start, until=end), external_reference
            )
        return rq.matching_reference(found, external_reference)

    def write_sale(self, draft: HikeSaleDraft) -> HikeSale:
        """Create a sale or refund sale. A lost answer raises
        :class:`~hikewoo_core.OutcomeUnknownError` (see :meth:`create_sale_idempotent`)."""
        self._remember(draft)
        request = rq.create_sale_request(self.base_url, draft, self.status_encoding)
        body = self._json(request, "Hike sale answer")
        if body is None and draft.external_reference:
            found = self.find_sales_by_reference(draft.external_reference)
            if found:
                return found[0]
        return self._sale_from(body, None)

    def create_sale_idempotent(
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
        reference after each delay of ``settle`` before the create is sent again; ``lookup_first``
        also looks before the first attempt. Raises the last
        :class:`~hikewoo_core.OutcomeUnknownError` after ``attempts`` creates.
        """
        ref = draft.external_reference
        if not ref:
            raise ConfigurationError("create_sale_idempotent needs a draft with external_reference")
        if lookup_first:
            found = self.find_sales_by_reference(ref, around=draft.transaction_date)
            if found:
                return found[0]
        for attempt in range(1, attempts + 1):
            try:
                return self.write_sale(draft)
            except OutcomeUnknownError:
                log.warning("Hike sale %s: create outcome unknown; looking it up", ref)
                for delay in settle.delays:  # a gateway's 504: the origin may commit later
                    self._sleep(delay)
                    found = self.find_sales_by_reference(ref, around=draft.transaction_date)
                    if found:
                        return found[0]
                if attempt >= attempts:
                    raise
        raise ConfigurationError(f"attempts must be at least 1, got {attempts}")

    def write_sale_status(
        self,
        sale_id: int,
        fulfilment: FulfilmentStatus,
        payment: PaymentStatus,
        payments: Sequence[HikePayment] | None = None,
    ) -> HikeSale:
        """Set a sale's statuses (and replace its payments when given)."""
        request = rq.update_status_request(
            self.base_url,
            sale_id,
            fulfilment,
            payment,
            payments=payments,
            encoding=self.status_encoding,
        )
        return self._sale_from(self._json(request, "Hike sale answer"), sale_id)

    def find_customer(self, email: str) -> HikeCustomer | None:
        """The customer with this email, or ``None``."""
        body = self._lookup(rq.customer_request(self.base_url, email), "Hike customer")
        return rq.parse_customer_lookup(body)

    def find_product(self, sku: str) -> HikeProduct | None:
        """The product with this SKU, or ``None``."""
        body = self._lookup(rq.product_by_sku_request(self.base_url, sku), "Hike product")
        return rq.parse_product_lookup(body, sku)

    def read_register_closure(self, closure_id: int) -> HikeRegisterClosure:
        """One opening of a register; unknown id: :class:`~hikewoo_core.ApiError` (404)."""
        body = self._json(rq.closure_request(self.base_url, closure_id), "Hike register closure")
        return rq.parse_one(body, HikeRegisterClosure)

    def write_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        """Enter or replace the serial numbers of one line of a sale."""
        request = rq.serial_numbers_request(self.base_url, sale_id, line_index, serial_numbers)
        return self._sale_from(self._json(request, "Hike sale answer"), sale_id)
