"""Requests the real stores would take the wrong way are refused before anything is sent.

Issue 12, items 7-9, each over real HTTP on loopback (the served fakes), with the server's
request log as the proof that nothing went out:

* **batches** - WooCommerce 10.0.2 does not check ``POST /orders/batch`` items: an unknown
  ``status`` answers 200 and leaves the order ``pending`` (captured:
  ``orders_batch_update_invalid_status.json``, ``order_get_after_batch_invalid_status.json``),
  where a single ``PUT`` answers 400 (``order_update_invalid_status_error.json``). The
  client checks every item first; the fake does what the real store does.
* **list filters** - WooCommerce ignores a query parameter it does not know (a typo lists
  every order), and ``_fields`` trims orders into objects that are not orders: the client
  refuses unknown names and filters it cannot honour; the fake ignores them, as the store.
* **naive datetimes** - a naive ``after`` went out without ``dates_are_gmt`` (read as the
  shop's local time): every entry point, real or fake, refuses it with the same
  ``ConfigurationError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from hikewoo_core import MemoryLedger, OrderWindow, Syncer, SyncSettings, partitions
from hikewoo_core._errors import ApiError, ConfigurationError
from hikewoo_core.hike import AsyncHikeClient, HikeClient
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._faults import HttpFault
from hikewoo_core.testing._hike_server import serve_hike
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import AsyncWooClient, WooClient
from hikewoo_core.woo._auth import OAuth1Signer, WooCredentials, flatten_params

from ._shared import REAL, load, requires_shared
from ._woo_loopback import FAST, T0, Sleeps, seed, store, wall

UTC = timezone.utc
NAIVE = datetime(2026, 1, 1)  # no tzinfo: WooCommerce would read it as the shop's local time
AWARE = datetime(2026, 1, 1, tzinfo=UTC)
#: What every entry point says for a naive datetime (one message helper, shared).
SAID = "must be a timezone-aware datetime, got a naive one"


# --- plumbing --------------------------------------------------------------------------------


@contextmanager
def woo_served(fake: FakeWooCommerce) -> Iterator[tuple[WooClient, FaultPlan]]:
    """A sync client on loopback, and the server's request log."""
    plan = FaultPlan()
    with (
        serve_woo(fake, clock=wall, faults=plan) as url,
        httpx.Client(trust_env=False) as http,
        WooClient(
            url, "ck_test", "cs_test", client=http, retry=FAST, sleep=Sleeps(), clock=wall
        ) as woo,
    ):
        yield woo, plan


@contextmanager
def raw_served(fake: FakeWooCommerce) -> Iterator[Callable[..., httpx.Response]]:
    """Signed requests straight to the served fake (no client in between)."""
    with serve_woo(fake, clock=wall) as url, httpx.Client(trust_env=False) as http:
        api = f"{url}/wp-json/wc/v3"

        def send(method: str, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
            pairs = flatten_params(params or {})
            target = f"{api}/{path}"
            if pairs:
                target = f"{target}?{urlencode(pairs, quote_via=quote)}"
            signer = OAuth1Signer(WooCredentials("ck_test", "cs_test"), clock=wall)
            oauth = urlencode(signer.sign(method, target), quote_via=quote)
            return http.request(method, f"{target}{'&' if pairs else '?'}{oauth}", **kw)

        yield send


@asynccontextmanager
async def async_woo(url: str) -> AsyncIterator[AsyncWooClient]:
    """An async client on loopback, on a caller-owned httpx client closed here."""
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        AsyncWooClient(
            url, "ck_test", "cs_test", client=http, retry=FAST, sleep=Sleeps().asleep, clock=wall
        ) as woo,
    ):
        yield woo


def orders(fake: FakeWooCommerce, *statuses: str) -> list[int]:
    """Seeded orders with these statuses (one a second from T0)."""
    ids = seed(fake, len(statuses))
    for order_id, status in zip(ids, statuses, strict=True):
        if status != "processing":
            fake.set_status(order_id, status)
    return ids


def status_of(fake: FakeWooCommerce, order_id: int) -> str:
    return str(fake.get_order(order_id)["status"])


# --- item 7: batches are checked before they are sent ----------------------------------------


def test_a_batch_with_an_unknown_status_is_refused_whole_before_sending() -> None:
    fake = store()
    good, bad = orders(fake, "processing", "processing")
    with woo_served(fake) as (woo, plan), pytest.raises(ConfigurationError) as info:
        woo.batch_update_orders(
            [{"id": good, "status": "completed"}, {"id": bad, "status": "not-a-status"}]
        )
    message = str(info.value)
    assert "update #1 status" in message
    assert "'not-a-status'" in message
    assert "update #0" not in message  # the good item is not blamed
    assert plan.requests == []  # nothing sent: no partial batch
    assert [status_of(fake, good), status_of(fake, bad)] == ["processing", "processing"]


def test_async_batch_with_an_unknown_status_is_refused_whole_before_sending() -> None:
    fake = store()
    good, bad = orders(fake, "processing", "processing")
    plan = FaultPlan()

    async def scenario() -> None:
        async with async_woo(url) as woo:
            with pytest.raises(ConfigurationError, match=r"update #1 status"):
                await woo.batch_update_orders(
                    [{"id": good, "status": "completed"}, {"id": bad, "status": "bogus"}]
                )

    with serve_woo(fake, clock=wall, faults=plan) as url:
        asyncio.run(scenario())
    assert plan.requests == []
    assert [status_of(fake, good), status_of(fake, bad)] == ["processing", "processing"]


def test_a_batch_names_every_bad_field_of_every_item_and_sends_nothing() -> None:
    fake = store()
    ids = orders(fake, "pending", "processing", "processing", "processing", "processing")
    updates: list[dict[str, Any]] = [
        {"id": ids[0], "set_paid": "true"},  # a batch pays only on JSON true: ignored
        {"id": ids[1], "meta_data": [{"key": "_hike_sale_id"}]},  # no value: null stored
        {"id": ids[2], "line_items": [{"id": 1, "quantity": "0"}]},  # "0" removes nothing
        {"id": ids[3], "billing": "ada@example.com"},
        {"id": ids[4], "status": "wc-completed", "customer_id": "7"},
        {"id": "6", "status": "completed"},
    ]
    with woo_served(fake) as (woo, plan), pytest.raises(ConfigurationError) as info:
        woo.batch_update_orders(updates)
    message = str(info.value)
    for where in (
        "update #0 set_paid",
        "update #1 meta_data[0].value",
        "update #2 line_items[0].quantity",
        "update #3 billing",
        "update #4 status",
        "update #4 customer_id",
        "update #5 id",
    ):
        assert where in message, where
    assert "nothing was sent" in message
    assert plan.requests == []
    assert status_of(fake, ids[0]) == "pending"
    assert fake.get_order(ids[0])["date_paid"] is None


def test_a_batch_takes_plugin_statuses_only_when_named() -> None:
    fake = FakeWooCommerce(clock=FakeClock(T0), extra_statuses=["shipped"])
    [order_id] = orders(fake, "processing")
    with woo_served(fake) as (woo, plan):
        with pytest.raises(ConfigurationError, match="extra_statuses"):
            woo.batch_update_orders([{"id": order_id, "status": "shipped"}])
        assert plan.requests == []
        result = woo.batch_update_orders(
            [{"id": order_id, "status": "shipped"}], extra_statuses=["shipped"]
        )
    assert result.ok
    assert [o.status for o in result.orders] == ["shipped"]
    assert len(plan.requests) == 1


@requires_shared
def test_the_served_fake_batch_makes_an_unknown_status_pending_as_the_real_store() -> None:
    """The captures: a batch answers 200 and the order becomes ``pending``; a single ``PUT``
    of the same kind of value answers 400 ``rest_invalid_param``. The fake does both, over
    HTTP and in memory."""
    batch = load(REAL / "orders_batch_update_invalid_status.json")
    after = load(REAL / "order_get_after_batch_invalid_status.json")
    single = load(REAL / "order_update_invalid_status_error.json")
    assert batch["request"]["json"]["update"][0]["status"] == "not-a-status"
    fake = store()
    [order_id] = orders(fake, "processing")
    with raw_served(fake) as send:
        answer = send(
            "POST", "orders/batch", json={"update": [{"id": order_id, "status": "not-a-status"}]}
        )
        assert answer.status_code == batch["status"] == 200
        [item] = answer.json()["update"]
        assert "error" not in item
        assert item["status"] == batch["body"]["update"][0]["status"] == "pending"
        assert send("GET", f"orders/{order_id}").json()["status"] == after["body"]["status"]
        refused = send("PUT", f"orders/{order_id}", json={"status": "bogus"})
        assert refused.status_code == single["status"] == 400
        assert refused.json() == single["body"]
    with pytest.raises(ApiError) as info:  # the in-memory port: the single PUT's 400
        fake.write_order({"status": "bogus"}, order_id)
    assert (info.value.status, info.value.code) == (400, "rest_invalid_param")


def test_the_served_fake_batch_pays_only_on_json_true() -> None:
    """``save_object`` pays ``if ( true === $request['set_paid'] )`` and a batch item is not
    sanitised: ``"true"`` is ignored there (200, no error), ``true`` pays."""
    fake = store()
    lazy, paid = orders(fake, "pending", "pending")
    with raw_served(fake) as send:
        answer = send(
            "POST",
            "orders/batch",
            json={"update": [{"id": lazy, "set_paid": "true"}, {"id": paid, "set_paid": True}]},
        )
    assert answer.status_code == 200
    first, second = answer.json()["update"]
    assert "error" not in first
    assert first["status"] == "pending"
    assert first["date_paid"] is None
    assert second["status"] == "processing"
    assert second["date_paid"] is not None


# --- item 8: list filters the client cannot honour are refused ---------------------------------


def test_an_unknown_filter_name_is_refused_with_the_close_matches() -> None:
    fake = store()
    ids = orders(fake, "processing", "completed", "completed")
    with raw_served(fake) as send:  # the store ignores the typo: every order comes back
        listed = send("GET", "orders", {"statuss": "completed"}).json()
        assert sorted(o["id"] for o in listed) == ids
    with woo_served(fake) as (woo, plan):
        with pytest.raises(ConfigurationError) as info:
            woo.list_orders(statuss="completed")
        with pytest.raises(ConfigurationError, match="'per_page'"):
            list(woo.iter_orders(perpage=5))
        with pytest.raises(ConfigurationError, match="'status'"):
            list(woo.iter_order_fields(["id"], stauts="completed"))
        with pytest.raises(ConfigurationError, match="'created_via'"):
            list(woo.iter_orders_modified(T0, T0 + timedelta(hours=1), created_vai="hike"))
        with pytest.raises(ConfigurationError, match="unknown filter '_envelope'"):
            woo.list_orders(_envelope=1)  # would wrap the answer: not a list of orders
        assert plan.requests == []
        got = woo.list_orders(status="completed")  # the right name still works
    message = str(info.value)
    assert "'statuss' (did you mean 'status'?)" in message
    assert "Valid filters: " in message
    assert "modified_after" in message
    assert sorted(o.id for o in got) == ids[1:]


def test_async_unknown_filter_names_are_refused_before_sending() -> None:
    fake = store()
    orders(fake, "processing", "completed")
    plan = FaultPlan()

    async def scenario() -> None:
        async with async_woo(url) as woo:
            with pytest.raises(ConfigurationError, match="did you mean 'status'"):
                await woo.list_orders(statuss="completed")
            with pytest.raises(ConfigurationError, match="did you mean 'status'"):
                [o async for o in woo.iter_orders(statu="completed")]

    with serve_woo(fake, clock=wall, faults=plan) as url:
        asyncio.run(scenario())
    assert plan.requests == []


def test_fields_in_an_order_listing_is_refused_before_sending() -> None:
    """``_fields`` trims every order to the fields named (captured:
    ``orders_list_fields_param.json``), so no order of the answer would parse."""
    fake = store()
    orders(fake, "processing", "processing")
    with woo_served(fake) as (woo, plan):
        listings: list[Callable[[], object]] = [
            lambda: woo.list_orders(_fields="id,status"),
            lambda: list(woo.iter_orders(_fields="id")),
            lambda: list(woo.iter_orders_modified(T0, T0 + timedelta(hours=1), _fields="id")),
        ]
        for listing in listings:
            with pytest.raises(ConfigurationError, match="_fields"):
                listing()
        assert plan.requests == []


def test_offset_is_refused_where_pages_are_read_by_number() -> None:
    """With ``offset`` WooCommerce ignores ``page``: every page of a paged read would be the
    same orders (the fake shows it), so the paged reads refuse it; one page takes it."""
    fake = store()
    orders(fake, *["processing"] * 5)
    with raw_served(fake) as send:
        pages = [
            [o["id"] for o in send("GET", "orders", {"per_page": 2, "page": n, "offset": 1}).json()]
            for n in (1, 2)
        ]
        assert pages[0] == pages[1]
    with woo_served(fake) as (woo, plan):
        with pytest.raises(ConfigurationError, match="offset"):
            list(woo.iter_orders(offset=1, per_page=2))
        with pytest.raises(ConfigurationError, match="offset"):
            list(woo.iter_order_fields(["id"], offset=1))
        assert plan.requests == []
        assert len(woo.list_orders(offset=1, per_page=2)) == 2


@pytest.mark.parametrize(
    "name",
    [
        "modified_after",
        "modified_before",
        "orderby",
        "order",
        "page",
        "per_page",
        "offset",
        "dates_are_gmt",
    ],
)
def test_the_modified_scan_refuses_the_filters_it_sets_itself(name: str) -> None:
    """They would be overridden without a word (or, ``offset``, break its paging)."""
    value: Any = {"orderby": "id", "order": "desc", "dates_are_gmt": False}.get(name, 1)
    if name.startswith("modified"):
        value = T0
    fake = store()
    orders(fake, "processing")
    with woo_served(fake) as (woo, plan):
        with pytest.raises(ConfigurationError, match=f"cannot take the filter '{name}'"):
            list(woo.iter_orders_modified(T0, T0 + timedelta(hours=1), **{name: value}))
        assert plan.requests == []


# --- item 9: naive datetimes are refused everywhere, with the same error -----------------------


def test_a_naive_list_filter_is_refused_before_sending() -> None:
    """``list_orders(after=datetime(2026, 1, 1))`` went out as ``after=2026-01-01T00:00:00``
    without ``dates_are_gmt``: WooCommerce read it as the shop's local time."""
    fake = store()
    orders(fake, "processing")
    with woo_served(fake) as (woo, plan):
        calls: list[tuple[str, Callable[[], object]]] = [
            ("after", lambda: woo.list_orders(after=NAIVE)),
            ("before", lambda: woo.list_orders(before=NAIVE, status="any")),
            ("modified_after", lambda: list(woo.iter_orders(modified_after=NAIVE))),
            ("modified_before", lambda: list(woo.iter_order_fields(["id"], modified_before=NAIVE))),
            ("after", lambda: list(woo.iter_orders_modified(NAIVE, AWARE))),
            ("before", lambda: list(woo.iter_orders_modified(AWARE, NAIVE))),
            ("modified_after", lambda: list(woo.read_orders(OrderWindow(modified_after=NAIVE)))),
            ("created_after", lambda: list(woo.read_orders(OrderWindow(created_after=NAIVE)))),
            (
                "created_after",
                lambda: woo.find_orders_by_meta("k", "v", OrderWindow(created_after=NAIVE)),
            ),
            (
                "created_after",
                lambda: woo.create_order_idempotent(
                    {}, reference_key="k", reference_value="v", created_after=NAIVE
                ),
            ),
            ("after", lambda: woo.list_orders(after="2026-01-01T00:00:00")),  # naive as text
        ]
        for name, call in calls:
            with pytest.raises(ConfigurationError) as info:
                call()
            assert str(info.value).startswith(f"{name} must be a timezone-aware datetime"), name
        assert plan.requests == []
        assert len(woo.list_orders(after=AWARE)) == 1  # an aware one goes out, in UTC


def test_async_woo_client_refuses_naive_datetimes_before_sending() -> None:
    fake = store()
    plan = FaultPlan()

    async def scenario() -> None:
        async with async_woo(url) as woo:
            with pytest.raises(ConfigurationError, match=SAID):
                await woo.list_orders(after=NAIVE)
            with pytest.raises(ConfigurationError, match=SAID):
                [o async for o in woo.iter_orders(modified_before=NAIVE)]
            with pytest.raises(ConfigurationError, match=SAID):
                woo.read_orders(OrderWindow(modified_after=NAIVE))  # at the call, as the sync twin
            with pytest.raises(ConfigurationError, match=SAID):
                await woo.find_orders_by_meta("k", "v", OrderWindow(created_after=NAIVE))

    with serve_woo(fake, clock=wall, faults=plan) as url:
        asyncio.run(scenario())
    assert plan.requests == []


@pytest.fixture
def hike_shop() -> FakeHike:
    fake = FakeHike(clock=FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)))
    fake.add_product("MUG", "Mug", stock=5)
    fake.record_sale([("MUG", 1, "12.50")], [("Cash", "12.50")])
    return fake


def test_the_hike_clients_refuse_naive_datetimes_before_sending(hike_shop: FakeHike) -> None:
    """``find_sales_by_reference(around=naive)`` compared it with an aware time
    (``TypeError``) and ``read_sales`` refused only once iterated: both now refuse at the
    call with the same ``ConfigurationError``, like ``iter_sales``."""
    plan = FaultPlan()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with serve_hike(hike_shop, access_token="pre-acc", faults=plan) as base:
        with HikeClient("pre-acc", base_url=base, sleep=lambda s: None, clock=lambda: now) as hike:
            for call in (
                lambda: hike.find_sales_by_reference("woo:1", around=NAIVE),
                lambda: hike.read_sales(modified_after=NAIVE),
                lambda: hike.read_sales(modified_before=NAIVE),
                lambda: hike.iter_sales(since=NAIVE),
                lambda: hike.iter_register_closures(until=NAIVE),
            ):
                with pytest.raises(ConfigurationError, match=SAID):
                    call()

        async def scenario() -> None:
            async with AsyncHikeClient("pre-acc", base_url=base, clock=lambda: now) as hike:
                with pytest.raises(ConfigurationError, match=SAID):
                    hike.read_sales(modified_after=NAIVE)
                with pytest.raises(ConfigurationError, match=SAID):
                    await hike.find_sales_by_reference("woo:1", around=NAIVE)

        asyncio.run(scenario())
    assert plan.requests == []


def test_the_fakes_raise_what_the_clients_raise_for_a_naive_datetime(
    hike_shop: FakeHike,
) -> None:
    """Same argument, same exception type and message, real client or fake; the fake
    refuses it before the call counts (no queued fault is spent on it)."""
    woo = store()
    orders(woo, "processing")
    boom = RuntimeError("a queued fault")
    woo.fail_next("read_orders", boom)
    hike_shop.fail_next("read_sales", boom)
    fake_calls: list[Callable[[], object]] = [
        lambda: woo.read_orders(OrderWindow(modified_after=NAIVE)),
        lambda: woo.read_orders(OrderWindow(modified_before=NAIVE)),
        lambda: woo.read_orders(OrderWindow(created_after=NAIVE)),
        lambda: woo.read_orders(OrderWindow(created_before=NAIVE)),
        lambda: woo.find_orders_by_meta("k", "v", OrderWindow(created_after=NAIVE)),
        lambda: hike_shop.read_sales(modified_after=NAIVE),
        lambda: hike_shop.read_sales(modified_before=NAIVE),
        lambda: hike_shop.find_sales_by_reference("woo:1", around=NAIVE),
    ]
    for call in fake_calls:
        with pytest.raises(ConfigurationError, match=SAID):
            call()
    assert woo.calls == []
    assert hike_shop.calls == []
    with pytest.raises(RuntimeError):  # the queued faults are still there
        woo.read_orders(OrderWindow(modified_after=AWARE))
    with woo_served(store()) as (client, _), pytest.raises(ConfigurationError) as real:
        client.read_orders(OrderWindow(created_before=NAIVE))
    with pytest.raises(ConfigurationError) as fake:
        store().read_orders(OrderWindow(created_before=NAIVE))
    assert str(real.value) == str(fake.value)


def test_the_syncer_refuses_naive_ranges_and_a_naive_clock() -> None:
    aware_clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    woo, hike = FakeWooCommerce(clock=aware_clock), FakeHike(clock=aware_clock)
    syncer = Syncer(woo=woo, hike=hike, ledger=MemoryLedger(clock=aware_clock))
    for call in (
        lambda: syncer.historical_sync(NAIVE, AWARE),
        lambda: syncer.historical_sync(AWARE - timedelta(days=1), NAIVE),
        lambda: syncer.backfill(NAIVE, AWARE),
        lambda: partitions(NAIVE, AWARE, 2),
        lambda: SyncSettings(sync_from=NAIVE),
    ):
        with pytest.raises(ConfigurationError, match=SAID):
            call()
    assert woo.calls == []
    # Refused where it is given, before anything is read or written.
    with pytest.raises(ConfigurationError, match=f"the Syncer's clock time {SAID}"):
        Syncer(
            woo=woo,
            hike=hike,
            ledger=MemoryLedger(clock=aware_clock),
            clock=lambda: datetime(2026, 3, 1, 12, 0),  # datetime.now() without a zone
        )
    assert woo.calls == []


def test_ledgers_and_the_fake_clock_refuse_naive_datetimes_the_same_way() -> None:
    ledger = MemoryLedger(clock=FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)))
    for call in (
        lambda: ledger.prune_seen(NAIVE),
        lambda: FakeClock(NAIVE),
        lambda: FakeClock().set(NAIVE),
    ):
        with pytest.raises(ConfigurationError, match=SAID):
            call()


def test_a_queued_http_fault_does_not_hide_a_naive_datetime() -> None:
    """The client refuses before the request: the server's queued fault is not consumed."""
    fake = store()
    orders(fake, "processing")
    plan = FaultPlan([HttpFault(status=503, method="GET")])
    with (
        serve_woo(fake, clock=wall, faults=plan) as url,
        httpx.Client(trust_env=False) as http,
        WooClient(
            url, "ck_test", "cs_test", client=http, retry=FAST, sleep=Sleeps(), clock=wall
        ) as woo,
    ):
        with pytest.raises(ConfigurationError, match=SAID):
            woo.list_orders(modified_after=NAIVE)
        assert plan.pending == 1
        assert plan.requests == []


def test_paged_reads_refuse_bad_filters_when_called_not_when_first_read() -> None:
    """A typo surfaces where it was written, not at some later ``next()`` (or never, for
    an iterator that is built and not consumed)."""
    naive = datetime(2026, 1, 1)  # the mistake under test
    sync = WooClient("https://shop.example", "ck_x" * 5, "cs_y" * 5)
    lazy = AsyncWooClient("https://shop.example", "ck_x" * 5, "cs_y" * 5)
    for client in (sync, lazy):
        with pytest.raises(ConfigurationError, match="statuss"):
            client.iter_orders(statuss="processing")
        with pytest.raises(ConfigurationError, match="statuss"):
            client.iter_order_fields(["id"], statuss="processing")
        with pytest.raises(ConfigurationError, match="naive"):
            client.iter_orders_modified(naive, T0)
        with pytest.raises(ConfigurationError, match="naive"):
            client.iter_orders(after=naive)
    sync.close()
    asyncio.run(lazy.aclose())
