"""A record a listing returned that does not parse (pure; exported from ``ports``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._convert import parse_utc
from ._errors import PayloadError

__all__ = ["Unreadable", "unreadable"]


@attrs.frozen
class Unreadable:
    """A record a listing returned that does not parse: reported, never fatal.

    A page of 100 orders with one absurd amount must not stop the 99 others, nor every
    later run. ``read_orders`` and ``read_sales`` may yield one of these in place of a
    record: the :class:`~hikewoo_core.Syncer` reports it with its id and reason and
    keeps it for retry (by id), and the run goes on. ``id`` and ``modified`` are read
    from the raw item where they are themselves readable.
    """

    side: str
    id: int | None
    modified: datetime | None
    error: PayloadError

    def __str__(self) -> str:
        what = "WooCommerce order" if self.side == "woo" else "Hike sale"
        return f"unreadable {what} {self.id if self.id is not None else '(no id)'}"


def unreadable(
    side: str, item: Any, id_key: str, modified_key: str, error: PayloadError
) -> Unreadable:
    """An :class:`Unreadable` for a raw list item, with what can be read of its id and
    modification time."""
    raw_id = item.get(id_key) if isinstance(item, dict) else None
    raw_modified = item.get(modified_key) if isinstance(item, dict) else None
    try:
        modified = parse_utc(raw_modified) if raw_modified is not None else None
    except ValueError:
        modified = None
    return Unreadable(
        side=side, id=raw_id if type(raw_id) is int else None, modified=modified, error=error
    )
