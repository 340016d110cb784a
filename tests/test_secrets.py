"""No secret in any ``repr``, error message, exception chain or log line.

Each test drives one path that handles a secret (every WooCommerce auth mode, Hike
tokens, the OAuth2 code exchange and refresh, webhook verification, real loopback
failures) and then looks everywhere a secret could show: ``repr`` and ``str`` of the
objects, ``str(exc)``, ``exc.args``, every attribute of the exception and of each error
in its ``__cause__`` / ``__context__`` chain, and (through the autouse
``no_secret_in_logs`` fixture of ``conftest.py``) every log record, at DEBUG, of every
logger. The consumer key is not a secret but only its first characters may show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hikewoo_core import (
    ApiError,
    AuthenticationError,
    HikeWooError,
    MemoryLedger,
    OutcomeUnknownError,
    RemoteError,
    RetriesExhaustedError,
    SqliteLedger,
    Syncer,
    SyncSettings,
    WebhookSignatureError,
)
from hikewoo_core._http_types import Request
from hikewoo_core._retry import RetryPolicy
from hikewoo_core.hike import HikeClient
from hikewoo_core.hike._client_async import AsyncHikeClient
from hikewoo_core.hike._oauth import Tokens, authorization_url, exchange_code, refresh_tokens
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce, FaultPlan
from hikewoo_core.woo import WooClient
from hikewoo_core.woo._auth import OAuth1Signer, WooCredentials
from hikewoo_core.woo._client_async import AsyncWooClient
from hikewoo_core.woo._webhooks import verify_woo_webhook

from ._secrets import find_leaks, register_secret
from ._woo_loopback import https_client

KEY = "ck_secretsuite_0123456789abcdef0123456789ab"
WOO_SECRET = register_secret("cs_secretsuite_9f8e7d6c5b4a39281706f5e4d3c2b1a0")
WRONG_WOO_SECRET = register_secret("cs_wrong_secretsuite_00112233445566778899")
BASIC = register_secret(base64.b64encode(f"{KEY}:{WOO_SECRET}".encode()).decode())
APP_USER, APP_PASSWORD = "shopbot", register_secret("abcd EFGH ijkl MNOP qrst UVWX")
ACCESS = register_secret("hike-access-secretsuite-4f1e9b")
REFRESH = register_secret("hike-refresh-secretsuite-8c2d0a")
APP_ID = "secretsuite-app"
APP_SECRET = register_secret("hike-app-secret-secretsuite-77e1")
WRONG_APP_SECRET = register_secret("hike-app-secret-wrong-secretsuite-31")
WEBHOOK_SECRET = register_secret("whsec-secretsuite-5a6b7c8d")

NO_RETRY = RetryPolicy(attempts=2, initial=0.0, jitter=0.0)


def no_sleep(seconds: float) -> None:
    """Back-off waits, skipped."""


# --- where a secret could show ------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]
        last = getattr(current, "last_error", None)
        if isinstance(last, BaseException):
            todo.append(last)


def shown(*things: object) -> list[str]:
    """Every text a person could see of ``things``: repr, str, and for an exception its
    args, its attributes and those of every exception chained to it."""
    texts: list[str] = []
    for thing in things:
        if isinstance(thing, BaseException):
            for exc in _chain(thing):
                texts += [str(exc), repr(exc), repr(exc.args)]
                texts += [repr(v) for v in vars(exc).values()]
        else:
            texts += [repr(thing), str(thing)]
    return texts


def assert_clean(texts: Iterable[str]) -> None:
    texts = list(texts)
    assert texts
    leaks = find_leaks(texts)
    assert not leaks, leaks
    assert not [t for t in texts if KEY in t], "the whole consumer key shows"


@pytest.fixture
def logs(no_secret_in_logs: Any) -> list[str]:
    """The log records of this test so far (the autouse fixture scans them at the end)."""
    texts: list[str] = no_secret_in_logs.texts
    return texts


# --- WooCommerce ---------------------------------------------------------------------


def orders(fake: FakeWooCommerce, count: int) -> None:
    for _ in range(count):
        fake.add_order({"status": "processing", "total": "10.00"})


@contextmanager
def woo_server(**options: Any) -> Iterator[tuple[FakeWooCommerce, str]]:
    fake = FakeWooCommerce()
    orders(fake, 3)
    with fake.serve(consumer_key=KEY, consumer_secret=WOO_SECRET, **options) as url:
        yield fake, url


@pytest.mark.parametrize("mode", ["oauth1", "basic", "query", "app_password"])
def test_woo_client_in_every_auth_mode(mode: str, logs: list[str]) -> None:
    https = mode != "oauth1"
    options: dict[str, Any] = {"https_terminated": https}
    if mode == "app_password":
        options["app_passwords"] = {APP_USER: APP_PASSWORD}
    user, password = (APP_USER, APP_PASSWORD) if mode == "app_password" else (KEY, WOO_SECRET)
    wrong = WRONG_WOO_SECRET
    extra: dict[str, Any] = {"rest_route": True} if mode == "app_password" else {}
    with woo_server(**options) as (_, url):
        site = url.replace("http://", "https://") if https else url

        @contextmanager
        def client(secret: str) -> Iterator[WooClient]:
            with https_client() if https else httpx.Client() as http:
                yield WooClient(
                    site, user, secret, auth_mode=mode, client=http, sleep=no_sleep, **extra
                )

        with client(password) as woo:
            # paging follows Link headers, which repeat the query's keys in query mode
            assert len(list(woo.iter_orders(per_page=1))) == 3
            order = woo.create_order({"status": "processing", "line_items": []})
            woo.update_order(order.id, {"status": "completed"})
            with pytest.raises(ApiError) as missing:
                woo.get_order(999)
            objects: list[object] = [woo, woo.requests, missing.value]
        with client(wrong) as bad, pytest.raises(AuthenticationError) as refused:
            bad.get_order(1)
        objects += [bad, refused.value]
    assert_clean(shown(*objects))
    assert_clean(logs)
    assert any("GET" in line for line in logs), "the requests were logged at DEBUG"


def test_woo_failures_from_the_loopback_server(logs: list[str]) -> None:
    plan = (
        FaultPlan()
        .fail(503, method="GET", times=None, path="orders/1")
        .drop(after=True, method="POST", path="orders")
        .fail(502, method="POST", path="refunds")
        .throttle(retry_after=3600, method="GET", path="orders/2")
    )
    with woo_server(https_terminated=True, faults=plan) as (_, url):
        site = url.replace("http://", "https://")
        with https_client() as http, WooClient(
            site, KEY, WOO_SECRET, auth_mode="query", client=http, retry=NO_RETRY,
            sleep=no_sleep,
        ) as woo:  # fmt: skip
            errors: list[HikeWooError] = []
            for call in (
                lambda: woo.get_order(1),  # 503, 503: retries exhausted
                lambda: woo.create_order({"status": "processing"}),  # written, answer lost
                lambda: woo.create_refund(2, {"amount": "1.00"}),  # gateway error: unknown
                lambda: woo.get_order(2),  # Retry-After beyond the budget
            ):
                with pytest.raises(HikeWooError) as caught:
                    call()
                errors.append(caught.value)
    assert [type(e) for e in errors] == [
        RetriesExhaustedError,
        OutcomeUnknownError,
        OutcomeUnknownError,
        RetriesExhaustedError,
    ]
    assert all("<redacted>" in e.url for e in errors if isinstance(e, RemoteError))
    assert_clean(shown(*errors))
    assert_clean(logs)


def test_credentials_and_signers_hide_the_secret() -> None:
    creds = WooCredentials(KEY, WOO_SECRET)
    signer = OAuth1Signer(creds)
    assert_clean(shown(creds, signer))
    with pytest.raises(HikeWooError) as caught:  # a pasted secret with a newline
        WooCredentials(KEY, WOO_SECRET + "\n")
    assert_clean(shown(caught.value))


def test_async_clients_reprs() -> None:
    woo = AsyncWooClient("https://shop.example", KEY, WOO_SECRET)
    hike = AsyncHikeClient(
        ACCESS, refresh_token=REFRESH, client_id=APP_ID, client_secret=APP_SECRET
    )
    assert_clean(shown(woo, hike, hike.tokens))


def test_request_objects_hide_credentials() -> None:
    request = Request(
        "POST",
        f"https://hike.test/oauth/token?access_token={ACCESS}",
        params={"consumer_secret": WOO_SECRET, "consumer_key": KEY},
        form={"client_secret": APP_SECRET, "refresh_token": REFRESH},
        headers={"Authorization": f"Bearer {ACCESS}", "Proxy-Authorization": f"Basic {BASIC}"},
    )
    assert_clean(shown(request))


# --- Hike ----------------------------------------------------------------------------


@contextmanager
def hike_server(**options: Any) -> Iterator[tuple[FakeClock, FakeHike, str]]:
    clock = FakeClock()
    fake = FakeHike(clock=clock)
    fake.add_product("MUG", "Mug", stock=10)
    with fake.serve(
        client_id=APP_ID,
        client_secret=APP_SECRET,
        access_token=ACCESS,
        refresh_token=REFRESH,
        clock=clock,
        **options,
    ) as url:
        yield clock, fake, url


def test_hike_client_tokens_and_refresh(logs: list[str]) -> None:
    renewed: list[Tokens] = []
    with hike_server(token_ttl=60) as (clock, fake, url):
        sale = fake.record_sale([("MUG", 1, "5.00")], [("Cash", "5.00")])
        with HikeClient(
            ACCESS,
            refresh_token=REFRESH,
            client_id=APP_ID,
            client_secret=APP_SECRET,
            on_tokens=renewed.append,
            base_url=url,
            clock=clock,
            sleep=no_sleep,
        ) as hike:
            assert hike.read_sale(sale.id).id == sale.id
            clock.advance(120)  # the server lets the token expire: 401, one refresh
            assert hike.read_sale(sale.id).id == sale.id
            objects: list[object] = [hike, hike.tokens, hike._session]
    assert len(renewed) == 1
    # the new tokens are secrets as well
    register_secret(renewed[0].access_token)
    register_secret(renewed[0].refresh_token or "")
    assert_clean(shown(*objects, *renewed))
    assert_clean(logs)
    assert any("refresh" in line.lower() for line in logs)


def test_hike_refresh_refused_and_failures(logs: list[str]) -> None:
    plan = (
        FaultPlan()
        .fail(401, path="sales/get", times=1)
        .fail(503, path="registerClosures/get", times=None)
        .drop(after=True, method="POST", path="sales/create_ecommerce_sale")
    )
    errors: list[HikeWooError] = []
    with hike_server(faults=plan) as (clock, fake, url):
        sale = fake.record_sale([("MUG", 1, "5.00")], [("Cash", "5.00")])
        with HikeClient(  # a wrong app secret: the refresh after the 401 is refused
            ACCESS,
            refresh_token=REFRESH,
            client_id=APP_ID,
            client_secret=WRONG_APP_SECRET,
            base_url=url,
            clock=clock,
            sleep=no_sleep,
            retry=NO_RETRY,
        ) as hike:
            for call in (
                lambda: hike.read_sale(sale.id),
                lambda: hike.read_register_closure(1),
            ):
                with pytest.raises(HikeWooError) as caught:
                    call()
                errors.append(caught.value)
        with HikeClient(ACCESS, base_url=url, clock=clock, sleep=no_sleep) as hike:
            draft = fake.read_sale(sale.id)
            from hikewoo_core.hike._models import HikeSaleDraft

            with pytest.raises(HikeWooError) as caught:
                hike.write_sale(
                    HikeSaleDraft(
                        fulfilment_status=draft.fulfilment_status,
                        payment_status=draft.payment_status,
                        total=Decimal("5.00"),
                        outlet_id=draft.outlet_id,
                        register_id=draft.register_id,
                        lines=draft.lines,
                        payments=draft.payments,
                    )
                )
            errors.append(caught.value)
    assert [type(e) for e in errors] == [
        AuthenticationError,
        RetriesExhaustedError,
        OutcomeUnknownError,
    ]
    assert_clean(shown(*errors))
    assert_clean(logs)


def test_oauth2_code_exchange_and_refresh_errors(logs: list[str]) -> None:
    with hike_server() as (clock, _, url):
        root = url.removesuffix("/api/v1")
        answer = httpx.get(authorization_url(APP_ID, "https://shop.test/cb", "st", base=root))
        code = register_secret(parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0])
        errors: list[HikeWooError] = []
        with pytest.raises(ApiError) as caught:  # wrong app secret
            exchange_code(APP_ID, WRONG_APP_SECRET, code, "https://shop.test/cb", base=root)
        errors.append(caught.value)
        tokens = exchange_code(APP_ID, APP_SECRET, code, "https://shop.test/cb", base=root)
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token or "")
        with pytest.raises(ApiError) as caught:  # a code is single-use
            exchange_code(APP_ID, APP_SECRET, code, "https://shop.test/cb", base=root)
        errors.append(caught.value)
        with pytest.raises(ApiError) as caught:  # an unknown refresh token
            refresh_tokens(APP_ID, APP_SECRET, REFRESH + "-not", base=root, clock=clock)
        errors.append(caught.value)
    assert_clean(shown(tokens, *errors))
    assert_clean(logs)


# --- webhooks ----------------------------------------------------------------------


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_webhook_failures_name_neither_the_secret_nor_the_expected_signature() -> None:
    body = json.dumps({"id": 7, "status": "processing", "currency": "USD", "total": "1.00",
                       "date_created_gmt": "2026-11-27T02:08:10",
                       "date_modified_gmt": "2026-11-27T02:08:11"}).encode()  # fmt: skip
    headers = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Signature": sign(body)}
    event = verify_woo_webhook(body, headers, WEBHOOK_SECRET)
    errors: list[HikeWooError] = []
    for raw, given, secret in [
        (body[:-3], headers, WEBHOOK_SECRET),  # truncated
        (body.replace(b"1.00", b"9.00"), headers, WEBHOOK_SECRET),  # altered
        (body, headers, "whsec-wrong-secretsuite"),  # wrong secret
        (body, {**headers, "X-WC-Webhook-Signature": "***"}, WEBHOOK_SECRET),
        (body, {"X-WC-Webhook-Topic": "order.updated"}, WEBHOOK_SECRET),  # unsigned
        (b"[1]", {**headers, "X-WC-Webhook-Signature": sign(b"[1]")}, WEBHOOK_SECRET),
    ]:
        register_secret(sign(raw, secret))  # what the library computes: never shown
        with pytest.raises((WebhookSignatureError, HikeWooError)) as caught:
            verify_woo_webhook(raw, given, secret)
        errors.append(caught.value)
    assert_clean(shown(event, *errors))


# --- the Syncer, settings and ledgers ------------------------------------------------


def test_syncer_settings_and_ledgers(tmp_path: Path, logs: list[str]) -> None:
    clock = FakeClock()
    woo, hike = FakeWooCommerce(clock=clock), FakeHike(clock=clock)
    plan = FaultPlan(seed=3).randomly(0.3, statuses=(500, 503), drop=True)
    with woo.serve(consumer_key=KEY, consumer_secret=WOO_SECRET) as woo_url, hike.serve(
        client_id=APP_ID, client_secret=APP_SECRET, access_token=ACCESS,
        refresh_token=REFRESH, clock=clock, faults=plan,
    ) as hike_url, WooClient(
        woo_url, KEY, WOO_SECRET, sleep=no_sleep, clock=clock,
    ) as woo_client, HikeClient(
        ACCESS, refresh_token=REFRESH, client_id=APP_ID, client_secret=APP_SECRET,
        base_url=hike_url, clock=clock, sleep=no_sleep, retry=NO_RETRY,
    ) as hike_client:  # fmt: skip
        ledger = SqliteLedger(tmp_path / "ledger.db", clock=clock)
        settings = SyncSettings()
        syncer = Syncer(
            woo=woo_client, hike=hike_client, ledger=ledger, clock=clock, sleep=clock.advance
        )
        line = {"product_id": 1, "quantity": 1, "total": "3.00"}
        for _ in range(5):
            clock.advance(2)
            billing = {"email": "a@example.com"}
            woo.add_order({"status": "completed", "billing": billing, "line_items": [line]})
        clock.advance(2)
        report = syncer.sync_changes()
        assert report.failures, "the faults made some orders fail"
        with pytest.raises(WebhookSignatureError) as caught:
            syncer.handle_woo_webhook(b"{}", {"X-WC-Webhook-Signature": sign(b"{}")}, "wrong-1")
        texts = shown(syncer, settings, ledger, MemoryLedger(), report, caught.value)
        texts += [report.explain(), *(f.error for f in report.failures)]
        ledger.close()
    assert_clean(texts)
    assert_clean(logs)


def test_the_scan_itself_finds_a_leak(no_secret_in_logs: Any) -> None:
    """The autouse scan is not vacuous: a secret logged by mistake is found."""
    import logging

    logging.getLogger("hikewoo_core.sync").debug("token=%s", ACCESS)
    assert find_leaks(no_secret_in_logs.texts) == [
        (ACCESS, f"hikewoo_core.sync DEBUG token={ACCESS}")
    ]
    no_secret_in_logs.texts.clear()  # or the fixture fails this test at teardown
    for prose in ["the secret is wrong", "no webhook secret configured", "client_secret=x"]:
        assert find_leaks([prose]) == []
    for leak in ["client_secret=secret", '{"client_secret": "secret"}', f"Bearer {ACCESS}"]:
        assert find_leaks([leak])
    assert find_leaks([WOO_SECRET + "x"]) == [], "part of a longer token is not this secret"
