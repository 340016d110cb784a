"""The Hike REST client: URLs and names from the schema, paging, retries, idempotent
creates, the status encoding switch, and the same over loopback HTTP (``serve_hike``).

No test sleeps: ``sleep`` is injected and records the waits.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hikewoo_core import HikeStatus
from hikewoo_core._errors import ApiError, ConfigurationError, OutcomeUnknownError
from hikewoo_core._ports import HikePort
from hikewoo_core._retry import RetryPolicy
from hikewoo_core.hike import AsyncHikeClient, HikeClient, _requests, dump_hike
from hikewoo_core.hike import _schema as schema
from hikewoo_core.hike._models import (
    FulfilmentStatus,
    HikePayment,
    HikeSaleDraft,
    HikeSaleLine,
    PaymentStatus,
    SaleSource,
)
from hikewoo_core.testing import FakeClock, FakeHike
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._faults import HttpFault, HttpFaults
from hikewoo_core.testing._hike_server import serve_hike

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://api.hikeup.com/api/v1"
NO_JITTER = RetryPolicy(jitter=0.0, retry_statuses=frozenset({429, 502, 503, 504}))


def sale_json(sale_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": sale_id,
        "number": f"INV-{1000 + sale_id}",
        "status": "Completed",
        "financialStatus": "Paid",
        "netAmount": "10.00",
        "outletId": 1,
        "transactionDate": "2026-03-01T11:00:00",
        **extra,
    }


def draft(ref: str = "woo:77") -> HikeSaleDraft:
    return HikeSaleDraft(
        fulfilment_status=FulfilmentStatus.COMPLETED,
        payment_status=PaymentStatus.PAID,
        total=Decimal("10.00"),
        outlet_id=1,
        transaction_date=T0,
        external_reference=ref,
        lines=(HikeSaleLine(quantity=1, sold_price=Decimal("10.00"), sku="MUG"),),
        payments=(HikePayment(payment_type_name="WooCommerce", amount=Decimal("10.00")),),
    )


class Api:
    """A MockTransport handler answering from ``answer(request)``; records requests."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response | Exception]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.answer(request)
        if isinstance(result, Exception):
            raise result
        return result


def make(api: Api, sleeps: list[float] | None = None, **kw: Any) -> HikeClient:
    waits = sleeps if sleeps is not None else []
    return HikeClient(
        "tok-123",
        client=httpx.Client(transport=httpx.MockTransport(api)),
        sleep=waits.append,
        clock=lambda: T0,
        **kw,
    )


def page_answer(total: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["page_size"])
        skip = int(request.url.params["skip_count"])
        items = [sale_json(i + 1) for i in range(skip, min(skip + size, total))]
        return httpx.Response(200, json={"totalCount": total, "items": items})

    return answer


# --- requests ---------------------------------------------------------------------------


def lookup_answer(path: str) -> httpx.Response | None:
    """Hike's answers to the lookups (register closure 3 open, product MUG, no such
    customer); ``None`` for any other path."""
    if path.endswith("/registerClosures/get"):
        return httpx.Response(
            200, json={"id": 3, "registerId": 1, "startDateTime": "2026-03-01T08:00:00"}
        )
    if path.endswith("/products/by_sku"):
        return httpx.Response(200, json={"id": 9, "sku": "MUG"})
    if path.endswith("/customers/get_by_email"):
        return httpx.Response(404, json={"error": {"message": "none"}})
    return None


def test_port_methods_use_the_schema_paths_and_the_bearer_header() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (looked_up := lookup_answer(path)) is not None:
            return looked_up
        return httpx.Response(200, json=sale_json(5))

    api = Api(answer)
    hike = make(api)
    assert isinstance(hike, HikePort)
    hike.read_sale(5)
    assert hike.read_register_closure(3).is_open
    assert hike.find_product("MUG") is not None
    assert hike.find_customer("a@b.test") is None
    hike.write_serial_numbers(5, 0, ["SN1"])
    urls = [str(r.url) for r in api.requests]
    assert urls == [
        f"{BASE}/sales/get?id=5",
        f"{BASE}/registerClosures/get?id=3",
        f"{BASE}/products/by_sku?sku=MUG",
        f"{BASE}/customers/get_by_email?email=a%40b.test",
        f"{BASE}/sales/update_serial_numbers",
    ]
    assert json.loads(api.requests[-1].content) == {
        "invoiceId": 5,
        "lineIndex": 0,
        "serialNumbers": ["SN1"],
    }
    for request in api.requests:
        assert request.headers["Authorization"] == "Bearer tok-123"
        assert request.headers["Accept"] == "application/json"


def test_create_sends_the_draft_and_reads_the_answer() -> None:
    api = Api(lambda r: httpx.Response(200, json=sale_json(8, externalReference="woo:77")))
    sale = make(api).write_sale(draft())
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/sales/create_ecommerce_sale")
    body = json.loads(request.content)
    assert body["status"] == "Completed"
    assert body["financialStatus"] == "Paid"
    assert body["externalReference"] == "woo:77"
    assert body["invoiceFrom"] == "Woo"
    assert "id" not in body
    assert (sale.id, sale.external_reference) == (8, "woo:77")


def test_an_answer_with_only_an_id_is_read_back() -> None:
    api = Api(lambda r: httpx.Response(200, json=8 if r.method == "POST" else sale_json(8)))
    assert make(api).write_sale(draft()).id == 8
    assert [r.method for r in api.requests] == ["POST", "GET"]


def test_status_update_posts_the_id_statuses_and_payments() -> None:
    api = Api(lambda r: httpx.Response(200, json=sale_json(4)))
    pay = HikePayment(payment_type_name="WooCommerce", amount=Decimal("10.00"))
    make(api).write_sale_status(
        4, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID), [pay]
    )
    body = json.loads(api.requests[0].content)
    assert body == {
        "id": 4,
        "status": "Completed",
        "financialStatus": "Paid",
        "invoicePayments": [
            {
                "paymentOptionName": "WooCommerce",
                "amount": "10.00",
                "paymentOptionId": None,
                "paymentDate": None,
            }
        ],
    }


def test_status_encoding_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names by default; ``status_encoding=`` per client or per call. The module constant
    is the default only: no module-level setting is read at call time."""
    api = Api(lambda r: httpx.Response(200, json=sale_json(8)))
    make(api, status_encoding="number").write_sale(draft())
    body = json.loads(api.requests[-1].content)
    assert (body["status"], body["financialStatus"], body["invoiceFrom"]) == (2, 2, 4)
    make(api).write_sale_status(4, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED))
    assert json.loads(api.requests[-1].content)["status"] == "Voided"
    monkeypatch.setattr(schema, "STATUS_ENCODING", "number")  # no effect: not a setting
    make(api).write_sale_status(4, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED))
    assert json.loads(api.requests[-1].content)["status"] == "Voided"
    assert dump_hike(draft())["financialStatus"] == "Paid"
    assert dump_hike(draft(), status_encoding="number")["financialStatus"] == 2
    with pytest.raises(ConfigurationError):
        make(api, status_encoding="emoji")


# --- paging -----------------------------------------------------------------------------


def test_iter_sales_pages_lazily_until_total_count() -> None:
    api = Api(page_answer(7))
    sales = make(api, page_size=3).iter_sales(since=T0 - timedelta(days=1), until=T0)
    assert api.requests == []  # lazy
    assert [s.id for s in sales] == [1, 2, 3, 4, 5, 6, 7]
    assert [(r.url.params["page_size"], r.url.params["skip_count"]) for r in api.requests] == [
        ("3", "0"),
        ("3", "3"),
        ("3", "6"),
    ]
    params = api.requests[0].url.params
    assert params["invoice_range_from"] == "2026-02-28T12:00:00Z"
    assert params["invoice_range_to"] == "2026-03-01T12:00:00Z"
    assert params["Sorting"] == "transactionDate"


def test_paging_stops_on_a_short_page_without_total() -> None:
    api = Api(lambda r: httpx.Response(200, json={"items": [{"id": 1, "sku": "A"}]}))
    assert [p.sku for p in make(api).iter_products(page_size=5)] == ["A"]
    assert len(api.requests) == 1


@pytest.mark.parametrize("size", [0, 501, -1, True])
def test_page_size_is_validated_locally(size: int) -> None:
    api = Api(page_answer(1))
    with pytest.raises(ConfigurationError, match="page_size"):
        list(make(api).iter_sales(page_size=size))
    with pytest.raises(ConfigurationError):
        make(api, page_size=size)
    assert api.requests == []


def test_read_sales_filters_on_modification_time() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        items = [
            sale_json(1, lastModificationTime="2026-03-01T09:00:00"),
            sale_json(2, lastModificationTime="2026-03-01T11:00:00"),
            sale_json(3),
        ]
        return httpx.Response(200, json={"totalCount": 3, "items": items})

    api = Api(answer)
    hike = make(api, sales_lookback=timedelta(days=2))
    found = hike.read_sales(modified_after=T0 - timedelta(hours=2), modified_before=T0)
    assert [s.id for s in found] == [2, 3]
    assert api.requests[0].url.params["invoice_range_from"] == "2026-02-27T10:00:00Z"


def test_a_bad_item_is_reported_with_its_page_path() -> None:
    api = Api(
        lambda r: httpx.Response(200, json={"totalCount": 2, "items": [sale_json(1), {"id": "x"}]})
    )
    with pytest.raises(Exception, match=r"\$\.items\[1\]\.id") as info:
        list(make(api).iter_sales())
    assert type(info.value).__name__ == "PayloadError"


# --- retries and errors -----------------------------------------------------------------


def test_429_retry_after_is_honoured_with_the_injected_sleep() -> None:
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[{"id": 1}])]
    )
    api, sleeps = Api(lambda r: next(answers)), list[float]()
    outlets = make(api, sleeps, retry=NO_JITTER).list_outlets()
    assert [o.id for o in outlets] == [1]
    assert sleeps == [7.0]


def test_500_is_hikes_refusal_and_is_not_retried() -> None:
    api = Api(
        lambda r: httpx.Response(500, json={"error": {"message": "page_size must be 1 to 500"}})
    )
    with pytest.raises(ApiError, match="page_size must be 1 to 500") as info:
        make(api).list_outlets()
    assert info.value.status == 500
    assert len(api.requests) == 1


def test_503_and_timeouts_are_retried_for_reads() -> None:
    answers: Iterator[httpx.Response | Exception] = iter(
        [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json=[])]
    )
    api, sleeps = Api(lambda r: next(answers)), list[float]()
    assert make(api, sleeps, retry=NO_JITTER).list_outlets() == []
    assert len(api.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_unknown_create_outcome_is_looked_up_and_never_duplicated() -> None:
    def answer(request: httpx.Request) -> httpx.Response | Exception:
        if request.method == "POST":
            return httpx.ReadTimeout("lost")
        return httpx.Response(
            200, json={"totalCount": 1, "items": [sale_json(8, externalReference="woo:77")]}
        )

    api = Api(answer)
    hike = make(api)
    with pytest.raises(OutcomeUnknownError):
        hike.write_sale(draft())
    sale = hike.create_sale_idempotent(draft())
    assert sale.id == 8
    assert [r.method for r in api.requests] == ["POST", "POST", "GET"]


def test_unknown_outcome_with_no_sale_found_is_sent_again() -> None:
    posts: Iterator[httpx.Response | Exception] = iter(
        [
            httpx.ReadTimeout("lost"),
            httpx.Response(200, json=sale_json(9, externalReference="woo:77")),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response | Exception:
        if request.method == "POST":
            return next(posts)
        return httpx.Response(200, json={"totalCount": 0, "items": []})

    api = Api(answer)
    assert make(api).create_sale_idempotent(draft()).id == 9
    # looked up after each delay of the settle policy (0.25 s doubling to 8 s), then sent
    assert [r.method for r in api.requests] == ["POST", *["GET"] * 6, "POST"]
    with pytest.raises(ConfigurationError):
        make(api).create_sale_idempotent(draft(ref=""))


def test_reference_lookup_also_searches_around_an_old_transaction_date() -> None:
    api = Api(lambda r: httpx.Response(200, json={"totalCount": 0, "items": []}))
    hike = make(api, reference_lookback=timedelta(days=1))
    hike.find_sales_by_reference("woo:1", around=T0 - timedelta(days=30))
    starts = [r.url.params["invoice_range_from"] for r in api.requests]
    assert starts == ["2026-02-28T12:00:00Z", "2026-01-29T12:00:00Z"]


def test_caller_owned_clients_stay_open_owned_ones_close() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    with HikeClient("t", client=http) as hike:
        hike.list_outlets()
    assert not http.is_closed
    owned = HikeClient("t")
    owned.close()
    assert owned._http.is_closed


def test_importing_models_does_not_import_httpx_but_the_clients_do() -> None:
    code = (
        "import sys; import hikewoo_core.hike as h; a = 'httpx' in sys.modules;"
        "from hikewoo_core.hike import HikeClient, AsyncHikeClient;"
        "print(a, 'httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


# --- loopback HTTP against serve_hike(FakeHike()) ------------------------------------------


@pytest.fixture
def shop() -> FakeHike:
    fake = FakeHike(clock=FakeClock(T0))
    fake.add_product("MUG", "Mug", stock=50)
    for _ in range(5):
        fake.record_sale([("MUG", 1, "12.50")], [("Cash", "5.00"), ("Card", "7.50")])
    return fake


def loopback(base: str, sleeps: list[float] | None = None, **kw: Any) -> HikeClient:
    waits = sleeps if sleeps is not None else []
    return HikeClient("pre-acc", base_url=base, sleep=waits.append, clock=lambda: T0, **kw)


def test_loopback_paging_and_port_reads(shop: FakeHike) -> None:
    with serve_hike(shop, access_token="pre-acc") as base, loopback(base, page_size=2) as hike:
        sales = list(hike.iter_sales())
        assert [s.number for s in sales] == [f"INV-{n}" for n in range(1001, 1006)]
        assert sales[0].payments[1].amount == Decimal("7.50")
        assert hike.read_sale(3).total == Decimal("12.50")
        assert hike.find_product("MUG").stock == 45  # type: ignore[union-attr]
        assert hike.find_product("NOPE") is None
        assert hike.read_register_closure(1).is_open
        with pytest.raises(ApiError) as info:
            hike.read_sale(999)
        assert info.value.status == 404


def test_loopback_server_refuses_a_bad_page_size_with_500(shop: FakeHike) -> None:
    with serve_hike(shop, access_token="pre-acc") as base:
        answer = httpx.get(
            f"{base}/sales/get_all",
            params={"page_size": 501},
            headers={"Authorization": "Bearer pre-acc"},
        )
        assert answer.status_code == 500
        assert "page_size" in answer.json()["error"]["message"]
        assert httpx.get(f"{base}/sales/get_all?page_size=5").status_code == 401


def test_loopback_injected_faults_are_retried(shop: FakeHike) -> None:
    faults = HttpFaults(
        [
            HttpFault(status=429, path="/sales/get_all", headers={"Retry-After": "3"}),
            HttpFault(status=503, path="/sales/get"),
            HttpFault(status=401, path="/sales/get"),
        ]
    )
    sleeps: list[float] = []
    with serve_hike(shop, access_token="pre-acc", refresh_token="pre-ref", faults=faults) as base:
        hike = loopback(
            base,
            sleeps,
            refresh_token="pre-ref",
            client_id="app",
            client_secret="secret",
            retry=NO_JITTER,
        )
        with hike:
            assert len(list(hike.iter_sales(page_size=10))) == 5
            assert hike.read_sale(1).id == 1  # 503, then 401 + refresh, then 200
            assert hike.tokens.access_token != "pre-acc"
    assert faults.pending == 0
    assert sleeps == [3.0, 0.5]


def test_loopback_lost_create_answer_gives_one_sale(shop: FakeHike) -> None:
    faults = HttpFaults([HttpFault(path="/sales/create_ecommerce_sale", after=True, drop=True)])
    with serve_hike(shop, access_token="pre-acc", faults=faults) as base, loopback(base) as hike:
        sale = hike.create_sale_idempotent(draft("woo:501"))
        assert sale.external_reference == "woo:501"
        assert sale.source is SaleSource.WOOCOMMERCE
    assert [s.id for s in shop.sales() if s.external_reference == "woo:501"] == [sale.id]
    assert shop.call_count("write_sale") == 1


def test_loopback_status_update_and_refused_writes(shop: FakeHike) -> None:
    with (
        serve_hike(shop, access_token="pre-acc") as base,
        loopback(base, status_encoding="number") as hike,
    ):
        sale = hike.write_sale(draft("woo:9"))
        voided = hike.write_sale_status(
            sale.id, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED)
        )
        assert voided.fulfilment_status is FulfilmentStatus.VOIDED
        with pytest.raises(ApiError) as info:  # Hike never reopens a voided sale
            hike.write_sale_status(
                sale.id, HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID)
            )
        assert info.value.status == 500
        assert "Voided" in info.value.api_message


def test_loopback_async_client(shop: FakeHike) -> None:
    async def run(base: str) -> list[int]:
        async with AsyncHikeClient("pre-acc", base_url=base, page_size=2) as hike:
            ids = [s.id async for s in hike.iter_sales()]
            found = await hike.find_sales_by_reference("nothing")
            assert found == []
            return ids

    with serve_hike(shop, access_token="pre-acc") as base:
        assert asyncio.run(run(base)) == [1, 2, 3, 4, 5]


def test_loopback_accepts_a_fault_plan(shop: FakeHike) -> None:
    plan = (
        FaultPlan()
        .throttle(retry_after=2, method="GET", path="sales/get_all")
        .drop(after=True, method="POST", path="sales/create_ecommerce_sale")
    )
    sleeps: list[float] = []
    with (
        serve_hike(shop, access_token="pre-acc", faults=plan) as base,
        loopback(base, sleeps, retry=NO_JITTER) as hike,
    ):
        sale = hike.create_sale_idempotent(draft("woo:777"))
    assert [s.id for s in shop.sales() if s.external_reference == "woo:777"] == [sale.id]
    assert sleeps == [0.25, 2.0]  # settling the lost create, then the 429's Retry-After
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in plan.requests] == [
        ("POST", "create_ecommerce_sale"),
        ("GET", "get_all"),
        ("GET", "get_all"),
    ]


# --- both clients: the async one is the source the sync one is generated from ----------


class Blocking:
    """An :class:`AsyncHikeClient` driven from synchronous test code, on one event loop of
    its own: each coroutine runs to completion, each async iterator is read into a list."""

    def __init__(self, client: AsyncHikeClient) -> None:
        self.client = client
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.isawaitable(result):
                return self.loop.run_until_complete(result)
            if hasattr(result, "__aiter__"):
                return self.loop.run_until_complete(drain(result))
            return result

        return call

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


async def drain(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


@pytest.fixture(params=["sync", "async"])
def either(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Makes a client of each flavour over a mock API: ``either(api, sleeps, **kw)``."""
    made: list[Any] = []

    def factory(api: Api, sleeps: list[float] | None = None, **kw: Any) -> Any:
        waits = sleeps if sleeps is not None else []
        if request.param == "sync":
            client: Any = make(api, waits, **kw)
        else:

            async def sleep(seconds: float) -> None:
                waits.append(seconds)

            client = Blocking(
                AsyncHikeClient(
                    "tok-123",
                    client=httpx.AsyncClient(transport=httpx.MockTransport(api)),
                    sleep=sleep,
                    clock=lambda: T0,
                    **kw,
                )
            )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def test_both_clients_read_and_write_the_same_requests(either: Callable[..., Any]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (looked_up := lookup_answer(path)) is not None:
            return looked_up
        if path.endswith("/outlets/get_all_active"):
            return httpx.Response(200, json=[{"id": 1}])
        if request.method == "POST" and path.endswith("/sales/create_ecommerce_sale"):
            return httpx.Response(200, json=8)  # only an id: read back
        return httpx.Response(200, json=sale_json(8, externalReference="woo:77"))

    api = Api(answer)
    hike = either(api)
    assert hike.read_sale(8).id == 8
    assert hike.read_register_closure(3).is_open
    assert hike.find_product("MUG") is not None
    assert hike.find_customer("a@b.test") is None
    assert [o.id for o in hike.list_outlets()] == [1]
    assert hike.write_sale(draft()).id == 8
    hike.write_sale_status(8, HikeStatus(FulfilmentStatus.VOIDED, PaymentStatus.VOIDED))
    hike.write_serial_numbers(8, 0, ["SN1"])
    assert [(r.method, r.url.path.removeprefix("/api/v1/")) for r in api.requests] == [
        ("GET", "sales/get"),
        ("GET", "registerClosures/get"),
        ("GET", "products/by_sku"),
        ("GET", "customers/get_by_email"),
        ("GET", "outlets/get_all_active"),
        ("POST", "sales/create_ecommerce_sale"),
        ("GET", "sales/get"),
        ("POST", "sales/create_ecommerce_sale"),  # the status update, answered by an id
        ("GET", "sales/get"),
        ("POST", "sales/update_serial_numbers"),
    ]


def test_both_clients_page_filter_and_retry(either: Callable[..., Any]) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"})])

    def answer(request: httpx.Request) -> httpx.Response:
        throttled = next(answers, None)
        if throttled is not None:
            return throttled
        stamps = {1: "2026-03-01T09:00:00", 2: "2026-03-01T11:00:00"}
        skip = int(request.url.params["skip_count"])
        items = [
            sale_json(i, lastModificationTime=stamps.get(i, "2026-03-01T11:30:00"))
            for i in range(skip + 1, min(skip + 2, 5) + 1)
        ]
        return httpx.Response(200, json={"totalCount": 5, "items": items})

    api, sleeps = Api(answer), list[float]()
    hike = either(api, sleeps, retry=NO_JITTER, page_size=2)
    assert [s.id for s in hike.iter_sales()] == [1, 2, 3, 4, 5]
    assert sleeps == [7.0]
    found = hike.read_sales(modified_after=T0 - timedelta(hours=2), modified_before=T0)
    assert [s.id for s in found] == [2, 3, 4, 5]


def test_both_clients_look_a_lost_create_up_before_sending_it_again(
    either: Callable[..., Any],
) -> None:
    posts: Iterator[httpx.Response | Exception] = iter(
        [httpx.ReadTimeout("lost"), httpx.Response(200, json=sale_json(9))]
    )

    def answer(request: httpx.Request) -> httpx.Response | Exception:
        if request.method == "POST":
            return next(posts)
        return httpx.Response(200, json={"totalCount": 0, "items": []})

    api, sleeps = Api(answer), list[float]()
    assert either(api, sleeps).create_sale_idempotent(draft()).id == 9
    assert [r.method for r in api.requests] == ["POST", *["GET"] * 6, "POST"]
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]


def test_a_reference_lookup_keeps_only_the_matches_as_the_sales_stream(
    either: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the async client collected every sale of the lookup's days before
    matching (the sync one matched as they came), so a lookup over a busy shop held
    every sale of a week in memory at once. Both now hold about one sale at a time."""
    alive: weakref.WeakSet[Any] = weakref.WeakSet()
    parse_items = _requests.parse_items

    def tracked(items: Any, cls: Any, what: str) -> Any:
        parsed = parse_items(items, cls, what)
        alive.update(parsed)
        return parsed

    monkeypatch.setattr(_requests, "parse_items", tracked)
    held: list[int] = []
    total, size = 60, 5

    def answer(request: httpx.Request) -> httpx.Response:
        held.append(len(alive))  # sales still alive when the next page is asked for
        skip = int(request.url.params["skip_count"])
        items = [
            sale_json(i, externalReference="woo:42" if i == 42 else f"pos:{i}")
            for i in range(skip + 1, min(skip + size, total) + 1)
        ]
        return httpx.Response(200, json={"totalCount": total, "items": items})

    api = Api(answer)
    found = either(api, page_size=size).find_sales_by_reference("woo:42")
    assert [s.id for s in found] == [42]
    assert len(held) == total // size
    assert max(held) <= size  # not the 55 sales of the pages read before the last
