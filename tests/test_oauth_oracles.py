"""The OAuth 1.0a signer checked against oracles that share none of its code.

Three independent implementations agree: the library's signer
(:mod:`hikewoo_core.woo._auth`), WooCommerce's PHP check as the loopback server ports it on
its own (:mod:`hikewoo_core.testing._woo_oauth_check`), and, for requests where
WooCommerce and RFC 5849 agree (names without brackets), ``oauthlib``, a maintained OAuth
library. The RFC 5849 section 3.4.1 example vector is checked in ``test_woo_auth``.
"""

from __future__ import annotations

import string
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oauthlib.oauth1.rfc5849 import signature as rfc

from hikewoo_core.testing._woo_oauth_check import (
    expected_signature,
    given_signature,
    php_query,
    string_to_sign,
)
from hikewoo_core.woo._auth import (
    WooCredentials,
    hmac_signature,
    oauth1_params,
    signature_base_string,
)

SECRET = "cs_oracle_secret_4e1d"
SITE = "http://127.0.0.1:8080/wp-json/wc/v3/orders"
OAUTH = {
    "oauth_consumer_key": "ck_oracle",
    "oauth_nonce": "n0nce",
    "oauth_signature_method": "HMAC-SHA256",
    "oauth_timestamp": "1796010833",
}

names = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
values = st.text(max_size=12)  # any unicode, spaces, &, =, +, %, ~ ...


class _Client:
    """What oauthlib reads of a client to sign: the consumer secret, no token secret."""

    client_secret = SECRET
    resource_owner_secret = ""


def library(method: str, url: str, header: dict[str, str]) -> str:
    return hmac_signature(signature_base_string(method, url, header), SECRET + "&", "HMAC-SHA256")


def php(method: str, url: str, header: dict[str, str]) -> str:
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return expected_signature(
        string_to_sign(method, site, parts.query, header), SECRET, "HMAC-SHA256"
    )


@given(st.dictionaries(names, values, max_size=6), st.sampled_from(["GET", "PUT", "DELETE"]))
def test_the_signer_and_woocommerces_php_check_agree_on_plain_parameters(
    params: dict[str, str], method: str
) -> None:
    url = f"{SITE}?{urlencode(params)}" if params else SITE
    assert library(method, url, OAUTH) == php(method, url, OAUTH)


@given(st.dictionaries(names, values, max_size=6))
def test_oauthlib_agrees_where_woocommerce_follows_rfc_5849(params: dict[str, str]) -> None:
    """oauthlib normalises per RFC 5849 3.4.1.3.2 (sorted after encoding); WooCommerce
    sorts before encoding. For names of letters, digits, '_' and '-' the orders agree."""
    query = urlencode(params)
    url = f"{SITE}?{query}" if query else SITE
    pairs = rfc.collect_parameters(uri_query=query, headers=None, exclude_oauth_signature=True)
    pairs += list(OAUTH.items())
    base = rfc.signature_base_string(
        "GET", rfc.base_string_uri(SITE), rfc.normalize_parameters(pairs)
    )
    theirs = rfc.sign_hmac_sha256_with_client(base, _Client())
    assert library("GET", url, OAUTH) == theirs
    assert php("GET", url, OAUTH) == theirs


@pytest.mark.parametrize(
    "query",
    [
        "status%5B0%5D=any&status%5B1%5D=processing&dp=2",  # arrays, as the Link header has
        "include%5B%5D=3&include%5B%5D=1&include%5B%5D=2",  # appended members keep order
        "&".join(f"id%5B{i}%5D={i}" for i in range(12)),  # more than ten members
        "c%40=1&c2=2&c=3",  # strcmp before encoding: "c2" < "c@" < ...
        "q=a+b&r=a%2Bb&s=%7E",  # '+' is a space in $_GET, %2B a plus; ~ stays as it is
        "a.b=1&a%20b=2",  # PHP turns '.' and ' ' in a name into '_' (the last one wins)
    ],
)
def test_the_signer_and_woocommerces_php_check_agree_where_php_differs_from_the_rfc(
    query: str,
) -> None:
    url = f"{SITE}?{query}"
    assert library("GET", url, OAUTH) == php("GET", url, OAUTH)


def test_a_request_signed_by_the_client_passes_the_php_check_and_a_changed_one_does_not() -> None:
    creds = WooCredentials("ck_oracle", SECRET)
    header = oauth1_params(
        "GET", f"{SITE}?per_page=5", {}, creds, nonce="abc", timestamp=1796010833
    )
    text = string_to_sign("GET", SITE, "per_page=5", header)
    assert expected_signature(text, SECRET, "HMAC-SHA256") == given_signature(
        header["oauth_signature"]
    )
    tampered = string_to_sign("GET", SITE, "per_page=6", header)
    assert expected_signature(tampered, SECRET, "HMAC-SHA256") != given_signature(
        header["oauth_signature"]
    )


def test_php_query_parses_as_php_fills_get() -> None:
    assert php_query("a%5B%5D=1&a%5B%5D=2&b%5Bx%5D%5By%5D=3&c.d=4&e=5&e=6&f+g=h+i") == {
        "a": {"0": "1", "1": "2"},
        "b": {"x": {"y": "3"}},
        "c_d": "4",
        "e": "6",
        "f_g": "h i",
    }
