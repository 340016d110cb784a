"""Hike's OAuth2 authorization-code flow: the URL, the token requests, the tokens.

Hike documents the authorization step (``GET /oauth/authorize`` with ``scope=all``);
the token endpoint (``POST /oauth/token``, form-encoded) is what every public client
uses. The library stores nothing: the host application keeps the :class:`Tokens`
it is handed (by :func:`exchange_code`, :func:`refresh_tokens` or a client's
``on_tokens`` callback) wherever it keeps secrets.

Building and reading the requests is pure; only :func:`exchange_code`,
:func:`refresh_tokens` and their ``*_async`` twins do I/O (they import httpx when
called, so importing this module does not).

Typical flow::

    callback = "https://example.com/hike/callback"
    url = authorization_url(APP_ID, callback, state=nonce)
    # ... the merchant approves; Hike redirects to the callback
    # with ?code=...&state=...
    tokens = exchange_code(APP_ID, APP_SECRET, code, callback)
    save(tokens)  # yours to store
    client = HikeClient(tokens=tokens, client_id=APP_ID, client_secret=APP_SECRET,
                        on_tokens=save)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import attrs

from .._datetimes import to_utc
from .._errors import ConfigurationError, PayloadError
from .._http_types import Request
from .._redact import REDACTED
from ._schema import DEFAULT_TOKEN_LIFETIME, ENDPOINTS, PARAMS

__all__ = [
    "DEFAULT_AUTH_BASE",
    "Tokens",
    "authorization_url",
    "code_grant_request",
    "parse_token_response",
    "refresh_grant_request",
]

#: Where Hike's OAuth2 endpoints live (the host root, not ``/api/v1``).
DEFAULT_AUTH_BASE = "https://api.hikeup.com"

_AUTH = PARAMS["authorize"]
_TOKEN = PARAMS["token"]


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value, "expires_at")


def _hidden(_: object) -> str:
    return REDACTED


@attrs.frozen
class Tokens:
    """An access token, the refresh token that renews it, and when it expires.

    ``expires_at`` is aware UTC, or ``None`` when unknown (then the token is renewed
    only after Hike refuses it). ``repr`` and ``str`` never show either token.
    """

    access_token: str = attrs.field(repr=_hidden)
    refresh_token: str | None = attrs.field(default=None, repr=_hidden)
    expires_at: datetime | None = attrs.field(default=None, converter=_aware)

    def __str__(self) -> str:
        return repr(self)

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        """Whether the access token expires before ``now + margin`` (False if unknown)."""
        return self.expires_at is not None and self.expires_at <= now + margin


def authorization_url(
    client_id: str,
    redirect_uri: str,
    state: str | None = None,
    *,
    base: str = DEFAULT_AUTH_BASE,
) -> str:
    """Where to send the merchant to approve the app (``scope=all``, the only scope).

    Hike redirects to ``redirect_uri`` with ``code`` (and ``state``, echoed back:
    check it against the one you sent).

    >>> url = authorization_url("app", "https://x.test/cb", "s1")
    >>> url.partition("?")[0]
    'https://api.hikeup.com/oauth/authorize'
    >>> for pair in url.partition("?")[2].split("&"):
    ...     print(pair)
    response_type=code
    client_id=app
    redirect_uri=https%3A%2F%2Fx.test%2Fcb
    scope=all
    state=s1
    """
    if not client_id or not redirect_uri:
        raise ConfigurationError("authorization_url needs a client_id and a redirect_uri")
    query = {
        _AUTH["response_type"].key: "code",
        _AUTH["client_id"].key: client_id,
        _AUTH["redirect_uri"].key: redirect_uri,
        _AUTH["scope"].key: "all",
    }
    if state is not None:
        query[_AUTH["state"].key] = state
    return f"{base.rstrip('/')}{ENDPOINTS['authorize'].path}?{urlencode(query)}"


def _token_url(base: str) -> str:
    return f"{base.rstrip('/')}{ENDPOINTS['token'].path}"


def _check(**values: str | None) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigurationError(f"the token request needs {', '.join(missing)}")


def code_grant_request(
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
) -> Request:
    """The ``POST /oauth/token`` request trading an authorization ``code`` for tokens."""
    _check(client_id=client_id, client_secret=client_secret, code=code, redirect_uri=redirect_uri)
    form = {
        _TOKEN["grant_type"].key: "authorization_code",
        _TOKEN["client_id"].key: client_id,
        _TOKEN["client_secret"].key: client_secret,
        _TOKEN["code"].key: code,
        _TOKEN["redirect_uri"].key: redirect_uri,
    }
    return Request("POST", _token_url(base), form=form)


def refresh_grant_request(
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    base: str = DEFAULT_AUTH_BASE,
) -> Request:
    """The ``POST /oauth/token`` request renewing tokens with a refresh token.

    Marked idempotent: if the answer is lost, sending it again is the best chance
    to stay connected (at worst Hike refuses a refresh token it already rotated).
    """
    _check(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token)
    form = {
        _TOKEN["grant_type"].key: "refresh_token",
        _TOKEN["client_id"].key: client_id,
        _TOKEN["client_secret"].key: client_secret,
        _TOKEN["refresh_token"].key: refresh_token,
    }
    return Request("POST", _token_url(base), form=form, idempotent=True)


#: The longest ``expires_in`` believed (ten years): beyond it the answer is refused, as a
#: date that far out is a broken server, not a token lifetime (and may not fit a datetime).
_MAX_LIFETIME = 10 * 366 * 24 * 3600


def _seconds(value: object) -> int | None:
    if value is None:
        return DEFAULT_TOKEN_LIFETIME
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= len(str(_MAX_LIFETIME))):
            return None
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_LIFETIME:
        return None
    return value


def parse_token_response(body: Any, *, now: datetime, previous: Tokens | None = None) -> Tokens:
    """The :class:`Tokens` in a token response (a decoded JSON object).

    Keeps ``previous.refresh_token`` when the response has none, and assumes a
    lifetime of :data:`~hikewoo_core.hike._schema.DEFAULT_TOKEN_LIFETIME` seconds when
    ``expires_in`` is absent. Errors name the field, never its value.
    """
    what = "Hike token response"
    if not isinstance(body, Mapping):
        raise PayloadError([("$", "expected a JSON object")], what=what)
    problems: list[tuple[str, str]] = []
    access = body.get(_TOKEN["access_token"].key)
    if not (isinstance(access, str) and access):
        problems.append((f"$.{_TOKEN['access_token'].key}", "expected a non-empty string"))
        access = ""
    refresh = body.get(_TOKEN["refresh_token"].key)
    if refresh is not None and not isinstance(refresh, str):
        problems.append((f"$.{_TOKEN['refresh_token'].key}", "expected a string"))
        refresh = None
    lifetime = _seconds(body.get(_TOKEN["expires_in"].key, DEFAULT_TOKEN_LIFETIME))
    if lifetime is None:
        problems.append(
            (f"$.{_TOKEN['expires_in'].key}", "expected a number of seconds, up to ten years")
        )
    if problems or lifetime is None:
        raise PayloadError(problems, what=what)
    kept = refresh or (previous.refresh_token if previous is not None else None)
    return Tokens(access, kept, now + timedelta(seconds=lifetime))


_IO = frozenset({"exchange_code", "exchange_code_async", "refresh_tokens", "refresh_tokens_async"})


def __getattr__(name: str) -> Any:
    """The token requests live in :mod:`hikewoo_core.hike._client_oauth` (they do I/O)."""
    if name in _IO:
        from . import _client_oauth as client_oauth

        return getattr(client_oauth, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
