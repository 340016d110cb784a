"""Hike POS: models, parsing, the field/endpoint table and (lazily imported) REST clients.

``HikeClient`` and ``AsyncHikeClient`` are imported on first use, so importing the
models does not import httpx. The OAuth2 helpers (:func:`exchange_code`, :func:`refresh_tokens`)
load httpx only when they send a request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports as _lazy_exports
from ._convert import (
    dump_hike,
    dump_hike_sale,
    parse_hike,
    parse_hike_product,
    parse_hike_register_closure,
    parse_hike_sale,
)
from ._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikeOutlet,
    HikePayment,
    HikeProduct,
    HikeRegister,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from ._oauth import DEFAULT_AUTH_BASE, Tokens, authorization_url
from ._schema import (
    ENDPOINTS,
    FIELDS,
    FULFILMENT_CODES,
    PARAMS,
    PAYMENT_CODES,
    SOURCE_CODES,
    STATUS_ENCODING,
    Endpoint,
    Field,
    Provenance,
    StatusEncoding,
    schema_markdown,
)

if TYPE_CHECKING:
    from ._client import HikeClient
    from ._client_async import AsyncHikeClient
    from ._client_oauth import (
        exchange_code,
        exchange_code_async,
        refresh_tokens,
        refresh_tokens_async,
    )
    from ._probe import Outcome, ProbeEntry, ProbeReport, probe_account, probe_account_async

__all__ = [
    # the clients and OAuth2
    "HikeClient",
    "AsyncHikeClient",
    "DEFAULT_AUTH_BASE",
    "Tokens",
    "authorization_url",
    "exchange_code",
    "exchange_code_async",
    "refresh_tokens",
    "refresh_tokens_async",
    # the field and endpoint table
    "ENDPOINTS",
    "FIELDS",
    "PARAMS",
    "STATUS_ENCODING",
    "FULFILMENT_CODES",
    "PAYMENT_CODES",
    "SOURCE_CODES",
    "Endpoint",
    "Field",
    "Provenance",
    "StatusEncoding",
    "schema_markdown",
    # probing an account
    "Outcome",
    "ProbeEntry",
    "ProbeReport",
    "probe_account",
    "probe_account_async",
    # models and parsing
    "FulfilmentStatus",
    "HikeCustomer",
    "HikeOutlet",
    "HikePayment",
    "HikeProduct",
    "HikeRegister",
    "HikeRegisterClosure",
    "HikeSale",
    "HikeSaleDraft",
    "HikeSaleLine",
    "PaymentStatus",
    "SaleSource",
    "dump_hike",
    "dump_hike_sale",
    "parse_hike",
    "parse_hike_product",
    "parse_hike_register_closure",
    "parse_hike_sale",
]

_LAZY = {
    "HikeClient": "._client",
    "AsyncHikeClient": "._client_async",
    "exchange_code": "._client_oauth",
    "exchange_code_async": "._client_oauth",
    "refresh_tokens": "._client_oauth",
    "refresh_tokens_async": "._client_oauth",
    "Outcome": "._probe",
    "ProbeEntry": "._probe",
    "ProbeReport": "._probe",
    "probe_account": "._probe",
    "probe_account_async": "._probe",
}

if not TYPE_CHECKING:  # a type checker sees the imports above, and a typo as an error
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
