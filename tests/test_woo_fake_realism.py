"""FakeWooCommerce behaves like the real 10.0.2 store where the real store is unkind.

Each test is checked against the real captures (``shared/fixtures/woocommerce/real-10.0.2``,
read in place): ties under one second in arbitrary order with unstable offset pages,
``POST /orders/batch`` not validating ``status``, and SKU resolution of new orders' line
items (unknown SKUs stored as nameless product-0 lines), plus the product catalogue and
``find_product`` in the fake, the served fake and both clients.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from hikewoo_core import OrderWindow
from hikewoo_core._errors import ApiError, ConfigurationError
from hikewoo_core._ports import WooPort
from hikewoo_core.testing import FakeClock, FakeWooCommerce, serve_woo
from hikewoo_core.woo import (
    AsyncWooClient,
    WooClient,
    WooProduct,
    dump_woo_product,
    parse_woo_product,
    parse_woo_products,
)
from hikewoo_core.woo._auth import OAuth1Signer, WooCredentials, flatten_params

from ._shared import REAL, load, requires_shared
from ._woo_loopback import FAST, Sleeps, wall

UTC = timezone.utc
T0 = datetime(2026, 11, 30, 2, 47, 58, tzinfo=UTC)
D = Decimal


def capture(name: str) -> dict[str, Any]:
    """A whole capture (request, status, headers, body)."""
    data: dict[str, Any] = load(REAL / name)
    return data


def real(name: str) -> Any:
    """The body of a capture."""
    return capture(name)["body"]


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- loopback plumbing ----------------------------------------------------------------------


def signed(url: str, params: dict[str, Any] | None = None, *, method: str = "GET") -> str:
    """``url`` with ``params`` and OAuth 1.0a parameters (the loopback server's test key)."""
    pairs = flatten_params(params or {})
    target = f"{url}?{urlencode(pairs, quote_via=quote)}" if pairs else url
    oauth = OAuth1Signer(WooCredentials("ck_test", "cs_test"), clock=wall).sign(method, target)
    return f"{target}{'&' if pairs else '?'}{urlencode(oauth, quote_via=quote)}"


class Api:
    """Signed requests to a served fake: ``api.get("orders", per_page=5)``."""

    def __init__(self, root: str, http: httpx.Client) -> None:
        self.root, self.http = root, http

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(signed(f"{self.root}/{path}", params))

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(signed(f"{self.root}/{path}", method="POST"), json=body)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(signed(f"{self.root}/{path}", method="PUT"), json=body)


@contextmanager
def served(fake: FakeWooCommerce) -> Iterator[Api]:
    with serve_woo(fake, clock=wall) as url, httpx.Client(trust_env=False) as http:
        yield Api(url + "/wp-json/wc/v3", http)


@contextmanager
def client(fake: FakeWooCommerce) -> Iterator[WooClient]:
    with (
        serve_woo(fake, clock=wall) as url,
        httpx.Client(trust_env=False) as http,
        WooClient(
            url, "ck_test", "cs_test", client=http, retry=FAST, sleep=Sleeps(), clock=wall
        ) as woo,
    ):
        yield woo


def out_of_id_order(ids: list[int]) -> int:
    """How many neighbour pairs are not in ascending id order."""
    return sum(1 for a, b in itertools.pairwise(ids) if a > b)


# --- 1. ties under one second ------------------------------------------------------------------


def real_tie_population() -> tuple[dict[int, str], set[int], str]:
    """``{id: date_modified_gmt}`` as the real store held them when the pages were read.

    The ids and stamps come from the two captured pages; the 20 tied orders that were on
    neither page (their ids are unknown) get ids from the gaps of the tied range, and
    orders at a later second fill the listing to its captured ``X-WP-Total`` (342).
    """
    first = real("orders_list_orderby_modified_page1_fields.json")
    second = real("orders_list_orderby_modified_page2_fields.json")
    tie_second = first[0]["date_modified_gmt"]
    stamps = {o["id"]: o["date_modified_gmt"] for o in [*first, *second]}
    tied = {i for i, s in stamps.items() if s == tie_second}
    gaps = [i for i in range(min(tied), max(tied)) if i not in stamps]
    for order_id in gaps[: 130 - len(tied)]:
        stamps[order_id] = tie_second
    tied = {i for i, s in stamps.items() if s == tie_second}
    later = max(stamps) + 1
    while len(stamps) < 342:
        stamps[later] = "2026-11-30T04:00:00"
        later += 1
    return stamps, tied, tie_second


def store_of(stamps: dict[int, str], **kw: Any) -> FakeWooCommerce:
    fake = FakeWooCommerce(clock=FakeClock(T0 + timedelta(hours=3)), **kw)
    for order_id, when in sorted(stamps.items()):
        fake.add_order(
            {
                "id": order_id,
                "status": "processing",
                "total": "10.00",
                "date_created_gmt": when,
                "date_modified_gmt": when,
            }
        )
    return fake


@requires_shared
def test_the_captured_pages_over_a_tie_repeat_and_skip_orders() -> None:
    """What the real store did (the facts the fake must reproduce)."""
    first = real("orders_list_orderby_modified_page1_fields.json")
    second = real("orders_list_orderby_modified_page2_fields.json")
    tie_second = first[0]["date_modified_gmt"]
    tied1 = [o["id"] for o in first if o["date_modified_gmt"] == tie_second]
    tied2 = [o["id"] for o in second if o["date_modified_gmt"] == tie_second]
    assert (len(tied1), len(tied2)) == (100, 30)
    assert len(set(tied2) & set(tied1)) == 20
    assert out_of_id_order(tied1) == 47
    assert capture("orders_list_orderby_modified_page1_fields.json")["headers"]["X-WP-Total"] == (
        "342"
    )
    short = [o["id"] for o in real("orders_list_orderby_modified_ties.json")]
    assert short != tied1[:20]  # the tie order changes with per_page


@requires_shared
def test_served_offset_pages_over_a_tie_repeat_and_skip_like_the_real_store() -> None:
    stamps, tied, tie_second = real_tie_population()
    assert len(tied) == 130
    fake = store_of(stamps)
    query = {"orderby": "modified", "order": "asc", "per_page": 100}
    fields = "id,date_modified_gmt"
    with served(fake) as api:
        page1 = api.get("orders", **query, page=1, _fields=fields)
        page2 = api.get("orders", **query, page=2, _fields=fields)
        again = api.get("orders", **query, page=1, _fields=fields).json()
        short = api.get("orders", orderby="modified", order="asc", per_page=20).json()
        by_id = [
            [o["id"] for o in api.get("orders", orderby="id", order="asc", per_page=100, page=n)
             .json()]
            for n in (1, 2)
        ]  # fmt: skip
    expected = capture("orders_list_orderby_modified_page1_fields.json")["headers"]
    assert page1.headers["X-WP-Total"] == expected["X-WP-Total"] == "342"
    assert page1.headers["X-WP-TotalPages"] == expected["X-WP-TotalPages"] == "4"
    one, two = page1.json(), page2.json()
    assert all(set(o) == {"id", "date_modified_gmt"} for o in [*one, *two])
    # Seconds stay in ascending order across both pages.
    seconds = [o["date_modified_gmt"] for o in [*one, *two]]
    assert seconds == sorted(seconds)
    tied1 = [o["id"] for o in one if o["date_modified_gmt"] == tie_second]
    tied2 = [o["id"] for o in two if o["date_modified_gmt"] == tie_second]
    assert (len(tied1), len(tied2)) == (100, 30)  # as captured
    # Not by id: many equal-second neighbours out of id order (real: 47 of 99, 49 of 97).
    assert out_of_id_order(tied1) > 20
    assert out_of_id_order([o["id"] for o in two]) > 20
    # Page 2 repeats tied orders of page 1, so as many tied orders are on neither page.
    repeated = set(tied2) & set(tied1)
    neither = tied - set(tied1) - set(tied2)
    assert 0 < len(repeated) < 30
    assert len(neither) == len(repeated) > 0
    # The same query is answered the same way; another per_page orders the tie otherwise.
    assert again == one
    assert all(o["date_modified_gmt"] == tie_second for o in short)
    assert [o["id"] for o in short] != tied1[:20]
    assert out_of_id_order([o["id"] for o in short]) > 0
    # orderby=id is exact: consecutive pages neither repeat nor skip.
    everything = sorted(stamps)
    assert by_id == [everything[:100], everything[100:200]]


@requires_shared
def test_descending_and_created_orders_sort_by_second_ties_arbitrary() -> None:
    stamps, _, tie_second = real_tie_population()
    fake = store_of(stamps)
    with served(fake) as api:
        newest = api.get("orders", orderby="modified", order="desc", per_page=100, page=4).json()
        created = api.get("orders", per_page=100).json()  # default: orderby=date, desc
    seconds = [o["date_modified_gmt"] for o in newest]
    assert seconds == sorted(seconds, reverse=True)
    assert {o["date_modified_gmt"] for o in newest} == {tie_second}
    assert [o["date_created_gmt"] for o in created] == sorted(
        (o["date_created_gmt"] for o in created), reverse=True
    )
    later = [o["id"] for o in created if o["date_created_gmt"] == "2026-11-30T04:00:00"]
    assert sorted(later) != later != sorted(later, reverse=True)


@requires_shared
def test_tie_order_id_keeps_the_old_kind_order() -> None:
    stamps, _, tie_second = real_tie_population()
    fake = store_of(stamps, tie_order="id")
    with served(fake) as api:
        one = api.get("orders", orderby="modified", order="asc", per_page=100).json()
        two = api.get("orders", orderby="modified", order="asc", per_page=100, page=2).json()
    tied = sorted(i for i, s in stamps.items() if s == tie_second)
    ids = [o["id"] for o in [*one, *two]]
    assert ids[:130] == tied
    assert len(set(ids)) == 200


def test_the_tie_order_is_seeded() -> None:
    def listing(seed: int, per_page: int = 50) -> list[int]:
        fake = FakeWooCommerce(clock=FakeClock(T0), seed=seed)
        for _ in range(50):
            fake.write_order({"line_items": [{"sku": "X", "quantity": 1, "total": "1.00"}]})
        with served(fake) as api:
            page = api.get("orders", orderby="modified", order="asc", per_page=per_page)
            return [o["id"] for o in page.json()]

    assert listing(0) == listing(0)
    assert listing(0) != listing(1)
    assert sorted(listing(0)) == list(range(1, 51)) != listing(0)
    with pytest.raises(ValueError, match="tie_order"):
        FakeWooCommerce(tie_order="random")  # type: ignore[arg-type]


def test_read_orders_returns_a_tie_in_a_seeded_order_not_by_id() -> None:
    clock = FakeClock(T0)
    fakes = [FakeWooCommerce(clock=clock, seed=s) for s in (0, 0, 7)]
    kind = FakeWooCommerce(clock=clock, tie_order="id")
    for fake in [*fakes, kind]:
        for n in range(60):
            if n == 40:
                clock.advance(1)
            fake.write_order({"line_items": [{"sku": "X", "quantity": 1, "total": "1.00"}]})
        clock.set(T0)
    window = OrderWindow(modified_after=T0, modified_before=T0 + timedelta(seconds=2))
    first, same, other = ([o.id for o in f.read_orders(window)] for f in fakes)
    assert sorted(first) == list(range(1, 61))
    assert first == same != other
    assert set(first[:40]) == set(range(1, 41))  # the earlier second first, whole
    assert out_of_id_order(first[:40]) > 5
    assert out_of_id_order(first[40:]) > 2
    assert [o.id for o in kind.read_orders(window)] == list(range(1, 61))


# --- 2. batch updates do not validate status -------------------------------------------------


@requires_shared
def test_a_batch_sets_an_unknown_status_as_pending_and_a_put_refuses_it() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    fake.add_order({"id": 357, "status": "processing", "total": "12.00"})
    fake.add_order({"id": 12, "status": "processing", "total": "12.00"})
    request = capture("orders_batch_update_invalid_status.json")["request"]["json"]
    with served(fake) as api:
        batch = api.post("orders/batch", request)
        after = api.get("orders/357").json()
        refused = api.put("orders/12", {"status": "bogus"})
        prefixed = api.post("orders/batch", {"update": [{"id": 12, "status": "wc-completed"}]})
    expected = real("orders_batch_update_invalid_status.json")["update"][0]
    assert batch.status_code == capture("orders_batch_update_invalid_status.json")["status"]
    item = batch.json()["update"][0]
    assert "error" not in item
    assert "error" not in expected
    assert (item["id"], item["status"]) == (expected["id"], expected["status"]) == (357, "pending")
    assert after["status"] == real("order_get_after_batch_invalid_status.json")["status"]
    assert (refused.status_code, refused.json()) == (
        400,
        real("order_update_invalid_status_error.json"),
    )
    # WC_Order::set_status strips "wc-" (from WooCommerce's code, not captured).
    assert prefixed.json()["update"][0]["status"] == "completed"
    assert fake.read_order(12).status == "completed"
    # The port method keeps the single-update rule.
    with pytest.raises(ApiError) as refused_port:
        fake.write_order({"status": "not-a-status"}, 357)
    assert refused_port.value.status == 400


def test_a_batch_create_with_an_unknown_status_makes_a_pending_order() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    fake.add_product("MUG-001", "Test Mug", "25.00")
    with served(fake) as api:
        answer = api.post(
            "orders/batch", {"create": [{"status": "shipped", "line_items": [{"sku": "MUG-001"}]}]}
        ).json()
    made = answer["create"][0]
    assert (made["status"], made["total"]) == ("pending", "25.00")
    assert fake.calls[-1].method == "write_order"  # logged as the port write it is


# --- 3. products ----------------------------------------------------------------------------


@requires_shared
@pytest.mark.parametrize("name", ["product_create.json", "product_create_2.json"])
def test_products_parse_strictly_and_round_trip(name: str) -> None:
    raw = real(name)
    product = parse_woo_product(raw)
    assert (product.id, product.name, product.sku) == (raw["id"], raw["name"], raw["sku"])
    assert product.price == product.regular_price == D(raw["regular_price"])
    assert product.sale_price is None  # "" on the wire
    assert product.date_created_gmt == stamp(raw["date_created_gmt"])
    assert parse_woo_product(dump_woo_product(product)) == product
    assert parse_woo_product(json.dumps(raw).encode()) == product
    assert dump_woo_product(product)["sale_price"] == ""


@requires_shared
def test_a_product_list_parses_and_bad_products_name_every_problem() -> None:
    listed = parse_woo_products(real("products_list.json"))
    assert [(p.id, p.sku, p.price) for p in listed] == [
        (10, "MUG-001", D("25.00")),
        (11, "STK-001", D("3.50")),
    ]
    bad = [{"id": "x", "name": 1, "type": "simple", "status": "publish", "price": "abc"}]
    with pytest.raises(Exception, match=r"\$\[0\]\.id") as caught:
        parse_woo_products(bad)
    assert {p for p, _ in caught.value.problems} == {"$[0].id", "$[0].name", "$[0].price"}  # type: ignore[attr-defined]
    no_sku = parse_woo_product({"id": 1, "name": "", "type": "simple", "status": "draft",
                                "sku": "", "price": ""})  # fmt: skip
    assert (no_sku.sku, no_sku.price) == (None, None)


@requires_shared
def test_served_product_create_get_and_list_match_the_captures() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    first, second = capture("product_create.json"), capture("product_create_2.json")
    with served(fake) as api:
        made = api.post("products", first["request"]["json"])
        made2 = api.post("products", second["request"]["json"])
        dup = api.post("products", capture("product_create_duplicate_sku_error.json")["request"]
                       ["json"])  # fmt: skip
        listed = api.get("products", per_page=10)
        one = api.get(f"products/{made.json()['id']}")
        missing = api.get("products/99999")
        wrong_type = api.post("products", {"name": "X", "type": "bogus"})
    for answer, expected in ((made, first), (made2, second)):
        assert answer.status_code == expected["status"] == 201
        assert answer.headers["Location"].endswith(f"/products/{answer.json()['id']}")
        keys = ("name", "type", "status", "sku", "price", "regular_price", "sale_price",
                "manage_stock", "stock_quantity", "stock_status", "tax_status",
                "tax_class")  # fmt: skip
        assert {k: answer.json()[k] for k in keys} == {k: expected["body"][k] for k in keys}
    error = real("product_create_duplicate_sku_error.json")
    assert dup.status_code == 400
    assert dup.json() == {**error, "data": {**error["data"], "resource_id": made.json()["id"]}}
    listed_real = capture("products_list.json")
    assert listed.status_code == 200
    assert listed.headers["X-WP-Total"] == listed_real["headers"]["X-WP-Total"] == "2"
    assert listed.headers["X-WP-TotalPages"] == listed_real["headers"]["X-WP-TotalPages"] == "1"
    assert "Link" not in listed.headers  # one page: no prev/next
    assert set(listed.json()[0]) <= set(listed_real["body"][0])  # a subset of the real shape
    assert {p.sku for p in parse_woo_products(listed.content)} == {"MUG-001", "STK-001"}
    assert one.json() == made.json()
    assert (missing.status_code, missing.json()["code"]) == (
        404,
        "woocommerce_rest_product_invalid_id",
    )
    assert wrong_type.json()["code"] == "rest_invalid_param"


def test_the_sku_filter_compares_as_mysql_and_splits_on_commas() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00")
    sticker = fake.add_product("STK-001", "Test Sticker", "3.50", sale_price="3.00")
    fake.add_product("TEA", "Tea", D("8"), status="draft")
    with served(fake) as api:

        def skus(**params: Any) -> list[str]:
            answer = api.get("products", **params)
            assert answer.status_code == 200, answer.text
            return sorted(p["sku"] for p in answer.json())

        assert skus(sku="MUG-001") == ["MUG-001"]
        assert skus(sku="mug-001") == ["MUG-001"]  # case-insensitive, as MySQL compares
        assert skus(sku="MUG-001,STK-001") == ["MUG-001", "STK-001"]
        assert skus(sku="NOPE") == []
        assert skus() == ["MUG-001", "STK-001", "TEA"]  # status=any: drafts too
        assert skus(status="publish") == ["MUG-001", "STK-001"]
        assert skus(include=[sticker.id, mug.id], per_page=1, page=2) in (["MUG-001"], ["STK-001"])
        paged = api.get("products", per_page=2, page=2)
    assert (paged.headers["X-WP-Total"], paged.headers["X-WP-TotalPages"]) == ("3", "2")
    assert sticker.price == D("3.00")
    assert sticker.regular_price == D("3.50")


def test_add_product_refuses_duplicates_floats_and_shares_the_id_sequence() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    order = fake.write_order({"line_items": [{"sku": "X", "quantity": 1, "total": "1.00"}]})
    mug = fake.add_product("MUG-001", "Test Mug", "25.00")
    assert mug.id == order.id + 1  # products and orders are both WordPress posts
    fake.add_product("MUG-001-1", "Mug again", "1.00")
    with pytest.raises(ApiError) as dup:
        fake.add_product("mug-001", "Dup", "1.00")
    assert (dup.value.status, dup.value.code) == (400, "product_invalid_sku")
    assert dup.value.data == {"status": 400, "resource_id": mug.id, "unique_sku": "mug-001-2"}
    with pytest.raises(TypeError, match="float"):
        fake.add_product("F", "Float", 2.5)  # type: ignore[arg-type]
    nameless = fake.add_product(None, "No SKU", None)
    assert (nameless.sku, nameless.price) == (None, None)
    assert fake.add_product("", "No SKU either", "1").sku is None
    assert [p.id for p in fake.products()] == [mug.id, mug.id + 1, nameless.id, nameless.id + 1]
    assert fake.product(mug.id) == mug
    with pytest.raises(ApiError, match="Invalid ID"):
        fake.product(order.id)


# --- SKU resolution of new orders' line items ----------------------------------------------


LINE_FIELDS = ("name", "product_id", "variation_id", "quantity", "sku", "price",
               "subtotal", "total", "tax_class")  # fmt: skip


def line_of(order: dict[str, Any]) -> dict[str, Any]:
    return {k: order["line_items"][0][k] for k in LINE_FIELDS}


@requires_shared
def test_a_line_with_only_a_known_sku_is_resolved_to_the_product() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0), currency="AUD")
    fake.add_product("SKU-002", "Product 2", "12.00")
    product = fake.add_product("SKU-012", "Product 12", "47.00")
    raw = capture("order_create_known_sku_only.json")
    with served(fake) as api:
        answer = api.post("orders", raw["request"]["json"])
    assert answer.status_code == raw["status"] == 201
    got, expected = answer.json(), raw["body"]
    assert line_of(got) == {**line_of(expected), "product_id": product.id}
    assert expected["line_items"][0]["product_id"] == 22  # the real store's own id
    for key in ("status", "total", "currency", "discount_total", "created_via"):
        assert got[key] == expected[key], key


@requires_shared
def test_a_line_with_only_an_unknown_sku_is_a_nameless_product_0_line() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0), currency="AUD")
    fake.add_product("SKU-012", "Product 12", "47.00")
    raw = capture("order_create_unknown_sku.json")
    with served(fake) as api:
        answer = api.post("orders", raw["request"]["json"])
    assert answer.status_code == raw["status"] == 201
    got, expected = answer.json(), raw["body"]
    assert line_of(got) == line_of(expected)
    assert line_of(got)["sku"] is None
    assert line_of(got)["product_id"] == 0
    assert (got["status"], got["total"]) == (expected["status"], expected["total"])
    assert "NOT-IN-WOO" not in json.dumps(got)  # the SKU is stored nowhere
    assert "NOT-IN-WOO" not in json.dumps(expected)
    # The same through the port method.
    order = fake.write_order(raw["request"]["json"])
    assert (order.line_items[0].sku, order.line_items[0].product_id) == (None, 0)
    assert (order.line_items[0].name, order.total) == ("", D("5.00"))


@requires_shared
def test_an_unknown_product_id_is_accepted_as_a_zero_line() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    raw = capture("order_create_invalid_product_accepted_201.json")
    with served(fake) as api:
        answer = api.post("orders", raw["request"]["json"])
    assert answer.status_code == raw["status"] == 201
    got, expected = answer.json(), raw["body"]
    assert line_of(got) == line_of(expected)
    assert (line_of(got)["product_id"], line_of(got)["total"]) == (0, "0.00")
    assert (
        (got["status"], got["total"])
        == (expected["status"], expected["total"])
        == (
            "pending",
            "0.00",
        )
    )


@requires_shared
def test_known_product_ids_take_name_sku_and_price_from_the_catalogue() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00", manage_stock=True, stock_quantity=1000)
    sticker = fake.add_product("STK-001", "Test Sticker", "3.50")
    ours = {10: mug.id, 11: sticker.id}
    raw = capture("order_create.json")
    request = json.loads(json.dumps(raw["request"]["json"]))
    for line in request["line_items"]:
        line["product_id"] = ours[line["product_id"]]
    with served(fake) as api:
        answer = api.post("orders", request)
        batch_raw = capture("orders_batch_create.json")
        batch_request = json.loads(json.dumps(batch_raw["request"]["json"]))
        for order in batch_request["create"]:
            for line in order["line_items"]:
                line["product_id"] = ours[line["product_id"]]
        batch = api.post("orders/batch", batch_request).json()
    got, expected = answer.json(), raw["body"]
    fields = ("name", "quantity", "sku", "price", "subtotal", "total")
    assert [{k: li[k] for k in fields} for li in got["line_items"]] == [
        {k: li[k] for k in fields} for li in expected["line_items"]
    ]
    assert [li["product_id"] for li in got["line_items"]] == [mug.id, sticker.id]
    assert (got["total"], got["status"]) == (expected["total"], expected["status"])
    for made, real_made in zip(batch["create"], batch_raw["body"]["create"], strict=True):
        assert [{k: li[k] for k in fields} for li in made["line_items"]] == [
            {k: li[k] for k in fields} for li in real_made["line_items"]
        ]
        assert (made["total"], made["status"]) == (real_made["total"], real_made["status"])


def test_given_names_and_totals_win_over_the_product_and_sku_wins_over_product_id() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00")
    order = fake.write_order(
        {
            "line_items": [
                {"sku": "MUG-001", "quantity": 2, "total": "40.00"},  # a discount
                {"sku": "mug-001", "quantity": 1, "name": "Mug (gift)"},  # MySQL compare
                {"sku": "NOPE", "product_id": mug.id, "quantity": 1, "total": "9.00"},
                {"product_id": mug.id, "quantity": 1, "subtotal": "30.00"},
            ]
        }
    )
    discounted, renamed, unknown, subtotal_only = order.line_items
    assert (discounted.product_id, discounted.subtotal, discounted.total) == (
        mug.id,
        D("50.00"),
        D("40.00"),
    )
    assert (renamed.name, renamed.sku, renamed.total) == ("Mug (gift)", "MUG-001", D("25.00"))
    assert (unknown.product_id, unknown.name, unknown.sku, unknown.total) == (
        0,
        "",
        None,
        D("9.00"),
    )
    assert (subtotal_only.subtotal, subtotal_only.total) == (D("30.00"), D("25.00"))
    assert order.discount_total == D("15.00")
    assert order.total == D("99.00")


# --- find_product: the port method, the fake, both clients ----------------------------------


def test_find_product_is_exact_logged_and_can_fail() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00")
    assert isinstance(fake, WooPort)
    assert fake.find_product("MUG-001") == mug
    assert fake.find_product("mug-001") is None  # exact, unlike WooCommerce's own lookups
    assert fake.find_product("") is None
    assert fake.find_product("NOPE") is None
    assert [c.args for c in fake.calls if c.method == "find_product"] == [
        ("MUG-001",), ("mug-001",), ("",), ("NOPE",)
    ]  # fmt: skip
    with pytest.raises(TypeError):
        fake.find_product(None)  # type: ignore[arg-type]
    fake.fail_next("find_product", TimeoutError("lost"))
    with pytest.raises(TimeoutError):
        fake.find_product("MUG-001")
    assert fake.call_count("find_product") == 6


def test_the_client_finds_a_product_by_exact_sku_on_loopback() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00", manage_stock=True, stock_quantity=9)
    fake.add_product("STK-001", "Test Sticker", "3.50")
    comma = fake.add_product("A,B", "Comma", "1.00")
    with client(fake) as woo:
        assert isinstance(woo, WooPort)
        found = woo.find_product("MUG-001")
        assert found == mug
        assert found is not None
        assert found.stock_quantity == 9
        assert woo.find_product("mug-001") is None  # the store matched it; not exact
        assert woo.find_product("NOPE") is None
        assert woo.find_product("A,B") == comma  # the filter split it; exact match kept
        assert woo.find_product("") is None
        with pytest.raises(ConfigurationError):
            woo.find_product(None)  # type: ignore[arg-type]


def test_the_client_sends_the_sku_filter_and_reads_every_page() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = request.url.params.get("page", "1")
        items = [{"id": 1, "name": "m", "type": "simple", "status": "publish", "sku": "mug"}]
        if page == "2":
            items = [{"id": 2, "name": "M", "type": "simple", "status": "publish", "sku": "MUG"}]
        return httpx.Response(200, json=items, headers={"X-WP-Total": "2", "X-WP-TotalPages": "2"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with WooClient("https://shop.test", "ck_x", "cs_x", client=http, retry=FAST) as woo:
        found = woo.find_product("MUG")
    assert found is not None
    assert found.id == 2
    assert seen[0].url.path == "/wp-json/wc/v3/products"
    assert (seen[0].url.params["sku"], seen[0].url.params["per_page"]) == ("MUG", "100")
    assert len(seen) == 2


def test_the_async_client_finds_a_product_by_exact_sku_on_loopback() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0))
    mug = fake.add_product("MUG-001", "Test Mug", "25.00")

    async def scenario(url: str) -> list[WooProduct | None]:
        async with (
            httpx.AsyncClient(trust_env=False) as http,
            AsyncWooClient(url, "ck_test", "cs_test", client=http, clock=wall) as woo,
        ):
            return [await woo.find_product(s) for s in ("MUG-001", "mug-001", "NOPE", "")]

    with serve_woo(fake, clock=wall) as url:
        assert asyncio.run(scenario(url)) == [mug, None, None, None]
