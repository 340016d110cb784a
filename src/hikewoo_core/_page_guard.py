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

from .errors import UnexpectedResponseError

__all__ = ["PageGuard", "item_key"]

_SHOWN = 5


def item_key(item: object) -> object:
    """What tells an item apart: its ``id`` (attribute or JSON key), else the item."""
    if isinstance(item, Mapping):
        return item.get("id", item)
    ident = getattr(item, "id", None)
    return item if ident is None else ident


def _show(keys: tuple[object, ...]) -> str:
    shown = ", ".join(repr(k) for k in keys[:_SHOWN] if not isinstance(k, (dict, list)))
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return f"ids {shown}{more}" if shown else f"{len(keys)} items"


class PageGuard:
    """Checks each page of one paged read, in the order the pages are consumed.

    Raises :class:`~hikewoo_core.UnexpectedResponseError` when a page holds exactly the
    items of the page before it (a correct server never repeats a whole non-empty page:
    even the unstable order of tied rows repeats only some of them), or when more items
    have arrived than the largest total the server announced (``X-WP-Total``,
    ``totalCount``): pages of a list that grows while it is read still hold no more
    than the total announced with the last of them. ``what`` names the list in errors.

    Pass ``repeats=True`` when the list is sorted on a column with ties (WooCommerce's
    ``orderby=date``): tied rows come back in a different order on every request, so a
    small page may legitimately repeat the one before; only the count is checked then.
    """

    def __init__(self, what: str, *, repeats: bool = False) -> None:
        self.what = what
        self.repeats = repeats
        self.items = 0
        self.total: int | None = None
        self._previous: tuple[object, ...] = ()

    def check(self, where: str, items: Iterable[Any], total: int | None) -> None:
        """Take the next page (``where`` names it: ``"page 3"``); raise if it cannot be right."""
        keys = tuple(item_key(item) for item in items)
        if total is not None and total >= 0:
            self.total = total if self.total is None else max(self.total, total)
        if keys and keys == self._previous and not self.repeats:
            raise UnexpectedResponseError(
                f"{self.what}: the page repeats the previous page ({_show(keys)}); the "
                "server (or a cache or proxy in front of it) ignores the paging parameters",
                where=where,
            )
        self._previous = keys
        self.items += len(keys)
        if self.total is not None and self.items > self.total:
            raise UnexpectedResponseError(
                f"{self.what}: {self.items} items have arrived, more than the {self.total} "
                "the server announced; the server's paging is broken",
                where=where,
            )
