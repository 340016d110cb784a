"""A tiny OAuth 1.0a one-legged signer for the raw-fetch floors (standard library only).

Written apart from ``hikewoo_core.woo._auth`` (and from the server's verifier), so the
floors pay for signing as every other contender does without borrowing the library's
code. It covers what a list request sends (flat parameters, no arrays): HMAC-SHA256,
the ``oauth_*`` parameters in the query string, the current time and a fresh nonce for
every request. What WooCommerce signs:

    METHOD & rawurlencode(URL, no query) & pairs

where ``pairs`` is every parameter sorted by name, ``rawurlencode(name)=rawurlencode(value)``,
each pair percent-encoded once more and the pairs joined by ``%26``; the key is
``consumer_secret&``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["signed_query"]


def _encode(text: str) -> str:
    """RFC 3986 percent-encoding (PHP's ``rawurlencode``)."""
    return quote(text, safe="-_.~")


def signed_query(method: str, url: str, params: Mapping[str, object], key: str, secret: str) -> str:
    """The query string of a request to ``url`` with ``params``, signed for ``key``."""
    values = {name: str(value) for name, value in params.items()}
    values |= {
        "oauth_consumer_key": key,
        "oauth_nonce": secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(int(time.time())),
    }
    names = sorted(values, key=str.encode)
    pairs = "%26".join(_encode(f"{_encode(n)}={_encode(values[n])}") for n in names)
    text = f"{method.upper()}&{_encode(url)}&{pairs}"
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha256).digest()
    values["oauth_signature"] = base64.b64encode(digest).decode("ascii")
    return "&".join(f"{_encode(n)}={_encode(v)}" for n, v in values.items())
