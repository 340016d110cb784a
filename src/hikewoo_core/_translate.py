"""Translate one system's records into the other's write bodies (pure).

- a WooCommerce order → a Hike sale draft (rules 1.1, 1.3, 1.8);
- a WooCommerce refund → a Hike refund sale draft (1.4);
- a Hike sale → a WooCommerce order create body (1.2);
- a Hike refund sale → a WooCommerce refund body with ``api_refund: false`` (1.4);
- which order lines are composites or bundles (1.5).

Records created by the sync carry their origin so they are never echoed back (1.9):
Hike sales get ``source = WooCommerce`` and ``external_reference = "woo:<order id>"``;
WooCommerce orders get the meta ``_hike_sale_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._mapping import HikeStatus
from ._money import ZERO, currency_places, format_money
from ._settings import SyncSettings
from .hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikePayment,
    HikeSale,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from .woo._models import WooAddress, WooLineItem, WooOrder, WooProduct, WooRefund

__all__ = [
    "HIKE_PAYMENTS_META",
    "HIKE_REFUND_META",
    "HIKE_SALE_META",
    "customer_for_order",
    "hike_refund_reference",
    "hike_refund_sale_from_woo",
    "hike_sale_from_woo",
    "hike_sale_reference",
    "payment_title",
    "rounding_tolerance",
    "sale_lines",
    "unresolved_lines",
    "unsupported_lines",
    "woo_order_body_from_hike",
    "woo_refund_body_from_hike",
]

#: WooCommerce meta keys the sync writes on records it creates.
HIKE_SALE_META = "_hike_sale_id"
HIKE_REFUND_META = "_hike_refund_sale_id"
HIKE_PAYMENTS_META = "_hike_payments"

_COMPOSITE_META = frozenset(
    {"_composite_parent", "_composite_children", "_composite_data", "_composite_item"}
)
_BUNDLE_META = frozenset(
    {"_bundled_by", "_bundled_items", "_bundle_cart_key", "_woosb_ids", "_woosb_parent_id"}
)


def hike_sale_reference(woo_order_id: int) -> str:
    """The external reference a Hike sale created from a WooCommerce order carries."""
    return f"woo:{woo_order_id}"


def hike_refund_reference(woo_refund_id: int) -> str:
    """The external reference a Hike refund sale created from a WooCommerce refund carries."""
    return f"woo-refund:{woo_refund_id}"


_NO_KEYS: frozenset[str] = frozenset()
_COMPONENT_META = frozenset({"_composite_parent", "_composite_item"})
_BUNDLE_PARENT_META = frozenset({"_bundled_items", "_woosb_ids"})


def _line_kind(line: WooLineItem, reject_bundles: bool) -> str | None:
    keys = {m.key for m in line.meta_data} if line.meta_data else _NO_KEYS
    if line.composite_children or "_composite_children" in keys:
        return "composite product"
    if line.composite_parent is not None or not keys.isdisjoint(_COMPONENT_META):
        return "component of a composite product"
    if not keys.isdisjoint(_COMPOSITE_META):
        return "composite product"
    if reject_bundles and (line.bundled_items or not keys.isdisjoint(_BUNDLE_PARENT_META)):
        return "product bundle"
    if reject_bundles and (line.bundled_by is not None or not keys.isdisjoint(_BUNDLE_META)):
        return "item of a product bundle"
    return None


def unsupported_lines(
    order: WooOrder, *, reject_bundles: bool = True
) -> list[tuple[int, str, str]]:
    """``(line_id, name, why)`` for each line Hike cannot take (only simple and variable sync)."""
    found = []
    for line in order.line_items:
        kind = _line_kind(line, reject_bundles)
        if kind is not None:
            found.append((line.id, line.name, kind))
    return found


def customer_for_order(
    billing: WooAddress, existing: HikeCustomer | None
) -> tuple[HikeCustomer | None, str]:
    """The customer to attach (rules 1.8) and a sentence saying what happened and why."""
    first, last = billing.first_name.strip(), billing.last_name.strip()
    email = (billing.email or "").strip()
    missing = [
        name
        for name, value in (("first name", first), ("last name", last), ("email", email))
        if not value
    ]
    if missing:
        return None, (
            f"no customer attached: the billing {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (Hike needs first and last "
            "name, WooCommerce an email)"
        )
    if existing is not None:
        return existing, f"customer matched by email {email}"
    return HikeCustomer(first_name=first, last_name=last, email=email), (
        f"new customer {first} {last} <{email}>"
    )


def _charge_line(title: str, total: Decimal, tax: Decimal, item_id: int) -> HikeSaleLine:
    """A line for a charge that is not a product (shipping, a fee, rounding)."""
    return HikeSaleLine(
        quantity=1,
        sold_price=total,
        sku="",
        title=title,
        total=total + tax,
        tax_amount=tax,
        external_line_id=str(item_id) if item_id else None,
    )


def sale_lines(order: WooOrder) -> tuple[tuple[HikeSaleLine, ...], Decimal]:
    """The Hike lines of an order and what they leave unexplained of its total.

    Products become product lines; shipping and fees become explicit lines
    (``"Shipping: Flat rate"``, ``"Fee: Gift wrap"``), so the sale adds up to the total
    WooCommerce charged (coupon discounts are already in the line totals). The second
    value is ``order.total`` minus the lines: zero for a consistent order, cents of tax
    rounding when taxes are rounded at the subtotal, and anything else for an order
    whose lines do not account for its total.
    """
    lines = [_hike_line(li) for li in order.line_items]
    for ship in order.shipping_lines:
        title = f"Shipping: {ship.method_title or ship.method_id or 'shipping'}"
        lines.append(_charge_line(title, ship.total, ship.total_tax, ship.id))
    for fee in order.fee_lines:
        lines.append(_charge_line(f"Fee: {fee.name or 'fee'}", fee.total, fee.total_tax, fee.id))
    residual = order.total - sum((li.total for li in lines), ZERO)
    return tuple(lines), residual


def rounding_tolerance(order: WooOrder) -> Decimal:
    """How far the lines may miss the total by tax rounding: one minor unit of the
    currency per line (a cent; a yen for JPY, where taxes kept unrounded per line round
    to whole yen in the total)."""
    count = len(order.line_items) + len(order.shipping_lines) + len(order.fee_lines)
    return Decimal(1).scaleb(-currency_places(order.currency or "")) * max(count, 1)


def _hike_line(line: WooLineItem) -> HikeSaleLine:
    quantity = line.quantity
    unit = (line.total / quantity) if quantity else ZERO
    return HikeSaleLine(
        quantity=quantity,
        sold_price=unit,
        sku=line.sku or "",
        title=line.name,
        total=line.total + line.total_tax,
        tax_amount=line.total_tax,
        external_line_id=str(line.id),
    )


def hike_sale_from_woo(
    order: WooOrder,
    status: HikeStatus,
    settings: SyncSettings,
    customer: HikeCustomer | None,
    *,
    update_inventory: bool | None = None,
    lines: tuple[tuple[HikeSaleLine, ...], Decimal] | None = None,
) -> HikeSaleDraft:
    """The Hike sale for a WooCommerce order, at the statuses the table gives.

    ``lines`` is :func:`sale_lines` of the order when the caller has it already.

    Payments are recorded (one payment of the order total, labelled
    ``settings.woo_payment_label``) only when the money was received: payment status
    Paid, or Refunded (a sale first seen refunded was paid, then refunded).

    A sale created voided takes no stock ("do not update inventory"): a voided sale holds
    none, so an order first seen cancelled leaves Hike's stock as an order seen
    processing and then cancelled does (stock follows the end state).
    """
    paid = status.payment in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
    payments = (
        (HikePayment(payment_type_name=settings.woo_payment_label, amount=order.total),)
        if paid
        else ()
    )
    inventory = settings.update_inventory if update_inventory is None else update_inventory
    if status.fulfilment is FulfilmentStatus.VOIDED:
        inventory = False
    sold, residual = sale_lines(order) if lines is None else lines
    if residual:  # tax rounding (the planner refuses anything larger): an explicit line
        sold += (_charge_line("Rounding", residual, ZERO, 0),)
    return HikeSaleDraft(
        fulfilment_status=status.fulfilment,
        payment_status=status.payment,
        total=order.total,
        total_tax=order.total_tax,
        currency=order.currency,
        outlet_id=settings.outlet_id,
        register_id=settings.register_id,
        transaction_date=order.date_created_gmt,
        customer=customer,
        source=SaleSource.WOOCOMMERCE,
        external_reference=hike_sale_reference(order.id),
        do_not_update_inventory=not inventory,
        note=f"WooCommerce order #{order.number or order.id}",
        lines=sold,
        payments=payments,
    )


def hike_refund_sale_from_woo(
    order: WooOrder,
    refund: WooRefund,
    original_sale_id: int,
    settings: SyncSettings,
    *,
    do_not_update_inventory: bool | None = None,
) -> HikeSaleDraft:
    """A Hike refund sale for one WooCommerce refund: negative lines, totals and payment.

    ``do_not_update_inventory`` should be the original sale's flag: a refund of a sale
    that took no stock must not put any back (default: from ``settings``).
    """
    sold = {li.id: li for li in order.line_items}
    lines = []
    for line in refund.line_items:
        ref = line.meta("_refunded_item_id")
        original = sold.get(int(ref)) if str(ref).isdigit() else None
        sku = line.sku or (original.sku if original else None) or ""
        quantity = -abs(line.quantity)
        total = -abs(line.total + line.total_tax)
        lines.append(
            HikeSaleLine(
                quantity=quantity,
                sold_price=(total / quantity) if quantity else ZERO,
                sku=sku,
                title=line.name or (original.name if original else ""),
                total=total,
                tax_amount=-abs(line.total_tax),
                external_line_id=str(ref) if ref is not None else None,
            )
        )
    return HikeSaleDraft(
        fulfilment_status=FulfilmentStatus.REFUNDED,
        payment_status=PaymentStatus.REFUNDED,
        total=-refund.amount,
        currency=order.currency,
        outlet_id=settings.outlet_id,
        register_id=settings.register_id,
        transaction_date=refund.date_created_gmt or order.date_modified_gmt,
        source=SaleSource.WOOCOMMERCE,
        external_reference=hike_refund_reference(refund.id),
        do_not_update_inventory=(
            not settings.update_inventory
            if do_not_update_inventory is None
            else do_not_update_inventory
        ),
        refund_of=original_sale_id,
        note=refund.reason or f"Refund #{refund.id} of WooCommerce order #{order.number}",
        lines=tuple(lines),
        payments=(
            HikePayment(payment_type_name=settings.woo_payment_label, amount=-refund.amount),
        ),
    )


def payment_title(payments: tuple[HikePayment, ...], fallback: str = "Hike POS") -> str:
    """The WooCommerce ``payment_method_title`` for Hike tenders: ``"Cash + Card"``."""
    names: list[str] = []
    for payment in payments:
        if payment.payment_type_name not in names:
            names.append(payment.payment_type_name)
    return " + ".join(names) if names else fallback


def _line_name(line: HikeSaleLine) -> str:
    if line.title and line.sku:
        return f"{line.title} ({line.sku})"
    return line.title or line.sku or "Hike line"


def unresolved_lines(sale: HikeSale, products: Mapping[str, WooProduct | None]) -> list[str]:
    """The lines of a sale WooCommerce has no product for (by SKU), named for a person.

    WooCommerce stores a line whose SKU it does not know as an empty line (no name, no
    product, no SKU: a real 10.0.2 store did), so such lines must never be sent as
    products.
    """
    return [
        _line_name(line)
        for line in sale.lines
        if line.quantity and (not line.sku or products.get(line.sku) is None)
    ]


def woo_order_body_from_hike(
    sale: HikeSale,
    woo_status: str,
    settings: SyncSettings,
    currency: str,
    products: Mapping[str, WooProduct | None] | None = None,
) -> dict[str, Any]:
    """The WooCommerce create body for a Hike sale (rules 1.2).

    Lines go by product id (``products`` maps each SKU to its WooCommerce product); a
    line without one becomes a fee line named after it (the planner refuses the sale
    instead, unless ``settings.unknown_sku`` is ``"custom_line"``). Every tender is
    kept: ``payment_method_title`` names them all and the meta ``_hike_payments`` lists
    each type with its amount. A fee line carries any difference between the lines and
    the sale total (discounts, rounding, shipping), so the WooCommerce total equals Hike's.
    """
    cur = sale.currency or currency
    known = products or {}
    lines: list[dict[str, Any]] = []
    custom: list[dict[str, Any]] = []
    for line in sale.lines:
        if not line.quantity:
            continue
        product = known.get(line.sku) if line.sku else None
        if product is None:
            custom.append(
                {
                    "name": _line_name(line),
                    "total": format_money(line.total, cur),
                    "tax_status": "none",
                }
            )
            continue
        lines.append(
            {
                "product_id": product.id,
                "quantity": line.quantity,
                "subtotal": format_money(line.total, cur),
                "total": format_money(line.total, cur),
            }
        )
    residual = sale.total - sum((line.total for line in sale.lines), ZERO)
    body: dict[str, Any] = {
        "status": woo_status,
        "currency": cur,
        "set_paid": False,
        "created_via": settings.woo_created_via,
        "payment_method": "hike_pos",
        "payment_method_title": payment_title(
            sale.payments, "On account" if sale.fulfilment_status is FulfilmentStatus.ON_ACCOUNT
            else "Hike POS"
        ),
        "line_items": lines,
        "meta_data": [
            {"key": HIKE_SALE_META, "value": str(sale.id)},
            {"key": "_hike_sale_number", "value": sale.number},
            {
                "key": HIKE_PAYMENTS_META,
                "value": [
                    {"name": p.payment_type_name, "amount": format_money(p.amount, cur)}
                    for p in sale.payments
                ],
            },
        ],
    }  # fmt: skip
    if residual != ZERO:
        custom.append(
            {"name": "Hike adjustments", "total": format_money(residual, cur), "tax_status": "none"}
        )
    if custom:
        body["fee_lines"] = custom
    customer = sale.customer
    if customer is not None and customer.first_name and customer.last_name and customer.email:
        body["billing"] = {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
        }
    return body


def woo_refund_body_from_hike(
    refund_sale: HikeSale, order: WooOrder, currency: str
) -> dict[str, Any]:
    """The WooCommerce refund body for a Hike refund sale, always ``api_refund: false``.

    Lines are matched to the order's lines by SKU; when any line cannot be matched the
    refund is sent by amount only, which WooCommerce accepts.
    """
    cur = order.currency or currency
    amount = abs(refund_sale.total)
    by_sku = {li.sku: li for li in order.line_items if li.sku}
    items: list[dict[str, Any]] = []
    for line in refund_sale.lines:
        match = by_sku.get(line.sku)
        if match is None:
            items = []
            break
        items.append(
            {
                "id": match.id,
                "quantity": abs(line.quantity),
                "refund_total": format_money(abs(line.total) - abs(line.tax_amount), cur),
            }
        )
    body: dict[str, Any] = {
        "amount": format_money(amount, cur),
        "reason": refund_sale.note or f"Hike refund sale {refund_sale.number}",
        "api_refund": False,
        "api_restock": False,
        "meta_data": [{"key": HIKE_REFUND_META, "value": str(refund_sale.id)}],
    }
    if items and sum((Decimal(i["refund_total"]) for i in items), ZERO) == amount:
        body["line_items"] = items
    return body
