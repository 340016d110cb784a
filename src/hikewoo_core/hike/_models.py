"""Typed, immutable models of Hike POS sales, registers, customers and products (pure).

Attribute names are Pythonic; the JSON field each maps to lives in one table,
:mod:`hikewoo_core.hike._schema`, which also marks which names Hike documents and
which are assumed (Hike publishes no sale schema).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from .._enums import TextEnum
from .._money import ZERO


class _Status(TextEnum):
    """A Hike status: refusing a value it does not know lists those it does."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        words = re.findall(r"[A-Z][a-z]*", cls.__name__)  # PaymentStatus: "payment status"
        valid = ", ".join(repr(member.value) for member in cls)
        raise ValueError(f"{value!r} is not a Hike {' '.join(words).lower()}; valid: {valid}")


class FulfilmentStatus(_Status):
    """Hike's fulfilment ("invoice") status. ``.value`` is Hike's name.

    The numbers Hike's own app uses are in :data:`hikewoo_core.hike._schema.FULFILMENT_CODES`.
    """

    PENDING = "Pending"
    PARKED = "Parked"
    COMPLETED = "Completed"
    REFUNDED = "Refunded"
    VOIDED = "Voided"
    LAYBY = "LayBy"
    BACK_ORDER = "BackOrder"
    ON_ACCOUNT = "OnAccount"
    EXCHANGE = "Exchange"
    QUOTE = "Quote"


class PaymentStatus(_Status):
    """Hike's payment ("financial") status. ``.value`` is Hike's name."""

    PENDING = "Pending"
    PARTIALLY_PAID = "PartiallyPaid"
    PAID = "Paid"
    PARTIALLY_REFUNDED = "PartiallyRefunded"
    REFUNDED = "Refunded"
    VOIDED = "Voided"
    CLOSED = "Closed"


class SaleSource(TextEnum):
    """Where a Hike sale came from (Hike's ``InvoiceFrom``)."""

    HIKE_ECOMMERCE = "HikeEcommerce"
    IPAD = "iPad"
    WEB = "Web"
    WOOCOMMERCE = "Woo"
    BIGCOMMERCE = "BigCommerce"
    SHOPIFY = "Shopify"
    ANDROID = "Android"
    IMPORT = "Import"
    OTHER = "Other"


@attrs.frozen(kw_only=True)
class HikePayment:
    """One tender on a sale: the payment type's name and the amount paid with it."""

    payment_type_name: str
    amount: Decimal
    payment_type_id: int | None = None
    paid_at: datetime | None = None


@attrs.frozen(kw_only=True)
class HikeSaleLine:
    """A line of a Hike sale. ``serial_numbers`` holds one entry per unit at most."""

    quantity: int
    sold_price: Decimal
    product_id: int | None = None
    sku: str = ""
    title: str = ""
    total: Decimal = ZERO
    tax_amount: Decimal = ZERO
    serial_numbers: tuple[str, ...] = ()
    external_line_id: str | None = None


@attrs.frozen(kw_only=True)
class HikeCustomer:
    """A Hike customer. Hike needs first and last name; WooCommerce needs an email."""

    first_name: str
    last_name: str
    email: str
    id: int | None = None


@attrs.frozen(kw_only=True)
class _SaleFields:
    """The fields of a sale that exist before Hike assigns its id: those of a
    :class:`HikeSaleDraft`, and so of every :class:`HikeSale`. Written once here, so the
    two cannot drift (and their JSON names come from one entry of the schema table)."""

    fulfilment_status: FulfilmentStatus
    payment_status: PaymentStatus
    total: Decimal
    outlet_id: int
    register_id: int | None = None
    currency: str = ""
    total_tax: Decimal = ZERO
    transaction_date: datetime | None = None
    customer: HikeCustomer | None = None
    source: SaleSource = SaleSource.WOOCOMMERCE
    external_reference: str | None = None
    do_not_update_inventory: bool = False
    refund_of: int | None = None
    note: str = ""
    lines: tuple[HikeSaleLine, ...] = ()
    payments: tuple[HikePayment, ...] = ()


@attrs.frozen(kw_only=True)
class HikeSale(_SaleFields):
    """A Hike sale (invoice), or a refund sale when ``refund_of`` is set.

    ``source`` and ``external_reference`` record where a synced sale came from
    (``SaleSource.WOOCOMMERCE`` and ``"woo:<order id>"``), so it is never echoed back.
    ``do_not_update_inventory`` is Hike's per-sale "do not update inventory" flag.
    Besides a draft's fields, a sale has those Hike assigns: ``id``, ``number``, the
    register closure that took it, ``modified_at`` and ``customer_id``.
    """

    id: int
    number: str
    register_closure_id: int | None = None
    modified_at: datetime | None = None
    customer_id: int | None = None
    source: SaleSource = SaleSource.IPAD

    @property
    def total_paid(self) -> Decimal:
        """The sum of the payments on the sale."""
        return sum((p.amount for p in self.payments), ZERO)


@attrs.frozen(kw_only=True)
class HikeSaleDraft(_SaleFields):
    """A sale to create in Hike: a :class:`HikeSale` before Hike assigns its id and number.

    It has exactly the fields of a sale less those Hike assigns. Refund sales
    (``refund_of`` set) carry negative quantities, totals and payments.
    """


def draft_fields(draft: HikeSaleDraft) -> dict[str, Any]:
    """The fields of ``draft`` by name, to build the :class:`HikeSale` it becomes (as a
    store does: ``HikeSale(**draft_fields(draft), id=..., number=...)``)."""
    return {field.name: getattr(draft, field.name) for field in attrs.fields(_SaleFields)}


@attrs.frozen(kw_only=True)
class HikeOutlet:
    """A Hike outlet (shop)."""

    id: int
    name: str = ""


@attrs.frozen(kw_only=True)
class HikeRegister:
    """A cash register of an outlet."""

    id: int
    outlet_id: int
    name: str = ""


@attrs.frozen(kw_only=True)
class HikeRegisterClosure:
    """One opening of a register, from open to close. Open while ``closed_at`` is ``None``."""

    id: int
    register_id: int
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether the register is still open in this closure."""
        return self.closed_at is None


@attrs.frozen(kw_only=True)
class HikeProduct:
    """A Hike product: type (simple, variant, composite...), serial flag and stock on hand."""

    id: int
    sku: str
    name: str = ""
    type: str = "simple"
    serial_number_enabled: bool = False
    stock: int = 0
