"""Hike OAuth2: the authorization URL, token requests, refresh before expiry and after a
401, ``on_tokens``, and secrets kept out of repr, logs and errors.

MockTransport tests first, then the real flow over loopback HTTP against ``serve_hike``.
No test sleeps: clocks are injected.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hikewoo_core._errors import ApiError, AuthenticationError, ConfigurationError, PayloadError
from hikewoo_core.hike import AsyncHikeClient, HikeClient
from hikewoo_core.hike._oauth import (
    Tokens,
    authorization_url,
    code_grant_request,
    exchange_code,
    exchange_code_async,
    parse_token_response,
    refresh_grant_request,
    refresh_tokens,
)
from hikewoo_core.hike._schema import DEFAULT_TOKEN_LIFETIME
from hikewoo_core.testing import FakeClock, FakeHike
from hikewoo_core.testing._faults import HttpFault
from hikewoo_core.testing._hike_server import serve_hike

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://api.hikeup.com/api/v1"
TOKEN_URL = "https://api.hikeup.com/oauth/token"
SECRETS = ("acc-OLD-7f3a", "ref-OLD-91bc", "acc-NEW-5d2e", "ref-NEW-c0de", "app-SECRET-42")


class Server:
    """A MockTransport handler: a token endpoint plus an API answering ``api(request)``."""

    def __init__(
        self,
        api: Callable[[httpx.Request], httpx.Response] | None = None,
        token_response: httpx.Response | None = None,
    ) -> None:
        self.requests: list[httpx.Request] = []
        self.api = api or (lambda r: httpx.Response(200, json=[{"id": 1, "name": "Main"}]))
        self.token_response = token_response

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            if self.token_response is not None:
                return self.token_response
            return httpx.Response(
                200,
                json={
                    "access_token": "acc-NEW-5d2e",
                    "refresh_token": "ref-NEW-c0de",
                    "expires_in": 3600,
                },
            )
        return self.api(request)

    @property
    def token_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/oauth/token"]

    @property
    def api_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]


def client_for(
    server: Server,
    *,
    expires_at: datetime | None = T0 + timedelta(hours=1),
    now: list[datetime] | None = None,
    refresh: str | None = "ref-OLD-91bc",
    on_tokens: Callable[[Tokens], object] | None = None,
) -> HikeClient:
    clock = now if now is not None else [T0]
    return HikeClient(
        "acc-OLD-7f3a",
        refresh_token=refresh,
        client_id="app-id",
        client_secret="app-SECRET-42",
        on_tokens=on_tokens,
        expires_at=expires_at,
        clock=lambda: clock[0],
        client=httpx.Client(transport=httpx.MockTransport(server)),
        sleep=lambda s: None,
    )


# --- pure parts ---------------------------------------------------------------------


def test_authorization_url_has_scope_all_code_and_state() -> None:
    url = authorization_url("app-id", "https://shop.test/cb?x=1", state="s-1")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "api.hikeup.com",
        "/oauth/authorize",
    )
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["app-id"],
        "redirect_uri": ["https://shop.test/cb?x=1"],
        "scope": ["all"],
        "state": ["s-1"],
    }
    assert "state=" not in authorization_url("a", "https://x.test/cb")
    assert authorization_url("a", "https://x.test/cb", base="http://127.0.0.1:9/").startswith(
        "http://127.0.0.1:9/oauth/authorize?"
    )
    with pytest.raises(ConfigurationError):
        authorization_url("", "https://x.test/cb")


def test_token_requests_are_form_encoded_and_hide_their_secrets() -> None:
    code = code_grant_request("app-id", "app-SECRET-42", "the-code", "https://x.test/cb")
    assert (code.method, code.url) == ("POST", TOKEN_URL)
    assert code.form == {
        "grant_type": "authorization_code",
        "client_id": "app-id",
        "client_secret": "app-SECRET-42",
        "code": "the-code",
        "redirect_uri": "https://x.test/cb",
    }
    refresh = refresh_grant_request("app-id", "app-SECRET-42", "ref-OLD-91bc")
    assert refresh.form == {
        "grant_type": "refresh_token",
        "client_id": "app-id",
        "client_secret": "app-SECRET-42",
        "refresh_token": "ref-OLD-91bc",
    }
    for text in (repr(code), repr(refresh)):
        assert "app-SECRET-42" not in text
        assert "the-code" not in text
        assert "ref-OLD" not in text
    with pytest.raises(ConfigurationError, match="client_secret"):
        refresh_grant_request("app-id", "", "r")


def test_token_response_defaults_and_keeps_the_old_refresh_token() -> None:
    previous = Tokens("acc-OLD-7f3a", "ref-OLD-91bc", T0)
    tokens = parse_token_response({"access_token": "acc-NEW-5d2e"}, now=T0, previous=previous)
    assert tokens.refresh_token == "ref-OLD-91bc"
    assert tokens.expires_at == T0 + timedelta(seconds=DEFAULT_TOKEN_LIFETIME)
    assert DEFAULT_TOKEN_LIFETIME == 604800
    tokens = parse_token_response(
        {"access_token": "a", "refresh_token": "ref-NEW-c0de", "expires_in": "60"}, now=T0
    )
    assert (tokens.refresh_token, tokens.expires_at) == ("ref-NEW-c0de", T0 + timedelta(seconds=60))


def test_bad_token_response_names_fields_never_values() -> None:
    with pytest.raises(PayloadError) as info:
        parse_token_response(
            {"access_token": 12345678, "refresh_token": ["ref-OLD-91bc"], "expires_in": "soon"},
            now=T0,
        )
    assert info.value.paths == ("$.access_token", "$.refresh_token", "$.expires_in")
    assert "12345678" not in str(info.value)
    assert "ref-OLD" not in str(info.value)
    with pytest.raises(PayloadError):
        parse_token_response(["not", "an", "object"], now=T0)


def test_tokens_repr_redacts_and_expiry_is_aware_utc() -> None:
    tokens = Tokens(
        "acc-OLD-7f3a",
        "ref-OLD-91bc",
        datetime(2026, 3, 1, 14, tzinfo=timezone(timedelta(hours=2))),
    )
    assert tokens.expires_at == T0
    for text in (repr(tokens), str(tokens)):
        assert "acc-OLD" not in text
        assert "ref-OLD" not in text
        assert "<redacted>" in text
    assert tokens.expires_within(timedelta(minutes=5), T0 - timedelta(minutes=4))
    assert not tokens.expires_within(timedelta(minutes=5), T0 - timedelta(minutes=6))
    assert not Tokens("a").expires_within(timedelta(days=999), T0)
    with pytest.raises(ConfigurationError):
        Tokens("a", None, datetime(2026, 1, 1))


# --- exchange and refresh over MockTransport ------------------------------------------


def test_exchange_code_posts_the_form_and_dates_the_expiry() -> None:
    server = Server()
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        tokens = exchange_code(
            "app-id",
            "app-SECRET-42",
            "the-code",
            "https://x.test/cb",
            client=http,
            clock=lambda: T0,
        )
    (request,) = server.requests
    assert request.method == "POST"
    assert str(request.url) == TOKEN_URL
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode())["grant_type"] == ["authorization_code"]
    assert tokens == Tokens("acc-NEW-5d2e", "ref-NEW-c0de", T0 + timedelta(hours=1))


def test_refused_code_is_an_api_error_without_secrets() -> None:
    server = Server(
        token_response=httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "bad code"}
        )
    )
    with (
        httpx.Client(transport=httpx.MockTransport(server)) as http,
        pytest.raises(ApiError) as info,
    ):
        exchange_code("app-id", "app-SECRET-42", "the-code", "https://x.test/cb", client=http)
    assert info.value.status == 400
    assert info.value.code == "invalid_grant"
    assert "app-SECRET-42" not in repr(info.value)
    assert "the-code" not in str(info.value)


def test_refresh_tokens_keeps_the_refresh_token_when_none_comes_back() -> None:
    server = Server(token_response=httpx.Response(200, json={"access_token": "acc-NEW-5d2e"}))
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        tokens = refresh_tokens(
            "app-id", "app-SECRET-42", "ref-OLD-91bc", client=http, clock=lambda: T0
        )
    assert tokens.refresh_token == "ref-OLD-91bc"
    assert parse_qs(server.requests[0].content.decode())["refresh_token"] == ["ref-OLD-91bc"]


def test_refresh_before_expiry_with_an_injected_clock() -> None:
    server, seen, now = Server(), list[Tokens](), [T0]
    hike = client_for(server, expires_at=T0 + timedelta(minutes=10), now=now, on_tokens=seen.append)
    hike.list_outlets()
    assert server.token_calls == []  # 10 min left, margin 5 min
    now[0] = T0 + timedelta(minutes=6)
    hike.list_outlets()
    assert len(server.token_calls) == 1
    assert server.api_calls[-1].headers["Authorization"] == "Bearer acc-NEW-5d2e"
    assert seen == [Tokens("acc-NEW-5d2e", "ref-NEW-c0de", now[0] + timedelta(hours=1))]
    assert hike.tokens == seen[0]
    hike.list_outlets()
    assert len(server.token_calls) == 1


def test_refresh_margin_is_configurable() -> None:
    server = Server()
    hike = HikeClient(
        "acc-OLD-7f3a",
        refresh_token="ref-OLD-91bc",
        client_id="app-id",
        client_secret="app-SECRET-42",
        expires_at=T0 + timedelta(minutes=50),
        refresh_margin=timedelta(hours=1),
        clock=lambda: T0,
        client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    hike.list_outlets()
    assert len(server.token_calls) == 1


def unauthorized_until_refreshed(request: httpx.Request) -> httpx.Response:
    if request.headers["Authorization"] == "Bearer acc-NEW-5d2e":
        return httpx.Response(200, json=[{"id": 1, "name": "Main"}])
    return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def test_refresh_once_on_401_then_success() -> None:
    server, seen = Server(unauthorized_until_refreshed), list[Tokens]()
    hike = client_for(server, expires_at=None, on_tokens=seen.append)
    assert [o.name for o in hike.list_outlets()] == ["Main"]
    assert [r.headers["Authorization"] for r in server.api_calls] == [
        "Bearer acc-OLD-7f3a",
        "Bearer acc-NEW-5d2e",
    ]
    assert len(server.token_calls) == 1
    assert len(seen) == 1


def test_a_second_401_is_final() -> None:
    server = Server(lambda r: httpx.Response(401, json={"error": {"message": "Nope."}}))
    hike = client_for(server, expires_at=None)
    with pytest.raises(AuthenticationError) as info:
        hike.list_outlets()
    assert len(server.token_calls) == 1
    assert len(server.api_calls) == 2
    assert "authorize the app again" in str(info.value)


def test_401_without_a_refresh_token_is_final_at_once() -> None:
    server = Server(unauthorized_until_refreshed)
    hike = client_for(server, expires_at=None, refresh=None)
    with pytest.raises(AuthenticationError):
        hike.list_outlets()
    assert server.token_calls == []
    assert len(server.api_calls) == 1


def test_refused_refresh_is_an_authentication_error() -> None:
    refused = httpx.Response(400, json={"error": "invalid_grant", "error_description": "revoked"})
    server = Server(unauthorized_until_refreshed, token_response=refused)
    hike = client_for(server, expires_at=None)
    with pytest.raises(AuthenticationError, match="refreshing the Hike access token failed"):
        hike.list_outlets()


def test_secrets_never_reach_logs_repr_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Server(unauthorized_until_refreshed)
    hike = client_for(server, expires_at=T0 + timedelta(minutes=1))
    hike.list_outlets()  # refreshed before expiry
    failing = Server(lambda r: httpx.Response(401, json={"error": {"message": "no"}}))
    other = client_for(failing, expires_at=None)
    with pytest.raises(AuthenticationError) as info:
        other.list_outlets()
    texts = [caplog.text, repr(hike), repr(hike.tokens), str(info.value), repr(info.value)]
    texts += [repr(hike._session), str(hike.tokens)]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text[:200])
    assert "Hike access token refreshed" in caplog.text


def test_async_client_refreshes_once_on_401() -> None:
    server, seen = Server(unauthorized_until_refreshed), list[Tokens]()

    async def run() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
            hike = AsyncHikeClient(
                "acc-OLD-7f3a",
                refresh_token="ref-OLD-91bc",
                client_id="app-id",
                client_secret="app-SECRET-42",
                on_tokens=seen.append,
                client=http,
                clock=lambda: T0,
            )
            return [o.name for o in await hike.list_outlets()]

    assert asyncio.run(run()) == ["Main"]
    assert len(server.token_calls) == 1
    assert seen[0].access_token == "acc-NEW-5d2e"


def test_async_exchange_code() -> None:
    server = Server()

    async def run() -> Tokens:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
            return await exchange_code_async(
                "app-id", "app-SECRET-42", "c", "https://x.test/cb", client=http, clock=lambda: T0
            )

    assert asyncio.run(run()).access_token == "acc-NEW-5d2e"


# --- the real flow over loopback HTTP ----------------------------------------------------


def authorize(base: str, state: str = "st-1") -> str:
    """Follow /oauth/authorize as a browser would; return the code from the redirect."""
    root = base.removesuffix("/api/v1")
    answer = httpx.get(authorization_url("app", "https://shop.test/cb", state, base=root))
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def test_loopback_code_exchange_refresh_and_rotation() -> None:
    clock = FakeClock(T0)
    fake = FakeHike(clock=clock)
    seen: list[Tokens] = []
    with serve_hike(fake, token_ttl=600, clock=clock) as base:
        root = base.removesuffix("/api/v1")
        tokens = exchange_code(
            "app", "secret", authorize(base), "https://shop.test/cb", base=root, clock=clock
        )
        assert tokens.expires_at == T0 + timedelta(seconds=600)
        with pytest.raises(ApiError) as info:  # a code is single-use
            exchange_code("app", "secret", "used-or-made-up", "https://shop.test/cb", base=root)
        assert info.value.code == "invalid_grant"
        with HikeClient(
            tokens=tokens,
            client_id="app",
            client_secret="secret",
            on_tokens=seen.append,
            base_url=base,
            clock=clock,
        ) as hike:
            assert hike.read_register_closure(1).is_open
            clock.advance(timedelta(minutes=6))  # inside the 5-minute margin: refresh first
            assert hike.read_register_closure(1).is_open
            assert len(seen) == 1
            assert seen[0].refresh_token != tokens.refresh_token
            # the old refresh token was rotated away
            with pytest.raises(ApiError):
                refresh_tokens("app", "secret", tokens.refresh_token or "", base=root)


def test_loopback_server_side_expiry_gives_401_then_one_refresh() -> None:
    clock = FakeClock(T0)
    seen: list[Tokens] = []
    with serve_hike(
        FakeHike(clock=clock),
        access_token="pre-acc",
        refresh_token="pre-ref",
        token_ttl=60,
        clock=clock,
    ) as base:
        hike = HikeClient(  # the client does not know when the token expires
            "pre-acc",
            refresh_token="pre-ref",
            client_id="app",
            client_secret="secret",
            on_tokens=seen.append,
            base_url=base,
        )
        with hike:
            clock.advance(120)
            assert hike.read_register_closure(1).id == 1
        assert len(seen) == 1


def test_loopback_injected_401_and_wrong_secret() -> None:
    with serve_hike(
        FakeHike(),
        access_token="pre-acc",
        refresh_token="pre-ref",
        faults=[HttpFault(status=401, path="/registerClosures/get")],
    ) as base:
        bad = HikeClient(
            "pre-acc",
            refresh_token="pre-ref",
            client_id="app",
            client_secret="wrong",
            base_url=base,
        )
        with bad, pytest.raises(AuthenticationError) as info:
            bad.read_register_closure(1)
        assert "wrong" not in str(info.value)
        assert "pre-ref" not in str(info.value)


def test_loopback_token_endpoint_body_is_json() -> None:
    with serve_hike(FakeHike()) as base:
        root = base.removesuffix("/api/v1")
        code = authorize(base)
        answer = httpx.post(
            f"{root}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "app",
                "client_secret": "secret",
                "code": code,
                "redirect_uri": "https://shop.test/cb",
            },
        )
    body = json.loads(answer.text)
    assert answer.status_code == 200
    assert set(body) >= {
        "access_token",
        "refresh_token",
        "expires_in",
    }
