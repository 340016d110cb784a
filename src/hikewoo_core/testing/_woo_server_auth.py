"""How the loopback WooCommerce server authenticates a request, as WooCommerce does (pure).

A port of ``WC_REST_Authentication`` (``class-wc-rest-authentication.php``) plus
WordPress application passwords, answering with the real error bodies:

* API keys are read only on ``/wp-json/wc/`` paths (not with ``?rest_route=``);
* over HTTPS (``https=True``, a TLS-terminating proxy that tells PHP): query keys,
  then HTTP Basic; an unknown key is "no user", a wrong secret an error;
* then OAuth 1.0a from the query and an ``Authorization: OAuth`` header: every
  parameter present or ``..._missing_parameter``; known key; HMAC-SHA1/256 signature
  over the method, the site URL and ``$_GET`` as PHP parsed it (WooCommerce's PHP
  ported on its own in ``_woo_oauth_check``, sharing no code with the library's signer,
  which it checks); timestamp
  within 15 minutes; nonce not seen in the last 15 minutes (stricter than WooCommerce,
  which keeps one nonce per timestamp);
* application passwords (Basic ``user:password``) only over HTTPS.

Over plain HTTP, Basic and query keys are simply not looked at: the request has no
user, and the route answers ``401 woocommerce_rest_cannot_*``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from collections.abc import Mapping
from urllib.parse import unquote

import attrs

from .._datetimes import to_utc
from .._errors import ApiError
from ..woo._php_query import PhpArray, php_get, query_pairs
from ._clock import Clock
from ._woo_oauth_check import expected_signature, given_signature, string_to_sign

__all__ = ["AuthOutcome", "WooServerAuth", "auth_error"]

_OAUTH = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_WINDOW = 15 * 60
_REALM = 'Basic realm="WooCommerce REST API"'


def auth_error(message: str, code: str = "woocommerce_rest_authentication_error") -> ApiError:
    """A 401 WooCommerce authentication error with the real message."""
    return ApiError(401, code, message, {"status": 401})


@attrs.frozen
class AuthOutcome:
    """``user`` when credentials were accepted; else ``error`` (or neither: no credentials)."""

    user: str | None = None
    error: ApiError | None = None
    www_authenticate: str | None = None


def _basic(headers: Mapping[str, str]) -> tuple[str, str] | None:
    value = headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep and user and password else None


def _oauth_header(headers: Mapping[str, str]) -> dict[str, str]:
    value = (headers.get("Authorization") or "").strip()
    if not value.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for part in value[6:].split(","):
        key, sep, raw = part.strip().partition("=")
        if sep:
            params[unquote(key)] = unquote(raw.strip().strip('"'))
    return params


def _text(get: PhpArray, name: str) -> str:
    value = get.get(name)
    return value if isinstance(value, str) else ""


@attrs.frozen
class _Signed:
    """What the key and OAuth checks read of a request: the method, the site URL,
    the raw query and ``$_GET`` as PHP parsed it, the headers."""

    method: str
    site_url: str
    raw_query: str
    get: PhpArray
    headers: Mapping[str, str]


class WooServerAuth:
    """Checks one consumer key pair (and optional application passwords) per request."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        https: bool,
        clock: Clock,
        app_passwords: Mapping[str, str] | None = None,
    ) -> None:
        self.key, self.secret, self.https = consumer_key, consumer_secret, https
        self.clock = clock
        self.app_passwords = dict(app_passwords or {})
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()

    def check(
        self,
        method: str,
        site_url: str,
        raw_query: str,
        headers: Mapping[str, str],
        *,
        key_route: bool,
    ) -> AuthOutcome:
        """Authenticate a request for ``site_url`` (the URL WordPress rebuilds, no query)."""
        get = php_get(query_pairs(raw_query))
        if key_route:
            outcome = self._keys(_Signed(method, site_url, raw_query, get, headers))
            if outcome.user is not None or outcome.error is not None:
                return outcome
        return self._app_password(headers)

    def _keys(self, request: _Signed) -> AuthOutcome:
        if self.https:
            get = request.get
            key, secret = _text(get, "consumer_key"), _text(get, "consumer_secret")
            if not (key and secret):
                key, secret = _basic(request.headers) or ("", "")
            if key and secret and key == self.key:
                if _same(secret, self.secret):
                    return AuthOutcome(user=key)
                error = auth_error("Consumer secret is invalid.")
                return AuthOutcome(error=error, www_authenticate=_REALM)
        return self._oauth(request)

    def _oauth(self, request: _Signed) -> AuthOutcome:
        header = _oauth_header(request.headers)
        params = {name: _text(request.get, name) for name in _OAUTH} | {
            k: v for k, v in header.items() if k in _OAUTH and v
        }
        missing = [name for name in _OAUTH if not params.get(name)]
        if len(missing) == len(_OAUTH):
            return AuthOutcome()
        if missing:
            word = "parameters" if len(missing) > 1 else "parameter"
            code = "woocommerce_rest_authentication_missing_parameter"
            return AuthOutcome(error=auth_error(f"Missing OAuth {word} {', '.join(missing)}", code))
        if params["oauth_consumer_key"] != self.key:
            return AuthOutcome(error=auth_error("Consumer key is invalid."))
        signature_method = params["oauth_signature_method"]
        if signature_method not in ("HMAC-SHA1", "HMAC-SHA256"):
            message = "Invalid signature - signature method is invalid."
            return AuthOutcome(error=auth_error(message))
        # WooCommerce's own check, written apart from the library's signer (see
        # _woo_oauth_check): the server never verifies a request with the code that signed it.
        text = string_to_sign(request.method, request.site_url, request.raw_query, header)
        expected = expected_signature(text, self.secret, signature_method)
        given = given_signature(params["oauth_signature"])
        if not _same(expected, given):
            return AuthOutcome(
                error=auth_error("Invalid signature - provided signature does not match.")
            )
        return self._timestamp_and_nonce(params["oauth_timestamp"], params["oauth_nonce"])

    def _timestamp_and_nonce(self, raw_timestamp: str, nonce: str) -> AuthOutcome:
        now = int(to_utc(self.clock(), "the server's clock time").timestamp())
        try:
            timestamp = int(raw_timestamp)
        except ValueError:
            timestamp = -_WINDOW * 2
        if not now - _WINDOW <= timestamp <= now + _WINDOW:
            return AuthOutcome(error=auth_error("Invalid timestamp."))
        with self._lock:
            for old, stamp in list(self._nonces.items()):
                if stamp < now - _WINDOW:
                    del self._nonces[old]
            if nonce in self._nonces:
                return AuthOutcome(error=auth_error("Invalid nonce - nonce has already been used."))
            self._nonces[nonce] = timestamp
        return AuthOutcome(user=self.key)

    def _app_password(self, headers: Mapping[str, str]) -> AuthOutcome:
        # WordPress ignores application passwords unless the site is served over HTTPS,
        # and checks them only once some user has one.
        basic = _basic(headers)
        if not (self.https and self.app_passwords and basic):
            return AuthOutcome()
        user, password = basic
        known = self.app_passwords.get(user)
        if known is None:
            message = "Unknown username. Check again or try your email address."
            return AuthOutcome(error=auth_error(message, "invalid_username"))
        if not _same(known, password):
            message = "The provided password is an invalid application password."
            return AuthOutcome(error=auth_error(message, "incorrect_password"))
        return AuthOutcome(user=user)


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison of two texts. ``hmac.compare_digest`` refuses ``str``
    outside ASCII with a ``TypeError``, which would answer a request carrying a
    non-ASCII signature or secret with a 500 instead of WooCommerce's 401."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
