"""An in-memory WooCommerce store with WooCommerce's order, refund and product rules (pure)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs

from .._convert import format_utc
from .._errors import PayloadError
from .._money import parse_money
from .._window import OrderWindow, order_window
from ..woo._convert import parse_woo_order
from ..woo._models import (
    WooMeta,
    WooOrder,
    WooProduct,
    WooRefund,
    WooStatus,
)
from ._faults import locked
from ._woo_rules import already_trashed, product_not_found, rest_order, seed_totals
from ._woo_store import WooStore

__all__ = ["FakeWooCommerce"]

#: Orders ``read_orders`` takes from the store at a time (WooCommerce's largest page).
_PAGE = 100
_ITEM_LISTS = ("line_items", "shipping_lines", "fee_lines", "tax_lines", "coupon_lines")
#: Statuses that mean no order was created (the clients' lookups leave them out too).
_NOT_CREATED = frozenset({WooStatus.TRASH, WooStatus.CHECKOUT_DRAFT, WooStatus.AUTO_DRAFT})


class FakeWooCommerce(WooStore):
    """A WooCommerce store in memory that implements :class:`~hikewoo_core.WooPort`.

    It keeps WooCommerce's rules, as observed on a real 10.0.2 store: orders and
    refunds share one id sequence; a refund may not exceed what remains
    (``"Invalid refund amount."``, HTTP 500, ``"data": 500``); ``api_refund``
    defaults to true and fails unless the order's payment method is in
    ``refund_capable_gateways``; refunds reaching the total set the order
    ``refunded``; setting ``refunded`` by hand refunds the remainder ("Order fully
    refunded."); every change stamps ``date_modified_gmt`` with the clock's time in
    whole seconds, so changes within one second share it, as on the real store. The
    site's time zone is UTC.

    **Ties come back in arbitrary order.** The real store sorts ``orderby=modified``
    (and ``date``) by the whole second only; orders of the same second come back in
    an order that is not by id and that changes with ``per_page`` and the offset
    (MySQL's filesort with ``LIMIT``), so offset pages over a tie repeat some orders
    and skip others (captured: of 130 orders sharing a second, ``per_page=100`` page 1
    held 100 and page 2 held 30, 20 of them already on page 1, so 20 were on neither
    page). The fake does the same, deterministically: with ``tie_order="arbitrary"``
    (the default) a tie is ordered by a hash of ``seed``, the query, its ``per_page``
    and offset, and the order id; :meth:`read_orders` returns ties in a seeded order
    too. ``tie_order="id"`` orders ties by id (kinder than WooCommerce: a test that
    passes only with it relies on something the real store does not do).

    **Products and SKUs.** :meth:`add_product` fills a catalogue (products share the id
    sequence with orders and refunds, as WordPress posts do). A new order's line item
    naming a product (``sku`` first, else ``product_id``) takes the product's id, name,
    SKU and price times quantity unless the body gives a name or totals. A line naming an
    unknown SKU or product id is accepted anyway, as a nameless ``product_id: 0`` line
    with ``sku: null`` and the body's totals (0.00 when none): the SKU is lost.
    SKUs compare as MySQL compares them (case- and accent-insensitively) in line
    items, the list's ``sku`` filter and the duplicate check; :meth:`find_product`
    matches exactly. There is no stock keeping and no tax engine: taxes are zero
    unless a seeded order carries them.

    ``POST /orders/batch`` (served by :func:`~hikewoo_core.testing.serve_woo`) does not
    validate ``status``: an unknown status makes the order ``pending`` with no error,
    while a single ``PUT`` (and :meth:`write_order`) answers 400, as on the real store;
    a batch item's ``set_paid`` pays only when it is JSON ``true`` (``"true"`` is
    ignored there, as the real controller compares it with ``===``).

    Contract helpers (``add_order``, ``set_status``, ...) act like a shop manager in
    wp-admin; they are neither logged in :attr:`calls` nor subject to
    :meth:`fail_next`. The port methods (``read_*``, ``write_*``, ``find_*``) are.
    """

    PORT_METHODS = frozenset(
        {
            "read_order",
            "read_refunds",
            "read_orders",
            "write_order",
            "write_refund",
            "find_orders_by_meta",
            "find_product",
        }
    )

    # ------------------------------------------------------ contract helpers
    @locked
    def add_order(self, payload: Mapping[str, Any]) -> int:
        """Seed an order given in the REST *response* form; return its id.

        Keeps ``id`` when given and unused (a used id raises :class:`ValueError`),
        else takes the next id. Fills ``number`` (``str(id)``), ``status``
        (``pending``), ``currency`` (the store's), ``date_created_gmt`` and
        ``date_modified_gmt`` (the clock), missing item ids, and, when ``total`` is
        missing, every total from the lines, shipping, fees and taxes. Entries of
        ``refunds`` become refund objects (amount and reason only). The payload is
        validated with :func:`~hikewoo_core.parse_woo_order`: an invalid one raises
        :class:`~hikewoo_core.PayloadError`. Any status is kept as given (a seeded
        order may carry a plugin status). Line items are kept as given (no catalogue
        lookup). Later changes are stamped with the clock's time, whatever the seeded
        ``date_modified_gmt``. The caller's dict is not modified.
        """
        if not isinstance(payload, Mapping):
            raise PayloadError([("$", "expected a JSON object")], what="WooCommerce order")
        data: dict[str, Any] = copy.deepcopy(dict(payload))
        raw_id = data.get("id")
        if raw_id is not None and type(raw_id) is not int:
            parse_woo_order(data)  # raises PayloadError naming $.id
        if raw_id is not None and self._id_used(raw_id):
            raise ValueError(f"id {raw_id} is already used by an order or a refund")
        order_id = raw_id if raw_id is not None else self._next_id
        now = format_utc(self._stamper.now())
        given = {k for k, v in data.items() if v is not None}
        data["id"] = order_id
        for key, default in (("number", str(order_id)), ("status", "pending")):
            data.setdefault(key, default)
        data["currency"] = data.get("currency") or self.currency
        data.setdefault("total", "0")
        for key in ("date_created_gmt", "date_modified_gmt"):
            if data.get(key) is None:
                data[key] = now
                data.setdefault(key.removesuffix("_gmt"), now)
        for key in _ITEM_LISTS:
            for item in data.get(key) or ():
                if isinstance(item, dict) and item.get("id") is None:
                    item["id"] = self._new_item_id()
        order = parse_woo_order(data)
        if "total" not in given:
            order = seed_totals(order, given)
        refund_ids = [r.id for r in order.refunds]
        clash = [r for r in refund_ids if self._id_used(r) or r == order_id]
        if clash or len(set(refund_ids)) != len(refund_ids):
            raise ValueError(f"refund ids {refund_ids} clash with existing orders or refunds")
        if "date_modified_gmt" not in given:
            stamp = self._stamper.next()
            order = attrs.evolve(order, date_modified_gmt=stamp, date_modified=format_utc(stamp))
        self._next_id = max(self._next_id, order_id + 1, *(r + 1 for r in refund_ids))
        item_ids = [
            *(i.id for i in order.line_items),
            *(i.id for i in order.shipping_lines),
            *(i.id for i in order.fee_lines),
            *(i.id for i in order.tax_lines),
            *(i.id for i in order.coupon_lines),
        ]
        self._next_item = max([self._next_item, *(i + 1 for i in item_ids)])
        metas = [*order.meta_data, *(m for li in order.line_items for m in li.meta_data)]
        self._next_meta = max([self._next_meta, *(m.id + 1 for m in metas if m.id is not None)])
        self._orders[order_id] = order
        self._refunds[order_id] = [
            WooRefund(
                id=r.id,
                amount=r.amount,
                reason=r.reason,
                refunded_by=1,
                date_created_gmt=order.date_modified_gmt,
                date_created=format_utc(order.date_modified_gmt),
            )
            for r in sorted(order.refunds, key=lambda r: r.id)
        ]
        self._refund_ids.update(refund_ids)
        return order_id

    @locked
    def add_refund(self, order_id: int, payload: Mapping[str, Any]) -> int:
        """Create a refund from a REST create-refund body (rules of :meth:`write_refund`)."""
        return self._refund(order_id, payload).id

    @locked
    def set_status(self, order_id: int, status: str) -> WooOrder:
        """Change an order's status as wp-admin would; returns the order.

        Unknown status: ``ApiError(400, "rest_invalid_param")``. ``refunded`` with money
        left creates the "Order fully refunded." refund for the remainder;
        ``completed`` stamps ``date_completed``; ``processing``/``completed`` stamp
        ``date_paid`` if unset. Setting the current status again changes nothing.
        """
        order = self._get(order_id)
        self._check_status(status)
        if str(order.status) == status:
            return order
        stamp = self._stamper.next()
        order, refund = self._transition(order, status, stamp)
        return self._commit(order, refund, stamp)

    @locked
    def get_order(self, order_id: int) -> dict[str, Any]:
        """The order in its REST JSON form (``GET /orders/<id>``), ``refunds`` included."""
        return rest_order(self._get(order_id))

    @locked
    def orders(self) -> list[WooOrder]:
        """Every order in the store (trashed ones too), by id."""
        self.commit_due()
        return [self._orders[k] for k in sorted(self._orders)]

    @locked
    def refunds(self, order_id: int) -> list[WooRefund]:
        """The refunds of an order, oldest first (by id)."""
        self._get(order_id)
        return list(self._refunds[order_id])

    @locked
    def add_product(
        self,
        sku: str | None,
        name: str,
        price: Decimal | str | int | None,
        *,
        type: str = "simple",
        status: str = "publish",
        sale_price: Decimal | str | int | None = None,
        manage_stock: bool = False,
        stock_quantity: int | None = None,
        tax_class: str = "",
        virtual: bool = False,
    ) -> WooProduct:
        """Add a product to the catalogue as ``POST /products`` would; return it.

        ``price`` is the regular price (``None``: no price, WooCommerce's ``""``); the
        product's ``price`` is ``sale_price`` when given, else ``price``. Amounts are
        :class:`~decimal.Decimal`, strings or ints (a float raises :class:`TypeError`).
        The id comes from the sequence orders and refunds use. A SKU another product
        has (compared as MySQL does, ignoring case) raises the real 400
        ``product_invalid_sku`` ("Invalid or duplicated SKU.", with ``resource_id`` and
        a suggested ``unique_sku``); ``None`` or ``""`` means no SKU. ``type`` and
        ``status`` are taken as given (a plugin's ``"composite"`` too; ``POST /products``
        on the served fake accepts only WooCommerce's own). Orders do not move stock.
        """
        regular, sale = _amount(price, "price"), _amount(sale_price, "sale_price")
        sku = sku.strip() if sku else None
        self._catalogue.check_unique(sku)
        now = self._stamper.now()
        product = WooProduct(
            id=self._new_id(),
            name=name,
            type=type,
            status=status,
            sku=sku or None,
            price=sale if sale is not None else regular,
            regular_price=regular,
            sale_price=sale,
            slug=_slug(name),
            tax_class=tax_class,
            manage_stock=manage_stock,
            stock_quantity=stock_quantity if manage_stock else None,
            stock_status="instock",
            virtual=virtual,
            date_created_gmt=now,
            date_modified_gmt=now,
        )
        return self._catalogue.add(product)

    @locked
    def products(self) -> list[WooProduct]:
        """Every product in the catalogue, by id."""
        return self._catalogue.all()

    @locked
    def product(self, product_id: int) -> WooProduct:
        """The product with this id (``GET /products/<id>``); unknown: the real 404."""
        found = self._catalogue.get(product_id)
        if found is None:
            raise product_not_found()
        return found

    @locked
    def add_meta(self, order_id: int, key: str, value: Any) -> WooOrder:
        """Append a ``meta_data`` entry (like ``add_meta_data``; duplicates allowed)."""
        order = self._get(order_id)
        stamp = self._stamper.next()
        meta = (*order.meta_data, WooMeta(key=key, value=value, id=self._new_meta_id()))
        return self._commit(attrs.evolve(order, meta_data=meta), None, stamp)

    @locked
    def delete_order(self, order_id: int, *, force: bool = False) -> None:
        """Move an order to the trash (``DELETE /orders/<id>``); trashed twice: 410.

        ``force=True`` deletes it for good, refunds included (``?force=true``): reading it
        then answers 404 ``woocommerce_rest_shop_order_invalid_id``, as the real store does,
        and its id is never given again.
        """
        order = self._get(order_id)
        if force:
            del self._orders[order_id]
            self._refund_ids.difference_update(r.id for r in self._refunds.pop(order_id, []))
            return
        if order.status == WooStatus.TRASH:
            raise already_trashed()
        stamp = self._stamper.next()
        self._commit(attrs.evolve(order, status=WooStatus.TRASH), None, stamp)

    # ------------------------------------------------------------- WooPort
    def serve(self, **options: Any) -> AbstractContextManager[str]:
        """Serve this fake over real HTTP on 127.0.0.1, as WooCommerce's REST API v3.

        A context manager yielding the site address (``http://127.0.0.1:PORT``):
        ``with FakeWooCommerce().serve(consumer_key="ck", consumer_secret="cs") as url:``.
        Options are those of :func:`hikewoo_core.testing.serve_woo` (keys, simulated
        HTTPS termination, injected faults). Authentication is checked as WooCommerce
        checks it: over plain HTTP only OAuth 1.0a.
        """
        from ._woo_server import serve_woo

        return serve_woo(self, **options)

    def read_order(self, order_id: int) -> WooOrder:
        """The order as it is now; unknown id: ``ApiError(404, ..._invalid_id)``."""
        return self._run("read_order", (order_id,), lambda: self._get(order_id))

    def read_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of the order, **oldest first** (by id; the REST list is newest first)."""
        return self._run("read_refunds", (order_id,), lambda: self.refunds(order_id))

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder]:
        """The orders in ``window`` (default: every order until the end of the current
        second), oldest modification first, trash left out. Orders modified in the same
        second come in an arbitrary order (seeded by ``seed`` and the window, not by id), as
        WooCommerce returns them; with ``tie_order="id"``, by id.

        The iterator is **live**, as a read over HTTP is: it reads the store a page of
        100 at a time, by modification time, so an order modified while the caller
        works through earlier pages leaves its place; it comes again at its new time if
        that is still inside the window, and not at all if it is not (an order
        modified after the read began, with no ``modified_before``, is for the next
        read). Each version of an order comes once.
        """
        window = order_window(window, "read_orders")

        def pages() -> Iterator[WooOrder]:
            # Like the client: up to the end of the current second by default.
            end = window.modified_before or self._stamper.now() + timedelta(seconds=1)
            return self._pages(attrs.evolve(window, modified_before=end))

        return self._run("read_orders", (window,), pages)

    def _pages(self, window: OrderWindow) -> Iterator[WooOrder]:
        """The live, paged read behind :meth:`read_orders` (its end fixed)."""
        w = window
        bounds = (w.modified_after, w.modified_before, w.created_after, w.created_before)
        seed = "read_orders|" + "|".join("" if a is None else format_utc(a) for a in bounds)
        seed += "" if w.created_via is None else f"|{w.created_via}"
        cursor, done = window.modified_after, set[int]()
        while True:
            with self._port_lock:  # a page is read as one request: never half-written
                found = sorted(
                    (
                        o
                        for o in self._orders.values()
                        if o.status not in (WooStatus.TRASH, WooStatus.AUTO_DRAFT)
                        and window.contains(o.date_modified_gmt, o.date_created_gmt, o.created_via)
                        and (cursor is None or o.date_modified_gmt >= cursor)
                        and not (o.date_modified_gmt == cursor and o.id in done)
                    ),
                    key=lambda o: (o.date_modified_gmt, self._tie_key(seed, o.id)),
                )
            if not found:
                return
            for order in found[:_PAGE]:
                if order.date_modified_gmt != cursor:
                    cursor, done = order.date_modified_gmt, set()
                done.add(order.id)
                yield order

    def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """Create an order (``POST /orders``) or update one (``PUT /orders/<id>``).

        Create: line items by ``sku`` or ``product_id`` with ``quantity`` and
        ``subtotal``/``total``, resolved against the catalogue (a known product gives
        the line its id, name, SKU and price times quantity; an unknown one makes a
        nameless ``product_id: 0`` line, see the class notes); ``shipping_lines``,
        ``fee_lines``, ``meta_data``, ``billing``, ``shipping``,
        ``payment_method(_title)``, ``created_via`` (default ``rest-api``),
        ``currency``, ``status`` (default ``pending``) and ``set_paid``; totals
        computed from the lines. Update: ``status`` (with the
        rules of :meth:`set_status`), ``meta_data`` (upsert by key), ``billing``,
        ``shipping``, ``customer_note``, ``payment_method(_title)``,
        ``transaction_id``, ``set_paid``. Errors are the REST API's ``ApiError``s.
        """
        logged = (order_id, copy.deepcopy(dict(body)))
        if order_id is None:
            return self._run("write_order", logged, lambda: self._create(body))
        return self._run("write_order", logged, lambda: self._update(order_id, body))

    def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        """Create a refund (``POST /orders/<id>/refunds``) with WooCommerce's rules.

        ``amount`` defaults to the line refunds' sum; negative or over the remaining
        refundable amount raises the real store's 500 errors; ``api_refund``
        defaults to **true** and then fails unless the order's payment method is in
        ``refund_capable_gateways``; more units than remain to refund: 400.
        """
        logged = (order_id, copy.deepcopy(dict(body)))
        return self._run("write_refund", logged, lambda: self._refund(order_id, body))

    def find_orders_by_meta(
        self, key: str, value: str, window: OrderWindow | None = None
    ) -> list[WooOrder]:
        """The orders in ``window`` with a ``meta_data`` entry ``key == value``, by id;
        drafts and trash left out, as the clients leave them (a draft left by a failed
        create carries the reference but is no order).

        Values are compared as strings (WooCommerce stores meta as text). An order
        created through another channel than the window's ``created_via`` is not found,
        as over HTTP (the client lists by it).
        """
        window = order_window(window, "find_orders_by_meta")

        def find() -> list[WooOrder]:
            return [
                order
                for order in (self._orders[k] for k in sorted(self._orders))
                if order.status not in _NOT_CREATED
                and window.contains(
                    order.date_modified_gmt, order.date_created_gmt, order.created_via
                )
                and any(m.key == key and str(m.value) == str(value) for m in order.meta_data)
            ]

        return self._run("find_orders_by_meta", (key, value, window), find)

    def find_product(self, sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku`` (any status), else ``None``.

        Exact, unlike WooCommerce's own SKU lookups (which ignore case): a product
        ``"MUG-001"`` is not found as ``"mug-001"``. ``""`` finds nothing; a ``sku``
        that is not a string raises :class:`TypeError`.
        """

        def find() -> WooProduct | None:
            if not isinstance(sku, str):
                raise TypeError(f"sku must be a string, got {type(sku).__name__}")
            return self._catalogue.exact(sku)

        return self._run("find_product", (sku,), find)

    def _write_batch_item(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """:meth:`write_order` as ``POST /orders/batch`` performs one item: ``status`` is
        not validated (an unknown one becomes ``pending``) and ``set_paid`` counts only
        when it is ``True``. Logged as ``write_order``."""
        logged = (order_id, copy.deepcopy(dict(body)))
        if order_id is None:
            return self._run("write_order", logged, lambda: self._create(body, batch=True))
        return self._run("write_order", logged, lambda: self._update(order_id, body, batch=True))


def _amount(value: Decimal | str | int | None, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, str or int, not a float")
    return parse_money(value)


def _slug(name: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    return "-".join(words)
