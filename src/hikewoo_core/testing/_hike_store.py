"""The state and rules behind :class:`FakeHike`: registers, stock, sales, refunds (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

import attrs

from .._errors import ApiError, ReconciliationError, RuleViolation
from .._money import ZERO, parse_money
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
    draft_fields,
)
from ._clock import Clock
from ._faults import PortRecorder, Stamper

__all__ = ["HikeStore", "look_up", "money", "not_found"]

K = TypeVar("K")
V = TypeVar("V")

VOIDED = FulfilmentStatus.VOIDED
_FINAL = frozenset({FulfilmentStatus.VOIDED, FulfilmentStatus.REFUNDED})
_REFUNDABLE = frozenset({FulfilmentStatus.COMPLETED, FulfilmentStatus.ON_ACCOUNT})


def not_found(what: str, key: object) -> ApiError:
    """What the Hike client raises for an unknown record (HTTP 404)."""
    return ApiError(404, "http_404", f"There is no {what} {key!r}.", {"status": 404})


def look_up(records: Mapping[K, V], key: K, what: str) -> V:
    """The record under ``key``; an unknown one is :func:`not_found`."""
    record = records.get(key)
    if record is None:
        raise not_found(what, key)
    return record


def money(value: Decimal | str | int, what: str) -> Decimal:
    """An amount given as ``Decimal``, ``str`` or ``int``; ``float`` is refused."""
    if isinstance(value, (float, bool)):
        raise TypeError(f"{what}: use Decimal or str for money, not {type(value).__name__}")
    try:
        return parse_money(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


class HikeStore(PortRecorder):
    """Outlets, registers, products, customers and sales; see :class:`FakeHike`."""

    def __init__(self, *, clock: Clock | None, outlet_name: str, currency: str) -> None:
        super().__init__()
        self._stamper = Stamper(clock)
        #: The store currency, used when a draft names none.
        self.currency = currency
        self._outlets = {1: HikeOutlet(id=1, name=outlet_name)}
        self._registers = {1: HikeRegister(id=1, outlet_id=1, name="Main register")}
        self._closures: dict[int, HikeRegisterClosure] = {}
        self._open: dict[int, int] = {}
        self._products: dict[str, HikeProduct] = {}
        self._customers: dict[int, HikeCustomer] = {}
        # Normalised email -> id of the first customer with it: lookups stay O(1) over
        # a backfill of many orders (a scan per order made backfills quadratic).
        self._customer_ids: dict[str, int] = {}
        self._sales: dict[int, HikeSale] = {}
        self._seq = {"sale": 1, "closure": 1, "product": 1, "customer": 1, "register": 2}
        self._invoice = 1001
        self._open_register(1)

    def _next(self, name: str) -> int:
        value = self._seq[name]
        self._seq[name] = value + 1
        return value

    def _sale(self, sale_id: int) -> HikeSale:
        return look_up(self._sales, sale_id, "sale")

    def _register(self, register_id: int) -> HikeRegister:
        return look_up(self._registers, register_id, "register")

    def _closure(self, closure_id: int) -> HikeRegisterClosure:
        return look_up(self._closures, closure_id, "register closure")

    # -------------------------------------------------------------- registers
    def _open_register(self, register_id: int) -> HikeRegisterClosure:
        self._register(register_id)
        if register_id in self._open:
            raise RuleViolation(
                f"register {register_id} is already open (closure {self._open[register_id]})"
            )
        closure = HikeRegisterClosure(
            id=self._next("closure"), register_id=register_id, opened_at=self._stamper.now()
        )
        self._closures[closure.id] = closure
        self._open[register_id] = closure.id
        return closure

    def _close_register(self, register_id: int) -> HikeRegisterClosure:
        self._register(register_id)
        closure_id = self._open.pop(register_id, None)
        if closure_id is None:
            raise RuleViolation(f"register {register_id} is not open")
        closure = attrs.evolve(self._closures[closure_id], closed_at=self._stamper.now())
        self._closures[closure_id] = closure
        return closure

    # ------------------------------------------------------------ inventory
    def _move_stock(self, lines: Iterable[HikeSaleLine], sign: int) -> None:
        """Add ``sign * quantity`` of each line to its product's stock (known SKUs only)."""
        for line in lines:
            product = self._products.get(line.sku) if line.sku else None
            if product is not None:
                self._products[line.sku] = attrs.evolve(
                    product, stock=product.stock + sign * line.quantity
                )

    # ---------------------------------------------------------------- sales
    def _refunds_of(self, sale_id: int) -> list[HikeSale]:
        return [
            s
            for s in self._sales.values()
            if s.refund_of == sale_id and s.fulfilment_status is not FulfilmentStatus.VOIDED
        ]

    def _check_refund(self, draft: HikeSaleDraft, refund_of: int) -> None:
        original = self._sales.get(refund_of)
        if original is None:
            raise RuleViolation(f"the refund sale refers to sale {refund_of}, which does not exist")
        ref = original.number
        if original.refund_of is not None:
            raise RuleViolation(f"sale {ref} is itself a refund sale; refund the original sale")
        if draft.total > 0:
            raise RuleViolation(f"a refund sale carries a negative total, got {draft.total}")
        refunds = self._refunds_of(original.id)
        refunded = sum((-s.total for s in refunds), ZERO) - draft.total
        if refunded > original.total:
            raise ReconciliationError(
                f"refunds of sale {ref} would total {refunded}, "
                f"more than its total {original.total}"
            )
        sold: Counter[str] = Counter()
        for line in original.lines:
            sold[line.sku] += line.quantity
        back: Counter[str] = Counter()
        for line in [*(li for s in refunds for li in s.lines), *draft.lines]:
            back[line.sku] -= line.quantity
        for sku, units in back.items():
            if sku in sold and units > sold[sku]:
                raise ReconciliationError(
                    f"refunds of sale {ref} would return {units} unit(s) of {sku!r}; "
                    f"{sold[sku]} were sold"
                )

    def _customer_for(self, customer: HikeCustomer) -> HikeCustomer:
        email = customer.email.strip().lower()
        known = self._customer_ids.get(email) if email else None
        if known is not None:
            return self._customers[known]
        stored = attrs.evolve(customer, id=self._next("customer"))
        self._customers[stored.id or 0] = stored
        self._customer_ids.setdefault(email, stored.id or 0)
        return stored

    def _customer_by_email(self, email: str) -> HikeCustomer | None:
        """The first customer whose email equals ``email`` (normalised), if any."""
        known = self._customer_ids.get(email.strip().lower())
        return None if known is None else self._customers[known]

    def _create_sale(self, draft: HikeSaleDraft) -> HikeSale:
        if draft.outlet_id not in self._outlets:
            raise not_found("outlet", draft.outlet_id)
        register_id = draft.register_id
        if register_id is None:
            mine = sorted(r.id for r in self._registers.values() if r.outlet_id == draft.outlet_id)
            if not mine:
                raise RuleViolation(f"outlet {draft.outlet_id} has no register to take the sale")
            register_id = mine[0]
        register = self._register(register_id)
        if register.outlet_id != draft.outlet_id:
            raise RuleViolation(
                f"register {register_id} belongs to outlet {register.outlet_id}, "
                f"not outlet {draft.outlet_id}"
            )
        closure_id = self._open.get(register_id)
        if closure_id is None:
            raise RuleViolation(
                f"register {register_id} is closed: Hike cannot take a sale on a closed "
                "register (open it first)"
            )
        if draft.refund_of is not None:
            self._check_refund(draft, draft.refund_of)
        customer = self._customer_for(draft.customer) if draft.customer is not None else None
        stamp = self._stamper.next()
        lines = tuple(
            attrs.evolve(li, product_id=self._products[li.sku].id)
            if li.product_id is None and li.sku in self._products
            else li
            for li in draft.lines
        )
        # Every field of the draft, then what the store decides or assigns: a field added
        # to the models reaches the fake's sales without a line here.
        sale = HikeSale(
            **{
                **draft_fields(draft),
                "register_id": register_id,
                "currency": draft.currency or self.currency,
                "transaction_date": draft.transaction_date or stamp,
                "customer": customer,
                "lines": lines,
            },
            id=self._next("sale"),
            number=f"INV-{self._invoice}",
            register_closure_id=closure_id,
            modified_at=stamp,
            customer_id=None if customer is None else customer.id,
        )
        self._invoice += 1
        if not draft.do_not_update_inventory and draft.fulfilment_status is not VOIDED:
            self._move_stock(lines, -1)  # a sale created voided holds no stock
        self._sales[sale.id] = sale
        return sale

    def _set_status(
        self,
        sale_id: int,
        fulfilment: FulfilmentStatus,
        payment: PaymentStatus,
        payments: Sequence[HikePayment] | None,
    ) -> HikeSale:
        sale = self._sale(sale_id)
        current = sale.fulfilment_status
        if current in _FINAL and fulfilment is not current:
            raise RuleViolation(f"sale {sale.number} is {current.value}: Hike does not reopen it")
        voiding = fulfilment is FulfilmentStatus.VOIDED and current is not FulfilmentStatus.VOIDED
        if voiding and self._refunds_of(sale_id):
            raise RuleViolation(f"sale {sale.number} has refunds: Hike cannot void it")
        if voiding and not sale.do_not_update_inventory:
            self._move_stock(sale.lines, +1)
        sale = attrs.evolve(
            sale,
            fulfilment_status=fulfilment,
            payment_status=payment,
            payments=sale.payments if payments is None else tuple(payments),
            modified_at=self._stamper.next(),
        )
        self._sales[sale_id] = sale
        return sale

    def _refund_at_pos(
        self,
        sale_id: int,
        amount: Decimal | str | None,
        lines: Sequence[tuple[str, int]] | None,
        payment_type: str,
        register_id: int | None,
    ) -> HikeSale:
        original = self._sale(sale_id)
        if original.refund_of is not None:
            raise RuleViolation(f"sale {original.number} is itself a refund sale")
        if original.fulfilment_status not in _REFUNDABLE:
            raise RuleViolation(
                f"sale {original.number} is {original.fulfilment_status.value}: "
                "only completed sales can be refunded"
            )
        refunds = self._refunds_of(sale_id)
        prices = {li.sku: li for li in reversed(original.lines)}
        value = None if amount is None else money(amount, "amount")
        if lines is None and value is None:
            left: Counter[str] = Counter()
            for li in [*original.lines, *(li for s in refunds for li in s.lines)]:
                left[li.sku] += li.quantity
            lines = []
            for li in original.lines:
                take = min(li.quantity, left[li.sku])
                left[li.sku] -= take
                if take > 0:
                    lines.append((li.sku, take))
            value = original.total + sum((s.total for s in refunds), ZERO)
        refund_lines = []
        for sku, units in lines or ():
            if sku not in prices:
                raise ValueError(f"sale {original.number} has no line with SKU {sku!r}")
            line = prices[sku]
            refund_lines.append(
                attrs.evolve(
                    line, quantity=-units, total=-line.sold_price * units, serial_numbers=()
                )
            )
        if value is None:
            value = -sum((li.total for li in refund_lines), ZERO)
        if value <= 0:
            raise ReconciliationError(f"nothing to refund on sale {original.number}")
        register = self._register(original.register_id or 1 if register_id is None else register_id)
        draft = HikeSaleDraft(
            fulfilment_status=FulfilmentStatus.REFUNDED,
            payment_status=PaymentStatus.REFUNDED,
            total=-value,
            outlet_id=register.outlet_id,
            register_id=register.id,
            currency=original.currency,
            customer=original.customer,
            source=SaleSource.IPAD,
            refund_of=original.id,
            lines=tuple(refund_lines),
            payments=(HikePayment(payment_type_name=payment_type, amount=-value),),
        )
        return self._create_sale(draft)
