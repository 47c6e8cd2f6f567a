"""Route one order into an ExecutionRequest: plan, transaction, tip. No Faust in here, so the
router's logic is tested directly; the router agent only adds Kafka and the tables.

Paper without a quote (the default: no network): a real v0 transaction with the compute
budget, the Jito tip transfer and a memo with the order id, fee payer = the signer's public key,
blockhash = a placeholder derived from the order id (byte-identical on replay); the fill is the
paper model's. Live (or paper with ``MEMESNIPE_JUPITER__PAPER_QUOTES``): a Jupiter quote and its
swap instructions (or Drift's placePerpOrder) recompiled with their lookup tables, a real recent
blockhash, a dynamic tip from Jito's tip floor. Paper quotes are never simulated (the paper
wallet cannot) and never fall back to the model: no quote, the order FAILS with the reason.

Paper latency and landing (``core.landing``, settings ``paper.latency_ms`` ...): the order is
sized on its own market (its stamp) and filled on the market as of its time + latency (this
worker's as-of history, waiting for prices past that moment), and may fail to land (FAILED, the
reason, no fill), exactly as the backtester does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from solders.pubkey import Pubkey

from memesnipe.core.landing import LandingModel, land
from memesnipe.core.order_plan import OrderInvalid, Plan, PlanSettings, plan_for, validate
from memesnipe.core.paper_fill import MarketView, PaperFillError
from memesnipe.core.tx_build import (
    BuiltTx,
    TxBuildError,
    build_transaction,
    paper_blockhash,
    pick_tip_account,
)
from memesnipe.metrics import ASOF_FALLBACKS, PAPER_LANDINGS, PAPER_QUOTES
from memesnipe.settings import Mode, Settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.trading import Order, Venue
from memesnipe.tables.orders import MarketMark

log = logging.getLogger(__name__)

MEMO_PREFIX = "memesnipe:"


class RouteFailed(Exception):
    """The order cannot be routed. ``rejected``: refused by rule (REJECTED) rather than a venue or
    network failure (FAILED)."""

    def __init__(self, reason: str, *, rejected: bool = False) -> None:
        super().__init__(reason)
        self.rejected = rejected


class LiveRoute(Protocol):
    """Venue-specific live building (Jupiter / Drift), see ``memesnipe.agents.live_routing``."""

    async def build(
        self, order: Order, market: MarketView, payer: Pubkey, *, simulate: bool = True
    ) -> tuple[BuiltTx, Plan]: ...


WALLET_PUB = ("signer", "wallet.pub")
"""Where the signer publishes the wallet's PUBLIC key (memesnipe.signer.keystore)."""


def signer_pubkey(settings: Settings) -> str:
    """The signer's public key: ``MEMESNIPE_SIGNER__WALLET_PUBKEY`` (the old ``..__PUBKEY`` is an
    alias, ``settings.RENAMED``), else the public key the signer publishes at
    ``<data_dir>/signer/wallet.pub``. Never a key file."""
    if settings.signer.wallet_pubkey:
        return settings.signer.wallet_pubkey
    pub = Path(settings.data_dir, *WALLET_PUB)
    try:
        return pub.read_text().strip()
    except OSError:
        return ""


def market_view(order: Order, mark: MarketMark | None) -> MarketView:
    """Price and depth of the mint *as of* ``order.ts`` (the signal's event time).

    Depth: an order with a depth stamp (``order.depth``, stamped by the strategy runner from its
    market context as of the signal's event time, copied by the risk gate) is filled on the
    stamp's levels and pool liquidity, always: that is exactly the depth the backtester fills
    on. The router's own history is not: at equal event times it holds depth snapshots with
    ``ts == order.ts``, while the backtester orders a price event before a depth event at the same
    instant, and a fast replay may have evicted the entry. Without a stamp (a position manager
    exit, an older message): the latest depth snapshot with ``ts <= order.ts`` from the mark's
    bounded history; pool liquidity: the latest non-zero one among the price and depth entries
    with ``ts <= order.ts`` (depth after price at equal times).

    Price: likewise the order's own (``order.price_sol`` > 0: stamped by the strategy runner, or
    by the position manager for its exits, as of the signal's moment), always: the router's
    history is only as complete as what it has read, and in a replay its orders can arrive before
    the prices that precede them. Without one: the latest price with ``ts <= order.ts``; with
    none as of then, none (as the backtester).

    Fallback, counted in ``memesnipe_asof_fallbacks_total{stage}``, when the as-of entry of an
    unstamped order was evicted from the history (a fast replay consumes prices and depth far
    ahead of the orders): the latest consumed price, depth snapshot and liquidity. A stamped
    order never falls back (nothing counted)."""
    stamp = order.depth
    if mark is None:
        return MarketView(
            price_sol=order.price_sol,
            price_usd=order.price_usd,
            decimals=6,
            levels=stamp.levels if stamp is not None else (),
            liquidity_usd=stamp.liquidity_usd if stamp is not None else 0.0,
        )
    t = order.ts.timestamp()
    p_ok, p = mark.price_asof(t)
    decimals = p.decimals if p_ok and p is not None else mark.decimals  # a token's never change
    if order.price_sol > 0:
        sol, usd = order.price_sol, order.price_usd
    elif p_ok:
        sol, usd = (p.price_sol, p.price_usd) if p is not None else (0.0, 0.0)
    else:  # evicted, and the order has no price of its own: the latest consumed
        ASOF_FALLBACKS.labels(stage="router.price").inc()
        sol, usd = mark.price_sol, mark.price_usd
    if stamp is not None:
        levels, liquidity = stamp.levels, stamp.liquidity_usd
    else:
        d_ok, d = mark.depth_asof(t)
        if not d_ok:
            ASOF_FALLBACKS.labels(stage="router.depth").inc()
        if d_ok and p_ok:
            levels = tuple(d.levels) if d is not None else ()
            liq = [(e.ts, 0, e.liquidity_usd) for e in mark.price_hist if e.ts <= t and e.liquidity_usd > 0]
            liq += [(e.ts, 1, e.liquidity_usd) for e in mark.depth_hist if e.ts <= t and e.liquidity_usd > 0]
            liquidity = sorted(liq, key=lambda x: (x[0], x[1]))[-1][2] if liq else 0.0  # stable: last arrival
        else:
            levels = tuple(d.levels) if d_ok and d is not None else (() if d_ok else tuple(mark.levels))
            liquidity = mark.liquidity_usd
    return MarketView(
        price_sol=sol if sol > 0 else order.price_sol,
        price_usd=usd if usd > 0 else order.price_usd,
        decimals=decimals,
        levels=levels,
        liquidity_usd=liquidity,
        prices=tuple((e.ts, e.price_sol) for e in mark.price_hist if e.ts <= t),  # live slippage
    )


def covered(mark: MarketMark | None, t: float) -> bool:
    """The router has read the mint's prices past ``t``: nothing at or before ``t`` is still to come
    (the price topic is in event-time order per mint)."""
    return mark is not None and bool(mark.price_hist) and mark.price_hist[-1].ts > t


def market_at(order: Order, mark: MarketMark | None, t: float) -> MarketView:
    """The market as of event time ``t`` (an order's time + latency), exactly as the backtester
    sees it at that moment: the latest price with ``ts <= t`` (none: the order's own) and the
    latest depth snapshot with ``ts <= t``, its levels and its liquidity (none: no levels, 0).
    Evicted from the bounded history: the latest consumed values, counted
    (``memesnipe_asof_fallbacks_total{stage="router.latency"}``)."""
    if mark is None:
        return MarketView(price_sol=order.price_sol, price_usd=order.price_usd, decimals=6)
    p_ok, p = mark.price_asof(t)
    d_ok, d = mark.depth_asof(t)
    if not (p_ok and d_ok):
        ASOF_FALLBACKS.labels(stage="router.latency").inc()
    if p_ok and p is not None:
        sol, usd, decimals = p.price_sol, p.price_usd, p.decimals
    elif p_ok:
        sol, usd, decimals = 0.0, 0.0, mark.decimals
    else:
        sol, usd, decimals = mark.price_sol, mark.price_usd, mark.decimals
    if d_ok:
        levels, liquidity = (tuple(d.levels), d.liquidity_usd) if d is not None else ((), 0.0)
    else:
        levels, liquidity = tuple(mark.levels), mark.liquidity_usd
    return MarketView(
        price_sol=sol if sol > 0 else order.price_sol,
        price_usd=usd if usd > 0 else order.price_usd,
        decimals=decimals,
        levels=levels,
        liquidity_usd=liquidity,
    )


@dataclass
class Router:
    settings: Settings
    payer: str
    live: LiveRoute | None = None
    tip_accounts: list[str] = field(default_factory=list)
    preflight: Callable[[], Awaitable[list[Any]]] | None = None
    preflight_retry_s: float = 30.0
    payer_wait_s: float = 15.0
    _preflight_ok: bool = False
    _preflight_at: float = -1e18
    _preflight_why: str = ""
    _preflight_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def ensure_preflight(self) -> None:
        """Live orders wait for a passed preflight (re-run at most every ``preflight_retry_s``).
        Orders routed concurrently wait for the run in progress and share its verdict."""
        if self.paper or self._preflight_ok:
            return
        if self.preflight is None:
            raise RouteFailed("live mode without a preflight: refusing to trade", rejected=True)
        async with self._preflight_lock:
            await self._run_preflight()
        if not self._preflight_ok:
            raise RouteFailed(f"live preflight failed: {self._preflight_why}", rejected=True)

    async def _run_preflight(self) -> None:
        assert self.preflight is not None
        if self._preflight_ok:
            return
        now = time.monotonic()
        if now - self._preflight_at >= self.preflight_retry_s:
            self._preflight_at = now
            bad = [c for c in await self.preflight() if not c.ok]
            self._preflight_ok = not bad
            self._preflight_why = "; ".join(f"{c.name}: {c.detail}" for c in bad)
            if self._preflight_ok:
                log.warning("live preflight passed: live orders enabled")
            else:
                log.error("live preflight failed: %s", self._preflight_why)

    @property
    def paper(self) -> bool:
        return self.settings.mode is Mode.PAPER

    async def _payer(self) -> Pubkey:
        waited = 0.0
        while not self.payer:  # the signer may publish its key just after we started
            self.payer = signer_pubkey(self.settings)
            if self.payer or waited >= self.payer_wait_s:
                break
            await asyncio.sleep(0.5)
            waited += 0.5
        if not self.payer:
            raise RouteFailed(
                "signer public key unknown: set MEMESNIPE_SIGNER__WALLET_PUBKEY or start the signer "
                "(it publishes <data_dir>/signer/wallet.pub)",
                rejected=True,
            )
        try:
            return Pubkey.from_string(self.payer)
        except ValueError:
            raise RouteFailed(
                f"MEMESNIPE_SIGNER__WALLET_PUBKEY is not a base-58 public key: {self.payer!r}", rejected=True
            ) from None

    def paper_build(self, order: Order, market: MarketView, payer: Pubkey) -> tuple[BuiltTx, Plan]:
        s = self.settings
        b = PlanSettings.of(s).paper_budget()
        cu_limit, cu_price, tip = b.cu_limit, b.cu_price_micro_lamports, b.tip_lamports
        plan = plan_for(order, market, s, b)
        built = build_transaction(
            payer=payer,
            venue_ixs=[],
            cu_limit=cu_limit,
            cu_price_micro_lamports=cu_price,
            tip_lamports=tip,
            tip_account=pick_tip_account(self.tip_accounts or s.jito.tip_account_list, order.order_id),
            memo=MEMO_PREFIX + order.order_id,
            blockhash=paper_blockhash(order.order_id),
        )
        return built, plan

    @property
    def landing(self) -> LandingModel:
        return LandingModel.from_settings(self.settings.paper)

    async def market_at_fill(
        self, order: Order, mark: MarketMark | None, reload: Callable[[], MarketMark | None] | None
    ) -> MarketView:
        """The market as of ``order.ts + latency``: waits (at most ``paper.latency_wait_s`` of wall
        time) until this worker has read the mint's prices past that moment, so the as-of view is
        complete; then uses what it has (counted ``memesnipe_paper_landings_total{outcome=
        "latency_uncovered"}``: in live paper trading, no price came in the meantime)."""
        t = self.landing.fill_time(order.ts.timestamp())
        waited, step = 0.0, 0.05
        while not covered(mark, t) and reload is not None and waited < self.settings.paper.latency_wait_s:
            await asyncio.sleep(step)
            waited += step
            mark = reload()
        if not covered(mark, t):
            PAPER_LANDINGS.labels(outcome="latency_uncovered").inc()
        return market_at(order, mark, t)

    async def _paper_quote(self, order: Order, market: MarketView, payer: Pubkey) -> tuple[BuiltTx, Plan]:
        """Paper with live quotes: the venue's quote at the moment the order would be sent, never
        simulated (the paper wallet holds neither the SOL nor the tokens, so a simulation can only
        fail). No silent fall-back to the depth model: without a quote the order is FAILED with the
        reason. Both outcomes are counted (``memesnipe_paper_quotes_total{outcome}``)."""
        assert self.live is not None
        try:
            out = await self.live.build(order, market, payer, simulate=False)
        except RouteFailed as exc:
            PAPER_QUOTES.labels(outcome="refused").inc()
            raise RouteFailed(f"paper quote unavailable (no model fall-back): {exc}") from None
        PAPER_QUOTES.labels(outcome="quote_unsimulated").inc()
        return out

    def _landing_check(self, order: Order, sized: float, filled: float) -> None:
        model = self.landing
        verdict = land(model, order.order_id, order.side, order.slippage_bps, sized, filled)
        PAPER_LANDINGS.labels(outcome=verdict.outcome).inc()
        if not verdict.landed:
            raise RouteFailed(verdict.reason)

    async def route(
        self,
        order: Order,
        mark: MarketMark | None,
        reload: Callable[[], MarketMark | None] | None = None,
    ) -> ExecutionRequest:
        """The ExecutionRequest for ``order`` (without its HMAC), or RouteFailed. ``reload``
        re-reads the mint's market (the latency model waits for prices past its fill time)."""
        s = self.settings
        try:
            validate(order, s.risk.max_order_lamports)
        except OrderInvalid as exc:
            raise RouteFailed(str(exc), rejected=True) from None
        await self.ensure_preflight()
        payer = await self._payer()
        market = market_view(order, mark)
        model = self.landing
        built: BuiltTx | None = None
        try:
            if self.live is not None and not self.paper:
                built, plan = await self.live.build(order, market, payer)
            elif self.live is not None and s.jupiter.paper_quotes:
                built, plan = await self._paper_quote(order, market, payer)
                if model.on:
                    later = await self.market_at_fill(order, mark, reload) if model.latency_ms else market
                    self._landing_check(order, market.price_sol, later.price_sol)
            if built is None:
                if not self.paper:
                    raise RouteFailed("live routing is not configured")
                built, plan = self.paper_build(order, market, payer)
                if model.on:
                    # sized on the order's market, filled on the market ``latency`` later
                    if model.latency_ms:
                        later = await self.market_at_fill(order, mark, reload)
                        sized = plan
                        built, plan = self.paper_build(order, later, payer)
                    else:
                        sized = plan
                    self._landing_check(order, sized.price_sol, plan.price_sol)
        except (PaperFillError, TxBuildError) as exc:
            raise RouteFailed(str(exc)) from None
        meta: dict[str, Any] = {
            **plan.to_meta(),
            "instance_id": order.instance_id,
            "family": order.family,
            "side": order.side.value,
            "venue": order.venue.value,
            "tip_account": built.tip_account,
            "blockhash": built.blockhash,
            "slippage_bps": order.slippage_bps,
        }
        if self.paper and model.latency_ms:
            meta["latency_s"] = model.latency_s  # the paper fill's time: order time + latency
        return ExecutionRequest(
            request_id=order.order_id,
            order_id=order.order_id,
            mint=order.mint,
            intent=order.intent,
            tx_b64=built.tx_b64,
            created_at=utcnow(),
            spend_lamports=plan.spend_lamports,
            tip_lamports=built.tip_lamports,
            paper=self.paper,
            meta=meta,
            side=order.side,
            venue=order.venue,
            amount_in=built.base_amount if order.venue is Venue.DRIFT else order.amount_in,
            min_out=built.min_out,
            perp_market_index=order.perp_market_index,
            oracle_price=built.oracle_price,
        )


def build_router(
    settings: Settings, kill_switch: Callable[[], Awaitable[tuple[bool, str]]] | None = None
) -> Router:
    live: Any = None
    preflight = None
    if settings.mode is Mode.LIVE or settings.jupiter.paper_quotes:
        from memesnipe.agents.live_routing import build_live_route

        live = build_live_route(settings)
    if settings.mode is Mode.LIVE and kill_switch is not None:
        from memesnipe.agents.preflight import run_checks

        async def preflight() -> list[Any]:
            from memesnipe.connectors.drift.venue import DriftVenue

            return await run_checks(
                settings,
                rpc=live.rpc,
                jito=live.jito,
                kill_switch_active=kill_switch,
                check_key_file=False,
                perp_venue=DriftVenue(live.rpc, live.drift),
            )

    return Router(settings=settings, payer=signer_pubkey(settings), live=live, preflight=preflight)
