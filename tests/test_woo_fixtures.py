"""Every order, refund and error body in the shared fixtures parses and round-trips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core import PayloadError, parse_woo_order, parse_woo_refund
from hikewoo_core.woo import (
    WooStatus,
    dump_woo_order,
    dump_woo_refund,
    parse_woo_error,
    parse_woo_orders,
    parse_woo_refunds,
)

from ._shared import DOCS_EXAMPLES, REAL, load, requires_shared

pytestmark = [requires_shared, pytest.mark.fixtures]


def _kind(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    if "line_items" in obj and "order_key" in obj:
        return "order"
    if "amount" in obj and "refunded_by" in obj:
        return "refund"
    if set(obj) >= {"code", "message"}:
        return "error"
    return None


def _bodies(path: Path) -> Iterator[tuple[str, Any]]:
    data = load(path)
    if path.parent == REAL:
        if not isinstance(data, dict) or "body" not in data:
            return
        data = data["body"]
    stack = [("$", data)]
    while stack:
        where, obj = stack.pop()
        kind = _kind(obj)
        if kind:
            yield f"{path.name}:{where}:{kind}", obj
            continue
        if isinstance(obj, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(obj))
        elif isinstance(obj, dict):
            stack.extend((f"{where}.{k}", v) for k, v in obj.items() if k != "_links")


def _collect() -> list[tuple[str, Any]]:
    if not REAL.is_dir():
        return []
    found: list[tuple[str, Any]] = []
    for folder in (DOCS_EXAMPLES, REAL):
        for path in sorted(folder.glob("*.json")):
            found.extend(_bodies(path))
    return found


BODIES = _collect()
ORDERS = [(n, b) for n, b in BODIES if n.endswith(":order")]
REFUNDS = [(n, b) for n, b in BODIES if n.endswith(":refund")]
ERRORS = [(n, b) for n, b in BODIES if n.endswith(":error")]


def test_fixture_census() -> None:
    """The fixtures hold what we expect, so a silent glob failure cannot pass."""
    assert len(ORDERS) >= 230
    assert len(REFUNDS) >= 6
    assert len(ERRORS) >= 8


@pytest.mark.parametrize(("name", "body"), ORDERS, ids=[n for n, _ in ORDERS])
def test_order_parses_and_round_trips(name: str, body: dict[str, Any]) -> None:
    order = parse_woo_order(body)
    assert order.id == body["id"]
    assert order.status == body["status"]
    assert order.total == Decimal(body["total"])
    assert order.date_modified_gmt.tzinfo is timezone.utc
    assert len(order.line_items) == len(body["line_items"])
    assert parse_woo_order(dump_woo_order(order)) == order


@pytest.mark.parametrize(("name", "body"), REFUNDS, ids=[n for n, _ in REFUNDS])
def test_refund_parses_and_round_trips(name: str, body: dict[str, Any]) -> None:
    refund = parse_woo_refund(body)
    assert refund.amount == Decimal(body["amount"])
    assert refund.amount >= 0
    assert parse_woo_refund(dump_woo_refund(refund)) == refund


@pytest.mark.parametrize(("name", "body"), ERRORS, ids=[n for n, _ in ERRORS])
def test_error_body_parses(name: str, body: dict[str, Any]) -> None:
    error = parse_woo_error(body)
    assert error.code == body["code"]
    assert isinstance(error.data, (dict, int, type(None)))


@requires_shared
def test_real_store_quirks() -> None:
    """Traps the live 10.0.2 store showed: price as a number, image id as ``""``."""
    order = parse_woo_order(load(REAL / "order_get.json")["body"])
    sticker = order.line_items[1]
    assert sticker.price == Decimal("3.5")
    assert sticker.image is not None
    assert sticker.image.id is None
    assert order.status is WooStatus.PROCESSING
    assert order.date_paid == "2026-11-27T02:08:10"  # site-local, kept as given


def test_refund_summary_is_negative_and_amount_positive() -> None:
    order = parse_woo_order(load(REAL / "order_get_after_partial_refund.json")["body"])
    assert order.refunds[0].total == Decimal("-5.00")
    assert order.total_refunded == Decimal("5.00")


def test_refund_line_items_name_the_order_line() -> None:
    refunds = parse_woo_refunds(load(DOCS_EXAMPLES / "order_refunds_list_response.json"))
    with_lines = [r for r in refunds if r.line_items]
    assert list(with_lines[0].refunded_quantities()) == [(311, 1)]


def test_error_data_may_be_a_bare_integer() -> None:
    body = load(REAL / "order_refund_too_much_error.json")["body"]
    assert parse_woo_error(body).data == 500


def test_full_list_pages_parse_from_bytes() -> None:
    raw = (REAL / "orders_list_per_page100_page1.json").read_bytes()
    import json

    page = json.dumps(json.loads(raw)["body"]).encode()
    orders = parse_woo_orders(page)
    assert len(orders) == 100


def test_list_reports_problems_for_every_item() -> None:
    body = load(REAL / "orders_list_per_page100_page4_last.json")["body"]
    body[0]["total"] = "abc"
    body[2]["line_items"][0]["quantity"] = 1.5
    with pytest.raises(PayloadError) as info:
        parse_woo_orders(body)
    assert info.value.paths == ("$[0].total", "$[2].line_items[0].quantity")
