"""HTTP plumbing shared by the WooCommerce and Hike clients: the only httpx user.

A request runs as a *flow*: a generator that yields commands (:class:`Send`,
:class:`Sleep`, :class:`Refresh`) and receives their results, written once with no
I/O (the pattern of httpx's ``auth_flow``). Two small drivers, :func:`send_sync` and
:func:`send_async`, perform the commands. The flow decides what may be retried:

* ``GET``/``HEAD``/``OPTIONS`` and requests marked ``idempotent=True`` are retried on
  timeouts, network errors and the policy's retry statuses;
* any other request (a ``POST`` creating a record) is retried only when the server
  cannot have acted on it: the connection was never made, or the answer was a 429,
  or a 503 with ``Retry-After``. If it may have reached the server and no answer came
  back (read timeout, dropped connection, 502/504 from a gateway), the flow raises
  :class:`~hikewoo_core.OutcomeUnknownError` rather than risk a duplicate.
"""

from __future__ import annotations

from .._http_types import (
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_ERROR_BODY,
    REFRESH,
    Command,
    Refresh,
    Request,
    Send,
    Sleep,
)
from ._flow import Flow, Prepare, Reply, error_from_response, logger, request_flow, tls_failure
from ._io import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    RedactHttpxLogs,
    default_async_client,
    default_client,
    send_async,
    send_sync,
    user_agent,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "MAX_ERROR_BODY",
    "REFRESH",
    "Command",
    "Flow",
    "Prepare",
    "RedactHttpxLogs",
    "Refresh",
    "Reply",
    "Request",
    "Send",
    "Sleep",
    "default_async_client",
    "default_client",
    "error_from_response",
    "logger",
    "request_flow",
    "send_async",
    "send_sync",
    "tls_failure",
    "user_agent",
]
