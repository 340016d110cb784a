"""An in-memory Hike store with Hike's register, stock, refund and serial rules (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .._datetimes import to_utc
from .._errors import RuleViolation
from .._mapping import HikeStatus
from .._money import ZERO
from .._serials import check_serial_entry
from ..hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikeOutlet,
    HikePayment,
    HikeProduct,
    HikeRegister,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from ..hike._requests import reference_windows
from ._clock import Clock
from ._faults import locked
from ._hike_store import HikeStore, look_up, money, not_found

__all__ = ["DEFAULT_REFERENCE_LOOKBACK", "DEFAULT_SALES_LOOKBACK", "FakeHike"]

#: The :class:`~hikewoo_core.hike.HikeClient` defaults the fake's windows follow.
DEFAULT_SALES_LOOKBACK = timedelta(days=7)
DEFAULT_REFERENCE_LOOKBACK = timedelta(days=2)

_NOT_RECORDABLE = frozenset(
    {FulfilmentStatus.REFUNDED, FulfilmentStatus.VOIDED, FulfilmentStatus.EXCHANGE}
)
_REFUNDABLE = frozenset({FulfilmentStatus.COMPLETED, FulfilmentStatus.ON_ACCOUNT})


class FakeHike(HikeStore):
    """A Hike store in memory that implements :class:`~hikewoo_core.HikePort`.

    It starts with outlet 1 and register 1, the register **open**. Its rules:
    a sale needs an open register and is stamped with that register's current
    closure; sales deduct stock for known SKUs unless ``do_not_update_inventory`` or
    created voided (a voided sale holds no stock; refund sales, with negative
    quantities, restock; voiding restocks); a refund
    sale must refer to an existing sale and refunds never exceed its total nor
    its units; voided and refunded sales are never reopened; serial numbers follow
    :func:`hikewoo_core.check_serial_entry` (locked once the register that
    took the sale is closed). ``modified_at`` is the clock's time in whole seconds
    (changes within one second share it).

    Errors: unknown ids and SKUs raise :class:`~hikewoo_core.ApiError` (404), as
    the HTTP client does; refused operations raise
    :class:`~hikewoo_core.RuleViolation` (or its subclasses
    :class:`~hikewoo_core.ReconciliationError`, :class:`~hikewoo_core.SerialNumberError`);
    misused helpers raise :class:`ValueError` (duplicate SKU) or :class:`TypeError`
    (a ``float`` amount: money is ``Decimal`` or ``str``).

    Listing windows: Hike's API lists sales by *transaction date* only (no filter on
    the modification time, none on the external reference), and
    :class:`~hikewoo_core.hike.HikeClient` works within that: it lists from
    ``modified_after - sales_lookback`` to ``modified_before`` and filters on the
    modification time, and looks a reference up in the last ``reference_lookback``
    (and a day either side of ``around``). The fake's port methods answer exactly what
    the client would get, so a sale outside those windows is not found here either
    (a lay-by paid off ten days later, a sale created for a 60-day-old order).
    ``listing_windows=False`` lifts them (every sale is listed; not what Hike does).

    POS-side helpers (``record_sale``, ``refund_sale``, ``void_sale``, registers,
    products, customers) act like a cashier; they are neither logged in
    :attr:`calls` nor subject to :meth:`fail_next`. The port methods are.
    """

    PORT_METHODS = frozenset(
        {
            "read_sale",
            "read_sales",
            "find_sales_by_reference",
            "write_sale",
            "write_sale_status",
            "find_customer",
            "find_product",
            "read_register_closure",
            "write_serial_numbers",
        }
    )

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        outlet_name: str = "Main outlet",
        currency: str = "USD",
        listing_windows: bool = True,
        sales_lookback: timedelta = DEFAULT_SALES_LOOKBACK,
        reference_lookback: timedelta = DEFAULT_REFERENCE_LOOKBACK,
    ) -> None:
        """Create a store with one outlet and one open register (id 1 each).

        ``sales_lookback`` and ``reference_lookback`` are the listing windows of the
        client the fake stands in for (the :class:`~hikewoo_core.hike.HikeClient`
        defaults); ``listing_windows=False`` lifts them.
        """
        super().__init__(clock=clock, outlet_name=outlet_name, currency=currency)
        self.listing_windows = listing_windows
        self.sales_lookback = sales_lookback
        self.reference_lookback = reference_lookback

    # ---------------------------------------------------------- inspection
    @locked
    def sales(self) -> list[HikeSale]:
        """Every sale, refund sales included, by id."""
        self.commit_due()
        return [self._sales[k] for k in sorted(self._sales)]

    @locked
    def sale(self, sale_id: int) -> HikeSale:
        """One sale; unknown id: ``ApiError(404)``."""
        self.commit_due()
        return self._sale(sale_id)

    # ------------------------------------------------------------ registers
    @locked
    def open_register(self, register_id: int) -> HikeRegisterClosure:
        """Open a register: a new closure starts. Already open: :class:`RuleViolation`."""
        return self._open_register(register_id)

    @locked
    def close_register(self, register_id: int) -> HikeRegisterClosure:
        """Close a register (irreversible): its closure gets ``closed_at`` and locks serials."""
        return self._close_register(register_id)

    @locked
    def add_register(self, name: str, outlet_id: int = 1) -> HikeRegister:
        """Add a register to an outlet. It starts **closed**: call :meth:`open_register`."""
        if outlet_id not in self._outlets:
            raise not_found("outlet", outlet_id)
        register = HikeRegister(id=self._next("register"), outlet_id=outlet_id, name=name)
        self._registers[register.id] = register
        return register

    @locked
    def current_closure(self, register_id: int) -> HikeRegisterClosure | None:
        """The open closure of a register, or ``None`` when it is closed."""
        self._register(register_id)
        closure_id = self._open.get(register_id)
        return None if closure_id is None else self._closures[closure_id]

    # ------------------------------------------------- products, customers
    @locked
    def add_product(
        self,
        sku: str,
        name: str = "",
        *,
        type: str = "simple",
        serial_number_enabled: bool = False,
        stock: int = 0,
    ) -> HikeProduct:
        """Add a product; an empty or already used SKU raises :class:`ValueError`."""
        if not sku:
            raise ValueError("a product needs a SKU")
        if sku in self._products:
            raise ValueError(f"SKU {sku!r} is already used by product {self._products[sku].id}")
        product = HikeProduct(
            id=self._next("product"),
            sku=sku,
            name=name,
            type=type,
            serial_number_enabled=serial_number_enabled,
            stock=stock,
        )
        self._products[sku] = product
        return product

    @locked
    def product(self, sku: str) -> HikeProduct:
        """The product with this SKU; unknown SKU: ``ApiError(404)`` (never ``KeyError``)."""
        return look_up(self._products, sku, "product with SKU")

    @locked
    def stock(self, sku: str) -> int:
        """Units on hand of a product (may go negative, as in Hike)."""
        return self.product(sku).stock

    @locked
    def add_customer(self, first_name: str, last_name: str, email: str) -> HikeCustomer:
        """Add a customer; an email already used (any case) raises :class:`ValueError`."""
        if self._customer_by_email(email) is not None:
            raise ValueError(f"a customer with email {email!r} already exists")
        return self._customer_for(
            HikeCustomer(first_name=first_name, last_name=last_name, email=email)
        )

    @locked
    def customers(self) -> list[HikeCustomer]:
        """Every customer, by id."""
        return [self._customers[k] for k in sorted(self._customers)]

    @locked
    def outlets(self) -> list[HikeOutlet]:
        """Every outlet, by id."""
        return [self._outlets[k] for k in sorted(self._outlets)]

    @locked
    def products(self) -> list[HikeProduct]:
        """Every product, by id."""
        return sorted(self._products.values(), key=lambda p: p.id)

    @locked
    def register_closures(self) -> list[HikeRegisterClosure]:
        """Every register closure (each opening of a register), by id."""
        return [self._closures[k] for k in sorted(self._closures)]

    def serve(self, **options: Any) -> AbstractContextManager[str]:
        """Serve this fake over real HTTP on 127.0.0.1; yields the API base URL.

        A context manager: ``with FakeHike().serve(access_token="t") as base_url:``.
        Options are those of :func:`hikewoo_core.testing.serve_hike` (OAuth2 client id
        and secret, token lifetime, injected faults).
        """
        from ._hike_server import serve_hike

        return serve_hike(self, **options)

    # --------------------------------------------------------- cashier side
    @locked
    def record_sale(
        self,
        lines: Sequence[tuple[str, int, Decimal | str]],
        payments: Sequence[tuple[str, Decimal | str]] = (),
        *,
        status: FulfilmentStatus = FulfilmentStatus.COMPLETED,
        register_id: int = 1,
        customer: HikeCustomer | None = None,
    ) -> HikeSale:
        """Ring up a sale at the POS (source iPad): ``lines`` are ``(sku, quantity, unit price)``.

        ``payments`` are ``(payment type name, amount)``; the payment status follows:
        Paid when they cover the total, PartiallyPaid when some, Pending when none.
        ``status`` may be Completed, Parked, LayBy, OnAccount... (not Refunded,
        Voided or Exchange: use :meth:`refund_sale` / :meth:`void_sale`). Unknown
        SKUs are sold without stock tracking.
        """
        if status in _NOT_RECORDABLE:
            raise ValueError(f"record_sale cannot record a {status.value} sale")
        register = self._register(register_id)
        now = self._stamper.now()
        sale_lines = []
        for sku, quantity, price in lines:
            unit = money(price, f"price of {sku!r}")
            known = self._products.get(sku)
            sale_lines.append(
                HikeSaleLine(
                    quantity=quantity,
                    sold_price=unit,
                    sku=sku,
                    title=known.name if known else "",
                    total=unit * quantity,
                )
            )
        tenders = tuple(
            HikePayment(payment_type_name=name, amount=money(amount, name), paid_at=now)
            for name, amount in payments
        )
        total = sum((li.total for li in sale_lines), ZERO)
        paid = sum((p.amount for p in tenders), ZERO)
        payment_status = (
            PaymentStatus.PENDING
            if not tenders
            else PaymentStatus.PAID
            if paid >= total
            else PaymentStatus.PARTIALLY_PAID
        )
        draft = HikeSaleDraft(
            fulfilment_status=status,
            payment_status=payment_status,
            total=total,
            outlet_id=register.outlet_id,
            register_id=register_id,
            transaction_date=now,
            customer=customer,
            source=SaleSource.IPAD,
            lines=tuple(sale_lines),
            payments=tenders,
        )
        return self._create_sale(draft)

    @locked
    def void_sale(self, sale_id: int) -> HikeSale:
        """Void a sale at the POS (Voided/Voided), restocking it. Voided or refunded: refused."""
        sale = self._sale(sale_id)
        if sale.fulfilment_status in (FulfilmentStatus.VOIDED, FulfilmentStatus.REFUNDED):
            raise RuleViolation(f"sale {sale.number} is {sale.fulfilment_status.value}")
        return self._set_status(sale_id, FulfilmentStatus.VOIDED, PaymentStatus.VOIDED, None)

    @locked
    def refund_sale(
        self,
        sale_id: int,
        amount: Decimal | str | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        payment_type: str = "Cash",
        *,
        register_id: int | None = None,
    ) -> HikeSale:
        """Refund a completed sale at the POS: a new refund sale, negative, source iPad.

        ``lines`` are ``(sku, units)`` refunded at the original price. With neither
        ``amount`` nor ``lines`` everything not yet refunded is refunded. The refund
        is paid out with ``payment_type`` on ``register_id`` (default: the register
        of the original sale, which must be open). Stock is returned.
        """
        return self._refund_at_pos(sale_id, amount, lines, payment_type, register_id)

    # ------------------------------------------------------------- HikePort
    def read_sale(self, sale_id: int) -> HikeSale:
        """The sale as it is now; unknown id: ``ApiError(404)``."""
        return self._run("read_sale", (sale_id,), lambda: self._sale(sale_id))

    def read_sales(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
    ) -> Iterator[HikeSale]:
        """Sales and refund sales modified in ``[modified_after, modified_before)``, as the
        client lists them: by transaction date from ``modified_after - sales_lookback``
        (so a sale whose transaction is older is missing, as over HTTP), then filtered on
        ``modified_at``; by ``modified_at``, then id.

        A lazy iterator over a snapshot taken when called; bounds must be aware.
        """

        # Checked before the call is logged, as a client refuses it before sending.
        lo = None if modified_after is None else to_utc(modified_after, "modified_after")
        hi = None if modified_before is None else to_utc(modified_before, "modified_before")

        def snapshot() -> Iterator[HikeSale]:
            since = lo - self.sales_lookback if lo is not None and self.listing_windows else None
            found = [
                s
                for s in self._sales.values()
                if s.modified_at is not None
                and (lo is None or s.modified_at >= lo)
                and (hi is None or s.modified_at < hi)
                and _listed(s, since, hi if self.listing_windows else None)
            ]
            found.sort(key=lambda s: (s.modified_at, s.id))
            return iter(found)

        return self._run("read_sales", (modified_after, modified_before), snapshot)

    def find_sales_by_reference(
        self, external_reference: str, *, around: datetime | None = None
    ) -> list[HikeSale]:
        """Sales whose ``external_reference`` equals this one, by id, within the client's
        windows: transaction dates in the last ``reference_lookback`` (to a day ahead)
        and a day either side of ``around``."""

        # Checked before the call is logged, as a client refuses it before sending.
        hint = None if around is None else to_utc(around, "around")

        def find() -> list[HikeSale]:
            now = self._stamper.now()
            windows = reference_windows(now, self.reference_lookback, hint)
            return [
                s
                for s in self.sales()
                if s.external_reference == external_reference
                and (
                    not self.listing_windows
                    or any(_listed(s, start, end) for start, end in windows)
                )
            ]

        return self._run("find_sales_by_reference", (external_reference, around), find)

    def write_sale(self, draft: HikeSaleDraft) -> HikeSale:
        """Create a sale or refund sale with Hike's rules; returns it with id and ``INV-`` number.

        The register (``draft.register_id``, default the outlet's first) must be open;
        the customer is matched by email (any case) or created; stock moves unless
        ``do_not_update_inventory``; refunds may not exceed the original's total or units.
        """
        return self._run("write_sale", (draft,), lambda: self._create_sale(draft))

    def write_sale_status(
        self, sale_id: int, status: HikeStatus, payments: Sequence[HikePayment] | None = None
    ) -> HikeSale:
        """Set a sale's statuses (and replace its payments when given).

        Voided and refunded sales are never reopened; voiding restocks, and a sale
        with refunds cannot be voided.
        """
        return self._run(
            "write_sale_status",
            (sale_id, status),
            lambda: self._set_status(sale_id, status.fulfilment, status.payment, payments),
        )

    def find_customer(self, email: str) -> HikeCustomer | None:
        """The customer with this email (compared case-insensitively), if any."""

        def find() -> HikeCustomer | None:
            return self._customer_by_email(email) if email.strip() else None

        return self._run("find_customer", (email,), find)

    def find_product(self, sku: str) -> HikeProduct | None:
        """The product with this SKU, if any."""
        return self._run("find_product", (sku,), lambda: self._products.get(sku))

    def read_register_closure(self, closure_id: int) -> HikeRegisterClosure:
        """One opening of a register (open while ``closed_at`` is ``None``)."""
        return self._run("read_register_closure", (closure_id,), lambda: self._closure(closure_id))

    def write_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        """Enter or replace the serial numbers of one line, under Hike's rule.

        See :func:`hikewoo_core.check_serial_entry`: a serial-number-enabled
        product, a Completed sale from WooCommerce, the register that took it still
        open, no more serials than units, no duplicates. Else
        :class:`~hikewoo_core.SerialNumberError`.
        """
        serials = tuple(serial_numbers)

        def write() -> HikeSale:
            sale = self._sale(sale_id)
            taken_in = sale.register_closure_id
            closure = None if taken_in is None else self._closures.get(taken_in)
            in_range = 0 <= line_index < len(sale.lines)
            product = self._products.get(sale.lines[line_index].sku) if in_range else None
            check_serial_entry(sale, line_index, serials, product=product, closure=closure)
            lines = list(sale.lines)
            lines[line_index] = attrs.evolve(lines[line_index], serial_numbers=serials)
            sale = attrs.evolve(sale, lines=tuple(lines), modified_at=self._stamper.next())
            self._sales[sale_id] = sale
            return sale

        return self._run("write_serial_numbers", (sale_id, line_index, serials), write)


def _listed(sale: HikeSale, since: datetime | None, until: datetime | None) -> bool:
    """Whether Hike lists ``sale`` for a transaction-date window (both ends inclusive,
    as the served fake and the API filter; a sale without a date is listed)."""
    when = sale.transaction_date or sale.modified_at
    return when is None or ((since is None or when >= since) and (until is None or when <= until))
