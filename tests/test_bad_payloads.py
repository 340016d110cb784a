"""Bad payloads raise PayloadError naming every problem's exact JSON path.

Nothing else may escape: no KeyError, TypeError or decimal.InvalidOperation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hikewoo_core import HikeWooError, PayloadError, parse_woo_order, parse_woo_refund
from hikewoo_core.hike import parse_hike_sale

ORDER: dict[str, Any] = {
    "id": 727,
    "status": "processing",
    "currency": "USD",
    "total": "29.35",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified_gmt": "2017-03-22T19:28:08",
    "billing": {"first_name": "John", "last_name": "Doe", "email": "john@example.com"},
    "meta_data": [{"id": 1, "key": "k", "value": {"any": ["json", 1, None]}}],
    "line_items": [
        {
            "id": 315, "product_id": 93, "quantity": 2, "total": "6.00", "price": 3,
            "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}],
        },
        {
            "id": 316, "product_id": 22, "quantity": 1, "total": "12.00", "price": 12,
            "taxes": [{"id": 75, "total": "0.9", "subtotal": "0.9"}],
            "meta_data": [{"id": 2095, "key": "pa_color", "value": "black"}],
        },
    ],
    "shipping_lines": [{"id": 317, "method_id": "flat_rate", "total": "10.00"}],
    "refunds": [{"id": 1, "reason": "", "total": "-1.00"}],
}  # fmt: skip


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


def _del(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return edit


LI = "line_items"
CASES: list[tuple[str, list[Callable[[dict[str, Any]], None]], list[str]]] = [
    ("id as string", [_set(("id",), "727")], ["$.id"]),
    ("id as float", [_set(("id",), 727.0)], ["$.id"]),
    ("id as bool", [_set(("id",), True)], ["$.id"]),
    ("id missing", [_del(("id",))], ["$.id"]),
    ("status missing", [_del(("status",))], ["$.status"]),
    ("status empty", [_set(("status",), "")], ["$.status"]),
    ("status number", [_set(("status",), 3)], ["$.status"]),
    ("currency missing", [_del(("currency",))], ["$.currency"]),
    ("total garbage", [_set(("total",), "twelve")], ["$.total"]),
    ("total bool", [_set(("total",), False)], ["$.total"]),
    ("total NaN string", [_set(("total",), "NaN")], ["$.total"]),
    ("total NaN float", [_set(("total",), float("nan"))], ["$.total"]),
    ("total infinity", [_set(("total",), "Infinity")], ["$.total"]),
    ("total null", [_set(("total",), None)], ["$.total"]),
    ("total empty", [_set(("total",), "")], ["$.total"]),
    ("date garbage", [_set(("date_created_gmt",), "yesterday")], ["$.date_created_gmt"]),
    ("date number", [_set(("date_modified_gmt",), 1700000000)], ["$.date_modified_gmt"]),
    ("date month 13", [_set(("date_modified_gmt",), "2017-13-22T19:28:08")],
     ["$.date_modified_gmt"]),
    ("billing a string", [_set(("billing",), "John")], ["$.billing"]),
    ("billing email number", [_set(("billing", "email"), 5)], ["$.billing.email"]),
    ("line_items an object", [_set((LI,), {"a": 1})], ["$.line_items"]),
    ("line item a string", [_set((LI, 1), "x")], ["$.line_items[1]"]),
    ("quantity word", [_set((LI, 1, "quantity"), "two")], ["$.line_items[1].quantity"]),
    ("quantity float", [_set((LI, 0, "quantity"), 1.5)], ["$.line_items[0].quantity"]),
    ("price bool", [_set((LI, 0, "price"), True)], ["$.line_items[0].price"]),
    ("product id missing", [_del((LI, 0, "product_id"))], ["$.line_items[0].product_id"]),
    ("tax total NaN deep", [_set((LI, 1, "taxes", 0, "total"), "NaN")],
     ["$.line_items[1].taxes[0].total"]),
    ("tax id string deep", [_set((LI, 0, "taxes", 0, "id"), "75")],
     ["$.line_items[0].taxes[0].id"]),
    ("line meta key missing", [_del((LI, 1, "meta_data", 0, "key"))],
     ["$.line_items[1].meta_data[0].key"]),
    ("shipping total bad", [_set(("shipping_lines", 0, "total"), [])],
     ["$.shipping_lines[0].total"]),
    ("refund summary total bad", [_set(("refunds", 0, "total"), "-")], ["$.refunds[0].total"]),
    ("composite parent bad", [_set((LI, 0, "composite_parent"), "abc")],
     ["$.line_items[0].composite_parent"]),
    (
        "several errors at once",
        [
            _set(("id",), None),
            _set(("total",), "NaN"),
            _set((LI, 0, "quantity"), "1"),
            _set((LI, 1, "taxes", 0, "subtotal"), True),
            _del(("date_modified_gmt",)),
        ],
        [
            "$.id",
            "$.total",
            "$.date_modified_gmt",
            "$.line_items[0].quantity",
            "$.line_items[1].taxes[0].subtotal",
        ],
    ),
]  # fmt: skip


def test_the_valid_order_parses() -> None:
    order = parse_woo_order(ORDER)
    assert order.meta("k") == {"any": ["json", 1, None]}


@pytest.mark.parametrize(("label", "edits", "paths"), CASES, ids=[c[0] for c in CASES])
def test_bad_order_reports_exact_paths(
    label: str, edits: list[Callable[[dict[str, Any]], None]], paths: list[str]
) -> None:
    doc = copy.deepcopy(ORDER)
    for edit in edits:
        edit(doc)
    with pytest.raises(PayloadError) as info:
        parse_woo_order(doc)
    assert sorted(info.value.paths) == sorted(paths)
    assert all(message for _, message in info.value.problems)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, HikeWooError)


def test_message_is_readable() -> None:
    doc = copy.deepcopy(ORDER)
    doc[LI][1]["quantity"] = "two"
    with pytest.raises(PayloadError) as info:
        parse_woo_order(doc)
    assert info.value.problems == (("$.line_items[1].quantity", "expected an integer, got 'two'"),)
    assert "$.line_items[1].quantity: expected an integer, got 'two'" in str(info.value)


@pytest.mark.parametrize(
    "payload", [None, 5, "text", [ORDER], b"[1, 2]", b"\xff\xfe", "{not json", True]
)
def test_non_object_payload_has_root_path(payload: Any) -> None:
    with pytest.raises(PayloadError) as info:
        parse_woo_order(payload)
    assert info.value.paths == ("$",)


def test_refund_bad_amount_and_line() -> None:
    with pytest.raises(PayloadError) as info:
        parse_woo_refund({"id": 1, "amount": "NaN", "line_items": [{"id": 1, "product_id": 2}]})
    assert sorted(info.value.paths) == [
        "$.amount",
        "$.line_items[0].quantity",
        "$.line_items[0].total",
    ]


def test_hike_paths_use_hike_json_names() -> None:
    with pytest.raises(PayloadError) as info:
        parse_hike_sale(
            {
                "id": 1, "number": "1", "status": "Completed", "financialStatus": "Paid",
                "netAmount": "1", "outletId": 1,
                "invoiceLineItems": [{"quantity": 1, "soldPrice": "x"}],
                "invoicePayments": [{"paymentOptionName": 5, "amount": "1"}],
            }
        )  # fmt: skip
    assert info.value.paths == (
        "$.invoiceLineItems[0].soldPrice",
        "$.invoicePayments[0].paymentOptionName",
    )


def test_plugin_fields_and_statuses_never_crash() -> None:
    doc = copy.deepcopy(ORDER)
    doc["status"] = "shipped"
    doc["wpo_invoice"] = {"x": 1}
    doc[LI][0]["bundle_configuration"] = [1, 2]
    order = parse_woo_order(doc)
    assert order.status == "shipped"
    assert type(order.status) is str
