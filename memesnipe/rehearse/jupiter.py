"""Jupiter's swap API on loopback, over the local node's pools: ``GET /swap/v2/build`` (a real
``route_v2`` instruction with the taker's real token accounts, the documented setup and cleanup,
compute-budget instructions, no lookup tables, the chain's blockhash), ``GET /swap/v2/order``
without taker (a quote) and ``GET /swap/v1/quote``, in the shapes of
tests/fixtures/jupiter (serialized through the client's own schema classes).

Quotes come from the constant-product pool of the mint (``LocalChain.quote``), so what a build
promises is exactly what the chain will give if the pool has not moved by then. The route's
accounts follow the route_v2 layout (memesnipe/signer/jupiter.py): authority, source,
destination, source mint, destination mint, both token programs, no destination override
(the program id), event authority, program, then the pool's vaults as remaining accounts.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address

from memesnipe.connectors.jupiter.schemas import (
    RawAccount,
    RawBlockhash,
    RawBuild,
    RawInstruction,
    RawQuote,
    RawRouteStep,
    RawSwapInfo,
)
from memesnipe.rehearse.chain import Pool
from memesnipe.rehearse.server import Reply, StandIn
from memesnipe.signer import programs as P

EVENT_AUTHORITY = Pubkey.from_string("D8cy77BBepLMngZx6ZukaTff5hCt1HrWyKk3Hnd9oitf")
ROUTE_V2 = hashlib.sha256(b"global:route_v2").digest()[:8]
SWAP_VARIANT = 0  # the first Swap variant of the IDL; the chain executes the pool, not the variant
LABEL = "Rehearsal CPMM"
ATA_CREATE_IDEMPOTENT = 1
TOKEN_SYNC_NATIVE = 17
TOKEN_CLOSE_ACCOUNT = 9
CU_LIMIT = 1_400_000
CU_PRICE = 25_715


def route_v2_data(amount: int, quoted_out: int, slippage_bps: int) -> bytes:
    """route_v2 as the IDL encodes it: fixed args (in, quoted out, slippage, platform fee 0,
    positive slippage 0) then ``Vec<RoutePlanStepV2>`` of one step (variant, bps 10000, in 0, out 1)."""
    args = (
        amount.to_bytes(8, "little")
        + quoted_out.to_bytes(8, "little")
        + slippage_bps.to_bytes(2, "little")
        + (0).to_bytes(2, "little")
        + (0).to_bytes(2, "little")
    )
    plan = (1).to_bytes(4, "little") + bytes([SWAP_VARIANT]) + (10_000).to_bytes(2, "little") + b"\x00\x01"
    return ROUTE_V2 + args + plan


def _raw(ix: Instruction) -> RawInstruction:
    return RawInstruction(
        programId=str(ix.program_id),
        accounts=[
            RawAccount(pubkey=str(a.pubkey), isSigner=a.is_signer, isWritable=a.is_writable)
            for a in ix.accounts
        ],
        data=base64.b64encode(bytes(ix.data)).decode(),
    )


def ata_create_idempotent(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    metas = [
        AccountMeta(payer, True, True),
        AccountMeta(get_associated_token_address(owner, mint), False, True),
        AccountMeta(owner, False, False),
        AccountMeta(mint, False, False),
        AccountMeta(P.SYSTEM, False, False),
        AccountMeta(P.TOKEN, False, False),
    ]
    return Instruction(P.ASSOCIATED_TOKEN, bytes([ATA_CREATE_IDEMPOTENT]), metas)


class _NoRoute(Exception):
    pass


class JupiterStandIn(StandIn):
    name = "jupiter"
    rate_limited_body = {"code": 429, "message": "Rate limit exceeded"}
    sol_usd = 150.0

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        self.requests.append((path, method))
        if method != "GET":
            return 405, {"error": "GET only"}
        try:
            if path == "/swap/v2/build":
                return 200, self.build(query)
            if path == "/swap/v2/order":
                return 200, self.order(query)
            if path == "/swap/v1/quote":
                return 200, self.quote(query).model_dump(mode="json", exclude={"priceImpact"})
        except _NoRoute as exc:
            return 400, {"error": str(exc), "errorCode": "COULD_NOT_FIND_ANY_ROUTE"}
        except (KeyError, ValueError) as exc:
            return 400, {"error": f"invalid request: {exc}", "errorCode": "INVALID_REQUEST"}
        return 404, {"error": f"no route {path}"}

    # -- quotes -------------------------------------------------------------------------------------
    def _pool(self, input_mint: str, output_mint: str) -> tuple[Pool, bool]:
        sol = str(P.WSOL_MINT)
        if input_mint == output_mint or sol not in (input_mint, output_mint):
            raise _NoRoute("Could not find any route")
        buy = input_mint == sol
        pool = self.node.chain.pools.get(bytes(Pubkey.from_string(output_mint if buy else input_mint)))
        if pool is None:
            raise _NoRoute("Could not find any route")
        return pool, buy

    def quote(self, q: dict[str, str]) -> RawQuote:
        if q.get("swapMode", "ExactIn") != "ExactIn":
            raise ValueError("the local routes are ExactIn only")
        amount, slippage = int(q["amount"]), int(q.get("slippageBps", "50"))
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.node.lock:
            pool, buy = self._pool(q["inputMint"], q["outputMint"])
            out = pool.out_for(amount, buy=buy)
            rin = pool.sol_reserve if buy else pool.token_reserve
            slot = self.node.chain.slot
        net = amount * (10_000 - pool.fee_bps) // 10_000
        impact = net / (rin + net) if rin + net else 0.0
        if out <= 0:
            raise _NoRoute("Could not find any route")
        info = RawSwapInfo(
            ammKey=str(pool.token_vault),
            label=LABEL,
            inputMint=q["inputMint"],
            outputMint=q["outputMint"],
            inAmount=str(amount),
            outAmount=str(out),
            feeAmount=str(amount * pool.fee_bps // 10_000),
            feeMint=q["inputMint"],
        )
        return RawQuote(
            inputMint=q["inputMint"],
            inAmount=str(amount),
            outputMint=q["outputMint"],
            outAmount=str(out),
            otherAmountThreshold=str(out * (10_000 - slippage) // 10_000),
            swapMode="ExactIn",
            slippageBps=slippage,
            platformFee=None,
            priceImpactPct=f"{impact:.12f}".rstrip("0").rstrip(".") or "0",
            routePlan=[RawRouteStep(swapInfo=info, percent=100, bps=10_000)],
            contextSlot=slot,
        )

    def order(self, q: dict[str, str]) -> dict[str, Any]:
        if q.get("taker"):
            raise ValueError("the local /order answers quotes only (no taker)")
        t0 = time.perf_counter()
        raw = self.quote(q)
        sol_in = raw.inputMint == str(P.WSOL_MINT)
        sol_amount = int(raw.inAmount if sol_in else raw.outAmount) / 1e9
        usd = round(sol_amount * self.sol_usd, 6)
        body = raw.model_dump(mode="json", exclude={"contextSlot", "priceImpact", "platformFee"})
        return {
            "mode": "manual",
            **{k: body[k] for k in ("inputMint", "outputMint", "inAmount", "outAmount")},
            "inUsdValue": usd,
            "outUsdValue": usd,
            "priceImpact": -float(raw.priceImpactPct or 0) * 100,
            "swapUsdValue": usd,
            **{
                k: body[k]
                for k in ("otherAmountThreshold", "swapMode", "slippageBps", "priceImpactPct", "routePlan")
            },
            "feeBps": 0,
            "signatureFeeLamports": 5_000,
            "prioritizationFeeLamports": 0,
            "rentFeeLamports": 0,
            "router": "metis",
            "transaction": None,
            "gasless": False,
            "requestId": str(uuid.uuid4()),
            "totalTime": int((time.perf_counter() - t0) * 1000),
            "taker": None,
        }

    # -- build -------------------------------------------------------------------------------------
    def build(self, q: dict[str, str]) -> dict[str, Any]:
        raw = self.quote(q)
        taker = Pubkey.from_string(q["taker"])
        in_mint, out_mint = Pubkey.from_string(raw.inputMint), Pubkey.from_string(raw.outputMint)
        amount, quoted = int(raw.inAmount), int(raw.outAmount)
        buy = in_mint == P.WSOL_MINT
        wrap = q.get("wrapAndUnwrapSol", "true") == "true"
        with self.node.lock:
            pool, _ = self._pool(raw.inputMint, raw.outputMint)
            chain = self.node.chain
            blockhash = chain.latest_blockhash()
            last_valid = chain.last_valid_height(blockhash)
        wsol = get_associated_token_address(taker, P.WSOL_MINT)
        source = get_associated_token_address(taker, in_mint)
        destination = get_associated_token_address(taker, out_mint)
        setup = [ata_create_idempotent(taker, taker, P.WSOL_MINT)]
        if buy:
            setup.append(ata_create_idempotent(taker, taker, out_mint))
            if wrap:
                setup.append(transfer(TransferParams(from_pubkey=taker, to_pubkey=wsol, lamports=amount)))
                setup.append(
                    Instruction(P.TOKEN, bytes([TOKEN_SYNC_NATIVE]), [AccountMeta(wsol, False, True)])
                )
        swap = Instruction(
            P.JUPITER_V6,
            route_v2_data(amount, quoted, int(raw.slippageBps)),
            [
                AccountMeta(taker, True, True),
                AccountMeta(source, False, True),
                AccountMeta(destination, False, True),
                AccountMeta(in_mint, False, False),
                AccountMeta(out_mint, False, False),
                AccountMeta(P.TOKEN, False, False),
                AccountMeta(P.TOKEN, False, False),
                AccountMeta(P.JUPITER_V6, False, False),  # no destination override
                AccountMeta(EVENT_AUTHORITY, False, False),
                AccountMeta(P.JUPITER_V6, False, False),
                AccountMeta(pool.token_vault, False, True),
                AccountMeta(pool.sol_vault, False, True),
            ],
        )
        cleanup = (
            Instruction(
                P.TOKEN,
                bytes([TOKEN_CLOSE_ACCOUNT]),
                [
                    AccountMeta(wsol, False, True),
                    AccountMeta(taker, False, True),
                    AccountMeta(taker, True, False),
                ],
            )
            if wrap
            else None
        )
        budget = [
            Instruction(
                P.COMPUTE_BUDGET, bytes([P.CB_SET_COMPUTE_UNIT_LIMIT]) + CU_LIMIT.to_bytes(4, "little"), []
            ),
            Instruction(
                P.COMPUTE_BUDGET, bytes([P.CB_SET_COMPUTE_UNIT_PRICE]) + CU_PRICE.to_bytes(8, "little"), []
            ),
        ]
        build = RawBuild(
            **raw.model_dump(),
            computeBudgetInstructions=[_raw(i) for i in budget],
            setupInstructions=[_raw(i) for i in setup],
            swapInstruction=_raw(swap),
            cleanupInstruction=_raw(cleanup) if cleanup else None,
            otherInstructions=[],
            tipInstruction=None,
            addressesByLookupTableAddress={},
            blockhashWithMetadata=RawBlockhash(
                blockhash=list(bytes(blockhash)), lastValidBlockHeight=last_valid
            ),
        )
        out = build.model_dump(mode="json", exclude={"priceImpact", "platformFee", "contextSlot"})
        now = time.time()
        out["blockhashWithMetadata"]["fetchedAt"] = {
            "secs_since_epoch": int(now),
            "nanos_since_epoch": int((now % 1) * 1e9),
        }
        return out
