"""The drivers that perform a flow's commands, and the default httpx clients."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from .._http_types import Request, Send, Sleep
from .._redact import redact_url
from ._flow import Flow, Reply

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "RedactHttpxLogs",
    "default_async_client",
    "default_client",
    "send_async",
    "send_sync",
    "user_agent",
]

#: connect 5 s; read, write and waiting for a pooled connection 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(
    max_connections=10, max_keepalive_connections=10, keepalive_expiry=5.0
)


class RedactHttpxLogs(logging.Filter):
    """Redact the URL in httpx's own ``HTTP Request: GET <url> ...`` INFO lines.

    Installed once on the ``httpx`` logger when this module is imported, so that
    query-string credentials never reach a log, whoever enables httpx logging.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite URL arguments of ``record`` in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, RedactHttpxLogs) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(RedactHttpxLogs())

# --- drivers ------------------------------------------------------------------------


def _build(client: httpx.Client | httpx.AsyncClient, request: Request) -> httpx.Request:
    # httpx replaces a URL's own query when params= is given: merge instead, so a URL
    # such as ``index.php?rest_route=/wc/v3/orders`` keeps its query.
    url = httpx.URL(request.url)
    if request.params:
        url = url.copy_merge_params(request.params)
    return client.build_request(
        request.method,
        url,
        json=request.json,
        data=request.form,
        headers=request.headers,
    )


def send_sync(
    client: httpx.Client,
    flow: Flow,
    *,
    on_unauthorized: Callable[[], bool] | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> httpx.Response:
    """Drive ``flow`` with a synchronous client; returns the final response.

    ``on_unauthorized`` refreshes credentials after a 401 (called at most once per
    request) and returns whether the request should be sent again.
    """
    try:
        command = next(flow)
        while True:
            reply: Reply = None
            if isinstance(command, Send):
                try:
                    reply = client.send(_build(client, command.request))
                except httpx.RequestError as exc:
                    reply = exc
            elif isinstance(command, Sleep):
                sleep(command.seconds)
            else:
                reply = on_unauthorized() if on_unauthorized is not None else False
            command = flow.send(reply)
    except StopIteration as stop:
        response: httpx.Response = stop.value
        return response
    finally:
        flow.close()


async def send_async(
    client: httpx.AsyncClient,
    flow: Flow,
    *,
    on_unauthorized: Callable[[], Awaitable[bool]] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> httpx.Response:
    """Drive ``flow`` with an asynchronous client; the twin of :func:`send_sync`."""
    try:
        command = next(flow)
        while True:
            reply: Reply = None
            if isinstance(command, Send):
                try:
                    reply = await client.send(_build(client, command.request))
                except httpx.RequestError as exc:
                    reply = exc
            elif isinstance(command, Sleep):
                await sleep(command.seconds)
            else:
                reply = await on_unauthorized() if on_unauthorized is not None else False
            command = flow.send(reply)
    except StopIteration as stop:
        response: httpx.Response = stop.value
        return response
    finally:
        flow.close()


# --- clients ------------------------------------------------------------------------


@functools.cache
def user_agent() -> str:
    """``hikewoo-core/<version>``, the ``User-Agent`` of the default clients."""
    try:
        return f"hikewoo-core/{version('hikewoo-core')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "hikewoo-core/0+unknown"


def _options(kw: dict[str, Any]) -> dict[str, Any]:
    headers = httpx.Headers({"User-Agent": user_agent(), "Accept": "application/json"})
    headers.update(kw.pop("headers", None) or {})
    options: dict[str, Any] = {
        "timeout": DEFAULT_TIMEOUT,
        "limits": DEFAULT_LIMITS,
        "follow_redirects": False,
    }
    options.update(kw)
    options["headers"] = headers
    return options


def default_client(**kw: Any) -> httpx.Client:
    """An :class:`httpx.Client` with our timeouts, limits and ``User-Agent``.

    Keyword arguments go to :class:`httpx.Client` and win over the defaults;
    ``headers`` are merged. Redirects are not followed (a redirected POST turns
    into a GET); a 3xx is reported as an :class:`ApiError` naming the target.
    """
    return httpx.Client(**_options(kw))


def default_async_client(**kw: Any) -> httpx.AsyncClient:
    """The :class:`httpx.AsyncClient` twin of :func:`default_client`."""
    return httpx.AsyncClient(**_options(kw))
