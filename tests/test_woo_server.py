"""The loopback WooCommerce server answers as the real 10.0.2 store did (the captured fixtures)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

# Raw httpx requests with credentials in the query follow: install the filter that
# redacts httpx's own log lines, as importing the library's clients does.
from hikewoo_core._http import RedactHttpxLogs  # noqa: F401
from hikewoo_core.testing import FakeWooCommerce
from hikewoo_core.testing._fault_plan import FaultPlan
from hikewoo_core.testing._faults import HttpFault, HttpFaults
from hikewoo_core.testing._woo_server import serve_woo
from hikewoo_core.woo._auth import (
    OAuth1Signer,
    WooCredentials,
    basic_auth_header,
    flatten_params,
    parse_link_header,
)

from ._shared import REAL, load, requires_shared
from ._woo_loopback import NOW, HttpsToLoopback, body, seed, store, wall

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "woo-client.md"


def real(name: str) -> Any:
    return load(REAL / name)["body"]


def signed(
    url: str,
    params: dict[str, Any] | None = None,
    *,
    method: str = "GET",
    key: str = "ck_test",
    secret: str = "cs_test",  # noqa: S107 - the loopback server's test key
    clock: Any = wall,
) -> str:
    """``url`` with ``params`` (PHP arrays) and OAuth 1.0a parameters appended."""
    pairs = flatten_params(params or {})
    target = f"{url}?{urlencode(pairs, quote_via=quote)}" if pairs else url
    oauth = OAuth1Signer(WooCredentials(key, secret), clock=clock).sign(method, target)
    return f"{target}{'&' if pairs else '?'}{urlencode(oauth, quote_via=quote)}"


@contextmanager
def server(fake: FakeWooCommerce | None = None, **kw: Any) -> Iterator[tuple[str, httpx.Client]]:
    kw.setdefault("clock", wall)
    transport = HttpsToLoopback() if kw.get("https_terminated") else None
    with (
        serve_woo(fake or store(), **kw) as url,
        httpx.Client(transport=transport, trust_env=False) as http,
    ):
        home = url.replace("http://", "https://") if transport else url
        yield home + "/wp-json/wc/v3", http


# --- authentication -------------------------------------------------------------------------


@requires_shared
def test_plain_http_ignores_basic_and_query_keys() -> None:
    with server() as (api, http):
        basic = http.get(
            f"{api}/orders", headers={"Authorization": basic_auth_header("ck_test", "cs_test")}
        )
        keys = http.get(
            f"{api}/orders", params={"consumer_key": "ck_test", "consumer_secret": "cs_test"}
        )
        nothing = http.post(f"{api}/orders", json=body())
    assert (basic.status_code, basic.json()) == (401, real("auth_basic_over_plain_http_401.json"))
    assert (keys.status_code, keys.json()) == (401, real("auth_query_over_plain_http_401.json"))
    assert nothing.json()["code"] == "woocommerce_rest_cannot_create"


@requires_shared
def test_oauth_failures_answer_the_real_bodies() -> None:
    with server() as (api, http):
        orders = f"{api}/orders"
        bad = http.get(signed(orders, secret="cs_wrong"))
        missing = http.get(orders, params={"oauth_consumer_key": "ck_test"})
        unknown = http.get(signed(orders, key="ck_nobody"))
        stale = http.get(signed(orders, clock=lambda: NOW - timedelta(hours=1)))
        once = signed(orders, {"per_page": 2})
        first, replay = http.get(once), http.get(once)
    assert bad.json() == real("auth_oauth_bad_signature_401.json")
    assert missing.json() == real("auth_oauth_missing_params_401.json")
    assert unknown.json() == real("auth_oauth_unknown_key_401.json")
    assert stale.json() == real("auth_oauth_stale_timestamp_401.json")
    assert first.status_code == 200
    assert (replay.status_code, replay.json()) == (401, real("auth_oauth_nonce_replay_401.json"))


@requires_shared
def test_a_non_ascii_signature_or_secret_is_refused_not_a_server_error() -> None:
    """Found writing the benchmark server: ``hmac.compare_digest`` raises ``TypeError``
    on ``str`` outside ASCII, so these requests got a 500 from the served fake."""
    with server() as (api, http):
        good = signed(f"{api}/orders")
        forged = good.split("oauth_signature=")[0] + "oauth_signature=%C3%A9"
        signature = http.get(forged)
    with server(https_terminated=True) as (api, http):
        basic = basic_auth_header("ck_test", "\u00e9")
        secret = http.get(f"{api}/orders", headers={"Authorization": basic})
    assert (signature.status_code, signature.json()) == (
        401,
        real("auth_oauth_bad_signature_401.json"),
    )
    assert (secret.status_code, secret.json()["code"]) == (
        401,
        "woocommerce_rest_authentication_error",
    )


def test_oauth_in_an_authorization_header() -> None:
    with server() as (api, http):
        url = f"{api}/orders"
        oauth = OAuth1Signer(WooCredentials("ck_test", "cs_test"), clock=wall).sign("GET", url)
        header = "OAuth " + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in oauth.items())
        assert http.get(url, headers={"Authorization": header}).status_code == 200


@requires_shared
def test_https_keys_basic_and_application_passwords() -> None:
    fake = store()
    seed(fake, 1)
    with server(fake, https_terminated=True, app_passwords={"bot": "pw pw"}) as (api, http):
        good = http.get(
            f"{api}/orders/1", headers={"Authorization": basic_auth_header("ck_test", "cs_test")}
        )
        query = http.get(
            f"{api}/orders/1", params={"consumer_key": "ck_test", "consumer_secret": "cs_test"}
        )
        wrong = http.get(
            f"{api}/orders", headers={"Authorization": basic_auth_header("ck_test", "nope")}
        )
        unknown = http.get(
            f"{api}/orders", headers={"Authorization": basic_auth_header("bot", "bad")}
        )
        app = http.get(
            f"{api}/orders/1", headers={"Authorization": basic_auth_header("bot", "pw pw")}
        )
        home = api.removesuffix("/wp-json/wc/v3")
        routed = http.get(
            f"{home}/index.php",
            params={"rest_route": "/wc/v3/orders/1"},
            headers={"Authorization": basic_auth_header("ck_test", "cs_test")},
        )
    assert good.status_code == query.status_code == app.status_code == 200
    assert (wrong.status_code, wrong.json()) == (401, real("auth_basic_https_bad_secret_401.json"))
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert unknown.json()["code"] == "incorrect_password"
    assert routed.json()["code"] == "invalid_username"  # keys are not read on ?rest_route=


@requires_shared
def test_an_unknown_basic_key_is_no_user_at_all() -> None:
    with server(https_terminated=True) as (api, http):
        answer = http.get(
            f"{api}/orders", headers={"Authorization": basic_auth_header("ck_x", "cs_x")}
        )
    assert answer.json() == real("auth_basic_https_unknown_key_401.json")


# --- lists, paging, links -------------------------------------------------------------------


@requires_shared
def test_list_edges_match_the_real_store() -> None:
    fake = store()
    seed(fake, 3)
    with server(fake) as (api, http):
        too_big = http.get(signed(f"{api}/orders", {"per_page": 101}))
        past = http.get(signed(f"{api}/orders", {"per_page": 2, "page": 5}))
        last = http.get(signed(f"{api}/orders", {"per_page": 2, "page": 2}))
        missing = http.get(signed(f"{api}/orders/99999999"))
    assert (too_big.status_code, too_big.json()) == (
        400,
        real("orders_list_per_page_too_big_error.json"),
    )
    assert (past.status_code, past.json()) == (200, [])
    assert (past.headers["X-WP-Total"], past.headers["X-WP-TotalPages"]) == ("0", "0")
    assert (last.headers["X-WP-Total"], last.headers["X-WP-TotalPages"]) == ("3", "2")
    assert 'rel="prev"' in last.headers["Link"]
    assert 'rel="next"' not in last.headers["Link"]
    assert (missing.status_code, missing.json()) == (404, real("order_get_not_found_error.json"))


@requires_shared
def test_the_link_repeats_the_auth_and_following_it_as_is_fails() -> None:
    fake = store()
    seed(fake, 12)
    params = {
        "per_page": 5,
        "page": 2,
        "orderby": "id",
        "order": "asc",
        "status": "processing,completed",
    }
    with server(fake) as (api, http):
        url = signed(f"{api}/orders", params)
        page = http.get(url)
        links = parse_link_header(page.headers["Link"])
        as_is = http.get(links["next"])
        replay = http.get(url)
    nonce = re.search(r"oauth_nonce=([^&]+)", url)
    assert nonce is not None
    assert f"oauth_nonce={nonce.group(1)}" in links["next"]
    assert "status%5B0%5D=processing&status%5B1%5D=completed&dp=2&context=view" in links["next"]
    assert "page=3" in links["next"]
    assert "page=1" in links["prev"]
    assert [o["id"] for o in page.json()] == [6, 7, 8, 9, 10]
    assert (as_is.status_code, as_is.json()) == (
        401,
        real("orders_list_follow_link_as_is_401.json"),
    )
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."


def test_filters_as_woocommerce_applies_them() -> None:
    fake = store()
    ids = seed(fake, 6)
    fake.set_status(ids[2], "completed")
    made = fake.write_order(body(created_via="hike", meta_data=[{"key": "_ref", "value": "R"}]))
    with server(fake) as (api, http):

        def ids_of(params: dict[str, Any]) -> list[int]:
            answer = http.get(signed(f"{api}/orders", params))
            assert answer.status_code == 200, answer.text
            return [o["id"] for o in answer.json()]

        both = ids_of({"status": "processing,completed", "orderby": "id", "order": "asc"})
        arrays = ids_of({"status": ["processing", "completed"], "orderby": "id", "order": "asc"})
        after = ids_of(
            {
                "modified_after": "2026-11-27T02:08:11",
                "modified_before": "2026-11-27T02:08:16",
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
            }
        )
        hike = ids_of({"created_via": "hike"})
        picked = ids_of({"include": [ids[4], ids[1]], "exclude": [ids[1]]})
        trimmed = http.get(signed(f"{api}/orders", {"_fields": "id,status", "per_page": 1})).json()
    assert both == arrays == [*ids, made.id]
    assert after == [ids[3], ids[4], ids[5]]  # both bounds exclusive; ids[2] moved to :16
    assert hike == [made.id]
    assert picked == [ids[4]]
    assert set(trimmed[0]) == {"id", "status"}


@requires_shared
def test_writes_batches_and_refund_errors() -> None:
    fake = store()
    ids = seed(fake, 2)
    with server(fake) as (api, http):
        too_many = http.post(
            signed(f"{api}/orders/batch", method="POST"),
            json={"update": [{"id": ids[0], "status": "completed"}] * 101},
        )
        mixed = http.post(
            signed(f"{api}/orders/batch", method="POST"),
            json={
                "update": [
                    {"id": ids[0], "status": "completed"},
                    {"id": 99999999, "status": "completed"},
                ],
                "delete": [ids[1]],
            },
        )
        too_much = http.post(
            signed(f"{api}/orders/{ids[0]}/refunds", method="POST"),
            json={"amount": "9999.00", "reason": "too much", "api_refund": False},
        )
        no_order = http.get(signed(f"{api}/orders/424242/refunds"))
        bad_json = http.put(signed(f"{api}/orders/{ids[0]}", method="PUT"), content=b"{nope")
        nowhere = http.get(signed(f"{api}/coupons"))
    assert (too_many.status_code, too_many.json()) == (
        413,
        real("orders_batch_too_many_error_413.json"),
    )
    expected = real("orders_batch_update_delete_mixed.json")["update"][1]
    assert mixed.json()["update"][1] == expected
    assert mixed.json()["update"][0]["status"] == "completed"
    assert mixed.json()["delete"][0]["status"] == "trash"
    assert (too_much.status_code, too_much.json()) == (
        500,
        real("order_refund_too_much_error.json"),
    )
    assert (no_order.status_code, no_order.json()["data"]) == (500, 404)
    assert bad_json.json()["code"] == "rest_invalid_json"
    assert nowhere.json()["code"] == "rest_no_route"


# --- faults ---------------------------------------------------------------------------------


def test_scripted_faults() -> None:
    fake = store()
    seed(fake, 1)
    plan = FaultPlan().throttle(retry_after=7, method="GET").fail(503, path="orders/1", skip=1)
    plan.drop(method="GET", path="orders/1").slow(0.05, method="GET", path="orders/1", skip=1)
    with server(fake, faults=plan) as (api, http):
        throttled = http.get(signed(f"{api}/orders"))
        dropped = None
        try:
            http.get(signed(f"{api}/orders/1"))
        except httpx.RemoteProtocolError as exc:
            dropped = exc
        started = time.monotonic()
        failed = http.get(signed(f"{api}/orders/1"))
        slow = time.monotonic() - started
        fine = http.get(signed(f"{api}/orders/1"))
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    assert dropped is not None
    assert failed.status_code == 503
    assert fine.status_code == 200
    assert slow >= 0.05
    assert plan.pending == 0
    assert [r.path for r in plan.requests] == ["/wp-json/wc/v3/orders"] + [
        "/wp-json/wc/v3/orders/1"
    ] * 3


def test_a_write_performed_then_its_answer_lost() -> None:
    fake = store()
    plan = FaultPlan([HttpFault(drop=True, after=True, method="POST", path="orders")])
    with server(fake, faults=plan) as (api, http), pytest.raises(httpx.RemoteProtocolError):
        http.post(signed(f"{api}/orders", method="POST"), json=body())
    assert len(fake.orders()) == 1


def test_random_faults_are_seeded() -> None:
    def fired(seed_value: int) -> list[int]:
        plan = FaultPlan(seed=seed_value).randomly(0.5, statuses=(500, 503), drop=True)
        return [
            (f.status if not f.drop else 0) if (f := plan.take("GET", "/wc/v3/orders")) else 200
            for _ in range(40)
        ]

    assert fired(3) == fired(3) != fired(4)
    assert {0, 500, 503, 200} <= set(fired(3))
    assert isinstance(FaultPlan(), HttpFaults)  # serve_hike takes it too
    with pytest.raises(ValueError, match="rate"):
        FaultPlan().randomly(1.5)


def test_plans_match_methods_paths_skips_and_counts() -> None:
    plan = FaultPlan().fail(500, method="POST", path="orders", times=2, skip=1)
    got = [plan.take("POST", "/wc/v3/orders") for _ in range(4)]
    assert [f.status if f else None for f in got] == [None, 500, 500, None]
    assert plan.take("GET", "/wc/v3/orders") is None
    assert plan.pending == 0
    plan.on_request(lambda: None, times=None, method="GET")
    assert [len(plan.callbacks(m, "/x")) for m in ("GET", "POST", "GET")] == [1, 0, 1]


# --- the docs -------------------------------------------------------------------------------


@pytest.mark.skipif(not DOCS_PAGE.is_file(), reason="docs/woo-client.md not present")
def test_docs_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOCS_PAGE), "exec"), {})  # noqa: S102 - our own docs
