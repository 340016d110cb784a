"""Which page to read next: offset paging with read-ahead, and the modified-date scan (pure).

Both clients drive these plans; only the waiting differs (threads or tasks).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from .._datetimes import UTC
from .._errors import HikeWooError
from .._page_guard import PageGuard
from .._unreadable import Unreadable
from ._auth import ParamValue
from ._models import WooOrder
from ._requests import ceil_second, format_filter_date
from ._responses import Page

__all__ = ["DEFAULT_READ_AHEAD", "Handle", "ModifiedScan", "ReadAhead"]

#: What a scan reads: orders, or (from a tolerant parser) items that did not parse.
Item = TypeVar("Item", bound="WooOrder | Unreadable")
#: What a page fetch returns (an ``httpx.Response``; this module does no I/O).
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
#: Pages a listing keeps in flight by default (the clients' ``concurrency``):
#: what a raw client needs to reach its best throughput on a store 50 ms away, and few
#: enough for a shared host (each is one PHP worker busy for the time of a page).
DEFAULT_READ_AHEAD = 8
_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Passes over one crowded second before the scan gives up (see ``ModifiedScan``).
MAX_BUCKET_PASSES = 20


class Handle(Protocol[R_co]):
    """A fetch under way: a :class:`concurrent.futures.Future` or an :class:`asyncio.Task`."""

    def done(self) -> bool: ...

    def result(self) -> R_co: ...

    def cancel(self) -> bool: ...


class ReadAhead(Generic[R]):
    """A window of up to ``window`` pages being fetched, handed out in page order.

    **Which pages.** The number of pages comes from ``X-WP-TotalPages`` (the largest
    seen, since orders may be added while reading); an empty page ends the read (orders
    may also vanish). Before the first answer the count is unknown: ``speculate`` more
    pages are requested with the first one (see :meth:`WooCore.speculation
    <hikewoo_core.woo._core.WooCore.speculation>` for the bound), so that the first round
    trip brings a whole window instead of one page. A page past the end of the list
    is answered ``200 []`` by WooCommerce (and ends the read like any empty page); a
    page numbered past every ``X-WP-TotalPages`` seen up to it ends the read unread, as
    it would never have been asked for without speculation.

    **In what order.** Pages are fetched concurrently and may arrive in any order; the
    client waits for the next one due (:meth:`head`), parses it, and hands it over
    (:meth:`pop`) after a :class:`~hikewoo_core._page_guard.PageGuard` checked it: a
    server that answers the same page again (when the order is ``unique``, without
    ties), or more items than ``X-WP-Total``, stops the read. An error fetching or
    parsing a page is raised at its turn, after the pages before it. No more than
    ``window`` pages are in flight or held besides the one handed out last (see
    :meth:`due`); they are held as the bytes received, parsed one at a time.

    The first page without ``X-WP-TotalPages`` (a proxy stripping it) ends the window:
    it is kept in :attr:`sequential` for the client to follow ``Link`` headers page by
    page from it, and the pages requested with it are dropped.
    """

    def __init__(
        self,
        first_number: int,
        window: int,
        what: str = "",
        unique: bool = True,
        speculate: int = 0,
    ) -> None:
        self.window = max(1, window)
        self.first_number = first_number
        self.last: int | None = None  # unknown until the first page is taken
        self.next_number = first_number
        self._speculative_last = first_number + max(0, min(speculate, self.window - 1))
        self.done = False
        #: The first page, when it came without ``X-WP-TotalPages`` (see the class doc).
        self.sequential: Page[Any] | None = None
        self.guard = PageGuard(what or "the list", repeats=not unique)
        #: Whether the page handed out last is still in use (the client sets it).
        self.holding = False
        self._fetches: deque[tuple[int, Handle[R]]] = deque()

    @property
    def speculative(self) -> bool:
        """Whether more than the first page is requested before the first answer."""
        return self._speculative_last > self.first_number

    @property
    def over(self) -> bool:
        """Whether every page requested has been handed out (or dropped)."""
        return not self._fetches

    # --- requests -----------------------------------------------------------------------
    def due(self) -> list[int]:
        """The page numbers to request now (the window has room, the read goes on).

        Once it has arrived, the next page due is the current one, not a page ahead:
        the page after the window is requested before it is parsed, so parsing never
        holds a place a request could use. Unless :attr:`holding`: while the last page
        handed out is in use, that one is the current page.
        """
        limit = self._speculative_last if self.last is None else self.last
        ahead = len(self._fetches)
        if ahead and not self.holding and self._fetches[0][1].done():
            ahead -= 1
        numbers: list[int] = []
        while not self.done and ahead + len(numbers) < self.window:
            if self.next_number > limit:
                break
            numbers.append(self.next_number)
            self.next_number += 1
        return numbers

    def add(self, number: int, fetch: Handle[R]) -> None:
        """Record the fetch of page ``number`` (one of :meth:`due`, in that order)."""
        self._fetches.append((number, fetch))

    # --- answers ------------------------------------------------------------------------
    def head(self) -> Handle[R]:
        """The fetch of the next page due (wait for it, parse it, then :meth:`pop` it)."""
        return self._fetches[0][1]

    def pop(self, page: Page[Any]) -> Page[Any] | None:
        """Hand over the next page due, parsed: ``page``, checked; ``None`` once the read
        is over. Raises the guard's error."""
        number, _ = self._fetches.popleft()
        return page if self.received(number, page) else None

    def received(self, number: int, page: Page[Any]) -> bool:
        """Check page ``number`` (pages come in order); ``False`` once the read is over."""
        if number == self.first_number and page.total_pages is None:
            self.done = True
            self.sequential = page
            return False
        if not page.items:
            self.done = True
            return False
        self.last = max(self.last or 0, page.total_pages or 0)
        if number > max(self.last, self.first_number):
            self.done = True  # past the end every answer announced: only speculation asks
            return False
        self.guard.check(f"page {number}", page.items, page.total)
        return True

    def cancel(self) -> list[Handle[R]]:
        """End the read: cancel the fetches not started; returns every fetch left."""
        self.done = True
        left = [fetch for _, fetch in self._fetches]
        self._fetches.clear()
        for fetch in left:
            fetch.cancel()
        return left


def _filter_date(value: datetime, *, round_up: bool = False) -> str:
    return format_filter_date(value, round_up=round_up)


def _stamp(item: WooOrder | Unreadable) -> datetime | None:
    return item.date_modified_gmt if isinstance(item, WooOrder) else item.modified


def _ident(item: WooOrder | Unreadable) -> int | None:
    return item.id


class ModifiedScan(Generic[Item]):
    """Read every order modified in ``[start, end)`` once per version, oldest change first.

    Offset paging of ``orderby=modified`` is not safe while the store changes: an order
    modified between two page reads leaves its place, every later order moves one place
    up, and the one that crosses the page boundary is never read. This scan uses the
    modification time itself as the cursor (keyset paging):

    * **scan**: ask for the first page of ``modified_after = cursor - 1 s``
      (WooCommerce's bound is exclusive, so: modified at or after ``cursor``),
      ``orderby=modified&order=asc``. A short page ends the read. Otherwise the cursor
      moves to the page's latest modification time ``m`` (orders at ``m`` are asked for
      again; de-duplication by ``(id, date_modified_gmt)`` hides the repeats).
    * **bucket**: if a full page holds only orders modified in the cursor's second (more
      than a page of orders changed in one second, as batch writes do), that second is
      read on its own with ``orderby=id``, page by page, until one pass sees the same
      ``X-WP-Total`` on every page; then the cursor moves one second on.

    Why nothing is missed: an order that is not modified during the read keeps its
    modification time ``m``. The cursor never passes ``m`` without the order having
    been returned: a full page without it holds only orders that sort before it (so
    the cursor moves to at most ``m``), and a bucket pass with a stable total saw the
    whole second (orders only *leave* a past second, so an unchanged total means
    nothing moved between its pages). The cursor grows by at least a second per step,
    so the read ends, with a short page that held every order at or after the cursor.
    An order modified *during* the read gets a new time: if still before ``end`` it is
    read at its new place; if not, it falls in the next window, which starts at this
    window's end minus the overlap. So pass an ``end`` no later than now, and move
    your watermark only after the whole read.
    """

    def __init__(
        self,
        start: datetime | None,
        end: datetime,
        page_size: int,
        filters: Mapping[str, ParamValue] | None = None,
    ) -> None:
        self._cursor = None if start is None else ceil_second(start.astimezone(UTC))
        self._end = ceil_second(end.astimezone(UTC))
        self._size = page_size
        self._filters = dict(filters or {})
        self._bucket: datetime | None = None
        self._bucket_page = 1
        self._guard = PageGuard("orders modified in one second")
        self._totals: list[int | None] = []
        self._passes = 0
        self._seen: set[tuple[int | None, datetime | None]] = set()
        self._done = self._cursor is not None and self._cursor >= self._end

    def query(self) -> dict[str, ParamValue] | None:
        """The parameters of the next request, or ``None`` when the read is complete."""
        if self._done:
            return None
        params: dict[str, ParamValue] = {
            **self._filters,
            "dates_are_gmt": True,
            "per_page": self._size,
            "order": "asc",
        }
        if self._bucket is None:
            params.update(orderby="modified", page=1, modified_before=_filter_date(self._end))
            if self._cursor is not None:
                params["modified_after"] = _filter_date(self._cursor - _SECOND)
            return params
        second = self._bucket
        params.update(
            orderby="id",
            page=self._bucket_page,
            modified_after=_filter_date(second - _SECOND),
            modified_before=_filter_date(min(second + _SECOND, self._end)),
        )
        return params

    def _wanted(self, item: WooOrder | Unreadable) -> bool:
        m = _stamp(item)
        if m is None:  # an unreadable item without a readable stamp: report it once
            return True
        if self._bucket is not None:
            return m == self._bucket
        return (self._cursor is None or m >= self._cursor) and m < self._end

    def feed(self, page: Page[Item]) -> list[Item]:
        """Take the answer to :meth:`query`; returns the items not yielded before.

        Items of one second come sorted by id (the store returns them in any order).
        """
        fresh: list[Item] = []
        for item in page.items:
            key = (_ident(item), _stamp(item))
            if key not in self._seen and self._wanted(item):
                self._seen.add(key)
                fresh.append(item)
        fresh.sort(key=lambda item: (_stamp(item) or _EPOCH, _ident(item) or 0))
        full = len(page.items) >= self._size
        if self._bucket is None:
            self._after_scan(page, full)
        else:
            self._after_bucket_page(self._bucket, page, full)
        return fresh

    def _after_scan(self, page: Page[Item], full: bool) -> None:
        stamps = [m for m in map(_stamp, page.items) if m is not None]
        if not full or not stamps:
            self._done = True
            return
        latest = max(stamps)
        if self._cursor is None or latest > self._cursor:
            self._cursor = latest
            self._forget_before(latest)
        elif latest == self._cursor:
            self._bucket, self._bucket_page, self._totals, self._passes = latest, 1, [], 0
            self._guard = PageGuard(f"orders modified at {latest.isoformat()}")
        else:
            raise HikeWooError(
                "the store answered modified_after with older orders: it ignores the "
                "filter (WooCommerce before 5.8?); incremental reads need it"
            )
        if self._cursor >= self._end:
            self._done = True

    def _forget_before(self, cursor: datetime) -> None:
        """Forget versions older than the new cursor: they can never be wanted again
        (:meth:`_wanted` asks for ``m >= cursor``), so memory stays bounded by what shares
        the cursor's second, not by the size of the window."""
        self._seen = {key for key in self._seen if key[1] is None or key[1] >= cursor}

    def _after_bucket_page(self, second: datetime, page: Page[Item], full: bool) -> None:
        self._guard.check(f"page {self._bucket_page} (orderby=id)", page.items, page.total)
        self._totals.append(page.total)
        last = not full or (page.total_pages is not None and self._bucket_page >= page.total_pages)
        if not last:
            self._bucket_page += 1
            return
        if None not in self._totals and len(set(self._totals)) == 1:
            self._cursor, self._bucket = second + _SECOND, None
            self._forget_before(self._cursor)
            self._done = self._cursor >= self._end
            return
        self._passes += 1
        if self._passes >= MAX_BUCKET_PASSES:
            raise HikeWooError(
                f"orders modified at {second.isoformat()} kept changing over "
                f"{self._passes} passes; read the window again later"
            )
        self._bucket_page, self._totals = 1, []
        self._guard = PageGuard(f"orders modified at {second.isoformat()}")
