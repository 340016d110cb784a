"""A line item's ``taxes`` and ``image``: checked when parsed, built when first read.

The parser keeps the JSON of the two fields (when it decoded the bytes itself) and the
first read builds them. Nothing else may change: a bad tax or image is still a
``PayloadError`` from the parser with its JSON path, the values read are those an eager
parse builds, and equality, hashing, ``repr``, pickling, copying, ``attrs.evolve``,
cattrs and ``dump_woo_order`` see the built values.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given

from hikewoo_core import PayloadError, parse_woo_order, parse_woo_refund
from hikewoo_core._fastgen import DeferredSlot
from hikewoo_core._ports import Unreadable
from hikewoo_core.woo import (
    WooImage,
    WooLineItem,
    WooLineTax,
    WooOrder,
    WooRefund,
    dump_woo_order,
    parse_woo_orders,
    parse_woo_refunds,
)
from hikewoo_core.woo import _convert as woo_convert
from hikewoo_core.woo._convert import parse_woo_orders_tolerant
from hikewoo_core.woo._models import ItemRef

from .test_fast_path import WOO_RENAMES, assert_same, payloads

ORDER: dict[str, Any] = {
    "id": 727,
    "status": "processing",
    "currency": "USD",
    "total": "29.35",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified_gmt": "2017-03-22T19:28:08",
    "line_items": [
        {
            "id": 315, "product_id": 93, "quantity": 2, "total": "6.00", "price": 3,
            "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}],
            "image": {"id": 94, "src": "https://example.com/mug.jpg"},
        },
        {
            "id": 316, "product_id": 22, "quantity": 1, "total": "12.00", "price": 12.5,
            "taxes": [{"id": 75, "total": "0.9"}, {"id": 76, "total": "0.10", "subtotal": "0"}],
            "image": {"id": "", "src": ""},
            "meta_data": [{"id": 2095, "key": "pa_color", "value": "black"}],
        },
        {"id": 317, "product_id": 23, "quantity": 1, "total": "1.00", "taxes": [], "image": None},
        {"id": 318, "product_id": 24, "quantity": 1, "total": "1.00"},
    ],
    "shipping_lines": [{"id": 320, "method_id": "flat_rate", "total": "10.00"}],
}  # fmt: skip
RAW = json.dumps(ORDER).encode()
TAXES = WooLineItem.__dict__["taxes"]
IMAGE = WooLineItem.__dict__["image"]


def kept(line: WooLineItem, slot: Any) -> Any:
    """What the slot holds, without building it (white box)."""
    assert isinstance(slot, DeferredSlot)
    return slot.member.__get__(line, WooLineItem)


def eager(data: Any) -> WooOrder:
    """The order as the eager path builds it (a dict passed in is read in full)."""
    return parse_woo_order(json.loads(data) if isinstance(data, bytes) else data)


# --- laziness ---------------------------------------------------------------------------


def test_parsing_bytes_keeps_the_json_of_taxes_and_images_until_read() -> None:
    order = parse_woo_order(RAW)
    first, second, third, fourth = order.line_items
    assert kept(first, TAXES) == ORDER["line_items"][0]["taxes"]
    assert kept(first, IMAGE) == ORDER["line_items"][0]["image"]
    assert kept(second, IMAGE) == {"id": "", "src": ""}
    # Nothing to keep: an empty array, null, a missing key.
    assert kept(third, TAXES) == ()
    assert kept(third, IMAGE) is None
    assert kept(fourth, TAXES) == ()
    assert kept(fourth, IMAGE) is None
    assert first.taxes == (WooLineTax(id=75, total=Decimal("0.45"), subtotal=Decimal("0.45")),)
    assert kept(first, TAXES) is first.taxes  # built once, then stored
    assert first.image == WooImage(id=ItemRef(94), src="https://example.com/mug.jpg")
    assert second.image == WooImage(id=None, src="")
    assert second.taxes[1] == WooLineTax(id=76, total=Decimal("0.10"), subtotal=Decimal("0"))
    assert str(second.taxes[1].total) == "0.10"  # the precision sent, kept


def test_a_dict_passed_in_is_read_in_full_so_changing_it_later_changes_nothing() -> None:
    doc = json.loads(RAW)
    order = parse_woo_order(doc)
    line = order.line_items[0]
    assert type(kept(line, TAXES)) is tuple
    assert type(kept(line, IMAGE)) is WooImage
    doc["line_items"][0]["taxes"][0]["total"] = "NaN"
    doc["line_items"][0]["image"]["src"] = "changed"
    assert line.taxes[0].total == Decimal("0.45")
    assert line.image is not None
    assert line.image.src == "https://example.com/mug.jpg"


@pytest.mark.parametrize("encode", [bytes, str, bytearray], ids=lambda f: f.__name__)
def test_a_lazy_order_equals_the_eager_one_and_prints_the_same(encode: Callable[..., Any]) -> None:
    data = encode(RAW) if encode is not str else RAW.decode()
    lazy, built = parse_woo_order(data), eager(RAW)
    assert repr(lazy) == repr(built)
    lazy = parse_woo_order(data)
    assert lazy == built  # equality reads (and builds) the deferred fields
    assert hash(parse_woo_order(data)) == hash(built)
    assert parse_woo_order(data) != attrs.evolve(built, total=Decimal("1"))


@pytest.mark.parametrize("read_first", [False, True], ids=["unread", "read"])
def test_pickle_copy_evolve_cattrs_and_dump_see_the_built_values(read_first: bool) -> None:
    def fresh() -> WooOrder:
        order = parse_woo_order(RAW)
        if read_first:
            for line in order.line_items:
                _ = line.taxes, line.image
        return order

    built = eager(RAW)
    assert pickle.loads(pickle.dumps(fresh())) == built  # noqa: S301 - our own bytes
    assert copy.copy(fresh()) == built
    assert copy.deepcopy(fresh()) == built
    line = attrs.evolve(fresh().line_items[0], quantity=5)
    assert line.taxes == built.line_items[0].taxes
    assert line.image == built.line_items[0].image
    assert type(kept(line, TAXES)) is tuple
    assert attrs.asdict(fresh()) == attrs.asdict(built)
    dumped = dump_woo_order(fresh())
    assert dumped == dump_woo_order(built)
    assert dumped["line_items"][0]["taxes"] == [{"id": 75, "total": "0.45", "subtotal": "0.45"}]
    assert parse_woo_order(dumped) == built
    assert parse_woo_order(json.dumps(dumped).encode()) == built


def test_refunds_and_lists_are_lazy_too_and_read_the_same() -> None:
    refund_doc = {
        "id": 728, "amount": "6.45",
        "line_items": [{"id": 320, "product_id": 93, "quantity": -1, "total": "-6.00",
                        "meta_data": [{"key": "_refunded_item_id", "value": "315"}],
                        "taxes": [{"id": 75, "total": "-0.45", "subtotal": "-0.45"}]}],
    }  # fmt: skip
    raw = json.dumps(refund_doc).encode()
    refund = parse_woo_refund(raw)
    assert type(kept(refund.line_items[0], TAXES)) is list
    assert refund == parse_woo_refund(refund_doc)
    assert list(refund.refunded_quantities()) == [(315, 1)]
    [listed] = parse_woo_refunds(b"[" + raw + b"]")
    assert type(kept(listed.line_items[0], TAXES)) is list
    assert listed == refund
    [order] = parse_woo_orders(b"[" + RAW + b"]")
    assert type(kept(order.line_items[0], TAXES)) is list
    assert order == eager(RAW)
    assert isinstance(refund, WooRefund)


def test_values_a_caller_gives_are_returned_as_given_never_built() -> None:
    """A list or dict given for ``taxes``/``image`` (the types of their JSON) is the
    caller's value, not JSON to build: read back as it was given."""
    taxes: Any = [WooLineTax(id=1)]
    image: Any = {"id": 1}
    line = WooLineItem(id=1, product_id=2, quantity=1, total=Decimal(1), taxes=taxes, image=image)
    assert line.taxes is taxes
    assert line.image is image
    assert attrs.evolve(line, quantity=2).taxes is taxes
    assert pickle.loads(pickle.dumps(line)).taxes == taxes  # noqa: S301 - our own bytes
    taxed = (WooLineTax(id=1),)
    tupled = WooLineItem(id=1, product_id=2, quantity=1, total=Decimal(1), taxes=taxed)
    assert tupled.taxes == (WooLineTax(id=1),)
    assert type(kept(tupled, TAXES)) is tuple


def test_the_class_attribute_is_the_descriptor_and_the_slot_can_be_deleted() -> None:
    assert isinstance(WooLineItem.taxes, DeferredSlot)  # type: ignore[misc]
    line = parse_woo_order(RAW).line_items[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        line.taxes = ()  # type: ignore[misc]
    TAXES.__delete__(line)
    with pytest.raises(AttributeError):
        _ = line.taxes


def test_json_that_cannot_be_built_any_more_is_a_payload_error_naming_the_field() -> None:
    """Unreachable through the parsers (the JSON was checked and nothing else holds it);
    should the kept JSON go bad anyway, reading it is the library's error, not a crash."""
    line = parse_woo_order(RAW).line_items[0]
    kept(line, TAXES)[0]["total"] = "NaN"  # white box: corrupt the kept JSON
    with pytest.raises(PayloadError) as info:
        _ = line.taxes
    assert info.value.paths == ("$.taxes",)
    assert "WooLineItem" in str(info.value)
    line = parse_woo_order(RAW).line_items[0]
    kept(line, IMAGE)["id"] = "abc"
    with pytest.raises(PayloadError) as info:
        _ = line.image
    assert info.value.paths == ("$.image",)


# --- strictness: checked when parsed ------------------------------------------------------


def _set(doc: dict[str, Any], steps: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = value
    return doc


def _del(doc: dict[str, Any], steps: tuple[Any, ...]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    for step in steps[:-1]:
        target = target[step]
    del target[steps[-1]]
    return doc


LI = "line_items"
BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    ("tax total NaN", _set(ORDER, (LI, 1, "taxes", 0, "total"), "NaN"),
     ["$.line_items[1].taxes[0].total"]),
    ("tax total exponent", _set(ORDER, (LI, 0, "taxes", 0, "total"), "1E+3"),
     ["$.line_items[0].taxes[0].total"]),
    ("tax total float NaN", _set(ORDER, (LI, 0, "taxes", 0, "total"), float("nan")),
     ["$.line_items[0].taxes[0].total"]),
    ("tax subtotal bool", _set(ORDER, (LI, 1, "taxes", 1, "subtotal"), True),
     ["$.line_items[1].taxes[1].subtotal"]),
    ("tax total null", _set(ORDER, (LI, 0, "taxes", 0, "total"), None),
     ["$.line_items[0].taxes[0].total"]),
    ("tax id string", _set(ORDER, (LI, 0, "taxes", 0, "id"), "75"),
     ["$.line_items[0].taxes[0].id"]),
    ("tax id missing", _del(ORDER, (LI, 1, "taxes", 1, "id")), ["$.line_items[1].taxes[1].id"]),
    ("tax not an object", _set(ORDER, (LI, 1, "taxes", 1), "x"), ["$.line_items[1].taxes[1]"]),
    ("taxes an object", _set(ORDER, (LI, 0, "taxes"), {"id": 75}), ["$.line_items[0].taxes"]),
    ("taxes a string", _set(ORDER, (LI, 0, "taxes"), "[]"), ["$.line_items[0].taxes"]),
    ("taxes null", _set(ORDER, (LI, 0, "taxes"), None), ["$.line_items[0].taxes"]),
    ("image an array", _set(ORDER, (LI, 0, "image"), []), ["$.line_items[0].image"]),
    ("image a string", _set(ORDER, (LI, 0, "image"), "x.jpg"), ["$.line_items[0].image"]),
    ("image id bad", _set(ORDER, (LI, 0, "image", "id"), "abc"), ["$.line_items[0].image.id"]),
    ("image id float", _set(ORDER, (LI, 1, "image", "id"), 1.5), ["$.line_items[1].image.id"]),
    ("image src number", _set(ORDER, (LI, 0, "image", "src"), 5), ["$.line_items[0].image.src"]),
    ("tax and image and quantity", _set(_set(_set(ORDER, (LI, 0, "image", "src"), 5),
                                             (LI, 1, "taxes", 0, "id"), None),
                                        (LI, 1, "quantity"), "1"),
     ["$.line_items[0].image.src", "$.line_items[1].quantity", "$.line_items[1].taxes[0].id"]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "doc", "paths"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("form", ["bytes", "dict"])
def test_a_bad_tax_or_image_is_refused_when_parsed_naming_its_path(
    label: str, doc: dict[str, Any], paths: list[str], form: str
) -> None:
    data: Any = json.dumps(doc).encode() if form == "bytes" else copy.deepcopy(doc)
    with pytest.raises(PayloadError) as info:
        parse_woo_order(data)
    assert sorted(info.value.paths) == sorted(paths)
    assert all(message for _, message in info.value.problems)


def test_one_bad_tax_makes_its_order_unreadable_in_the_tolerant_list() -> None:
    bad = _set(ORDER, (LI, 1, "taxes", 0, "total"), "1,5")
    bad["id"] = 728
    page = json.dumps([ORDER, bad, ORDER]).encode()
    first, unreadable, third = parse_woo_orders_tolerant(page)
    assert isinstance(unreadable, Unreadable)
    assert unreadable.id == 728
    assert unreadable.error.paths == ("$.line_items[1].taxes[0].total",)
    assert isinstance(first, WooOrder)
    assert isinstance(third, WooOrder)
    assert type(kept(first.line_items[0], TAXES)) is list
    assert first == third == eager(RAW)


# --- the lazy function accepts, refuses and builds exactly as the others -----------------


def lazy_outcome(cls: type, data: Any) -> tuple[str, Any]:
    conv = woo_convert._CONVERTERS
    hook = conv.lazy_of(conv.fast.get_structure_hook(cls))
    try:
        result = hook(data, cls)
    except Exception as exc:  # any failure counts as a refusal
        return "refused", type(exc)
    return "accepted", result


@pytest.mark.parametrize("cls", [WooOrder, WooRefund, WooLineItem], ids=lambda c: c.__name__)
def test_lazy_path_equals_the_eager_and_detailed_paths(cls: type) -> None:
    @given(payloads(cls, WOO_RENAMES))
    def check(data: dict[str, Any]) -> None:
        assert_same(woo_convert._CONVERTERS, cls, data)  # eager vs detailed
        fast = woo_convert._CONVERTERS.fast.get_structure_hook(cls)
        lazy_kind, lazy = lazy_outcome(cls, data)
        try:
            built = fast(data, cls)
        except Exception:  # any failure counts as a refusal
            assert lazy_kind == "refused", data
            return
        assert lazy_kind == "accepted", data
        assert repr(lazy) == repr(built)
        assert lazy == built or "nan" in repr(built)  # NaN (in an ``Any`` field) != itself

    check()


def test_only_the_classes_that_reach_a_deferred_field_have_a_lazy_function() -> None:
    conv = woo_convert._CONVERTERS
    for cls in (WooOrder, WooRefund, WooLineItem):
        fast = conv.fast.get_structure_hook(cls)
        assert conv.lazy_of(fast) is not fast
    for cls in (WooLineTax, WooImage, woo_convert.WooProduct, woo_convert.WooError):
        fast = conv.fast.get_structure_hook(cls)
        assert conv.lazy_of(fast) is fast


def test_fields_are_deferred_before_any_parser_is_generated() -> None:
    """A builder made before would store through the descriptor (as a caller's value)."""
    from hikewoo_core._fastgen import deferred

    parse_woo_order(RAW)  # the parsers of WooLineItem exist
    with pytest.raises(RuntimeError, match="before any parser"):
        deferred(WooLineItem, "meta_data")
    assert not isinstance(WooLineItem.__dict__["meta_data"], DeferredSlot)


@attrs.frozen(kw_only=True)
class _Plain:
    n: int = 0


def test_only_slots_of_attrs_classes_or_tuples_of_them_can_be_deferred() -> None:
    from hikewoo_core._fastgen import deferred

    with pytest.raises(TypeError, match="cannot be deferred"):
        deferred(_Plain, "n")
    with pytest.raises(TypeError, match="not a slot"):
        deferred(_Plain, "missing")
