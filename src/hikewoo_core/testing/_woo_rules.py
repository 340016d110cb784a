"""WooCommerce's write rules as the fake applies them: body checks, SKUs, totals, errors (pure)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from .._errors import ApiError
from .._money import ZERO, parse_money, quantize_money
from ..woo._convert import dump_woo_order, dump_woo_refund
from ..woo._models import (
    WooAddress,
    WooFeeLine,
    WooLineItem,
    WooMeta,
    WooOrder,
    WooProduct,
    WooRefund,
    WooShippingLine,
)

__all__ = [
    "CORE_STATUSES",
    "PRODUCT_STATUSES",
    "PRODUCT_TYPES",
    "BodyReader",
    "Catalogue",
    "OrderLines",
    "already_trashed",
    "batch_status",
    "duplicated_sku",
    "invalid_status",
    "order_lines_from_body",
    "order_not_found",
    "product_not_found",
    "read_address",
    "read_product_body",
    "read_meta",
    "rest_order",
    "rest_refund",
    "seed_totals",
    "sku_key",
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


def _number(value: Any) -> Any:
    """A decimal string as PHP's ``json_encode`` writes the number: ``47``, ``3.5``."""
    if not isinstance(value, str):
        return value
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _number_prices(data: dict[str, Any]) -> dict[str, Any]:
    for item in data.get("line_items") or ():
        if isinstance(item, dict) and "price" in item:
            item["price"] = _number(item["price"])
    return data


def rest_order(order: WooOrder) -> dict[str, Any]:
    """The order as the REST API sends it: ``line_items[].price`` is a JSON number
    (``total / quantity`` computed by PHP: ``47``, ``3.5``), every other amount a string."""
    return _number_prices(dump_woo_order(order))


def rest_refund(refund: WooRefund) -> dict[str, Any]:
    """The refund as the REST API sends it (``line_items[].price`` a number, as for orders)."""
    return _number_prices(dump_woo_refund(refund))


def product_not_found() -> ApiError:
    """``GET /products/<id>`` of an id that is not a product."""
    return ApiError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.", {"status": 404})


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


def batch_status(value: object, allowed: Sequence[str]) -> object:
    """The ``status`` a batch item really sets: WooCommerce does not validate it there.

    ``POST /orders/batch`` skips the schema check a single ``PUT`` makes (400
    ``rest_invalid_param``): ``WC_Order::set_status`` strips a ``wc-`` prefix and turns
    any status it does not know into ``pending`` (captured on 10.0.2:
    ``{"status": "not-a-status"}`` on a processing order answered 200 and left it
    pending). A value PHP calls empty (``None``, ``""``, ``"0"``, ``0``, ``false``)
    changes nothing.
    """
    if value is None or value in ("", "0") or value is False or value == 0:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.removeprefix("wc-")
    return text if text in allowed else "pending"


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


# --- products -------------------------------------------------------------------------------
#: Product types the REST API accepts on create (``type`` is an enum in its schema).
PRODUCT_TYPES: tuple[str, ...] = ("simple", "grouped", "external", "variable")
#: Product statuses the REST API accepts on create.
PRODUCT_STATUSES: tuple[str, ...] = ("draft", "pending", "private", "publish", "future")


def sku_key(sku: str) -> str:
    """How MySQL's default collation (``utf8mb4_unicode_520_ci``) compares SKUs.

    Case and accents are ignored and trailing spaces do not count, so ``"mug-001 "``
    finds ``"MUG-001"``: WooCommerce looks SKUs up with SQL ``=``/``IN`` on that collation.
    """
    folded = unicodedata.normalize("NFKD", sku.rstrip(" ").casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def duplicated_sku(existing: int, unique: str) -> ApiError:
    """The 400 ``POST /products`` answers for a SKU another product has (as captured)."""
    return ApiError(
        400,
        "product_invalid_sku",
        "Invalid or duplicated SKU.",
        {"status": 400, "resource_id": existing, "unique_sku": unique},
    )


class Catalogue:
    """The store's products and WooCommerce's SKU rules over them (no I/O).

    SKUs are compared as MySQL compares them (:func:`sku_key`): a lookup by SKU, the
    list's ``sku`` filter and the uniqueness check all ignore case and accents.
    """

    def __init__(self) -> None:
        self._products: dict[int, WooProduct] = {}
        self._by_sku: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._products)

    def all(self) -> list[WooProduct]:
        """Every product, by id."""
        return [self._products[k] for k in sorted(self._products)]

    def get(self, product_id: int) -> WooProduct | None:
        """The product with this id, if any."""
        return self._products.get(product_id)

    def by_sku(self, sku: str) -> WooProduct | None:
        """The product whose SKU compares equal to ``sku`` in MySQL (not exactly), if any.

        This is ``wc_get_product_id_by_sku``, which order line items use.
        """
        found = self._by_sku.get(sku_key(sku)) if sku.strip() else None
        return None if found is None else self._products[found]

    def exact(self, sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku``, if any."""
        product = self.by_sku(sku)
        return product if product is not None and product.sku == sku else None

    def filter_skus(self, value: str) -> set[int]:
        """Ids matched by the list's ``sku`` filter: the value split on commas, and whole."""
        parts = [*value.split(","), value] if "," in value else [value]
        keys = {sku_key(p) for p in parts if p.strip()}
        return {pid for key, pid in self._by_sku.items() if key in keys}

    def check_unique(self, sku: str | None) -> None:
        """Raise the real ``product_invalid_sku`` error if another product has ``sku``."""
        if not sku:
            return
        clash = self.by_sku(sku)
        if clash is None:
            return
        index = 1
        while self.by_sku(f"{sku}-{index}") is not None:
            index += 1
        raise duplicated_sku(clash.id, f"{sku}-{index}")

    def add(self, product: WooProduct) -> WooProduct:
        """Store ``product`` (its SKU must be unique: :meth:`check_unique` first)."""
        self.check_unique(product.sku)
        self._products[product.id] = product
        if product.sku:
            self._by_sku[sku_key(product.sku)] = product.id
        return product


def read_product_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a ``POST /products`` body the fake keeps, type-checked.

    Returns keyword arguments for :meth:`FakeWooCommerce.add_product`; problems raise
    ``rest_invalid_param`` (400) as WordPress reports them.
    """
    reader = BodyReader()
    out: dict[str, Any] = {
        "sku": reader.string(body, "sku", "sku").strip() or None,
        "name": reader.string(body, "name", "name"),
        "price": reader.money(body, "regular_price", "regular_price"),
        "sale_price": reader.money(body, "sale_price", "sale_price"),
        "manage_stock": reader.boolean(body, "manage_stock", "manage_stock", False),
        "tax_class": reader.string(body, "tax_class", "tax_class"),
        "virtual": reader.boolean(body, "virtual", "virtual", False),
    }
    stock = body.get("stock_quantity")
    if stock is not None:
        out["stock_quantity"] = reader.integer(body, "stock_quantity", "stock_quantity", 0)
    for key, allowed, default in (
        ("type", PRODUCT_TYPES, "simple"),
        ("status", PRODUCT_STATUSES, "publish"),
    ):
        value = reader.string(body, key, key, default)
        if value not in allowed:
            names = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            reader.problem(key, f"{key} is not one of {names}.")
        out[key] = value
    reader.raise_if_any()
    return out


@attrs.frozen
class OrderLines:
    """The items of a create body, with the totals WooCommerce computes from them."""

    line_items: tuple[WooLineItem, ...]
    shipping_lines: tuple[WooShippingLine, ...]
    fee_lines: tuple[WooFeeLine, ...]
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal


def _resolve(
    reader: BodyReader, raw: Mapping[str, Any], path: str, catalogue: Catalogue
) -> WooProduct | None:
    """The product a create body's line names, as ``get_product_id`` picks it.

    A non-empty ``sku`` wins (even over ``product_id``); else ``product_id`` (when no
    ``variation_id``), else ``variation_id``. An unknown reference resolves to nothing.
    """
    sku = reader.string(raw, "sku", f"{path}.sku")
    product_id = reader.integer(raw, "product_id", f"{path}.product_id", 0)
    variation_id = reader.integer(raw, "variation_id", f"{path}.variation_id", 0)
    if sku:
        return catalogue.by_sku(sku)
    if product_id and not variation_id:
        return catalogue.get(product_id)
    return catalogue.get(variation_id) if variation_id else None


def _line_item(
    reader: BodyReader,
    raw: Mapping[str, Any],
    path: str,
    currency: str,
    item_id: int,
    *,
    catalogue: Catalogue,
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
    product = _resolve(reader, raw, path, catalogue)
    given_subtotal = reader.money(raw, "subtotal", f"{path}.subtotal")
    given_total = reader.money(raw, "total", f"{path}.total")
    if product is not None:
        # WC_Order_Item_Product::set_product, then wc_get_price_excluding_tax times quantity;
        # what the body gives (name, total, subtotal, tax class) is applied after.
        total = subtotal = (product.price or ZERO) * quantity
        if given_total is not None:
            total = given_total
            subtotal = max(subtotal, total)  # set_total: the subtotal is never below it
        if given_subtotal is not None:
            subtotal = given_subtotal
        name, tax_class = product.name, product.tax_class
        product_id, sku = product.id, product.sku if product.sku is not None else ""
    else:
        # An unknown SKU or product id: a nameless product-0 line, the SKU forgotten.
        total = given_total if given_total is not None else given_subtotal or ZERO
        subtotal = given_subtotal if given_subtotal is not None else total
        name, tax_class, product_id, sku = "", "", 0, None
    if raw.get("name") is not None:
        name = reader.string(raw, "name", f"{path}.name")
    if raw.get("tax_class") is not None:
        tax_class = reader.string(raw, "tax_class", f"{path}.tax_class")
    total, subtotal = quantize_money(total, currency), quantize_money(subtotal, currency)
    metas = [(k, v, None) for k, v, _ in read_meta(reader, raw)]
    counter = iter(range(1, len(metas) + 1))
    return WooLineItem(
        id=item_id,
        product_id=product_id,
        variation_id=0,
        quantity=quantity,
        name=name,
        sku=sku,
        tax_class=tax_class,
        subtotal=subtotal,
        total=total,
        subtotal_tax=quantize_money(ZERO, currency),
        total_tax=quantize_money(ZERO, currency),
        price=total / quantity if quantity else ZERO,
        meta_data=upsert_meta((), metas, lambda: next(counter)),
    )


def order_lines_from_body(
    reader: BodyReader,
    body: Mapping[str, Any],
    currency: str,
    next_item_id: NextId,
    catalogue: Catalogue | None = None,
) -> OrderLines:
    """Build line, shipping and fee items from a create body and total them like WooCommerce.

    A line naming a product of ``catalogue`` (by ``sku`` first, else ``product_id``)
    takes its id, name, SKU and price times quantity, unless the body gives them; a line
    naming no known product is stored as WooCommerce stores it: ``product_id`` 0,
    ``name`` ``""``, ``sku`` null, the body's totals (0.00 when none). No tax engine:
    taxes are zero. Coupons are not applied (``NotImplementedError``).
    """
    if body.get("coupon_lines"):
        raise NotImplementedError("FakeWooCommerce does not apply coupon_lines")
    products = catalogue if catalogue is not None else Catalogue()
    items = tuple(
        _line_item(reader, raw, f"line_items[{i}]", currency, next_item_id(), catalogue=products)
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
