"""The retry policy: pure arithmetic, no I/O, no httpx.

:class:`RetryPolicy` decides *how long* to wait before the next attempt (exponential
backoff with jitter, never less than a server's ``Retry-After``, within a total time
budget). *Whether* a failure may be retried at all depends on the request and the
failure, and is decided by the request flow in :mod:`hikewoo_core._http`.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, TypeAlias

import attrs

from ._datetimes import assume_utc
from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_SETTLE_POLICY",
    "RETRY_SAFE_METHODS",
    "RetryPolicy",
    "Rng",
    "SettlePolicy",
    "parse_http_date",
    "parse_retry_after",
]

#: Methods retried by default. PUT and DELETE are idempotent in HTTP semantics, but
#: WooCommerce and Hike side effects (stock, emails, notes) make us opt in per request.
RETRY_SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})

#: A source of uniform numbers in ``[0, 1)``: a :class:`random.Random` or a callable.
Rng: TypeAlias = random.Random | Callable[[], float]

_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def _uniform(rng: Rng) -> float:
    return rng.random() if isinstance(rng, random.Random) else rng()


@attrs.frozen
class RetryPolicy:
    """How often and how long to retry a failed request.

    ``attempts`` counts every request sent, the first included (``1`` = no retries).
    The wait after the *n*-th failure is ``initial * multiplier ** (n - 1)`` plus a
    uniform jitter in ``[0, jitter)``, capped at ``maximum``. A server's
    ``Retry-After`` is a floor, not a suggestion. ``timeout`` is the total time
    budget in seconds, measured from the first attempt: waits are cut to what is
    left of it, and a ``Retry-After`` beyond it ends the retries at once.
    ``retry_statuses`` are the HTTP statuses worth another attempt.
    """

    attempts: int = 5
    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    timeout: float = 120.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    #: A policy that sends each request once (for tests and for callers who retry
    #: at a higher level).
    NONE: ClassVar[RetryPolicy]

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigurationError(f"attempts must be at least 1, got {self.attempts}")
        for name in ("initial", "maximum", "jitter", "timeout"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigurationError(f"{name} must be finite and >= 0, got {value}")
        if not (math.isfinite(self.multiplier) and self.multiplier >= 1):
            raise ConfigurationError(f"multiplier must be >= 1, got {self.multiplier}")

    def backoff(self, attempt: int, rng: Rng) -> float:
        """The wait after ``attempt`` failures (1 after the first), capped at ``maximum``."""
        try:
            base = self.initial * self.multiplier ** max(attempt - 1, 0)
        except OverflowError:
            return self.maximum
        return min(self.maximum, base + self.jitter * _uniform(rng))

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rng: Rng,
        elapsed: float = 0.0,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up.

        ``attempt`` is the number of attempts that failed so far, ``elapsed`` the
        seconds since the first one started. Gives up when no attempt is left, when
        the time budget is spent, or when ``retry_after`` (seconds the server asked
        us to wait) goes beyond the remaining budget: sleeping through the whole
        budget only to be refused again helps nobody. Otherwise the wait is the
        backoff, raised to ``retry_after`` and cut to the remaining budget.
        """
        remaining = self.timeout - elapsed
        if attempt >= self.attempts or remaining <= 0:
            return None
        wait = self.backoff(attempt, rng)
        if retry_after is not None:
            if retry_after > remaining:
                return None
            wait = max(wait, retry_after)
        return min(wait, remaining)


RetryPolicy.NONE = RetryPolicy(attempts=1)

#: The policy clients use unless told otherwise.
DEFAULT_RETRY_POLICY = RetryPolicy()


@attrs.frozen
class SettlePolicy:
    """How long to look for a record whose create had an unknown outcome before sending
    the create again.

    A gateway (a proxy, a load balancer) answers 502, 503 or 504 when the origin is slow,
    while the origin goes on and commits the write later; a connection lost after the
    request was sent hides a write the same way. Looking the record up once, at once,
    finds nothing and the second create makes a duplicate. So the lookup is repeated
    after each of ``delays`` (seconds, the first lookup after the first delay): the
    record is adopted as soon as it shows up, and the create is sent again only once
    every lookup came back empty. The default waits 0.25 s, then doubles up to 8 s:
    15.75 s in all, well past the 0.2 to 2 s a late origin takes. One policy serves the
    clients' ``create_*_idempotent`` and the executor.
    """

    delays: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)

    #: A policy that looks once, without waiting (for tests and callers who wait elsewhere).
    NONE: ClassVar[SettlePolicy]

    def __attrs_post_init__(self) -> None:
        if not self.delays:
            raise ConfigurationError("a settle policy needs at least one delay")
        if not all(math.isfinite(d) and d >= 0 for d in self.delays):
            raise ConfigurationError(f"settle delays must be finite and >= 0, got {self.delays}")

    @property
    def total(self) -> float:
        """Seconds from the unknown outcome to the last lookup."""
        return sum(self.delays)


SettlePolicy.NONE = SettlePolicy(delays=(0.0,))

#: The settle policy used unless told otherwise.
DEFAULT_SETTLE_POLICY = SettlePolicy()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value.

    Accepts delta-seconds (``"120"``, leniently ``"1.5"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``), which is measured from ``now`` (ideally
    the response's ``Date``, so clock skew does not matter; naive datetimes are
    taken as UTC). A date in the past means ``0``. Returns ``None`` for a missing
    or unreadable value.

    >>> from datetime import timezone
    >>> parse_retry_after("7", datetime(2026, 1, 1, tzinfo=timezone.utc))
    7.0
    """
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    when = parse_http_date(text)
    if when is None:
        return None
    return max(0.0, (when - assume_utc(now)).total_seconds())


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (``Date``, ``Retry-After``) as an aware datetime, or ``None``."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return assume_utc(when)
