"""The orders the benchmarks use: the WooCommerce docs example, varied, as JSON bytes.

``docs_example()`` reads the "retrieve an order" example of the WooCommerce REST API
docs from ``shared/fixtures`` when that folder is present, else uses an equivalent
order written here (same fields, same shape). ``order_json(i)`` renders order ``i`` of
a synthetic store: the example with its own id, number, dates and customer, optionally
with ``lines`` line items.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

UTC = timezone.utc
#: Order ``i`` of the synthetic store is created and modified at ``BASE + i`` seconds.
BASE = datetime(2025, 1, 1, tzinfo=UTC)

_FIXTURE_NAMES = (
    "shared",
    "fixtures",
    "woocommerce",
    "docs-examples",
    "order_retrieve_response.json",
)


def _find_fixture() -> Path | None:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.joinpath(*_FIXTURE_NAMES)
        if candidate.is_file():
            return candidate
    return None


_ADDRESS = {
    "first_name": "John",
    "last_name": "Doe",
    "company": "",
    "address_1": "969 Market",
    "address_2": "",
    "city": "San Francisco",
    "state": "CA",
    "postcode": "94103",
    "country": "US",
}

# The docs example, for machines without ``shared/`` (the fixture is used when present).
_EQUIVALENT: dict[str, Any] = {
    "id": 727,
    "parent_id": 0,
    "number": "727",
    "order_key": "wc_order_58d2d042d1d",
    "created_via": "rest-api",
    "version": "3.0.0",
    "status": "processing",
    "currency": "USD",
    "date_created": "2017-03-22T16:28:02",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified": "2017-03-22T16:28:08",
    "date_modified_gmt": "2017-03-22T19:28:08",
    "discount_total": "0.00",
    "discount_tax": "0.00",
    "shipping_total": "10.00",
    "shipping_tax": "0.00",
    "cart_tax": "1.35",
    "total": "29.35",
    "total_tax": "1.35",
    "prices_include_tax": False,
    "customer_id": 0,
    "customer_ip_address": "",
    "customer_user_agent": "",
    "customer_note": "",
    "billing": {**_ADDRESS, "email": "john.doe@example.com", "phone": "(555) 555-5555"},
    "shipping": dict(_ADDRESS),
    "payment_method": "bacs",
    "payment_method_title": "Direct Bank Transfer",
    "transaction_id": "",
    "date_paid": "2017-03-22T16:28:08",
    "date_paid_gmt": "2017-03-22T19:28:08",
    "date_completed": None,
    "date_completed_gmt": None,
    "cart_hash": "",
    "meta_data": [{"id": 13106, "key": "_download_permissions_granted", "value": "yes"}],
    "line_items": [
        {
            "id": 315,
            "name": "Woo Single #1",
            "product_id": 93,
            "variation_id": 0,
            "quantity": 2,
            "tax_class": "",
            "subtotal": "6.00",
            "subtotal_tax": "0.45",
            "total": "6.00",
            "total_tax": "0.45",
            "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}],
            "meta_data": [],
            "sku": "",
            "price": 3,
        },
        {
            "id": 316,
            "name": "Ship Your Idea &ndash; Color: Black, Size: M Test",
            "product_id": 22,
            "variation_id": 23,
            "quantity": 1,
            "tax_class": "",
            "subtotal": "12.00",
            "subtotal_tax": "0.90",
            "total": "12.00",
            "total_tax": "0.90",
            "taxes": [{"id": 75, "total": "0.9", "subtotal": "0.9"}],
            "meta_data": [
                {"id": 2095, "key": "pa_color", "value": "black"},
                {"id": 2096, "key": "size", "value": "M Test"},
            ],
            "sku": "Bar3",
            "price": 12,
        },
    ],
    "tax_lines": [
        {
            "id": 318,
            "rate_code": "US-CA-STATE TAX",
            "rate_id": 75,
            "label": "State Tax",
            "compound": False,
            "tax_total": "1.35",
            "shipping_tax_total": "0.00",
            "meta_data": [],
        }
    ],
    "shipping_lines": [
        {
            "id": 317,
            "method_title": "Flat Rate",
            "method_id": "flat_rate",
            "total": "10.00",
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
        }
    ],
    "fee_lines": [],
    "coupon_lines": [],
    "refunds": [],
    "_links": {
        "self": [{"href": "https://example.com/wp-json/wc/v3/orders/727"}],
        "collection": [{"href": "https://example.com/wp-json/wc/v3/orders"}],
    },
}


def docs_example() -> tuple[dict[str, Any], str]:
    """The docs example order and where it came from."""
    path = _find_fixture()
    if path is not None:
        return json.loads(path.read_bytes()), str(path)
    return copy.deepcopy(_EQUIVALENT), "benchmarks/_orders.py (equivalent of the docs example)"


def with_lines(order: dict[str, Any], lines: int) -> dict[str, Any]:
    """``order`` with ``lines`` line items (copies of its own, new ids and SKUs)."""
    out = copy.deepcopy(order)
    template = out["line_items"]
    items = []
    for i in range(lines):
        item = copy.deepcopy(template[i % len(template)])
        item["id"] = 10_000 + i
        item["sku"] = f"SKU-{i:04d}"
        items.append(item)
    out["line_items"] = items
    # Keep the order consistent: its total is what its lines, shipping and fees add up to
    # (the planner refuses an order whose lines do not account for its total).
    parts = [*items, *out.get("shipping_lines", ()), *out.get("fee_lines", ())]
    tax = sum(Decimal(str(li["total_tax"])) for li in items)
    total = sum(Decimal(str(li["total"])) + Decimal(str(li.get("total_tax", 0))) for li in parts)
    out["cart_tax"] = str(tax)
    out["total_tax"] = str(tax + Decimal(str(out.get("shipping_tax", "0"))))
    out["total"] = str(total)
    return out


def _stamp(i: int) -> str:
    return (BASE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S")


def store_order(template: dict[str, Any], i: int) -> dict[str, Any]:
    """Order ``i`` (0-based) of the synthetic store: id ``i + 1``, stamped ``BASE + i`` s."""
    order = copy.deepcopy(template)
    order["id"] = i + 1
    order["number"] = str(i + 1)
    order["status"] = "completed" if i % 3 else "processing"
    order["date_created_gmt"] = order["date_modified_gmt"] = _stamp(i)
    order["date_created"] = order["date_modified"] = _stamp(i)
    order["billing"] = {**order["billing"], "email": f"customer{i % 500}@example.com"}
    return order


def order_json(template: dict[str, Any], i: int) -> bytes:
    """:func:`store_order` as compact JSON bytes."""
    return json.dumps(store_order(template, i), separators=(",", ":")).encode()


class Renderer:
    """Renders order ``i`` of the synthetic store fast: the template is dumped once with
    placeholders, then each order is a few string replacements (the store's own cost
    must stay small next to what is measured)."""

    def __init__(self, template: dict[str, Any]) -> None:
        marked = store_order(template, 0)
        marked.update(
            id="@ID@",
            number="@NUMBER@",
            status="@STATUS@",
            date_created_gmt="@STAMP@",
            date_modified_gmt="@STAMP@",
            date_created="@STAMP@",
            date_modified="@STAMP@",
        )
        marked["billing"] = {**marked["billing"], "email": "@EMAIL@"}
        text = json.dumps(marked, separators=(",", ":"))
        self._text = text.replace('"@ID@"', "@ID@")

    def render(self, i: int) -> bytes:
        """The same bytes as ``order_json(template, i)``, key order aside."""
        stamp = _stamp(i)
        return (
            self._text.replace("@ID@", str(i + 1))
            .replace("@NUMBER@", str(i + 1))
            .replace("@STATUS@", "completed" if i % 3 else "processing")
            .replace("@STAMP@", stamp)
            .replace("@EMAIL@", f"customer{i % 500}@example.com")
            .encode()
        )
