"""OrderWindow: which orders a read or a lookup covers, checked once where it is made,
and honoured alike by the HTTP client and the fake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import httpx
import pytest

from hikewoo_core import ConfigurationError, OrderWindow
from hikewoo_core.testing import FakeClock, FakeWooCommerce
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import WooClient

from ._woo_loopback import FAST, KEY, SECRET, T0, Sleeps, body, order_json, page_response, wall

NAIVE = datetime(2026, 1, 1)
SECONDS_4 = timedelta(seconds=4)
BOUNDS = ("modified_after", "modified_before", "created_after", "created_before")


@pytest.mark.parametrize("name", BOUNDS)
def test_a_naive_bound_is_refused_by_name_where_the_window_is_made(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{name} must be a timezone-aware"):
        OrderWindow(**{name: NAIVE})  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", 7, b"hike"])
def test_created_via_must_be_a_non_empty_string(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="created_via"):
        OrderWindow(created_via=bad)


def test_after_bounds_are_inclusive_before_bounds_exclusive_and_the_channel_exact() -> None:
    t = [T0 + timedelta(seconds=i) for i in range(4)]
    window = OrderWindow(
        modified_after=t[1], modified_before=t[3], created_after=t[0], created_before=t[2]
    )
    assert window.contains(t[1], t[0], "admin")
    assert not window.contains(t[3], t[0], "admin")  # modified_before is exclusive
    assert not window.contains(t[1], t[2], "admin")  # so is created_before
    assert not window.contains(t[0], t[0], "admin")
    hike_only = OrderWindow(created_via="hike")
    assert hike_only.contains(t[0], t[0], "hike")
    assert not hike_only.contains(t[0], t[0], "hike-pos")


def test_bounds_in_another_zone_mean_the_same_instant() -> None:
    paris = timezone(timedelta(hours=1))
    window = OrderWindow(modified_after=T0.astimezone(paris))
    assert window.contains(T0, T0, "admin")
    assert not window.contains(T0 - timedelta(seconds=1), T0, "admin")


def _store() -> tuple[FakeWooCommerce, list[int]]:
    """Six orders a second apart, created through three channels, all with one meta,
    and a checkout draft with the same meta."""
    clock = FakeClock(T0)
    fake = FakeWooCommerce(clock=clock)
    ids = []
    for i, via in enumerate(["hike", "admin", "hike", "checkout", "hike", "admin"]):
        meta = [{"key": "_ref", "value": "R"}]
        ids.append(fake.write_order(body(created_via=via, meta_data=meta)).id)
        clock.set(T0 + timedelta(seconds=i + 1))
    # A create that failed half way leaves a draft carrying the reference: not an order.
    draft = fake.write_order(body(created_via="hike", meta_data=[{"key": "_ref", "value": "R"}]))
    fake.set_status(draft.id, "checkout-draft")
    return fake, ids


WINDOWS = [
    OrderWindow(),
    OrderWindow(created_via="hike"),
    OrderWindow(modified_after=T0 + timedelta(seconds=2)),
    OrderWindow(
        modified_after=T0 + timedelta(seconds=1), modified_before=T0 + timedelta(seconds=4)
    ),
    OrderWindow(created_after=T0 + timedelta(seconds=1, microseconds=1)),
    OrderWindow(created_before=T0 + timedelta(seconds=3), created_via="admin"),
]


@pytest.mark.parametrize("window", WINDOWS, ids=repr)
def test_the_client_and_the_fake_read_and_look_up_the_same_orders(window: OrderWindow) -> None:
    fake, ids = _store()
    read_fake = sorted(o.id for o in fake.read_orders(window))
    found_fake = [o.id for o in fake.find_orders_by_meta("_ref", "R", window)]
    with (
        serve_woo(fake, consumer_key=KEY, consumer_secret=SECRET, clock=wall) as url,
        _client(url) as client,
    ):
        read_http = sorted(o.id for o in client.read_orders(window))
        found_http = [o.id for o in client.find_orders_by_meta("_ref", "R", window)]
    assert read_http == read_fake
    # Every order carries the meta; the draft is no created order.
    assert found_http == found_fake == [i for i in read_fake if i in ids]


def test_a_window_narrows_the_lookup_to_its_channel_and_times() -> None:
    fake, ids = _store()
    window = OrderWindow(created_after=T0 + timedelta(seconds=1), created_via="hike")
    assert [o.id for o in fake.find_orders_by_meta("_ref", "R", window)] == [ids[2], ids[4]]
    assert [o.id for o in fake.find_orders_by_meta("_ref", "R")] == ids  # any channel


def _client(url: str) -> WooClient:
    return WooClient(url, KEY, SECRET, retry=FAST, sleep=Sleeps(), clock=wall)


@pytest.mark.parametrize("method", ["read_orders", "find_orders_by_meta"])
def test_anything_but_a_window_is_refused_by_the_client_and_the_fake(method: str) -> None:
    """An old caller's datetime (or a dict) is a TypeError naming OrderWindow, before any
    request; a falsy one is not read as "every order"."""
    fake, _ = _store()
    logged = len(fake.calls)
    args: tuple[Any, ...] = ("_ref", "R") if method == "find_orders_by_meta" else ()
    with _client("https://shop.test") as client:
        for target in (fake, client):
            for bad in (T0, {}, {"modified_after": T0}):
                with pytest.raises(TypeError, match=f"^{method} takes an OrderWindow"):
                    getattr(target, method)(*args, bad)
    assert len(fake.calls) == logged  # refused before the call is logged


def test_the_client_keeps_only_the_window_channel_where_the_store_ignores_the_filter() -> None:
    """Stores before WooCommerce 9.9 ignore ``created_via``: the client checks each order."""
    meta = [{"key": "_ref", "value": "R"}]
    listing = [
        order_json(1, created_via="hike", meta_data=meta),
        order_json(2, created_via="admin", meta_data=meta),
    ]

    def store_without_the_filter(request: httpx.Request) -> httpx.Response:
        order_id = request.url.path.rsplit("/", 1)[-1]
        if order_id.isdigit():  # a match read in full
            return httpx.Response(200, json=listing[int(order_id) - 1])
        return page_response(listing, total=2, pages=1)

    http = httpx.Client(transport=httpx.MockTransport(store_without_the_filter))
    window = OrderWindow(modified_before=T0 + timedelta(hours=1), created_via="hike")
    with http, WooClient("https://shop.test", KEY, SECRET, client=http, clock=wall) as client:
        assert [o.id for o in client.read_orders(window)] == [1]
        assert [o.id for o in client.read_orders(attrs.evolve(window, created_via=None))] == [1, 2]
        assert [o.id for o in client.find_orders_by_meta("_ref", "R", window)] == [1]
        any_channel = attrs.evolve(window, created_via=None)
        assert [o.id for o in client.find_orders_by_meta("_ref", "R", any_channel)] == [1, 2]


def test_a_create_body_with_an_empty_channel_is_looked_up_in_every_channel() -> None:
    """``created_via: ""`` names no channel (it failed as an invalid window)."""
    fake, _ = _store()
    with (
        serve_woo(fake, consumer_key=KEY, consumer_secret=SECRET, clock=wall) as url,
        _client(url) as client,
    ):
        made = client.create_order_idempotent(
            body(created_via=""), reference_key="_ref", reference_value="NEW"
        )
        again = client.create_order_idempotent(
            body(created_via=""), reference_key="_ref", reference_value="NEW"
        )
    assert made.id == again.id
