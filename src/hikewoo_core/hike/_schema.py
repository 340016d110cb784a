"""Every JSON field and endpoint name this library uses for Hike, in one table (pure).

Hike documents little of its API (OAuth2, ``POST /sales/create_ecommerce_sale``,
``GET /outlets/get_all_active``); the rest comes from public third-party code
and Hike's own app models, or is assumed. Each entry says which, so a user who
learns the truth corrects one line here. See ``docs/hike.md``.
"""

from __future__ import annotations

from typing import Final, Literal

import attrs

from .._enums import TextEnum

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "ENDPOINTS",
    "FIELDS",
    "FULFILMENT_CODES",
    "MAX_PAGE_SIZE",
    "PARAMS",
    "PAYMENT_CODES",
    "SOURCE_CODES",
    "STATUS_ENCODING",
    "Endpoint",
    "Field",
    "Provenance",
    "StatusEncoding",
    "schema_markdown",
]


class Provenance(TextEnum):
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
    "read_sale": Endpoint("GET", "/sales/get", A, "one sale by id"),
    "update_sale_status": Endpoint(
        "POST",
        "/sales/create_ecommerce_sale",
        A,
        "documented as create or update; update = body with the sale's id",
    ),
    "read_register_closure": Endpoint("GET", "/registerClosures/get", A, "one closure by id"),
    "find_sale_by_reference": Endpoint(
        "GET",
        "/sales/get_all",
        A,
        "no reference filter is published: a date window is listed and matched locally",
    ),
}

#: operation -> name of a query, form or body parameter -> field. ``paging`` applies to
#: every ``get_all`` list; ``token`` and ``authorize`` are the OAuth2 endpoints.
PARAMS: Final[dict[str, dict[str, Field]]] = {
    "paging": {
        "page_size": Field("page_size", D, "1 to 500; else HTTP 500 with a message"),
        "skip_count": Field("skip_count", T, "also seen as Skip_count"),
        "total": Field("totalCount", T, "response: number of matching records"),
        "items": Field("items", T, "response: the page"),
    },
    "list_sales": {
        "from": Field("invoice_range_from", T, "ISO 8601 UTC; filters the transaction date"),
        "to": Field("invoice_range_to", T, "ISO 8601 UTC"),
        "sorting": Field("Sorting", T, "value transactionDate"),
    },
    "list_register_closures": {
        "from": Field("closure_range_from", T, "ISO 8601 UTC"),
        "to": Field("closure_range_to", T, "ISO 8601 UTC"),
    },
    "read_sale": {"id": Field("id", A)},
    "read_register_closure": {"id": Field("id", A)},
    "product_by_sku": {"sku": Field("sku", A)},
    "find_customer": {"email": Field("email", A)},
    "set_serial_numbers": {
        "sale_id": Field("invoiceId", A),
        "line_index": Field("lineIndex", A, "0-based position in invoiceLineItems"),
        "serial_numbers": Field("serialNumbers", A),
    },
    "authorize": {
        "response_type": Field("response_type", D, "value code"),
        "client_id": Field("client_id", D, "the App Id"),
        "redirect_uri": Field("redirect_uri", D),
        "state": Field("state", D, "optional, echoed back"),
        "scope": Field("scope", D, "only value: all"),
        "code": Field("code", D, "on the redirect"),
    },
    "token": {
        "grant_type": Field("grant_type", T, "authorization_code or refresh_token"),
        "client_id": Field("client_id", T),
        "client_secret": Field("client_secret", T, "the App Secret"),
        "code": Field("code", T),
        "redirect_uri": Field("redirect_uri", T),
        "refresh_token": Field("refresh_token", T, "request and response"),
        "access_token": Field("access_token", T, "response"),
        "expires_in": Field("expires_in", T, "response, seconds; 604800 assumed when absent"),
    },
}

#: Lifetime of an access token when the token response has no ``expires_in`` (7 days):
#: what one third-party client assumes; not published by Hike (assumed).
DEFAULT_TOKEN_LIFETIME: Final = 604800

#: Largest ``page_size`` Hike accepts (its reference pages say 1 to 500).
MAX_PAGE_SIZE: Final = 500

#: How statuses travel in request bodies.
StatusEncoding = Literal["name", "number"]

#: Whether ``status``, ``financialStatus`` and ``invoiceFrom`` are *sent* as Hike's names
#: (``"Completed"``) or as the numbers of Hike's app (``2``) by default: unknown (assumed
#: names, which one public client sends). Parsing accepts both. A constant, not a
#: setting: pass ``status_encoding=`` to the clients (or to :func:`dump_hike`) when you
#: learn which Hike wants.
STATUS_ENCODING: Final[StatusEncoding] = "name"

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

_SHORT = {
    Provenance.DOCUMENTED: "documented",
    Provenance.THIRD_PARTY: "third-party",
    Provenance.ASSUMED: "**assumed**",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else ""


def schema_markdown() -> str:
    """The tables of this module as Markdown: what Hike documents and what is assumed.

    ``docs/hike.md`` embeds this text between ``<!-- hike-schema:start -->`` and
    ``<!-- hike-schema:end -->``; a test fails when the two drift apart.
    """
    out = [
        "Provenance: *documented* = Hike's developer hub; *third-party* = public code that "
        "calls Hike, or Hike's own app models; **assumed** = published nowhere we could "
        "read. Correct an assumed name in `hikewoo_core/hike/_schema.py` (one line).",
        "",
        "### Endpoints",
        "",
        "Paths are relative to `https://api.hikeup.com/api/v1` unless noted.",
        "",
        "| Operation | Request | Provenance | Note |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{op}` | `{e.method} {e.path}` | {_SHORT[e.provenance]} | {_cell(e.note)} |"
        for op, e in ENDPOINTS.items()
    ]
    out += [
        "",
        "### Parameters",
        "",
        "| Parameter | Name sent | Provenance | Note |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{op}` {attr} | `{f.key}` | {_SHORT[f.provenance]} | {_cell(f.note)} |"
        for op, fields in PARAMS.items()
        for attr, f in fields.items()
    ]
    out += [
        "",
        "### Fields",
        "",
        "`HikeSaleDraft` uses the JSON names of `HikeSale`.",
        "",
        "| Attribute | JSON field | Provenance | Note |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{model}.{attr}` | `{f.key}` | {_SHORT[f.provenance]} | {_cell(f.note)} |"
        for model, fields in FIELDS.items()
        if model != "HikeSaleDraft"
        for attr, f in fields.items()
    ]
    codes = ", ".join(f"{n} {name}" for n, name in FULFILMENT_CODES.items())
    paid = ", ".join(f"{n} {name}" for n, name in PAYMENT_CODES.items())
    source = ", ".join(f"{n} {name}" for n, name in SOURCE_CODES.items())
    out += [
        "",
        "### Statuses",
        "",
        f"Statuses are sent as **{STATUS_ENCODING}s** (`STATUS_ENCODING`, **assumed**: "
        "whether Hike's API wants names or numbers is not published); both are accepted "
        "when reading. The numbers, from Hike's app models (third-party):",
        "",
        f"- `status` (fulfilment): {codes}",
        f"- `financialStatus` (payment): {paid}",
        f"- `invoiceFrom` (source): {source}",
        "",
        f"Other constants: `page_size` at most {MAX_PAGE_SIZE} (documented); an access "
        f"token without `expires_in` lives {DEFAULT_TOKEN_LIFETIME} s (**assumed**).",
    ]
    return "\n".join(out) + "\n"
