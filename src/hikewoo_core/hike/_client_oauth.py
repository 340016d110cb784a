"""OAuth2 token requests to Hike: exchange a code, refresh tokens (shell: does I/O).

The pure parts (authorization URL, :class:`~hikewoo_core.hike.Tokens`, request
building and response parsing) are in :mod:`hikewoo_core.hike._oauth`, which re-exports
these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx

from .._http import default_async_client, default_client, request_flow, send_async, send_sync
from .._http._io import warn_if_unverified
from .._http_types import Request
from .._retry import RetryPolicy
from ._oauth import (
    DEFAULT_AUTH_BASE,
    Tokens,
    code_grant_request,
    parse_token_response,
    refresh_grant_request,
)
from ._requests import HIKE_RETRY_POLICY, decode

__all__ = ["exchange_code", "exchange_code_async", "refresh_tokens", "refresh_tokens_async"]

UTC = timezone.utc


def _run_sync(
    request: Request,
    client: httpx.Client | None,
    policy: RetryPolicy | None,
    sleep: Callable[[float], object] | None,
) -> Any:
    http = client if client is not None else default_client()
    if client is not None:
        warn_if_unverified(client, request.url, "the Hike token request")
    try:
        flow = request_flow(request, policy=policy or HIKE_RETRY_POLICY)
        kwargs: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        response = send_sync(http, flow, **kwargs)
    finally:
        if client is None:
            http.close()
    return decode(response.content, "Hike token response")


async def _run_async(
    request: Request,
    client: httpx.AsyncClient | None,
    policy: RetryPolicy | None,
) -> Any:
    http = client if client is not None else default_async_client()
    if client is not None:
        warn_if_unverified(client, request.url, "the Hike token request")
    try:
        flow = request_flow(request, policy=policy or HIKE_RETRY_POLICY)
        response = await send_async(http, flow)
    finally:
        if client is None:
            await http.aclose()
    return decode(response.content, "Hike token response")


def _now(clock: Callable[[], datetime] | None) -> datetime:
    return clock() if clock is not None else datetime.now(UTC)


def exchange_code(
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.Client | None = None,
    clock: Callable[[], datetime] | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], object] | None = None,
) -> Tokens:
    """Trade the ``code`` from Hike's redirect for :class:`Tokens` (store them yourself).

    ``client`` is an optional caller-owned :class:`httpx.Client` (never closed here).
    A refused code raises :class:`~hikewoo_core.ApiError` (HTTP 400 ``invalid_grant``
    from a standard OAuth2 server).
    """
    request = code_grant_request(client_id, client_secret, code, redirect_uri, base=base)
    body = _run_sync(request, client, policy, sleep)
    return parse_token_response(body, now=_now(clock))


def refresh_tokens(
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.Client | None = None,
    clock: Callable[[], datetime] | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], object] | None = None,
) -> Tokens:
    """Renew tokens with ``refresh_token``; the old refresh token is kept if Hike sends none.

    The clients do this themselves (before expiry, and once after a 401); call it
    directly only to renew tokens outside a client.
    """
    request = refresh_grant_request(client_id, client_secret, refresh_token, base=base)
    body = _run_sync(request, client, policy, sleep)
    previous = Tokens("-", refresh_token)
    return parse_token_response(body, now=_now(clock), previous=previous)


async def exchange_code_async(
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] | None = None,
    policy: RetryPolicy | None = None,
) -> Tokens:
    """The asynchronous twin of :func:`exchange_code`."""
    request = code_grant_request(client_id, client_secret, code, redirect_uri, base=base)
    body = await _run_async(request, client, policy)
    return parse_token_response(body, now=_now(clock))


async def refresh_tokens_async(
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] | None = None,
    policy: RetryPolicy | None = None,
) -> Tokens:
    """The asynchronous twin of :func:`refresh_tokens`."""
    request = refresh_grant_request(client_id, client_secret, refresh_token, base=base)
    body = await _run_async(request, client, policy)
    previous = Tokens("-", refresh_token)
    return parse_token_response(body, now=_now(clock), previous=previous)
