"""The simulated market: pure and deterministic under a seed (no clock, no I/O).

Each token follows a log-normal random walk with regime switches:

- ``normal``: small drift, volatility ``sigma``;
- ``pump``: strong positive drift, volume x5-x15, a social burst, often a bridge inflow;
- ``dump``: strong negative drift after a pump;
- ``rug``: red flags first (dev-wallet sells, LP unlock soon), then LP removal and a -70..-95 % crash,
  after which the token trades thinly (``dead``).

A few *followed wallets* (``core.strategies.defaults.SIMULATED_FOLLOWED_WALLETS``) trade too:
often buying as a pump starts and selling as it ends, sometimes buying at random and selling at
a loss later. Their SWAP events (direction, SOL and token amounts) come from a second random
stream, so they leave every other event of a seed exactly as it was.

Events come out in event-time order: one PriceEvent per mint per tick, a SolPriceEvent per
tick, and Social, Depth, Funding (for mints with a perp market), Bridge and OnChain events
at rates tied to the regime. Time starts at ``start`` and advances ``tick_s`` per tick.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from solders.pubkey import Pubkey

from memesnipe.core.strategies.defaults import SIMULATED_FOLLOWED_WALLETS
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import (
    BridgeEvent,
    DepthEvent,
    DepthLevel,
    FundingEvent,
    MarketEvent,
    OnChainEvent,
    OnChainKind,
    PriceEvent,
    SocialEvent,
    SolPriceEvent,
    TradeDirection,
)

SOURCE = "simulator"
DECIMALS = 6
MIN_MCAP_SOL = 1.0


@dataclass
class SimMint:
    mint: str
    price_sol: float
    liquidity_usd: float
    supply: float
    holders: int
    dev_wallet: str
    dev_tokens: float
    perp_market_index: int | None
    regime: str = "normal"
    regime_left: int = 0
    base_volume_usd: float = 2_000.0
    volume_usd_5m: float = 0.0
    lp_locked_pct: float = 100.0
    mint_authority_live: bool = False
    freeze_authority_live: bool = False
    top10_pct: float = 25.0
    basis: float = 0.0
    funding: float = 0.0
    history: list[float] = field(default_factory=list)
    followed: dict[str, float] = field(default_factory=dict)
    """Tokens each followed wallet holds."""


class MarketSimulator:
    """Generates a reproducible stream of market events; ``events()`` never ends by itself."""

    def __init__(
        self,
        seed: int,
        n_mints: int,
        start: datetime,
        tick_s: float = 5.0,
        *,
        sigma: float = 0.006,
        pump_prob: float = 0.004,
        rug_prob: float = 0.0015,
        perp_share: float = 0.25,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self.rng = random.Random(seed)
        self.wallet_rng = random.Random(f"{seed}/followed-wallets")
        self.start = start
        self.tick_s = tick_s
        self.sigma = sigma
        self.pump_prob = pump_prob
        self.rug_prob = rug_prob
        self.tick = 0
        self.sol_usd = 150.0
        self.mints = [self._new_mint(i, perp_share) for i in range(n_mints)]

    def _pubkey(self) -> str:
        return str(Pubkey(bytes(self.rng.getrandbits(8) for _ in range(32))))

    def _new_mint(self, i: int, perp_share: float) -> SimMint:
        r = self.rng
        has_perp = r.random() < perp_share
        return SimMint(
            mint=self._pubkey(),
            price_sol=10 ** r.uniform(-8, -4),
            liquidity_usd=r.uniform(20_000, 2_000_000),
            supply=1e9,
            holders=r.randint(200, 20_000),
            dev_wallet=self._pubkey(),
            dev_tokens=1e9 * r.uniform(0.02, 0.15),
            perp_market_index=(i % 60) + 1 if has_perp else None,
            base_volume_usd=r.uniform(1_000, 50_000),
            lp_locked_pct=r.choice([100.0, 100.0, 80.0, 0.0]),
            mint_authority_live=r.random() < 0.1,
            freeze_authority_live=r.random() < 0.05,
            top10_pct=r.uniform(10, 70),
        )

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.tick * self.tick_s)

    def initial_events(self) -> list[MarketEvent]:
        """Token-safety facts for every mint, emitted once before the first tick."""
        ts = self.now()
        return [
            OnChainEvent(
                mint=m.mint,
                ts=ts,
                source=SOURCE,
                kind=OnChainKind.SAFETY,
                mint_authority_live=m.mint_authority_live,
                freeze_authority_live=m.freeze_authority_live,
                lp_locked_pct=m.lp_locked_pct,
                top10_holder_pct=round(m.top10_pct, 2),
                holders=m.holders,
                pool_liquidity_usd=round(m.liquidity_usd, 2),
            )
            for m in self.mints
        ]

    def events(self) -> Iterator[MarketEvent]:
        yield from self.initial_events()
        while True:
            yield from self.step()

    def step(self) -> list[MarketEvent]:
        """Advance one tick and return that tick's events, in event-time order."""
        self.tick += 1
        ts = self.now()
        r = self.rng
        out: list[MarketEvent] = []
        self.sol_usd *= math.exp(r.gauss(0, 0.0008))
        out.append(
            SolPriceEvent(
                mint=SOL_MINT,
                ts=ts,
                source=SOURCE,
                price_usd=round(self.sol_usd, 6),
                conf_usd=round(self.sol_usd * 0.0004, 6),
            )
        )
        for m in self.mints:
            out.extend(self._step_mint(m, ts))
        return out

    def _switch_regime(self, m: SimMint) -> list[str]:
        """Returns names of one-off happenings triggered by a regime change."""
        r = self.rng
        if m.regime_left > 0:
            m.regime_left -= 1
            if m.regime_left > 0:
                return []
            if m.regime == "pump":
                m.regime, m.regime_left = ("dump", r.randint(10, 40)) if r.random() < 0.6 else ("normal", 0)
                return []
            if m.regime == "rug_setup":
                m.regime, m.regime_left = "rug", 1
                return ["rug"]
            m.regime = "dead" if m.regime in {"rug", "dead"} else "normal"
            return []
        if m.regime == "normal":
            u = r.random()
            if u < self.pump_prob:
                m.regime, m.regime_left = "pump", r.randint(12, 48)
                return ["pump"]
            if u < self.pump_prob + self.rug_prob:
                m.regime, m.regime_left = "rug_setup", r.randint(20, 60)
                return ["rug_setup"]
        return []

    def _step_mint(self, m: SimMint, ts: datetime) -> list[MarketEvent]:
        r = self.rng
        out: list[MarketEvent] = []
        was = m.regime
        happenings = self._switch_regime(m)
        drift, vol_mult = {
            "normal": (0.0, 1.0),
            "pump": (0.03, r.uniform(5, 15)),
            "dump": (-0.035, r.uniform(2, 6)),
            "rug_setup": (-0.001, 1.3),
            "rug": (0.0, 8.0),
            "dead": (-0.002, 0.1),
        }[m.regime]
        ret = drift + r.gauss(0, self.sigma * (2.5 if m.regime in {"pump", "dump"} else 1.0))
        if "rug" in happenings:
            ret = math.log(r.uniform(0.05, 0.3))
        # a token's market cap never falls below MIN_MCAP_SOL: real pools stop trading (and
        # quantities would exceed the supply) long before the price reaches zero
        m.price_sol = max(m.price_sol * math.exp(ret), MIN_MCAP_SOL / m.supply)
        tick_volume = m.base_volume_usd * (self.tick_s / 300.0) * vol_mult * r.lognormvariate(0, 0.35)
        m.volume_usd_5m = m.volume_usd_5m * (1 - self.tick_s / 300.0) + tick_volume
        m.liquidity_usd = max(500.0, m.liquidity_usd * math.exp(ret * 0.3 + r.gauss(0, 0.002)))
        if "rug" in happenings:
            removed = m.liquidity_usd * r.uniform(0.7, 0.95)
            m.liquidity_usd -= removed
            m.lp_locked_pct = 0.0
            out.append(
                OnChainEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    kind=OnChainKind.LP_REMOVE,
                    wallet=m.dev_wallet,
                    amount_usd=round(removed, 2),
                    pool_liquidity_usd=round(m.liquidity_usd, 2),
                )
            )
        price_usd = m.price_sol * self.sol_usd
        out.append(
            PriceEvent(
                mint=m.mint,
                ts=ts,
                source=SOURCE,
                price_usd=price_usd,
                price_sol=m.price_sol,
                volume_usd_5m=round(m.volume_usd_5m, 2),
                liquidity_usd=round(m.liquidity_usd, 2),
                decimals=DECIMALS,
            )
        )
        # social chatter: a window per minute of event time, bursts in pumps
        if self.tick % max(1, int(60 / self.tick_s)) == 0:
            base = 3 + m.holders / 2_000
            mult = {"pump": r.uniform(4, 12), "rug_setup": 1.5, "dead": 0.2}.get(m.regime, 1.0)
            mentions = max(0, round(r.gauss(base * mult, math.sqrt(base * mult))))
            out.append(
                SocialEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    mentions=mentions,
                    unique_authors=max(0, int(mentions * r.uniform(0.4, 0.9))),
                    window_s=60,
                )
            )
        # depth every 6 ticks: impact grows with size / liquidity
        if self.tick % 6 == 0:
            levels = [
                DepthLevel(size_usd=s, impact_bps=round(1e4 * s / (m.liquidity_usd + s), 2))
                for s in (100.0, 1_000.0, 10_000.0)
            ]
            out.append(
                DepthEvent(
                    mint=m.mint, ts=ts, source=SOURCE, levels=levels, liquidity_usd=round(m.liquidity_usd, 2)
                )
            )
        # perp funding every 12 ticks: basis follows recent momentum
        if m.perp_market_index is not None and self.tick % 12 == 0:
            m.basis = 0.7 * m.basis + 0.3 * (ret * 20 + r.gauss(0, 0.002))
            m.funding = max(-0.01, min(0.01, m.basis / 24 + r.gauss(0, 0.0002)))
            out.append(
                FundingEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    market_index=m.perp_market_index,
                    perp_symbol=f"SIM{m.perp_market_index}-PERP",
                    funding_rate_hourly=round(m.funding, 8),
                    mark_price_usd=price_usd * (1 + m.basis),
                    oracle_price_usd=price_usd,
                )
            )
        # bridge inflows: rare, likelier in pumps
        if r.random() < (0.02 if m.regime == "pump" else 0.0015):
            big = m.regime == "pump" and r.random() < 0.5
            out.append(
                BridgeEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    amount_usd=round(r.uniform(50_000, 400_000) if big else r.uniform(500, 20_000), 2),
                    source_chain=r.choice(["ethereum", "base", "arbitrum", "bsc"]),
                    bridge=r.choice(["wormhole", "debridge"]),
                    tx_id=self._pubkey()[:40],
                )
            )
        # on-chain: dev sells before rugs, airdrops, liquidity moves, holder counts
        if m.regime == "rug_setup" and r.random() < 0.25 and m.dev_tokens > 0:
            sold = m.dev_tokens * r.uniform(0.1, 0.4)
            m.dev_tokens -= sold
            out.append(
                OnChainEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    kind=OnChainKind.DEV_SELL,
                    wallet=m.dev_wallet,
                    amount_tokens=round(sold, 2),
                    amount_usd=round(sold * price_usd, 2),
                    wallet_balance_tokens=round(m.dev_tokens, 2),
                )
            )
            if m.lp_locked_pct > 0 and r.random() < 0.5:
                out.append(
                    OnChainEvent(
                        mint=m.mint,
                        ts=ts,
                        source=SOURCE,
                        kind=OnChainKind.SAFETY,
                        lp_locked_pct=m.lp_locked_pct,
                        lp_unlock_ts=ts + timedelta(hours=r.uniform(1, 12)),
                        mint_authority_live=m.mint_authority_live,
                        freeze_authority_live=m.freeze_authority_live,
                        top10_holder_pct=round(m.top10_pct, 2),
                    )
                )
        if r.random() < (0.03 if m.regime == "pump" else 0.004):
            recipients = r.randint(50, 3_000)
            m.holders += int(recipients * r.uniform(0.3, 0.9))
            out.append(
                OnChainEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    kind=OnChainKind.AIRDROP,
                    recipients=recipients,
                    holders=m.holders,
                    amount_tokens=round(recipients * r.uniform(100, 10_000), 2),
                )
            )
        if r.random() < (0.05 if m.regime == "pump" else 0.01):
            add = m.regime != "dump" and r.random() < 0.7
            amount = m.liquidity_usd * r.uniform(0.02, 0.3)
            m.liquidity_usd += amount if add else -amount * 0.5
            out.append(
                OnChainEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    kind=OnChainKind.LP_ADD if add else OnChainKind.LP_REMOVE,
                    wallet=self._pubkey(),
                    amount_usd=round(amount, 2),
                    pool_liquidity_usd=round(m.liquidity_usd, 2),
                )
            )
        if self.tick % 24 == 0:
            m.holders = max(10, m.holders + int(r.gauss(5 if m.regime == "pump" else 0, 10)))
            out.append(
                OnChainEvent(
                    mint=m.mint,
                    ts=ts,
                    source=SOURCE,
                    kind=OnChainKind.HOLDERS,
                    holders=m.holders,
                    top10_holder_pct=round(m.top10_pct, 2),
                    # the safety facts again, as the live connector re-reads them every cycle (the
                    # gate refuses facts older than risk.max_safety_age_s)
                    mint_authority_live=m.mint_authority_live,
                    freeze_authority_live=m.freeze_authority_live,
                    lp_locked_pct=m.lp_locked_pct,
                )
            )
        out.extend(self._followed_swaps(m, ts, was, happenings))
        return out

    def _followed_swaps(
        self, m: SimMint, ts: datetime, was: str, happenings: list[str]
    ) -> list[OnChainEvent]:
        """The followed wallets' trades of this token at this tick (own random stream)."""
        w = self.wallet_rng
        out: list[OnChainEvent] = []
        lamports_per_token = m.price_sol * 1e9
        for wallet in SIMULATED_FOLLOWED_WALLETS:
            held = m.followed.get(wallet, 0.0)
            if held > 0.0:
                ending = was == "pump" and m.regime != "pump"
                p_sell = 0.5 if ending else (0.15 if m.regime in {"dump", "rug", "dead"} else 0.01)
                if w.random() < p_sell:
                    del m.followed[wallet]
                    out.append(self._swap(m, ts, wallet, TradeDirection.SELL, held, lamports_per_token))
                continue
            p_buy = 0.35 if "pump" in happenings else (0.0004 if m.regime == "normal" else 0.0)
            if w.random() < p_buy:
                sol = w.uniform(0.5, 6.0)
                tokens = sol * 1e9 / lamports_per_token
                m.followed[wallet] = tokens
                out.append(self._swap(m, ts, wallet, TradeDirection.BUY, tokens, lamports_per_token))
        return out

    def _swap(
        self,
        m: SimMint,
        ts: datetime,
        wallet: str,
        side: TradeDirection,
        tokens: float,
        lamports_per_token: float,
    ) -> OnChainEvent:
        lamports = round(tokens * lamports_per_token)
        return OnChainEvent(
            mint=m.mint,
            ts=ts,
            source=SOURCE,
            kind=OnChainKind.SWAP,
            wallet=wallet,
            direction=side,
            amount_tokens=round(tokens, 6),
            amount_lamports=lamports,
            amount_usd=round(lamports / 1e9 * self.sol_usd, 2),
        )
