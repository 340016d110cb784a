"""Streaming stand-ins for the ports, so that a benchmark measures the library's memory only.

:class:`StreamingWoo` yields orders parsed from freshly rendered JSON bytes, one at a
time, from a generator: it holds no orders. :class:`DiscardingHike` takes every sale
and keeps none. Both implement only what a WooCommerce → Hike backfill calls; anything
else raises :class:`NotImplementedError`. Both may be called from several threads at once
(a backfill may run partitions on threads): the stand-ins keep no shared state but
:class:`DiscardingHike`'s counters, which a lock guards.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from _orders import BASE, Renderer

from hikewoo_core import HikeStatus, OrderWindow, parse_woo_order
from hikewoo_core.hike._models import (
    HikeCustomer,
    HikePayment,
    HikeProduct,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
)
from hikewoo_core.woo._models import WooOrder, WooRefund


class StreamingWoo:
    """A WooPort over ``count`` synthetic orders (order ``i`` stamped ``BASE + i`` s).

    As :class:`~hikewoo_core.WooPort` says: oldest modification first, in an
    :class:`~hikewoo_core.OrderWindow` (``*_after`` inclusive, ``*_before`` exclusive).
    """

    def __init__(self, template: dict[str, Any], count: int) -> None:
        self._renderer = Renderer(template)
        self.count = count

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder]:
        w = window or OrderWindow()
        lows = [b for b in (w.modified_after, w.created_after) if b is not None]
        first = max(0, max((math.ceil((b - BASE).total_seconds()) for b in lows), default=0))
        for i in range(first, self.count):
            order = parse_woo_order(self._renderer.render(i))
            if w.created_before is not None and order.date_created_gmt >= w.created_before:
                return
            if w.modified_before is not None and order.date_modified_gmt >= w.modified_before:
                return
            yield order

    def read_order(self, order_id: int) -> WooOrder:
        return parse_woo_order(self._renderer.render(order_id - 1))

    def read_refunds(self, order_id: int) -> list[WooRefund]:
        return []

    def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        raise NotImplementedError

    def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        raise NotImplementedError

    def find_orders_by_meta(
        self, key: str, value: str, window: OrderWindow | None = None
    ) -> list[WooOrder]:
        raise NotImplementedError


class DiscardingHike:
    """A HikePort that accepts every sale and forgets it (ids still count up)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.sales = 0

    def write_sale(self, draft: HikeSaleDraft) -> HikeSale:
        with self._lock:
            sale_id = next(self._ids)
            self.sales += 1
        return HikeSale(
            id=sale_id,
            number=f"INV-{sale_id}",
            fulfilment_status=draft.fulfilment_status,
            payment_status=draft.payment_status,
            total=draft.total,
            outlet_id=draft.outlet_id,
            register_id=draft.register_id,
            currency=draft.currency,
            transaction_date=draft.transaction_date,
            source=draft.source,
            external_reference=draft.external_reference,
        )

    def find_customer(self, email: str) -> HikeCustomer | None:
        return None

    def find_sales_by_reference(self, external_reference: str) -> list[HikeSale]:
        return []

    def read_sale(self, sale_id: int) -> HikeSale:
        raise NotImplementedError

    def read_sales(
        self, *, modified_after: datetime | None = None, modified_before: datetime | None = None
    ) -> Iterator[HikeSale]:
        raise NotImplementedError

    def write_sale_status(
        self, sale_id: int, status: HikeStatus, payments: Sequence[HikePayment] | None = None
    ) -> HikeSale:
        raise NotImplementedError

    def find_product(self, sku: str) -> HikeProduct | None:
        return None

    def read_register_closure(self, closure_id: int) -> HikeRegisterClosure:
        raise NotImplementedError

    def write_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        raise NotImplementedError
