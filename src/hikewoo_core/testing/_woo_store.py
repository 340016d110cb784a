"""The state and write rules behind :class:`FakeWooCommerce` (pure, no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

from .._convert import format_utc
from .._errors import ApiError
from .._money import ZERO, quantize_money
from ..woo._models import WooAddress, WooOrder, WooRefund, WooRefundSummary, WooStatus
from ._clock import Clock
from ._faults import PortRecorder, Stamper
from ._woo_refunds import (
    build_refund,
    check_refund,
    gateway_cannot_refund,
    read_refund_body,
    remaining_refundable,
)
from ._woo_rules import (
    CORE_STATUSES,
    BodyReader,
    Catalogue,
    batch_status,
    invalid_status,
    order_lines_from_body,
    order_not_found,
    read_address,
    read_meta,
    upsert_meta,
)

__all__ = ["TieOrder", "WooStore"]

#: How a listing orders records whose sort key ties (see :class:`FakeWooCommerce`).
TieOrder = Literal["arbitrary", "id"]

_KNOWN = {s.value: s for s in WooStatus}
_PAID = frozenset({"processing", "completed"})
_NEEDS_PAYMENT = frozenset({"pending", "on-hold", "failed", "cancelled"})
_ITEM_KEYS = ("line_items", "shipping_lines", "fee_lines", "coupon_lines")
_UPDATE_STRINGS = ("customer_note", "payment_method", "payment_method_title", "transaction_id")


def _as_status(value: str) -> WooStatus | str:
    return _KNOWN.get(value, value)


class WooStore(PortRecorder):
    """Orders, refunds, id sequences and the status/refund rules; see :class:`FakeWooCommerce`."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        extra_statuses: Iterable[str] = (),
        refund_capable_gateways: Iterable[str] = (),
        currency: str = "USD",
        tie_order: TieOrder = "arbitrary",
        seed: int = 0,
    ) -> None:
        """Create an empty store.

        ``clock`` (default: the real UTC time) stamps every record;
        ``extra_statuses`` are plugin statuses registered from the start;
        ``refund_capable_gateways`` lists the payment methods (``"stripe"``) whose
        gateway performs ``api_refund: true``; ``currency`` is the store currency.
        ``tie_order`` says how orders (and products) that tie on the sort key come
        back: ``"arbitrary"`` (default, as WooCommerce: seeded by ``seed``, different
        per query and page, so offset pages over a tie repeat and skip records) or
        ``"id"`` (by id: kinder than the real store).
        """
        super().__init__()
        if tie_order not in ("arbitrary", "id"):
            raise ValueError(f"tie_order must be 'arbitrary' or 'id', got {tie_order!r}")
        if type(seed) is not int:
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        #: How listings order records whose sort key ties: ``"arbitrary"`` or ``"id"``.
        self.tie_order: TieOrder = tie_order
        #: The seed of the arbitrary tie order.
        self.seed = seed
        self._stamper = Stamper(clock)
        self._catalogue = Catalogue()
        self._statuses: list[str] = list(CORE_STATUSES)
        for name in extra_statuses:
            self.register_status(name)
        #: Payment methods whose gateway can refund (``api_refund: true`` succeeds).
        self.refund_capable_gateways: frozenset[str] = frozenset(refund_capable_gateways)
        #: The store currency, used when a payload or body names none.
        self.currency = currency
        self._orders: dict[int, WooOrder] = {}
        self._refunds: dict[int, list[WooRefund]] = {}
        self._refund_ids: set[int] = set()
        self._next_id = 1
        self._next_item = 1
        self._next_meta = 1

    # ----------------------------------------------------------------- ids
    def _new_id(self) -> int:
        value, self._next_id = self._next_id, self._next_id + 1
        return value

    def _new_item_id(self) -> int:
        value, self._next_item = self._next_item, self._next_item + 1
        return value

    def _new_meta_id(self) -> int:
        value, self._next_meta = self._next_meta, self._next_meta + 1
        return value

    def _id_used(self, value: int) -> bool:
        return value in self._orders or value in self._refund_ids

    def _get(self, order_id: int, status: int = 404) -> WooOrder:
        order = self._orders.get(order_id)
        if order is None:
            raise order_not_found(status)
        return order

    def _tie_key(self, context: str, record_id: int) -> int:
        """Where a record goes among records tied on the sort key, in one listing.

        ``context`` names the listing (the query, its ``per_page`` and offset): a tie is
        ordered the same way every time the same query is asked, and differently by
        another query or another page, as MySQL's filesort with ``LIMIT`` does.
        With ``tie_order="id"``, by id.
        """
        if self.tie_order == "id":
            return record_id
        text = f"{self.seed}|{context}|{record_id}".encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")

    def register_status(self, name: str) -> None:
        """Register a plugin status (``"shipped"`` or ``"wc-shipped"``) so orders accept it."""
        name = name.removeprefix("wc-")
        if not name:
            raise ValueError("a status name must not be empty")
        if name not in self._statuses:
            self._statuses.append(name)

    # ------------------------------------------------------------ internals
    def _check_status(self, status: object) -> None:
        if not isinstance(status, str) or status not in self._statuses:
            raise invalid_status(self._statuses)

    def _transition(
        self, order: WooOrder, status: str, stamp: datetime
    ) -> tuple[WooOrder, WooRefund | None]:
        if str(order.status) == status:
            return order, None
        when = format_utc(stamp)
        changes: dict[str, Any] = {"status": _as_status(status)}
        if status in _PAID and order.date_paid_gmt is None:
            changes.update(date_paid_gmt=stamp, date_paid=when)
        if status == "completed":
            changes.update(date_completed_gmt=stamp, date_completed=when)
        order = attrs.evolve(order, **changes)
        left = remaining_refundable(order)
        if status != "refunded" or left <= 0:
            return order, None
        refund = WooRefund(
            id=self._new_id(),
            amount=left,
            reason="Order fully refunded.",
            refunded_by=1,
            date_created_gmt=stamp,
            date_created=when,
        )
        summary = WooRefundSummary(id=refund.id, total=-left, reason=refund.reason)
        return attrs.evolve(order, refunds=(summary, *order.refunds)), refund

    def _apply_status(
        self, order: WooOrder, status: str | None, set_paid: bool, stamp: datetime
    ) -> tuple[WooOrder, WooRefund | None]:
        refund = None
        if status is not None:
            order, refund = self._transition(order, status, stamp)
        if set_paid:  # WC_Order::payment_complete
            if order.date_paid_gmt is None:
                order = attrs.evolve(order, date_paid_gmt=stamp, date_paid=format_utc(stamp))
            if str(order.status) in _NEEDS_PAYMENT:
                order, _ = self._transition(order, "processing", stamp)
        return order, refund

    def _commit(self, order: WooOrder, refund: WooRefund | None, stamp: datetime) -> WooOrder:
        order = attrs.evolve(order, date_modified_gmt=stamp, date_modified=format_utc(stamp))
        self._orders[order.id] = order
        self._refunds.setdefault(order.id, [])
        if refund is not None:
            self._refunds[order.id].append(refund)
            self._refund_ids.add(refund.id)
        return order

    def _batch_status(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """``body`` as a batch item really applies it: the ``status`` it really sets (see
        :func:`batch_status`), and ``set_paid`` only when it is JSON ``true``.

        A batch item skips the schema's sanitising (``WC_REST_Controller::batch_items``
        passes the raw item to ``update_item``), and ``save_object`` pays the order only
        ``if ( true === $request['set_paid'] )``: ``"true"`` or ``1`` is ignored there
        without an error, where a single ``PUT`` would sanitise it to ``true``.
        """
        out = dict(body)
        if "status" in out:
            out["status"] = batch_status(out["status"], self._statuses)
        if "set_paid" in out:
            out["set_paid"] = out["set_paid"] is True
        return out

    def _create(self, body: Mapping[str, Any], *, batch: bool = False) -> WooOrder:
        if body.get("id") not in (None, 0):
            raise ApiError(
                400,
                "woocommerce_rest_shop_order_exists",
                "Cannot create existing order.",
                {"status": 400},
            )
        if batch:
            body = self._batch_status(body)
        reader = BodyReader()
        currency = reader.string(body, "currency", "currency", self.currency)
        if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
            reader.problem("currency", f"expected an ISO 4217 code, got {currency!r}")
        lines = order_lines_from_body(reader, body, currency, self._new_item_id, self._catalogue)
        meta = read_meta(reader, body)
        strings: dict[str, Any] = {k: reader.string(body, k, k) for k in _UPDATE_STRINGS}
        created_via = reader.string(body, "created_via", "created_via", "rest-api")
        customer_id = reader.integer(body, "customer_id", "customer_id", 0)
        parent_id = reader.integer(body, "parent_id", "parent_id", 0)
        billing = read_address(reader, body, "billing", WooAddress())
        shipping = read_address(reader, body, "shipping", WooAddress())
        set_paid = reader.boolean(body, "set_paid", "set_paid", False)
        reader.raise_if_any()
        status = body.get("status")
        if status is not None:
            self._check_status(status)
        now, stamp = self._stamper.now(), self._stamper.next()
        order_id, zero = self._new_id(), quantize_money(ZERO, currency)
        order = WooOrder(
            id=order_id,
            parent_id=parent_id,
            number=str(order_id),
            order_key=f"wc_order_{order_id:013d}",
            created_via=created_via,
            version="10.0.2",
            status=WooStatus.PENDING,
            currency=currency,
            date_created_gmt=now,
            date_created=format_utc(now),
            date_modified_gmt=stamp,
            discount_total=lines.discount_total,
            discount_tax=zero,
            shipping_tax=zero,
            cart_tax=zero,
            total_tax=zero,
            shipping_total=lines.shipping_total,
            total=lines.total,
            customer_id=customer_id,
            billing=billing,
            shipping=shipping,
            meta_data=upsert_meta((), meta, self._new_meta_id),
            line_items=lines.line_items,
            shipping_lines=lines.shipping_lines,
            fee_lines=lines.fee_lines,
            **strings,
        )
        order, refund = self._apply_status(order, status, set_paid, stamp)
        return self._commit(order, refund, stamp)

    def _update(self, order_id: int, body: Mapping[str, Any], *, batch: bool = False) -> WooOrder:
        order = self._get(order_id, status=400)
        if batch:
            body = self._batch_status(body)
        unsupported = [k for k in _ITEM_KEYS if body.get(k)]
        if unsupported:
            raise NotImplementedError(
                f"FakeWooCommerce does not update {', '.join(unsupported)} of an existing order"
            )
        reader = BodyReader()
        meta = read_meta(reader, body)
        changes: dict[str, Any] = {
            k: reader.string(body, k, k) for k in _UPDATE_STRINGS if k in body
        }
        changes["billing"] = read_address(reader, body, "billing", order.billing)
        changes["shipping"] = read_address(reader, body, "shipping", order.shipping)
        set_paid = reader.boolean(body, "set_paid", "set_paid", False)
        reader.raise_if_any()
        status = body.get("status")
        if status is not None:
            self._check_status(status)
        stamp = self._stamper.next()
        changes["meta_data"] = upsert_meta(order.meta_data, meta, self._new_meta_id)
        order, refund = self._apply_status(attrs.evolve(order, **changes), status, set_paid, stamp)
        return self._commit(order, refund, stamp)

    def _refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        order = self._orders.get(order_id)
        if order is None:  # the refunds controller answers with a bare-int data
            raise ApiError(500, "woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        request = read_refund_body(body)
        amount = check_refund(order, self._refunds[order_id], request)
        refund_id = self._new_id()  # WordPress saves, then deletes on a gateway failure
        if request.api_refund and order.payment_method not in self.refund_capable_gateways:
            raise gateway_cannot_refund()
        stamp = self._stamper.next()
        refund = build_refund(
            order,
            request,
            amount,
            refund_id=refund_id,
            now=stamp,
            refunded_payment=request.api_refund,
            next_item_id=self._new_item_id,
            next_meta_id=self._new_meta_id,
        )
        summary = WooRefundSummary(id=refund_id, total=-amount, reason=request.reason)
        order = attrs.evolve(order, refunds=(summary, *order.refunds))
        if remaining_refundable(order) <= 0:  # woocommerce_order_fully_refunded_status
            order, _ = self._transition(order, "refunded", stamp)
        self._commit(order, refund, stamp)
        return refund
