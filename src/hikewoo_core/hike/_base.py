"""What the synchronous and asynchronous Hike clients share: settings and tokens (pure).

No httpx here: the I/O lives in :mod:`~hikewoo_core.hike._client_async` (and the
synchronous client generated from it, :mod:`~hikewoo_core.hike._client`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .._api_errors import with_api_hint
from .._datetimes import checked_clock, utc_now
from .._errors import ApiError, AuthenticationError, ConfigurationError
from .._http_types import Request, check_max_body
from .._redact import scrub_json, secret_forms
from .._retry import RetryPolicy
from ._models import HikeSaleDraft
from ._oauth import Tokens, parse_token_response, refresh_grant_request
from ._requests import (
    HIKE_RETRY_POLICY,
    check_page_size,
    decode,
)
from ._requests import oauth_base as derive_oauth_base
from ._schema import StatusEncoding

__all__ = ["OnTokens", "TokenSession", "HikeClientBase"]

log = logging.getLogger("hikewoo_core.hike")

#: Called with the new :class:`Tokens` after every refresh: store them.
OnTokens = Callable[[Tokens], object]

_MAX_HINTS = 1024


class TokenSession:
    """The current tokens and how to renew them. Never shows a secret in ``repr``."""

    def __init__(
        self,
        tokens: Tokens,
        *,
        client_id: str | None,
        client_secret: str | None,
        token_base: str,
        on_tokens: OnTokens | None,
        clock: Callable[[], datetime],
        margin: timedelta,
    ) -> None:
        self._tokens = tokens
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_base = token_base
        self._on_tokens = on_tokens
        self._clock = clock
        self.margin = margin

    def __repr__(self) -> str:
        return f"<TokenSession expires_at={self._tokens.expires_at!r}>"

    @property
    def tokens(self) -> Tokens:
        """The tokens in use."""
        return self._tokens

    def authorize(self, request: Request) -> tuple[Request, str]:
        """``request`` with the bearer and ``Accept`` headers, and the token it carries."""
        token = self._tokens.access_token
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return request.with_headers(headers), token

    def secrets(self) -> tuple[str | None, ...]:
        """The tokens and the app secret, to scrub from any text kept from a response."""
        t = self._tokens
        return (t.access_token, t.refresh_token, self._client_secret)

    @property
    def can_refresh(self) -> bool:
        """Whether a refresh token and the app's credentials are at hand."""
        return bool(self._tokens.refresh_token and self._client_id and self._client_secret)

    def due(self) -> bool:
        """Whether the access token expires within the margin and can be renewed."""
        return self.can_refresh and self._tokens.expires_within(self.margin, self._clock())

    def refresh_request(self) -> Request:
        """The token request renewing the current tokens."""
        return refresh_grant_request(
            self._client_id or "",
            self._client_secret or "",
            self._tokens.refresh_token or "",
            base=self._token_base,
        )

    def accept(self, body: Any) -> Tokens:
        """Take the tokens of a refresh answer and hand them to ``on_tokens``."""
        tokens = parse_token_response(body, now=self._clock(), previous=self._tokens)
        self._tokens = tokens
        log.info("Hike access token refreshed; it expires at %s", tokens.expires_at)
        if self._on_tokens is not None:
            self._on_tokens(tokens)
        return tokens


def refresh_failed(exc: ApiError) -> ApiError:
    """The error to raise when the token endpoint refused a refresh."""
    if exc.status not in (400, 401, 403):
        return exc
    hint = "refreshing the Hike access token failed; authorize the app again"
    return with_api_hint(exc, hint, AuthenticationError)


class HikeClientBase:
    """Settings shared by :class:`~hikewoo_core.hike.HikeClient` and
    :class:`~hikewoo_core.hike.AsyncHikeClient` (see theirs for the arguments)."""

    def __init__(  # the defaults are the clients' (one signature, documented there)
        self,
        access_token: str | None,
        *,
        refresh_token: str | None,
        client_id: str | None,
        client_secret: str | None,
        on_tokens: OnTokens | None,
        base_url: str,
        tokens: Tokens | None,
        expires_at: datetime | None,
        refresh_margin: timedelta,
        clock: Callable[[], datetime] | None,
        retry: RetryPolicy | None,
        page_size: int,
        status_encoding: StatusEncoding,
        sales_lookback: timedelta,
        reference_lookback: timedelta,
        oauth_base: str | None,
        max_response_bytes: int,
    ) -> None:
        if tokens is None:
            if not access_token:
                raise ConfigurationError("a Hike client needs an access_token (or tokens=)")
            tokens = Tokens(access_token, refresh_token, expires_at)
        elif access_token or refresh_token or expires_at:
            raise ConfigurationError("pass tokens= or access_token/refresh_token, not both")
        if status_encoding not in ("name", "number"):
            raise ConfigurationError("status_encoding must be 'name' or 'number'")
        self.base_url = base_url.rstrip("/")
        self.page_size = check_page_size(page_size)
        self.retry = retry if retry is not None else HIKE_RETRY_POLICY
        self.status_encoding: StatusEncoding = status_encoding
        self.sales_lookback = sales_lookback
        self.reference_lookback = reference_lookback
        self.max_response_bytes = check_max_body(max_response_bytes)
        self._clock = (
            utc_now if clock is None else checked_clock(clock, "the Hike client's clock time")
        )
        self._session = TokenSession(
            tokens,
            client_id=client_id,
            client_secret=client_secret,
            token_base=oauth_base if oauth_base is not None else derive_oauth_base(self.base_url),
            on_tokens=on_tokens,
            clock=self._clock,
            margin=refresh_margin,
        )
        self._hints: OrderedDict[str, datetime] = OrderedDict()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}>"

    @property
    def tokens(self) -> Tokens:
        """The tokens in use (renewed ones included)."""
        return self._session.tokens

    def secrets(self) -> tuple[str | None, ...]:
        """The tokens and the app secret, to scrub from any text kept from a response."""
        return self._session.secrets()

    def _decoded(self, content: bytes, what: str) -> Any:
        """A response body as JSON, with any echo of a token or of the app secret scrubbed
        from its strings (no answer of the API carries them: an echo would otherwise reach
        the records read and the errors raised about them)."""
        body = decode(content, what)
        secrets = self.secrets()
        if any(form.encode() in content for form in secret_forms(secrets)):
            body = scrub_json(body, secrets)
        return body

    def _remember(self, draft: HikeSaleDraft) -> None:
        """Note a draft's transaction date, to look its reference up if the create is lost."""
        ref, when = draft.external_reference, draft.transaction_date
        if ref and when is not None:
            self._hints[ref] = when
            self._hints.move_to_end(ref)
            while len(self._hints) > _MAX_HINTS:
                self._hints.popitem(last=False)

    def _hint(self, reference: str, around: datetime | None) -> datetime | None:
        return around if around is not None else self._hints.get(reference)
