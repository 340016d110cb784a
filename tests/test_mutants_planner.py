"""The planner, branch by branch: the holes mutation testing found (see docs/testing.md).

Each test builds one side's state by hand, calls the pure planner and compares the whole
plan, subjects and sentences included (``plan.explain()`` is how a user learns why), so
that every guard is tested on its own: the end-to-end tests tend to meet two guards at
once, and a plan that skips for the wrong reason passes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from hikewoo_core import DEFAULT_STATUS_TABLE, SyncDirection, SyncSettings
from hikewoo_core._mapping import HikeStatus
from hikewoo_core._plan import (
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
)
from hikewoo_core._planner import (
    HikeSaleState,
    WooOrderState,
    plan_hike_sale,
    plan_woo_order,
    woo_fingerprint,
)
from hikewoo_core._ports import Link, Origin, RefundLink
from hikewoo_core._translate import (
    hike_refund_sale_from_woo,
    hike_sale_from_woo,
    woo_order_body_from_hike,
    woo_refund_body_from_hike,
)
from hikewoo_core.hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikePayment,
    HikeSale,
    HikeSaleLine,
    PaymentStatus,
)
from hikewoo_core.woo._models import (
    WooAddress,
    WooLineItem,
    WooMeta,
    WooOrder,
    WooProduct,
    WooRefund,
    WooRefundSummary,
)

from ._world import ADA

D = Decimal
F = FulfilmentStatus
P = PaymentStatus
UTC = timezone.utc
ACTIVATED = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
SALE_MODIFIED = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
LINKED_AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SETTINGS = SyncSettings(woo_payment_label="Shop")
ORDER = "WooCommerce order #1040"
SALE = "Hike sale INV-1001"


def woo_order(status: str, *refunds: tuple[int, str], **changes: Any) -> WooOrder:
    fields: dict[str, Any] = {
        "id": 40,
        "number": "1040",
        "status": status,
        "currency": "USD",
        "total": D("25.00"),
        "date_created_gmt": CREATED,
        "date_modified_gmt": MODIFIED,
        "line_items": (
            WooLineItem(id=1, product_id=5, name="Mug", sku="MUG", quantity=2, total=D(25)),
        ),
        "refunds": tuple(WooRefundSummary(id=i, total=-D(a)) for i, a in refunds),
    }
    fields.update(changes)
    return WooOrder(**fields)


def hike_sale(
    fulfilment: F = F.PARKED, payment: P = P.PENDING, *paid: str, **changes: Any
) -> HikeSale:
    fields: dict[str, Any] = {
        "id": 900,
        "number": "INV-1001",
        "fulfilment_status": fulfilment,
        "payment_status": payment,
        "total": D("25.00"),
        "outlet_id": 1,
        "register_id": 1,
        "currency": "USD",
        "transaction_date": CREATED,
        "modified_at": SALE_MODIFIED,
        "external_reference": "woo:40",
        "lines": (HikeSaleLine(quantity=2, sold_price=D("12.50"), sku="MUG", total=D(25)),),
        "payments": tuple(HikePayment(payment_type_name="Cash", amount=D(a)) for a in paid),
    }
    fields.update(changes)
    return HikeSale(**fields)


def link(woo_status: str, fulfilment: F = F.PARKED, payment: P = P.PENDING) -> Link:
    return Link(
        woo_order_id=40,
        hike_sale_id=900,
        origin=Origin.WOO,
        woo_status=woo_status,
        hike_fulfilment=fulfilment,
        hike_payment=payment,
        woo_modified_gmt=LINKED_AT,
        hike_modified_at=LINKED_AT,
    )


def plan_linked(
    order: WooOrder,
    link_: Link,
    sale: HikeSale | None,
    refunds: Sequence[WooRefund] = (),
    *,
    refund_links: Sequence[RefundLink] = (),
    settings: SyncSettings = SETTINGS,
) -> tuple[Any, ...]:
    state = WooOrderState(
        order=order,
        refunds=tuple(refunds),
        link=link_,
        refund_links=tuple(refund_links),
        hike_sale=sale,
    )
    plan = plan_woo_order(state, settings, activated_at=ACTIVATED)
    return plan.actions


def update(
    old: str, new: str, status: HikeStatus, reason: str, payments: Any = None
) -> UpdateHikeSale:
    return UpdateHikeSale(
        subject=ORDER,
        reason=reason,
        key=f"hike-status:woo:40:{old}->{new}",
        woo_order_id=40,
        hike_sale_id=900,
        woo_status=new,
        woo_modified_gmt=MODIFIED,
        status=status,
        payments=payments,
    )


# -- a linked WooCommerce order: status changes (1.1, 1.3, 1.9) -----------------------------------


def test_rule_1_9_a_linked_order_whose_hike_sale_is_gone_changes_nothing() -> None:
    """Rule 1.9: the linked sale cannot be read: nothing is written, and the plan says so."""
    assert plan_linked(woo_order("completed"), link("processing"), None) == (
        Skip(subject=ORDER, reason="linked Hike sale 900 was not found; nothing changed"),
    )


@pytest.mark.parametrize(
    "sale",
    [hike_sale(), hike_sale(F.COMPLETED, P.PAID, "25.00")],
    ids=["parked", "completed"],
)
def test_rule_1_1_a_new_status_outside_the_table_leaves_the_hike_sale_as_it_is(
    sale: HikeSale,
) -> None:
    """Rule 1.1: a status not in the table is not synced, whatever the sale's state."""
    assert plan_linked(woo_order("pending"), link("processing"), sale) == (
        Skip(
            subject=ORDER,
            reason="new status 'pending' is not in the status table; the Hike sale is left "
            "as it is",
        ),
    )


def test_rule_1_9_an_order_trashed_while_its_sale_is_parked_and_unpaid_voids_the_sale() -> None:
    """DESIGN 3 (stock follows the end state), rule 1.9: a trashed order's parked, unpaid
    sale is voided, so it holds no stock, as if the order had first been seen trashed."""
    assert plan_linked(woo_order("trash"), link("processing"), hike_sale()) == (
        update(
            "processing",
            "trash",
            HikeStatus(F.VOIDED, P.VOIDED),
            "the order was moved to the trash while its Hike sale was still parked and "
            "unpaid: the sale is voided so it holds no stock",
        ),
    )


@pytest.mark.parametrize(
    "sale",
    [hike_sale(F.PARKED, P.PENDING, "5.00"), hike_sale(F.COMPLETED, P.PAID, "25.00")],
    ids=["parked-with-a-deposit", "completed"],
)
def test_rule_1_9_an_order_trashed_after_money_was_taken_leaves_the_sale_alone(
    sale: HikeSale,
) -> None:
    """Rule 1.1 / 1.9: only a parked sale without payments is voided when its order is
    trashed; a sale that took money is left for a person."""
    assert plan_linked(woo_order("trash"), link("processing"), sale) == (
        Skip(
            subject=ORDER,
            reason="new status 'trash' is not in the status table; the Hike sale is left as it is",
        ),
    )


def test_rule_1_9_both_sides_agreeing_only_records_what_the_sale_is_now() -> None:
    """Rule 1.9 (convergence): when the new status maps to what the Hike sale already is,
    only the ledger's record is brought up to date, with the sale's statuses and time."""
    stale = link("processing", F.COMPLETED, P.PAID)  # Hike changed since the last sync
    assert plan_linked(woo_order("on-hold"), stale, hike_sale()) == (
        RecordLink(
            subject=ORDER,
            reason="both sides already agree (on-hold / Parked/Pending)",
            key="record:woo:40:on-hold:Parked/Pending",
            link=attrs.evolve(
                stale,
                woo_status="on-hold",
                hike_fulfilment=F.PARKED,
                hike_payment=P.PENDING,
                hike_modified_at=SALE_MODIFIED,
            ),
        ),
    )


@pytest.mark.parametrize("terminal", [(F.REFUNDED, P.REFUNDED), (F.VOIDED, P.VOIDED)])
def test_rule_1_9_terminal_hike_sale_is_never_reopened_even_when_the_woo_side_was_not_terminal(
    terminal: tuple[F, P],
) -> None:
    """Rule 1.9, the Hike-side terminal guard alone: the order was ``completed`` (not
    terminal) when last synced, the sale was refunded or voided in Hike since; a later
    change of the order does not reopen the sale."""
    sale = hike_sale(*terminal)
    actions = plan_linked(woo_order("processing"), link("completed", F.COMPLETED, P.PAID), sale)
    status = f"{terminal[0].value}/{terminal[1].value}"
    assert actions == (
        Skip(
            subject=ORDER,
            reason=f"the Hike sale is already {status}, a terminal status that a later change "
            "to 'processing' never reopens",
        ),
    )


@pytest.mark.parametrize("terminal", ["refunded", "cancelled", "trash"])
def test_rule_1_9_a_terminal_woo_status_is_never_left_even_when_the_hike_sale_is_not_terminal(
    terminal: str,
) -> None:
    """Rule 1.9, the WooCommerce-side terminal guard alone: the sale in Hike is an ordinary
    completed sale, but the order was last synced terminal; leaving that status (a stale
    event, a restore) does not reopen anything in Hike."""
    sale = hike_sale(F.COMPLETED, P.PAID, "25.00")
    actions = plan_linked(woo_order("processing"), link(terminal, F.COMPLETED, P.PAID), sale)
    assert actions == (
        Skip(
            subject=ORDER,
            reason=f"the order left the terminal status {terminal!r}; terminal states are not "
            "reopened in Hike",
        ),
    )


def test_rule_1_3_an_order_paid_later_records_its_payment_once() -> None:
    """Rule 1.3: a parked sale without payments becomes Paid with one payment of the
    order total, labelled as configured; the plan says so."""
    actions = plan_linked(woo_order("completed"), link("processing"), hike_sale())
    assert actions == (
        update(
            "processing",
            "completed",
            HikeStatus(F.COMPLETED, P.PAID),
            "status 'processing' → 'completed' maps to Completed/Paid; payment 25.00 "
            "labelled 'Shop'",
            (HikePayment(payment_type_name="Shop", amount=D("25.00")),),
        ),
    )


def test_rule_1_3_a_sale_that_already_took_money_gets_no_second_payment() -> None:
    """Rule 1.3: a sale with payments (a deposit) is completed without a new payment."""
    sale = hike_sale(F.PARKED, P.PENDING, "5.00")
    assert plan_linked(woo_order("completed"), link("processing"), sale) == (
        update(
            "processing",
            "completed",
            HikeStatus(F.COMPLETED, P.PAID),
            "status 'processing' → 'completed' maps to Completed/Paid",
        ),
    )


def test_rule_1_3_a_pending_status_records_no_payment_even_on_a_sale_without_any() -> None:
    """Rule 1.3: parked/pending sales carry no payment: going back to processing does not
    add one (nor remove what there is)."""
    sale = hike_sale(F.COMPLETED, P.PAID)
    actions = plan_linked(woo_order("processing"), link("completed", F.COMPLETED, P.PAID), sale)
    assert actions == (
        update(
            "completed",
            "processing",
            HikeStatus(F.PARKED, P.PENDING),
            "status 'completed' → 'processing' maps to Parked/Pending",
        ),
    )


def test_rule_1_3_a_cancelled_order_clears_the_payments_of_its_sale() -> None:
    """Rule 1.3 and DESIGN 3: a voided sale holds no payment, as one first seen cancelled."""
    sale = hike_sale(F.COMPLETED, P.PAID, "25.00")
    actions = plan_linked(woo_order("cancelled"), link("completed", F.COMPLETED, P.PAID), sale)
    assert actions == (
        update(
            "completed",
            "cancelled",
            HikeStatus(F.VOIDED, P.VOIDED),
            "status 'completed' → 'cancelled' maps to Voided/Voided; its payments are cleared",
            (),
        ),
    )


# -- a linked WooCommerce order: refunds (1.4, 1.9) -----------------------------------------------


def woo_refund(rid: int, amount: str, origin: str | None = None) -> WooRefund:
    meta = () if origin is None else (WooMeta(key="_hike_refund_sale_id", value=origin),)
    return WooRefund(id=rid, amount=D(amount), reason=f"r{rid}", meta_data=meta)


def refund_link(refund_id: int, sale_id: int, amount: str) -> RefundLink:
    return RefundLink(
        woo_order_id=40,
        woo_refund_id=refund_id,
        hike_refund_sale_id=sale_id,
        origin=Origin.HIKE,
        amount=D(amount),
    )


def test_rule_1_4_1_9_refunds_sync_once_each_and_refunds_from_hike_are_never_echoed() -> None:
    """Rules 1.4 and 1.9: on a refunded order, each refund not yet synced becomes its own
    Hike refund sale (numbered in the plan), a refund created from a Hike refund sale is
    skipped (once: an already linked one is not even mentioned), and the refund sales
    take stock back only if the original sale took it."""
    order = woo_order("refunded", (77, "5.00"), (78, "5.00"), (79, "5.00"), (80, "10.00"))
    refunds = [
        woo_refund(77, "5.00", origin="600"),
        woo_refund(78, "5.00"),
        woo_refund(79, "5.00", origin="601"),
        woo_refund(80, "10.00"),
    ]
    synced = [refund_link(77, 600, "5.00")]
    sale = hike_sale(F.REFUNDED, P.REFUNDED, "25.00", do_not_update_inventory=True)
    actions = plan_linked(
        order, link("refunded", F.REFUNDED, P.REFUNDED), sale, refunds, refund_links=synced
    )

    def create(refund: WooRefund, number: int, amount: str) -> CreateHikeRefundSale:
        return CreateHikeRefundSale(
            subject=f"{ORDER} refund #{refund.id}",
            reason=f"the order is 'refunded': refund {number} of 2 ({amount}) becomes its own "
            "Hike refund sale",
            key=f"hike-refund:woo-refund:{refund.id}",
            woo_order_id=40,
            woo_refund_id=refund.id,
            amount=refund.amount,
            draft=hike_refund_sale_from_woo(
                order, refund, 0, SETTINGS, do_not_update_inventory=True
            ),
        )

    assert actions == (
        Skip(
            subject=f"{ORDER} refund #79",
            reason="created by the sync from Hike refund sale 601: never echoed back",
        ),
        create(refunds[1], 1, "5.00"),
        create(refunds[3], 2, "10.00"),
    )
    assert actions[1].draft.refund_of == 0  # filled from the ledger when executed
    assert actions[1].draft.do_not_update_inventory is True


def test_rule_1_4_refunds_of_an_order_not_refunded_are_held_and_the_plan_says_which() -> None:
    """Rule 1.4: a partial refund on a completed order waits, one note per refund."""
    order = woo_order("completed", (77, "5.00"))
    sale = hike_sale(F.COMPLETED, P.PAID, "25.00")
    actions = plan_linked(
        order, link("completed", F.COMPLETED, P.PAID), sale, [woo_refund(77, "5.00")]
    )
    assert actions == (
        Skip(
            subject=f"{ORDER} refund #77",
            reason="partial refund #77 (5.00) not synced: the order is still 'completed', and "
            "refunds sync to Hike only when the WooCommerce order status becomes 'refunded'",
        ),
    )


def test_rule_1_4_refunds_that_do_not_reconcile_are_reported_and_none_syncs() -> None:
    """Rule 1.4: a mismatch is reported with each problem, not silently fixed."""
    order = woo_order("refunded", (77, "5.00"))
    sale = hike_sale(F.REFUNDED, P.REFUNDED, "25.00")
    actions = plan_linked(
        order, link("refunded", F.REFUNDED, P.REFUNDED), sale, [woo_refund(77, "6.00")]
    )
    assert actions == (
        Mismatch(
            subject=ORDER,
            reason="refunds do not reconcile, none synced until they do",
            problems=("refund objects add up to 6.00 but the order says 5.00 was refunded",),
        ),
    )


def test_rule_1_9_the_fingerprint_of_an_order_is_stable_and_sees_its_refunds() -> None:
    """Rule 1.9 (planning again after applying is empty): the fingerprint kept in the
    ledger is the same from one release to the next (a ledger written before an upgrade
    does not make every order be planned again), and a refund changes it."""
    one = woo_order("completed", (77, "5.00"))
    # blake2b (8 bytes) of "status|total|currency|refund id:total,...", as released
    assert woo_fingerprint(one) == "9d21764f7fbfd141"
    two = woo_order("completed", (77, "5.00"), (78, "1.00"))
    assert woo_fingerprint(two) != woo_fingerprint(one)
    assert woo_fingerprint(woo_order("completed")) != woo_fingerprint(one)


# -- Hike -> WooCommerce: new sales (1.2, 1.7, 1.9) -----------------------------------------------


def plan_sale(
    sale: HikeSale,
    *,
    settings: SyncSettings = SETTINGS,
    currency: str = "",
    manual: bool = False,
    **state: Any,
) -> tuple[Any, ...]:
    plan = plan_hike_sale(
        HikeSaleState(sale=sale, **state),
        settings,
        activated_at=ACTIVATED,
        currency=currency,
        manual=manual,
    )
    return plan.actions


MUG = WooProduct(id=31, name="Mug", type="simple", status="publish", sku="MUG")
TENDERS = (
    HikePayment(payment_type_name="Cash", amount=D("10.00")),
    HikePayment(payment_type_name="Card", amount=D("15.00")),
)


def pos_sale(fulfilment: F = F.COMPLETED, payment: P = P.PAID, **changes: Any) -> HikeSale:
    fields: dict[str, Any] = {
        "external_reference": None,
        "currency": "",
        "payments": TENDERS,
        "lines": (
            HikeSaleLine(quantity=1, sold_price=D(15), sku="MUG", title="Mug", total=D(15)),
            HikeSaleLine(quantity=1, sold_price=D(10), sku="TEA", title="Tea", total=D(10)),
        ),
    }
    fields.update(changes)
    return hike_sale(fulfilment, payment, **fields)


def test_rule_1_9_the_direction_setting_stops_hike_changes_and_says_so() -> None:
    """Rule 1.9: with WooCommerce → Hike only, Hike sales stay put, named in the plan."""
    settings = SyncSettings(direction=SyncDirection.WOO_TO_HIKE)
    assert plan_sale(pos_sale(), settings=settings) == (
        Skip(subject=SALE, reason="sync direction is woo_to_hike: Hike changes stay put"),
    )
    refund = pos_sale(number="", id=901, refund_of=900)
    assert plan_sale(refund, settings=settings) == (
        Skip(
            subject="Hike refund sale 901",
            reason="sync direction is woo_to_hike: Hike changes stay put",
        ),
    )


@pytest.mark.parametrize("reference", ["woo:40", "woo-refund:77"])
def test_rule_1_9_a_hike_sale_created_from_woocommerce_is_never_echoed_back(
    reference: str,
) -> None:
    """Rule 1.9, the Hike-side echo guard: a sale whose external reference says it came
    from a WooCommerce order *or refund* never becomes a new order."""
    assert plan_sale(pos_sale(external_reference=reference)) == (
        Skip(
            subject=SALE,
            reason=f"created by the sync from WooCommerce ({reference}): never echoed back as "
            "a new order",
        ),
    )


def test_rule_1_7_a_sale_from_before_the_sync_started_syncs_only_manually() -> None:
    """Rule 1.7: historical sales never sync automatically; a manual sync takes them, and
    a sale without a transaction date is not historical."""
    old = pos_sale(transaction_date=datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    assert plan_sale(old, woo_products={"MUG": MUG, "TEA": MUG}) == (
        Skip(
            subject=SALE,
            reason="historical sale (from 2026-11-26 23:00 UTC, before the sync started): "
            "historical sales sync only through a manual historical sync",
        ),
    )
    manual = plan_sale(old, woo_products={"MUG": MUG, "TEA": MUG}, manual=True)
    assert [type(a) for a in manual] == [CreateWooOrder]
    undated = plan_sale(pos_sale(transaction_date=None), woo_products={"MUG": MUG, "TEA": MUG})
    assert [type(a) for a in undated] == [CreateWooOrder]


@pytest.mark.parametrize(
    ("fulfilment", "reason"),
    [
        (F.LAYBY, "partial sale (LayBy): partial Hike sales do not sync"),
        (F.QUOTE, "partial sale (Quote): partial Hike sales do not sync"),
        (F.VOIDED, "voided sales do not sync to WooCommerce"),
        (F.EXCHANGE, "Exchange sales do not sync to WooCommerce"),
        (F.REFUNDED, "Refunded sales do not sync to WooCommerce"),
    ],
)
def test_rule_1_2_only_full_or_on_account_hike_sales_sync_and_the_plan_says_why(
    fulfilment: F, reason: str
) -> None:
    """Rule 1.2: partial, voided and other sales do not sync to WooCommerce."""
    assert plan_sale(pos_sale(fulfilment)) == (Skip(subject=SALE, reason=reason),)


def test_rule_1_2_a_sale_with_a_product_woocommerce_lacks_is_refused_whole() -> None:
    """Rule 1.2 (nothing half-synced): lines WooCommerce has no product for are named."""
    assert plan_sale(pos_sale(), woo_products={"MUG": MUG, "TEA": None}) == (
        Reject(
            subject=SALE,
            reason="WooCommerce has no product for 'Tea (TEA)': refused whole, so no line is "
            "lost (WooCommerce would store each as an empty line of product 0); add the "
            "products to WooCommerce, or set unknown_sku='custom_line' to write such lines "
            "as named fee lines",
        ),
    )


def test_rule_1_2_a_full_sale_becomes_an_order_naming_every_tender() -> None:
    """Rule 1.2: a full sale syncs as a completed order; the plan names each tender with
    its amount (in the shop's currency when the sale has none) and the lines written as
    fee lines."""
    settings = SyncSettings(unknown_sku="custom_line")
    products: dict[str, WooProduct | None] = {"MUG": MUG, "TEA": None}
    sale = pos_sale()
    assert plan_sale(sale, settings=settings, currency="JPY", woo_products=products) == (
        CreateWooOrder(
            subject=SALE,
            reason="full (completed) sales sync at the end of the transaction; payment types "
            "shown: Cash + Card (Cash 10, Card 15); no WooCommerce product for 'Tea (TEA)': "
            "written as named fee lines",
            key="woo-order:hike:900",
            hike_sale_id=900,
            status=HikeStatus(F.COMPLETED, P.PAID),
            hike_modified_at=SALE_MODIFIED,
            body=woo_order_body_from_hike(sale, "completed", settings, "JPY", products),
        ),
    )
    assert plan_sale(sale, settings=settings, woo_products=products)[0].reason.startswith(
        "full (completed) sales sync at the end of the transaction; payment types shown: "
        "Cash + Card (Cash 10.00, Card 15.00);"
    )


def test_rule_1_2_an_on_account_sale_becomes_a_completed_order() -> None:
    """Rule 1.2: on-account sales appear in WooCommerce as completed."""
    sale = pos_sale(F.ON_ACCOUNT, P.PENDING, payments=())
    [action] = plan_sale(sale, woo_products={"MUG": MUG, "TEA": MUG})
    assert isinstance(action, CreateWooOrder)
    assert action.reason == (
        "on-account sales appear in WooCommerce as completed; payment types shown: On account"
    )
    assert action.body["status"] == "completed"


# -- Hike -> WooCommerce: linked sales (1.2, 1.9) -------------------------------------------------


def plan_linked_sale(
    sale: HikeSale, order: WooOrder | None, link_: Link, settings: SyncSettings = SETTINGS
) -> tuple[Any, ...]:
    return plan_sale(sale, settings=settings, link=link_, woo_order=order)


def woo_update(target: str, status: HikeStatus, reason: str, old: str) -> UpdateWooOrder:
    return UpdateWooOrder(
        subject=SALE,
        reason=reason,
        key=f"woo-status:hike:900:{old}->{target}",
        woo_order_id=40,
        hike_sale_id=900,
        status=status,
        hike_modified_at=SALE_MODIFIED,
        body={"status": target},
    )


def test_rule_1_9_a_linked_sale_that_did_not_change_plans_nothing() -> None:
    """Rule 1.9 (convergence): the sale is as the ledger last saw it: nothing to do."""
    sale = hike_sale(F.COMPLETED, P.PAID)
    assert plan_linked_sale(sale, None, link("completed", F.COMPLETED, P.PAID)) == ()


def test_rule_1_9_a_linked_sale_whose_order_is_gone_changes_nothing() -> None:
    """Rule 1.9: the linked order cannot be read: the plan says so, nothing is written."""
    sale = hike_sale(F.COMPLETED, P.PAID)
    assert plan_linked_sale(sale, None, link("processing")) == (
        Skip(subject=SALE, reason="linked WooCommerce order 40 was not found; nothing changed"),
    )


def test_rule_1_2_a_voided_sale_cancels_its_order_only_when_the_option_is_on() -> None:
    """Rule 1.2: voided sales do not sync by default; the option syncs them as cancelled."""
    sale = hike_sale(F.VOIDED, P.VOIDED)
    order = woo_order("completed")
    was = link("completed", F.COMPLETED, P.PAID)
    assert plan_linked_sale(sale, order, was) == (
        Skip(
            subject=SALE,
            reason="voided sales do not sync to WooCommerce (option sync_voided_to_woo)",
        ),
    )
    option = SyncSettings(sync_voided_to_woo=True)
    assert plan_linked_sale(sale, order, was, option) == (
        woo_update(
            "cancelled",
            HikeStatus(F.VOIDED, P.VOIDED),
            "the sale was voided and sync_voided_to_woo is on",
            "completed",
        ),
    )


def test_rule_1_4_a_refunded_sale_leaves_the_status_to_its_refund_sales() -> None:
    """Rule 1.4: the refund sales carry the money; WooCommerce sets 'refunded' itself."""
    sale = hike_sale(F.REFUNDED, P.REFUNDED)
    assert plan_linked_sale(sale, woo_order("completed"), link("completed")) == (
        Skip(
            subject=SALE,
            reason="refund sales carry the money to WooCommerce, which sets 'refunded' itself "
            "when they reach the total",
        ),
    )


def test_rule_1_2_an_on_account_sale_already_completed_in_woocommerce_is_only_recorded() -> None:
    """Rule 1.2 and 1.9: an on-account sale is 'completed' in WooCommerce; when the order
    already is, only the ledger's record is updated."""
    sale = hike_sale(F.ON_ACCOUNT, P.PENDING)
    was = link("processing")
    assert plan_linked_sale(sale, woo_order("completed"), was) == (
        RecordLink(
            subject=SALE,
            reason="both sides already agree (completed / OnAccount/Pending)",
            key="record:woo:40:completed:OnAccount/Pending",
            link=attrs.evolve(
                was,
                woo_status="completed",
                hike_fulfilment=F.ON_ACCOUNT,
                hike_payment=P.PENDING,
                hike_modified_at=SALE_MODIFIED,
            ),
        ),
    )
    assert plan_linked_sale(sale, woo_order("processing"), was) == (
        woo_update(
            "completed",
            HikeStatus(F.ON_ACCOUNT, P.PENDING),
            "on-account sales appear in WooCommerce as completed",
            "processing",
        ),
    )


def test_rule_1_1_a_hike_status_maps_back_by_the_table_exactly_then_by_fulfilment() -> None:
    """Rule 1.1 (reverse lookup): the exact pair first; a fulfilment status alone only
    when it is unambiguous; otherwise the plan says there is no WooCommerce status."""
    table = DEFAULT_STATUS_TABLE.with_row("awaiting-payment", F.COMPLETED, P.PENDING)
    settings = SyncSettings(status_table=table)
    was = link("processing")
    exact = plan_linked_sale(
        hike_sale(F.COMPLETED, P.PENDING), woo_order("processing"), was, settings
    )
    assert exact == (
        woo_update(
            "awaiting-payment",
            HikeStatus(F.COMPLETED, P.PENDING),
            "Hike status Completed/Pending maps to 'awaiting-payment'",
            "processing",
        ),
    )
    by_fulfilment = plan_linked_sale(
        hike_sale(F.COMPLETED, P.PARTIALLY_PAID), woo_order("processing"), was
    )
    assert by_fulfilment == (
        woo_update(
            "completed",
            HikeStatus(F.COMPLETED, P.PARTIALLY_PAID),
            "Hike status Completed/PartiallyPaid maps to 'completed'",
            "processing",
        ),
    )
    ambiguous = plan_linked_sale(
        hike_sale(F.COMPLETED, P.PARTIALLY_PAID), woo_order("processing"), was, settings
    )
    assert ambiguous == (
        Skip(
            subject=SALE,
            reason="Hike status Completed/PartiallyPaid has no WooCommerce status in the table",
        ),
    )


def test_rule_1_9_a_terminal_woocommerce_order_is_never_reopened_by_a_hike_change() -> None:
    """Rule 1.9, the WooCommerce side: a later Hike change does not reopen a refunded order."""
    sale = hike_sale(F.PARKED, P.PENDING)
    was = link("completed", F.COMPLETED, P.PAID)
    assert plan_linked_sale(sale, woo_order("refunded"), was) == (
        Skip(
            subject=SALE,
            reason="the WooCommerce order is already 'refunded', a terminal status that a "
            "later Hike change (Parked/Pending) never reopens",
        ),
    )


# -- Hike refund sales -> WooCommerce refunds (1.4, 1.9) ------------------------------------------


def refund_sale(total: str = "-25.00", **changes: Any) -> HikeSale:
    fields: dict[str, Any] = {
        "id": 901,
        "number": "INV-1002",
        "refund_of": 900,
        "total": D(total),
        "external_reference": None,
        "lines": (),
        "note": "",
    }
    fields.update(changes)
    return hike_sale(F.REFUNDED, P.REFUNDED, **fields)


REFUND = "Hike refund sale INV-1002"


def test_rule_1_4_a_refund_sale_already_synced_plans_nothing() -> None:
    """Rule 1.4: each refund exactly once."""
    done = refund_link(78, 901, "25.00")
    assert plan_sale(refund_sale(), refund_link=done, link=link("completed")) == ()


def test_rule_1_9_a_refund_sale_made_from_a_woocommerce_refund_is_never_echoed_back() -> None:
    """Rule 1.9: a refund sale the sync created from a WooCommerce refund stays in Hike."""
    assert plan_sale(refund_sale(external_reference="woo-refund:77")) == (
        Skip(
            subject=REFUND,
            reason="created by the sync from WooCommerce (woo-refund:77): never echoed back",
        ),
    )


@pytest.mark.parametrize("linked", [False, True], ids=["no-link", "order-gone"])
def test_rule_1_4_a_refund_of_a_sale_not_synced_stays_in_hike(linked: bool) -> None:
    """Rule 1.4: only refunds of a sale synced to an order (that can be read) sync."""
    state: dict[str, Any] = {"link": link("completed")} if linked else {}
    assert plan_sale(refund_sale(), **state) == (
        Skip(subject=REFUND, reason="it refunds Hike sale 900, which is not synced to WooCommerce"),
    )


def test_rule_1_4_a_refund_sale_larger_than_what_remains_is_reported_not_synced() -> None:
    """Rule 1.4: refunds never exceed the order total; the mismatch names both amounts."""
    order = woo_order("completed", (77, "5.00"))
    actions = plan_sale(refund_sale("-25.00"), link=link("completed"), woo_order=order)
    assert actions == (
        Mismatch(
            subject=REFUND,
            reason="refund not synced",
            problems=(
                "it refunds 25.00 but only 20.00 remains refundable on WooCommerce order #1040",
            ),
        ),
    )


def test_rule_1_4_a_refund_sale_of_all_that_remains_becomes_a_woocommerce_refund() -> None:
    """Rule 1.4: a refund up to what remains syncs, with ``api_refund`` false, its amount
    in the order's currency."""
    order = woo_order("completed", (77, "5.00"))
    sale = refund_sale("-20.00")
    actions = plan_sale(sale, link=link("completed"), woo_order=order, currency="JPY")
    assert actions == (
        CreateWooRefund(
            subject=REFUND,
            reason="refund 20.00 of WooCommerce order #1040, with api_refund false (no second "
            "gateway refund)",
            key="woo-refund:hike:901",
            woo_order_id=40,
            hike_refund_sale_id=901,
            amount=D("20.00"),
            body=woo_refund_body_from_hike(sale, order, "JPY"),
        ),
    )
    no_number = woo_order("completed", number="", currency="")
    [action] = plan_sale(sale, link=link("completed"), woo_order=no_number, currency="JPY")
    assert action.reason == (
        "refund 20 of WooCommerce order #40, with api_refund false (no second gateway refund)"
    )


def test_plan_helpers_do_not_hide_customers() -> None:
    """(Guard for the helpers above: a sale's customer is carried into its order body.)"""
    sale = pos_sale(customer=HikeCustomer(first_name="A", last_name="L", email="a@b.c"))
    [action] = plan_sale(sale, woo_products={"MUG": MUG, "TEA": MUG})
    assert action.body["billing"]["email"] == "a@b.c"
    assert Plan((action,)).explain().startswith("1. create WooCommerce order for Hike sale")


def test_rule_1_9_the_fingerprint_separates_each_refund_as_released() -> None:
    """Rule 1.9 (planning again after applying is empty): with several refunds the
    fingerprint is still the released digest, refunds joined by a bare comma (a ledger
    written before an upgrade must not make every refunded order be planned again)."""
    two = woo_order("refunded", (77, "5.00"), (78, "1.00"))
    text = b"refunded|25.00|USD|77:-5.00,78:-1.00"
    assert woo_fingerprint(two) == hashlib.blake2b(text, digest_size=8).hexdigest()


# -- a new WooCommerce order (1.1, 1.3 to 1.5, 1.7 to 1.9) ----------------------------------------


ADA_BILLING = WooAddress(**ADA)
NEW_ADA = "new customer Ada Lovelace <ada@example.com>"


def new_order(status: str, *refunds: tuple[int, str], **changes: Any) -> WooOrder:
    """An order not yet synced, billed to a customer Hike can take (DESIGN 1.8)."""
    return woo_order(status, *refunds, billing=ADA_BILLING, **changes)


def plan_new(
    order: WooOrder,
    refunds: Sequence[WooRefund] = (),
    *,
    settings: SyncSettings = SETTINGS,
    customer: HikeCustomer | None = None,
    **options: Any,
) -> tuple[Any, ...]:
    """Plan an order with no link; ``options`` (manual, update_inventory) are passed only
    when given, so the planner's own defaults are what an unadorned call tests."""
    state = WooOrderState(order=order, refunds=tuple(refunds), existing_customer=customer)
    return plan_woo_order(state, settings, activated_at=ACTIVATED, **options).actions


def create(
    order: WooOrder,
    status: HikeStatus,
    reason: str,
    *,
    customer: HikeCustomer | None = None,
    settings: SyncSettings = SETTINGS,
    update_inventory: bool | None = None,
    last: bool = True,
) -> CreateHikeSale:
    """The create the planner should make; ``last``: no write follows it, so its link
    marks the order seen (``seen`` is the order's fingerprint)."""
    if customer is None:
        customer = HikeCustomer(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    return CreateHikeSale(
        subject=ORDER,
        reason=reason,
        key="hike-sale:woo:40",
        woo_order_id=40,
        woo_status=str(order.status),
        woo_modified_gmt=MODIFIED,
        draft=hike_sale_from_woo(
            order, status, settings, customer, update_inventory=update_inventory
        ),
        seen=woo_fingerprint(order) if last else None,
    )


def test_rule_1_9_the_direction_setting_stops_woocommerce_changes_and_says_so() -> None:
    """Rule 1.9: with Hike → WooCommerce only, orders stay put, named in the plan."""
    settings = SyncSettings(direction=SyncDirection.HIKE_TO_WOO)
    assert plan_new(new_order("completed"), settings=settings) == (
        Skip(subject=ORDER, reason="sync direction is hike_to_woo: WooCommerce changes stay put"),
    )


def test_rule_1_9_an_order_created_from_a_hike_sale_is_never_echoed_back() -> None:
    """Rule 1.9, the WooCommerce-side echo guard: an order carrying ``_hike_sale_id``
    never becomes a new Hike sale."""
    order = new_order("completed", meta_data=(WooMeta(key="_hike_sale_id", value="900"),))
    assert plan_new(order) == (
        Skip(
            subject=ORDER,
            reason="created by the sync from Hike sale 900: never echoed back as a new sale",
        ),
    )


def test_rule_1_1_a_new_order_outside_the_table_is_not_synced_and_the_plan_says_how() -> None:
    """Rule 1.1: a status not in the table is not synced; the plan says so, with the way
    to sync it (a row added to the table)."""
    assert plan_new(new_order("pending")) == (
        Skip(
            subject=ORDER,
            reason="status 'pending' is not in the status table, so the order is not synced "
            "(add a row to the table to sync it)",
        ),
    )


def test_rule_1_7_an_order_from_before_the_sync_started_syncs_only_manually() -> None:
    """Rule 1.7: a historical order is skipped by default (no ``manual`` given), with the
    reason; a manual historical sync creates its sale and says it was manual."""
    old = new_order("completed", date_created_gmt=datetime(2026, 11, 26, 22, 30, tzinfo=UTC))
    assert plan_new(old) == (
        Skip(
            subject=ORDER,
            reason="historical order (created 2026-11-26 22:30 UTC, before the sync started "
            "at 2026-11-27 00:00 UTC): historical orders sync only through a manual "
            "historical sync",
        ),
    )
    assert plan_new(old, manual=True) == (
        create(
            old,
            HikeStatus(F.COMPLETED, P.PAID),
            "manual historical sync; 'completed' maps to Completed/Paid; payment 25.00 "
            f"labelled 'Shop'; {NEW_ADA}; stock deducted",
        ),
    )


def test_rule_1_3_1_7_a_new_paid_order_records_its_payment_and_deducts_stock() -> None:
    """Rules 1.3 and 1.7: a completed order becomes a Paid sale with one payment of its
    total under the configured label, taking stock; the plan says all of it (and that
    the sync is not a manual one)."""
    order = new_order("completed")
    assert plan_new(order) == (
        create(
            order,
            HikeStatus(F.COMPLETED, P.PAID),
            f"'completed' maps to Completed/Paid; payment 25.00 labelled 'Shop'; {NEW_ADA}; "
            "stock deducted",
        ),
    )


def test_rule_1_3_1_7_a_new_unpaid_order_carries_no_payment_and_may_leave_stock() -> None:
    """Rules 1.3 and 1.7: a processing order is a Parked/Pending sale with no payment;
    synced without stock deduction, the plan says the stock is untouched."""
    order = new_order("processing")
    assert plan_new(order, update_inventory=False) == (
        create(
            order,
            HikeStatus(F.PARKED, P.PENDING),
            f"'processing' maps to Parked/Pending; no payment (not paid yet); {NEW_ADA}; "
            "stock untouched",
            update_inventory=False,
        ),
    )


def test_rule_1_8_an_existing_customer_is_matched_by_email() -> None:
    """Rule 1.8: the customer Hike already has with the billing email is attached, not a
    new one."""
    known = HikeCustomer(id=7, first_name="Ada", last_name="L.", email="ada@example.com")
    order = new_order("processing")
    assert plan_new(order, customer=known) == (
        create(
            order,
            HikeStatus(F.PARKED, P.PENDING),
            "'processing' maps to Parked/Pending; no payment (not paid yet); customer "
            "matched by email ada@example.com; stock deducted",
            customer=known,
        ),
    )


def composite(line_id: int, name: str, key: str) -> WooLineItem:
    meta = (WooMeta(key=key, value="1"),)
    return WooLineItem(id=line_id, product_id=5, name=name, quantity=1, total=D(25), meta_data=meta)


def test_rule_1_5_an_order_with_composite_lines_is_refused_whole_naming_each() -> None:
    """Rule 1.5: every offending line is named, in one refusal; nothing is synced."""
    lines = (composite(1, "Box", "_composite_children"), composite(2, "Lid", "_composite_item"))
    bad = ((1, "Box", "composite product"), (2, "Lid", "component of a composite product"))
    assert plan_new(new_order("completed", total=D(50), line_items=lines)) == (
        Reject(
            subject=ORDER,
            reason="only simple and variable products sync to Hike, refused whole: line 1 "
            "'Box' is a composite product; line 2 'Lid' is a component of a composite product",
            lines=bad,
        ),
    )


def test_rule_1_5_bundles_sync_when_the_reject_bundles_setting_is_off() -> None:
    """Rule 1.5: bundles are refused *by default*; with ``reject_bundles`` off the
    planner follows the setting and the order syncs."""
    order = new_order("completed", line_items=(composite(1, "Mug", "_bundled_by"),))
    assert [type(a) for a in plan_new(order)] == [Reject]
    settings = SyncSettings(woo_payment_label="Shop", reject_bundles=False)
    assert plan_new(order, settings=settings) == (
        create(
            order,
            HikeStatus(F.COMPLETED, P.PAID),
            f"'completed' maps to Completed/Paid; payment 25.00 labelled 'Shop'; {NEW_ADA}; "
            "stock deducted",
            settings=settings,
        ),
    )


def test_rule_1_3_an_order_with_no_line_items_is_refused() -> None:
    """Rule 1.3 (a payment only for what was sold) and DESIGN 3 (synced whole or not at
    all): an order with nothing to sell is refused, named in the plan."""
    assert plan_new(new_order("completed", line_items=())) == (
        Reject(
            subject=ORDER,
            reason="the order has no line items: there is nothing to sell in Hike, and a "
            "sale of 25.00 with no lines is refused",
        ),
    )


def test_rule_1_3_an_order_whose_lines_miss_its_total_is_reported_not_synced() -> None:
    """Rule 1.3 and DESIGN 3: a sale must not record a payment for lines it does not
    have; the mismatch names what the lines add up to and what is unaccounted for."""
    assert plan_new(new_order("completed", total=D("30.00"))) == (
        Mismatch(
            subject=ORDER,
            reason="the order's lines do not account for its total; not synced until they do",
            problems=(
                "products, shipping and fees add up to 25.00 USD, the order total is 30.00 "
                "USD (+5.00 unaccounted for)",
            ),
        ),
    )


def test_rule_1_3_tax_rounding_of_one_minor_unit_per_line_still_syncs() -> None:
    """Rule 1.3 (translate.rounding_tolerance): lines may miss the total by tax rounding
    of up to one cent per line, inclusive; the sale syncs (with a rounding line)."""
    order = new_order("completed", total=D("25.01"))
    [action] = plan_new(order)
    assert isinstance(action, CreateHikeSale)
    assert action.draft.total == D("25.01")
    assert action.draft.lines[-1].title == "Rounding"
    assert [type(a) for a in plan_new(new_order("completed", total=D("25.02")))] == [Mismatch]


def test_rule_1_4_a_new_refunded_order_syncs_each_refund_with_its_sales_stock_flag() -> None:
    """Rule 1.4 and 1.7: an order first seen refunded becomes its sale and one refund
    sale per refund, named after the refund, taking stock back only if the sale took it."""
    order = new_order("refunded", (77, "25.00"))
    refund = woo_refund(77, "25.00")
    status = HikeStatus(F.REFUNDED, P.REFUNDED)
    reason = f"'refunded' maps to Refunded/Refunded; payment 25.00 labelled 'Shop'; {NEW_ADA}; "
    for update_inventory, no_stock in ((True, False), (False, True)):
        sale = create(
            order,
            status,
            reason + ("stock untouched" if no_stock else "stock deducted"),
            update_inventory=update_inventory,
            last=False,  # its refund sale follows
        )
        assert plan_new(order, [refund], update_inventory=update_inventory) == (
            sale,
            CreateHikeRefundSale(
                subject=f"{ORDER} refund #77",
                reason="the order is 'refunded': refund 1 of 1 (25.00) becomes its own Hike "
                "refund sale",
                key="hike-refund:woo-refund:77",
                woo_order_id=40,
                woo_refund_id=77,
                amount=D("25.00"),
                draft=hike_refund_sale_from_woo(
                    order, refund, 0, SETTINGS, do_not_update_inventory=no_stock
                ),
            ),
        )


def test_rule_1_4_a_new_completed_order_with_a_refund_holds_it_and_says_so() -> None:
    """Rule 1.4: a partial refund on a completed order seen for the first time waits;
    the plan has a note for it beside the new sale."""
    order = new_order("completed", (77, "5.00"))
    actions = plan_new(order, [woo_refund(77, "5.00")])
    assert [type(a) for a in actions] == [CreateHikeSale, Skip]
    assert actions[1] == Skip(
        subject=f"{ORDER} refund #77",
        reason="partial refund #77 (5.00) not synced: the order is still 'completed', and "
        "refunds sync to Hike only when the WooCommerce order status becomes 'refunded'",
    )


def test_rule_1_4_a_new_refunded_order_whose_refunds_were_not_read_is_reported() -> None:
    """Rule 1.4 (reconciliation): an order first seen refunded is reconciled even when
    no refund object came with it; the missing refunds are reported, not ignored."""
    actions = plan_new(new_order("refunded", (77, "25.00")))
    assert [type(a) for a in actions] == [CreateHikeSale, Mismatch]
    assert actions[1] == Mismatch(
        subject=ORDER,
        reason="refunds do not reconcile, none synced until they do",
        problems=("the order lists refunds [77] but [] were read",),
    )


# -- Hike -> WooCommerce: the planner's defaults (1.2, 1.7) ---------------------------------------


def test_rule_1_7_1_2_an_unadorned_plan_of_a_hike_sale_is_automatic_in_the_shop_currency() -> None:
    """Rule 1.7: without ``manual``, a historical sale is skipped; rule 1.2: without a
    ``currency``, an order of a sale with none leaves it to the shop's own (empty)."""
    old = pos_sale(transaction_date=datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    products: dict[str, WooProduct | None] = {"MUG": MUG, "TEA": MUG}
    state = HikeSaleState(sale=old, woo_products=products)
    [skip] = plan_hike_sale(state, SETTINGS, activated_at=ACTIVATED).actions
    assert isinstance(skip, Skip)
    assert skip.reason.startswith("historical sale")
    state = HikeSaleState(sale=pos_sale(), woo_products=products)
    [action] = plan_hike_sale(state, SETTINGS, activated_at=ACTIVATED).actions
    assert isinstance(action, CreateWooOrder)
    assert action.body["currency"] == ""
    assert action.body == woo_order_body_from_hike(pos_sale(), "completed", SETTINGS, "", products)


def test_rule_1_2_every_line_woocommerce_lacks_is_named_comma_separated() -> None:
    """Rule 1.2 (nothing half-synced): each unresolved line is named, in the refusal and
    in the note of a sale written with fee lines."""
    products: dict[str, WooProduct | None] = {"MUG": None, "TEA": None}
    [reject] = plan_sale(pos_sale(), woo_products=products)
    assert reject.reason.startswith("WooCommerce has no product for 'Mug (MUG)', 'Tea (TEA)':")
    settings = SyncSettings(unknown_sku="custom_line")
    [action] = plan_sale(pos_sale(), settings=settings, woo_products=products)
    assert action.reason.endswith(
        "; no WooCommerce product for 'Mug (MUG)', 'Tea (TEA)': written as named fee lines"
    )


def test_rule_1_9_a_create_marks_the_order_seen_only_when_no_write_follows_it() -> None:
    """The create's link marks the order seen as read (saving the ledger a write) only
    when it is the plan's last write: a new order first seen refunded is created, then
    its refund sales; were it marked seen by the create, a crash before the refund sales
    would leave them unplanned for ever (the next read would look unchanged)."""
    order = new_order("refunded", (78, "25.00"))
    actions = plan_new(order, refunds=[woo_refund(78, "25.00")], manual=True)
    assert [type(a) for a in actions] == [CreateHikeSale, CreateHikeRefundSale]
    assert actions[0].seen is None
    held = new_order("completed", (78, "5.00"))  # a partial refund is held: no write
    alone = plan_new(held, refunds=[woo_refund(78, "5.00")], manual=True)
    assert [type(a) for a in alone] == [CreateHikeSale, Skip]
    assert alone[0].seen == woo_fingerprint(held)
