"""Stop a paged read that a broken server would make endless (pure, no I/O).

A correct server's pages move on: each holds items the previous page did not, and
together they hold no more items than the total the server announced. A cache that
ignores the page parameter, a proxy that drops it, or a plugin that miscounts
answers the same page again and again (with ``X-WP-TotalPages`` huge, with no paging
headers, or with a ``Link`` that always points one page on), and a read that trusts
it never ends. :class:`PageGuard` watches what arrives and raises
:class:`~hikewoo_core.UnexpectedResponseError`, naming the page, as soon as the
answers cannot be right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import UnexpectedResponseError

__all__ = ["PageGuard", "item_key"]

_SHOWN = 5


#: Under an order with ties, this many pages in a row holding only items already read
#: stop the read: a shuffle of tied rows cannot keep that up, a server ignoring paging can.
STALE_PAGES = 20


def item_key(item: object) -> object | None:
    """What tells an item apart: its ``id`` (attribute or JSON key); ``None`` if it has
    none (a trimmed ``_fields`` object without ``id``, an unreadable item)."""
    if isinstance(item, Mapping):
        return item.get("id")
    return getattr(item, "id", None)


def _show(keys: tuple[object, ...]) -> str:
    shown = ", ".join(repr(k) for k in keys[:_SHOWN])
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return f"ids {shown}{more}"


class PageGuard:
    """Checks each page of one paged read, in the order the pages are consumed.

    Raises :class:`~hikewoo_core.UnexpectedResponseError` when a page holds exactly the
    items of the page before it, under the same announced total (a correct server
    never repeats a whole non-empty page of a list ordered without ties: new items
    land at its end, and only a change of the total can shift the pages), or when
    more items have arrived than the largest total the server announced
    (``X-WP-Total``, ``totalCount``): pages of a list that grows while it is read
    still hold no more than the total announced with the last of them. ``what`` names
    the list in errors. Items without an id are not compared, only counted.

    Pass ``repeats=True`` when the list is sorted on a column with ties (WooCommerce's
    ``orderby=date``): tied rows come back in a different order on every request, so a
    small page may legitimately repeat the one before. Then a read stops only after
    :data:`STALE_PAGES` pages in a row brought nothing new, besides the count.
    """

    def __init__(self, what: str, *, repeats: bool = False) -> None:
        self.what = what
        self.repeats = repeats
        self.items = 0
        self.total: int | None = None
        self._previous: tuple[object, ...] = ()
        self._previous_total: int | None = None
        self._seen: set[object] = set()
        self._stale = 0

    def check(self, where: str, items: Iterable[Any], total: int | None) -> None:
        """Take the next page (``where`` names it: ``"page 3"``); raise if it cannot be right."""
        keys = tuple(item_key(item) for item in items)
        if total is not None and total >= 0:
            self.total = total if self.total is None else max(self.total, total)
        comparable = bool(keys) and None not in keys
        if comparable and not self.repeats:
            if keys == self._previous and total == self._previous_total:
                raise UnexpectedResponseError(
                    f"{self.what}: the page repeats the previous page ({_show(keys)}); "
                    "the server (or a cache or proxy in front of it) ignores the paging "
                    "parameters",
                    where=where,
                )
        elif comparable:
            self._check_stale(where, keys)
        self._previous, self._previous_total = keys, total
        self.items += len(keys)
        if self.total is not None and self.items > self.total:
            raise UnexpectedResponseError(
                f"{self.what}: {self.items} items have arrived, more than the {self.total} "
                "the server announced; the server's paging is broken",
                where=where,
            )

    def _check_stale(self, where: str, keys: tuple[object, ...]) -> None:
        hashable = [k for k in keys if isinstance(k, (int, str))]
        fresh = [k for k in hashable if k not in self._seen]
        self._seen.update(fresh)
        self._stale = 0 if fresh or len(hashable) < len(keys) else self._stale + 1
        if self._stale >= STALE_PAGES:
            raise UnexpectedResponseError(
                f"{self.what}: {self._stale} pages in a row brought no item not read "
                "before; the server (or a cache or proxy in front of it) ignores the "
                "paging parameters",
                where=where,
            )
