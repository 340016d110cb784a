"""WooClient: requests as WooCommerce expects them (MockTransport) and end to end on loopback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from hikewoo_core import OrderWindow
from hikewoo_core._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    OutcomeUnknownError,
    RetriesExhaustedError,
)
from hikewoo_core._ports import WooPort
from hikewoo_core.testing import FakeClock
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo import BatchResult, WooClient
from hikewoo_core.woo._auth import AuthMode, hmac_signature, signature_base_string

from ._woo_loopback import (
    FAST,
    KEY,
    SECRET,
    T0,
    Sleeps,
    body,
    https_client,
    nonces,
    order_json,
    page_response,
    path_of,
    qdict,
    query,
    seed,
    store,
    wall,
)

UTC = timezone.utc
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler recording requests (thread-safe) and delegating answers."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.answer(request)


def mock(answer: Handler, url: str = "https://shop.test", **kw: Any) -> tuple[WooClient, Recorder]:
    recorder = Recorder(answer)
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    kw.setdefault("retry", FAST)
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("nonce_factory", nonces())
    return WooClient(url, KEY, SECRET, client=client, **kw), recorder


def ok(payload: Any = None, status: int = 200) -> Handler:
    return lambda request: httpx.Response(
        status, json=order_json(1) if payload is None else payload
    )


def verify_oauth(request: httpx.Request, secret: str = SECRET) -> dict[str, str]:
    """Check the request's OAuth signature the way WooCommerce rebuilds it."""
    params = qdict(request)
    base = signature_base_string(request.method, str(request.url), {})
    expected = hmac_signature(base, secret + "&", params["oauth_signature_method"])
    assert params["oauth_signature"] == expected
    return params


# --- URLs and auth modes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kw", "expected"),
    [
        ("https://shop.test", {}, "https://shop.test/wp-json/wc/v3/orders/12"),
        ("https://shop.test/blog/", {}, "https://shop.test/blog/wp-json/wc/v3/orders/12"),
        (
            "https://shop.test/blog/wp-json/wc/v3",
            {},
            "https://shop.test/blog/wp-json/wc/v3/orders/12",
        ),
        (
            "https://shop.test",
            {"rest_route": True, "auth_mode": "app_password"},
            "https://shop.test/index.php?rest_route=%2Fwc%2Fv3%2Forders%2F12",
        ),
    ],
)
def test_urls(url: str, kw: dict[str, Any], expected: str) -> None:
    client, rec = mock(ok(), url, **kw)
    client.get_order(12)
    assert str(rec.requests[0].url).split("&")[0] == expected


def test_rest_route_needs_application_passwords_and_http_refuses_key_modes() -> None:
    with pytest.raises(ConfigurationError, match="rest_route"):
        WooClient("https://shop.test", KEY, SECRET, rest_route=True)
    for mode in (AuthMode.BASIC, AuthMode.QUERY, "app_password"):
        with pytest.raises(ConfigurationError, match="plain http"):
            WooClient("http://shop.test", KEY, SECRET, auth_mode=mode)


def test_basic_query_and_app_password_modes() -> None:
    client, rec = mock(ok())
    client.get_order(1)
    assert rec.requests[0].headers["Authorization"].startswith("Basic ")
    client, rec = mock(ok(), auth_mode="query")
    client.get_order(1)
    assert qdict(rec.requests[0]) == {"consumer_key": KEY, "consumer_secret": SECRET}
    assert "Authorization" not in rec.requests[0].headers
    client, rec = mock(ok(), auth_mode=AuthMode.APP_PASSWORD)
    client.get_order(1)
    assert rec.requests[0].headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth_over_http_signs_exactly_what_is_sent(method: str) -> None:
    client, rec = mock(ok([]), "http://shop.test/blog", signature_method=method)
    client.list_orders(status=["processing", "on-hold"], include=[3, 4], dates_are_gmt=True)
    request = rec.requests[0]
    assert request.url.path == "/blog/wp-json/wc/v3/orders"
    raw = request.url.query.decode()
    assert "status%5B0%5D=processing&status%5B1%5D=on-hold" in raw  # PHP arrays, not repeats
    params = verify_oauth(request)
    assert params["oauth_signature_method"] == method
    assert params["include[1]"] == "4"
    assert params["dates_are_gmt"] == "true"
    assert "Authorization" not in request.headers  # the JSON body is never signed


def test_filters_are_formatted_as_woocommerce_expects() -> None:
    client, rec = mock(ok([]))
    paris = timezone(timedelta(hours=2))
    client.list_orders(
        modified_after=datetime(2026, 11, 27, 4, 0, 0, 700, tzinfo=paris),
        before=datetime(2026, 11, 27, 3, 0, 0, 1, tzinfo=UTC),
        status="processing,completed",
        customer=None,
    )
    params = qdict(rec.requests[0])
    assert params["modified_after"] == "2026-11-27T02:00:00"  # UTC, sub-second dropped
    assert params["before"] == "2026-11-27T03:00:01"  # exclusive bound rounded up
    assert params["dates_are_gmt"] == "true"
    assert params["status"] == "processing,completed"
    assert "customer" not in params


@pytest.mark.parametrize(
    "filters",
    [
        {"per_page": 101},
        {"per_page": 0},
        {"page": 0},
        {"after": datetime(2026, 1, 1), "before": datetime(2026, 1, 2, tzinfo=UTC)},
        {"after": datetime(2026, 1, 1, tzinfo=UTC), "dates_are_gmt": False},
        {"status": datetime(2026, 1, 1, tzinfo=UTC)},
    ],
)
def test_bad_filters_are_refused_before_sending(filters: dict[str, Any]) -> None:
    client, rec = mock(ok([]))
    with pytest.raises(ConfigurationError):
        client.list_orders(**filters)
    assert rec.requests == []


# --- paging ---------------------------------------------------------------------------------


def test_read_ahead_is_concurrent_bounded_and_in_order() -> None:
    pages, workers = 9, 3
    in_flight, peak, lock = 0, 0, threading.Lock()
    meet = threading.Barrier(workers, timeout=5)

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        number = int(qdict(request).get("page", "1"))
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            if 2 <= number <= 1 + workers:
                meet.wait()  # pages 2..4 must be in flight together
            items = [order_json(number * 10 + i) for i in range(2)]
            return page_response(items, total=pages * 2, pages=pages)
        finally:
            with lock:
                in_flight -= 1

    client, rec = mock(answer, concurrency=workers)
    ids = [o.id for o in client.iter_orders(per_page=2, status="any")]
    assert ids == [n * 10 + i for n in range(1, pages + 1) for i in range(2)]
    assert sorted(int(qdict(r).get("page", "1")) for r in rec.requests) == list(range(1, pages + 1))
    assert peak == workers
    assert all(qdict(r)["status"] == "any" for r in rec.requests)


def test_an_empty_page_ends_the_read_and_early_exit_stops_requests() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(qdict(request).get("page", "1"))
        items = [order_json(number)] if number < 3 else []
        return page_response(items, total=9, pages=9)  # the store lost orders meanwhile

    client, rec = mock(answer, concurrency=1)
    assert [o.id for o in client.iter_orders(per_page=1)] == [1, 2]
    assert len(rec.requests) <= 4
    client, rec = mock(answer, concurrency=2)
    first = next(iter(client.iter_orders(per_page=1)))
    assert first.id == 1
    assert len(rec.requests) <= 3  # lazy: at most concurrency pages read ahead


def test_without_total_pages_the_link_is_followed_with_a_fresh_signature() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        params = qdict(request)
        number = int(params.get("page", "1"))
        if number == 3:
            return page_response([], total=None, pages=None)
        stale = "&".join(f"{k}={v}" for k, v in query(request))  # the auth params repeated
        target = f"http://elsewhere.test/wp-json/wc/v3/orders?{stale}&status%5B0%5D=any&dp=2"
        link = f'<{target}&page={number + 1}>; rel="next"'
        return page_response([order_json(number)], total=None, pages=None, link=link)

    # one page at a time (no speculative pages): the requests are exactly the Link's
    client, rec = mock(answer, "http://shop.test", concurrency=1)
    assert [o.id for o in client.iter_orders(per_page=1)] == [1, 2]
    first, second = (qdict(r) for r in rec.requests[:2])
    assert second["oauth_nonce"] != first["oauth_nonce"]
    assert second["page"] == "2"
    assert second["status[0]"] == "any"
    assert second["dp"] == "2"
    assert rec.requests[1].url.host == "shop.test"  # never sent to the Link's host
    verify_oauth(rec.requests[1])


def test_without_any_paging_headers_pages_are_counted_until_a_short_one() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(qdict(request).get("page", "1"))
        return page_response([order_json(number)] * (2 if number < 3 else 1), None, None)

    client, rec = mock(answer, concurrency=1)  # no speculative pages: exactly these requests
    assert len(list(client.iter_orders(per_page=2))) == 5
    assert [qdict(r).get("page", "1") for r in rec.requests] == ["1", "2", "3"]


def test_a_retry_is_signed_again_never_replaying_a_nonce() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json=order_json(1))])
    client, rec = mock(lambda r: next(answers), "http://shop.test")
    client.get_order(1)
    assert [qdict(r)["oauth_nonce"] for r in rec.requests] == ["n1", "n2"]


# --- writes ---------------------------------------------------------------------------------


def batch_answer(request: httpx.Request) -> httpx.Response:
    updates = json.loads(request.content)["update"]
    if len(updates) > 100:
        return httpx.Response(
            413,
            json={
                "code": "woocommerce_rest_request_entity_too_large",
                "message": "Unable to accept more than 100 items for this request.",
                "data": {"status": 413},
            },
        )
    out = []
    for item in updates:
        if item["id"] % 50 == 0:
            error = {
                "code": "woocommerce_rest_shop_order_invalid_id",
                "message": "Invalid ID.",
                "data": {"status": 400},
            }
            out.append({"id": item["id"], "error": error})
        else:
            out.append(order_json(item["id"], status=item["status"]))
    return httpx.Response(200, json={"update": out})


def test_batch_is_chunked_at_100_and_every_item_error_is_kept() -> None:
    client, rec = mock(batch_answer, auth_mode="query")
    result = client.batch_update_orders([{"id": i, "status": "completed"} for i in range(1, 251)])
    assert [len(json.loads(r.content)["update"]) for r in rec.requests] == [100, 100, 50]
    assert isinstance(result, BatchResult)
    assert not result.ok
    assert [(e.index, e.id) for e in result.errors] == [
        (49, 50),
        (99, 100),
        (149, 150),
        (199, 200),
        (249, 250),
    ]
    error = result.errors[0].error
    assert error is not None
    assert (error.status, error.code) == (
        400,
        "woocommerce_rest_shop_order_invalid_id",
    )
    assert SECRET not in str(error)
    assert SECRET not in error.url
    assert len(result.orders) == 245
    assert result.orders[0].status == "completed"
    with pytest.raises(ApiError, match="Invalid ID"):
        result.raise_for_errors()


def test_a_chunk_refused_whole_marks_each_of_its_items() -> None:
    refused = {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Too many.",
        "data": {"status": 413},
    }
    client, _ = mock(lambda r: httpx.Response(413, json=refused))
    result = client.batch_update_orders([{"id": 1, "status": "completed"}, {"id": 2}])
    assert [(i.index, i.error.status if i.error else 0) for i in result.items] == [
        (0, 413),
        (1, 413),
    ]
    with pytest.raises(ConfigurationError, match="integer 'id'"):
        client.batch_update_orders([{"status": "completed"}])


def test_refunds_never_go_through_the_gateway_unless_allowed() -> None:
    refund = {"id": 5, "amount": "1.00"}
    client, rec = mock(ok(refund, 201))
    client.create_refund(12, {"amount": "1.00"})
    assert json.loads(rec.requests[0].content) == {"amount": "1.00", "api_refund": False}
    client.write_refund(12, {"amount": "1.00", "api_refund": False})
    with pytest.raises(ConfigurationError, match="allow_gateway_refund"):
        client.create_refund(12, {"amount": "1.00", "api_refund": True})
    client.create_refund(12, {"amount": "1.00", "api_refund": True}, allow_gateway_refund=True)
    assert json.loads(rec.requests[-1].content)["api_refund"] is True
    assert len(rec.requests) == 3


def test_a_post_without_an_answer_is_never_resent() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, rec = mock(answer)
    with pytest.raises(OutcomeUnknownError):
        client.create_order(body())
    assert len(rec.requests) == 1
    with pytest.raises(OutcomeUnknownError):  # adds a line: not safe to repeat
        client.update_order(3, {"line_items": [{"product_id": 1, "quantity": 1}]})
    assert len(rec.requests) == 2


def test_a_status_update_is_retried_after_a_lost_answer() -> None:
    answers: Iterator[Any] = iter([httpx.ReadTimeout, httpx.Response(200, json=order_json(3))])

    def answer(request: httpx.Request) -> httpx.Response:
        step = next(answers)
        if isinstance(step, httpx.Response):
            return step
        raise step("lost", request=request)

    client, rec = mock(answer)
    assert client.update_order(3, {"status": "completed"}).id == 3
    assert [r.method for r in rec.requests] == ["PUT", "PUT"]


@pytest.mark.parametrize("delete", [True, False])
def test_a_failed_create_that_leaves_a_draft(delete: bool) -> None:
    failed = {
        "code": "woocommerce_rest_invalid_coupon",
        "message": 'Coupon "x" does not exist!',
        "data": {"status": 400, "new_draft_order_id": 77},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json=failed)
        return httpx.Response(200, json=order_json(77, status="trash"))

    client, rec = mock(answer, delete_failed_drafts=delete)
    with pytest.raises(ApiError, match="draft order #77") as info:
        client.create_order(body())
    assert info.value.code == "woocommerce_rest_invalid_coupon"
    sent = [(r.method, path_of(r), qdict(r).get("force")) for r in rec.requests]
    if delete:
        assert sent == [("POST", "orders", None), ("DELETE", "orders/77", "true")]
        assert "deleted with force=true" in str(info.value)
    else:
        assert sent == [("POST", "orders", None)]


# --- errors and secrets ---------------------------------------------------------------------


def test_errors_keep_woocommerce_codes_and_int_data() -> None:
    refused = {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "Invalid refund amount.",
        "data": 500,
    }
    client, _ = mock(lambda r: httpx.Response(500, json=refused), retry=FAST)
    with pytest.raises(ApiError) as info:
        client.create_refund(12, {"amount": "9999.00"})
    assert (info.value.status, info.value.data, info.value.data_status) == (500, 500, 500)


VIEW, AUTH_ERROR = "woocommerce_rest_cannot_view", "woocommerce_rest_authentication_error"
CANNOT_LIST = "Sorry, you cannot list resources."


@pytest.mark.parametrize(
    ("mode", "code", "message", "needle"),
    [
        ("basic", VIEW, CANNOT_LIST, "AuthMode.QUERY over HTTPS"),
        ("basic", VIEW, CANNOT_LIST, "ignores Basic auth and query keys over plain HTTP"),
        ("query", VIEW, CANNOT_LIST, "use OAuth 1.0a or HTTPS"),
        ("oauth1", AUTH_ERROR, "Invalid timestamp.", "clock"),
        ("oauth1", AUTH_ERROR, "Invalid signature - provided signature does not match.", "Site"),
    ],
)
def test_authentication_errors_carry_the_hint_that_matters(
    mode: str, code: str, message: str, needle: str
) -> None:
    answer = {"code": code, "message": message, "data": {"status": 401}}
    client, _ = mock(lambda r: httpx.Response(401, json=answer), auth_mode=mode)
    with pytest.raises(AuthenticationError) as info:
        client.list_orders()
    assert needle in str(info.value)
    assert info.value.code == code


def test_secrets_stay_out_of_repr_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answers = iter([httpx.Response(503), httpx.Response(500, text="<html>boom</html>")] * 3)
    client, _ = mock(lambda r: next(answers), auth_mode="query", retry=FAST)
    assert SECRET not in repr(client)
    assert KEY not in repr(client)
    with pytest.raises(RetriesExhaustedError) as info:  # 503, 500, 503, 500: given up
        client.list_orders(per_page=5)
    assert info.value.attempts == FAST.attempts
    oauth, _ = mock(
        lambda r: httpx.Response(401, json={"code": "x", "message": "no"}), "http://shop.test"
    )
    with pytest.raises(AuthenticationError) as denied:
        oauth.get_order(1)
    texts = [caplog.text, str(info.value), repr(info.value), str(denied.value), denied.value.url]
    assert caplog.records
    assert all(SECRET not in t for t in texts)
    assert "consumer_secret=<redacted>" in caplog.text


def test_a_caller_owned_client_is_left_open_and_an_owned_one_closed() -> None:
    mine = httpx.Client(transport=httpx.MockTransport(ok()))
    with WooClient("https://shop.test", KEY, SECRET, client=mine) as client:
        client.get_order(1)
    assert not mine.is_closed
    with WooClient("https://shop.test", KEY, SECRET) as owned:
        inner = owned._http
    assert inner.is_closed
    with pytest.raises(ConfigurationError, match="concurrency"):
        WooClient("https://shop.test", KEY, SECRET, concurrency=0)


def test_the_client_implements_the_port() -> None:
    client, _ = mock(ok())
    assert isinstance(client, WooPort)


# --- end to end on loopback -----------------------------------------------------------------


@contextmanager
def loopback(
    url: str,
    key: str = "ck_test",
    secret: str = "cs_test",  # noqa: S107 - the loopback server's test key
    **kw: Any,
) -> Iterator[WooClient]:
    """A client for the loopback server on a caller-owned httpx client (closed here)."""
    http = kw.pop("client", None) or httpx.Client(trust_env=False)
    kw.setdefault("retry", FAST)
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("clock", wall)
    with http, WooClient(url, key, secret, client=http, **kw) as woo:
        yield woo


def serve(fake: Any, **kw: Any) -> Any:
    return serve_woo(fake, clock=wall, **kw)


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth_over_plain_http_end_to_end(method: str) -> None:
    fake = store()
    with serve(fake) as url, loopback(url, signature_method=method) as woo:
        order = woo.create_order(body("25.00", meta_data=[{"key": "_hike_sale_id", "value": "9"}]))
        assert woo.get_order(order.id).total == order.total
        assert woo.update_order(order.id, {"status": "completed"}).status == "completed"
        refund = woo.create_refund(order.id, {"amount": "5.00", "reason": "chipped"})
        assert woo.get_refund(order.id, refund.id).amount == refund.amount
        assert [r.id for r in woo.read_refunds(order.id)] == [refund.id]
        assert [o.id for o in woo.list_orders(status=["completed"])] == [order.id]
        result = woo.batch_update_orders(
            [{"id": order.id, "customer_note": "hi"}, {"id": 999, "status": "completed"}]
        )
        assert [i.ok for i in result.items] == [True, False]
    assert fake.refunds(order.id)[0].refunded_payment is False


@pytest.mark.parametrize("mode", ["basic", "query"])
def test_basic_and_query_keys_over_https(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = store()
    seed(fake, 3)
    with serve(fake, https_terminated=True) as url:
        https = url.replace("http://", "https://")
        with loopback(https, auth_mode=mode, client=https_client()) as woo:
            assert len(list(woo.iter_orders(per_page=2))) == 3
        wrong = loopback(https, secret="cs_wrong", auth_mode=mode, client=https_client())
        with wrong as woo, pytest.raises(AuthenticationError, match="Consumer secret is invalid"):
            woo.get_order(1)
    assert "GET" in caplog.text  # client, httpx and server lines, none with a secret
    assert "cs_test" not in caplog.text
    assert "cs_wrong" not in caplog.text


def test_application_passwords_through_rest_route() -> None:
    fake = store()
    seed(fake, 2)
    with serve(fake, https_terminated=True, app_passwords={"shopbot": "abcd efgh"}) as url:
        https = url.replace("http://", "https://")
        with loopback(
            https,
            "shopbot",
            "abcd efgh",
            auth_mode="app_password",
            rest_route=True,
            client=https_client(),
        ) as woo:
            assert [o.id for o in woo.iter_orders(per_page=1, orderby="id", order="asc")] == [1, 2]
        keys = loopback(https, rest_route=True, auth_mode="app_password", client=https_client())
        with keys as woo, pytest.raises(AuthenticationError, match="invalid_username"):
            woo.get_order(1)


def test_throttling_server_errors_and_dropped_reads_are_retried() -> None:
    fake = store()
    seed(fake, 3)
    plan = FaultPlan().throttle(retry_after=3, method="GET").fail(502, method="GET")
    plan.drop(method="GET", path="orders/2")
    sleeps = Sleeps()
    with serve(fake, faults=plan) as url, loopback(url, sleep=sleeps) as woo:
        assert len(woo.list_orders()) == 3
        assert woo.get_order(2).id == 2
    assert sleeps.waits[0] == 3  # Retry-After honoured
    assert len(sleeps.waits) == 3
    assert plan.pending == 0


def test_a_create_whose_answer_is_lost_is_found_not_duplicated() -> None:
    fake = store()
    plan = FaultPlan().drop(after=True, method="POST", path="orders")
    sleeps = Sleeps()
    with serve(fake, faults=plan) as url, loopback(url, sleep=sleeps) as woo:
        with pytest.raises(OutcomeUnknownError):
            woo.create_order(
                body(meta_data=[{"key": "_hike_sale_id", "value": "41"}], created_via="hike")
            )
        plan.drop(after=True, method="POST", path="orders")
        order = woo.create_order_idempotent(
            body(), reference_key="_hike_sale_id", reference_value="42"
        )
        again = woo.create_order_idempotent(
            body(), reference_key="_hike_sale_id", reference_value="42"
        )
        found = woo.find_orders_by_meta("_hike_sale_id", "41", OrderWindow(created_after=T0))
    assert order.id == again.id
    assert order.meta("_hike_sale_id") == "42"
    assert [o.id for o in found] == [1]
    assert len(fake.orders()) == 2
    assert sleeps.waits == [0.25]  # the first settle delay: found on the first lookup
    posts = [r for r in plan.requests if r.method == "POST"]
    assert len(posts) == 2  # one create per reference, the lost answer was never resent


def test_a_draft_left_by_a_failed_create_is_deleted() -> None:
    fake = store()
    plan = FaultPlan().leave_draft()
    with serve(fake, faults=plan) as url, loopback(url) as woo:
        with pytest.raises(ApiError, match="draft order #1"):
            woo.create_order_idempotent(body(), reference_key="_hike_sale_id", reference_value="7")
        assert woo.find_orders_by_meta("_hike_sale_id", "7") == []
        created = woo.create_order_idempotent(
            body(), reference_key="_hike_sale_id", reference_value="7"
        )
    with pytest.raises(ApiError) as gone:  # deleted for good (force=true), as for real
        fake.get_order(1)
    assert gone.value.status == 404
    assert created.id == 2


def modify(fake: Any, order_id: int, clock: FakeClock) -> Callable[[], None]:
    def change() -> None:
        clock.advance(1)
        fake.set_status(
            order_id,
            "completed" if fake.get_order(order_id)["status"] != "completed" else "on-hold",
        )

    return change


@pytest.mark.parametrize(("count", "step", "skip"), [(25, 1, 1), (250, 0, 2)])
def test_an_order_modified_between_page_reads_is_never_missed(
    count: int, step: int, skip: int
) -> None:
    clock = FakeClock(T0 + timedelta(hours=1))
    fake = store(clock)
    ids = seed(fake, count, step=step)  # step 0: more than a page in one second
    plan = FaultPlan().on_request(modify(fake, ids[0], clock), method="GET", skip=skip)
    end = T0 + timedelta(minutes=30)  # the orders modified while reading move past it
    with serve(fake, faults=plan) as url, loopback(url) as woo:
        got = [o.id for o in woo.iter_orders_modified(T0, end, overlap=timedelta(0), page_size=10)]
        plan.on_request(modify(fake, ids[1], clock), method="GET", skip=1)
    # Offset paging, one page at a time: with pages read ahead, the pages may all be
    # answered before the change lands (under load they were), and nothing is lost.
    with serve(fake, faults=plan) as url, loopback(url, concurrency=1) as woo:
        naive = [
            o.id
            for o in woo.iter_orders(
                orderby="modified", order="asc", per_page=10, modified_before=end
            )
        ]
    assert set(ids[1:]) <= set(got)
    assert len(got) == len(set(got))
    assert len(naive) < count - 1  # offset paging lost an unmodified order
    bucket_passes = [
        r
        for r in plan.requests
        if ("orderby", "id") in parse_qsl(r.query) and ("page", "1") in parse_qsl(r.query)
    ]
    assert len(bucket_passes) == (2 if step == 0 else 0)  # the crowded second was read again


def test_port_reads_see_changes_in_the_window_once_per_version() -> None:
    clock = FakeClock(T0)
    fake = store(clock)
    ids = seed(fake, 12)
    clock.set(T0 + timedelta(seconds=12))
    plan = FaultPlan().on_request(modify(fake, ids[0], clock), method="GET", skip=1)
    with serve(fake, faults=plan) as url, loopback(url) as woo:
        hour = T0 + timedelta(hours=1)
        seen = list(woo.iter_orders_modified(T0, hour, overlap=timedelta(0), page_size=5))
        created = list(
            woo.read_orders(
                OrderWindow(
                    created_after=T0 + timedelta(seconds=10),
                    created_before=T0 + timedelta(seconds=11),
                )
            )
        )
    assert sorted(o.id for o in seen) == sorted([*ids, ids[0]])  # the modified one twice
    assert [o.id for o in created] == [ids[10]]


def test_sync_read_ahead_on_loopback_yields_every_order_in_order() -> None:
    fake = store()
    ids = seed(fake, 230)
    with serve(fake) as url, loopback(url, concurrency=4) as woo:
        got = [o.id for o in woo.iter_orders(orderby="id", order="asc")]
    assert got == ids


def test_fields_listings_are_read_as_trimmed_objects_never_as_orders() -> None:
    """``_fields`` answers hold partial objects (a real capture shows them): the order
    listings refuse the parameter before sending, ``iter_order_fields`` reads them."""
    fake = store()
    ids = seed(fake, 130)
    with serve(fake) as url, loopback(url) as woo:
        trimmed = list(woo.iter_order_fields(["id", "status"], orderby="id", order="asc"))
        for listing in (
            lambda: woo.list_orders(_fields="id,status"),
            lambda: list(woo.iter_orders(_fields="id")),
            lambda: list(woo.iter_orders_modified(T0, T0 + timedelta(hours=1), _fields="id")),
        ):
            with pytest.raises(ConfigurationError, match="iter_order_fields"):
                listing()
        with pytest.raises(ConfigurationError, match="field names"):
            list(woo.iter_order_fields(["id,status"]))
    assert trimmed == [{"id": i, "status": "processing"} for i in ids]
