"""WooCommerce authentication: OAuth 1.0a exactly as WooCommerce verifies it, modes, URLs.

The OAuth tests check the signer against published test vectors and against
``woo_accepts``, an independent line-by-line port of WooCommerce's
``WC_REST_Authentication::check_oauth_signature`` (PHP) written here, which reads the
request the way PHP does: from the raw request URI into ``$_GET``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlencode, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hikewoo_core._errors import ConfigurationError, HikeWooError
from hikewoo_core.woo._auth import (
    AuthMode,
    OAuth1Signer,
    ParamValue,
    WooCredentials,
    api_root,
    base_string_uri,
    basic_auth_header,
    choose_auth_mode,
    endpoint_url,
    flatten_params,
    hmac_signature,
    oauth1_params,
    parse_link_header,
    query_auth_params,
    redact_url,
    signature_base_string,
    strip_auth_params,
)

from ._shared import REAL, load, requires_shared

KEY = "ck_0123456789abcdef0123456789abcdef01234567"
SECRET = "cs_TOPSECRET_fedcba9876543210fedcba98765432"
CREDS = WooCredentials(KEY, SECRET)
HOME = "http://127.0.0.1:8080"
ORDERS = f"{HOME}/wp-json/wc/v3/orders"


# --- an independent port of WooCommerce's verifier ---------------------------------


def php_parse_str(query: str) -> dict[str, Any]:
    """``$_GET`` for a raw query string (the subset of PHP's rules the tests need)."""
    result: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition("=")
        key, value = unquote_plus(raw_key), unquote_plus(raw_value)
        match = re.match(r"([^\[]*)((?:\[[^\]]*\])*)", key.lstrip(" "))
        assert match is not None
        base = match.group(1).replace(".", "_").replace(" ", "_")
        if not base:
            continue
        target, name = result, base
        for sub in re.findall(r"\[([^\]]*)\]", match.group(2)):
            if not isinstance(target.get(name), dict):
                target[name] = {}
            target = target[name]
            name = sub if sub != "" else str(len(target))
        target[name] = value
    return result


def rawurlencode(text: str) -> str:
    return quote(text.encode("utf-8"), safe="-_.~")


def wc_rest_urlencode_rfc3986(value: Any) -> Any:
    if isinstance(value, dict):  # array_map keeps the keys as they are
        return {k: wc_rest_urlencode_rfc3986(v) for k, v in value.items()}
    return rawurlencode(value).replace("+", " ").replace("%7E", "~")


def join_with_equals_sign(
    params: dict[str, Any], query_params: list[str] | None = None, key: str = ""
) -> list[str]:
    query_params = [] if query_params is None else query_params
    for param_key, param_value in params.items():
        if key:
            param_key = key + "%5B" + param_key + "%5D"  # noqa: PLW2901 - as in PHP
        if isinstance(param_value, dict):
            query_params = join_with_equals_sign(param_value, query_params, param_key)
        else:
            query_params.append(wc_rest_urlencode_rfc3986(param_key + "=" + param_value))
    return query_params


def woo_accepts(method: str, request_uri: str, consumer_secret: str, home: str = HOME) -> bool:
    """``check_oauth_signature()`` for a request line ``METHOD request_uri``."""
    params = php_parse_str(urlsplit(request_uri).query)
    request_path = urlsplit(request_uri).path
    wp_base = (urlsplit(home).path.rstrip("/")) + "/"  # get_home_url(null, '/', 'relative')
    if request_path.startswith(wp_base):
        request_path = request_path[len(wp_base) :]
    base_request_uri = rawurlencode(home.rstrip("/") + "/" + request_path.lstrip("/"))
    consumer_signature = unquote(params["oauth_signature"].replace(" ", "+"))
    del params["oauth_signature"]
    params = dict(sorted(params.items(), key=lambda kv: kv[0].encode()))  # uksort strcmp
    keys = [wc_rest_urlencode_rfc3986(k) for k in params]
    values = [wc_rest_urlencode_rfc3986(v) for v in params.values()]
    params = dict(zip(keys, values, strict=True))
    query_string = "%26".join(join_with_equals_sign(params))
    string_to_sign = method.upper() + "&" + base_request_uri + "&" + query_string
    algorithm = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}[
        params["oauth_signature_method"]
    ]
    mac = hmac.new((consumer_secret + "&").encode(), string_to_sign.encode(), algorithm)
    return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), consumer_signature)


def request_uri(url: str, pairs: list[tuple[str, str]], *, plus: bool = False) -> str:
    """The request URI a client sends: ``url``'s own query, then ``pairs``."""
    parts = urlsplit(url)
    extra = urlencode(pairs, quote_via=quote_plus if plus else quote)
    query = "&".join(q for q in (parts.query, extra) if q)
    return parts.path + (f"?{query}" if query else "")


def signed_uri(method: str, url: str, params: dict[str, ParamValue], **kw: Any) -> str:
    oauth = oauth1_params(method, url, params, CREDS, **kw)
    return request_uri(url, [*flatten_params(params), *oauth.items()])


# --- published test vectors ---------------------------------------------------------


PHOTOS = "http://photos.example.net/photos"
PHOTOS_KEY = "kd94hf93k423kf44&pfkkdhi9sl3r4s00"  # consumer secret & token secret


def test_oauth_core_1_0_appendix_a5_vector() -> None:
    # OAuth Core 1.0 Appendix A.5.1/A.5.2 (RFC 5849 §1.2 is the same request, below).
    params: dict[str, ParamValue] = {
        "file": "vacation.jpg",
        "size": "original",
        "oauth_consumer_key": "dpf43f3p2l4k3l03",
        "oauth_token": "nnch734d00sl2jdk",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1191242096",
        "oauth_nonce": "kllo9940pd9333jh",
        "oauth_version": "1.0",
    }
    base = signature_base_string("GET", PHOTOS, params)
    assert base == (
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26"
        "oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26"
        "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26"
        "oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
    )
    assert hmac_signature(base, PHOTOS_KEY, "HMAC-SHA1") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="


def test_rfc5849_section_1_2_vector() -> None:
    params: dict[str, ParamValue] = {
        "oauth_consumer_key": "dpf43f3p2l4k3l03",
        "oauth_token": "nnch734d00sl2jdk",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "137131202",
        "oauth_nonce": "chapoH",
    }
    base = signature_base_string("GET", f"{PHOTOS}?file=vacation.jpg&size=original", params)
    assert hmac_signature(base, PHOTOS_KEY, "HMAC-SHA1") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_rfc5849_section_3_4_1_example_as_woocommerce_reads_it() -> None:
    # RFC 5849 §3.4.1.1, without the repeated ``a3`` (``$_GET`` cannot hold a name
    # twice, so WooCommerce could never verify that request). The form body
    # ``c2&a3=2+q`` is $_POST, signed like the query.
    params: dict[str, ParamValue] = {
        "c2": "",
        "oauth_consumer_key": "9djdj82h48djs9d2",
        "oauth_token": "kkk9d7dh3k39sjv7",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "137131201",
        "oauth_nonce": "7d8f3e4a",
    }
    url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    rfc_tail = (
        "%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a"
        "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201"
        "%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )
    # The RFC sorts encoded names ("c%40" < "c2"); WooCommerce sorts the raw names
    # with strcmp before encoding ("c2" < "c@"), so only that order verifies there.
    assert signature_base_string("POST", url, params) == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26"
        "b5%3D%253D%25253D%26c2%3D%26c%2540%3D" + rfc_tail
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X"),  # RFC 5849
        ("https://www.example.net:8080/?q=1", "https://www.example.net:8080/"),  # §3.4.1.2
        (
            "HTTPS://Shop.Example:443/wp-json/wc/v3/orders#x",
            "https://shop.example/wp-json/wc/v3/orders",
        ),
        (
            "http://127.0.0.1:8080/wp-json/wc/v3/orders",
            "http://127.0.0.1:8080/wp-json/wc/v3/orders",
        ),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://shop.example", "https://shop.example/"),
    ],
)
def test_base_string_uri(url: str, expected: str) -> None:
    assert base_string_uri(url) == expected


# --- against the port of WooCommerce's verifier --------------------------------------


@pytest.mark.parametrize("method", ["GET", "post", "PUT", "DELETE"])
@pytest.mark.parametrize("signature_method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_woocommerce_accepts_what_we_sign(method: str, signature_method: str) -> None:
    params: dict[str, ParamValue] = {"per_page": 100, "page": 2, "force": True, "skip": None}
    uri = signed_uri(method, ORDERS, params, signature_method=signature_method)
    assert woo_accepts(method, uri, SECRET)
    assert not woo_accepts(method, uri, SECRET + "x")
    assert not woo_accepts(method, uri.replace("page=2", "page=3"), SECRET)
    assert "force=true" in uri
    assert "skip" not in uri


def test_oauth1_params_shape_and_determinism() -> None:
    oauth = oauth1_params("GET", ORDERS, {}, CREDS, timestamp=1795745335, nonce="abc")
    assert list(oauth) == [
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_signature",
    ]
    assert oauth["oauth_signature_method"] == "HMAC-SHA256"
    assert oauth["oauth_timestamp"] == "1795745335"
    assert oauth == oauth1_params("GET", ORDERS, {}, CREDS, timestamp=1795745335, nonce="abc")
    base = signature_base_string("GET", ORDERS, dict(oauth))
    assert oauth["oauth_signature"] == hmac_signature(base, SECRET + "&", "HMAC-SHA256")
    assert len(base64.b64decode(oauth["oauth_signature"])) == 32


def test_array_params_are_signed_as_php_sees_them() -> None:
    params: dict[str, ParamValue] = {"status": ["processing", "completed"], "per_page": 5}
    assert flatten_params(params) == [
        ("status[0]", "processing"),
        ("status[1]", "completed"),
        ("per_page", "5"),
    ]
    base = signature_base_string("GET", ORDERS, params)
    assert base.endswith(
        "per_page%3D5%26status%255B0%255D%3Dprocessing%26status%255B1%255D%3Dcompleted"
    )
    assert woo_accepts("GET", signed_uri("GET", ORDERS, params), SECRET)
    # The same array written in the URL as status[]=…: the same $_GET, same signature.
    in_url = f"{ORDERS}?status[]=processing&status[]=completed&per_page=5"
    assert signature_base_string("GET", in_url, {}) == base


def test_arrays_keep_their_order_past_ten_items() -> None:
    # WooCommerce sorts only top-level names; status[10] stays after status[9]
    # (a generic RFC 5849 signer would sort "status%5B10%5D" before "status%5B2%5D").
    items = [f"s{i}" for i in range(12)]
    base = signature_base_string("GET", ORDERS, {"status": items})
    assert base.index("status%255B9%255D") < base.index("status%255B10%255D")
    assert woo_accepts("GET", signed_uri("GET", ORDERS, {"status": items}), SECRET)


def test_nested_mappings_and_php_name_rules() -> None:
    params: dict[str, ParamValue] = {
        "filter": {"period": "week", "ids": [3, 1]},
        "a.b": "dot",  # PHP reads a.b as a_b, and so must the signature
        "meta key": "space",
    }
    assert ("filter[ids][1]", "1") in flatten_params(params)
    assert woo_accepts("GET", signed_uri("GET", ORDERS, params), SECRET)
    base = signature_base_string("GET", ORDERS, params)
    assert "a_b%3Ddot" in base
    assert "meta_key%3Dspace" in base
    assert "filter%255Bids%255D%255B0%255D%3D3" in base


def test_top_level_names_sort_by_byte_value() -> None:
    params: dict[str, ParamValue] = {"b": "1", "a_b": "1", "aB": "1", "A": "1", "a": "1", "Z9": "1"}
    base = signature_base_string("GET", ORDERS, params)
    names = [pair.split("%3D")[0] for pair in base.split("&", 2)[2].split("%26")]
    assert names == ["A", "Z9", "a", "aB", "a_b", "b"]


@pytest.mark.parametrize(
    ("value", "encoded_once"),
    [
        ("a b", "a%20b"),
        ("~", "~"),
        ("*", "%2A"),
        ("+", "%2B"),
        ("a&b=c", "a%26b%3Dc"),
        ("ü€", "%C3%BC%E2%82%AC"),
        ("-._", "-._"),
        ("100%", "100%25"),
        ("", ""),
    ],
)
def test_rfc3986_encoding_of_values(value: str, encoded_once: str) -> None:
    base = signature_base_string("GET", ORDERS, {"search": value})
    # The pair is encoded, then the whole pair again: '%' shows as '%25'.
    assert base.endswith("&search%3D" + encoded_once.replace("%", "%25"))
    for plus in (False, True):
        oauth = oauth1_params("GET", ORDERS, {"search": value}, CREDS)
        uri = request_uri(ORDERS, [("search", value), *oauth.items()], plus=plus)
        assert woo_accepts("GET", uri, SECRET)


def test_the_wire_form_httpx_builds_verifies() -> None:
    params: dict[str, ParamValue] = {"search": "Zoë & co ~*+", "status": ["on-hold", "any"]}
    oauth = oauth1_params("GET", ORDERS, params, CREDS)
    url = httpx.URL(ORDERS).copy_merge_params([*flatten_params(params), *oauth.items()])
    assert woo_accepts("GET", url.raw_path.decode("ascii"), SECRET)


def test_a_subdirectory_install_verifies() -> None:
    home = "https://x.example/shop"
    url = endpoint_url(api_root(home, AuthMode.OAUTH1), "orders/12")
    oauth = oauth1_params("PUT", url, {}, CREDS)
    assert woo_accepts("PUT", request_uri(url, list(oauth.items())), SECRET, home=home)


_names = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=8).filter(
    lambda s: "[" not in s and "]" not in s and s.lstrip(" ").replace(".", "_") != ""
)
_scalars = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=10), st.integers())
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=12),
    st.dictionaries(_names, _scalars, max_size=3),
)


@given(st.dictionaries(_names, _values, max_size=6), st.sampled_from(["GET", "POST"]))
def test_woocommerce_accepts_any_params(params: dict[str, ParamValue], method: str) -> None:
    assert woo_accepts(method, signed_uri(method, ORDERS, params), SECRET)


def test_param_names_must_be_plain() -> None:
    with pytest.raises(ConfigurationError, match="plain"):
        flatten_params({"status[]": ["a"]})
    with pytest.raises(ConfigurationError, match="plain"):
        flatten_params({"": "x"})
    with pytest.raises(ConfigurationError, match="plain"):
        flatten_params({"meta": {"a]b": "x"}})


def test_unknown_signature_method_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="HMAC-SHA1 or HMAC-SHA256"):
        oauth1_params("GET", ORDERS, {}, CREDS, signature_method="PLAINTEXT")
    with pytest.raises(ConfigurationError, match="HMAC-SHA1 or HMAC-SHA256"):
        OAuth1Signer(CREDS, signature_method="RSA-SHA1")


# --- the signer ---------------------------------------------------------------------


def test_signer_uses_the_injected_clock_and_nonces() -> None:
    nonces = iter(["n1", "n2"])
    # An aware wall clock, in any zone: the timestamp is its whole seconds since the epoch.
    plus_ten = timezone(timedelta(hours=10))
    now = datetime.fromtimestamp(1795745335.9, plus_ten)
    signer = OAuth1Signer(CREDS, clock=lambda: now, nonce_factory=lambda: next(nonces))
    first = signer.sign("GET", ORDERS, {"page": 1})
    second = signer.sign("GET", ORDERS, {"page": 1})
    assert (first["oauth_nonce"], second["oauth_nonce"]) == ("n1", "n2")
    assert first["oauth_timestamp"] == second["oauth_timestamp"] == "1795745335"
    assert first["oauth_signature"] != second["oauth_signature"]
    assert first == oauth1_params(
        "GET", ORDERS, {"page": 1}, CREDS, timestamp=1795745335, nonce="n1"
    )


def test_signer_refuses_a_naive_clock() -> None:
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        OAuth1Signer(CREDS, clock=lambda: datetime(2026, 11, 27, 9, 0))


def test_signer_never_reuses_a_nonce() -> None:
    signer = OAuth1Signer(CREDS)
    nonces = {signer.sign("GET", ORDERS)["oauth_nonce"] for _ in range(200)}
    assert len(nonces) == 200
    assert all(re.fullmatch(r"[0-9a-f]{32}", n) for n in nonces)
    stuck = OAuth1Signer(CREDS, nonce_factory=lambda: "same")
    stuck.sign("GET", ORDERS)
    with pytest.raises(ConfigurationError, match="already used"):
        stuck.sign("GET", ORDERS)


# --- modes and URLs -----------------------------------------------------------------


def test_default_modes() -> None:
    assert choose_auth_mode("https://shop.example", None) is AuthMode.BASIC
    assert choose_auth_mode("http://127.0.0.1:8080", None) is AuthMode.OAUTH1
    assert choose_auth_mode("HTTP://shop.example") is AuthMode.OAUTH1
    for mode in AuthMode:
        assert choose_auth_mode("https://shop.example", mode) is mode
    assert choose_auth_mode("https://shop.example", "query") is AuthMode.QUERY
    assert choose_auth_mode("http://shop.example", AuthMode.OAUTH1) is AuthMode.OAUTH1


@pytest.mark.parametrize("mode", [AuthMode.BASIC, AuthMode.QUERY])
def test_key_modes_are_refused_over_plain_http(mode: AuthMode) -> None:
    with pytest.raises(ConfigurationError) as info:
        choose_auth_mode("http://shop.example", mode)
    message = str(info.value)
    assert "silently ignores" in message
    assert "OAUTH1" in message
    assert "https://" in message


def test_application_passwords_are_refused_over_plain_http() -> None:
    with pytest.raises(ConfigurationError, match=r"application passwords.*HTTPS"):
        choose_auth_mode("http://shop.example", AuthMode.APP_PASSWORD)


def test_bad_scheme_or_mode() -> None:
    with pytest.raises(ConfigurationError, match="https:// or http://"):
        choose_auth_mode("shop.example")
    with pytest.raises(ConfigurationError, match="unknown auth mode"):
        choose_auth_mode("https://shop.example", "jwt")


@pytest.mark.parametrize(
    ("base", "root"),
    [
        ("https://shop.example", "https://shop.example/wp-json/wc/v3"),
        ("https://shop.example/", "https://shop.example/wp-json/wc/v3"),
        ("https://x.example/shop", "https://x.example/shop/wp-json/wc/v3"),
        ("https://x.example/shop/", "https://x.example/shop/wp-json/wc/v3"),
        ("https://shop.example/wp-json", "https://shop.example/wp-json/wc/v3"),
        ("https://shop.example/wp-json/", "https://shop.example/wp-json/wc/v3"),
        ("https://shop.example/wp-json/wc/v3", "https://shop.example/wp-json/wc/v3"),
        ("https://x.example/shop/wp-json/wc/v3/", "https://x.example/shop/wp-json/wc/v3"),
        ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080/wp-json/wc/v3"),
        (" https://shop.example ", "https://shop.example/wp-json/wc/v3"),
    ],
)
def test_api_root(base: str, root: str) -> None:
    assert api_root(base, AuthMode.BASIC) == root


@pytest.mark.parametrize(
    "base",
    [
        "https://shop.example/wp-json/wc/v2",
        "https://shop.example/wp-json/wc/v3/orders",
        "https://shop.example?x=1",
        "https://shop.example#top",
        "ftp://shop.example",
        "https://",
    ],
)
def test_api_root_refuses(base: str) -> None:
    with pytest.raises(ConfigurationError):
        api_root(base, AuthMode.BASIC)


def test_rest_route_form() -> None:
    root = api_root("https://x.example/shop", AuthMode.APP_PASSWORD, rest_route=True)
    assert root == "https://x.example/shop/index.php?rest_route=/wc/v3"
    assert endpoint_url(root, "orders/12") == (
        "https://x.example/shop/index.php?rest_route=/wc/v3/orders/12"
    )
    for mode in (AuthMode.OAUTH1, AuthMode.BASIC, AuthMode.QUERY):
        with pytest.raises(ConfigurationError, match="wp-json/wc/"):
            api_root("https://shop.example", mode, rest_route=True)


def test_endpoint_url() -> None:
    root = api_root("https://shop.example", AuthMode.BASIC)
    assert endpoint_url(root, "orders/12") == "https://shop.example/wp-json/wc/v3/orders/12"
    assert endpoint_url(root, "/orders/12/refunds/") == f"{root}/orders/12/refunds"
    assert endpoint_url(root + "/", "orders") == f"{root}/orders"
    assert endpoint_url(root, "a b/c&d") == f"{root}/a%20b/c%26d"
    for bad in ("../users", "orders?page=2", "orders#x"):
        with pytest.raises(ConfigurationError):
            endpoint_url(root, bad)


def test_basic_and_query_auth() -> None:
    assert basic_auth_header("ck_x", "cs_y") == "Basic " + base64.b64encode(b"ck_x:cs_y").decode()
    assert (
        basic_auth_header("Zoë", "abcd efgh")
        == "Basic " + base64.b64encode("Zoë:abcd efgh".encode()).decode()
    )
    with pytest.raises(ConfigurationError):
        basic_auth_header("a:b", "c")
    assert query_auth_params(CREDS) == {"consumer_key": KEY, "consumer_secret": SECRET}


# --- Link headers, stripping and redaction -----------------------------------------


def test_parse_link_header() -> None:
    value = '<https://s/x?page=1>; rel="prev", <https://s/x?page=3>; rel=next, <https://s/>; rel="https://api.w.org/"'
    assert parse_link_header(value) == {
        "prev": "https://s/x?page=1",
        "next": "https://s/x?page=3",
        "https://api.w.org/": "https://s/",
    }
    assert parse_link_header("") == {}
    assert parse_link_header('<https://s/a>; rel="next last"') == {
        "next": "https://s/a",
        "last": "https://s/a",
    }


def test_strip_auth_params_keeps_everything_else_byte_for_byte() -> None:
    url = (
        f"{ORDERS}?a=1&oauth_nonce=n&consumer_key=ck&consumer_secret=cs&status%5B0%5D=x"
        "&oauth_signature=s%3D&OAUTH_TOKEN=t&oauth%5Fversion=1.0&b=%20"
    )
    assert strip_auth_params(url) == f"{ORDERS}?a=1&status%5B0%5D=x&b=%20"
    assert strip_auth_params(ORDERS) == ORDERS
    assert strip_auth_params(f"{ORDERS}?oauth_nonce=n") == ORDERS


@requires_shared
@pytest.mark.fixtures
def test_following_the_real_next_link() -> None:
    capture = load(REAL / "orders_list_follow_link_as_is_401.json")
    assert capture["status"] == 401  # what following it as-is got from the real store
    stripped = strip_auth_params(capture["link_url"])
    assert stripped == (
        "http://127.0.0.1:8080/wp-json/wc/v3/orders?per_page=5&page=3&orderby=id&order=asc"
        "&status%5B0%5D=processing&status%5B1%5D=completed&dp=2&context=view"
    )
    # Signed afresh, the status array in the URL is signed as PHP reads it.
    oauth = oauth1_params("GET", stripped, {}, CREDS)
    base = signature_base_string("GET", stripped, dict(oauth))
    assert "status%255B1%255D%3Dcompleted" in base
    assert woo_accepts("GET", request_uri(stripped, list(oauth.items())), SECRET)


@requires_shared
@pytest.mark.fixtures
def test_real_link_headers() -> None:
    page2 = load(REAL / "orders_list_multi_status_page2.json")
    links = parse_link_header(page2["headers"]["Link"])
    assert set(links) == {"prev", "next"}
    assert "page=3" in links["next"]
    query_auth = load(REAL / "orders_list_https_query_auth.json")
    next_url = parse_link_header(query_auth["headers"]["Link"])["next"]
    leaked = dict(parse_qsl(urlsplit(next_url).query))["consumer_secret"]
    assert leaked in next_url  # the store really does repeat the secret
    assert leaked not in strip_auth_params(next_url)
    assert leaked not in redact_url(next_url)
    assert "consumer_secret=<redacted>" in redact_url(next_url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{ORDERS}?consumer_key={KEY}&consumer_secret={SECRET}&page=2",
            f"{ORDERS}?consumer_key=ck_012…&consumer_secret=<redacted>&page=2",
        ),
        (
            f"{ORDERS}?oauth_signature=abc%3D&access_token=t&refresh_token=r&client_secret=c"
            "&password=p",
            f"{ORDERS}?oauth_signature=<redacted>&access_token=<redacted>&refresh_token=<redacted>"
            "&client_secret=<redacted>&password=<redacted>",
        ),
        (f"https://{KEY}:{SECRET}@shop.example/x", "https://shop.example/x"),
        ("https://shop.example/x?page=2", "https://shop.example/x?page=2"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


# --- secrets stay secret ------------------------------------------------------------


def test_credentials_never_show_the_secret() -> None:
    for text in (repr(CREDS), str(CREDS), repr(OAuth1Signer(CREDS)), f"{CREDS!r}"):
        assert SECRET not in text
        assert "<redacted>" in text
        assert KEY not in text
    assert repr(CREDS) == "WooCredentials(consumer_key='ck_012…', consumer_secret=<redacted>)"


@pytest.mark.parametrize(
    ("key", "secret"),
    [("", SECRET), (KEY, ""), (KEY, f" {SECRET}"), (KEY, f"{SECRET}\n"), ("a:b", SECRET)],
)
def test_bad_credentials_are_refused_without_showing_them(key: str, secret: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        WooCredentials(key, secret)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_errors_never_show_the_secret() -> None:
    errors: list[HikeWooError] = []
    calls: list[Callable[[], object]] = [
        lambda: api_root(f"https://{KEY}:{SECRET}@shop.example", AuthMode.BASIC),
        lambda: api_root(f"https://shop.example?consumer_secret={SECRET}", AuthMode.BASIC),
        lambda: choose_auth_mode(f"ftp://shop.example/?consumer_secret={SECRET}"),
        lambda: api_root(
            f"https://shop.example/wp-json/wc/v2?consumer_secret={SECRET}", AuthMode.QUERY
        ),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError) as info:
            call()
        errors.append(info.value)
    for error in errors:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
