"""Who may press kill or resume: a bearer token from ``MEMESNIPE_WEB__TOKEN``.

- Token set: every control request needs ``Authorization: Bearer <token>`` (compared in
  constant time). The token travels in a header, never a cookie, so another site cannot make
  a browser send it (no CSRF).
- Token unset, live mode: controls are refused outright; real money needs a real credential.
- Token unset, paper mode: only requests from this machine (loopback) are accepted.
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web

from memesnipe.settings import Mode


class ControlAuth:
    def __init__(self, token: str, mode: Mode) -> None:
        self._token = token.encode()
        self.mode = mode

    @property
    def enabled(self) -> bool:
        """False when controls are refused whatever the request (live mode, no token)."""
        return bool(self._token) or self.mode is not Mode.LIVE

    @property
    def token_required(self) -> bool:
        return bool(self._token)

    def check(self, request: web.Request) -> None:
        """Return when the request may change trading; otherwise raise the right HTTP error."""
        if not self._token:
            if self.mode is Mode.LIVE:
                raise web.HTTPServiceUnavailable(
                    text="controls disabled: set MEMESNIPE_WEB__TOKEN (required in live mode)"
                )
            if not _loopback(request.remote):
                raise web.HTTPForbidden(text="no MEMESNIPE_WEB__TOKEN set: controls only from localhost")
            return
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
            raise web.HTTPUnauthorized(
                text="missing or wrong bearer token", headers={"WWW-Authenticate": 'Bearer realm="memesnipe"'}
            )


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False
