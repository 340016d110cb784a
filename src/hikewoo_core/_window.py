"""Which WooCommerce orders a read or a lookup covers (pure).

The bounds used to be four keyword arguments of every ``read_orders`` (the port, both
clients, the fake) and two of every ``find_orders_by_meta``, each implementation
checking them its own way. They are one value now, checked once, where it is made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._datetimes import require_aware
from ._errors import ConfigurationError


def _aware(_window: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        require_aware(attribute.name, value)


def _channel(_window: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(f"created_via must be a non-empty string or None, got {value!r}")


def order_window(window: object, method: str) -> OrderWindow:
    """``window`` checked (an :class:`OrderWindow`, or ``None`` for every order):
    anything else, such as an old caller's datetime, is a :class:`TypeError`."""
    if window is None:
        return OrderWindow()
    if not isinstance(window, OrderWindow):
        raise TypeError(
            f"{method} takes an OrderWindow, e.g. {method}(OrderWindow(modified_after=...)), "
            f"got {type(window).__name__}"
        )
    return window


@attrs.frozen(kw_only=True)
class OrderWindow:
    """The WooCommerce orders modified in ``[modified_after, modified_before)`` and
    created in ``[created_after, created_before)``, through the channel ``created_via``
    (the order's field: ``checkout``, ``admin``, ``hike``...) when that is given.

    ``*_after`` bounds are inclusive and ``*_before`` bounds exclusive; a bound left
    ``None`` is open, except that a read with no ``modified_before`` ends with the
    reader's current second (WooCommerce stamps whole seconds), so that an order changed
    after the read began is left for the next read. Bounds must be timezone-aware: a
    naive one (which WooCommerce would read as the shop's local time) raises
    :class:`~hikewoo_core.ConfigurationError` here, before anything is sent.

    >>> from datetime import datetime, timezone
    >>> new_year = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> window = OrderWindow(created_after=new_year, created_via="hike")
    >>> [window.contains(new_year, new_year, via) for via in ("hike", "admin")]
    [True, False]
    """

    modified_after: datetime | None = attrs.field(default=None, validator=_aware)
    modified_before: datetime | None = attrs.field(default=None, validator=_aware)
    created_after: datetime | None = attrs.field(default=None, validator=_aware)
    created_before: datetime | None = attrs.field(default=None, validator=_aware)
    created_via: str | None = attrs.field(default=None, validator=_channel)

    def contains(self, modified: datetime, created: datetime, created_via: str) -> bool:
        """Whether an order stamped ``modified`` and ``created`` (aware), created through
        ``created_via``, is inside; an open ``modified_before`` is no bound here."""
        return (
            (self.created_via is None or created_via == self.created_via)
            and (self.modified_after is None or modified >= self.modified_after)
            and (self.modified_before is None or modified < self.modified_before)
            and (self.created_after is None or created >= self.created_after)
            and (self.created_before is None or created < self.created_before)
        )
