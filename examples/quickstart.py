"""Quickstart: load the shipped example orders and print them as a readable table.

Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

from pathlib import Path

from hikewoo_core.money import format_money
from hikewoo_core.woo import parse_woo_orders

DATA = Path(__file__).with_name("data") / "orders.json"


def main() -> None:
    """Parse every example order and print number, status, lines, totals and refunds."""
    orders = parse_woo_orders(DATA.read_bytes())
    header = f"{'order':>6}  {'status':<11} {'lines':<40} {'total':>12}  refunds"
    print(header)
    print("-" * len(header))
    for order in orders:
        cur = order.currency
        lines = ", ".join(f"{li.quantity}x {li.sku or li.name}" for li in order.line_items)
        refunds = ", ".join(f"#{r.id} {format_money(r.amount, cur)}" for r in order.refunds) or "-"
        total = f"{format_money(order.total, cur)} {cur}"
        print(f"{order.number:>6}  {order.status!s:<11} {lines[:40]:<40} {total:>12}  {refunds}")


if __name__ == "__main__":
    main()
