"""Malformed payloads for every parser: only the library's errors, with paths that exist.

Hypothesis starts from valid payloads (the real WooCommerce 10.0.2 captures and the
REST docs' examples when ``shared/`` is beside the clone, built-in payloads otherwise;
Hike payloads dumped from the fake) and mutates them: keys deleted, values swapped for
other types (strings, integers, floats, booleans, ``null``, arrays, objects, NaN,
infinities, huge integers, very long strings, unicode), JSON bytes truncated, nested
100,000 levels deep, garbled or re-encoded (UTF-16, UTF-32, Latin-1, a BOM).

A second property (issue 12, item 6) puts lenient money in valid payloads: amounts
that ``Decimal()`` reads but WooCommerce never writes (``"1_0.00"``, full-width and other
non-ASCII digits, whitespace, ``"+10"``, exponents such as ``"1e999"`` and ``"1E+30"``,
``"NaN"``, ``"10,00"``) in one to three amount fields, and negative quantities on order
lines: the parser must raise :class:`~hikewoo_core.PayloadError` naming exactly those
paths.

Whatever the input, a parser either returns a model or raises a
:class:`~hikewoo_core.HikeWooError` (for a parser, a
:class:`~hikewoo_core.PayloadError`); never ``KeyError``, ``TypeError``,
``AttributeError``, ``decimal.InvalidOperation`` or ``RecursionError``. Every problem
of a :class:`~hikewoo_core.PayloadError` has a ``$``-rooted JSON path that exists in
the payload, or names a key missing from an object that does.

How many cases: each ``@given`` test runs the Hypothesis profile's count (60 in CI,
10,000 with ``HYPOTHESIS_PROFILE=nightly``); ``--run-slow`` adds one test running
10,000 cases over every parser at once.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
import re
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hikewoo_core import (
    HikeWooError,
    PayloadError,
    SqliteLedger,
    WebhookSignatureError,
    parse_woo_order,
    parse_woo_refund,
)
from hikewoo_core.hike import _models as hike_models
from hikewoo_core.hike import dump_hike, parse_hike, parse_hike_sale
from hikewoo_core.hike._oauth import parse_token_response
from hikewoo_core.hike._schema import FIELDS as HIKE_FIELDS
from hikewoo_core.testing import FakeClock, FakeHike
from hikewoo_core.woo import parse_woo_error, parse_woo_orders, parse_woo_refunds
from hikewoo_core.woo._models import WooOrder, WooRefund
from hikewoo_core.woo._webhooks import verify_woo_webhook

from ._shared import DOCS_EXAMPLES, REAL, WOO_FIXTURES, load
from .test_bad_payloads import ORDER as BUILT_IN_ORDER

Json = Any
Parser = Callable[[Any], object]

# --- valid payloads to start from ---------------------------------------------------

BUILT_IN_REFUND: dict[str, Json] = {
    "id": 728,
    "date_created_gmt": "2017-03-22T19:30:00",
    "amount": "10.00",
    "reason": "chipped",
    "refunded_by": 1,
    "meta_data": [{"id": 9, "key": "_hike_refund_sale_id", "value": "55"}],
    "line_items": [
        {"id": 320, "product_id": 93, "quantity": -1, "total": "-10.00", "subtotal": "-10.00",
         "refund_total": 10, "meta_data": [{"key": "_refunded_item_id", "value": "315"}],
         "taxes": [{"id": 75, "total": "-0.75", "subtotal": "-0.75"}]},
    ],
}  # fmt: skip
BUILT_IN_ERROR: dict[str, Json] = {
    "code": "woocommerce_rest_shop_order_invalid_id",
    "message": "Invalid ID.",
    "data": {"status": 404},
}


def _body(path: Path) -> Json:
    return load(path)["body"]


def _first(items: list[Json], count: int = 3) -> list[Json]:
    return items[:count]  # a 100-order page mutates (and parses) slowly: keep a few


def _woo_seeds() -> dict[str, list[Json]]:
    seeds: dict[str, list[Json]] = {
        "order": [BUILT_IN_ORDER],
        "refund": [BUILT_IN_REFUND],
        "error": [BUILT_IN_ERROR, {"code": "x", "message": "y", "data": 500}],
    }
    if WOO_FIXTURES.is_dir():  # the docs' examples and the real 10.0.2 captures
        seeds["order"] += [load(DOCS_EXAMPLES / "order_retrieve_response.json")]
        seeds["refund"] += [load(DOCS_EXAMPLES / "order_refund_retrieve_response.json")]
        for path in sorted(REAL.glob("*.json")):
            if path.name.startswith("_"):
                continue
            capture = load(path)
            body, name = capture["body"], path.stem
            if (capture.get("request") or {}).get("params", {}).get("_fields"):
                # ``_fields`` trims each order to the fields asked for: such a listing
                # is not a list of orders (test_a_fields_listing_is_not_a_list_of_orders)
                seeds.setdefault("trimmed", []).append(_first(body))
            elif name.startswith("order_refunds_list"):
                seeds.setdefault("refunds", []).append(_first(body))
            elif name.startswith("order_refund_") and isinstance(body, dict) and "amount" in body:
                seeds["refund"].append(body)
            elif name.startswith("orders_list") and isinstance(body, list) and body:
                seeds.setdefault("orders", []).append(_first(body))
            elif name.startswith("order_") and isinstance(body, dict) and "line_items" in body:
                seeds["order"].append(body)
            elif isinstance(body, dict) and set(body) == {"code", "message", "data"}:
                seeds["error"].append(body)
    seeds.setdefault("orders", []).append([BUILT_IN_ORDER, BUILT_IN_ORDER])
    seeds.setdefault("trimmed", []).append([{"id": 7, "status": "pending"}])
    seeds.setdefault("refunds", []).append([BUILT_IN_REFUND])
    return seeds


def _hike_seeds() -> dict[type, list[Json]]:
    """Hike's JSON forms of every model, dumped from a fake store's records."""
    fake = FakeHike(clock=FakeClock())
    fake.add_product("MUG", "Mug", stock=10, serial_number_enabled=True)
    customer = fake.add_customer("Ada", "Lovelace", "ada@example.com")
    sale = fake.record_sale(
        [("MUG", 2, "12.50"), ("TEA", 1, "8.00")],
        [("Cash", "10.00"), ("Card", "23.00")],
        customer=customer,
    )
    refund = fake.refund_sale(sale.id, amount=Decimal("5.00"))
    closure = fake.current_closure(1)
    assert closure is not None
    draft = hike_models.HikeSaleDraft(
        fulfilment_status=hike_models.FulfilmentStatus.COMPLETED,
        payment_status=hike_models.PaymentStatus.PAID,
        total=Decimal("33.00"),
        outlet_id=1,
        register_id=1,
        external_reference="woo:7",
        transaction_date=datetime(2026, 11, 27, 2, 8, 10, tzinfo=timezone.utc),
        lines=sale.lines,
        payments=sale.payments,
    )
    records: list[object] = [
        sale, refund, draft, closure, customer, fake.product("MUG"), *fake.outlets(),
        *sale.lines, *sale.payments,
    ]  # fmt: skip
    records.append(fake.add_register("Counter 2"))
    seeds: dict[type, list[Json]] = {}
    for record in records:
        seeds.setdefault(type(record), []).append(dump_hike(record))
    return seeds


WOO_SEEDS = _woo_seeds()
HIKE_SEEDS = _hike_seeds()
TOKEN_SEEDS: list[Json] = [
    {
        "access_token": "a" * 40,
        "refresh_token": "r" * 40,
        "expires_in": 3600,
        "token_type": "bearer",
    }
]
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def _token(data: Json) -> object:
    return parse_token_response(data, now=NOW)


def _hike(cls: type) -> Parser:
    def parse(data: Json) -> object:
        return parse_hike(data, cls)

    parse.__name__ = f"parse_hike_{cls.__name__}"
    return parse


#: ``name -> (parser, valid payloads, whether it also takes bytes)``.
TARGETS: dict[str, tuple[Parser, list[Json], bool]] = {
    "parse_woo_order": (parse_woo_order, WOO_SEEDS["order"], True),
    "parse_woo_refund": (parse_woo_refund, WOO_SEEDS["refund"], True),
    "parse_woo_error": (parse_woo_error, WOO_SEEDS["error"], True),
    "parse_woo_orders": (parse_woo_orders, WOO_SEEDS["orders"], True),
    "parse_woo_refunds": (parse_woo_refunds, WOO_SEEDS["refunds"], True),
    "parse_hike_sale": (parse_hike_sale, HIKE_SEEDS[hike_models.HikeSale], True),
    **{
        f"parse_hike({cls.__name__})": (_hike(cls), seeds, True)
        for cls, seeds in HIKE_SEEDS.items()
    },
    "parse_token_response": (_token, TOKEN_SEEDS, False),
}


def test_the_seeds_are_valid_and_cover_every_model() -> None:
    for name, (parse, seeds, _) in TARGETS.items():
        assert seeds, name
        for seed in seeds:
            parse(copy.deepcopy(seed))  # raises if a seed is not valid to begin with
    models = {
        cls
        for name, cls in vars(hike_models).items()
        if isinstance(cls, type) and hasattr(cls, "__attrs_attrs__") and not name.startswith("_")
    }
    assert models <= set(HIKE_SEEDS), models - set(HIKE_SEEDS)


def test_a_fields_listing_is_not_a_list_of_orders() -> None:
    """``_fields`` listings (real ones when ``shared/`` is there) hold partial objects:
    the order parser refuses them, naming every missing field of every item."""
    for listing in WOO_SEEDS["trimmed"]:
        with pytest.raises(PayloadError) as info:
            parse_woo_orders(copy.deepcopy(listing))
        missing = {p for p, m in info.value.problems if m == "required field is missing"}
        assert {p.split(".")[0] for p in missing} == {f"$[{i}]" for i in range(len(listing))}


# --- mutations ------------------------------------------------------------------------

Step = str | int
WEIRD_STRINGS = [
    "", " ", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "-0", "0x10", "1_000",
    " 12 ", "\uff11\uff12", "٣", "12.345678901234567890123456789", "9" * 5000, "x" * 100_000,
    "2017-13-45T99:99:99", "2017-03-22T19:28:02+99:00", "0000-00-00T00:00:00", "\x00",
    "\ud800", "é" * 10, "🧾" * 3, "true", "null", "[]", "{}", "Completed", "Paid",
    "1_0.00", "\uff11\uff10.\uff10\uff10", " 10.00", "10.00 ", "1E+30", "+10.00", ".5",
]  # fmt: skip
WEIRD_NUMBERS: list[Json] = [
    0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, 10**400, 1.5, -0.0, 1e308, 1e-320,
    float("nan"), float("inf"), float("-inf"), True, False,
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(WEIRD_STRINGS),
    st.sampled_from(WEIRD_NUMBERS),
)
VALUES = st.recursive(
    SCALARS | st.builds(list) | st.builds(dict),  # empty containers too
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Json, here: tuple[Step, ...] = ()) -> list[tuple[Step, ...]]:
    found = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*here, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*here, index))
    return found


def _mutate(draw: st.DrawFn, doc: Json) -> Json:
    path = draw(st.sampled_from(_paths(doc)))
    op = draw(st.sampled_from(["delete", "replace", "replace", "replace", "wrap", "empty"]))
    if op == "delete" and path:
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
        return doc
    target = doc
    for step in path:
        target = target[step]
    if op == "wrap":
        new: Json = [target] if draw(st.booleans()) else {"value": target}
    elif op == "empty":
        new = type(target)() if isinstance(target, (dict, list, str)) else None
    else:
        new = draw(VALUES)
    if not path:
        return new
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return doc


_NOT_JSON = object()
#: How deep "nested" payloads go. Deeper ones (2,000 and 100,000 levels) make
#: ``json.loads`` raise RecursionError, which ``decode_json`` does not catch yet: see
#: test_deep_nesting_is_a_payload_error_not_a_recursion_error.
NESTING = (64, 900, 2_000, 100_000)


def _encode(draw: st.DrawFn, doc: Json) -> tuple[Json, Json]:
    """The input to give the parser, and what it decodes to (``_NOT_JSON`` if nothing)."""
    form = draw(
        st.sampled_from(
            ["object", "object", "bytes", "text", "truncated", "garbled", "encoded", "nested"]
        )
    )
    if form == "object":
        return doc, _decoded(doc)
    try:
        text = json.dumps(doc)
    except ValueError:  # an integer beyond Python's 4300-digit str() limit
        return doc, _decoded(doc)
    if form == "nested":
        depth = draw(st.sampled_from(NESTING))
        text = "[" * depth + text + "]" * depth
        data: Json = text.encode()
    elif form == "text":
        data = text
    elif form == "truncated":
        whole = text.encode()
        data = whole[: draw(st.integers(0, max(len(whole) - 1, 0)))]
    elif form == "garbled":
        garbled = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 3))):
            if garbled:
                garbled[draw(st.integers(0, len(garbled) - 1))] = draw(st.integers(0, 255))
        data = bytes(garbled)
    elif form == "encoded":
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig", "latin-1"]))
        data = text.encode(codec, errors="replace")
    else:
        data = text.encode()
    return data, _decoded(data)


def _decoded(data: Json) -> Json:
    """What a parser sees once it decoded ``data`` (text and bytes are JSON to decode)."""
    if not isinstance(data, (str, bytes)):
        return data
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return _NOT_JSON


@st.composite
def malformed(draw: st.DrawFn, seeds: list[Json], *, raw: bool = True) -> tuple[Json, Json]:
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        doc = _mutate(draw, doc)
    return _encode(draw, doc) if raw else (doc, doc)


# --- the property --------------------------------------------------------------------

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _steps(path: str) -> list[Step]:
    assert path.startswith("$"), f"path {path!r} is not rooted at $"
    steps: list[Step] = []
    rest = path[1:]
    while rest:
        match = _STEP.match(rest)
        assert match, f"path {path!r} is not a JSON path"
        steps.append(match[1] if match[1] is not None else int(match[2]))
        rest = rest[match.end() :]
    return steps


def check_paths(error: PayloadError, decoded: Json) -> None:
    """Every problem's path exists in the payload, or names a key its object lacks."""
    assert error.problems, "a PayloadError lists at least one problem"
    for path, message in error.problems:
        assert message
        steps = _steps(path)
        if decoded is _NOT_JSON:
            assert steps == [], f"{path}: the payload is not JSON, only $ can be at fault"
            continue
        node = decoded
        for index, step in enumerate(steps):
            if isinstance(step, int):
                assert isinstance(node, list), f"{path}: {step} indexes a non-array"
                assert 0 <= step < len(node), f"{path}: no item {step}"
                node = node[step]
            else:
                assert isinstance(node, dict), f"{path}: .{step} of a non-object"
                if step not in node:
                    assert index == len(steps) - 1, f"{path}: .{step} is missing mid-path"
                    break
                node = node[step]


def only_library_errors(parse: Parser, data: Json, decoded: Json) -> None:
    try:
        parse(data)
    except PayloadError as exc:
        check_paths(exc, decoded)
        str(exc)  # renders
    except HikeWooError:
        pass
    # anything else (KeyError, TypeError, RecursionError...) fails the test


WOO_TARGETS = [name for name in TARGETS if "woo" in name]
HIKE_TARGETS = [name for name in TARGETS if "woo" not in name]


@pytest.mark.parametrize("name", list(TARGETS))
@given(data=st.data())
def test_malformed_payloads_raise_only_library_errors(name: str, data: st.DataObject) -> None:
    parse, seeds, raw = TARGETS[name]
    payload, decoded = data.draw(malformed(seeds, raw=raw), label="payload")
    only_library_errors(parse, payload, decoded)


def test_deep_nesting_is_a_payload_error_not_a_recursion_error() -> None:
    for depth in (2_000, 100_000):
        for parse, _, raw in TARGETS.values():
            if raw:
                with pytest.raises(PayloadError) as info:
                    parse(b"[" * depth + b"]" * depth)
                # Python 3.13's decoder takes 2,000 levels; then a list parser meets an
                # array where its first element should be an object.
                assert info.value.paths in (("$",), ("$[0]",))


@pytest.mark.parametrize("lifetime", [251_606_563_200, 10**30, "9" * 5000, "\uff11\uff12", -1, 2.5])
def test_an_absurd_token_lifetime_is_a_payload_error(lifetime: Json) -> None:
    """Found by the nightly run: a huge ``expires_in`` overflowed the datetime."""
    with pytest.raises(PayloadError) as info:
        parse_token_response({"access_token": "a", "expires_in": lifetime}, now=NOW)
    assert info.value.paths == ("$.expires_in",)


# --- lenient money and negative order quantities -------------------------------------

_DIGITS = {  # Unicode decimal digits Decimal() reads as 0-9
    "full-width": 0xFF10, "arabic-indic": 0x0660, "devanagari": 0x0966, "bold": 0x1D7CE,
}  # fmt: skip
_SPACES = [" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000"]


def _underscored(text: str) -> str:
    for i in range(len(text) - 1):
        if text[i].isdigit() and text[i + 1].isdigit():
            return text[: i + 1] + "_" + text[i + 1 :]
    return text + "_0"


@st.composite
def lenient_amount(draw: st.DrawFn, amount: Json) -> str:
    """A form of ``amount`` that ``Decimal()`` reads (or once reached it) and WooCommerce
    never writes."""
    text = amount if isinstance(amount, str) else repr(amount)
    rule = draw(st.sampled_from(
        ["underscore", "digits", "space", "exponent", "absurd", "plus", "special", "comma"]
    ))  # fmt: skip
    if rule == "underscore":
        return _underscored(text)
    if rule == "digits":
        zero = _DIGITS[draw(st.sampled_from(sorted(_DIGITS)))]
        places = [i for i, c in enumerate(text) if "0" <= c <= "9"]
        chosen = places if draw(st.booleans()) else [draw(st.sampled_from(places))]
        return "".join(chr(zero + int(c)) if i in chosen else c for i, c in enumerate(text))
    if rule == "space":
        before, after = draw(st.sampled_from(_SPACES)), draw(st.sampled_from(_SPACES))
        where = draw(st.sampled_from(["before", "after", "both"]))
        return (before if where != "after" else "") + text + (after if where != "before" else "")
    if rule == "exponent":
        return text + draw(st.sampled_from(["e0", "E0", "e+0", "E-0", "e2", "E-2"]))
    if rule == "absurd":
        return draw(st.sampled_from(["1e999", "1E+30", "-1E+30", "1E2", "1e-5", "9" * 16]))
    if rule == "plus":
        return "+" + text.removeprefix("-")
    if rule == "special":
        return draw(st.sampled_from(["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "0x10"]))
    # "comma": a decimal comma, or a thousands separator (".99" and "5." are plain: a
    # product's price is served as the merchant typed it)
    if "." in text:
        return text.replace(".", ",")
    return text[:1] + "," + text[1:] if len(text) > 1 else text + ",0"


def _json_key(cls: type, name: str) -> str:
    hike = HIKE_FIELDS.get(cls.__name__)
    return hike[name].key if hike is not None and name in hike else name


def amount_paths(
    doc: Json, t: Any, here: tuple[Step, ...] = ()
) -> tuple[list[tuple[Step, ...]], list[tuple[Step, ...]]]:
    """The paths of every amount in ``doc`` (read as type ``t``), and of every order
    line's quantity."""
    amounts: list[tuple[Step, ...]] = []
    quantities: list[tuple[Step, ...]] = []
    args = typing.get_args(t)
    if len(args) == 2 and type(None) in args:  # X | None
        t = args[0] if args[1] is type(None) else args[1]
        args = typing.get_args(t)
    if typing.get_origin(t) is tuple and isinstance(doc, list):
        for index, item in enumerate(doc):
            more, qty = amount_paths(item, args[0], (*here, index))
            amounts += more
            quantities += qty
    elif isinstance(t, type) and attrs.has(t) and isinstance(doc, dict):
        hints = typing.get_type_hints(t)
        for a in attrs.fields(t):
            key = _json_key(t, a.name)
            if key not in doc or doc[key] is None:
                continue
            hint = hints[a.name]
            if hint is Decimal or hint == Decimal | None:
                amounts.append((*here, key))
            else:
                more, qty = amount_paths(doc[key], hint, (*here, key))
                amounts += more
                quantities += qty
        lines = doc.get("line_items")
        if t is WooOrder and isinstance(lines, list):
            quantities += [(*here, "line_items", i, "quantity") for i in range(len(lines))]
    return amounts, quantities


def _json_path(steps: tuple[Step, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)


#: ``name -> (parser, valid payloads, the type they are read as)``.
MONEY_TARGETS: dict[str, tuple[Parser, list[Json], Any]] = {
    "parse_woo_order": (parse_woo_order, WOO_SEEDS["order"], WooOrder),
    "parse_woo_orders": (parse_woo_orders, WOO_SEEDS["orders"], tuple[WooOrder, ...]),
    "parse_woo_refund": (parse_woo_refund, WOO_SEEDS["refund"], WooRefund),
    "parse_woo_refunds": (parse_woo_refunds, WOO_SEEDS["refunds"], tuple[WooRefund, ...]),
    **{
        f"parse_hike({cls.__name__})": (_hike(cls), seeds, cls)
        for cls, seeds in HIKE_SEEDS.items()
        if amount_paths(seeds[0], cls)[0]
    },
}


def test_the_lenient_money_fuzz_reaches_every_kind_of_amount() -> None:
    """Every money-holding model is a target, and the seeds hold amounts to spoil (and
    order lines whose quantity to turn negative)."""
    assert {"parse_hike(HikeSale)", "parse_hike(HikeSaleDraft)"} <= set(MONEY_TARGETS)
    for name, (_, seeds, t) in MONEY_TARGETS.items():
        assert all(amount_paths(seed, t)[0] for seed in seeds), name
    assert all(amount_paths(seed, WooOrder)[1] for seed in WOO_SEEDS["order"])


@pytest.mark.parametrize("name", list(MONEY_TARGETS))
@given(data=st.data())
def test_lenient_money_and_negative_order_quantities_are_refused_naming_each_path(
    name: str, data: st.DataObject
) -> None:
    parse, seeds, t = MONEY_TARGETS[name]
    # Through JSON, not deepcopy: a seed listing the same object twice must not keep
    # the two items one object (spoiling one would spoil both).
    doc = json.loads(json.dumps(data.draw(st.sampled_from(seeds), label="seed")))
    amounts, quantities = amount_paths(doc, t)
    spoiled = data.draw(
        st.lists(st.sampled_from(amounts + quantities), min_size=1, max_size=3, unique=True),
        label="paths",
    )
    for path in spoiled:
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if path in quantities:
            parent[path[-1]] = data.draw(st.integers(max_value=-1), label="quantity")
        else:
            parent[path[-1]] = data.draw(lenient_amount(parent[path[-1]]), label="amount")
    form = data.draw(st.sampled_from(["object", "utf8-bytes", "escaped-bytes", "text"]))
    payload: Json = {
        "object": lambda: doc,
        "utf8-bytes": lambda: json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"),
        "escaped-bytes": lambda: json.dumps(doc).encode(),
        "text": lambda: json.dumps(doc, ensure_ascii=False),
    }[form]()
    with pytest.raises(PayloadError) as info:  # anything else fails the test
        parse(payload)
    assert sorted(info.value.paths) == sorted(_json_path(p) for p in spoiled)
    check_paths(info.value, doc)


# --- webhooks ------------------------------------------------------------------------

WEBHOOK_SECRET = "whsec-fuzz-9a8b7c"
DELIVERIES = REAL / "webhook_deliveries"
REAL_SECRET = "whsecret"  # the captures' README says so


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, topic: str = "order.updated", **extra: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "d1",
        **extra,
    }


@given(data=st.data())
def test_signed_malformed_bodies_raise_only_library_errors(data: st.DataObject) -> None:
    payload, _ = data.draw(malformed(WOO_SEEDS["order"]), label="payload")
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode("utf-8", "surrogatepass")  # a lone surrogate: not UTF-8
    else:
        try:
            body = json.dumps(payload).encode()
        except ValueError:  # an integer beyond Python's 4300-digit str() limit
            body = b"{}"
    decoded = _decoded(body)
    topic = data.draw(st.sampled_from(["order.updated", "order.created", "order.deleted",
                                       "product.updated", "action.woocommerce_x"]))  # fmt: skip
    try:
        event = verify_woo_webhook(body, headers_for(body, topic), WEBHOOK_SECRET)
    except PayloadError as exc:
        check_paths(exc, decoded)
    except WebhookSignatureError:
        pass
    else:
        assert event.body_digest == hashlib.sha256(body).hexdigest()


VALID_BODY = json.dumps(BUILT_IN_ORDER).encode()


@given(
    cut=st.integers(0, len(VALID_BODY) - 1),
    codec=st.sampled_from(["utf-16", "utf-32", "utf-8-sig"]),
    flip=st.integers(0, len(VALID_BODY) - 1),
    wrong=st.text(min_size=1, max_size=30),
)
def test_truncated_reencoded_altered_or_wrongly_signed_deliveries_are_rejected(
    cut: int, codec: str, flip: int, wrong: str
) -> None:
    headers = headers_for(VALID_BODY)  # signed for the body as sent
    altered = bytearray(VALID_BODY)
    altered[flip] ^= 0x01
    for received in (
        VALID_BODY[:cut],
        VALID_BODY.decode().encode(codec),
        bytes(altered),
        json.dumps(json.loads(VALID_BODY), indent=1).encode(),  # re-serialised
    ):
        with pytest.raises(WebhookSignatureError):
            verify_woo_webhook(received, headers, WEBHOOK_SECRET)
    if wrong != WEBHOOK_SECRET:
        with pytest.raises(WebhookSignatureError):
            verify_woo_webhook(VALID_BODY, headers, wrong)
    assert verify_woo_webhook(VALID_BODY, headers, WEBHOOK_SECRET).order is not None


Delivery = tuple[bytes, dict[str, str], str]


def _real_deliveries() -> list[Delivery]:
    captured = [load(p) for p in sorted(DELIVERIES.glob("*.json"))]
    return [(c["raw_body"].encode(), c["headers"], REAL_SECRET) for c in captured]


def _built_in_deliveries() -> list[Delivery]:
    """Two changes of one order, the second delivered twice (another delivery id)."""
    first, second = (
        json.dumps(
            {**BUILT_IN_ORDER, "status": s, "date_modified_gmt": f"2017-03-22T19:3{i}:00"}
        ).encode()
        for i, s in enumerate(("processing", "completed"))
    )
    return [
        (first, headers_for(first), WEBHOOK_SECRET),
        (second, headers_for(second), WEBHOOK_SECRET),
        (second, headers_for(second, **{"X-WC-Webhook-Delivery-ID": "d2"}), WEBHOOK_SECRET),
    ]


@pytest.mark.parametrize("source", ["real", "built-in"])
def test_replays_and_duplicate_deliveries_are_deduplicated_through_the_ledger(
    source: str, tmp_path: Path
) -> None:
    if source == "real" and not DELIVERIES.is_dir():
        pytest.skip(f"real webhook deliveries not found at {DELIVERIES}; see tests/_shared.py")
    deliveries = _real_deliveries() if source == "real" else _built_in_deliveries()
    events = [verify_woo_webhook(body, headers, secret) for body, headers, secret in deliveries]
    distinct = {e.dedup_key for e in events}
    assert 1 < len(distinct) < len(events), "the deliveries hold repeats"
    ledger = SqliteLedger(tmp_path / "ledger.db")
    rounds = [list(range(len(deliveries))) for _ in range(3)]
    for number, order in enumerate(rounds[1:]):
        random.Random(number).shuffle(order)
    new = 0
    for order in rounds:  # every delivery, then two replays of all of them, shuffled
        for index in order:
            body, headers, secret = deliveries[index]
            if ledger.add_if_new(verify_woo_webhook(body, headers, secret).dedup_key):
                new += 1
    ledger.close()
    assert new == len(distinct), "each distinct delivery was new exactly once"
    reopened = SqliteLedger(tmp_path / "ledger.db")  # a restart remembers
    assert not any(reopened.add_if_new(key) for key in distinct)
    reopened.close()


# --- the 10,000-case run -----------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_ten_thousand_malformed_payloads_over_every_parser(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(list(TARGETS)), label="parser")
    parse, seeds, raw = TARGETS[name]
    payload, decoded = data.draw(malformed(seeds, raw=raw), label="payload")
    only_library_errors(parse, payload, decoded)
