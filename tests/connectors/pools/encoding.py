"""Test helpers: base-58 encoding, and a jsonParsed transaction re-expressed in the documented
``json`` encoding (account indexes; https://solana.com/docs/rpc/json-structures), so one real
recorded transaction exercises both shapes."""

from __future__ import annotations

import copy
from typing import Any

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(b: bytes) -> str:
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _ALPHABET[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def as_json_encoding(parsed_tx: dict[str, Any], *, loaded: int = 0) -> dict[str, Any]:
    """The same transaction in the ``json`` encoding; the last ``loaded`` keys are moved to
    ``meta.loadedAddresses.readonly`` as a v0 transaction's lookup-table loads would be."""
    tx = copy.deepcopy(parsed_tx)
    keys = [k["pubkey"] for k in tx["transaction"]["message"]["accountKeys"]]
    idx = {k: i for i, k in enumerate(keys)}

    def conv(ix: dict[str, Any]) -> dict[str, Any]:
        if "parsed" in ix:  # the node would have sent these unparsed too; keep them undecodable
            return {"programIdIndex": idx[ix["programId"]], "accounts": [], "data": ""}
        return {
            "programIdIndex": idx[ix["programId"]],
            "accounts": [idx[a] for a in ix["accounts"]],
            "data": ix["data"],
        }

    msg = tx["transaction"]["message"]
    msg["instructions"] = [conv(i) for i in msg["instructions"]]
    for g in tx["meta"]["innerInstructions"]:
        g["instructions"] = [conv(i) for i in g["instructions"]]
    msg["accountKeys"] = keys[: len(keys) - loaded]
    tx["meta"]["loadedAddresses"] = {"writable": [], "readonly": keys[len(keys) - loaded :]}
    return tx
