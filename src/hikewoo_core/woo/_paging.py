"""Which page to read next: offset paging with read-ahead, and the modified-date scan (pure).

Both clients drive these plans; only the waiting differs (threads or tasks).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from .._page_guard import PageGuard
from .._unreadable import Unreadable
from ..errors import HikeWooError
from ._requests import ceil_second, format_filter_date
from ._responses import Page
from .auth import ParamValue
from .models import WooOrder

__all__ = ["ModifiedScan", "ReadAhead"]

UTC = timezone.utc
#: What a scan reads: orders, or (from a tolerant parser) items that did not parse.
Item = TypeVar("Item", bound="WooOrder | Unreadable")
_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Passes over one crowded second before the scan gives up (see ``ModifiedScan``).
MAX_BUCKET_PASSES = 20


class ReadAhead:
    """Page numbers to request after the first page, at most ``window`` ahead.

    The number of pages comes from ``X-WP-TotalPages`` (the largest seen, since orders
    may be added while reading); an empty page ends the read (orders may also vanish).
    Every page passes a :class:`~hikewoo_core._page_guard.PageGuard`: a server that
    answers the same page again (when the order is ``unique``, without ties), or more
    items than ``X-WP-Total``, stops the read.
    """

    def __init__(
        self,
        first_number: int,
        first: Page[Any],
        window: int,
        what: str = "",
        unique: bool = True,
    ) -> None:
        self.window = max(1, window)
        self.last = first.total_pages or 0
        self.next_number = first_number + 1
        self.done = not first.items
        self.guard = PageGuard(what or "the list", repeats=not unique)
        self._received = first_number
        self.guard.check(f"page {first_number}", first.items, first.total)

    def due(self, in_flight: int) -> list[int]:
        """The page numbers to start now, given how many are already in flight."""
        numbers: list[int] = []
        while not self.done and in_flight + len(numbers) < self.window:
            if self.next_number > self.last:
                break
            numbers.append(self.next_number)
            self.next_number += 1
        return numbers

    def received(self, page: Page[Any]) -> bool:
        """Record a page (in order); ``False`` once the read is over (an empty page)."""
        if not page.items:
            self.done = True
            return False
        self._received += 1
        self.guard.check(f"page {self._received}", page.items, page.total)
        self.last = max(self.last, page.total_pages or 0)
        return True


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
