"""Typed, immutable models of Hike POS sales, registers, customers and products (pure).

Attribute names are Pythonic; the JSON field each maps to lives in one table,
:mod:`hikewoo_core.hike._schema`, which also marks which names Hike documents and
which are assumed (Hike publishes no sale schema).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import attrs

from .._money import ZERO

__all__ = [
    "FulfilmentStatus",
    "HikeCustomer",
    "HikeOutlet",
    "HikePayment",
    "HikeProduct",
    "HikeRegister",
    "HikeRegisterClosure",
    "HikeSale",
    "HikeSaleDraft",
    "HikeSaleLine",
    "PaymentStatus",
    "SaleSource",
]


class FulfilmentStatus(str, Enum):
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

    def __str__(self) -> str:
        text: str = self._value_  # not .value: a slow descriptor on 3.11
        return text

    @classmethod
    def _missing_(cls, value: object) -> FulfilmentStatus:
        raise ValueError(_not_one_of(value, "a Hike fulfilment status", cls))


class PaymentStatus(str, Enum):
    """Hike's payment ("financial") status. ``.value`` is Hike's name."""

    PENDING = "Pending"
    PARTIALLY_PAID = "PartiallyPaid"
    PAID = "Paid"
    PARTIALLY_REFUNDED = "PartiallyRefunded"
    REFUNDED = "Refunded"
    VOIDED = "Voided"
    CLOSED = "Closed"

    def __str__(self) -> str:
        text: str = self._value_  # not .value: a slow descriptor on 3.11
        return text

    @classmethod
    def _missing_(cls, value: object) -> PaymentStatus:
        raise ValueError(_not_one_of(value, "a Hike payment status", cls))


def _not_one_of(value: object, what: str, cls: type[Enum]) -> str:
    """The message of an enum's refusal, listing what it takes."""
    valid = ", ".join(repr(member.value) for member in cls)
    return f"{value!r} is not {what}; valid: {valid}"


class SaleSource(str, Enum):
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

    def __str__(self) -> str:
        text: str = self._value_  # not .value: a slow descriptor on 3.11
        return text


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
class HikeSale:
    """A Hike sale (invoice), or a refund sale when ``refund_of`` is set.

    ``source`` and ``external_reference`` record where a synced sale came from
    (``SaleSource.WOOCOMMERCE`` and ``"woo:<order id>"``), so it is never echoed back.
    ``do_not_update_inventory`` is Hike's per-sale "do not update inventory" flag.
    """

    id: int
    number: str
    fulfilment_status: FulfilmentStatus
    payment_status: PaymentStatus
    total: Decimal
    outlet_id: int
    register_id: int | None = None
    register_closure_id: int | None = None
    currency: str = ""
    total_tax: Decimal = ZERO
    transaction_date: datetime | None = None
    modified_at: datetime | None = None
    customer_id: int | None = None
    customer: HikeCustomer | None = None
    source: SaleSource = SaleSource.IPAD
    external_reference: str | None = None
    do_not_update_inventory: bool = False
    refund_of: int | None = None
    note: str = ""
    lines: tuple[HikeSaleLine, ...] = ()
    payments: tuple[HikePayment, ...] = ()

    @property
    def total_paid(self) -> Decimal:
        """The sum of the payments on the sale."""
        return sum((p.amount for p in self.payments), ZERO)


@attrs.frozen(kw_only=True)
class HikeSaleDraft:
    """A sale to create in Hike: a :class:`HikeSale` before Hike assigns its id and number.

    Refund sales (``refund_of`` set) carry negative quantities, totals and payments.
    """

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
