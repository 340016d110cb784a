"""Hike POS: models, parsing, the field/endpoint table and (lazily imported) REST clients.

``HikeClient`` and ``AsyncHikeClient`` are imported on first use, so importing the
models does not import httpx. The OAuth2 helpers (:mod:`hikewoo_core.hike.oauth`)
load httpx only when they send a request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .convert import (
    dump_hike,
    dump_hike_sale,
    parse_hike,
    parse_hike_product,
    parse_hike_register_closure,
    parse_hike_sale,
)
from .models import (
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
from .oauth import Tokens, authorization_url

if TYPE_CHECKING:
    from .client import HikeClient
    from .client_async import AsyncHikeClient
    from .client_oauth import (
        exchange_code,
        exchange_code_async,
        refresh_tokens,
        refresh_tokens_async,
    )
    from .probe import ProbeEntry, ProbeReport, probe_account, probe_account_async

__all__ = [
    "AsyncHikeClient",
    "HikeClient",
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
    "Tokens",
    "authorization_url",
    "dump_hike",
    "dump_hike_sale",
    "exchange_code",
    "exchange_code_async",
    "parse_hike",
    "parse_hike_product",
    "parse_hike_register_closure",
    "parse_hike_sale",
    "refresh_tokens",
    "refresh_tokens_async",
    "ProbeEntry",
    "ProbeReport",
    "probe_account",
    "probe_account_async",
]

_LAZY = {
    "HikeClient": ".client",
    "AsyncHikeClient": ".client_async",
    "exchange_code": ".client_oauth",
    "exchange_code_async": ".client_oauth",
    "refresh_tokens": ".client_oauth",
    "refresh_tokens_async": ".client_oauth",
    "ProbeEntry": ".probe",
    "ProbeReport": ".probe",
    "probe_account": ".probe",
    "probe_account_async": ".probe",
}


def __getattr__(name: str) -> Any:
    """Import the HTTP clients (and so httpx) only when they are asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
