"""A Jito block engine on loopback, over the local node: JSON-RPC on ``/api/v1/bundles``
(sendBundle, getBundleStatuses, getInflightBundleStatuses, getTipAccounts) and
``/api/v1/transactions`` (sendTransaction), base64 transactions only, and the tip floor on
``GET /api/v1/bundles/tip_floor``, in the shapes of docs.jito.wtf/lowlatencytxnsend
(tests/fixtures/jito), serialized through the client's own schema classes.

A bundle is checked as the block engine does (1..5 signed transactions, base64 or base58, one of
them paying a tip account) and queued; the node executes it atomically at the next slot (or
later, or never, by its faults). Its id is the SHA-256 of its signatures, so a resend is the same
bundle. getBundleStatuses knows landed bundles only (null otherwise); getInflightBundleStatuses
says Pending / Landed / Failed, and Invalid for an id it never saw.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from memesnipe.connectors.jito.schemas import (
    BundleStatusEntry,
    BundleStatuses,
    InflightEntry,
    InflightStatuses,
)
from memesnipe.rehearse.node import JITO_TIP_ACCOUNTS
from memesnipe.rehearse.server import Reply, StandIn, rpc_error, rpc_result
from memesnipe.signer import programs as P

MAX_BUNDLE = 5
INVALID = -32602
TIP_FLOOR_SOL = {
    "landed_tips_25th_percentile": 6.0e-06,
    "landed_tips_50th_percentile": 1.0e-05,
    "landed_tips_75th_percentile": 3.6e-05,
    "landed_tips_95th_percentile": 1.4e-03,
    "landed_tips_99th_percentile": 1.0e-02,
    "ema_landed_tips_50th_percentile": 9.8e-06,
}
_TIPS = {Pubkey.from_string(a) for a in JITO_TIP_ACCOUNTS}
SYSTEM_TRANSFER = 2


class _Refused(Exception):
    pass


def _decode(txs: Any, encoding: str) -> list[VersionedTransaction]:
    if not isinstance(txs, list) or not 0 < len(txs) <= MAX_BUNDLE:
        raise _Refused(f"bundle must contain 1..{MAX_BUNDLE} transactions")
    out = []
    for t in txs:
        if encoding != "base64":
            raise _Refused("the local block engine takes base64 transactions only")
        try:
            raw = base64.b64decode(t, validate=True)
            tx = VersionedTransaction.from_bytes(raw)
        except (ValueError, binascii.Error, TypeError):
            raise _Refused(f"transaction could not be decoded ({encoding})") from None
        if not all(tx.verify_with_results()):
            raise _Refused(f"transaction {tx.signatures[0]} failed signature verification")
        out.append(tx)
    if len({str(t.signatures[0]) for t in out}) != len(out):
        raise _Refused("bundle contains duplicate transactions")
    if not any(_tips(t) for t in out):
        raise _Refused("Bundles must write lock at least one tip account to be eligible for the auction.")
    return out


def _tips(tx: VersionedTransaction) -> bool:
    msg = tx.message
    keys = list(msg.account_keys)
    for ci in msg.instructions:
        data = bytes(ci.data)
        if keys[ci.program_id_index] != P.SYSTEM or data[:4] != SYSTEM_TRANSFER.to_bytes(4, "little"):
            continue
        if len(ci.accounts) >= 2 and keys[ci.accounts[1]] in _TIPS:
            return True
    return False


class JitoStandIn(StandIn):
    name = "jito"
    rate_limited_body = {
        "jsonrpc": "2.0",
        "error": {"code": -32097, "message": "Rate limit exceeded. Limit: 1 per second for txn requests"},
        "id": None,
    }

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        if method == "GET" and path.rstrip("/").endswith("/bundles/tip_floor"):
            self.requests.append((path, "tip_floor"))
            return 200, [{"time": _now_iso(), **TIP_FLOOR_SOL}]
        if method != "POST" or path.rstrip("/") not in ("/api/v1/bundles", "/api/v1/transactions"):
            return 404, {"error": f"no route {method} {path}"}
        try:
            req = json.loads(body)
            name, params, req_id = req["method"], req.get("params") or [], req.get("id")
        except (ValueError, KeyError, TypeError):
            return 400, rpc_error(None, -32700, "Parse error")
        self.requests.append((path, name))
        try:
            result = self._call(path.rstrip("/"), name, params, query)
        except _Refused as exc:
            return 200, rpc_error(req_id, INVALID, str(exc))
        except (TypeError, ValueError, IndexError):
            return 200, rpc_error(req_id, INVALID, f"{name}: invalid params")
        if result is _NOT_FOUND:
            return 200, rpc_error(req_id, -32601, "Method not found")
        return 200, rpc_result(req_id, result)

    def _call(self, path: str, name: str, params: list[Any], query: dict[str, str]) -> Any:
        node = self.node
        if path == "/api/v1/transactions":
            if name != "sendTransaction":
                return _NOT_FOUND
            encoding = (params[1] if len(params) > 1 else {}).get("encoding", "base58")
            (tx,) = (
                _decode([params[0]], encoding)
                if query.get("bundleOnly") == "true"
                else _any(params[0], encoding)
            )
            if query.get("bundleOnly") == "true":
                node.accept_bundle([tx])
            else:
                node.send_transaction(tx)
            return str(tx.signatures[0])
        if name == "getTipAccounts":
            return list(JITO_TIP_ACCOUNTS)
        if name == "sendBundle":
            encoding = (params[1] if len(params) > 1 else {}).get("encoding", "base58")
            return node.accept_bundle(_decode(params[0], encoding))
        if name == "getInflightBundleStatuses":
            ids = _ids(params)
            with node.lock:
                value = [self._inflight(i) for i in ids]
                ctx = {"slot": node.chain.slot}
            return InflightStatuses(context=ctx, value=value).model_dump(mode="json")  # type: ignore[arg-type]
        if name == "getBundleStatuses":
            ids = _ids(params)
            with node.lock:
                finals = [self._final(i) for i in ids]
                ctx = {"slot": node.chain.slot}
            out = BundleStatuses(context=ctx, value=finals).model_dump(mode="json")  # type: ignore[arg-type]
            for entry in out["value"]:
                if entry is not None:
                    entry.pop("confirmationStatus", None)  # the docs' example spells it once
            return out
        return _NOT_FOUND

    def _inflight(self, bid: str) -> InflightEntry:
        b = self.node.bundles.get(bid)
        if b is None:
            return InflightEntry(bundle_id=bid, status="Invalid", landed_slot=None)
        return InflightEntry(
            bundle_id=bid, status=b.state, landed_slot=b.slot if b.state == "Landed" else None
        )

    def _final(self, bid: str) -> BundleStatusEntry | None:
        b = self.node.bundles.get(bid)
        if b is None or b.state != "Landed":
            return None
        return BundleStatusEntry(
            bundle_id=bid,
            transactions=b.signatures,
            slot=b.slot,
            confirmation_status="finalized",
            err={"Ok": None},
        )


_NOT_FOUND = object()


def _any(tx_text: str, encoding: str) -> list[VersionedTransaction]:
    if encoding != "base64":
        raise _Refused("the local block engine takes base64 transactions only")
    tx = VersionedTransaction.from_bytes(base64.b64decode(tx_text))
    if not all(tx.verify_with_results()):
        raise _Refused("transaction failed signature verification")
    return [tx]


def _ids(params: list[Any]) -> list[str]:
    ids = params[0]
    if (
        not isinstance(ids, list)
        or not 0 < len(ids) <= MAX_BUNDLE
        or not all(isinstance(i, str) for i in ids)
    ):
        raise _Refused(f"1..{MAX_BUNDLE} bundle ids per request")
    return ids


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
