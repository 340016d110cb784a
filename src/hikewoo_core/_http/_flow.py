"""The request flow: retry decisions and error mapping, written once, with no I/O.

See :mod:`hikewoo_core._http` for the rules; the drivers live in ``_io``.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Generator, Iterable
from typing import TypeAlias

import httpx

from .._api_errors import api_error
from .._datetimes import utc_now
from .._errors import (
    ApiError,
    OutcomeUnknownError,
    RemoteError,
    RetriesExhaustedError,
    TransportError,
)
from .._http_types import REFRESH, Command, Request, Send, Sleep
from .._redact import redact_url, scrub
from .._retry import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    Rng,
    parse_http_date,
    parse_retry_after,
)

__all__ = [
    "Flow",
    "Prepare",
    "Reply",
    "error_from_response",
    "logger",
    "request_flow",
    "tls_failure",
]

logger = logging.getLogger("hikewoo_core.http")

#: What a driver sends back into a flow: the response, the httpx error raised
#: instead, the result of a credential refresh, or ``None`` after a sleep.
Reply: TypeAlias = httpx.Response | httpx.RequestError | bool | None
#: A request flow; its return value is the successful (2xx) response.
Flow: TypeAlias = Generator[Command, Reply, httpx.Response]
#: Called before every attempt with the request and the attempt number (1-based);
#: returns the request to send, e.g. signed with a fresh nonce or the current token.
Prepare: TypeAlias = Callable[[Request, int], Request]

# Nothing was sent: the server cannot have acted on the request.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Worth another attempt (if the request may be repeated).
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# A gateway answers these while the origin may still be working on (and commit) the
# request: for a write, the outcome is unknown (503 with Retry-After is a refusal).
_GATEWAY_TIMEOUTS = frozenset({502, 503, 504})

# --- errors -------------------------------------------------------------------------


def _display_url(request: Request) -> str:
    return redact_url(str(httpx.URL(request.url).copy_merge_params(request.params)))


def error_from_response(
    response: httpx.Response, *, hint_for_401: str = "", secrets: Iterable[str] = ()
) -> ApiError:
    """The :class:`ApiError` for an unsuccessful response (see :func:`api_error`).

    ``{"code", "message", "data"}`` bodies are read with ``data`` an object or a
    bare int; other bodies become the message, cut to 500 characters. 401 and 403
    give an :class:`AuthenticationError`. The request URL is redacted, and every form
    of every one of ``secrets`` is scrubbed from the body and headers kept (an error
    page may echo the request, credentials included) before anything is parsed.
    """
    try:
        method, url = response.request.method, str(response.request.url)
    except RuntimeError:  # a response built by hand, without a request
        method, url = "", ""
    hidden = tuple(secrets)

    def kept(text: str | None) -> str | None:
        return None if text is None else scrub(text, hidden)

    return api_error(
        response.status_code,
        scrub(response.text, hidden),
        secrets=hidden,
        reason=scrub(response.reason_phrase, hidden),
        www_authenticate=kept(response.headers.get("WWW-Authenticate")),
        location=kept(response.headers.get("Location")),
        method=method,
        url=url,
        hint_for_401=hint_for_401,
    )


# TLS failures that say the peer will never do: a certificate that does not verify, a
# server that does not speak TLS on that port. Only these fail at once; any other TLS
# error (an alert, an EOF or a reset in the middle of a handshake) is a network error
# like the rest, retried by the policy.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNSUPPORTED_PROTOCOL"})


def tls_failure(error: BaseException) -> str | None:
    """A hint when ``error`` is a TLS failure no retry will cure, else ``None``.

    Only a failed *connection* qualifies (``httpx.ConnectError``: nothing was sent; a
    timeout is never one, even when asyncio's ``ssl.SSLWantReadError`` sits in its
    context), and only a certificate that does not verify or a peer that does not
    speak TLS.
    """
    if not isinstance(error, httpx.ConnectError):
        return None
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, "verify_message", None) or getattr(cause, "reason", None)
            return (
                f"the server's certificate did not verify ({detail or cause}): fix the "
                "certificate, or pass a client whose verify= trusts its CA; never turn "
                "verification off in production"
            )
        reason = getattr(cause, "reason", None)
        if isinstance(cause, ssl.SSLError) and reason in _NOT_TLS:
            return (
                f"the TLS handshake failed ({reason}): the server does not speak TLS "
                "on this port; is an https:// URL pointed at a plain-HTTP server or port?"
            )
        cause = cause.__cause__ or cause.__context__
    return None


# --- the flow -----------------------------------------------------------------------


def _log_attempt(request: Request, attempt: int, outcome: object, took: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s in %.3f s (attempt %d)",
            request.method,
            _display_url(request),
            outcome,
            took,
            attempt,
        )


def request_flow(
    request: Request,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    prepare: Prepare | None = None,
    timer: Callable[[], float] = time.monotonic,
    rng: Rng = random.random,
    hint_for_401: str = "",
    secrets: Iterable[str | None] = (),
) -> Flow:
    """Run ``request`` with retries; pass the result to a driver.

    ``prepare`` runs before *every* attempt (re-sign, current token). On the first
    401 the flow yields :class:`Refresh` once; if the driver answers ``True`` the
    request is prepared and sent again. Returns the first 2xx response; raises
    :class:`ApiError`/:class:`AuthenticationError` for a final error answer,
    :class:`RetriesExhaustedError` when the policy gives up, and
    :class:`OutcomeUnknownError` when a non-idempotent request may have been
    performed without us seeing the answer; a TLS failure (a certificate that does not
    verify, a server that does not speak TLS) is not retried. ``timer`` (a monotonic
    clock in seconds, for the policy's time budget) and ``rng`` are injectable. Every
    configured secret in ``secrets`` and every secret the request
    carries is scrubbed from the text kept from an answer (see :func:`scrub`).
    """
    configured = tuple(s for s in secrets if s)
    start = timer()
    attempt = failures = 0
    refreshed = False
    while True:
        attempt += 1
        sent = prepare(request, attempt) if prepare is not None else request
        began = timer()
        reply = yield Send(sent, attempt)
        took = timer() - began
        retry_after: float | None = None
        if isinstance(reply, httpx.Response):
            status = reply.status_code
            _log_attempt(sent, attempt, status, took)
            if reply.is_success:
                return reply
            if status == 401 and not refreshed:
                refreshed = True
                if (yield REFRESH) is True:
                    continue
            error = error_from_response(
                reply, hint_for_401=hint_for_401, secrets=(*configured, *sent.secret_values())
            )
            if status not in policy.retry_statuses:
                raise error
            now = parse_http_date(reply.headers.get("Date")) or utc_now()
            retry_after = parse_retry_after(reply.headers.get("Retry-After"), now)
            refused = status == 429 or (status == 503 and retry_after is not None)
            if not (sent.retry_safe or refused):
                if status in _GATEWAY_TIMEOUTS:
                    raise OutcomeUnknownError(
                        f"gateway answered HTTP {status}: the request may or may not "
                        "have been performed; look the record up before retrying",
                        attempts=attempt,
                        method=sent.method,
                        url=_display_url(sent),
                    ) from error
                raise error
            last: RemoteError = error
            reason = f"server answered HTTP {status}"
        elif isinstance(reply, httpx.RequestError):
            _log_attempt(sent, attempt, type(reply).__name__, took)
            hidden = (*configured, *sent.secret_values())
            reason = scrub(f"{type(reply).__name__}: {reply}", hidden)
            url = _display_url(sent)
            # httpx's error keeps the request, whose URL may carry credentials (query
            # keys): chain our redacted account of it instead, never the error itself.
            tls = tls_failure(reply)
            if tls is not None:
                reason = f"{reason} (hint: {tls})"
            last = TransportError(reason, method=sent.method, url=url)
            if tls is not None or not isinstance(reply, _TRANSIENT):
                raise last
            if not (sent.retry_safe or isinstance(reply, _NOT_SENT)):
                raise OutcomeUnknownError(
                    f"no answer ({reason}): the request may or may not have been "
                    "performed; look the record up before retrying",
                    attempts=attempt,
                    method=sent.method,
                    url=url,
                ) from last
        else:
            raise TypeError(f"a driver sent {reply!r} in answer to a Send")
        failures += 1
        elapsed = timer() - start
        wait = policy.delay(failures, retry_after=retry_after, rng=rng, elapsed=elapsed)
        if wait is None:
            if retry_after is not None and retry_after > policy.timeout - elapsed:
                reason = (
                    f"{reason}, asking to retry after {retry_after:g} s, "
                    "beyond the retry time budget"
                )
            raise RetriesExhaustedError(
                reason,
                attempts=attempt,
                last_error=last,
                retry_after=retry_after,
                method=sent.method,
                url=_display_url(sent),
            ) from last
        logger.debug("retrying %s in %.3f s", sent.method, wait)
        yield Sleep(wait)
