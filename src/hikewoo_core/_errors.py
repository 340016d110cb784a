"""The exceptions ``hikewoo_core`` raises.

Every error the library raises on purpose derives from :class:`HikeWooError`,
so ``except hikewoo_core.HikeWooError`` catches them all. The tree::

    HikeWooError
    ├── PayloadError (ValueError)         a payload does not have the expected shape
    ├── ConfigurationError (ValueError)   settings or a status table do not hold
    ├── RuleViolation                     a sync rule forbids what was asked
    │   ├── UnsupportedProductError       composite / bundle lines in an order
    │   ├── SerialNumberError             serial numbers locked, too many, repeated
    │   └── ReconciliationError           refunds or quantities do not add up
    ├── WebhookSignatureError             a webhook delivery failed verification
    ├── LeaseError                        another executor holds the order
    └── RemoteError                       a request to WooCommerce or Hike failed
        ├── ApiError                      the server answered with an HTTP error
        │   └── AuthenticationError       401 / 403, with the hint that matters
        └── TransportError                no usable answer came back
            ├── RetriesExhaustedError     timeouts / 5xx / 429 beyond the budget
            ├── OutcomeUnknownError       a write may or may not have been done
            └── UnexpectedResponseError   no correct server answers so (no retry)
                └── ResponseTooLargeError a body over the client's size limit

As in httpx, an answer with an error status (:class:`ApiError`) and a failure to get
a usable answer at all (:class:`TransportError`) are separate branches: ``except
TransportError`` does not catch an HTTP 400. ``except RemoteError`` catches both.

No message, ``repr``, attribute or pickle of these exceptions ever contains a secret:
URLs are redacted before they are stored (see :func:`hikewoo_core.redact_url`), and
every configured secret is scrubbed from the text kept from a response. Every one of
them survives ``pickle`` (for process pools and task queues), attributes included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_MAX_SHOWN = 20


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class HikeWooError(Exception):
    """Root of every error raised by ``hikewoo_core``."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles as ``cls(*args)``, which fails for subclasses whose
        # ``__init__`` takes other arguments: rebuild from args and attributes instead.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class PayloadError(HikeWooError, ValueError):
    """A payload does not have the shape the library expects.

    ``problems`` lists *every* problem found, each a ``(path, message)`` pair with
    the path in JSONPath form: ``("$.line_items[1].quantity", "expected an
    integer, got 'two'")``. A payload that is not a JSON object at all has the
    single path ``$``.
    """

    problems: tuple[tuple[str, str], ...]
    what: str

    def __init__(self, problems: Iterable[tuple[str, str]], *, what: str = "payload"):
        self.problems = tuple(problems)
        self.what = what
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"invalid {self.what}: {n} problem{'s' if n != 1 else ''}"
        lines = [f"  {path}: {message}" for path, message in self.problems[:_MAX_SHOWN]]
        if n > _MAX_SHOWN:
            lines.append(f"  ... and {n - _MAX_SHOWN} more")
        return "\n".join([head, *lines])

    @property
    def paths(self) -> tuple[str, ...]:
        """The JSON paths of the problems, in the order found."""
        return tuple(path for path, _ in self.problems)


class ConfigurationError(HikeWooError, ValueError):
    """Settings, a status table or a client configuration are not consistent."""


class RuleViolation(HikeWooError):
    """A sync rule forbids the requested operation; nothing was written."""


class UnsupportedProductError(RuleViolation):
    """An order holds composite, bundle or other unsupported product lines.

    Hike accepts only sales whose lines are simple or variable products; the
    order is refused whole. ``lines`` names the offending WooCommerce line items
    as ``(line_item_id, name, reason)`` triples.
    """

    order_id: int
    lines: tuple[tuple[int, str, str], ...]

    def __init__(self, order_id: int, lines: Sequence[tuple[int, str, str]]):
        self.order_id = order_id
        self.lines = tuple(lines)
        shown = "; ".join(f"line {line_id} {name!r} ({reason})" for line_id, name, reason in lines)
        super().__init__(
            f"WooCommerce order {order_id} cannot sync to Hike: only simple and "
            f"variable products are supported, and it contains {shown}"
        )


class SerialNumberError(RuleViolation):
    """Serial numbers cannot be set: locked register, too many, or duplicated."""


class ReconciliationError(RuleViolation):
    """Refund money or quantities do not reconcile; the mismatch is reported."""


class WebhookSignatureError(HikeWooError):
    """A webhook delivery is unsigned, wrongly signed, or malformed."""


class LeaseError(HikeWooError):
    """Another executor currently holds the lease on this record."""


class RemoteError(HikeWooError):
    """A request to WooCommerce or Hike failed: an error answer or no usable answer.

    ``method`` and ``url`` describe the request, with secrets redacted. The two kinds
    are its subclasses :class:`ApiError` and :class:`TransportError`.
    """

    method: str
    url: str

    def __init__(self, message: str, *, method: str = "", url: str = ""):
        self.method = method
        self.url = url
        where = f" ({method} {url})" if method or url else ""
        super().__init__(f"{message}{where}")


class TransportError(RemoteError):
    """No usable answer came back: the network, a timeout, a TLS failure, retries used
    up, an answer lost after a write, or an answer no correct server sends.

    An HTTP error status is not one of these: see :class:`ApiError`.
    """


class ApiError(RemoteError):
    """The server answered with an HTTP error status (and usually an error body).

    For WooCommerce the body is ``{"code", "message", "data"}`` where ``data``
    may be an object (``{"status": 404}``) or a bare integer (refund endpoints
    send ``"data": 500``). ``status`` is the HTTP status code.
    """

    status: int
    code: str
    api_message: str
    data: Any

    def __init__(
        self,
        status: int,
        code: str,
        api_message: str,
        data: Any = None,
        *,
        method: str = "",
        url: str = "",
        hint: str = "",
    ):
        self.status = status
        self.code = code
        self.api_message = api_message
        self.data = data
        text = f"HTTP {status} {code}: {api_message}"
        if hint:
            text = f"{text} (hint: {hint})"
        super().__init__(text, method=method, url=url)

    @property
    def data_status(self) -> int | None:
        """``data.status`` when ``data`` is an object, or ``data`` when an int."""
        if isinstance(self.data, bool):
            return None
        if isinstance(self.data, int):
            return self.data
        if isinstance(self.data, Mapping):
            value = self.data.get("status")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None


class AuthenticationError(ApiError):
    """The server refused the credentials (HTTP 401 / 403)."""


class RetriesExhaustedError(TransportError):
    """A retryable failure persisted past the retry budget.

    ``attempts`` is how many requests were sent; ``last_error`` the final cause.
    ``retry_after`` is the wait in seconds the server last asked for, if it did
    (e.g. a ``Retry-After`` beyond the retry budget): a scheduler may use it.
    """

    attempts: int
    last_error: BaseException | None
    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        last_error: BaseException | None = None,
        retry_after: float | None = None,
        method: str = "",
        url: str = "",
    ):
        self.attempts = attempts
        self.last_error = last_error
        self.retry_after = retry_after
        super().__init__(f"{message} after {attempts} attempt(s)", method=method, url=url)


class OutcomeUnknownError(TransportError):
    """The request may or may not have been performed; look the record up before retrying.

    Raised when a non-idempotent request (a ``POST`` creating an order, a refund, a
    sale) was sent but no answer came back: a read timeout, a connection dropped
    mid-response, a gateway timeout. Sending it again could create a duplicate, so
    the library never does; find the record by its external reference first.
    ``attempts`` is how many requests were sent.
    """

    attempts: int

    def __init__(self, message: str, *, attempts: int = 1, method: str = "", url: str = ""):
        self.attempts = attempts
        super().__init__(message, method=method, url=url)


class UnexpectedResponseError(TransportError):
    """The server answered in a way no correct server does; the read stops here.

    A page that repeats the previous page, more items than the server announced
    (``X-WP-Total``, ``totalCount``), more pages than those totals allow. Retrying
    would loop: a broken proxy, cache or plugin is answering. ``where`` names the
    request (``"page 3"``, ``"skip_count=400"``).
    """

    where: str

    def __init__(self, message: str, *, where: str = "", method: str = "", url: str = ""):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message, method=method, url=url)


class ResponseTooLargeError(UnexpectedResponseError):
    """A response body is larger than the client's ``max_response_bytes``.

    Refused before it is read when the server declares its length, else as soon as
    the limit is passed while streaming; nothing beyond the limit is held in memory.
    ``status`` is the HTTP status of the answer: a ``2xx`` to a write means the write
    was performed even though its answer could not be read. ``limit`` is the limit in
    bytes and ``declared`` the ``Content-Length`` (``None`` when not sent).
    """

    status: int
    limit: int
    declared: int | None

    def __init__(
        self,
        *,
        status: int,
        limit: int,
        declared: int | None = None,
        method: str = "",
        url: str = "",
    ):
        self.status = status
        self.limit = limit
        self.declared = declared
        size = f"declares {declared} bytes" if declared is not None else "streams more"
        super().__init__(
            f"the HTTP {status} answer {size}, over the limit of {limit} bytes "
            "(max_response_bytes); a page of 100 orders is far smaller: a broken or "
            "hostile server is answering",
            method=method,
            url=url,
        )


def describe(exc: BaseException) -> str:
    """``"TypeName: message"`` for a report of a failed record (not exported).

    An error the library did not expect (a bug, or a ``decimal`` signal) is marked as
    such, so a report tells a bad record from a broken library.
    """
    text = str(exc) or repr(exc)
    if isinstance(exc, HikeWooError):
        return f"{type(exc).__name__}: {text}"
    return f"unexpected {type(exc).__module__}.{type(exc).__qualname__}: {text}"
