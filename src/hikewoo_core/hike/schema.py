"""Every JSON field and endpoint name this library uses for Hike, in one table (pure).

Hike documents little of its API (OAuth2, ``POST /sales/create_ecommerce_sale``,
``GET /outlets/get_all_active``); the rest comes from public third-party code
and Hike's own app models, or is assumed. Each entry says which, so a user who
learns the truth corrects one line here. See ``docs/hike.md``.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

import attrs

__all__ = [
    "ENDPOINTS",
    "FIELDS",
    "FULFILMENT_CODES",
    "PAYMENT_CODES",
    "SOURCE_CODES",
    "Endpoint",
    "Field",
    "Provenance",
]


class Provenance(str, Enum):
    """How sure we are of a name."""

    DOCUMENTED = "documented by Hike"
    THIRD_PARTY = "seen in public third-party code or Hike's app models"
    ASSUMED = "assumed (not published anywhere we could read)"


@attrs.frozen
class Field:
    """A JSON key and where it comes from."""

    key: str
    provenance: Provenance
    note: str = ""


@attrs.frozen
class Endpoint:
    """An HTTP method and path (relative to ``/api/v1``) and where it comes from."""

    method: str
    path: str
    provenance: Provenance
    note: str = ""


D, T, A = Provenance.DOCUMENTED, Provenance.THIRD_PARTY, Provenance.ASSUMED

#: model name -> attribute -> JSON field.
FIELDS: Final[dict[str, dict[str, Field]]] = {
    "HikeSale": {
        "id": Field("id", T),
        "number": Field("number", T, "invoice number"),
        "fulfilment_status": Field("status", T, "name or number: unknown; names sent"),
        "payment_status": Field("financialStatus", T, "Hike app: FinancialStatus"),
        "total": Field("netAmount", T),
        "outlet_id": Field("outletId", T),
        "register_id": Field("registerId", T),
        "register_closure_id": Field("registerClosureId", T),
        "currency": Field("currency", T),
        "total_tax": Field("totalTax", T),
        "transaction_date": Field("transactionDate", T),
        "modified_at": Field("lastModificationTime", A),
        "customer_id": Field("customerId", T),
        "customer": Field("customer", A, "embedded customer on create"),
        "source": Field("invoiceFrom", T, "Hike app: InvoiceFrom, 4 = Woo"),
        "external_reference": Field("externalReference", A),
        "do_not_update_inventory": Field("doNotUpdateInvenotry", T, "sic: Hike's spelling"),
        "refund_of": Field("refundedInvoiceId", A),
        "note": Field("note", T),
        "lines": Field("invoiceLineItems", T),
        "payments": Field("invoicePayments", T),
    },
    "HikeSaleDraft": {},  # same JSON names as HikeSale (filled in below)
    "HikeSaleLine": {
        "quantity": Field("quantity", T),
        "sold_price": Field("soldPrice", T),
        "product_id": Field("invoiceItemValue", T, "product id"),
        "sku": Field("sku", T),
        "title": Field("title", T),
        "total": Field("totalAmount", T),
        "tax_amount": Field("taxAmount", T),
        "serial_numbers": Field("serialNumbers", A),
        "external_line_id": Field("externalLineId", A),
    },
    "HikePayment": {
        "payment_type_name": Field("paymentOptionName", T),
        "amount": Field("amount", T),
        "payment_type_id": Field("paymentOptionId", T),
        "paid_at": Field("paymentDate", T),
    },
    "HikeCustomer": {
        "id": Field("id", A),
        "first_name": Field("firstName", A),
        "last_name": Field("lastName", A),
        "email": Field("email", A),
    },
    "HikeOutlet": {"id": Field("id", D), "name": Field("name", D)},
    "HikeRegister": {
        "id": Field("id", A),
        "outlet_id": Field("outletId", A),
        "name": Field("name", A),
    },
    "HikeRegisterClosure": {
        "id": Field("id", T),
        "register_id": Field("registerId", T),
        "opened_at": Field("startDateTime", A),
        "closed_at": Field("endDateTime", A),
    },
    "HikeProduct": {
        "id": Field("id", T),
        "sku": Field("sku", T),
        "name": Field("name", T),
        "type": Field("productType", A),
        "serial_number_enabled": Field("isSerialNumber", A),
        "stock": Field("onHandStock", A),
    },
}

FIELDS["HikeSaleDraft"] = {
    k: v
    for k, v in FIELDS["HikeSale"].items()
    if k not in {"id", "number", "modified_at"} and k not in {"register_closure_id", "customer_id"}
}

#: operation -> endpoint.
ENDPOINTS: Final[dict[str, Endpoint]] = {
    "token": Endpoint("POST", "/oauth/token", T, "host root, not /api/v1"),
    "authorize": Endpoint("GET", "/oauth/authorize", D, "host root, not /api/v1"),
    "create_sale": Endpoint("POST", "/sales/create_ecommerce_sale", D, "create or update"),
    "list_sales": Endpoint("GET", "/sales/get_all", T, "page_size 1-500, skip_count"),
    "list_outlets": Endpoint("GET", "/outlets/get_all_active", D),
    "list_products": Endpoint("GET", "/products/get_all", T),
    "product_by_sku": Endpoint("GET", "/products/by_sku", T),
    "list_register_closures": Endpoint("GET", "/registerClosures/get_all", T),
    "create_refund_sale": Endpoint(
        "POST",
        "/sales/create_ecommerce_sale",
        A,
        "refund = sale with refundedInvoiceId",
    ),
    "set_serial_numbers": Endpoint("POST", "/sales/update_serial_numbers", A),
    "find_customer": Endpoint("GET", "/customers/get_by_email", A),
    "adjust_stock": Endpoint("POST", "/products/update_inventory", A),
}

#: Hike's app numbers for statuses (``InvoiceStatus``, ``FinancialStatus``, ``InvoiceFrom``).
FULFILMENT_CODES: Final[dict[int, str]] = {
    0: "Pending", 1: "Parked", 2: "Completed", 3: "Refunded", 4: "Voided",
    5: "LayBy", 6: "BackOrder", 7: "OnAccount", 8: "Exchange", 11: "Quote",
}  # fmt: skip
PAYMENT_CODES: Final[dict[int, str]] = {
    0: "Pending", 1: "PartiallyPaid", 2: "Paid", 3: "PartiallyRefunded",
    4: "Refunded", 5: "Voided", 6: "Closed",
}  # fmt: skip
SOURCE_CODES: Final[dict[int, str]] = {
    -1: "Import", 0: "HikeEcommerce", 1: "iPad", 3: "Web", 4: "Woo",
    5: "BigCommerce", 6: "Shopify", 20: "Android",
}  # fmt: skip

del D, T, A
