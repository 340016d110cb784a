"""The incremental scan's memory does not grow with the number of orders read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hikewoo_core import parse_woo_order
from hikewoo_core.woo._models import WooOrder
from hikewoo_core.woo._paging import ModifiedScan
from hikewoo_core.woo._responses import Page

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)


def order(i: int) -> WooOrder:
    stamp = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S")
    return parse_woo_order(
        {"id": i + 1, "status": "completed", "currency": "USD", "total": "1.00",
         "date_created_gmt": stamp, "date_modified_gmt": stamp}
    )  # fmt: skip


def test_versions_behind_the_cursor_are_forgotten() -> None:
    orders = [order(i) for i in range(5_000)]
    scan = ModifiedScan(START, START + timedelta(days=1), page_size=100)
    read: list[WooOrder] = []
    peak = 0
    while (query := scan.query()) is not None:
        after = query.get("modified_after")
        start = (
            0
            if after is None
            else next(
                i
                for i, o in enumerate(orders)
                if o.date_modified_gmt > datetime.fromisoformat(str(after)).replace(tzinfo=UTC)
            )
        )
        read += scan.feed(Page(orders[start : start + 100], total=len(orders) - start))
        peak = max(peak, len(scan._seen))
    assert [o.id for o in read] == [o.id for o in orders]
    assert peak <= 100
