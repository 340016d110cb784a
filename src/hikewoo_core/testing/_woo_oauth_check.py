"""WooCommerce's OAuth 1.0a signature check, written apart from the library's signer (pure).

The loopback server must not verify a request with the code that signed it: a bug in the
signer would then pass its own check. This module follows WooCommerce's PHP line by line
(``WC_REST_Authentication::check_oauth_signature``, ``join_with_equals_sign``,
``normalize_parameters`` and ``wc_rest_urlencode_rfc3986``) and parses the query as
PHP fills ``$_GET``, sharing no code with :mod:`hikewoo_core.woo._auth`:

1. the parameters are ``$_GET`` merged with the ``Authorization: OAuth`` header's;
   ``oauth_signature`` is taken out;
2. the top-level names are sorted with ``strcmp`` (by byte), *then* names and values are
   RFC 3986-encoded (``rawurlencode``, ``%7E`` back to ``~``), arrays member by member
   with their keys left as they are;
3. each ``name=value`` pair (``name%5Bkey%5D=value`` for an array member) is encoded once
   more as a whole, and the pairs are joined with ``%26``;
4. the string to sign is ``METHOD&rawurlencode(site URL + path)&pairs``, signed with
   HMAC-SHA1 or HMAC-SHA256 keyed by ``consumer_secret&``, base64-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Union
from urllib.parse import quote, unquote, unquote_plus

__all__ = ["expected_signature", "php_query", "string_to_sign"]

#: ``$_GET`` as PHP builds it: strings, or arrays (dicts kept in insertion order).
PhpValue = Union[str, "dict[str, PhpValue]"]


def _rawurlencode(text: str) -> str:
    """PHP's ``rawurlencode``: everything but ``A-Z a-z 0-9 - _ . ~`` as ``%XX`` (UTF-8)."""
    return quote(text, safe="-_.~")


def _rfc3986(value: PhpValue) -> PhpValue:
    """``wc_rest_urlencode_rfc3986``: arrays member by member (keys untouched)."""
    if isinstance(value, dict):
        return {key: _rfc3986(item) for key, item in value.items()}
    return _rawurlencode(value).replace("+", " ").replace("%7E", "~")


def _put(node: dict[str, PhpValue], keys: list[str], value: str) -> None:
    key = keys[0]
    if key == "":  # name[]: the next integer key
        key = str(1 + max((int(k) for k in node if k.lstrip("-").isdigit()), default=-1))
    if len(keys) == 1:
        node[key] = value
        return
    child = node.get(key)
    if not isinstance(child, dict):
        child = {}
        node[key] = child
    _put(child, keys[1:], value)


def php_query(raw: str) -> dict[str, PhpValue]:
    """A query string as PHP's ``$_GET``: ``+`` and ``%XX`` decoded, ``a[b]=c`` nested,
    ``a[]=x`` appended, ``.`` and spaces in a top-level name turned into ``_``, the last
    of repeated names kept."""
    out: dict[str, PhpValue] = {}
    for part in raw.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        name, value = unquote_plus(raw_name), unquote_plus(raw_value)
        opening = name.find("[")
        if opening > 0 and "]" in name[opening:]:
            base, rest = name[:opening], name[opening:]
        else:
            base, rest = name, ""
        keys = [base.replace(".", "_").replace(" ", "_")]
        while rest.startswith("["):
            closing = rest.find("]")
            if closing < 0:
                break
            keys.append(rest[1:closing])
            rest = rest[closing + 1 :]
        if keys[0]:
            _put(out, keys, value)
    return out


def _join_with_equals_sign(params: Mapping[str, PhpValue], prefix: str = "") -> list[str]:
    pairs: list[str] = []
    for key, value in params.items():
        name = f"{prefix}%5B{key}%5D" if prefix else key
        if isinstance(value, dict):
            pairs += _join_with_equals_sign(value, name)
        else:
            encoded = _rfc3986(f"{name}={value}")
            assert isinstance(encoded, str)  # noqa: S101 - a string in, a string out
            pairs.append(encoded)
    return pairs


def string_to_sign(method: str, site_url: str, raw_query: str, header: Mapping[str, str]) -> str:
    """What WooCommerce signs for a request to ``site_url`` (scheme, host, path; no query)."""
    params: dict[str, PhpValue] = {**php_query(raw_query), **header}
    params.pop("oauth_signature", None)
    ordered = {key: params[key] for key in sorted(params, key=lambda k: k.encode("utf-8"))}
    normalized = {_rawurlencode(key): _rfc3986(value) for key, value in ordered.items()}
    pairs = "%26".join(_join_with_equals_sign(normalized))
    return f"{method.upper()}&{_rawurlencode(site_url)}&{pairs}"


def expected_signature(text: str, secret: str, method: str) -> str:
    """``base64_encode(hash_hmac(sha1|sha256, text, secret . '&', true))``."""
    algorithm = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
    mac = hmac.new(f"{secret}&".encode(), text.encode("utf-8", "surrogateescape"), algorithm)
    return base64.b64encode(mac.digest()).decode("ascii")


def given_signature(raw: str) -> str:
    """``rawurldecode(str_replace(' ', '+', $params['oauth_signature']))``."""
    return unquote(raw.replace(" ", "+"))
