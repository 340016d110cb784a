"""WooCommerce authentication and OAuth 1.0a signing: the holes mutation testing found
(see docs/testing.md).

Rules (``hikewoo_core.woo._auth``): refuse credentials, URLs and modes that cannot work,
saying why and showing the URL redacted; sign exactly as WooCommerce checks (HMAC-SHA256
by default, every byte of the base string, a fresh 128-bit nonce, the current time);
never follow a link carrying a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial

import pytest

from hikewoo_core._errors import ConfigurationError
from hikewoo_core.woo._auth import (
    AuthMode,
    OAuth1Signer,
    WooCredentials,
    api_root,
    basic_auth_header,
    choose_auth_mode,
    endpoint_url,
    hmac_signature,
    oauth1_params,
    strip_auth_params,
)

KEY = "ck_0123456789abcdef0123456789abcdef01234567"
SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"
CREDS = WooCredentials(KEY, SECRET)
ORDERS = "http://shop.example/wp-json/wc/v3/orders"
#: The signers' clock: an aware datetime, 1_800_000_000 seconds after the epoch.
AT_1_800_000_000 = datetime.fromtimestamp(1_800_000_000, timezone.utc)


def refusal(call: Callable[[], object]) -> str:
    with pytest.raises(ConfigurationError) as info:
        call()
    return str(info.value)


# -- credentials -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["ck_\x7fkey", "ck_\x01key", "ck_key\x1f"])
def test_auth_rule_a_key_with_a_control_character_or_del_is_refused(bad: str) -> None:
    """Credentials: a pasted control character (DEL included) is refused, unshown."""
    assert refusal(lambda: WooCredentials(bad, SECRET)) == (
        "WooCredentials.consumer_key has surrounding whitespace or control characters"
        " (a copy-and-paste slip?); the value is not shown"
    )


def test_auth_rule_each_bad_credential_is_refused_with_its_reason() -> None:
    """Credentials: each refusal names the field and the reason, never the value."""
    assert refusal(lambda: WooCredentials("", SECRET)) == (
        "WooCredentials.consumer_key must be a non-empty string"
    )
    assert refusal(lambda: WooCredentials("ck:x", SECRET)) == (
        "WooCredentials.consumer_key cannot contain ':'"
    )
    assert refusal(lambda: basic_auth_header("a:b", "pw")) == (
        "a Basic auth user name cannot contain ':'"
    )


# -- modes and URLs ---------------------------------------------------------------------------


def test_auth_rule_modes_that_cannot_work_are_refused_saying_why() -> None:
    """Auth modes: keys over plain http, application passwords over plain http, and
    unknown modes are refused with the whole explanation."""
    assert refusal(lambda: choose_auth_mode("http://shop.example", AuthMode.QUERY)) == (
        "auth mode 'query' cannot work over plain http: WooCommerce reads"
        " consumer_key/consumer_secret from Basic auth or the query string only on"
        " HTTPS and silently ignores them otherwise (every request then fails with"
        " 401 woocommerce_rest_cannot_view). Use AuthMode.OAUTH1 or an https:// URL."
    )
    assert refusal(lambda: choose_auth_mode("http://shop.example", "app_password")) == (
        "application passwords cannot work over plain http: WordPress refuses them"
        " unless the site is served over HTTPS (the only exception is a site whose"
        " WP_ENVIRONMENT_TYPE is 'local'). Use an https:// URL, or API keys with"
        " AuthMode.OAUTH1."
    )
    assert refusal(lambda: choose_auth_mode("https://shop.example", "jwt")) == (
        "unknown auth mode 'jwt'; expected one of oauth1, basic, query, app_password"
    )


def test_auth_rule_a_store_url_that_cannot_work_is_refused_showing_it_redacted() -> None:
    """Store URLs: each refusal shows the URL (its secrets redacted) and says why."""
    assert refusal(lambda: api_root("ftp://shop.example", AuthMode.BASIC)) == (
        "the store URL must be http(s)://host[/path]: ftp://shop.example"
    )
    assert refusal(
        lambda: api_root(f"https://shop.example/?consumer_secret={SECRET}", AuthMode.BASIC)
    ) == (
        "the store URL must not carry a query, fragment or user:password: "
        "https://shop.example/?consumer_secret=<redacted>"
    )
    assert refusal(lambda: api_root("https://shop.example/wp-json/wc/v2", AuthMode.BASIC)) == (
        "give the site address (or its /wp-json/wc/v3 root): https://shop.example/wp-json/wc/v2"
    )
    assert refusal(lambda: api_root("https://shop.example", AuthMode.OAUTH1, rest_route=True)) == (
        "the ?rest_route= form does not work with 'oauth1' auth: WooCommerce checks API keys"
        " only when the request path contains wp-json/wc/. Use the /wp-json/ form, or"
        " AuthMode.APP_PASSWORD."
    )


def test_auth_rule_a_site_path_keeps_every_character_but_its_trailing_slashes() -> None:
    """Store URLs: a subdirectory install keeps its path as typed (only ``/`` is trimmed)."""
    assert api_root("https://x.example/SHOPX//", AuthMode.BASIC) == (
        "https://x.example/SHOPX/wp-json/wc/v3"
    )


def test_auth_rule_an_endpoint_path_is_plain_segments_only() -> None:
    """Endpoint paths: ``.`` and ``..`` segments are refused (no walking out of the API)."""
    root = api_root("https://shop.example", AuthMode.BASIC)
    for bad in ("orders/./12", "./orders"):
        assert refusal(partial(endpoint_url, root, bad)) == (
            f"an endpoint path is plain segments like 'orders/12': {bad!r}"
        )


# -- signing ------------------------------------------------------------------------------------


def test_auth_rule_hmac_sha256_is_the_default_signature_method() -> None:
    """Signing: without a method, HMAC-SHA256 (what WooCommerce expects by default)."""
    expected = base64.b64encode(hmac.new(b"k&", b"GET&x&y", hashlib.sha256).digest()).decode()
    assert hmac_signature("GET&x&y", "k&") == expected


def test_auth_rule_every_byte_of_the_base_string_is_signed_even_undecodable_ones() -> None:
    """Signing: a base string holding bytes that are not UTF-8 (kept as surrogate escapes
    when a query was decoded) is signed over those very bytes."""
    expected = hmac.new(b"k&", b"GET&a\xff", hashlib.sha1).digest()
    signature = hmac_signature("GET&a\udcff", "k&", "HMAC-SHA1")
    assert base64.b64decode(signature) == expected


def test_auth_rule_an_unsigned_request_gets_a_fresh_128_bit_nonce_and_the_current_time() -> None:
    """Signing: a nonce of 16 random bytes (32 hex digits) and the time of signing."""
    before = int(time.time())
    params = oauth1_params("GET", ORDERS, {}, CREDS)
    after = int(time.time())
    assert len(params["oauth_nonce"]) == 32
    int(params["oauth_nonce"], 16)
    assert before <= int(params["oauth_timestamp"]) <= after


def test_auth_rule_an_unknown_signature_method_is_named_in_the_refusal() -> None:
    """Signing: the signer refuses a method WooCommerce does not check, naming it."""
    assert refusal(lambda: OAuth1Signer(CREDS, signature_method="HMAC-MD5")) == (
        "signature method must be HMAC-SHA1 or HMAC-SHA256, not 'HMAC-MD5'"
    )
    stuck = OAuth1Signer(CREDS, nonce_factory=lambda: "")
    assert refusal(lambda: stuck.sign("GET", ORDERS)) == (
        "nonce_factory returned an empty or already used nonce"
    )


def test_auth_rule_the_signer_remembers_the_last_4096_nonces_and_no_more() -> None:
    """Signing: a nonce is never reused within the last 4096 signatures; the memory of
    them is bounded (a long-running client does not grow)."""
    counter = iter(range(10_000))
    replay = {"next": ""}

    def nonces() -> str:
        return replay["next"] or f"n{next(counter)}"

    signer = OAuth1Signer(CREDS, clock=lambda: AT_1_800_000_000, nonce_factory=nonces)
    for _ in range(4096):
        signer.sign("GET", ORDERS)
    replay["next"] = "n0"  # the oldest of the 4096 kept: refused
    with pytest.raises(ConfigurationError):
        signer.sign("GET", ORDERS)
    replay["next"] = ""
    signer.sign("GET", ORDERS)  # n4096: pushes n0 out of memory
    replay["next"] = "n0"
    assert signer.sign("GET", ORDERS)["oauth_nonce"] == "n0"


def test_auth_rule_a_followed_link_never_carries_the_secret_whatever_its_value() -> None:
    """Links: ``consumer_secret`` is stripped from a ``Link`` URL even when its value holds
    ``=`` (the parameter's name is what comes before the first ``=``)."""
    url = f"https://shop.example/wp-json/wc/v3/orders?page=2&consumer_secret={SECRET}==&x=a=b"
    assert strip_auth_params(url) == "https://shop.example/wp-json/wc/v3/orders?page=2&x=a=b"


def test_auth_rule_the_signer_signs_with_the_method_it_was_given() -> None:
    """Signing: an :class:`OAuth1Signer` made for HMAC-SHA1 announces and uses HMAC-SHA1
    (a store that checks SHA1 refuses a request signed with the SHA256 default)."""
    signer = OAuth1Signer(
        CREDS,
        signature_method="HMAC-SHA1",
        clock=lambda: AT_1_800_000_000,
        nonce_factory=lambda: "n1",
    )
    signed = signer.sign("GET", ORDERS)
    assert signed["oauth_signature_method"] == "HMAC-SHA1"
    assert signed == oauth1_params(
        "GET", ORDERS, {}, CREDS, signature_method="HMAC-SHA1", timestamp=1_800_000_000, nonce="n1"
    )
    assert len(base64.b64decode(signed["oauth_signature"])) == hashlib.sha1().digest_size
