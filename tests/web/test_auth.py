"""Who may press kill or resume."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from memesnipe.settings import Mode
from memesnipe.web.auth import ControlAuth

TOKEN = "x" * 24


def request(headers: dict[str, str] | None = None, remote: str = "127.0.0.1") -> web.Request:
    req = make_mocked_request("POST", "/api/kill", headers=headers or {})
    return req.clone(remote=remote)


def test_a_set_token_is_required_from_anywhere_even_localhost() -> None:
    auth = ControlAuth(TOKEN, Mode.PAPER)
    auth.check(request({"Authorization": f"Bearer {TOKEN}"}, remote="10.0.0.9"))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        with pytest.raises(web.HTTPUnauthorized):
            auth.check(request(headers))


def test_live_mode_without_a_token_refuses_everyone() -> None:
    auth = ControlAuth("", Mode.LIVE)
    assert not auth.enabled
    with pytest.raises(web.HTTPServiceUnavailable):
        auth.check(request())


def test_paper_mode_without_a_token_accepts_only_loopback() -> None:
    auth = ControlAuth("", Mode.PAPER)
    auth.check(request(remote="127.0.0.1"))
    auth.check(request(remote="::1"))
    with pytest.raises(web.HTTPForbidden):
        auth.check(request(remote="192.168.1.20"))
