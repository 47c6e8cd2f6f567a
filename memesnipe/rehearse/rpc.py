"""A Solana JSON-RPC node on loopback, backed by the local chain: the methods the live pipeline
calls, in the documented response shapes (solana.com/docs/rpc/http; tests/fixtures/solana_rpc,
tests/fixtures/jupiter/get_transaction_swap.json), accounts and simulations serialized by
solders' own response types (the Rust RPC client's).

getLatestBlockhash, getBalance, getAccountInfo / getMultipleAccounts (base64),
simulateTransaction (sigVerify, replaceRecentBlockhash, minContextSlot, accounts),
sendTransaction (preflight unless skipPreflight; a failed transaction lands and pays its fee),
getSignatureStatuses, getTransaction (json: pre/post balances and token balances),
getTokenAccountsByOwner (jsonParsed or base64; the wallet's accounts for wSOL and each pool's
mint), getRecentPrioritizationFees, getSlot, getBlockHeight, getHealth, getVersion.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from solders.account import Account
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    GetAccountInfoResp,
    GetMultipleAccountsResp,
    RpcResponseContext,
    RpcSimulateTransactionResult,
    SimulateTransactionResp,
)
from solders.token.associated import get_associated_token_address
from solders.transaction import VersionedTransaction

from memesnipe.rehearse.chain import Landed, TokenBalance
from memesnipe.rehearse.server import Reply, StandIn, rpc_error, rpc_result
from memesnipe.signer import programs as P

API_VERSION = "2.2.14"
MIN_CONTEXT_SLOT_NOT_REACHED = -32016
SIMULATION_FAILED = -32002
SIGNATURE_FAILURE = -32003
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
U64_MAX = 2**64 - 1


def tx_error(landed: Landed) -> Any:
    """The TransactionError JSON of a failed transaction (None when it succeeded)."""
    if landed.ok:
        return None
    if landed.failed_ix is not None and landed.custom_error is not None:
        return {"InstructionError": [landed.failed_ix, {"Custom": landed.custom_error}]}
    return landed.err


def _token_balances(items: list[TokenBalance]) -> list[dict[str, Any]]:
    return [
        {
            "accountIndex": t.index,
            "mint": t.mint,
            "owner": t.owner,
            "programId": str(P.TOKEN),
            "uiTokenAmount": _ui_amount(t.amount, t.decimals),
        }
        for t in items
    ]


def _ui_amount(amount: int, decimals: int) -> dict[str, Any]:
    ui = amount / 10**decimals
    text = f"{amount / 10**decimals:.{decimals}f}".rstrip("0").rstrip(".") if decimals else str(amount)
    return {"amount": str(amount), "decimals": decimals, "uiAmount": ui, "uiAmountString": text}


class RpcStandIn(StandIn):
    name = "rpc"
    rate_limited_body = {"jsonrpc": "2.0", "error": {"code": 429, "message": "Too many requests"}, "id": None}

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return 405, {"error": "POST a JSON-RPC request"}
        try:
            req = json.loads(body)
            name, params, req_id = req["method"], req.get("params") or [], req.get("id")
        except (ValueError, KeyError, TypeError):
            return 200, rpc_error(None, -32700, "Parse error")
        self.requests.append((path, name))
        fn = getattr(self, "_" + name, None)
        if fn is None:
            return 200, rpc_error(req_id, METHOD_NOT_FOUND, "Method not found")
        try:
            with self.node.lock:
                out = fn(*params)
        except (TypeError, ValueError, IndexError, binascii.Error) as exc:
            return 200, rpc_error(req_id, INVALID_PARAMS, f"Invalid params: {exc}")
        if isinstance(out, _Error):
            return 200, rpc_error(req_id, out.code, out.message, out.data)
        return 200, rpc_result(req_id, out)

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def slot(self) -> int:
        return self.node.chain.slot

    def _context(self) -> dict[str, Any]:
        return {"slot": self.slot, "apiVersion": API_VERSION}

    def _min_slot(self, cfg: dict[str, Any] | None) -> _Error | None:
        wanted = (cfg or {}).get("minContextSlot")
        if wanted is not None and int(wanted) > self.slot:
            return _Error(MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached")
        return None

    # -- methods -----------------------------------------------------------------------------------
    def _getHealth(self) -> str:
        return "ok"

    def _getVersion(self) -> dict[str, Any]:
        return {"solana-core": API_VERSION, "feature-set": 0}

    def _getSlot(self, cfg: dict[str, Any] | None = None) -> int:
        return self.slot

    def _getBlockHeight(self, cfg: dict[str, Any] | None = None) -> int:
        return self.slot

    def _getLatestBlockhash(self, cfg: dict[str, Any] | None = None) -> Any:
        if err := self._min_slot(cfg):
            return err
        chain = self.node.chain
        bh = chain.latest_blockhash()
        return {
            "context": self._context(),
            "value": {"blockhash": str(bh), "lastValidBlockHeight": chain.last_valid_height(bh)},
        }

    def _isBlockhashValid(self, blockhash: str, cfg: dict[str, Any] | None = None) -> Any:
        if err := self._min_slot(cfg):
            return err
        valid = self.node.chain.blockhash_valid(Hash.from_string(blockhash))
        return {"context": self._context(), "value": valid}

    def _getBalance(self, pubkey: str, cfg: dict[str, Any] | None = None) -> Any:
        if err := self._min_slot(cfg):
            return err
        return {"context": self._context(), "value": self.node.chain.balance(Pubkey.from_string(pubkey))}

    def _getAccountInfo(self, pubkey: str, cfg: dict[str, Any] | None = None) -> Any:
        if (cfg or {}).get("encoding", "base64") != "base64":
            return _Error(INVALID_PARAMS, "the local node serves base64 accounts only")
        acct = self.node.chain.svm.get_account(Pubkey.from_string(pubkey))
        resp = GetAccountInfoResp(acct, RpcResponseContext(self.slot))
        return json.loads(resp.to_json())["result"]

    def _getMultipleAccounts(self, addresses: list[str], cfg: dict[str, Any] | None = None) -> Any:
        if (cfg or {}).get("encoding", "base64") != "base64":
            return _Error(INVALID_PARAMS, "the local node serves base64 accounts only")
        if err := self._min_slot(cfg):
            return err
        svm = self.node.chain.svm
        accounts = [svm.get_account(Pubkey.from_string(a)) for a in addresses]
        resp = GetMultipleAccountsResp(accounts, RpcResponseContext(self.slot))
        return json.loads(resp.to_json())["result"]

    def _simulateTransaction(self, tx_b64: str, cfg: dict[str, Any] | None = None) -> Any:
        cfg = cfg or {}
        if cfg.get("encoding") != "base64":
            return _Error(INVALID_PARAMS, "the local node takes base64 transactions only")
        if cfg.get("sigVerify") and cfg.get("replaceRecentBlockhash"):
            return _Error(INVALID_PARAMS, "sigVerify may not be used with replaceRecentBlockhash")
        if err := self._min_slot(cfg):
            return err
        tx = VersionedTransaction.from_bytes(base64.b64decode(tx_b64))
        wanted = cfg.get("accounts")
        addresses = [Pubkey.from_string(a) for a in (wanted or {}).get("addresses", [])]
        sim = self.node.chain.simulate(
            tx,
            addresses,
            sig_verify=bool(cfg.get("sigVerify")),
            replace_blockhash=bool(cfg.get("replaceRecentBlockhash")),
        )
        accounts: list[Account | None] | None = None
        if wanted is not None and not sim.err:
            accounts = sim.accounts
        value = RpcSimulateTransactionResult(
            err=None, logs=sim.logs, accounts=accounts, units_consumed=sim.units
        )
        resp = SimulateTransactionResp(value, RpcResponseContext(self.slot))  # type: ignore[call-arg]
        result = json.loads(resp.to_json())["result"]
        if sim.err:  # the documented shape carries a TransactionError here; ours is its text
            result["value"]["err"] = sim.err
            result["value"]["accounts"] = None
        return result

    def _sendTransaction(self, tx_b64: str, cfg: dict[str, Any] | None = None) -> Any:
        cfg = cfg or {}
        raw = base64.b64decode(tx_b64) if cfg.get("encoding", "base58") == "base64" else None
        if raw is None:
            return _Error(INVALID_PARAMS, "the local node takes base64 transactions only")
        tx = VersionedTransaction.from_bytes(raw)
        sig = str(tx.signatures[0])
        if not all(tx.verify_with_results()):
            return _Error(SIGNATURE_FAILURE, "Transaction signature verification failure")
        if not cfg.get("skipPreflight"):
            if sig in self.node.chain.processed:
                text = "Transaction simulation failed: This transaction has already been processed"
                return _Error(SIMULATION_FAILED, text, {"err": "AlreadyProcessed", "logs": []})
            sim = self.node.chain.simulate(tx, [])
            if sim.err:
                text = "Blockhash not found" if sim.err == "BlockhashNotFound" else sim.err
                data = {"err": sim.err, "logs": sim.logs, "unitsConsumed": sim.units, "accounts": None}
                return _Error(SIMULATION_FAILED, f"Transaction simulation failed: {text}", data)
        self.node.send_transaction(tx)  # BlockhashNotFound: accepted, never lands (as a node)
        return sig

    def _getSignatureStatuses(self, sigs: list[str], cfg: dict[str, Any] | None = None) -> Any:
        if len(sigs) > 256:
            return _Error(INVALID_PARAMS, "Too many inputs provided; max 256")
        value: list[Any] = []
        for sig in sigs:
            landed = self.node.chain.processed.get(sig)
            if landed is None:
                value.append(None)
                continue
            err = tx_error(landed)
            value.append(
                {
                    "slot": landed.slot,
                    "confirmations": None,
                    "err": err,
                    "status": {"Ok": None} if err is None else {"Err": err},
                    "confirmationStatus": "finalized",
                }
            )
        return {"context": self._context(), "value": value}

    def _getTransaction(self, sig: str, cfg: dict[str, Any] | str | None = None) -> Any:
        encoding = cfg if isinstance(cfg, str) else (cfg or {}).get("encoding", "json")
        if encoding != "json":
            return _Error(INVALID_PARAMS, "the local node serves encoding json only")
        landed = self.node.chain.processed.get(sig)
        if landed is None:
            return None
        err = tx_error(landed)
        return {
            "blockTime": int(self.node.started + landed.slot * self.node.slot_s),
            "meta": {
                "computeUnitsConsumed": landed.units,
                "err": err,
                "fee": landed.fee,
                "innerInstructions": [],
                "loadedAddresses": {"readonly": [], "writable": []},
                "logMessages": landed.logs,
                "postBalances": landed.post_balances,
                "postTokenBalances": _token_balances(landed.post_tokens),
                "preBalances": landed.pre_balances,
                "preTokenBalances": _token_balances(landed.pre_tokens),
                "rewards": [],
                "status": {"Ok": None} if err is None else {"Err": err},
            },
            "slot": landed.slot,
            "transaction": {
                "message": {
                    "accountKeys": landed.keys,
                    "header": {
                        "numReadonlySignedAccounts": 0,
                        "numReadonlyUnsignedAccounts": 0,
                        "numRequiredSignatures": 1,
                    },
                    "instructions": [],
                    "recentBlockhash": "",
                },
                "signatures": [landed.signature],
            },
            "version": 0,
        }

    def _getTokenAccountsByOwner(
        self, owner: str, selector: dict[str, str], cfg: dict[str, Any] | None = None
    ) -> Any:
        chain = self.node.chain
        me = Pubkey.from_string(owner)
        if "mint" in selector:
            mints = [Pubkey.from_string(selector["mint"])]
        elif selector.get("programId") == str(P.TOKEN):
            mints = [P.WSOL_MINT, *(p.mint for p in chain.pools.values())]
        else:
            mints = []
        encoding = (cfg or {}).get("encoding", "base64")
        value = []
        for mint in mints:
            address = get_associated_token_address(me, mint)
            acct = chain.svm.get_account(address)
            st = chain.token_state(address)
            if acct is None or st is None or st[1] != me:
                continue
            data: Any
            if encoding == "jsonParsed":
                data = {
                    "parsed": {
                        "info": {
                            "isNative": mint == P.WSOL_MINT,
                            "mint": str(mint),
                            "owner": owner,
                            "state": "initialized",
                            "tokenAmount": _ui_amount(st[2], chain.decimals(mint)),
                        },
                        "type": "account",
                    },
                    "program": "spl-token",
                    "space": len(acct.data),
                }
            else:
                data = [base64.b64encode(bytes(acct.data)).decode(), "base64"]
            value.append(
                {
                    "pubkey": str(address),
                    "account": {
                        "data": data,
                        "executable": False,
                        "lamports": acct.lamports,
                        "owner": str(acct.owner),
                        "rentEpoch": U64_MAX,
                        "space": len(acct.data),
                    },
                }
            )
        return {"context": self._context(), "value": value}

    def _getRecentPrioritizationFees(self, addresses: list[str] | None = None) -> Any:
        slot = self.slot
        fees = self.node.priority_fees
        return [{"slot": s, "prioritizationFee": fees.get(s, 0)} for s in range(max(0, slot - 149), slot + 1)]


class _Error:
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        self.code, self.message, self.data = code, message, data


def now_s() -> float:
    return time.time()
