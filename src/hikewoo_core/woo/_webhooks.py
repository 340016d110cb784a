"""Verify and de-duplicate WooCommerce webhook deliveries (pure, no I/O).

A delivery is a POST whose raw body WooCommerce signs as
``base64(HMAC-SHA256(body, secret))`` in ``X-WC-Webhook-Signature``. Verify the
bytes exactly as received, before any JSON parsing: re-encoding changes them.

Answering: WooCommerce disables a webhook after more than 5 consecutive failed
deliveries (any status outside 200-302). Answer 401 to a
:class:`~hikewoo_core.WebhookSignatureError`; for a delivery that verified but does
not parse (:class:`~hikewoo_core.PayloadError`), record it and still answer 200.

De-duplication: ``X-WC-Webhook-Delivery-ID`` is ``wp_hash(webhook_id . time())``,
so it repeats within a second, even across orders, and one change may be delivered
twice. ``date_modified_gmt`` has one-second resolution: a refund or a status change
in the same second as the previous delivery keeps it. Only the body tells two
deliveries apart, so :attr:`WooWebhookEvent.dedup_key` ends with its digest. Only the
body is signed: the topic headers are no part of the key, and a delivery the sync
ignores (another topic, a deletion, a REST error body) records no key at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from .._convert import JsonLoads, decode_json, describe, parse_utc
from .._errors import ConfigurationError, PayloadError, WebhookSignatureError
from ._convert import parse_woo_order
from ._models import WooOrder

__all__ = [
    "WooWebhookEvent",
    "verify_woo_webhook",
    "SeenStore",
    "WebhookDeduplicator",
]

_PING = re.compile(rb"webhook_id=([0-9]{1,19})")
_WHAT = "WooCommerce webhook"


@attrs.frozen
class WooWebhookEvent:
    """One verified delivery (or an activation ping).

    ``topic`` is ``resource.event`` (``"order.updated"``), or ``"ping"``. ``order``
    is parsed for order topics other than ``order.deleted`` (whose body is only
    ``{"id": N}``); ``payload`` is the decoded body for any topic (``None`` for a
    ping). ``body_digest`` is the SHA-256 hex digest of the raw body. The ``repr``
    leaves out the order and payload, which hold customer data.

    ``error_code`` is set when the signed body is a WordPress REST error instead of the
    resource: WooCommerce builds the body when it *sends* a queued delivery, so an
    ``order.updated`` queued before the order was deleted for good goes out with
    ``{"code": "woocommerce_rest_shop_order_invalid_id", ...}`` and no order id
    (seen on a real 10.0.2 store). Such an event has no ``order`` and no ``resource_id``.
    """

    topic: str
    resource: str
    event: str
    webhook_id: int | None
    delivery_id: str | None
    source: str | None
    is_ping: bool
    order: WooOrder | None = attrs.field(repr=False)
    resource_id: int | None
    date_modified_gmt: datetime | None
    body_digest: str
    payload: Any = attrs.field(default=None, eq=False, repr=False)
    error_code: str | None = None

    @property
    def is_error(self) -> bool:
        """Whether the signed body is a REST error instead of the resource."""
        return self.error_code is not None

    @property
    def dedup_key(self) -> str:
        """Equal for two deliveries exactly when they carry the same signed news.

        ``"woo:{resource_id}:{version}:{body_digest}"``, built from the signed body
        alone: ``resource_id`` and ``version`` (``date_modified_gmt`` in ISO form) are
        read from it. The topic, resource and event headers are *not* signed, so they
        are no part of it: a signed body replayed under a forged topic cannot claim the
        key of the genuine delivery. For bodies without a modification time
        (``deleted``, ``action.*``), ``version`` is ``delivery-<X-WC-Webhook-Delivery-ID>``
        so that a second trash of the same order is not mistaken for the first. A
        missing part is ``-``. Replays of a delivery and same-state repeats
        (``order.created`` followed by an identical ``order.updated``) share a key;
        deliveries whose bodies differ never do, whatever their headers.
        """
        if self.date_modified_gmt is not None:
            version = self.date_modified_gmt.isoformat()
        else:
            version = f"delivery-{self.delivery_id}" if self.delivery_id else "-"
        rid = "-" if self.resource_id is None else str(self.resource_id)
        return f"woo:{rid}:{version}:{self.body_digest}"


def _text(value: object) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _header_values(
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
) -> dict[str, list[str]]:
    items: Iterable[tuple[object, object]] = (
        headers.items() if isinstance(headers, Mapping) else headers
    )
    found: dict[str, list[str]] = {}
    for name, value in items:
        found.setdefault(_text(name).strip().lower(), []).append(_text(value).strip())
    return found


def _single(found: Mapping[str, list[str]], name: str) -> str | None:
    values = found.get(name.lower())
    if not values:
        return None
    if len(set(values)) > 1:
        raise WebhookSignatureError(
            f"{len(values)} different {name} headers; refusing the delivery"
        )
    return values[0]


def _decode_signature(value: str) -> bytes:
    try:
        given = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise WebhookSignatureError(
            "X-WC-Webhook-Signature is not valid base64; refusing the delivery"
        ) from None
    if len(given) != hashlib.sha256().digest_size:
        raise WebhookSignatureError(
            f"X-WC-Webhook-Signature decodes to {len(given)} bytes, not the 32 of"
            " HMAC-SHA256 (is the woocommerce_webhook_hash_algorithm filter in use?)"
        )
    return given


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def verify_woo_webhook(
    body: bytes,
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
    secret: str,
    *,
    loads: JsonLoads | None = None,
) -> WooWebhookEvent:
    """Verify one delivery and parse it into a :class:`WooWebhookEvent`.

    ``body`` is the raw request body (``bytes``, never decoded text); ``headers``
    a mapping or ``(name, value)`` pairs, names in any case (``str`` or ``bytes``).
    ``secret`` is the webhook secret as entered in WooCommerce: WooCommerce signs
    with ``wp_specialchars_decode(secret, ENT_QUOTES)``, which gives back what was
    typed. ``loads`` decodes JSON (default :func:`json.loads`).

    An activation ping is recognised by its form body ``webhook_id=<digits>`` with
    no ``X-WC-Webhook-Signature``: WooCommerce sends it unsigned, so it is returned
    with ``is_ping=True`` and topic ``"ping"``, carries no data, and must only be
    answered 200. Anything else must carry a valid signature.

    Raises :class:`WebhookSignatureError` (fail closed) for a body that is not bytes,
    an empty secret, a missing, malformed or wrong signature; its message never
    holds the secret or the expected signature. Raises :class:`PayloadError` when a
    correctly signed body is not a JSON object, or not a valid order for an order
    topic (a REST error body is not an order and is not refused: see
    :attr:`WooWebhookEvent.error_code`).
    """
    given_body: object = body  # checked at run time: callers pass str by mistake
    given_secret: object = secret
    if not isinstance(given_body, (bytes, bytearray, memoryview)):
        raise WebhookSignatureError(
            f"the body must be the raw request bytes, not {type(given_body).__name__}: the"
            " signature covers the exact bytes received (use request.body / await"
            " request.body(), before any decoding or JSON parsing)"
        )
    raw = bytes(given_body)
    if not isinstance(given_secret, str) or not given_secret:
        raise WebhookSignatureError("no webhook secret configured; refusing every delivery")
    found = _header_values(headers)
    digest = hashlib.sha256(raw).hexdigest()
    signature = _single(found, "X-WC-Webhook-Signature")
    if signature is None:
        ping = _PING.fullmatch(raw)
        if ping is None:
            raise WebhookSignatureError("the delivery has no X-WC-Webhook-Signature header")
        return WooWebhookEvent(
            topic="ping",
            resource="webhook",
            event="ping",
            webhook_id=int(ping[1]),
            delivery_id=None,
            source=None,
            is_ping=True,
            order=None,
            resource_id=None,
            date_modified_gmt=None,
            body_digest=digest,
        )
    given = _decode_signature(signature)
    expected = hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise WebhookSignatureError(
            "X-WC-Webhook-Signature does not match: wrong secret, or the body was"
            " altered (verify the raw bytes as received, before any parsing)"
        )
    return _event(raw, found, digest, loads)


def _event(
    raw: bytes, found: Mapping[str, list[str]], digest: str, loads: JsonLoads | None
) -> WooWebhookEvent:
    topic = _single(found, "X-WC-Webhook-Topic") or ""
    resource, _, event = topic.partition(".")
    resource = _single(found, "X-WC-Webhook-Resource") or resource
    event = _single(found, "X-WC-Webhook-Event") or event
    if not resource or not event:
        raise PayloadError([("headers", "no X-WC-Webhook-Topic (resource.event)")], what=_WHAT)
    payload = decode_json(raw, loads, what=_WHAT)
    if not isinstance(payload, dict):
        raise PayloadError([("$", f"expected a JSON object, got {describe(payload)}")], what=_WHAT)
    order: WooOrder | None = None
    rid = payload.get("id")
    resource_id = rid if type(rid) is int else None
    modified: datetime | None = None
    error_code = _error_code(payload)
    if error_code is not None:
        resource_id = None
    elif resource == "order" and event != "deleted":
        order = parse_woo_order(payload)
        resource_id, modified = order.id, order.date_modified_gmt
    elif isinstance(payload.get("date_modified_gmt"), str):
        try:
            modified = parse_utc(payload["date_modified_gmt"])
        except ValueError:
            modified = None
    return WooWebhookEvent(
        topic=topic or f"{resource}.{event}",
        resource=resource,
        event=event,
        webhook_id=_int_or_none(_single(found, "X-WC-Webhook-ID")),
        delivery_id=_single(found, "X-WC-Webhook-Delivery-ID"),
        source=_single(found, "X-WC-Webhook-Source"),
        is_ping=False,
        order=order,
        resource_id=resource_id,
        date_modified_gmt=modified,
        body_digest=digest,
        payload=payload,
        error_code=error_code,
    )


def _error_code(payload: Mapping[str, Any]) -> str | None:
    """The ``code`` of a WordPress REST error body (``{"code", "message", "data"}``)."""
    if set(payload) != {"code", "message", "data"}:
        return None
    code, message = payload.get("code"), payload.get("message")
    return code if isinstance(code, str) and code and isinstance(message, str) else None


@runtime_checkable
class SeenStore(Protocol):
    """Somewhere to remember de-duplication keys (memory here; the ledger later)."""

    def add_if_new(self, key: str) -> bool:
        """Record ``key``; ``True`` if it was new, ``False`` if already there."""
        ...


class WebhookDeduplicator:
    """A bounded, thread-safe, in-memory LRU of seen :attr:`WooWebhookEvent.dedup_key`.

    Keeps the ``max_size`` most recently seen keys; a key seen again becomes most
    recent. Implements :class:`SeenStore`. Memory only: a restart forgets, so make
    processing idempotent and back this with the ledger for durability.
    """

    def __init__(self, max_size: int = 10_000) -> None:
        if max_size < 1:
            raise ConfigurationError(f"max_size must be at least 1, not {max_size}")
        self.max_size = max_size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def add_if_new(self, key: str) -> bool:
        """Record ``key``; ``True`` if it was new, ``False`` if already seen."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self.max_size:
                self._keys.popitem(last=False)
            return True

    def seen(self, event: WooWebhookEvent) -> bool:
        """``True`` if an equal delivery was seen before; records it otherwise."""
        return not self.add_if_new(event.dedup_key)
