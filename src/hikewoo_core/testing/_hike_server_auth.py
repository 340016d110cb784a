"""The OAuth2 side of the loopback Hike server: codes and expiring tokens (stdlib only)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ..hike._schema import PARAMS
from ._clock import Clock

__all__ = ["Answer", "TokenBook", "error", "param"]

_TOKEN = PARAMS["token"]
_AUTH = PARAMS["authorize"]


class Answer(Exception):
    """Raised inside a route to answer at once with ``status`` and a JSON ``body``."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})


def error(status: int, message: str, **extra: Any) -> Answer:
    """An :class:`Answer` with Hike's (ASP.NET) error body: ``{"error": {"message"}}``."""
    return Answer(status, {"error": {"code": 0, "message": message}, **extra})


def param(query: Mapping[str, list[str]], name: str) -> str | None:
    """A query or form parameter, its name compared case-insensitively (ASP.NET binds so)."""
    for key, values in query.items():
        if key.lower() == name.lower() and values:
            return values[-1]
    return None


class TokenBook:
    """Authorization codes and tokens issued by the fake OAuth2 server."""

    def __init__(self, *, client_id: str, client_secret: str, ttl: float, clock: Clock) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.ttl, self.clock = timedelta(seconds=ttl), clock
        self.codes: dict[str, str] = {}
        self.access: dict[str, datetime] = {}
        self.refresh: set[str] = set()

    def grant_access(self, token: str) -> None:
        """Make ``token`` a valid access token for ``ttl`` from now."""
        self.access[token] = self.clock() + self.ttl

    def valid(self, token: str | None) -> bool:
        """Whether ``token`` is an issued access token that has not expired."""
        expires = self.access.get(token or "")
        return expires is not None and self.clock() < expires

    def issue(self) -> dict[str, Any]:
        """A new access and refresh token, as the token endpoint answers them."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.grant_access(access)
        self.refresh.add(refresh)
        seconds = int(self.ttl.total_seconds())
        return {
            _TOKEN["access_token"].key: access,
            "token_type": "Bearer",
            _TOKEN["expires_in"].key: seconds,
            _TOKEN["refresh_token"].key: refresh,
        }

    def authorize(self, query: Mapping[str, list[str]]) -> Answer:
        """``GET /oauth/authorize``: the redirect carrying a new code (and the state)."""
        redirect = param(query, _AUTH["redirect_uri"].key)
        if param(query, _AUTH["client_id"].key) != self.client_id or not redirect:
            raise error(400, "unknown client_id or missing redirect_uri")
        if param(query, _AUTH["scope"].key) != "all":
            raise error(400, "the only scope is 'all'")
        if param(query, _AUTH["response_type"].key) != "code":
            raise error(400, "response_type must be 'code'")
        code = secrets.token_urlsafe(16)
        self.codes[code] = redirect
        back = {_AUTH["code"].key: code}
        state = param(query, _AUTH["state"].key)
        if state is not None:
            back[_AUTH["state"].key] = state
        sep = "&" if "?" in redirect else "?"
        return Answer(302, None, {"Location": f"{redirect}{sep}{urlencode(back)}"})

    def token(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """``POST /oauth/token``: trade a code or a refresh token (which rotates)."""

        def field(name: str) -> str | None:
            return param(form, _TOKEN[name].key)

        if field("client_id") != self.client_id or field("client_secret") != self.client_secret:
            raise Answer(401, {"error": "invalid_client", "error_description": "bad client"})
        grant = field("grant_type")
        if grant == "authorization_code":
            code = field("code") or ""
            if self.codes.get(code) is None or self.codes[code] != field("redirect_uri"):
                raise Answer(400, {"error": "invalid_grant", "error_description": "bad code"})
            del self.codes[code]
            return self.issue()
        if grant == "refresh_token":
            refresh = field("refresh_token") or ""
            if refresh not in self.refresh:
                raise Answer(400, {"error": "invalid_grant", "error_description": "bad token"})
            self.refresh.discard(refresh)  # refresh tokens rotate
            return self.issue()
        raise Answer(400, {"error": "unsupported_grant_type"})
