"""The error tree: an HTTP error answer and a failed exchange are separate branches.

As in httpx, ``except TransportError`` means "no usable answer came back" and does not
catch an HTTP 400; ``except RemoteError`` catches both kinds, and ``HikeWooError``
everything the library raises on purpose.
"""

from __future__ import annotations

import pickle

import httpx
import pytest

from hikewoo_core import (
    ApiError,
    AuthenticationError,
    HikeWooError,
    OutcomeUnknownError,
    RemoteError,
    ResponseTooLargeError,
    RetriesExhaustedError,
    RetryPolicy,
    TransportError,
    UnexpectedResponseError,
)
from hikewoo_core.testing import FakeWooCommerce, serve_woo
from hikewoo_core.woo import WooClient


def test_status_errors_and_transport_failures_are_separate_branches() -> None:
    assert not issubclass(ApiError, TransportError)
    assert not issubclass(TransportError, ApiError)
    for cls in (
        ApiError,
        AuthenticationError,
        TransportError,
        RetriesExhaustedError,
        OutcomeUnknownError,
        UnexpectedResponseError,
        ResponseTooLargeError,
    ):
        assert issubclass(cls, RemoteError)
        assert issubclass(cls, HikeWooError)
    assert issubclass(AuthenticationError, ApiError)
    for cls in (RetriesExhaustedError, OutcomeUnknownError, UnexpectedResponseError):
        assert issubclass(cls, TransportError)


def test_except_transport_error_does_not_catch_an_http_404() -> None:
    """A 404 from a (served) store is an ApiError, which ``except TransportError``
    lets through; ``except RemoteError`` catches it."""

    def read_missing(woo: WooClient) -> str:
        try:
            woo.read_order(999_999)
        except TransportError:
            return "caught as a transport failure"
        except ApiError as error:
            return f"ApiError {error.status}, a RemoteError: {isinstance(error, RemoteError)}"
        return "no error"

    with serve_woo(FakeWooCommerce()) as url, WooClient(url, "ck_test", "cs_test") as woo:
        assert read_missing(woo) == "ApiError 404, a RemoteError: True"


def test_remote_errors_keep_method_and_url_and_pickle() -> None:
    errors: list[RemoteError] = [
        ApiError(400, "woocommerce_rest_invalid", "bad", method="PUT", url="https://s/x"),
        TransportError("ConnectError: refused", method="GET", url="https://s/y"),
    ]
    for error in errors:
        again = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
        assert (type(again), again.method, again.url, str(again)) == (
            type(error),
            error.method,
            error.url,
            str(error),
        )


def test_httpx_errors_never_escape_as_such() -> None:
    """The library's TransportError is not httpx's: a refused connection arrives as ours."""
    no_retry = RetryPolicy(attempts=1)
    with (
        WooClient("http://127.0.0.1:9", "ck_test", "cs_test", retry=no_retry) as woo,
        pytest.raises(RemoteError) as caught,
    ):
        woo.read_order(1)
    assert not isinstance(caught.value, httpx.HTTPError)
