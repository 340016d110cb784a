"""The shared HTTP plumbing: retry policy, request flow, drivers, errors, redaction.

No test sleeps for real: every flow gets a fake clock whose ``sleep`` records the
wait and moves the clock forward.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hikewoo_core._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    OutcomeUnknownError,
    RetriesExhaustedError,
    TransportError,
)
from hikewoo_core._http import (
    Request,
    default_async_client,
    default_client,
    error_from_response,
    request_flow,
    send_async,
    send_sync,
    user_agent,
)
from hikewoo_core._redact import SECRET_PARAMS, redact_url
from hikewoo_core._retry import RetryPolicy, parse_retry_after

BASE = "https://shop.test/wp-json/wc/v3"
FAST = RetryPolicy(attempts=5, initial=0.5, maximum=30.0, jitter=0.0)


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


Step = httpx.Response | type[httpx.RequestError]


class Script:
    """A MockTransport handler that answers (or fails) from a list, recording requests."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, httpx.Response):
            return step
        raise step("scripted failure", request=request)


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        body = {"ok": status < 400}
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def run(
    script: Script,
    request: Request,
    *,
    fake: FakeTime | None = None,
    policy: RetryPolicy = FAST,
    **flow_kw: Any,
) -> httpx.Response:
    fake = fake or FakeTime()
    on_unauthorized = flow_kw.pop("on_unauthorized", None)
    flow = request_flow(request, policy=policy, timer=fake.clock, rng=lambda: 0.0, **flow_kw)
    with httpx.Client(transport=httpx.MockTransport(script)) as client:
        return send_sync(client, flow, sleep=fake.sleep, on_unauthorized=on_unauthorized)


def get(path: str = "/orders", **kw: Any) -> Request:
    return Request("GET", BASE + path, **kw)


def post(path: str = "/orders", **kw: Any) -> Request:
    return Request("POST", BASE + path, json={"status": "processing"}, **kw)


# --- the pure policy ----------------------------------------------------------------


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(initial=0.5, multiplier=2.0, maximum=30.0, jitter=0.0)
    waits = [policy.backoff(n, lambda: 0.0) for n in range(1, 10)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert policy.backoff(100_000, lambda: 0.0) == 30.0  # no OverflowError


@given(
    attempt=st.integers(min_value=1, max_value=2000),
    u=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_jitter_is_bounded(attempt: int, u: float) -> None:
    policy = RetryPolicy(initial=0.5, multiplier=2.0, maximum=30.0, jitter=0.5)
    wait = policy.backoff(attempt, lambda: u)
    base = min(30.0, 0.5 * 2.0 ** min(attempt - 1, 100))
    assert base <= wait <= min(30.0, base + 0.5)


def test_backoff_accepts_a_random_instance() -> None:
    policy = RetryPolicy(jitter=1.0)
    assert policy.backoff(1, random.Random(7)) == policy.backoff(1, random.Random(7))


def test_delay_honours_retry_after_and_the_budget() -> None:
    policy = RetryPolicy(attempts=5, initial=0.5, jitter=0.0, timeout=60.0)
    assert policy.delay(1, rng=random.random) == 0.5
    assert policy.delay(1, retry_after=7.0, rng=random.random) == 7.0  # a floor
    assert policy.delay(1, retry_after=0.0, rng=random.random) == 0.5
    assert policy.delay(1, retry_after=61.0, rng=random.random) is None  # beyond budget
    assert policy.delay(1, retry_after=10.0, rng=random.random, elapsed=55.0) is None
    assert policy.delay(4, rng=random.random, elapsed=59.0) == pytest.approx(1.0)  # cut
    assert policy.delay(1, rng=random.random, elapsed=60.0) is None  # budget spent
    assert policy.delay(5, rng=random.random) is None  # no attempt left
    assert RetryPolicy.NONE.delay(1, rng=random.random) is None


@pytest.mark.parametrize(
    "kw", [{"attempts": 0}, {"initial": -1.0}, {"multiplier": 0.5}, {"timeout": float("nan")}]
)
def test_nonsense_policies_are_refused(kw: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kw)


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# --- retries through the flow -------------------------------------------------------


def test_5xx_then_200_succeeds_after_the_right_number_of_attempts() -> None:
    script = Script(reply(503), reply(502), reply(500), reply(200, [{"id": 1}]))
    fake = FakeTime()
    response = run(script, get(), fake=fake)
    assert response.json() == [{"id": 1}]
    assert len(script.requests) == 4
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_async_driver_retries_the_same_way() -> None:
    script = Script(reply(503), reply(200))
    fake = FakeTime()

    async def main() -> httpx.Response:
        flow = request_flow(get(), policy=FAST, timer=fake.clock, rng=lambda: 0.0)
        async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
            return await send_async(client, flow, sleep=fake.asleep)

    assert asyncio.run(main()).status_code == 200
    assert len(script.requests) == 2
    assert fake.sleeps == [0.5]


def test_get_timeouts_and_dropped_connections_are_retried() -> None:
    script = Script(httpx.ReadTimeout, httpx.ConnectTimeout, httpx.RemoteProtocolError, reply(200))
    assert run(script, get()).status_code == 200
    assert len(script.requests) == 4


def test_retries_exhausted_reports_attempts_and_last_error() -> None:
    script = Script(*[reply(503, {"code": "busy", "message": "Busy."})] * 3)
    fake = FakeTime()
    with pytest.raises(RetriesExhaustedError, match="after 3 attempt") as caught:
        run(script, get(), fake=fake, policy=RetryPolicy(attempts=3, jitter=0.0))
    assert caught.value.attempts == 3
    assert isinstance(caught.value.last_error, ApiError)
    assert caught.value.last_error.status == 503
    assert len(fake.sleeps) == 2


def test_the_time_budget_caps_the_waits() -> None:
    policy = RetryPolicy(attempts=100, initial=1.0, multiplier=2.0, jitter=0.0, timeout=5.0)
    fake = FakeTime()
    with pytest.raises(RetriesExhaustedError):
        run(Script(*[reply(500)] * 100), get(), fake=fake, policy=policy)
    assert fake.sleeps == [1.0, 2.0, 2.0]  # the last wait cut to what was left


def test_retry_after_seconds_is_honoured() -> None:
    fake = FakeTime()
    run(Script(reply(429, **{"Retry-After": "7"}), reply(200)), get(), fake=fake)
    assert fake.sleeps == [7.0]


def test_retry_after_http_date_is_measured_from_the_response_date() -> None:
    date = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    headers = {
        "Date": format_datetime(date, usegmt=True),
        "Retry-After": format_datetime(date + timedelta(seconds=12), usegmt=True),
    }
    fake = FakeTime()
    run(Script(reply(503, **headers), reply(200)), get(), fake=fake)
    assert fake.sleeps == [12.0]


def test_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    fake = FakeTime()
    script = Script(reply(429, **{"Retry-After": "3600"}))
    with pytest.raises(RetriesExhaustedError, match="beyond the retry time budget") as caught:
        run(script, get(), fake=fake)
    assert caught.value.retry_after == 3600.0
    assert caught.value.attempts == 1
    assert fake.sleeps == []


# --- what a POST may and may not do -------------------------------------------------


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError]
)
def test_post_without_an_answer_is_outcome_unknown_and_never_resent(
    failure: type[httpx.RequestError],
) -> None:
    script = Script(failure, reply(201))
    fake = FakeTime()
    with pytest.raises(OutcomeUnknownError, match="look the record up") as caught:
        run(script, post(), fake=fake)
    assert isinstance(caught.value, TransportError)
    assert len(script.requests) == 1
    assert fake.sleeps == []


def test_post_behind_a_gateway_timeout_is_outcome_unknown() -> None:
    script = Script(reply(504, "<html>Gateway Timeout</html>"), reply(201))
    with pytest.raises(OutcomeUnknownError, match="HTTP 504"):
        run(script, post())
    assert len(script.requests) == 1


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_post_that_never_connected_is_retried(failure: type[httpx.RequestError]) -> None:
    script = Script(failure, reply(201, {"id": 9}))
    assert run(script, post()).json() == {"id": 9}
    assert len(script.requests) == 2


def test_post_refused_with_429_or_503_retry_after_is_retried() -> None:
    script = Script(reply(429), reply(503, **{"Retry-After": "2"}), reply(201, {"id": 9}))
    fake = FakeTime()
    assert run(script, post(), fake=fake).status_code == 201
    assert fake.sleeps == [0.5, 2.0]


def test_post_server_error_without_retry_after_is_not_resent() -> None:
    script = Script(reply(500), reply(201))
    with pytest.raises(ApiError) as caught:
        run(script, post())
    assert caught.value.status == 500
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_post_answered_by_a_gateway_is_an_unknown_outcome_not_resent(status: int) -> None:
    """A gateway answers 502/503/504 while the origin may still commit the write: the
    caller must look the record up (over a settle period) before sending it again."""
    script = Script(reply(status), reply(201))
    with pytest.raises(OutcomeUnknownError, match=f"HTTP {status}") as caught:
        run(script, post())
    assert isinstance(caught.value.__cause__, ApiError)
    assert len(script.requests) == 1


def test_idempotent_put_is_retried_after_a_read_timeout() -> None:
    request = Request("PUT", BASE + "/orders/5", json={"status": "completed"}, idempotent=True)
    script = Script(httpx.ReadTimeout, reply(200))
    assert run(script, request).status_code == 200
    assert len(script.requests) == 2


def test_errors_that_no_retry_can_fix_are_not_retried() -> None:
    script = Script(httpx.UnsupportedProtocol, reply(200))
    with pytest.raises(TransportError, match="UnsupportedProtocol"):
        run(script, get())
    assert len(script.requests) == 1
    script = Script(reply(404, {"code": "rest_no_route", "message": "No route.", "data": {}}))
    with pytest.raises(ApiError, match="rest_no_route"):
        run(script, get())


# --- auth: prepare every attempt, refresh once on 401 -------------------------------


def test_prepare_runs_before_every_attempt_with_a_fresh_nonce() -> None:
    seen: list[int] = []

    def sign(request: Request, attempt: int) -> Request:
        seen.append(attempt)
        return request.with_params({"oauth_nonce": f"nonce{attempt}", "oauth_signature": "s"})

    script = Script(reply(503), httpx.ReadTimeout, reply(200))
    run(script, get(params={"page": 2}), prepare=sign)
    assert seen == [1, 2, 3]
    nonces = [r.url.params["oauth_nonce"] for r in script.requests]
    assert nonces == ["nonce1", "nonce2", "nonce3"]
    assert all(r.url.params["page"] == "2" for r in script.requests)


def test_401_is_an_authentication_error_with_the_hint() -> None:
    challenge = 'Bearer error="invalid_token"'
    script = Script(reply(401, {"message": "Expired."}, **{"WWW-Authenticate": challenge}))
    with pytest.raises(AuthenticationError) as caught:
        run(script, get(), hint_for_401="reconnect the Hike app")
    assert caught.value.status == 401
    assert "reconnect the Hike app" in str(caught.value)
    assert challenge in str(caught.value)
    assert len(script.requests) == 1


def test_403_is_an_authentication_error_without_a_refresh() -> None:
    refresh = Refresher()
    script = Script(reply(403, {"code": "woocommerce_rest_cannot_edit", "message": "No."}))
    with pytest.raises(AuthenticationError, match="cannot_edit"):
        run(script, get(), on_unauthorized=refresh)
    assert refresh.calls == 0


class Refresher:
    """An ``on_unauthorized`` hook that counts its calls."""

    def __init__(self, result: bool = True) -> None:
        self.calls = 0
        self.result = result

    def __call__(self) -> bool:
        self.calls += 1
        return self.result


def _token_auth() -> tuple[dict[str, str], Callable[[Request, int], Request]]:
    token = {"value": "old-token"}

    def bearer(request: Request, attempt: int) -> Request:
        return request.with_headers({"Authorization": f"Bearer {token['value']}"})

    return token, bearer


def test_on_unauthorized_is_called_once_then_the_request_succeeds() -> None:
    token, bearer = _token_auth()
    calls: list[int] = []

    def refresh() -> bool:
        calls.append(1)
        token["value"] = "new-token"
        return True

    script = Script(reply(401), reply(201))
    assert run(script, post(), prepare=bearer, on_unauthorized=refresh).status_code == 201
    assert calls == [1]
    auth = [r.headers["Authorization"] for r in script.requests]
    assert auth == ["Bearer old-token", "Bearer new-token"]


def test_a_second_401_is_final() -> None:
    refresh = Refresher()
    script = Script(reply(401), reply(401), reply(200))
    with pytest.raises(AuthenticationError):
        run(script, get(), on_unauthorized=refresh)
    assert refresh.calls == 1
    assert len(script.requests) == 2


def test_async_on_unauthorized_is_awaited() -> None:
    token, bearer = _token_auth()
    fake = FakeTime()

    async def refresh() -> bool:
        token["value"] = "new-token"
        return True

    script = Script(reply(401), reply(200))

    async def main() -> httpx.Response:
        flow = request_flow(get(), prepare=bearer, timer=fake.clock)
        async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
            return await send_async(client, flow, on_unauthorized=refresh, sleep=fake.asleep)

    assert asyncio.run(main()).status_code == 200
    assert script.requests[1].headers["Authorization"] == "Bearer new-token"


# --- error bodies -------------------------------------------------------------------


def test_woocommerce_error_with_a_bare_int_data_is_parsed() -> None:
    body = {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "The payment gateway for this order does not support automatic refunds.",
        "data": 500,
    }
    with pytest.raises(ApiError) as caught:
        run(Script(reply(500, body)), post("/orders/7/refunds"))
    error = caught.value
    assert (error.status, error.code, error.data, error.data_status) == (
        500,
        "woocommerce_rest_cannot_create_order_refund",
        500,
        500,
    )
    assert error.api_message.startswith("The payment gateway")
    assert not isinstance(error, AuthenticationError)


def test_woocommerce_error_with_object_data() -> None:
    body = {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
            "data": {"status": 404}}  # fmt: skip
    with pytest.raises(ApiError) as caught:
        run(Script(reply(404, body)), get("/orders/1"))
    assert caught.value.data_status == 404


def test_non_json_502_body_is_kept_as_truncated_text() -> None:
    html = "<html>" + "Bad Gateway " * 200 + "</html>"
    with pytest.raises(RetriesExhaustedError) as caught:
        run(Script(reply(502, html)), get(), policy=RetryPolicy.NONE)
    error = caught.value.last_error
    assert isinstance(error, ApiError)
    assert error.code == "http_502"
    assert error.api_message.startswith("<html>Bad Gateway")
    assert len(error.api_message) == 501
    assert error.api_message.endswith("…")


def test_oauth2_error_body_and_empty_body() -> None:
    oauth = httpx.Response(400, json={"error": "invalid_grant", "error_description": "Expired."})
    error = error_from_response(oauth)
    assert (error.code, error.api_message, error.method, error.url) == (
        "invalid_grant",
        "Expired.",
        "",
        "",
    )
    assert error_from_response(httpx.Response(503)).api_message == "Service Unavailable"


def test_redirects_are_errors_that_name_the_target_redacted() -> None:
    target = "https://shop.test/wp-json/wc/v3/orders?consumer_secret=cs_live_123456"
    with pytest.raises(ApiError, match="redirected to") as caught:
        run(Script(reply(301, "", Location=target)), get())
    assert "cs_live_123456" not in str(caught.value)


# --- secrets stay out of errors, logs and reprs -------------------------------------

SECRET = "cs_0123456789abcdef0123456789"
TOKEN = "tok_abcdefghijklmnopqrstuvwxyz"


def test_errors_and_logs_never_show_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hikewoo_core.http")
    request = get(params={"consumer_key": "ck_" + "9" * 40, "consumer_secret": SECRET})
    request = request.with_headers({"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises(RetriesExhaustedError) as caught:
        run(Script(reply(503), httpx.ReadTimeout), request, policy=RetryPolicy(attempts=2))
    shown = [str(caught.value), repr(caught.value), caught.value.url, str(caught.value.last_error)]
    shown += [record.getMessage() for record in caplog.records]
    ours = [r.getMessage() for r in caplog.records if r.name == "hikewoo_core.http"]
    assert len(ours) >= 2
    assert "(attempt 1)" in ours[0]
    assert "consumer_secret=<redacted>" in caught.value.url
    for text in shown:
        assert SECRET not in text
        assert TOKEN not in text
        assert "9" * 10 not in text


def test_httpx_own_log_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    run(Script(reply(200)), get(params={"consumer_secret": SECRET}))
    messages = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert messages
    assert "consumer_secret=<redacted>" in messages[0]
    assert all(SECRET not in m for m in messages)


def test_request_repr_hides_secrets_and_bodies() -> None:
    request = Request(
        "post",
        f"https://user:pw@hike.test/oauth/token?access_token={TOKEN}",
        params={"consumer_secret": SECRET},
        form={"client_secret": SECRET, "grant_type": "refresh_token"},
        headers={"authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
    )
    text = repr(request) + repr(Request("PUT", BASE, json={"email": "jane@example.com"}))
    assert request.method == "POST"
    assert request.with_headers({"Authorization": "x"}).headers["Authorization"] == "x"
    assert "authorization" not in request.with_headers({"Authorization": "x"}).headers
    for secret in (SECRET, TOKEN, "pw@", "jane@example.com"):
        assert secret not in text
    assert "refresh_token" in text  # non-secret values stay readable
    with pytest.raises(ConfigurationError):
        Request("POST", BASE, json={}, form={})


# --- redact_url ---------------------------------------------------------------------


def test_redact_url_examples() -> None:
    url = "https://u:p@shop.test/wc?consumer_key=ck_0123456789abcdef0123&page=2&Token=x&a"
    assert redact_url(url) == "https://shop.test/wc?consumer_key=ck_012…&page=2&Token=<redacted>&a"
    assert redact_url("https://shop.test/x?consumer_key=short") == (
        "https://shop.test/x?consumer_key=<redacted>"
    )
    assert redact_url("https://shop.test/cb#access_token=abc&x=1") == (
        "https://shop.test/cb#access_token=<redacted>&x=1"
    )
    assert redact_url("https://shop.test/orders?per_page=100&after=2026-01-01T00%3A00%3A00") == (
        "https://shop.test/orders?per_page=100&after=2026-01-01T00%3A00%3A00"
    )
    assert redact_url("http://[::1") == "<unparseable URL>"


TEMPLATE = "https://shop.example/wp-json/wc/v3/orders?page=2&"
secret_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=8, max_size=40
)


@given(
    name=st.sampled_from(sorted(SECRET_PARAMS)),
    upper=st.booleans(),
    value=secret_values,
    password=secret_values,
    encode=st.sampled_from([quote, quote_plus]),
)
def test_redact_url_never_leaks(
    name: str, upper: bool, value: str, password: str, encode: Callable[..., str]
) -> None:
    assume(value not in TEMPLATE + "<redacted>…" and password not in TEMPLATE + "<redacted>…")
    name = name.upper() if upper else name
    query = urlencode({name: value, "per_page": "100"}, quote_via=encode)
    url = TEMPLATE.replace("//", f"//admin:{quote(password, safe='')}@", 1) + query
    out = redact_url(url)
    for secret in (value, password):
        for form in (secret, quote(secret, safe=""), quote_plus(secret), encode(secret)):
            assert form not in out
    assert out.startswith("https://shop.example/")
    assert out.endswith("&per_page=100")


# --- default clients ----------------------------------------------------------------


def test_default_clients_have_explicit_timeouts_limits_and_user_agent() -> None:
    with default_client(headers={"X-Extra": "1"}) as client:
        assert client.headers["User-Agent"] == user_agent()
        assert user_agent().startswith("hikewoo-core/")
        assert client.headers["X-Extra"] == "1"
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 30.0
        assert client.follow_redirects is False

    async def main() -> None:
        async with default_async_client(timeout=3.0) as client:
            assert client.timeout.read == 3.0
            assert client.headers["Accept"] == "application/json"

    asyncio.run(main())


# --- real HTTP on loopback ----------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: Counter[str]
    lock: threading.Lock

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer()

    def _answer(self) -> None:
        with self.lock:
            self.hits[self.path] += 1
            hits = self.hits[self.path]
        if self.path == "/drop":
            self.close_connection = True  # read the request, answer nothing
            return
        if hits <= 2:
            self._send(503, b"", {"Retry-After": "0"})
        else:
            self._send(200, json.dumps({"hits": hits}).encode(), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[str, Counter[str]]]:
    hits: Counter[str] = Counter()
    handler = type("Handler", (_Handler,), {"hits": hits, "lock": threading.Lock()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_loopback_503_with_retry_after_zero_then_200(server: tuple[str, Counter[str]]) -> None:
    base, hits = server
    fake = FakeTime()
    flow = request_flow(Request("GET", base + "/flaky"), policy=FAST, timer=fake.clock)
    with default_client(trust_env=False) as client:  # no proxy for loopback
        response = send_sync(client, flow, sleep=fake.sleep)
    assert response.json() == {"hits": 3}
    assert hits["/flaky"] == 3
    assert fake.sleeps == [0.5, 1.0]  # Retry-After: 0 never shortens the backoff


def test_loopback_dropped_connection(server: tuple[str, Counter[str]]) -> None:
    base, hits = server
    fake = FakeTime()
    policy = RetryPolicy(attempts=3, jitter=0.0)
    with default_client(trust_env=False) as client:  # no proxy for loopback
        flow = request_flow(Request("GET", base + "/drop"), policy=policy, timer=fake.clock)
        with pytest.raises(RetriesExhaustedError, match="after 3 attempt"):
            send_sync(client, flow, sleep=fake.sleep)
        assert hits["/drop"] == 3
        flow = request_flow(Request("POST", base + "/drop", json={}), policy=policy)
        with pytest.raises(OutcomeUnknownError):
            send_sync(client, flow, sleep=fake.sleep)
        assert hits["/drop"] == 4
    assert len(fake.sleeps) == 2


def test_a_url_keeps_its_own_query_when_params_are_added() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        flow = request_flow(
            Request("GET", "https://shop.example/index.php?rest_route=/wc/v3/orders", {"page": 2})
        )
        send_sync(client, flow)
    assert seen == ["https://shop.example/index.php?rest_route=%2Fwc%2Fv3%2Forders&page=2"]
