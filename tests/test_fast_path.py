"""The generated fast path accepts and refuses exactly what the detailed converter does.

The payloads are drawn field by field from each model's attrs fields: sometimes a
value of the right type (money in every form WooCommerce and plugins send, dates with
and without offsets), sometimes a near miss (``"NaN"``, ``True`` for an int, ``""`` for
an id, a float quantity, an object where an array belongs), sometimes any JSON value,
and keys go missing. For each payload the fast function and the detailed converter
must both fail, or both succeed with results that are equal *and* print the same
(``Decimal("1.0")`` and ``Decimal("1.00")`` are equal but not the same amount of
precision).
"""

from __future__ import annotations

import typing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
import pytest
from dateutil.parser import isoparse
from hypothesis import example, given
from hypothesis import strategies as st

import hikewoo_core.hike._models as hike_models
import hikewoo_core.woo._models as woo_models
from hikewoo_core._convert import Converters, build_converters, parse_utc
from hikewoo_core.hike import _convert as hike_convert
from hikewoo_core.woo import _convert as woo_convert

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars | st.builds(list) | st.builds(dict),  # empty containers too
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)

#: Amounts below 10**15 in size: larger ones are refused as absurd (MAX_AMOUNT_DIGITS).
BOUND = {"min_value": Decimal(-(10**15) + 1), "max_value": Decimal(10**15 - 1)}
good_money = (
    st.decimals(allow_nan=False, allow_infinity=False, places=2, **BOUND).map(str)
    | st.sampled_from(
        ["29.35", "0.00", "-1.00", "1500", "-0", "007.50", "1.125", "0.0000001", ".99", "5."]
    )
    | st.integers(-(10**6), 10**6)
    | st.floats(min_value=-1e14, max_value=1e14)
)
bad_money = st.sampled_from(
    [
        " 2.50 ",
        "1_000.5",
        "1e3",
        "+3",
        "١٢",
        "\uff11\uff12",
        "1E+30",
        10**15,
        -(10**15),
        10**30,
        "-1e15",
        "1000000000000000",
        "NaN",
        "nan",
        "sNaN",
        "-Infinity",
        "Inf",
        "NaN12",
        "",
        " ",
        "twelve",
        "1,50",
        "0x10",
        "1.2.3",
        True,
        False,
        None,
        [],
        {},
        float("nan"),
        float("inf"),
    ]
)
_BASE = datetime(2017, 3, 22, 19, 28, 8)
_FORMATS = [
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y%m%dT%H%M%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H",
    "%Y-%m-%dT",
]
_TAILS = [
    "",
    "T",
    "+00:00",
    "Z",
    "z",
    "+05:30",
    "-08:00",
    "+0530",
    ".123",
    ".123456Z",
    "+00:00+00:00",
    "Z+00:00",
    "+",
    "-",
    "x",
    " ",
]
dates = st.builds(
    lambda delta, fmt, tail: (_BASE + delta).strftime(fmt) + tail,
    st.timedeltas(timedelta(days=-4000), timedelta(days=4000)),
    st.sampled_from(_FORMATS),
    st.sampled_from(_TAILS),
) | st.sampled_from(["2017-13-22T19:28:08", "yesterday", "2017-03-22T25:00:00", "0", 5, None])
good_dates = st.builds(
    lambda delta, tail: (_BASE + delta).strftime("%Y-%m-%dT%H:%M:%S") + tail,
    st.timedeltas(timedelta(days=-4000), timedelta(days=4000)),
    st.sampled_from(["", "", "", "Z", "+05:30", ".5"]),
)
good_ids = st.integers(-3, 2**31)
bad_ids = st.sampled_from(["", "12", "x", 1.0, True, None, [], {}])


def _enum_values(enum: type[Enum]) -> st.SearchStrategy[Any]:
    names = [str(e.value) for e in enum]
    return st.sampled_from(names + [n.upper() for n in names] + [n.lower() for n in names])


def good_value(t: Any, renames: dict[type, dict[str, str]], bad: int) -> Any:
    """A strategy of valid values for type ``t`` (nested objects may go bad, at rate ``bad``)."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is int:
        return good_ids
    if t is str:
        return st.text(max_size=6)
    if t is bool:
        return st.booleans()
    if t is Decimal:
        return good_money
    if t is datetime:
        return good_dates
    if t is Any:
        return json_values
    if isinstance(t, type) and issubclass(t, Enum):
        return _enum_values(t)
    if t == woo_models.WooStatus | str:
        return _enum_values(woo_models.WooStatus) | st.sampled_from(["shipped", "x-y"])
    if t == woo_models.ItemRef | None:
        return good_ids | st.sampled_from(["", "007", None])
    if origin is tuple:
        return st.lists(any_value(args[0], renames, bad), max_size=3)
    if len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        return st.none() | good_value(inner, renames, bad)
    if attrs.has(t):
        return documents(t, renames, bad)
    raise AssertionError(f"no strategy for {t!r}")  # pragma: no cover - teach the fuzzer


def bad_value(t: Any) -> Any:
    """Near misses for type ``t``, and any JSON value."""
    near: st.SearchStrategy[Any]
    if t in (int, woo_models.ItemRef | None):
        near = bad_ids | st.sampled_from(["x1", 2.5])
    elif t is Decimal:
        near = bad_money
    elif t is datetime:
        near = dates
    elif typing.get_origin(t) is tuple:
        near = st.sampled_from([{}, "[]", None, 5])
    else:
        near = st.sampled_from(["", 0, True, None, 1.5, [], {}, "x"])
    return near | json_values


def any_value(t: Any, renames: dict[type, dict[str, str]], bad: int) -> Any:
    """Valid most of the time; a near miss with probability ``bad`` percent."""
    return st.integers(0, 99).flatmap(
        lambda roll: bad_value(t) if roll < bad else good_value(t, renames, bad)
    )


def documents(cls: type, renames: dict[type, dict[str, str]], bad: int) -> Any:
    """Dicts shaped like ``cls``'s JSON form; keys go missing at rate ``bad`` too."""
    attrs.resolve_types(cls)
    keys = renames.get(cls, {})
    parts = {}
    for a in attrs.fields(cls):
        value = any_value(a.type, renames, bad)
        may_miss = a.default is not attrs.NOTHING or bad > 0
        parts[keys.get(a.name, a.name)] = (
            st.integers(0, 99).flatmap(
                lambda roll, value=value: st.just(attrs.NOTHING) if roll < max(bad, 20) else value
            )
            if may_miss
            else value
        )
    extra = st.dictionaries(
        st.sampled_from(["_links", "x_plugin", "meta"]), json_values, max_size=1
    )
    return st.builds(
        lambda fields, more: {
            **more,
            **{k: v for k, v in fields.items() if v is not attrs.NOTHING},
        },
        st.fixed_dictionaries(parts),
        extra,
    )


def payloads(cls: type, renames: dict[type, dict[str, str]]) -> Any:
    """Clean documents about a third of the time; else each field goes bad at 1 to 30 %."""
    return st.sampled_from([0, 0, 1, 3, 10, 30]).flatmap(lambda bad: documents(cls, renames, bad))


def outcome(conv: Converters, cls: type, data: Any, fast: bool) -> tuple[str, Any]:
    try:
        if fast:
            result = conv.fast.get_structure_hook(cls)(data, cls)
        else:
            result = conv.detailed.structure(data, cls)
    except Exception as exc:  # any failure counts as a refusal
        return "refused", type(exc)
    return "accepted", result


def assert_same(conv: Converters, cls: type, data: Any) -> None:
    fast_kind, fast = outcome(conv, cls, data, fast=True)
    slow_kind, slow = outcome(conv, cls, data, fast=False)
    assert fast_kind == slow_kind, (fast_kind, slow_kind, data)
    if fast_kind == "accepted":
        assert repr(fast) == repr(slow)
        assert fast == slow or "nan" in repr(fast)  # NaN (in an ``Any`` field) != itself


WOO_RENAMES: dict[type, dict[str, str]] = {}
HIKE_RENAMES = {cls: dict(keys) for cls, keys in hike_convert._RENAMES.items()}
WOO_CLASSES = [woo_models.WooOrder, woo_models.WooRefund, woo_models.WooError]
HIKE_CLASSES = [
    hike_models.HikeSale,
    hike_models.HikeSaleDraft,
    hike_models.HikeProduct,
    hike_models.HikeRegisterClosure,
    hike_models.HikeCustomer,
]


@pytest.mark.parametrize("cls", WOO_CLASSES, ids=lambda c: c.__name__)
def test_woo_fast_path_equals_detailed_path(cls: type) -> None:
    @given(payloads(cls, WOO_RENAMES))
    def check(data: dict[str, Any]) -> None:
        assert_same(woo_convert._CONVERTERS, cls, data)

    check()


@pytest.mark.parametrize("cls", HIKE_CLASSES, ids=lambda c: c.__name__)
def test_hike_fast_path_equals_detailed_path(cls: type) -> None:
    @given(payloads(cls, HIKE_RENAMES))
    def check(data: dict[str, Any]) -> None:
        assert_same(hike_convert._CONVERTERS, cls, data)

    check()


utc_times = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc)
)


@given(
    st.builds(
        woo_models.WooOrder,
        id=st.integers(1, 2**31),
        status=st.sampled_from(list(woo_models.WooStatus)) | st.just("shipped"),
        currency=st.just("USD"),
        total=st.decimals(allow_nan=False, allow_infinity=False, places=2, **BOUND),
        date_created_gmt=utc_times,
        date_modified_gmt=utc_times,
        line_items=st.lists(
            st.builds(
                woo_models.WooLineItem,
                id=st.integers(1, 99),
                product_id=st.integers(1, 9),
                quantity=st.integers(-3, 9),
                total=st.decimals(allow_nan=False, allow_infinity=False, **BOUND),
            ),
            max_size=3,
        ).map(tuple),
    )
)
def test_valid_orders_take_the_fast_path(order: woo_models.WooOrder) -> None:
    """Every valid order is accepted by the fast function itself (no fallback needed)."""
    data = woo_convert.dump_woo_order(order)
    fast = woo_convert._CONVERTERS.fast.get_structure_hook(woo_models.WooOrder)
    assert fast(data) == order
    assert_same(woo_convert._CONVERTERS, woo_models.WooOrder, data)


@pytest.mark.parametrize(
    "data",
    [[], "x", None, 5, {"id": 1, "status": "completed"}],
    ids=["list", "str", "None", "int", "incomplete"],
)
def test_non_objects_and_incomplete_objects_are_refused_by_both(data: Any) -> None:
    assert_same(woo_convert._CONVERTERS, woo_models.WooOrder, data)


class Mapping(dict[str, Any]):
    """A dict subclass: the fast function hands it to the cattrs function."""


def test_dict_subclasses_are_structured_like_dicts() -> None:
    data = Mapping(id=1, key="k", value=[1])
    meta = woo_convert._CONVERTERS.fast.get_structure_hook(woo_models.WooMeta)(data)
    assert meta == woo_models.WooMeta(id=1, key="k", value=[1])


def reference_parse_utc(value: Any) -> datetime:
    """``parse_utc`` as first written, with ``replace(tzinfo=...)`` (and, for what
    ``fromisoformat`` refuses, such as 3.10's seven-digit fractions, ``isoparse``)."""
    if type(value) is not str:
        raise TypeError(value)
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if value != value.strip():
            raise
        parsed = isoparse(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


@given(dates | good_dates | st.text(max_size=30) | st.datetimes().map(datetime.isoformat))
@example("2017-03-22+00:00")
@example("2017-03-22")
@example("0001-01-01T00:00:00")
@example("9999-12-31T23:59:59.999999")
@example("2017-03-22T19:28:08Z")
@example("2017-03-22T19:28:08T")
@example("2017-03-22T19:28:08+05:00")
def test_parse_utc_equals_the_reference_parse(text: Any) -> None:
    def run(parse: Any) -> tuple[str, Any]:
        try:
            value = parse(text)
        except Exception:  # any failure counts as a refusal
            return "refused", None
        return "accepted", (value, value.tzinfo, value.fold)

    assert run(parse_utc) == run(reference_parse_utc)


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive")


@attrs.frozen(kw_only=True)
class Checked:
    """Not filled slot by slot: a validator runs, so the generated code calls the class."""

    id: int = attrs.field(validator=_positive)
    note: Any = "n/a"
    tags: tuple[str, ...] = attrs.field(factory=tuple)
    when: datetime | None = None


@attrs.frozen
class Holder:
    """Positional fields, a nested checked class, a renamed key."""

    items: tuple[Checked, ...]
    first: Checked | None = None
    amount: Decimal = Decimal("0.00")


CHECKED = build_converters({Holder: {"amount": "total"}})
checked_items = st.fixed_dictionaries(
    {"id": st.integers(-2, 5) | st.sampled_from(["1", None])},
    optional={
        "note": json_values,
        "tags": st.lists(st.text(max_size=2), max_size=2) | st.sampled_from([[1], "x"]),
        "when": good_dates | st.sampled_from([None, "x"]),
    },
)


@given(
    st.fixed_dictionaries(
        {"items": st.lists(checked_items, max_size=3) | st.just({})},
        optional={"first": st.none() | checked_items, "total": good_money | bad_money},
    )
)
def test_classes_built_by_calling_them_take_the_same_path(data: dict[str, Any]) -> None:
    assert_same(CHECKED, Holder, data)
    assert_same(CHECKED, Checked, data.get("first") or {})
