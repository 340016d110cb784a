"""Hike POS: models, parsing, the field/endpoint table and (lazily imported) REST clients."""

from __future__ import annotations

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

__all__ = [
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
