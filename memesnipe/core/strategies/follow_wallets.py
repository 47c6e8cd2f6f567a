"""follow_wallets: copy the buys and sells of a configured set of wallets (copy trading).

1. Identity: family ``follow_wallets``; subscribes to ``onchain`` (SWAP events); emits BUY/ENTRY
   when a followed wallet buys the token, SELL/EXIT when the wallet that led the copy sells it.

2. Thesis: a few wallets (early insiders, good on-chain traders) buy memecoins before the crowd
   and sell before the top. Copying them within seconds captures part of their edge while the
   move is young. It loses when the wallet's edge is gone or was luck, when the wallet is a bait
   (buys to be copied, then dumps on the copiers), and when we copy too late (the wallet's buy
   already moved a thin pool); the loss stop and the size cap bound those cases.

3. Data: ``onchain`` SWAP events with ``wallet`` (the trader: Helius enhanced transactions, the
   fee payer), ``direction`` (BUY = token in and SOL out, SELL = the reverse), ``amount_tokens``
   (the wallet's token delta) and ``amount_lamports`` (the SOL it paid or received). A swap with
   no ``direction`` (the wallet's token balance did not change) or no SOL leg
   (``amount_lamports`` 0, e.g. a USDC-quoted swap) never opens a copy. Other kinds and wallets
   cost one dict lookup. Staleness: a copy is forgotten ``max_hold_s`` (event time) after it was
   opened if the leader never sold (the position manager's own exits and max hold still apply).

4. Parameters (see :class:`FollowWalletsParams`): ``wallets`` maps each followed address to its
   :class:`FollowedWallet` terms: ``weight`` (share of the allocation a full-size copy uses),
   ``max_sol`` (size cap: a buy of this many SOL or more copies at full weight, a smaller one
   proportionally), ``min_sol`` (smaller buys are ignored) and ``max_losses`` (the stop: after
   that many consecutive losing round trips the wallet is not copied for ``stop_s``). None of the
   parameters shapes the state (per-wallet records are created for whichever wallets are
   followed), so re-tuning keeps open copies and loss counts.

5. State: ``pos`` (1 while a copy is open), ``lead`` (wallet that opened it), ``epx`` (its entry
   price, lamports per token), ``held``/``sold`` (tokens it bought / has sold since), ``tin``,
   ``cd`` (no new copy before), ``wl`` (per followed wallet: [consecutive losses, stopped until]).
   Bounded by the number of followed wallets.

6. Signal logic: a followed, not stopped wallet buys at least ``min_sol`` while no copy is open
   and the cooldown is over -> BUY/ENTRY, strength = weight x min(1, SOL / max_sol). The leader
   sells, cumulatively, at least ``min_sell_share`` of what it bought -> SELL/EXIT, strength 1.
   The round trip is a loss when the leader's exit price (lamports per token) is below its entry
   price; a win resets the count; reaching ``max_losses`` stops the wallet for ``stop_s``.

7. Risks: bait wallets and wash buys (``min_sol``, the loss stop, the risk gate's safety and
   liquidity rules); copying into a pool the leader just moved (the gate's liquidity cap, the
   paper fill's depth model); a leader that never sells (trailing stop and max hold of the
   position manager). The loss record is kept per token (state is per instance and mint): a
   wallet that loses on many different tokens is stopped only per token.

8. Tests: tests/core/strategies/test_follow_wallets.py (entry size, cap, weight, dust, exit share,
   loss stop, cooldown); the simulator's followed wallets make the default spec fire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from memesnipe.core.strategies.base import (
    NO_EMITS,
    Emit,
    State,
    Strategy,
    StrategyParams,
    clip01,
    register_strategy,
)
from memesnipe.streams.market import OnChainKind, TradeDirection
from memesnipe.streams.trading import Intent, Side

SWAP = OnChainKind.SWAP
BUY = TradeDirection.BUY
SELL = TradeDirection.SELL
LAMPORTS_PER_SOL = 1_000_000_000
_B58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


class FollowedWallet(BaseModel):
    """How one followed wallet is copied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(
        1.0, gt=0, le=1, description="strength of a full-size copy (share of the allocation)"
    )
    max_sol: float = Field(
        5.0, gt=0, description="size cap: a buy of this many SOL or more copies at full weight"
    )
    min_sol: float = Field(0.1, ge=0, description="buys smaller than this (SOL) are not copied")
    max_losses: int = Field(
        3, ge=1, le=100, description="stop after this many consecutive losing round trips"
    )


class FollowWalletsParams(StrategyParams):
    wallets: dict[str, FollowedWallet] = Field(
        default_factory=dict, description="followed wallet address -> its copy terms"
    )
    min_sell_share: float = Field(
        0.5, gt=0, le=1, description="exit once the leader has sold this share of the tokens it bought"
    )
    stop_s: int = Field(7 * 24 * 3600, ge=0, description="how long a stopped wallet is not copied")
    cooldown_s: int = Field(600, ge=0, description="no new copy on the token this long after an exit")
    max_hold_s: int = Field(
        24 * 3600, ge=60, description="forget a copy whose leader never sold after this long"
    )

    @field_validator("wallets")
    @classmethod
    def _addresses(cls, v: dict[str, FollowedWallet]) -> dict[str, FollowedWallet]:
        for addr in v:
            if not 32 <= len(addr) <= 44 or not set(addr) <= _B58:
                raise ValueError(f"{addr!r} is not a base58 Solana address")
        return v


def _short(addr: str) -> str:
    return f"{addr[:4]}..{addr[-4:]}"


@register_strategy
class FollowWallets(Strategy[FollowWalletsParams]):
    family = "follow_wallets"
    subscriptions = frozenset({"onchain"})
    Params = FollowWalletsParams
    description = "copy the buys and sells of followed wallets (weights, size caps, loss stop)"

    def setup(self, p: FollowWalletsParams) -> None:
        self.wallets = {a: (w.weight, w.max_sol, w.min_sol, w.max_losses) for a, w in p.wallets.items()}
        self.min_sell = p.min_sell_share
        self.stop = float(p.stop_s)
        self.cooldown = float(p.cooldown_s)
        self.max_hold = float(p.max_hold_s)

    def initial_state(self) -> State:
        return {
            "pos": 0,
            "lead": "",
            "epx": 0.0,
            "held": 0.0,
            "sold": 0.0,
            "tin": 0.0,
            "cd": 0.0,
            "wl": {a: [0, 0.0] for a in sorted(self.wallets)},
        }

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        if ev.kind is not SWAP:
            return s, NO_EMITS
        wallet = ev.wallet
        terms = self.wallets.get(wallet)
        if terms is None or ev.direction is None or ev.amount_tokens <= 0.0:
            return s, NO_EMITS
        if s["pos"] and t - s["tin"] >= self.max_hold:
            s["pos"] = 0
            s["lead"] = ""
        rec = s["wl"].get(wallet)
        if rec is None:
            rec = s["wl"][wallet] = [0, 0.0]
        tokens = float(ev.amount_tokens)
        lamports = ev.amount_lamports
        if ev.direction is BUY:
            if s["pos"]:
                if wallet == s["lead"]:
                    s["held"] += tokens
                return s, NO_EMITS
            weight, max_sol, min_sol, _ = terms
            sol = lamports / LAMPORTS_PER_SOL
            if t < s["cd"] or t < rec[1] or sol <= 0.0 or sol < min_sol:
                return s, NO_EMITS
            strength = clip01(weight * min(1.0, sol / max_sol))
            s["pos"] = 1
            s["lead"] = wallet
            s["epx"] = lamports / tokens
            s["held"] = tokens
            s["sold"] = 0.0
            s["tin"] = t
            return s, (
                Emit(
                    Side.BUY,
                    Intent.ENTRY,
                    strength,
                    f"followed wallet {_short(wallet)} bought {sol:,.2f} SOL of the token "
                    f"(weight {weight:g}, full size at {max_sol:g} SOL)",
                    meta={"wallet": wallet, "wallet_sol": sol, "weight": weight},
                ),
            )
        if not s["pos"] or wallet != s["lead"]:
            return s, NO_EMITS
        s["sold"] += tokens
        share = s["sold"] / s["held"] if s["held"] > 0.0 else 1.0
        if share < self.min_sell:
            return s, NO_EMITS
        epx = s["epx"]
        ret = (lamports / tokens) / epx - 1.0 if lamports > 0 and epx > 0.0 else None
        note = ""
        if ret is not None:
            rec[0] = rec[0] + 1 if ret < 0.0 else 0
            if rec[0] >= terms[3]:
                rec[1] = t + self.stop
                note = f"; {rec[0]} losing round trips in a row: not copied for {self.stop / 3600:g} h"
                rec[0] = 0
        s["pos"] = 0
        s["lead"] = ""
        s["cd"] = t + self.cooldown
        got = f"at {ret:+.1%} from its entry" if ret is not None else "(no SOL leg)"
        return s, (
            Emit(
                Side.SELL,
                Intent.EXIT,
                1.0,
                f"followed wallet {_short(wallet)} sold {min(share, 1.0):.0%} of its buy {got}{note}",
                meta={"wallet": wallet, "sold_share": min(share, 1.0), "leader_return": ret},
            ),
        )
