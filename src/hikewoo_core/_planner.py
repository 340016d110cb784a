"""The planner (pure): the state of both sides + the ledger + settings → a :class:`Plan`.

It decides, it never does: no I/O, no clock (times are passed in). Every rule of
``docs/rules.md`` that concerns one order or sale is applied here (cited as "rules 1.x",
that page's numbering); each action it emits carries the sentence that explains it.

Conflicts: when both sides changed since the last sync, the planner of the side
being synced wins, except that a terminal status (Refunded, Voided/cancelled) is never
reopened by a later or stale change on the other side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from ._mapping import HikeStatus
from ._money import format_money
from ._plan import (
    Action,
    CreateHikeRefundSale,
    CreateHikeSale,
    CreateWooOrder,
    CreateWooRefund,
    Mismatch,
    Plan,
    RecordLink,
    Reject,
    Skip,
    UpdateHikeSale,
    UpdateWooOrder,
    Write,
)
from ._ports import Link, RefundLink
from ._refunds import refunds_to_sync, remaining_refundable
from ._settings import SyncSettings
from ._translate import (
    HIKE_REFUND_META,
    HIKE_SALE_META,
    customer_for_order,
    hike_refund_sale_from_woo,
    hike_sale_from_woo,
    rounding_tolerance,
    sale_lines,
    unresolved_lines,
    unsupported_lines,
    woo_order_body_from_hike,
    woo_refund_body_from_hike,
)
from .hike._models import FulfilmentStatus, HikeCustomer, HikePayment, HikeSale, PaymentStatus
from .woo._models import WooOrder, WooProduct, WooRefund

WOO_TERMINAL = frozenset({"refunded", "cancelled", "trash"})
HIKE_TERMINAL = frozenset({FulfilmentStatus.REFUNDED, FulfilmentStatus.VOIDED})
_MONEY_RECEIVED = frozenset({PaymentStatus.PAID, PaymentStatus.REFUNDED})
_VOIDED = HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED)
_PARTIAL = frozenset(
    {
        FulfilmentStatus.LAYBY,
        FulfilmentStatus.PARKED,
        FulfilmentStatus.PENDING,
        FulfilmentStatus.BACK_ORDER,
        FulfilmentStatus.QUOTE,
    }
)


@attrs.frozen(kw_only=True)
class WooOrderState:
    """Everything the planner needs to know about one WooCommerce order."""

    order: WooOrder
    refunds: tuple[WooRefund, ...] = ()
    link: Link | None = None
    refund_links: tuple[RefundLink, ...] = ()
    hike_sale: HikeSale | None = None
    existing_customer: HikeCustomer | None = None


@attrs.frozen(kw_only=True)
class HikeSaleState:
    """Everything the planner needs to know about one Hike sale (or refund sale).

    For a refund sale, ``link`` is the link of the sale it refunds.
    """

    sale: HikeSale
    link: Link | None = None
    refund_link: RefundLink | None = None
    woo_order: WooOrder | None = None
    woo_products: Mapping[str, WooProduct | None] = attrs.field(factory=dict)
    """The WooCommerce product of each SKU of a sale that may become an order (``None``:
    WooCommerce has none), read by the shell before planning."""


def woo_fingerprint(order: WooOrder) -> str:
    """A short digest of what the planner reads of an order already linked: its status,
    total, currency and refunds.

    Two reads of an order with the same fingerprint plan the same; two reads with the
    same ``date_modified_gmt`` may not (WooCommerce stamps whole seconds, so a status
    change or a refund within the second of the last read keeps the stamp).
    """
    refunds = ",".join(f"{r.id}:{r.total}" for r in order.refunds)
    text = f"{order.status}|{order.total}|{order.currency}|{refunds}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _subject(order: WooOrder) -> str:
    return f"WooCommerce order #{order.number or order.id}"


def _hike_status(sale: HikeSale) -> HikeStatus:
    return HikeStatus(sale.fulfilment_status, sale.payment_status)


def plan_woo_order(
    state: WooOrderState,
    settings: SyncSettings,
    *,
    activated_at: datetime,
    manual: bool = False,
    update_inventory: bool | None = None,
) -> Plan:
    """Plan the sync of one WooCommerce order to Hike (rules 1.1, 1.3 to 1.5, 1.7 to 1.9)."""
    subject = _subject(state.order)
    if not settings.direction.woo_to_hike:
        reason = f"sync direction is {settings.direction.value}: WooCommerce changes stay put"
        return Plan((Skip(subject=subject, reason=reason),))
    if state.link is None:
        return _plan_new_order(
            state, settings, activated_at, manual, update_inventory, subject=subject
        )
    return _plan_linked_order(state, settings, subject)


def _plan_new_order(
    state: WooOrderState,
    settings: SyncSettings,
    activated_at: datetime,
    manual: bool,
    update_inventory: bool | None,
    *,
    subject: str,
) -> Plan:
    order = state.order
    origin = order.meta(HIKE_SALE_META)
    if origin is not None:
        reason = f"created by the sync from Hike sale {origin}: never echoed back as a new sale"
        return Plan((Skip(subject=subject, reason=reason),))
    woo_status = str(order.status)
    target = settings.status_table.to_hike(woo_status)
    if target is None:
        reason = (
            f"status {woo_status!r} is not in the status table, so the order is not "
            "synced (add a row to the table to sync it)"
        )
        return Plan((Skip(subject=subject, reason=reason),))
    if not manual and order.date_created_gmt < activated_at:
        reason = (
            f"historical order (created {order.date_created_gmt:%Y-%m-%d %H:%M} UTC, before "
            f"the sync started at {activated_at:%Y-%m-%d %H:%M} UTC): historical orders sync "
            "only through a manual historical sync"
        )
        return Plan((Skip(subject=subject, reason=reason),))
    bad = unsupported_lines(order, reject_bundles=settings.reject_bundles)
    if bad:
        shown = "; ".join(f"line {i} {name!r} is a {why}" for i, name, why in bad)
        reason = f"only simple and variable products sync to Hike, refused whole: {shown}"
        return Plan((Reject(subject=subject, reason=reason, lines=tuple(bad)),))
    sold = sale_lines(order)
    refused = _unaccounted(order, subject, sold[1])
    if refused is not None:
        return Plan((refused,))
    customer, customer_note = customer_for_order(order.billing, state.existing_customer)
    draft = hike_sale_from_woo(
        order, target, settings, customer, update_inventory=update_inventory, lines=sold
    )
    paid = (
        f"payment {format_money(order.total, order.currency)} labelled "
        f"{settings.woo_payment_label!r}"
        if draft.payments
        else "no payment (not paid yet)"
    )
    historical = "manual historical sync; " if manual else ""
    inventory = "stock deducted" if not draft.do_not_update_inventory else "stock untouched"
    follow: list[Action] = []
    if state.refunds or woo_status == "refunded":
        follow = _refund_actions(state, settings, subject, draft.do_not_update_inventory)
    # else: no refund to sync or hold, nothing to reconcile (the common case, skipped)
    last = not any(isinstance(a, Write) for a in follow)
    create = CreateHikeSale(
        subject=subject,
        reason=(
            f"{historical}{woo_status!r} maps to {target}; {paid}; {customer_note}; {inventory}"
        ),
        key=f"hike-sale:woo:{order.id}",
        woo_order_id=order.id,
        woo_status=woo_status,
        woo_modified_gmt=order.date_modified_gmt,
        draft=draft,
        # The create is the plan's last write: its link marks the order seen as read.
        seen=woo_fingerprint(order) if last else None,
    )
    return Plan((create, *follow))


def _unaccounted(order: WooOrder, subject: str, residual: Decimal) -> Reject | Mismatch | None:
    """Refuse an order with nothing to sell, or whose lines do not add up to its total
    (``residual``: what :func:`sale_lines` leaves unexplained; a Hike sale of it would
    record a payment for lines it does not have)."""
    if not order.line_items:
        return Reject(
            subject=subject,
            reason="the order has no line items: there is nothing to sell in Hike, and a "
            f"sale of {format_money(order.total, order.currency)} with no lines is refused",
        )
    if abs(residual) <= rounding_tolerance(order):
        return None
    lines = order.total - residual
    return Mismatch(
        subject=subject,
        reason="the order's lines do not account for its total; not synced until they do",
        problems=(
            f"products, shipping and fees add up to {lines:f} {order.currency}, the order "
            f"total is {order.total:f} {order.currency} ({residual:+f} unaccounted for)",
        ),
    )


def _refund_actions(
    state: WooOrderState, settings: SyncSettings, subject: str, no_stock: bool
) -> list[Action]:
    order = state.order
    synced = {link.woo_refund_id for link in state.refund_links}
    actions: list[Action] = []
    for refund in state.refunds:
        origin = refund.meta(HIKE_REFUND_META)
        if origin is not None and refund.id not in synced:
            synced.add(refund.id)
            actions.append(
                Skip(
                    subject=f"{subject} refund #{refund.id}",
                    reason=f"created by the sync from Hike refund sale {origin}: never echoed back",
                )
            )
    decision = refunds_to_sync(order, state.refunds, synced)
    actions += [
        Skip(subject=f"{subject} refund #{refund.id}", reason=why) for refund, why in decision.held
    ]
    if decision.problems:
        actions.append(
            Mismatch(
                subject=subject,
                reason="refunds do not reconcile, none synced until they do",
                problems=decision.problems,
            )
        )
    for number, refund in enumerate(decision.to_sync, 1):
        draft = hike_refund_sale_from_woo(
            order, refund, 0, settings, do_not_update_inventory=no_stock
        )
        actions.append(
            CreateHikeRefundSale(
                subject=f"{subject} refund #{refund.id}",
                reason=(
                    f"the order is 'refunded': refund {number} of {len(decision.to_sync)} "
                    f"({format_money(refund.amount, order.currency)}) becomes its own Hike "
                    "refund sale"
                ),
                key=f"hike-refund:woo-refund:{refund.id}",
                woo_order_id=order.id,
                woo_refund_id=refund.id,
                amount=refund.amount,
                draft=draft,
            )
        )
    return actions


def _plan_linked_order(state: WooOrderState, settings: SyncSettings, subject: str) -> Plan:
    order, link, sale = state.order, state.link, state.hike_sale
    assert link is not None  # noqa: S101 - guaranteed by the caller
    actions: list[Action] = []
    if sale is None:
        reason = f"linked Hike sale {link.hike_sale_id} was not found; nothing changed"
        return Plan((Skip(subject=subject, reason=reason),))
    current = _hike_status(sale)
    woo_status = str(order.status)
    if woo_status != link.woo_status:
        target = settings.status_table.to_hike(woo_status)
        trashed_unpaid = (
            woo_status == "trash" and sale.fulfilment_status in _PARTIAL and not sale.payments
        )
        if target is None and trashed_unpaid:
            # An order first seen in the trash takes no stock; one seen processing first
            # left a parked sale holding it: void it, so the end state is the same.
            target = _VOIDED
            why = (
                "the order was moved to the trash while its Hike sale was still parked and "
                "unpaid: the sale is voided so it holds no stock"
            )
        else:
            why = f"status {link.woo_status!r} → {woo_status!r} maps to {target}"
        if target is None:
            actions.append(
                Skip(
                    subject=subject,
                    reason=f"new status {woo_status!r} is not in the status table; "
                    "the Hike sale is left as it is",
                )
            )
        elif target == current:
            actions.append(_record(subject, link, order, sale, "both sides already agree"))
        elif sale.fulfilment_status in HIKE_TERMINAL:
            actions.append(
                Skip(
                    subject=subject,
                    reason=f"the Hike sale is already {current}, a terminal status that a "
                    f"later change to {woo_status!r} never reopens",
                )
            )
        elif link.woo_status in WOO_TERMINAL:
            actions.append(
                Skip(
                    subject=subject,
                    reason=f"the order left the terminal status {link.woo_status!r}; "
                    "terminal states are not reopened in Hike",
                )
            )
        else:
            payments: tuple[HikePayment, ...] | None = None
            note = ""
            # Money received: Paid, or Refunded (paid, then refunded); recorded once, as
            # when the order is first seen in that status (the end state, not the path).
            if target.payment in _MONEY_RECEIVED and not sale.payments:
                payments = (
                    HikePayment(payment_type_name=settings.woo_payment_label, amount=order.total),
                )
                note = (
                    f"; payment {format_money(order.total, order.currency)} labelled "
                    f"{settings.woo_payment_label!r}"
                )
            elif target.payment is PaymentStatus.VOIDED and sale.payments:
                payments = ()  # a voided sale holds no payment, as one first seen cancelled
                note = "; its payments are cleared"
            actions.append(
                UpdateHikeSale(
                    subject=subject,
                    reason=f"{why}{note}",
                    key=f"hike-status:woo:{order.id}:{link.woo_status}->{woo_status}",
                    woo_order_id=order.id,
                    hike_sale_id=sale.id,
                    woo_status=woo_status,
                    woo_modified_gmt=order.date_modified_gmt,
                    status=target,
                    payments=payments,
                )
            )
    actions += _refund_actions(state, settings, subject, sale.do_not_update_inventory)
    return Plan(tuple(actions))


def _record(subject: str, link: Link, order: WooOrder, sale: HikeSale, why: str) -> RecordLink:
    new = attrs.evolve(
        link,
        woo_status=str(order.status),
        hike_fulfilment=sale.fulfilment_status,
        hike_payment=sale.payment_status,
        hike_modified_at=sale.modified_at,
    )
    return RecordLink(
        subject=subject,
        reason=f"{why} ({order.status} / {_hike_status(sale)})",
        key=f"record:woo:{order.id}:{order.status}:{_hike_status(sale)}",
        link=new,
    )


# -- Hike → WooCommerce ---------------------------------------------------------------


def _hike_subject(sale: HikeSale) -> str:
    kind = "refund sale" if sale.refund_of is not None else "sale"
    return f"Hike {kind} {sale.number or sale.id}"


def plan_hike_sale(
    state: HikeSaleState,
    settings: SyncSettings,
    *,
    activated_at: datetime,
    currency: str = "",
    manual: bool = False,
) -> Plan:
    """Plan the sync of one Hike sale or refund sale to WooCommerce (rules 1.2, 1.4, 1.9)."""
    sale, subject = state.sale, _hike_subject(state.sale)
    if not settings.direction.hike_to_woo:
        reason = f"sync direction is {settings.direction.value}: Hike changes stay put"
        return Plan((Skip(subject=subject, reason=reason),))
    if sale.refund_of is not None:
        return _plan_refund_sale(state, currency)
    if state.link is None:
        return _plan_new_sale(state, settings, activated_at, currency, manual)
    return _plan_linked_sale(state, settings)


def _from_woo(sale: HikeSale) -> bool:
    ref = sale.external_reference or ""
    return ref.startswith(("woo:", "woo-refund:"))


def _plan_new_sale(
    state: HikeSaleState,
    settings: SyncSettings,
    activated_at: datetime,
    currency: str,
    manual: bool,
) -> Plan:
    sale, subject = state.sale, _hike_subject(state.sale)

    def skip(reason: str) -> Plan:
        return Plan((Skip(subject=subject, reason=reason),))

    if _from_woo(sale):
        return skip(
            f"created by the sync from WooCommerce ({sale.external_reference}): "
            "never echoed back as a new order"
        )
    when = sale.transaction_date
    if not manual and when is not None and when < activated_at:
        return skip(
            f"historical sale (from {when:%Y-%m-%d %H:%M} UTC, before the sync started): "
            "historical sales sync only through a manual historical sync"
        )
    fulfilment = sale.fulfilment_status
    if fulfilment in _PARTIAL:
        return skip(f"partial sale ({fulfilment.value}): partial Hike sales do not sync")
    if fulfilment is FulfilmentStatus.VOIDED:
        return skip("voided sales do not sync to WooCommerce")
    if (
        fulfilment is not FulfilmentStatus.COMPLETED
        and fulfilment is not FulfilmentStatus.ON_ACCOUNT
    ):
        return skip(f"{fulfilment.value} sales do not sync to WooCommerce")
    unresolved = unresolved_lines(sale, state.woo_products)
    if unresolved and settings.unknown_sku == "refuse":
        shown = ", ".join(repr(name) for name in unresolved)
        return Plan(
            (
                Reject(
                    subject=subject,
                    reason=f"WooCommerce has no product for {shown}: refused whole, so no "
                    "line is lost (WooCommerce would store each as an empty line of product "
                    "0); add the products to WooCommerce, or set unknown_sku='custom_line' "
                    "to write such lines as named fee lines",
                ),
            )
        )
    body = woo_order_body_from_hike(sale, "completed", settings, currency, state.woo_products)
    if unresolved:
        shown = ", ".join(repr(name) for name in unresolved)
        body_note = f"; no WooCommerce product for {shown}: written as named fee lines"
    else:
        body_note = ""
    why = (
        "on-account sales appear in WooCommerce as completed"
        if fulfilment is FulfilmentStatus.ON_ACCOUNT
        else "full (completed) sales sync at the end of the transaction"
    )
    tenders = ", ".join(
        f"{p.payment_type_name} {format_money(p.amount, sale.currency or currency or 'USD')}"
        for p in sale.payments
    )
    return Plan(
        (
            CreateWooOrder(
                subject=subject,
                reason=f"{why}; payment types shown: {body['payment_method_title']}"
                + (f" ({tenders})" if tenders else "")
                + body_note,
                key=f"woo-order:hike:{sale.id}",
                hike_sale_id=sale.id,
                status=_hike_status(sale),
                hike_modified_at=sale.modified_at,
                body=body,
            ),
        )
    )


def _woo_target(sale: HikeSale, settings: SyncSettings) -> tuple[str | None, str]:
    fulfilment = sale.fulfilment_status
    if fulfilment is FulfilmentStatus.VOIDED:
        if settings.sync_voided_to_woo:
            return "cancelled", "the sale was voided and sync_voided_to_woo is on"
        return None, "voided sales do not sync to WooCommerce (option sync_voided_to_woo)"
    if fulfilment is FulfilmentStatus.REFUNDED:
        return None, (
            "refund sales carry the money to WooCommerce, which sets 'refunded' itself "
            "when they reach the total"
        )
    if fulfilment is FulfilmentStatus.ON_ACCOUNT:
        return "completed", "on-account sales appear in WooCommerce as completed"
    target = settings.status_table.to_woo(_hike_status(sale)) or settings.status_table.to_woo(
        fulfilment
    )
    if target is None:
        return None, f"Hike status {_hike_status(sale)} has no WooCommerce status in the table"
    return target, f"Hike status {_hike_status(sale)} maps to {target!r}"


def _plan_linked_sale(state: HikeSaleState, settings: SyncSettings) -> Plan:
    sale, link, order = state.sale, state.link, state.woo_order
    assert link is not None  # noqa: S101 - guaranteed by the caller
    subject = _hike_subject(sale)
    current = _hike_status(sale)
    if current == HikeStatus(link.hike_fulfilment, link.hike_payment):
        return Plan()
    if order is None:
        reason = f"linked WooCommerce order {link.woo_order_id} was not found; nothing changed"
        return Plan((Skip(subject=subject, reason=reason),))
    target, why = _woo_target(sale, settings)
    if target is None:
        return Plan((Skip(subject=subject, reason=why),))
    if order.status == target:
        return Plan((_record(subject, link, order, sale, "both sides already agree"),))
    if str(order.status) in WOO_TERMINAL:
        reason = (
            f"the WooCommerce order is already {str(order.status)!r}, a terminal status that "
            f"a later Hike change ({current}) never reopens"
        )
        return Plan((Skip(subject=subject, reason=reason),))
    return Plan(
        (
            UpdateWooOrder(
                subject=subject,
                reason=why,
                key=f"woo-status:hike:{sale.id}:{link.woo_status}->{target}",
                woo_order_id=order.id,
                hike_sale_id=sale.id,
                status=current,
                hike_modified_at=sale.modified_at,
                body={"status": target},
            ),
        )
    )


def _plan_refund_sale(state: HikeSaleState, currency: str) -> Plan:
    sale, subject = state.sale, _hike_subject(state.sale)
    if state.refund_link is not None:
        return Plan()
    if _from_woo(sale):
        reason = f"created by the sync from WooCommerce ({sale.external_reference})"
        return Plan((Skip(subject=subject, reason=f"{reason}: never echoed back"),))
    link, order = state.link, state.woo_order
    if link is None or order is None:
        reason = f"it refunds Hike sale {sale.refund_of}, which is not synced to WooCommerce"
        return Plan((Skip(subject=subject, reason=reason),))
    amount = abs(sale.total)
    left = remaining_refundable(order)
    cur = order.currency or currency
    if amount > left:
        return Plan(
            (
                Mismatch(
                    subject=subject,
                    reason="refund not synced",
                    problems=(
                        f"it refunds {format_money(amount, cur)} but only "
                        f"{format_money(left, cur)} remains refundable on WooCommerce order "
                        f"#{order.number or order.id}",
                    ),
                ),
            )
        )
    body = woo_refund_body_from_hike(sale, order, currency)
    return Plan(
        (
            CreateWooRefund(
                subject=subject,
                reason=(
                    f"refund {format_money(amount, cur)} of WooCommerce order "
                    f"#{order.number or order.id}, with api_refund false (no second gateway "
                    "refund)"
                ),
                key=f"woo-refund:hike:{sale.id}",
                woo_order_id=order.id,
                hike_refund_sale_id=sale.id,
                amount=amount,
                body=body,
            ),
        )
    )
