"""Property tests: generated orders and sales round-trip; no model field is a float."""

from __future__ import annotations

import inspect
import typing
from datetime import datetime, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hikewoo_core.hike._models as hike_models
import hikewoo_core.woo._models as woo_models
from hikewoo_core import parse_woo_order
from hikewoo_core.hike import dump_hike_sale, parse_hike_sale
from hikewoo_core.woo import dump_woo_order

money = st.decimals(
    min_value=Decimal("-99999"), max_value=Decimal("99999"), places=2, allow_nan=False
)
ids = st.integers(min_value=1, max_value=2**31)
text = st.text(max_size=12)
utc = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc)
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.builds(list)
    | st.builds(dict),  # empty containers too
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, min_size=1, max_size=3)
    ),
    max_leaves=5,
)
meta = st.builds(woo_models.WooMeta, key=text, value=json_values, id=st.none() | ids)
line = st.builds(
    woo_models.WooLineItem,
    id=ids,
    product_id=ids,
    quantity=st.integers(0, 50),  # an order line's is never negative (a refund line's is)
    total=money,
    name=text,
    price=st.none() | money,
    sku=st.none() | text,
    meta_data=st.tuples(meta),
    taxes=st.lists(st.builds(woo_models.WooLineTax, id=ids, total=money), max_size=2).map(tuple),
    composite_parent=st.none() | ids.map(woo_models.ItemRef),
    composite_children=st.lists(ids, max_size=3).map(tuple),
)
statuses = st.sampled_from(list(woo_models.WooStatus)) | st.sampled_from(["shipped", "x-y"])
orders = st.builds(
    woo_models.WooOrder,
    id=ids,
    status=statuses,
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    total=money,
    date_created_gmt=utc,
    date_modified_gmt=utc,
    date_paid_gmt=st.none() | utc,
    line_items=st.lists(line, max_size=4).map(tuple),
    meta_data=st.lists(meta, max_size=3).map(tuple),
    refunds=st.lists(st.builds(woo_models.WooRefundSummary, id=ids, total=money), max_size=3).map(
        tuple
    ),
)


@given(orders)
def test_generated_orders_round_trip(order: woo_models.WooOrder) -> None:
    assert parse_woo_order(dump_woo_order(order)) == order


sales = st.builds(
    hike_models.HikeSale,
    id=ids,
    number=text,
    fulfilment_status=st.sampled_from(list(hike_models.FulfilmentStatus)),
    payment_status=st.sampled_from(list(hike_models.PaymentStatus)),
    total=money,
    outlet_id=ids,
    transaction_date=st.none() | utc,
    refund_of=st.none() | ids,
    lines=st.lists(
        st.builds(
            hike_models.HikeSaleLine,
            quantity=st.integers(0, 9),
            sold_price=money,
            serial_numbers=st.lists(text, max_size=2).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    payments=st.lists(
        st.builds(hike_models.HikePayment, payment_type_name=text, amount=money), max_size=3
    ).map(tuple),
)


@given(sales)
def test_generated_sales_round_trip(sale: hike_models.HikeSale) -> None:
    assert parse_hike_sale(dump_hike_sale(sale)) == sale


def _all_models() -> list[type]:
    found = []
    for module in (woo_models, hike_models):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if attrs.has(obj) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_no_model_field_is_a_float() -> None:
    models = _all_models()
    assert len(models) >= 20
    for cls in models:
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            assert "float" not in repr(hints[field.name]), f"{cls.__name__}.{field.name}"


def test_models_are_frozen_and_slotted() -> None:
    for cls in _all_models():
        assert "__slots__" in cls.__dict__, cls
        assert cls.__setattr__ is not object.__setattr__, cls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T02:08:10", datetime(2026, 11, 27, 2, 8, 10, tzinfo=timezone.utc)),
        ("2026-11-27T02:08:10Z", datetime(2026, 11, 27, 2, 8, 10, tzinfo=timezone.utc)),
        # .NET (Hike) sends seven-digit fractions; Python 3.10's fromisoformat refuses them
        ("2026-11-27T02:08:10.1234567", datetime(2026, 11, 27, 2, 8, 10, 123456, timezone.utc)),
        ("2026-11-27T02:08:10.1", datetime(2026, 11, 27, 2, 8, 10, 100000, timezone.utc)),
        ("2026-11-27T12:08:10.5+10:00", datetime(2026, 11, 27, 2, 8, 10, 500000, timezone.utc)),
    ],
)
def test_dates_read_the_same_on_every_supported_python(text: str, expected: datetime) -> None:
    from hikewoo_core._convert import parse_utc

    parsed = parse_utc(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
