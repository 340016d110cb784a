"""WooCommerce's refund rules as the fake applies them (pure).

Mirrors ``wc_create_refund`` and the v3 refunds controller: ``amount`` defaults to
the sum of the line refunds, may not be negative nor exceed what remains, and the
stored refund's items are negative copies of the order's items carrying
``_refunded_item_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from .._convert import format_utc
from .._errors import ApiError
from .._money import ZERO, quantize_money
from ..woo._models import (
    WooFeeLine,
    WooLineItem,
    WooLineTax,
    WooMeta,
    WooOrder,
    WooRefund,
    WooShippingLine,
)
from ._woo_rules import BodyReader, read_meta, upsert_meta

__all__ = [
    "RefundLine",
    "RefundRequest",
    "build_refund",
    "check_refund",
    "gateway_cannot_refund",
    "read_refund_body",
    "remaining_refundable",
]

NextId = Callable[[], int]


def remaining_refundable(order: WooOrder) -> Decimal:
    """The order total minus everything already refunded."""
    return order.total - order.total_refunded


def gateway_cannot_refund() -> ApiError:
    """``api_refund: true`` on a gateway without refund support (as the real store answers)."""
    return ApiError(
        500,
        "woocommerce_rest_cannot_create_order_refund",
        "The payment gateway for this order does not support automatic refunds.",
        500,
    )


def _invalid(message: str) -> ApiError:
    # A check WooCommerce itself does not make; the fake answers a plain 400.
    return ApiError(400, "woocommerce_rest_invalid_order_refund", message, {"status": 400})


@attrs.frozen
class RefundLine:
    """One entry of a refund body's ``line_items`` (positive numbers, as sent)."""

    item_id: int
    quantity: int
    refund_total: Decimal
    refund_tax: tuple[tuple[int, Decimal], ...]

    @property
    def tax(self) -> Decimal:
        """The tax refunded on this item."""
        return sum((amount for _, amount in self.refund_tax), ZERO)

    def negated_taxes(self) -> tuple[WooLineTax, ...]:
        """The refund's taxes for the item, negative as WooCommerce stores them."""
        return tuple(WooLineTax(id=r, total=-a, subtotal=-a) for r, a in self.refund_tax)


@attrs.frozen
class RefundRequest:
    """A create-refund body, read and type-checked."""

    amount: Decimal | None
    reason: str
    api_refund: bool
    lines: tuple[RefundLine, ...]
    meta: tuple[tuple[str, Any, int | None], ...]


def _positive(reader: BodyReader, raw: Mapping[str, Any], key: str, path: str) -> Decimal:
    value = reader.money(raw, key, path)
    if value is not None and value < 0:
        reader.problem(path, "send refund amounts as positive numbers")
    return value if value is not None else ZERO


def read_refund_body(body: Mapping[str, Any]) -> RefundRequest:
    """Read a create-refund body; type errors raise ``rest_invalid_param`` (400)."""
    reader = BodyReader()
    lines: list[RefundLine] = []
    for i, raw in enumerate(reader.objects(body, "line_items")):
        path = f"line_items[{i}]"
        item_id = raw.get("id")
        if type(item_id) is not int:
            reader.problem(f"{path}.id", f"expected an order item id, got {item_id!r}")
            continue
        taxes: list[tuple[int, Decimal]] = []
        for j, tax in enumerate(reader.objects(raw, "refund_tax")):
            rate = tax.get("id")
            if type(rate) is not int:
                reader.problem(f"{path}.refund_tax[{j}].id", "expected a tax rate id")
                continue
            taxes.append((rate, _positive(reader, tax, "refund_total", f"{path}.refund_tax[{j}]")))
        lines.append(
            RefundLine(
                item_id=item_id,
                quantity=reader.integer(raw, "quantity", f"{path}.quantity", 0),
                refund_total=_positive(reader, raw, "refund_total", f"{path}.refund_total"),
                refund_tax=tuple(taxes),
            )
        )
    request = RefundRequest(
        amount=reader.money(body, "amount", "amount"),
        reason=reader.string(body, "reason", "reason"),
        api_refund=reader.boolean(body, "api_refund", "api_refund", True),
        lines=tuple(lines),
        meta=tuple(read_meta(reader, body)),
    )
    reader.raise_if_any()
    return request


def check_refund(order: WooOrder, refunds: Sequence[WooRefund], request: RefundRequest) -> Decimal:
    """The amount to refund, after WooCommerce's checks (and the fake's line checks).

    Raises :class:`~hikewoo_core.ApiError` as the real store does: a negative amount,
    an amount over what remains refundable, and (fake only, 400) a line id that is
    not an item of the order or more units than remain to refund.
    """
    if request.amount is not None and request.amount < 0:
        raise ApiError(
            500,
            "woocommerce_rest_invalid_order_refund",
            "Refund amount must be greater than zero.",
            400,
        )
    amount = request.amount
    if amount is None:
        amount = sum((line.refund_total + line.tax for line in request.lines), ZERO)
    amount = quantize_money(amount, order.currency)
    if amount > remaining_refundable(order):
        raise ApiError(
            500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500
        )
    products = {li.id: li for li in order.line_items}
    others = {s.id for s in order.shipping_lines} | {f.id for f in order.fee_lines}
    refunded: dict[int, int] = {}
    for refund in refunds:
        for item_id, units in refund.refunded_quantities():
            refunded[item_id] = refunded.get(item_id, 0) + units
    for line in request.lines:
        if line.item_id in others:
            continue
        item = products.get(line.item_id)
        if item is None:
            raise _invalid(f"Order {order.id} has no item {line.item_id} to refund.")
        left = item.quantity - refunded.get(line.item_id, 0)
        if line.quantity > left:
            raise _invalid(
                f"Cannot refund {line.quantity} of item {line.item_id} ({item.name!r}): "
                f"{item.quantity} sold, {left} left to refund."
            )
    return amount


def _refund_meta(item_id: int, next_meta_id: NextId) -> tuple[WooMeta, ...]:
    return (WooMeta(key="_refunded_item_id", value=str(item_id), id=next_meta_id()),)


_Charge = TypeVar("_Charge", WooShippingLine, WooFeeLine)


def _refunded_copy(
    charge: _Charge, line: RefundLine, item_id: int, meta: tuple[WooMeta, ...]
) -> _Charge:
    """A shipping or fee line as a refund stores it: a copy of the order's, with the
    refunded amounts (negative), a new id and the ``_refunded_item_id`` meta."""
    return attrs.evolve(
        charge,
        id=item_id,
        total=-line.refund_total,
        total_tax=-line.tax,
        taxes=line.negated_taxes(),
        meta_data=meta,
    )


def build_refund(
    order: WooOrder,
    request: RefundRequest,
    amount: Decimal,
    *,
    refund_id: int,
    now: datetime,
    refunded_payment: bool,
    next_item_id: NextId,
    next_meta_id: NextId,
) -> WooRefund:
    """The refund object WooCommerce stores: negative copies of the refunded items."""
    products = {li.id: li for li in order.line_items}
    shipping = {s.id: s for s in order.shipping_lines}
    fees = {f.id: f for f in order.fee_lines}
    lines: list[WooLineItem] = []
    ship_lines: list[WooShippingLine] = []
    fee_lines: list[WooFeeLine] = []
    for line in request.lines:
        if not (line.quantity or line.refund_total or line.refund_tax):
            continue  # WooCommerce skips empty entries
        total, tax = -line.refund_total, -line.tax
        meta = _refund_meta(line.item_id, next_meta_id)
        if line.item_id in products:
            item = products[line.item_id]
            lines.append(
                WooLineItem(
                    id=next_item_id(),
                    product_id=item.product_id,
                    variation_id=item.variation_id,
                    name=item.name,
                    sku=item.sku,
                    tax_class=item.tax_class,
                    quantity=-line.quantity,
                    subtotal=total,
                    total=total,
                    subtotal_tax=tax,
                    total_tax=tax,
                    taxes=line.negated_taxes(),
                    price=total,  # WooCommerce: total / max(1, quantity)
                    meta_data=meta,
                )
            )
        elif line.item_id in shipping:
            ship_lines.append(_refunded_copy(shipping[line.item_id], line, next_item_id(), meta))
        else:
            fee_lines.append(_refunded_copy(fees[line.item_id], line, next_item_id(), meta))
    return WooRefund(
        id=refund_id,
        amount=amount,
        date_created_gmt=now,
        date_created=format_utc(now),
        reason=request.reason,
        refunded_by=1,
        refunded_payment=refunded_payment,
        meta_data=upsert_meta((), request.meta, next_meta_id),
        line_items=tuple(lines),
        shipping_lines=tuple(ship_lines),
        fee_lines=tuple(fee_lines),
    )
