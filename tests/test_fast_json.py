"""The ``fast`` extra: orjson decodes by default when installed, with ``json``'s results.

``hikewoo_core._json.loads`` is what the parsers and clients decode with when given
``loads=None``. With orjson installed it must return exactly what :func:`json.loads`
returns and refuse exactly what it refuses (orjson refuses NaN, lone surrogates, byte
order marks and more, and reads integers beyond 64 bits as floats); without orjson it
*is* :func:`json.loads`. Every decode failure, whichever ``loads`` decoded, is the
library's ``PayloadError`` at ``$``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hikewoo_core import PayloadError, _convert, _json, parse_woo_order
from hikewoo_core.hike import parse_hike_sale
from hikewoo_core.woo import parse_woo_orders, parse_woo_refund
from hikewoo_core.woo._convert import parse_woo_orders_tolerant

try:
    import orjson  # the fast extra (installed in the dev environment)
except ImportError:  # pragma: no cover - the tests below then check the stdlib default
    orjson = None
needs_orjson = pytest.mark.skipif(orjson is None, reason="orjson (the fast extra) is not installed")

ROOT = Path(__file__).resolve().parents[1]
ORDER: dict[str, Any] = {
    "id": 727,
    "status": "processing",
    "currency": "USD",
    "total": "29.35",
    "date_created_gmt": "2017-03-22T19:28:02",
    "date_modified_gmt": "2017-03-22T19:28:08",
    "meta_data": [{"key": "k", "value": {"n": 1, "f": 1.5, "s": "é"}}],
    "line_items": [
        {"id": 315, "product_id": 93, "quantity": 2, "total": "6.00", "price": 3.3333333333333335,
         "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}]},
    ],
}  # fmt: skip
RAW = json.dumps(ORDER).encode()

LOADS: dict[str, Callable[[str | bytes], Any] | None] = {
    "default": None,
    "json.loads": json.loads,
    "_json.loads": _json.loads,
    **({"orjson.loads": orjson.loads} if orjson is not None else {}),
}


def outcome(loads: Callable[[Any], Any], data: Any) -> tuple[str, str]:
    """What ``loads`` gives: the value's repr (types and NaN included), or the error."""
    try:
        return "ok", repr(loads(data))
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


# --- the default -------------------------------------------------------------------------


def test_the_default_is_orjson_when_it_is_installed() -> None:
    if orjson is None:
        assert _json.BACKEND == "json"
        assert _json.loads is json.loads
    else:
        assert _json.BACKEND == "orjson"
        assert _json.loads is not json.loads


def test_the_parsers_and_clients_decode_with_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """``loads=None`` (what the clients pass through) means ``_json.loads``."""
    seen: list[Any] = []

    def spy(data: str | bytes) -> Any:
        seen.append(data)
        return json.loads(data)

    monkeypatch.setattr(_json, "loads", spy)
    assert parse_woo_order(RAW).id == 727
    assert _convert.decode_json(b"[1]", None, what="x") == [1]
    assert parse_woo_order(RAW, loads=json.loads).id == 727  # an explicit loads wins
    assert seen == [RAW, b"[1]"]


def test_without_orjson_the_default_is_json_loads() -> None:
    """orjson blocked (``sys.modules['orjson'] = None``): the stdlib decodes, and parses
    exactly as before."""
    code = textwrap.dedent(
        """
        import json, sys
        sys.modules["orjson"] = None
        from hikewoo_core import _json, parse_woo_order
        assert _json.BACKEND == "json", _json.BACKEND
        assert _json.loads is json.loads
        raw = sys.stdin.buffer.read()
        order = parse_woo_order(raw)
        assert order == parse_woo_order(json.loads(raw))
        assert order.meta("k") == {"n": 1, "f": 1.5, "s": "\\u00e9"}
        print(order.id, order.line_items[0].taxes[0].total)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=RAW,
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split() == ["727", "0.45"]


# --- the same results as json.loads ------------------------------------------------------

EDGES: list[bytes | str] = [
    RAW,
    RAW.decode(),
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b"1e400",
    b"[-1e400, 1.7976931348623157e309]",
    b"18446744073709551615",  # 2**64 - 1: orjson reads it exactly
    b"18446744073709551616",  # 2**64: orjson reads a float
    b"-9223372036854775808",
    b"-9223372036854775809",  # below -2**63: orjson reads a float
    b'{"id": 123456789012345678901234567890}',
    b'{"meta": [{"value": 99999999999999999999}]}',
    b'"1234567890123456789012345"',  # a long run of digits in a string: json decodes
    b"0.1000000000000000055511151231257827",
    b"[4.9e-324, 2.2250738585072011e-308, 1e-400, -0.0, -0]",
    b'"\\ud800"',  # a lone surrogate, escaped
    '"\ud800"',  # a lone surrogate in a str
    b'"\xed\xa0\x80"',  # a surrogate encoded in UTF-8
    b'"\\ud83d\\ude00"',
    b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 byte order mark
    '\ufeff{"a": 1}',
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-32"),
    '{"a": 1}'.encode("utf-16-le"),
    b"1\x00",
    b'{"a": 1, "a": 2}',
    b'"a\x01"',
    b"[1,]",
    b"{}x",
    b"",
    b"   ",
    b"\xff",
    b'"\\x"',
    b"[" * 1100 + b"]" * 1100,  # orjson's limit is 1,024
    b"[" * 50_000 + b"]" * 50_000,
    b"1" * 5000,  # more digits than int() converts
    b'{"a": "\\u00e9\\u0000"}',
    b" \t\r\n[true, false, null] \n",
    b"\x0c[]",
]


@pytest.mark.parametrize("data", EDGES, ids=lambda d: repr(d)[:40])
def test_the_default_decodes_exactly_as_json_loads(data: bytes | str) -> None:
    assert outcome(_json.loads, data) == outcome(json.loads, data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values, st.booleans(), st.booleans())
@example(2**64, False, True)
@example(-(2**63) - 1, True, False)
@example(float("nan"), True, True)
@example({"\ud800": "\udfff"}, False, False)
def test_documents_decode_to_the_same_values(value: Any, ascii_only: bool, as_bytes: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    data: Any = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert outcome(_json.loads, data) == outcome(json.loads, data)


@given(st.text(alphabet='0123456789.eE+-[]{},:" \\untrufalsNIiy', max_size=40))
def test_any_text_decodes_or_fails_as_with_json_loads(text: str) -> None:
    assert outcome(_json.loads, text) == outcome(json.loads, text)
    assert outcome(_json.loads, text.encode()) == outcome(json.loads, text.encode())


@needs_orjson
def test_a_huge_integer_reads_the_same_with_or_without_orjson() -> None:
    """json reads integers of any size exactly; orjson would read a float: so the default
    hands such a document to json, and an order reads the same either way."""
    doc = dict(ORDER, id=2**70, meta_data=[{"key": "big", "value": -(2**64)}])
    data = json.dumps(doc).encode()
    for loads in (None, json.loads):
        order = parse_woo_order(data, loads=loads)
        assert order.id == 2**70
        assert order.meta("big") == -(2**64)
        assert type(order.meta("big")) is int
    assert orjson is not None
    assert orjson.loads(data)["id"] == float(2**70)  # what orjson alone would give


@pytest.mark.parametrize("loads", [None, json.loads], ids=["default", "json.loads"])
def test_nan_amounts_are_refused_the_same_way(loads: Callable[..., Any] | None) -> None:
    """orjson refuses a bare NaN; json reads it as a float, which the parser then
    refuses as an amount, at its path. The default gives json's answer."""
    data = RAW.replace(b'"total": "29.35"', b'"total": NaN')
    with pytest.raises(PayloadError) as info:
        parse_woo_order(data, loads=loads)
    assert info.value.paths == ("$.total",)
    assert "finite" in info.value.problems[0][1]


# --- every decode failure is a PayloadError at $ -----------------------------------------

BAD_JSON: list[bytes | str] = [
    b"{not json",
    b"",
    b"\xff\xfe\xfd",
    b'{"id": 1,}',
    b"[" * 5000 + b"]" * 4999,  # deep and unclosed (json reads 5,000 levels on 3.13)
    b"[" * 200_000,
    '"\ud800',
    b'{"a": "\x01"}',
    b"{}{}",
]


@pytest.mark.parametrize("name", list(LOADS))
@pytest.mark.parametrize("data", BAD_JSON, ids=lambda d: repr(d)[:30])
def test_bad_json_is_a_payload_error_at_the_root(name: str, data: bytes | str) -> None:
    loads = LOADS[name]
    for parse in (parse_woo_order, parse_woo_refund, parse_woo_orders, parse_hike_sale):
        with pytest.raises(PayloadError) as info:
            parse(data, loads=loads)
        assert info.value.paths == ("$",)
        [(_, message)] = info.value.problems
        assert message.startswith(("not valid JSON (", "JSON nested too deeply")), message


@pytest.mark.parametrize("name", list(LOADS))
def test_every_loads_reads_an_order_the_same(name: str) -> None:
    order = parse_woo_order(RAW, loads=LOADS[name])
    assert order == parse_woo_order(ORDER)
    assert repr(order) == repr(parse_woo_order(ORDER))
    assert str(order.line_items[0].price) == "3.3333333333333335"
    [listed] = parse_woo_orders(b"[" + RAW + b"]", loads=LOADS[name])
    assert listed == order
    [tolerant] = parse_woo_orders_tolerant(b"[" + RAW + b"]", loads=LOADS[name])
    assert tolerant == order


def test_a_run_of_19_digits_sends_the_document_to_json() -> None:
    """Documents with a run of 19 digits go to json.loads (orjson might read a float)."""
    assert _json._LONG_RUN not in RAW.translate(_json._DIGITS)
    assert _json._LONG_RUN in b'{"a": 1234567890123456789}'.translate(_json._DIGITS)
    assert math.isnan(_json.loads(b"NaN"))


def test_the_fast_extra_is_declared_and_the_runtime_dependencies_unchanged() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["fast"] == ["orjson>=3.9"]
    names = [d.split(">")[0].split("=")[0] for d in project["dependencies"]]
    assert names == ["attrs", "cattrs", "httpx", "python-dateutil"]
