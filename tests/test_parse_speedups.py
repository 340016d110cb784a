"""The parse speed-ups change no result: dates, amount caches, builders, the order check.

- ``parse_utc`` reads WooCommerce's 19-character form with ``+00:00`` appended;
- amounts go through caches per type (``3``, ``3.0`` and ``True`` are equal keys);
- slotted models are filled through a *builder* subclass, then become the model;
- the order check (no negative line quantity) has a fast path for valid orders;
- the keys WooCommerce always sends are read in one go, and key by key when one is
  missing.
"""

from __future__ import annotations

import gc
import json
import pickle
import weakref
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hikewoo_core import PayloadError, parse_woo_order
from hikewoo_core._convert import parse_utc
from hikewoo_core._fastgen import _MONEY, _MONEY_FLOAT, _MONEY_INT, _MONEY_MAX
from hikewoo_core.woo import WooAddress, WooLineItem, WooOrder
from hikewoo_core.woo import _convert as woo_convert

from .test_fast_path import reference_parse_utc

BASE = {
    "id": 1,
    "status": "completed",
    "currency": "USD",
    "total": "1.00",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified_gmt": "2017-03-22T19:28:08",
}


def run(parse: Any, value: Any) -> tuple[str, Any]:
    try:
        result = parse(value)
    except Exception:  # any failure counts as a refusal
        return "refused", None
    return "accepted", (result, result.tzinfo, result.fold, repr(result))


# --- dates -------------------------------------------------------------------------------

nineteen = st.text(alphabet="0123456789-:T+Z .Wz", min_size=19, max_size=19)
stamps = st.builds(
    lambda delta, sep: (datetime(2017, 3, 22, 19, 28, 8) + delta).strftime(
        f"%Y-%m-%d{sep}%H:%M:%S"
    ),
    st.timedeltas(timedelta(days=-700_000), timedelta(days=2_900_000)),
    st.sampled_from(["T", " ", "x"]),
)


@given(nineteen | stamps)
@example("2017-03-22T19:28:08")
@example("2017-03-22T19:28+05")
@example("2017-03-22T19+05:00")
@example("2017-03-22T19:28:0Z")
@example("2017-W12-3T19:28:08")
@example("2017-03-22T24:00:00")
@example("0001-01-01T00:00:00")
@example("9999-12-31T23:59:59")
def test_a_19_character_date_reads_as_the_reference_parse(text: str) -> None:
    assert run(parse_utc, text) == run(reference_parse_utc, text)


def test_woocommerce_dates_are_aware_utc() -> None:
    value = parse_utc("2017-03-22T19:28:08")
    assert value.tzinfo is timezone.utc
    assert value == datetime(2017, 3, 22, 19, 28, 8, tzinfo=timezone.utc)


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        (3, 3.0, "3.0"),
        (3.0, 3, "3"),
        (1, True, None),
        (0.0, -0.0, "-0.0"),
        (-0.0, 0.0, "0.0"),
        ("3", 3, "3"),
        ("3.00", "3.0", "3.0"),
        (10**15 - 1, 10**15, None),
        (2.5, float("nan"), None),
    ],
)
def test_the_amount_caches_never_confuse_equal_keys(first: Any, then: Any, expected: Any) -> None:
    """Each amount reads as it would uncached, whatever was read before."""
    line = {"id": 1, "product_id": 2, "quantity": 1, "total": "1"}
    assert parse_woo_order({**BASE, "line_items": [dict(line, price=first)]})
    doc = {**BASE, "line_items": [dict(line, price=then)]}
    if expected is None:
        with pytest.raises(PayloadError) as info:
            parse_woo_order(doc)
        assert info.value.paths == ("$.line_items[0].price",)
    else:
        assert str(parse_woo_order(doc).line_items[0].price) == expected


def test_the_amount_caches_are_bounded_and_hold_only_amounts() -> None:
    for i in range(_MONEY_MAX + 10):
        order = parse_woo_order(
            {**BASE, "total": f"{i}.5", "line_items": [
                {"id": 1, "product_id": 2, "quantity": 1, "total": "1", "price": i},
                {"id": 2, "product_id": 2, "quantity": 1, "total": "1", "price": i + 0.25},
            ]}
        )  # fmt: skip
        assert order.total == Decimal(f"{i}.5")
        assert order.line_items[1].price == Decimal(repr(i + 0.25))
    assert 0 < len(_MONEY) <= _MONEY_MAX
    assert 0 < len(_MONEY_INT) <= _MONEY_MAX
    assert 0 < len(_MONEY_FLOAT) <= _MONEY_MAX
    for bad in ("NaN", "1e3", " 1", "\u0661", ""):
        with pytest.raises(PayloadError):
            parse_woo_order({**BASE, "total": bad})
        assert bad not in _MONEY
    assert all(type(k) is str for k in _MONEY)
    assert all(type(k) is int for k in _MONEY_INT)
    assert all(type(k) is float and k for k in _MONEY_FLOAT)


# --- builders ----------------------------------------------------------------------------


def test_parsed_objects_are_plain_model_instances() -> None:
    order = parse_woo_order({**BASE, "line_items": [{"id": 1, "product_id": 2, "quantity": 1,
                                                     "total": "1"}]})  # fmt: skip
    line = order.line_items[0]
    assert type(order) is WooOrder
    assert type(order.billing) is WooAddress
    assert type(line) is WooLineItem
    assert not hasattr(order, "__dict__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.id = 2  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del order.id  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(order)) == order  # noqa: S301 - our own bytes
    ref = weakref.ref(order)
    del order, line
    gc.collect()
    assert ref() is None


def test_a_builder_adds_no_slot_and_keeps_the_layout() -> None:
    builders = [c for c in WooOrder.__subclasses__() if c.__name__ == "WooOrderBuilder"]
    assert builders
    for builder in builders:
        assert builder.__dict__["__slots__"] == ()
        assert builder.__basicsize__ == WooOrder.__basicsize__


# --- the order check ---------------------------------------------------------------------

quantities = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([True, False, None, "1", 1.5, -0.5, float("nan"), [], {}]),
)
lines = st.lists(
    st.one_of(
        st.fixed_dictionaries({"quantity": quantities}),
        st.just({}),
        st.sampled_from(["x", 1, None, []]),
    ),
    max_size=5,
)


def reference_breaches(order: dict[str, Any]) -> list[tuple[str, str]]:
    """The check as first written (no fast path)."""
    lines = order.get("line_items")
    if not isinstance(lines, (list, tuple)):
        return []
    return [
        (f"$.line_items[{index}].quantity", f"expected a quantity of 0 or more, got {quantity}")
        for index, line in enumerate(lines)
        if isinstance(line, dict) and type(quantity := line.get("quantity")) is int and quantity < 0
    ]


@given(lines | st.sampled_from([None, "x", {}, ()]))
@example([{"quantity": float("nan")}, {"quantity": -1}])
@example([{"quantity": 2}, {"quantity": float("nan")}, {"quantity": -1}])
def test_the_order_check_finds_what_the_reference_finds(items: Any) -> None:
    order = {"line_items": items}
    assert woo_convert._order_breaches(order) == reference_breaches(order)


# --- keys always sent, read in one go ----------------------------------------------------

FULL_ORDER: dict[str, Any] = {
    **BASE,
    "parent_id": 0, "number": "1", "order_key": "k", "created_via": "rest-api",
    "version": "9.0", "date_created": "2017-03-22T16:28:02", "date_modified": None,
    "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "0.00",
    "shipping_tax": "0.00", "cart_tax": "0.00", "total_tax": "0.00",
    "prices_include_tax": False, "customer_id": 0, "customer_ip_address": "",
    "customer_user_agent": "", "customer_note": "",
    "billing": {"first_name": "A", "last_name": "B", "company": "", "address_1": "",
                "address_2": "", "city": "", "state": "", "postcode": "", "country": "US",
                "email": "a@example.com", "phone": ""},
    "shipping": {"first_name": "A", "last_name": "B", "company": "", "address_1": "",
                 "address_2": "", "city": "", "state": "", "postcode": "", "country": "US"},
    "payment_method": "", "payment_method_title": "", "transaction_id": "",
    "date_paid": None, "date_paid_gmt": None, "date_completed": None,
    "date_completed_gmt": None, "cart_hash": "",
    "meta_data": [{"id": 1, "key": "k", "value": "v"}],
    "line_items": [{"id": 1, "name": "Mug", "product_id": 2, "variation_id": 0, "quantity": 1,
                    "tax_class": "", "subtotal": "1.00", "subtotal_tax": "0.00",
                    "total": "1.00", "total_tax": "0.00",
                    "taxes": [{"id": 7, "total": "0.00", "subtotal": "0.00"}],
                    "meta_data": [{"id": 3, "key": "a", "value": 1}], "sku": "M", "price": 1,
                    "image": {"id": 4, "src": ""}}],
    "tax_lines": [{"id": 5, "rate_code": "X", "rate_id": 7, "label": "T", "compound": False,
                   "tax_total": "0.00", "shipping_tax_total": "0.00", "meta_data": []}],
    "shipping_lines": [{"id": 6, "method_title": "F", "method_id": "flat_rate",
                        "total": "0.00", "total_tax": "0.00", "taxes": [], "meta_data": []}],
    "fee_lines": [{"id": 8, "name": "Fee", "tax_class": "", "tax_status": "none",
                   "total": "0.00", "total_tax": "0.00", "taxes": [], "meta_data": []}],
    "coupon_lines": [{"id": 9, "code": "c", "discount": "0.00", "discount_tax": "0.00",
                      "meta_data": []}],
    "refunds": [],
}  # fmt: skip


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every key of every object in ``doc``."""
    out: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.append((*path, key))
            out.extend(_paths(value, (*path, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend(_paths(value, (*path, index)))
    return out


def _without(doc: Any, path: tuple[Any, ...]) -> Any:
    doc = json.loads(json.dumps(doc))
    target = doc
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return doc


def test_the_keys_always_sent_are_optional_fields_of_their_classes() -> None:
    for cls, names in woo_convert._ALWAYS_SENT.items():
        fields = attrs.fields_dict(cls)
        assert set(names) <= set(fields), cls
        assert all(fields[n].default is not attrs.NOTHING for n in names), cls


@pytest.mark.parametrize("form", ["bytes", "dict"])
def test_an_object_missing_a_key_always_sent_reads_as_the_detailed_path_reads_it(
    form: str,
) -> None:
    """Every key of the order removed in turn: the fast path (which then reads the
    object key by key) builds what the detailed converter builds, or both refuse."""
    conv = woo_convert._CONVERTERS
    for path in _paths(FULL_ORDER):
        doc = _without(FULL_ORDER, path)
        try:
            expected = conv.detailed.structure(doc, WooOrder)
        except Exception:  # the detailed path refuses: so must the parser
            with pytest.raises(PayloadError):
                parse_woo_order(json.dumps(doc).encode() if form == "bytes" else doc)
            continue
        got = parse_woo_order(json.dumps(doc).encode() if form == "bytes" else doc)
        assert repr(got) == repr(expected), path
        assert got == expected, path
