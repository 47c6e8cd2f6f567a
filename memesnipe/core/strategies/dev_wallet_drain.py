"""dev_wallet_drain: the creator/dev wallet sells a large share of its holdings within a window.

Thesis: insiders selling into the market is the most reliable early warning of a dump or a
rug. The signal is a short thesis: a Drift perp short where the token has a perp market,
otherwise a long exit that blocks new entries (the engine decides, from the market context).
The short is covered once ``hold_s`` has passed.

Inputs (no hand configuration needed): a DEV_SELL event (a connector told the creator's sale,
with its remaining balance), or the creator learnt from the token's creation event (NEW_MINT,
``wallet`` = creator, ``wallet_balance_tokens`` = what it received at creation; a pump.fun create
event does not say, and the balance then starts at 0) whose later SWAPs are followed: a BUY adds
to its balance, a SELL is a dev sale (its balance is the event's ``wallet_balance_tokens`` when
given, else the tracked one, so a sale of tokens bought unseen counts as all it holds). A sale is
large enough when its USD value reaches ``min_sold_usd`` or, for sales reported in SOL only (no
USD), its SOL reaches ``min_sold_sol``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_validator

from memesnipe.core.strategies.base import (
    NO_EMITS,
    Emit,
    State,
    Strategy,
    StrategyParams,
    clip01,
    register_strategy,
)
from memesnipe.core.windows import sum2_add, sum2_ring, sum_add, sum_ring
from memesnipe.streams.market import OnChainKind, TradeDirection
from memesnipe.streams.trading import Intent, Side

DEV_SELL = OnChainKind.DEV_SELL
NEW_MINT = OnChainKind.NEW_MINT
SWAP = OnChainKind.SWAP
SELL = TradeDirection.SELL


class DevWalletDrainParams(StrategyParams):
    window_s: int = Field(1800, ge=60, le=7 * 24 * 3600, description="window over which sells add up")
    bucket_s: int = Field(60, ge=10, le=3600)
    min_sold_share: float = Field(0.2, gt=0, le=1, description="sold / (sold + remaining balance)")
    min_sold_usd: float = Field(1_000.0, ge=0)
    min_sold_sol: float = Field(5.0, ge=0, description="size threshold for sales known in SOL only (no USD)")
    hold_s: int = Field(3600, ge=60, description="cover the short after this long")
    cooldown_s: int = Field(3600, ge=0, description="no new short thesis on the token for this long")

    @model_validator(mode="after")
    def _check(self) -> DevWalletDrainParams:
        if self.window_s % self.bucket_s:
            raise ValueError("window_s must be a multiple of bucket_s")
        return self


@register_strategy
class DevWalletDrain(Strategy[DevWalletDrainParams]):
    family = "dev_wallet_drain"
    subscriptions = frozenset({"onchain"})
    Params = DevWalletDrainParams
    state_params = ("window_s", "bucket_s")
    description = "the creator/dev wallet selling a share of its holdings in a window"

    def setup(self, p: DevWalletDrainParams) -> None:
        self.n = p.window_s // p.bucket_s
        self.w = float(p.bucket_s)
        self.min_share = p.min_sold_share
        self.min_usd = p.min_sold_usd
        self.min_lamports = p.min_sold_sol * 1e9
        self.hold = float(p.hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {
            "sold": sum2_ring(self.n),
            "sol": sum_ring(self.n),
            "bal": -1.0,
            "pos": 0,
            "tin": 0.0,
            "cd": 0.0,
            "dev": "",
            "sig": "",
        }

    def _other(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        """Not a dev sale: learn the creator, track its buys, cover a short whose horizon is over."""
        kind = ev.kind
        if kind is NEW_MINT and ev.wallet:
            s["dev"] = ev.wallet
            if ev.wallet_balance_tokens is not None:
                s["bal"] = ev.wallet_balance_tokens
            elif s["bal"] < 0.0:
                s["bal"] = 0.0  # its initial buy is not known: count from nothing
        elif kind is SWAP and ev.direction is not None and ev.wallet and ev.wallet == s.get("dev"):
            if ev.wallet_balance_tokens is not None:
                s["bal"] = ev.wallet_balance_tokens
            elif s["bal"] >= 0.0:
                s["bal"] += ev.amount_tokens
        if s["pos"] and t - s["tin"] >= self.hold:
            s["pos"] = 0
            return s, (Emit(Side.COVER, Intent.EXIT, 1.0, "dev-wallet drain short: horizon over"),)
        return s, NO_EMITS

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        kind = ev.kind
        if kind is not DEV_SELL:
            if kind is not SWAP or ev.direction is not SELL or not ev.wallet or ev.wallet != s.get("dev"):
                return self._other(s, ev, t)
            if ev.signature and ev.signature == s.get("sig"):
                return s, NO_EMITS  # the same sale, already applied as the DEV_SELL of its transaction
        s["sig"] = ev.signature
        r = s["sold"]
        sum2_add(r, self.w, t, ev.amount_tokens, ev.amount_usd)
        sol = s.get("sol")
        if sol is None:  # a state stored before SOL amounts were kept
            sol = s["sol"] = sum_ring(self.n)
        sum_add(sol, self.w, t, float(ev.amount_lamports))
        if ev.wallet_balance_tokens is not None:
            s["bal"] = ev.wallet_balance_tokens
        elif kind is SWAP and s["bal"] >= 0.0:
            s["bal"] = max(0.0, s["bal"] - ev.amount_tokens)
        bal = s["bal"]
        if s["pos"] and t - s["tin"] >= self.hold:
            s["pos"] = 0
        sold = r[1]
        if s["pos"] or bal < 0.0 or sold <= 0.0 or t < s["cd"]:
            return s, NO_EMITS
        share = sold / (sold + bal)
        if share < self.min_share or (r[2] < self.min_usd and (r[2] > 0.0 or sol[1] < self.min_lamports)):
            return s, NO_EMITS
        s["pos"] = 1
        s["tin"] = t
        s["cd"] = t + self.cooldown
        strength = clip01(0.5 + 0.5 * (share - self.min_share) / (1.0 - self.min_share + 1e-9))
        return s, (
            Emit(
                Side.SHORT,
                Intent.ENTRY,
                strength,
                f"dev wallet sold {share:.0%} of its holdings "
                f"({f'${r[2]:,.0f}' if r[2] > 0.0 else f'{sol[1] / 1e9:,.2f} SOL'}) within {self.n} buckets",
                meta={
                    "sold_share": share,
                    "sold_usd": r[2],
                    "sold_sol": sol[1] / 1e9,
                    "wallet": ev.wallet,
                    "block_s": self.hold,
                },
            ),
        )
