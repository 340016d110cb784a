"""Webhook verification: the holes mutation testing found (see docs/testing.md).

Each test names the rule it protects. The rules are those of the module docstring of
``hikewoo_core.woo._webhooks``: verify the raw bytes, fail closed and say why, tell a
ping from a delivery, read the topic from its headers, keep every distinct delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from hikewoo_core._errors import ConfigurationError, PayloadError, WebhookSignatureError
from hikewoo_core.woo._webhooks import WebhookDeduplicator, verify_woo_webhook

SECRET = "whsec-mutants"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed(body: bytes, **headers: str) -> dict[str, str]:
    return {"X-WC-Webhook-Signature": sign(body), **headers}


def refused(body: Any, headers: Any, secret: Any = SECRET) -> str:
    with pytest.raises(WebhookSignatureError) as info:
        verify_woo_webhook(body, headers, secret)
    return str(info.value)


def bad_payload(body: bytes, headers: dict[str, str]) -> PayloadError:
    with pytest.raises(PayloadError) as info:
        verify_woo_webhook(body, headers, SECRET)
    return info.value


PRODUCT = json.dumps({"id": 5, "date_modified_gmt": "2026-11-27T02:08:11"}).encode()


# -- fail closed, and say why ------------------------------------------------------------


def test_webhook_rule_a_signature_with_characters_outside_base64_is_refused() -> None:
    """Fail closed: junk inside the signature is refused, never skipped by a lenient decoder
    (which would accept the delivery, the 32 bytes around the junk being right)."""
    body = PRODUCT
    good = sign(body)
    for junk in (good[:10] + "!" + good[10:], good[:20] + " " + good[20:], "*" + good):
        message = refused(body, {"X-WC-Webhook-Signature": junk})
        assert message == "X-WC-Webhook-Signature is not valid base64; refusing the delivery"


def test_webhook_rule_each_refusal_says_exactly_why() -> None:
    """Fail closed and say why: each refusal has its own message (and never the secret)."""
    body = PRODUCT
    assert refused(body, {"X-WC-Webhook-Signature": base64.b64encode(b"x" * 20).decode()}) == (
        "X-WC-Webhook-Signature decodes to 20 bytes, not the 32 of HMAC-SHA256 (is the "
        "woocommerce_webhook_hash_algorithm filter in use?)"
    )
    assert refused(body.decode(), signed(body)) == (
        "the body must be the raw request bytes, not str: the signature covers the exact bytes"
        " received (use request.body / await request.body(), before any decoding or JSON "
        "parsing)"
    )
    assert refused(body, signed(body), "") == (
        "no webhook secret configured; refusing every delivery"
    )
    assert refused(body, {}) == "the delivery has no X-WC-Webhook-Signature header"
    assert refused(body, signed(body), SECRET + "x") == (
        "X-WC-Webhook-Signature does not match: wrong secret, or the body was altered (verify "
        "the raw bytes as received, before any parsing)"
    )


# -- pings -----------------------------------------------------------------------------


def test_webhook_rule_an_unsigned_activation_ping_is_a_ping_of_the_webhook_resource() -> None:
    """A ping is recognised, named ``webhook``/``ping``, and carries nothing to sync."""
    event = verify_woo_webhook(b"webhook_id=7", {}, SECRET)
    assert (event.topic, event.resource, event.event, event.is_ping) == (
        "ping",
        "webhook",
        "ping",
        True,
    )
    assert event.dedup_key == f"woo:-:-:{hashlib.sha256(b'webhook_id=7').hexdigest()}"


def test_webhook_rule_a_delivery_is_never_a_ping() -> None:
    """A signed delivery says ``is_ping`` False, not merely something falsy."""
    event = verify_woo_webhook(PRODUCT, signed(PRODUCT, **{"X-WC-Webhook-Topic": "p.u"}), SECRET)
    assert event.is_ping is False


# -- the topic headers -------------------------------------------------------------------


def test_webhook_rule_resource_and_event_headers_make_the_topic_without_a_topic_header() -> None:
    """Topic: ``X-WC-Webhook-Resource`` and ``X-WC-Webhook-Event`` are enough, and name it."""
    headers = signed(
        PRODUCT, **{"X-WC-Webhook-Resource": "product", "X-WC-Webhook-Event": "updated"}
    )
    event = verify_woo_webhook(PRODUCT, headers, SECRET)
    assert (event.topic, event.resource, event.event) == ("product.updated", "product", "updated")


def test_webhook_rule_the_resource_is_what_comes_before_the_first_dot_of_the_topic() -> None:
    """Topic ``resource.event``: an action's event may hold dots, the resource never does."""
    body = b'{"action":"my.plugin.hook"}'
    event = verify_woo_webhook(
        body, signed(body, **{"X-WC-Webhook-Topic": "action.my.plugin.hook"}), SECRET
    )
    assert (event.resource, event.event) == ("action", "my.plugin.hook")


@pytest.mark.parametrize("topic", ["order", "order.", ".updated"])
def test_webhook_rule_a_topic_without_resource_or_event_is_refused(topic: str) -> None:
    """Topic ``resource.event``: both parts are needed; the problem is named at ``headers``."""
    error = bad_payload(PRODUCT, signed(PRODUCT, **{"X-WC-Webhook-Topic": topic}))
    assert error.problems == (("headers", "no X-WC-Webhook-Topic (resource.event)"),)
    assert str(error) == (
        "invalid WooCommerce webhook: 1 problem\n  headers: no X-WC-Webhook-Topic (resource.event)"
    )


def test_webhook_rule_a_signed_body_that_is_not_an_object_is_named_as_a_webhook_problem() -> None:
    """The problem names the webhook and what was found instead of an object."""
    body = b"[1, 2]"
    error = bad_payload(body, signed(body, **{"X-WC-Webhook-Topic": "order.updated"}))
    assert str(error) == (
        "invalid WooCommerce webhook: 1 problem\n  $: expected a JSON object, got an array"
    )
    body = b"{nope"
    error = bad_payload(body, signed(body, **{"X-WC-Webhook-Topic": "order.updated"}))
    assert str(error).startswith("invalid WooCommerce webhook: 1 problem\n  $: not valid JSON")


# -- the resource id and REST error bodies -----------------------------------------------------


@pytest.mark.parametrize("rid", ["5", True, 5.0, None])
def test_webhook_rule_only_an_integer_id_is_a_resource_id(rid: object) -> None:
    """De-duplication keys use the resource id only when the body gives a JSON integer."""
    body = json.dumps({"id": rid, "name": "Mug"}).encode()
    event = verify_woo_webhook(body, signed(body, **{"X-WC-Webhook-Topic": "p.updated"}), SECRET)
    assert event.resource_id is None
    assert event.dedup_key.startswith("woo:-:")


@pytest.mark.parametrize(
    "payload",
    [
        {"code": 5, "message": "m", "data": None},
        {"code": "c", "message": 5, "data": None},
        {"code": "", "message": "m", "data": None},
    ],
)
def test_webhook_rule_only_a_real_rest_error_body_is_taken_for_an_error(payload: Any) -> None:
    """A REST error body is ``{"code": <non-empty str>, "message": <str>, "data"}``;
    a body that only looks like one is the resource itself."""
    body = json.dumps(payload).encode()
    event = verify_woo_webhook(body, signed(body, **{"X-WC-Webhook-Topic": "p.updated"}), SECRET)
    assert event.error_code is None
    assert not event.is_error


# -- de-duplication --------------------------------------------------------------------------


def test_webhook_rule_the_deduplicator_remembers_ten_thousand_keys_by_default() -> None:
    """De-duplication memory: the documented 10,000 most recent keys, no fewer, no more."""
    dedup = WebhookDeduplicator()
    for i in range(10_000):
        dedup.add_if_new(str(i))
    assert "0" in dedup
    dedup.add_if_new("one more")
    assert "0" not in dedup
    assert len(dedup) == 10_000


def test_webhook_rule_a_deduplicator_of_one_key_is_allowed_and_none_is_refused() -> None:
    """The smallest memory is one key; zero is refused with a message that says so."""
    dedup = WebhookDeduplicator(max_size=1)
    assert dedup.add_if_new("a")
    assert not dedup.add_if_new("a")
    assert dedup.add_if_new("b")
    assert "a" not in dedup
    with pytest.raises(ConfigurationError) as info:
        WebhookDeduplicator(max_size=0)
    assert str(info.value) == "max_size must be at least 1, not 0"


@pytest.mark.parametrize(
    "header",
    [
        "X-WC-Webhook-Signature",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Resource",
        "X-WC-Webhook-Event",
        "X-WC-Webhook-ID",
        "X-WC-Webhook-Delivery-ID",
        "X-WC-Webhook-Source",
    ],
)
def test_webhook_rule_a_header_repeated_with_different_values_is_refused_by_its_name(
    header: str,
) -> None:
    """Fail closed and say why: a delivery repeating a header with two values is refused,
    and the refusal names the header as WooCommerce spells it."""
    base = {"X-WC-Webhook-Signature": sign(PRODUCT), "X-WC-Webhook-Topic": "product.updated"}
    first = base.get(header, "1")
    headers = [(k, v) for k, v in base.items() if k != header]
    headers += [(header, first), (header, first + "x")]
    with pytest.raises(WebhookSignatureError) as info:
        verify_woo_webhook(PRODUCT, headers, SECRET)
    assert str(info.value) == f"2 different {header} headers; refusing the delivery"
