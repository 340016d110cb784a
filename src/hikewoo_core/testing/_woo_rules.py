"""WooCommerce's write rules as the fake applies them: body checks, totals, errors (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..errors import ApiError
from ..money import ZERO, parse_money, quantize_money
from ..woo.models import (
    WooAddress,
    WooFeeLine,
    WooLineItem,
    WooMeta,
    WooOrder,
    WooShippingLine,
)

__all__ = [
    "CORE_STATUSES",
    "BodyReader",
    "OrderLines",
    "already_trashed",
    "invalid_status",
    "order_lines_from_body",
    "order_not_found",
    "read_address",
    "read_meta",
    "seed_totals",
    "upsert_meta",
]

#: The statuses the REST API accepts for ``status`` on a store with no plugins.
CORE_STATUSES: tuple[str, ...] = (
    "auto-draft", "pending", "processing", "on-hold", "completed",
    "cancelled", "refunded", "failed", "checkout-draft",
)  # fmt: skip

NextId = Callable[[], int]
_ADDRESS_FIELDS = tuple(a.name for a in attrs.fields(WooAddress))


def order_not_found(status: int = 404) -> ApiError:
    """``GET`` (404) or ``PUT`` (400) of an id that is not an order."""
    return ApiError(
        status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", {"status": status}
    )


def already_trashed() -> ApiError:
    """``DELETE`` of an order already in the trash."""
    return ApiError(
        410,
        "woocommerce_rest_already_trashed",
        "The shop_order has already been deleted.",
        {"status": 410},
    )


def invalid_status(allowed: Sequence[str]) -> ApiError:
    """The 400 WordPress answers for a status outside the enum (as the real fixture shows)."""
    names = ", ".join(allowed[:-1]) + f", and {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    text = f"status is not one of {names}."
    return ApiError(
        400,
        "rest_invalid_param",
        "Invalid parameter(s): status",
        {
            "status": 400,
            "params": {"status": text},
            "details": {"status": {"code": "rest_not_in_enum", "message": text, "data": None}},
        },
    )


class BodyReader:
    """Reads a JSON request body, collecting every problem as WordPress would report it."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        """Record one problem at ``path`` (``line_items[0].quantity``)."""
        self.problems.append((path, message))

    def raise_if_any(self) -> None:
        """Raise ``rest_invalid_param`` (400) naming every problem, if there were any."""
        if not self.problems:
            return
        params: dict[str, str] = {}
        for path, message in self.problems:
            top = path.split("[", 1)[0].split(".", 1)[0]
            params[top] = (
                f"{params[top]}; {path}: {message}" if top in params else f"{path}: {message}"
            )
        raise ApiError(
            400,
            "rest_invalid_param",
            f"Invalid parameter(s): {', '.join(params)}",
            {"status": 400, "params": params},
        )

    def money(self, obj: Mapping[str, Any], key: str, path: str) -> Decimal | None:
        """An amount (string or number), or ``None`` when absent."""
        if key not in obj or obj[key] is None:
            return None
        try:
            return parse_money(obj[key])
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def integer(self, obj: Mapping[str, Any], key: str, path: str, default: int) -> int:
        """A non-negative integer (``default`` when absent)."""
        value = obj.get(key, default)
        if type(value) is not int or value < 0:
            self.problem(path, f"expected a non-negative integer, got {value!r}")
            return default
        return value

    def string(self, obj: Mapping[str, Any], key: str, path: str, default: str = "") -> str:
        """A string (``default`` when absent or null)."""
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(path, f"expected a string, got {type(value).__name__}")
            return default
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        """A boolean (``default`` when absent)."""
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {value!r}")
            return default
        return value

    def objects(self, obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        """An array of objects (empty when absent); other items are reported."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            self.problem(key, "expected an array")
            return []
        out: list[Mapping[str, Any]] = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                out.append(item)
            else:
                self.problem(f"{key}[{index}]", "expected an object")
        return out


def read_meta(reader: BodyReader, body: Mapping[str, Any]) -> list[tuple[str, Any, int | None]]:
    """``meta_data`` entries of a body as ``(key, value, id or None)``."""
    out: list[tuple[str, Any, int | None]] = []
    for index, entry in enumerate(reader.objects(body, "meta_data")):
        key = entry.get("key")
        meta_id = entry.get("id")
        if not isinstance(key, str) or not key:
            reader.problem(f"meta_data[{index}].key", "expected a non-empty string")
            continue
        out.append((key, entry.get("value"), meta_id if type(meta_id) is int else None))
    return out


def upsert_meta(
    existing: Iterable[WooMeta], entries: Iterable[tuple[str, Any, int | None]], next_id: NextId
) -> tuple[WooMeta, ...]:
    """WooCommerce's ``update_meta_data``: by id, else by key (first kept, others dropped)."""
    metas = list(existing)
    for key, value, meta_id in entries:
        by_id = [i for i, m in enumerate(metas) if meta_id is not None and m.id == meta_id]
        if by_id:
            metas[by_id[0]] = attrs.evolve(metas[by_id[0]], key=key, value=value)
            continue
        same = [i for i, m in enumerate(metas) if m.key == key]
        if not same:
            metas.append(WooMeta(key=key, value=value, id=next_id()))
            continue
        metas[same[0]] = attrs.evolve(metas[same[0]], value=value)
        metas = [m for i, m in enumerate(metas) if i not in same[1:]]
    return tuple(metas)


def read_address(
    reader: BodyReader, body: Mapping[str, Any], key: str, base: WooAddress
) -> WooAddress:
    """``billing``/``shipping`` of a body merged over ``base`` (fields sent replace fields kept)."""
    value = body.get(key)
    if value is None:
        return base
    if not isinstance(value, Mapping):
        reader.problem(key, "expected an object")
        return base
    changes: dict[str, str] = {}
    for name in _ADDRESS_FIELDS:
        if name in value:
            changes[name] = reader.string(value, name, f"{key}.{name}")
    email = changes.get("email")
    if email and "@" not in email:
        reader.problem(f"{key}.email", "Invalid email address.")
    return attrs.evolve(base, **changes)


@attrs.frozen
class OrderLines:
    """The items of a create body, with the totals WooCommerce computes from them."""

    line_items: tuple[WooLineItem, ...]
    shipping_lines: tuple[WooShippingLine, ...]
    fee_lines: tuple[WooFeeLine, ...]
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal


def _line_item(
    reader: BodyReader, raw: Mapping[str, Any], path: str, currency: str, item_id: int
) -> WooLineItem:
    refs = [k for k in ("sku", "variation_id", "product_id") if raw.get(k) not in (None, "", 0)]
    if not refs:
        raise ApiError(
            400,
            "woocommerce_rest_required_product_reference",
            "Product ID or SKU is required.",
            {"status": 400},
        )
    quantity = reader.integer(raw, "quantity", f"{path}.quantity", 1)
    subtotal = reader.money(raw, "subtotal", f"{path}.subtotal")
    total = reader.money(raw, "total", f"{path}.total")
    total = total if total is not None else subtotal if subtotal is not None else ZERO
    subtotal = subtotal if subtotal is not None else total
    total, subtotal = quantize_money(total, currency), quantize_money(subtotal, currency)
    metas = [(k, v, None) for k, v, _ in read_meta(reader, raw)]
    counter = iter(range(1, len(metas) + 1))
    return WooLineItem(
        id=item_id,
        product_id=reader.integer(raw, "product_id", f"{path}.product_id", 0),
        variation_id=reader.integer(raw, "variation_id", f"{path}.variation_id", 0),
        quantity=quantity,
        name=reader.string(raw, "name", f"{path}.name"),
        sku=reader.string(raw, "sku", f"{path}.sku") or None,
        tax_class=reader.string(raw, "tax_class", f"{path}.tax_class"),
        subtotal=subtotal,
        total=total,
        subtotal_tax=quantize_money(ZERO, currency),
        total_tax=quantize_money(ZERO, currency),
        price=total / quantity if quantity else ZERO,
        meta_data=upsert_meta((), metas, lambda: next(counter)),
    )


def order_lines_from_body(
    reader: BodyReader, body: Mapping[str, Any], currency: str, next_item_id: NextId
) -> OrderLines:
    """Build line, shipping and fee items from a create body and total them like WooCommerce.

    No tax engine: taxes are zero. Coupons are not applied (``NotImplementedError``).
    """
    if body.get("coupon_lines"):
        raise NotImplementedError("FakeWooCommerce does not apply coupon_lines")
    items = tuple(
        _line_item(reader, raw, f"line_items[{i}]", currency, next_item_id())
        for i, raw in enumerate(reader.objects(body, "line_items"))
    )
    shipping: list[WooShippingLine] = []
    for i, raw in enumerate(reader.objects(body, "shipping_lines")):
        if not raw.get("method_id"):
            raise ApiError(
                400,
                "woocommerce_rest_invalid_shipping_item",
                "Shipping method ID is required.",
                {"status": 400},
            )
        amount = reader.money(raw, "total", f"shipping_lines[{i}].total") or ZERO
        shipping.append(
            WooShippingLine(
                id=next_item_id(),
                method_id=reader.string(raw, "method_id", f"shipping_lines[{i}].method_id"),
                method_title=reader.string(
                    raw, "method_title", f"shipping_lines[{i}].method_title"
                ),
                instance_id=reader.string(raw, "instance_id", f"shipping_lines[{i}].instance_id"),
                total=quantize_money(amount, currency),
                tax_status="taxable",
            )
        )
    fees: list[WooFeeLine] = []
    for i, raw in enumerate(reader.objects(body, "fee_lines")):
        if not raw.get("name"):
            raise ApiError(
                400, "woocommerce_rest_invalid_fee_item", "Fee name is required.", {"status": 400}
            )
        amount = reader.money(raw, "total", f"fee_lines[{i}].total") or ZERO
        fees.append(
            WooFeeLine(
                id=next_item_id(),
                name=reader.string(raw, "name", f"fee_lines[{i}].name"),
                tax_class=reader.string(raw, "tax_class", f"fee_lines[{i}].tax_class"),
                tax_status=reader.string(
                    raw, "tax_status", f"fee_lines[{i}].tax_status", "taxable"
                ),
                total=quantize_money(amount, currency),
            )
        )
    shipping_total = sum((s.total for s in shipping), ZERO)
    total = (
        sum((li.total for li in items), ZERO) + shipping_total + sum((f.total for f in fees), ZERO)
    )
    return OrderLines(
        line_items=items,
        shipping_lines=tuple(shipping),
        fee_lines=tuple(fees),
        discount_total=quantize_money(
            sum((li.subtotal - li.total for li in items), ZERO), currency
        ),
        shipping_total=quantize_money(shipping_total, currency),
        total=quantize_money(total, currency),
    )


def seed_totals(order: WooOrder, given: Iterable[str]) -> WooOrder:
    """Fill the totals a seeded payload left out, from its lines, shipping, fees and taxes."""
    cart_tax = sum((li.total_tax for li in order.line_items), ZERO)
    shipping_tax = sum((s.total_tax for s in order.shipping_lines), ZERO)
    fee_tax = sum((f.total_tax for f in order.fee_lines), ZERO)
    computed = {
        "shipping_total": sum((s.total for s in order.shipping_lines), ZERO),
        "shipping_tax": shipping_tax,
        "cart_tax": cart_tax + fee_tax,
        "total_tax": cart_tax + shipping_tax + fee_tax,
        "discount_total": sum((li.subtotal - li.total for li in order.line_items), ZERO),
        "total": sum((li.total + li.total_tax for li in order.line_items), ZERO)
        + sum((s.total + s.total_tax for s in order.shipping_lines), ZERO)
        + sum((f.total + f.total_tax for f in order.fee_lines), ZERO),
    }
    present = set(given)
    changes: dict[str, Any] = {
        name: quantize_money(value, order.currency)
        for name, value in computed.items()
        if name not in present
    }
    return attrs.evolve(order, **changes) if changes else order
