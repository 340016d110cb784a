"""How PHP and WooCommerce read a query string, for OAuth 1.0a signing (pure).

WooCommerce verifies an OAuth signature over ``$_GET`` as PHP built it, not over the
raw query: ``status[]=a&status[]=b`` is one array ``status``, a repeated plain name
keeps only its last value, and ``.``/space in a name become ``_``. This module
reproduces that (``php_register_variable_ex``) and WooCommerce's
``normalize_parameters`` / ``join_with_equals_sign`` (``class-wc-rest-authentication.php``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias
from urllib.parse import quote, unquote_to_bytes

from .._errors import ConfigurationError

__all__ = [
    "ParamValue",
    "PhpArray",
    "flatten_params",
    "normalized_parameters",
    "php_get",
    "query_pairs",
    "rawurlencode",
    "urldecode",
]

#: A query parameter value: a scalar, or a list / mapping sent in PHP's ``a[k]=v``
#: form. ``None`` leaves the parameter out; ``True``/``False`` become ``"true"``/``"false"``.
ParamValue: TypeAlias = (
    str | int | float | Sequence["ParamValue"] | Mapping[str, "ParamValue"] | None
)
#: One level of PHP's ``$_GET``: names to strings or nested arrays, in insertion order.
PhpArray: TypeAlias = dict[str, "str | PhpArray"]

_INT_KEY = re.compile(r"-?[0-9]+")


def _scalar(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _check_name(name: str, *, top: bool) -> None:
    if (top and not name) or "[" in name or "]" in name:
        raise ConfigurationError(f"parameter names are plain ('status', not 'status[]'): {name!r}")


def _flatten(key: str, value: ParamValue, out: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _check_name(sub, top=False)
            _flatten(f"{key}[{sub}]", item, out)
    elif isinstance(value, (str, int, float)):
        out.append((key, _scalar(value)))
    else:
        for index, item in enumerate(value):
            _flatten(f"{key}[{index}]", item, out)


def flatten_params(params: Mapping[str, ParamValue]) -> list[tuple[str, str]]:
    """Query pairs in PHP's array syntax: ``{"status": ["a", "b"]}`` → ``status[0]=a&status[1]=b``.

    httpx sends a list as a repeated name (``status=a&status=b``), of which PHP keeps
    only the last. Send exactly these pairs, in this order, and sign the same.
    """
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        _check_name(key, top=True)
        _flatten(key, value, out)
    return out


def urldecode(raw: str) -> str:
    """PHP's ``urldecode()`` (``+`` is a space), byte-exact through surrogateescape."""
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", "surrogateescape")


def rawurlencode(text: str) -> str:
    """PHP's ``rawurlencode()``: RFC 3986, only ``A-Za-z0-9-._~`` left alone."""
    return quote(text.encode("utf-8", "surrogateescape"), safe="")


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The decoded ``(name, value)`` pairs of a raw query string, in order."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((urldecode(name), urldecode(value)))
    return pairs


def _php_name(name: str) -> tuple[str, list[str]]:
    """Split ``a.b[x][]`` as ``php_register_variable_ex`` does: ``("a_b", ["x", ""])``."""
    base, bracket, rest = name.lstrip(" ").partition("[")
    base = base.replace(" ", "_").replace(".", "_")
    if not bracket:
        return base, []
    if "]" not in rest:  # an unclosed first '[' is part of the name
        return f"{base}_{rest}", []
    subs = []
    while bracket == "[" and "]" in rest:
        sub, _, rest = rest.partition("]")
        subs.append(sub)
        bracket, rest = rest[:1], rest[1:]  # anything but another '[' ends the name
    return base, subs


def php_get(pairs: Iterable[tuple[str, str]]) -> PhpArray:
    """What PHP puts in ``$_GET`` for these decoded pairs (a later value wins)."""
    top: PhpArray = {}
    for raw_name, value in pairs:
        base, subs = _php_name(raw_name)
        if not base:
            continue
        node, key = top, base
        for sub in subs:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            index = sub
            if index == "":  # name[] appends at the next integer index
                ints = [int(k) for k in child if _INT_KEY.fullmatch(k)]
                index = str(max(ints) + 1 if ints else 0)
            node, key = child, index
        node[key] = value
    return top


def _join(params: PhpArray, prefix: str, out: list[str]) -> None:
    # join_with_equals_sign(): a nested name is key%5Bsub%5D (sub not encoded by
    # normalize_parameters), and each "name=value" string is encoded once more.
    for name, value in params.items():
        key = f"{prefix}%5B{name}%5D" if prefix else rawurlencode(name)
        if isinstance(value, dict):
            _join(value, key, out)
        else:
            out.append(rawurlencode(f"{key}={rawurlencode(value)}"))


def normalized_parameters(params: PhpArray) -> str:
    """The parameter part of WooCommerce's signature base string.

    Top-level names are sorted by byte value (``uksort(..., 'strcmp')``) *before*
    they are encoded; array members keep their order; pairs are joined with ``%26``.
    """
    ordered = dict(sorted(params.items(), key=lambda kv: kv[0].encode("utf-8", "surrogateescape")))
    out: list[str] = []
    _join(ordered, "", out)
    return "%26".join(out)
