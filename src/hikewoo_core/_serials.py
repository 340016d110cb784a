"""Hike's serial-number rule, as one pure function (no I/O).

From Hike's help centre (``seed/000``): for products flagged *"Serial number enabled
product. Prompt cashier to enter the serial number at checkout."*, a sale that came
**from WooCommerce** and is **Completed** in Hike lets the cashier enter or edit
serial numbers **only while the cash register that received it is still open**. Once
that register is closed, serial numbers are locked. On top of that: no more serial
numbers than units on the line, no blank ones, and no duplicates within the line.

:func:`check_serial_entry` raises :class:`~hikewoo_core.SerialNumberError`;
:func:`serial_entry_allowed` answers ``(allowed, reason)`` for planners and UIs.
:class:`hikewoo_core.testing.FakeHike` enforces the rule through this module.

>>> from datetime import datetime, timezone
>>> from decimal import Decimal
>>> from hikewoo_core.hike._models import (FulfilmentStatus, HikeProduct,
...     HikeRegisterClosure, HikeSale, HikeSaleLine, PaymentStatus, SaleSource)
>>> opened = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)
>>> closure = HikeRegisterClosure(id=7, register_id=1, opened_at=opened)
>>> sale = HikeSale(id=1, number="INV-1001", fulfilment_status=FulfilmentStatus.COMPLETED,
...     payment_status=PaymentStatus.PAID, total=Decimal("20"), outlet_id=1,
...     register_closure_id=7, source=SaleSource.WOOCOMMERCE,
...     lines=(HikeSaleLine(quantity=2, sold_price=Decimal("10"), sku="CAM-1"),))
>>> product = HikeProduct(id=3, sku="CAM-1", serial_number_enabled=True)
>>> serial_entry_allowed(sale, 0, ["SN1", "SN2"], product=product, closure=closure)[0]
True
>>> from attrs import evolve
>>> closed = evolve(closure, closed_at=opened.replace(hour=18))
>>> serial_entry_allowed(sale, 0, ["SN1"], product=product, closure=closed)[1]
'register 1 was closed at 2026-11-27T18:00:00+00:00: serial numbers are locked'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ._errors import SerialNumberError
from .hike._models import (
    FulfilmentStatus,
    HikeProduct,
    HikeRegisterClosure,
    HikeSale,
    SaleSource,
)

__all__ = ["check_serial_entry", "serial_entry_allowed"]


def _problem(
    sale: HikeSale,
    line_index: int,
    serial_numbers: Sequence[str],
    product: HikeProduct | None,
    closure: HikeRegisterClosure | None,
) -> str | None:
    ref = f"sale {sale.number or sale.id}"
    if not 0 <= line_index < len(sale.lines):
        return f"{ref} has no line {line_index} (it has {len(sale.lines)})"
    line = sale.lines[line_index]
    if product is None:
        return (
            f"line {line_index} of {ref} (SKU {line.sku!r}) is not a Hike product: "
            "serial numbers need a serial-number-enabled product"
        )
    if product.sku != line.sku:
        return f"product {product.sku!r} is not the product of line {line_index} ({line.sku!r})"
    if not product.serial_number_enabled:
        return f"product {product.sku!r} is not serial-number enabled"
    if sale.source is not SaleSource.WOOCOMMERCE:
        return (
            f"{ref} came from {sale.source.value}, not WooCommerce: Hike offers serial-number "
            "entry after the sale only for sales synced from WooCommerce"
        )
    if sale.fulfilment_status is not FulfilmentStatus.COMPLETED:
        return f"{ref} is {sale.fulfilment_status.value}, not Completed: serial numbers are locked"
    if closure is None or sale.register_closure_id is None:
        return f"{ref} was not taken on a known register closure: serial numbers are locked"
    if sale.register_closure_id != closure.id:
        return (
            f"register closure {closure.id} did not take {ref} "
            f"(it was taken in closure {sale.register_closure_id})"
        )
    if closure.closed_at is not None:
        return (
            f"register {closure.register_id} was closed at {closure.closed_at.isoformat()}: "
            "serial numbers are locked"
        )
    units = abs(line.quantity)
    if len(serial_numbers) > units:
        return (
            f"{len(serial_numbers)} serial numbers for {units} unit(s) on line {line_index} "
            f"of {ref}: no more serial numbers than units"
        )
    if any(not s.strip() for s in serial_numbers):
        return "serial numbers must not be blank"
    duplicates = sorted(s for s, n in Counter(serial_numbers).items() if n > 1)
    if duplicates:
        return f"duplicate serial number(s) on line {line_index} of {ref}: {', '.join(duplicates)}"
    return None


def serial_entry_allowed(
    sale: HikeSale,
    line_index: int,
    serial_numbers: Sequence[str] = (),
    *,
    product: HikeProduct | None,
    closure: HikeRegisterClosure | None,
) -> tuple[bool, str]:
    """Whether Hike lets the cashier enter ``serial_numbers`` on a line, and why.

    ``product`` is the Hike product of the line (``None`` if Hike has none);
    ``closure`` is the register closure that took the sale
    (``sale.register_closure_id``), as it is now (``None`` when the sale has none:
    locked). With no ``serial_numbers`` the answer is whether entry is possible at all.
    """
    problem = _problem(sale, line_index, serial_numbers, product, closure)
    if problem is not None:
        return False, problem
    register = closure.register_id if closure is not None else sale.register_id
    return True, (
        f"serial numbers can be entered on line {line_index} of sale {sale.number or sale.id} "
        f"while register {register} is open"
    )


def check_serial_entry(
    sale: HikeSale,
    line_index: int,
    serial_numbers: Sequence[str],
    *,
    product: HikeProduct | None,
    closure: HikeRegisterClosure | None,
) -> None:
    """Raise :class:`~hikewoo_core.SerialNumberError` unless Hike allows this entry.

    Same arguments and rule as :func:`serial_entry_allowed`.
    """
    problem = _problem(sale, line_index, serial_numbers, product, closure)
    if problem is not None:
        raise SerialNumberError(problem)
