"""The drivers that perform a flow's commands, and the default httpx clients."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
import weakref
import zlib
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from .._errors import OutcomeUnknownError, ResponseTooLargeError
from .._http_types import DEFAULT_MAX_RESPONSE_BYTES, MAX_ERROR_BODY, Request, Send, Sleep
from .._redact import redact_url
from ._flow import Flow, Reply

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "MAX_ERROR_BODY",
    "RedactHttpxLogs",
    "default_async_client",
    "default_client",
    "send_async",
    "send_sync",
    "user_agent",
    "warn_if_unverified",
]

#: connect 5 s; read, write and waiting for a pooled connection 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(
    max_connections=10, max_keepalive_connections=10, keepalive_expiry=5.0
)


# Describe the encoded body; the rebuilt response holds it decoded.
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


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
    # such as ``index.php?rest_route=/wc/v3/orders`` keeps its query. A URL without a
    # query (every WooCommerce endpoint) takes the parameters encoded as httpx would,
    # parsed once instead of twice.
    if request.params and "?" not in request.url and "#" not in request.url:
        url = httpx.URL(f"{request.url}?{httpx.QueryParams(request.params)}")
    else:
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


def _declared_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _limit(response: httpx.Response, max_body: int) -> tuple[int, bool]:
    """How many body bytes to read, and whether more is an error (``True``) or is cut."""
    if response.is_success:
        return max_body, True
    return min(max_body, MAX_ERROR_BODY), False


def _too_large(response: httpx.Response, limit: int, declared: int | None) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        status=response.status_code,
        limit=limit,
        declared=declared,
        method=response.request.method,
        url=redact_url(str(response.request.url)),
    )


# Encodings inflated here, so that no more than the limit is ever produced: httpx's own
# decoders inflate a whole network chunk at once (64 KiB of a gzip bomb is 64 MiB).
_INFLATED = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _Body:
    """A response body read up to ``limit`` bytes, inflated here for gzip and deflate.

    ``raw`` says whether to feed it the raw (still encoded) chunks; for any other
    encoding (br, zstd, several), or a body already read, httpx decodes and the decoded
    chunks are counted.
    """

    def __init__(self, response: httpx.Response, limit: int, strict: bool) -> None:
        self.response, self.limit, self.strict = response, limit, strict
        self.data = bytearray()
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        # A transport may answer with the body already read (httpx.MockTransport): then
        # httpx has decoded it, and only its size is checked.
        self.raw = encoding in ("", "identity", *_INFLATED) and not response.is_stream_consumed
        self._wbits = _INFLATED.get(encoding) if self.raw else None
        self._inflate = zlib.decompressobj(self._wbits) if self._wbits is not None else None

    @classmethod
    def opened(cls, response: httpx.Response, max_body: int) -> _Body:
        """The body of ``response`` to read up to ``max_body`` bytes (an error body up to
        :data:`MAX_ERROR_BODY`); a success body whose ``Content-Length`` declares more
        is refused before any of it is read."""
        limit, strict = _limit(response, max_body)
        declared = _declared_length(response)
        if strict and declared is not None and declared > limit:
            raise _too_large(response, limit, declared)
        return cls(response, limit, strict)

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; ``False`` once an error body is cut at the limit."""
        if self._inflate is None:
            return self._add(chunk)
        data = chunk
        while data:
            room = self.limit - len(self.data) + 1  # one byte more tells "too large"
            try:
                out = self._inflate.decompress(data, room)
            except zlib.error as exc:
                if self._wbits == zlib.MAX_WBITS and not self.data:  # deflate without zlib header
                    self._wbits = -zlib.MAX_WBITS
                    self._inflate = zlib.decompressobj(self._wbits)
                    continue
                raise httpx.DecodingError(str(exc), request=self.response.request) from None
            data = self._inflate.unconsumed_tail
            if not self._add(out):
                return False
        return True

    def _add(self, chunk: bytes) -> bool:
        self.data += chunk
        if len(self.data) <= self.limit:
            return True
        if self.strict:
            raise _too_large(self.response, self.limit, _declared_length(self.response))
        del self.data[self.limit :]
        return False


def _failed(error: httpx.RequestError | ResponseTooLargeError, command: Send) -> Reply:
    """What a send that raised ``error`` tells the flow: a transport error is its reply
    (the flow decides whether to retry). A body over the limit is raised; answering a
    write that succeeded it is an :class:`OutcomeUnknownError` (the write was performed,
    its result cannot be read: the caller looks the record up)."""
    if isinstance(error, httpx.RequestError):
        return error
    if command.request.retry_safe or not 200 <= error.status < 300:
        raise error
    raise OutcomeUnknownError(
        f"the server answered HTTP {error.status} to the write, with a body over the "
        f"{error.limit}-byte limit: it was performed, its result is unknown; look the "
        "record up before retrying",
        attempts=command.attempt,
        method=error.method,
        url=error.url,
    ) from error


def _rebuilt(response: httpx.Response, body: bytes) -> httpx.Response:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=response.extensions,
    )


def read_capped_sync(response: httpx.Response, max_body: int) -> httpx.Response:
    """Read a streamed ``response`` up to ``max_body`` bytes; the response, read.

    A success body over the limit raises :class:`ResponseTooLargeError`, before any of
    it is read when ``Content-Length`` declares it; an error body is cut at
    :data:`MAX_ERROR_BODY`. The size counts decoded bytes, and gzip and deflate bodies
    are inflated here never more than the limit at a time, so a compressed bomb is caught
    as it inflates, in bounded memory. The connection is released either way.
    """
    try:
        body = _Body.opened(response, max_body)
        for chunk in response.iter_raw() if body.raw else response.iter_bytes():
            if not body.feed(chunk):
                break
    finally:
        response.close()
    return _rebuilt(response, bytes(body.data))


async def read_capped_async(response: httpx.Response, max_body: int) -> httpx.Response:
    """The asynchronous twin of :func:`read_capped_sync`."""
    try:
        body = _Body.opened(response, max_body)
        chunks = response.aiter_raw() if body.raw else response.aiter_bytes()
        async for chunk in chunks:
            if not body.feed(chunk):
                break
    finally:
        await response.aclose()
    return _rebuilt(response, bytes(body.data))


def send_sync(
    client: httpx.Client,
    flow: Flow,
    *,
    on_unauthorized: Callable[[], bool] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> httpx.Response:
    """Drive ``flow`` with a synchronous client; returns the final response.

    ``on_unauthorized`` refreshes credentials after a 401 (called at most once per
    request) and returns whether the request should be sent again. Bodies are
    streamed and read up to ``max_body`` bytes (see :func:`read_capped_sync`).
    """
    try:
        command = next(flow)
        while True:
            reply: Reply = None
            if isinstance(command, Send):
                try:
                    streamed = client.send(_build(client, command.request), stream=True)
                    reply = read_capped_sync(streamed, max_body)
                except (httpx.RequestError, ResponseTooLargeError) as exc:
                    reply = _failed(exc, command)
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
    max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> httpx.Response:
    """Drive ``flow`` with an asynchronous client; the twin of :func:`send_sync`."""
    try:
        command = next(flow)
        while True:
            reply: Reply = None
            if isinstance(command, Send):
                try:
                    streamed = await client.send(_build(client, command.request), stream=True)
                    reply = await read_capped_async(streamed, max_body)
                except (httpx.RequestError, ResponseTooLargeError) as exc:
                    reply = _failed(exc, command)
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
    # Only the encodings inflated in bounded memory (httpx would add br and zstd when
    # their packages are installed).
    headers = httpx.Headers(
        {
            "User-Agent": user_agent(),
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }
    )
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


# --- TLS verification -----------------------------------------------------------------

_warned: weakref.WeakSet[httpx.Client | httpx.AsyncClient] = weakref.WeakSet()
_tls_log = logging.getLogger("hikewoo_core.http")


def _ssl_context(client: httpx.Client | httpx.AsyncClient, url: str) -> ssl.SSLContext | None:
    # The transport that serves ``url`` (a mount, or the default), and the context of its
    # connection pool: where httpx 0.23 to 0.28 keep it. A transport of another kind
    # (a wrapper of your own) is not inspected.
    pick = getattr(client, "_transport_for_url", None)
    transport = pick(httpx.URL(url)) if callable(pick) else getattr(client, "_transport", None)
    context = getattr(getattr(transport, "_pool", None), "_ssl_context", None)
    return context if isinstance(context, ssl.SSLContext) else None


def warn_if_unverified(client: httpx.Client | httpx.AsyncClient, url: str, owner: str) -> bool:
    """Log a warning, once per client, if ``client`` does not verify certificates.

    A caller-owned client made with ``verify=False`` would hand the store's or Hike's
    credentials to anyone who can intercept the connection. Returns whether the client
    skips verification (``False`` for a plain ``http://`` URL, where nothing is).
    """
    if not url.lower().startswith("https://"):
        return False
    context = _ssl_context(client, url)
    unverified = context is not None and (
        context.verify_mode == ssl.CERT_NONE or not context.check_hostname
    )
    if unverified and client not in _warned:
        _warned.add(client)
        _tls_log.warning(
            "the httpx client given to %s does not verify TLS certificates or host names"
            " (verify=False, or check_hostname off):"
            " the credentials it sends to %s can be read and replayed by anyone able to"
            " intercept the connection; pass a client whose verify= trusts the server's"
            " certificate authority instead",
            owner,
            redact_url(url),
        )
    return unverified
