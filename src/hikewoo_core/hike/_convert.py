"""Parse Hike JSON into models and dump models to the JSON Hike accepts (pure).

Field names come from :mod:`hikewoo_core.hike._schema`. Statuses are accepted as
Hike's names (``"Completed"``) or as the numbers Hike's app uses (``2``), and are
written as names by default; ``status_encoding="number"`` writes the numbers (per
call, or per client).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, TypeVar

import cattrs

from .._convert import (
    Converters,
    JsonLoads,
    _Invalid,
    build_converters,
    describe,
)
from .._errors import ConfigurationError
from . import _models as m
from . import _schema as schema
from ._schema import FIELDS, FULFILMENT_CODES, PAYMENT_CODES, SOURCE_CODES, StatusEncoding

E = TypeVar("E", bound=Enum)
M = TypeVar("M")

_MODELS: dict[str, type] = {name: getattr(m, name) for name in FIELDS if hasattr(m, name)}
_RENAMES = {
    _MODELS[name]: {attr: f.key for attr, f in fields.items()} for name, fields in FIELDS.items()
}


def _enum_hook(enum: type[E], codes: dict[int, str]) -> Any:
    by_name = {e.value.lower(): e for e in enum}

    def hook(value: object, _: object = None) -> E:
        if type(value) is int and value in codes:
            value = codes[value]
        if isinstance(value, str) and value.lower() in by_name:
            return by_name[value.lower()]
        allowed = ", ".join(e.value for e in enum)
        raise _Invalid(f"expected one of {allowed}, got {describe(value)}")

    return hook


def _hooks(conv: cattrs.Converter) -> None:
    conv.register_structure_hook(
        m.FulfilmentStatus, _enum_hook(m.FulfilmentStatus, FULFILMENT_CODES)
    )
    conv.register_structure_hook(m.PaymentStatus, _enum_hook(m.PaymentStatus, PAYMENT_CODES))
    conv.register_structure_hook(m.SaleSource, _enum_hook(m.SaleSource, SOURCE_CODES))
    for enum in (m.FulfilmentStatus, m.PaymentStatus, m.SaleSource):
        conv.register_unstructure_hook(enum, lambda e: e.value)


_CONVERTERS: Converters = build_converters(_RENAMES, _hooks)


def parse_hike(data: Any, cls: type[M], *, loads: JsonLoads | None = None) -> M:
    """Parse any Hike model from its JSON form (a ``dict``, ``str`` or ``bytes``)."""
    words = re.findall(r"[A-Z][a-z]*", cls.__name__.removeprefix("Hike"))
    what = f"Hike {' '.join(words).lower() or 'object'}"  # HikeSaleDraft: "Hike sale draft"
    return _CONVERTERS.parse(data, cls, loads=loads, what=what)


def parse_hike_sale(data: Any, *, loads: JsonLoads | None = None) -> m.HikeSale:
    """Parse a Hike sale (invoice) or refund sale."""
    return parse_hike(data, m.HikeSale, loads=loads)


def parse_hike_product(data: Any, *, loads: JsonLoads | None = None) -> m.HikeProduct:
    """Parse a Hike product."""
    return parse_hike(data, m.HikeProduct, loads=loads)


def parse_hike_register_closure(
    data: Any, *, loads: JsonLoads | None = None
) -> m.HikeRegisterClosure:
    """Parse a Hike register closure (one opening of a register)."""
    return parse_hike(data, m.HikeRegisterClosure, loads=loads)


_STATUS_CODES: dict[str, dict[str, int]] = {
    FIELDS["HikeSale"][attr].key: {name: code for code, name in codes.items()}
    for attr, codes in (
        ("fulfilment_status", FULFILMENT_CODES),
        ("payment_status", PAYMENT_CODES),
        ("source", SOURCE_CODES),
    )
}


def encode_statuses(
    body: dict[str, Any], status_encoding: StatusEncoding = schema.STATUS_ENCODING
) -> dict[str, Any]:
    """``body`` (a dumped sale) with its statuses as names or as Hike's app numbers.

    Acts on the top-level ``status``, ``financialStatus`` and ``invoiceFrom`` fields
    (their JSON names come from the schema). ``status_encoding`` defaults to names
    (``STATUS_ENCODING``). A name with
    no known number raises :class:`~hikewoo_core.ConfigurationError`.
    """
    encoding = status_encoding
    if encoding == "name":
        return body
    if encoding != "number":
        raise ConfigurationError(f"status encoding must be 'name' or 'number', got {encoding!r}")
    out = dict(body)
    for key, codes in _STATUS_CODES.items():
        value = out.get(key)
        if isinstance(value, str):
            if value not in codes:
                raise ConfigurationError(f"{key} {value!r} has no known Hike number")
            out[key] = codes[value]
    return out


def dump_hike(
    obj: Any, *, status_encoding: StatusEncoding = schema.STATUS_ENCODING
) -> dict[str, Any]:
    """Any Hike model in Hike's JSON form; ``parse_hike`` reads it back equal.

    Statuses of a sale or draft are written as ``status_encoding`` says (see
    :func:`encode_statuses`); other models have none.
    """
    result: dict[str, Any] = _CONVERTERS.fast.unstructure(obj)
    if isinstance(obj, (m.HikeSale, m.HikeSaleDraft)):
        result = encode_statuses(result, status_encoding)
    return result


def dump_hike_sale(
    sale: m.HikeSale | m.HikeSaleDraft,
    *,
    for_create: bool = False,
    status_encoding: StatusEncoding = schema.STATUS_ENCODING,
) -> dict[str, Any]:
    """A sale (or draft) in Hike's JSON form; with ``for_create`` the server-assigned
    ``id`` is left out. Statuses as in :func:`dump_hike`."""
    body = dump_hike(sale, status_encoding=status_encoding)
    if for_create:
        body.pop(FIELDS["HikeSale"]["id"].key, None)
    return body
