"""WooCommerce REST authentication, as ``class-wc-rest-authentication.php`` checks it (pure).

WooCommerce reads API keys only on routes under ``wp-json/wc/`` and only in two ways:

* over **HTTPS**, ``consumer_key``/``consumer_secret`` from the query string
  (:attr:`AuthMode.QUERY`) or HTTP Basic (:attr:`AuthMode.BASIC`);
* over **plain HTTP** (or when those found no key), OAuth 1.0a one-legged
  (:attr:`AuthMode.OAUTH1`): the signature covers the method, the URL and every query
  (and form) parameter *as PHP parsed them into* ``$_GET``, never a JSON body.

Query parameters must therefore reach PHP in its own array syntax: a repeated name
(``status=a&status=b``, what httpx sends for a list) is read as ``status=b``. Send
:func:`flatten_params` (``status[0]=a&status[1]=b``) and sign the same pairs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

import attrs

from .._datetimes import checked_clock, utc_now
from .._enums import TextEnum
from .._errors import ConfigurationError
from .._redact import redact_pairs, redact_url
from ._php_query import (
    ParamValue,
    flatten_params,
    normalized_parameters,
    php_get,
    query_pairs,
    rawurlencode,
    urldecode,
)

__all__ = [
    "AuthMode",
    "WooCredentials",
    "choose_auth_mode",
    "api_root",
    "endpoint_url",
    "ParamValue",
    "flatten_params",
    "base_string_uri",
    "signature_base_string",
    "hmac_signature",
    "oauth1_params",
    "OAuth1Signer",
    "basic_auth_header",
    "query_auth_params",
    "strip_auth_params",
    "parse_link_header",
    "redact_url",
]

_SIGNATURE_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REST_ROUTE = "/index.php?rest_route=/wc/v3"


class AuthMode(TextEnum):
    """How requests prove who they are (see the module docstring)."""

    #: OAuth 1.0a one-legged, a signed query; works over http and https.
    OAUTH1 = "oauth1"
    #: HTTP Basic ``consumer_key:consumer_secret``; https only.
    BASIC = "basic"
    #: ``?consumer_key=…&consumer_secret=…`` in the query string; https only.
    QUERY = "query"
    #: HTTP Basic with a WordPress user name and application password; https only.
    APP_PASSWORD = "app_password"  # noqa: S105 - the name of a mode, not a password


def _check_credential(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    name = attribute.name
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"WooCredentials.{name} must be a non-empty string")
    if value != value.strip() or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise ConfigurationError(
            f"WooCredentials.{name} has surrounding whitespace or control characters"
            " (a copy-and-paste slip?); the value is not shown"
        )
    if name == "consumer_key" and ":" in value:
        raise ConfigurationError("WooCredentials.consumer_key cannot contain ':'")


@attrs.frozen(repr=False)
class WooCredentials:
    """A WooCommerce API key pair (or a WordPress user name and application password).

    The ``repr`` shows a short prefix of the key and never the secret.
    """

    consumer_key: str = attrs.field(validator=_check_credential)
    consumer_secret: str = attrs.field(validator=_check_credential)

    def __repr__(self) -> str:
        [(_, key)] = redact_pairs([("consumer_key", self.consumer_key)])
        return f"WooCredentials(consumer_key={key!r}, consumer_secret=<redacted>)"


def choose_auth_mode(base_url: str, requested: AuthMode | str | None = None) -> AuthMode:
    """The auth mode to use for ``base_url``: ``requested``, or BASIC for https, OAUTH1 for http.

    Refuses (:class:`ConfigurationError`) the modes WooCommerce or WordPress ignore
    over plain http. Behind a proxy that terminates TLS without telling PHP
    (``is_ssl()`` false), Basic fails with ``401 woocommerce_rest_cannot_view``:
    there use OAUTH1, with ``base_url`` in the scheme PHP believes it serves.
    """
    scheme = urlsplit(base_url).scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigurationError(
            f"the store URL must start with https:// or http://: {redact_url(base_url)}"
        )
    try:
        mode = AuthMode(requested) if requested is not None else None
    except ValueError:
        known = ", ".join(m.value for m in AuthMode)
        raise ConfigurationError(
            f"unknown auth mode {requested!r}; expected one of {known}"
        ) from None
    if mode is None:
        return AuthMode.BASIC if scheme == "https" else AuthMode.OAUTH1
    if scheme == "http" and mode in (AuthMode.BASIC, AuthMode.QUERY):
        raise ConfigurationError(
            f"auth mode {mode.value!r} cannot work over plain http: WooCommerce reads"
            " consumer_key/consumer_secret from Basic auth or the query string only on"
            " HTTPS and silently ignores them otherwise (every request then fails with"
            " 401 woocommerce_rest_cannot_view). Use AuthMode.OAUTH1 or an https:// URL."
        )
    if scheme == "http" and mode is AuthMode.APP_PASSWORD:
        raise ConfigurationError(
            "application passwords cannot work over plain http: WordPress refuses them"
            " unless the site is served over HTTPS (the only exception is a site whose"
            " WP_ENVIRONMENT_TYPE is 'local'). Use an https:// URL, or API keys with"
            " AuthMode.OAUTH1."
        )
    return mode


def api_root(base_url: str, mode: AuthMode, *, rest_route: bool = False) -> str:
    """The root of REST API v3 for a store, e.g. ``https://shop.example/wp-json/wc/v3``.

    ``base_url`` is the site address (a subdirectory install keeps its path); a
    trailing ``/wp-json`` or ``/wp-json/wc/v3`` is accepted and not repeated.
    ``rest_route=True`` gives ``https://shop.example/index.php?rest_route=/wc/v3``
    for sites without pretty permalinks; WooCommerce API keys are read only on
    ``wp-json/wc/`` paths, so that form is refused unless ``mode`` is APP_PASSWORD.
    """
    shown = redact_url(base_url)
    parts = urlsplit(base_url.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ConfigurationError(f"the store URL must be http(s)://host[/path]: {shown}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigurationError(
            f"the store URL must not carry a query, fragment or user:password: {shown}"
        )
    path = parts.path.rstrip("/")
    for suffix in ("/wp-json/wc/v3", "/wp-json"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    else:
        if "/wp-json/" in f"{path}/":
            raise ConfigurationError(f"give the site address (or its /wp-json/wc/v3 root): {shown}")
    home = urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))
    if not rest_route:
        return f"{home}/wp-json/wc/v3"
    if mode is not AuthMode.APP_PASSWORD:
        raise ConfigurationError(
            f"the ?rest_route= form does not work with {mode.value!r} auth: WooCommerce"
            " checks API keys only when the request path contains wp-json/wc/. Use the"
            " /wp-json/ form, or AuthMode.APP_PASSWORD."
        )
    return f"{home}{_REST_ROUTE}"


def endpoint_url(root: str, path: str) -> str:
    """The URL of endpoint ``path`` (``"orders/12"``) under an :func:`api_root` result.

    Works for both forms (``…/wp-json/wc/v3/orders/12`` and
    ``…?rest_route=/wc/v3/orders/12``); each segment is percent-encoded. Query
    parameters go separately (see :func:`flatten_params`).
    """
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments) or "?" in path or "#" in path:
        raise ConfigurationError(f"an endpoint path is plain segments like 'orders/12': {path!r}")
    return "/".join([root.rstrip("/"), *(quote(s, safe="") for s in segments)])


def base_string_uri(url: str) -> str:
    """RFC 5849 §3.4.1.2: lower-case scheme and host, no default port, no query."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), (parts.hostname or ""), parts.port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def signature_base_string(method: str, url: str, params: Mapping[str, ParamValue]) -> str:
    """The OAuth 1.0a signature base string exactly as WooCommerce rebuilds it.

    Pairs are ``url``'s own query followed by :func:`flatten_params` of ``params``
    (include the ``oauth_*`` ones). They are read as PHP reads ``$_GET``, top-level
    names are sorted by byte value (``strcmp``) *before* encoding, array members keep
    their order, and ``oauth_signature`` is left out. Differs from a generic RFC 5849
    signer for names like ``c@`` vs ``c2`` and for arrays of more than ten items.
    """
    php = php_get([*query_pairs(urlsplit(url).query), *flatten_params(params)])
    php.pop("oauth_signature", None)
    uri = rawurlencode(base_string_uri(url))
    return f"{method.upper()}&{uri}&{normalized_parameters(php)}"


def hmac_signature(base: str, key: str, method: str = "HMAC-SHA256") -> str:
    """``base64(HMAC(key, base))`` for ``method`` HMAC-SHA1 or HMAC-SHA256."""
    digest = _SIGNATURE_METHODS.get(method)
    if digest is None:
        raise ConfigurationError(
            f"signature method must be HMAC-SHA1 or HMAC-SHA256, not {method!r}"
        )
    mac = hmac.new(key.encode("utf-8"), base.encode("utf-8", "surrogateescape"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def oauth1_params(
    method: str,
    url: str,
    params: Mapping[str, ParamValue],
    creds: WooCredentials,
    *,
    signature_method: str = "HMAC-SHA256",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five ``oauth_*`` parameters to append to the query of this request.

    ``url`` is the endpoint URL with the site's own scheme, host and port (as in
    WordPress's Site Address), with or without a query; ``params`` the rest of the
    query (and the fields of a form body, if any; a JSON body is never signed).
    Send ``url`` with its own query, then :func:`flatten_params` of ``params``, then
    these. To follow a ``Link`` URL, :func:`strip_auth_params` it and sign it with
    ``params={}``. Prefer :class:`OAuth1Signer`, which never reuses a nonce.
    """
    oauth = {
        "oauth_consumer_key": creds.consumer_key,
        "oauth_nonce": nonce if nonce is not None else secrets.token_hex(16),
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    base = signature_base_string(method, url, {**params, **oauth})
    oauth["oauth_signature"] = hmac_signature(base, creds.consumer_secret + "&", signature_method)
    return oauth


class OAuth1Signer:
    """Signs requests with a fresh nonce each time (injectable clock and nonce source).

    WooCommerce refuses a nonce it saw in the last 15 minutes and a timestamp more
    than 15 minutes off its clock, so a retried request must be signed again.
    ``clock`` returns the current time as a timezone-aware datetime (default: the
    system's); a naive time raises :class:`~hikewoo_core.ConfigurationError`.
    """

    def __init__(
        self,
        creds: WooCredentials,
        signature_method: str = "HMAC-SHA256",
        clock: Callable[[], datetime] | None = None,
        nonce_factory: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        if signature_method not in _SIGNATURE_METHODS:
            hmac_signature("", "", signature_method)  # raises the ConfigurationError
        self.creds, self.signature_method = creds, signature_method
        self._clock = utc_now if clock is None else checked_clock(clock, "the OAuth clock time")
        self._nonce_factory = nonce_factory
        self._recent: deque[str] = deque(maxlen=4096)

    def __repr__(self) -> str:
        return f"OAuth1Signer({self.creds!r}, signature_method={self.signature_method!r})"

    def sign(
        self, method: str, url: str, params: Mapping[str, ParamValue] | None = None
    ) -> dict[str, str]:
        """The ``oauth_*`` parameters for one request (see :func:`oauth1_params`)."""
        nonce = self._nonce_factory()
        if not nonce or nonce in self._recent:
            raise ConfigurationError("nonce_factory returned an empty or already used nonce")
        self._recent.append(nonce)
        return oauth1_params(
            method,
            url,
            params or {},
            self.creds,
            signature_method=self.signature_method,
            timestamp=int(self._clock().timestamp()),
            nonce=nonce,
        )


def basic_auth_header(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic (keys, or an application password)."""
    if ":" in user:
        raise ConfigurationError("a Basic auth user name cannot contain ':'")
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def query_auth_params(creds: WooCredentials) -> dict[str, str]:
    """``consumer_key``/``consumer_secret`` query parameters (:attr:`AuthMode.QUERY`)."""
    return {"consumer_key": creds.consumer_key, "consumer_secret": creds.consumer_secret}


def _is_auth_param(raw_name: str) -> bool:
    name = urldecode(raw_name).lower()
    return name.startswith("oauth_") or name in ("consumer_key", "consumer_secret")


def strip_auth_params(url: str) -> str:
    """``url`` without ``oauth_*``, ``consumer_key`` and ``consumer_secret`` parameters.

    WooCommerce's ``Link`` header repeats the request's auth parameters: following it
    as-is replays the nonce (401) or carries the secret. Strip, then sign again.
    Other parameters are kept byte for byte.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _is_auth_param(p.partition("=")[0])]
    return urlunsplit(parts._replace(query="&".join(kept)))


_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)


def parse_link_header(value: str) -> dict[str, str]:
    """``{rel: url}`` from a ``Link`` header (first one wins for a repeated rel)."""
    links: dict[str, str] = {}
    for url, rest in _LINK.findall(value):
        for quoted, bare in _REL.findall(rest):
            for rel in (quoted or bare).split():
                links.setdefault(rel.lower(), url.strip())
    return links
