"""Live routing: a Jupiter /build swap (or a Drift perp order) compiled with our compute budget,
the dynamic Jito tip and the memo, against a real recent blockhash. No Faust here.

Jupiter: /build gives the route's instructions, its lookup tables inline and a blockhash. We
simulate once with the maximum CU limit (replaceRecentBlockhash, no signature needed) and set the
limit to the consumed units x margin, as Jupiter's docs prescribe for /build; if simulation is
unavailable the configured default limit applies. The CU price comes from our priority-fee
budget, capped. Drift: placePerpOrder (reduce-only for covers) at a worst-acceptable limit price.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import logging
import math
from dataclasses import dataclass
from typing import Any

from solders.hash import Hash
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from memesnipe.agents.routing import RouteFailed
from memesnipe.connectors.drift import DriftOrderError, DriftPerpBuilder
from memesnipe.connectors.drift.orders import PRICE_PRECISION
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.jupiter import JupiterClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core import priority_fee, slippage
from memesnipe.core.order_plan import Budget, Plan, PlanSettings, plan_for
from memesnipe.core.paper_fill import MarketView, cu_price_for_budget, from_quote, simulate_perp
from memesnipe.core.slippage import SlippagePolicy
from memesnipe.core.tip import dynamic_tip
from memesnipe.core.tx_build import MAX_CU_LIMIT, BuiltTx, TxBuildError, build_transaction, pick_tip_account
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.trading import Order, Side, Venue

log = logging.getLogger(__name__)
MEMO_PREFIX = "memesnipe:"


@dataclass
class LiveRoute:
    settings: Settings
    jupiter: JupiterClient
    jito: JitoClient
    rpc: SolanaRpcClient
    drift: DriftPerpBuilder

    async def _tip(self, seed: str) -> tuple[int, Pubkey]:
        j = self.settings.jito
        try:
            accounts = await self.jito.get_tip_accounts()
        except ProviderError as exc:
            log.warning("getTipAccounts failed (%s); using configured tip accounts", exc)
            accounts = j.tip_account_list
        try:
            floor = await self.jito.get_tip_floor()
        except ProviderError as exc:
            log.warning("tip floor unavailable (%s); paying the minimum tip", exc)
            floor = None
        tip = dynamic_tip(
            floor,
            percentile=j.tip_percentile,
            multiplier=j.tip_multiplier,
            min_lamports=j.tip_min_lamports,
            max_lamports=j.tip_max_lamports,
            fallback_lamports=j.tip_min_lamports,
        )
        return tip, pick_tip_account(accounts, seed)

    def _cu_price_budget(self, cu_limit: int) -> int:
        e = self.settings.execution
        budget = min(e.priority_fee_lamports, e.max_priority_fee_lamports)
        return cu_price_for_budget(budget, cu_limit)

    async def _cu_price(self, cu_limit: int, writable: list[str]) -> int:
        """The percentile of recent fees for the accounts this transaction locks, within the
        budget floor and the cap (core.priority_fee); the budget alone when the RPC cannot say."""
        e = self.settings.execution
        try:
            fees = await self.rpc.get_recent_prioritization_fees(writable)
        except ProviderError as exc:
            log.warning("getRecentPrioritizationFees failed (%s); using the priority-fee budget", exc)
            return self._cu_price_budget(cu_limit)
        return priority_fee.cu_price(
            fees,
            cu_limit=cu_limit,
            pct=e.priority_fee_percentile,
            floor_lamports=min(e.priority_fee_lamports, e.max_priority_fee_lamports),
            cap_lamports=e.max_priority_fee_lamports,
        )

    async def _simulated_cu(self, draft: BuiltTx) -> int | None:
        """Units consumed by the draft (built with the max limit), or None when unknown."""
        cfg = {
            "encoding": "base64",
            "commitment": "confirmed",
            "replaceRecentBlockhash": True,
            "sigVerify": False,
        }
        try:
            result: Any = await self.rpc.call("simulateTransaction", [draft.tx_b64, cfg])
        except ProviderError as exc:
            log.warning("simulateTransaction failed: %s", exc)
            return None
        value = (result or {}).get("value") or {}
        if value.get("err") is not None:
            raise RouteFailed(f"simulation failed: {value.get('err')} {(value.get('logs') or [])[-3:]}")
        units = value.get("unitsConsumed")
        return int(units) if isinstance(units, int) and units > 0 else None

    async def _blockhash(self) -> Hash:
        try:
            return Hash.from_string((await self.rpc.get_latest_blockhash()).value.blockhash)
        except ProviderError as exc:
            raise RouteFailed(f"no recent blockhash: {exc}") from None

    async def build(
        self, order: Order, market: MarketView, payer: Pubkey, *, simulate: bool = True
    ) -> tuple[BuiltTx, Plan]:
        """``simulate=False`` (paper quotes: the paper wallet cannot simulate): the configured
        default CU limit instead of the simulated units."""
        try:
            if order.venue is Venue.JUPITER:
                return await self._jupiter(order, market, payer, simulate=simulate)
            return await self._drift(order, market, payer)
        except (ProviderError, TxBuildError, DriftOrderError) as exc:
            raise RouteFailed(f"{order.venue.value}: {exc}") from None

    async def _jupiter(
        self, order: Order, market: MarketView, payer: Pubkey, *, simulate: bool = True
    ) -> tuple[BuiltTx, Plan]:
        s = self.settings
        buy = order.side is Side.BUY
        in_mint, out_mint = (SOL_MINT, order.mint) if buy else (order.mint, SOL_MINT)
        slippage_for = functools.partial(slippage.for_order, order, market, SlippagePolicy.of(s))
        swap, slip = await self.jupiter.build_for_impact(
            in_mint, out_mint, order.amount_in, str(payer), slippage_for
        )
        q = swap.quote
        if q.in_amount != order.amount_in or q.input_mint != in_mint or q.output_mint != out_mint:
            raise RouteFailed(
                f"Jupiter answered another swap ({q.input_mint}->{q.output_mint}, {q.in_amount}) "
                f"than asked ({in_mint}->{out_mint}, {order.amount_in})"
            )
        tip, tip_account = await self._tip(order.order_id)
        blockhash = swap.blockhash or await self._blockhash()
        build = functools.partial(
            build_transaction,
            payer=payer,
            venue_ixs=swap.venue_instructions,
            tip_lamports=tip,
            tip_account=tip_account,
            memo=MEMO_PREFIX + order.order_id,
            blockhash=blockhash,
            lookup_tables=swap.lookup_tables,
        )
        draft = build(cu_limit=MAX_CU_LIMIT, cu_price_micro_lamports=0)
        units = await self._simulated_cu(draft) if simulate else None
        cu_limit = (
            min(MAX_CU_LIMIT, math.ceil(units * s.execution.cu_limit_margin))
            if units
            else s.execution.cu_limit_default
        )
        cu_price = await self._cu_price(cu_limit, writable_accounts(swap.venue_instructions, payer))
        built = dataclasses.replace(
            build(cu_limit=cu_limit, cu_price_micro_lamports=cu_price),
            min_out=slippage.min_out(q.out_amount, slip),  # the route's own bound, as the signer checks
        )
        filled = from_quote(
            buy=buy,
            in_amount=q.in_amount,
            out_amount=q.out_amount,
            decimals=market.decimals,
            fee_lamports=q.fee_lamports,
            price_impact_pct=q.price_impact_bps / 100,
        )
        plan = plan_for(order, market, s, Budget(cu_limit, cu_price, tip), swap=filled)
        return built, plan

    async def _drift(self, order: Order, market: MarketView, payer: Pubkey) -> tuple[BuiltTx, Plan]:
        s = self.settings
        short = order.side is Side.SHORT
        if market.price_usd <= 0:
            raise RouteFailed("a Drift order needs the token's USD price for its limit price")
        ps = PlanSettings.of(s)
        modelled = simulate_perp(
            order.amount_in,
            market,
            opening=short,
            taker_fee_bps=ps.taker_fee_bps,
            flat_slippage_bps=ps.flat_slippage_bps,
        )
        slip = s.drift.max_slippage_bps / 10_000
        perp = self.drift.market(int(order.perp_market_index or 0))
        lot_price = perp.lot_price_usd(market.price_usd)  # the market's own unit (1M markets: per lot)
        limit = lot_price * (1 - slip if short else 1 + slip)
        base_amount = perp.base_amount(modelled.qty_tokens, market.decimals)
        if base_amount <= 0:
            raise RouteFailed(f"{modelled.qty_tokens} token units is no base amount on {perp.symbol}")
        user = await DriftVenue(self.rpc, self.drift).user(str(payer))  # margin check: all markets
        ix = self.drift.place_perp_order_ix(
            payer,
            market_index=perp.market_index,
            short=short,
            base_amount=base_amount,
            reduce_only=not short,
            limit_price_usd=limit,
            auction_duration=s.drift.auction_duration_slots,
            other_perp_markets=user.open_perp_markets if user else (),
            open_spot_markets=user.open_spot_markets if user else (),
        )
        tip, tip_account = await self._tip(order.order_id)
        cu_limit = s.execution.cu_limit_default
        cu_price = await self._cu_price(cu_limit, writable_accounts([ix], payer))
        built = build_transaction(
            payer=payer,
            venue_ixs=[ix],
            cu_limit=cu_limit,
            cu_price_micro_lamports=cu_price,
            tip_lamports=tip,
            tip_account=tip_account,
            memo=MEMO_PREFIX + order.order_id,
            blockhash=await self._blockhash(),
        )
        built = dataclasses.replace(
            built, base_amount=base_amount, oracle_price=round(lot_price * PRICE_PRECISION)
        )
        plan = plan_for(order, market, ps, Budget(cu_limit, cu_price, tip), swap=modelled)
        return built, plan


def writable_accounts(ixs: list[Instruction], payer: Pubkey) -> list[str]:
    """The writable accounts the venue instructions lock, our wallet aside (its lock tells
    nothing about the market's), for the priority-fee sample (at most 128)."""
    seen: dict[str, None] = {}
    for ix in ixs:
        for meta in ix.accounts:
            if meta.is_writable and not meta.is_signer and meta.pubkey != payer:
                seen[str(meta.pubkey)] = None
    return list(seen)[:128]


def decode_tx_bytes(tx_b64: str) -> bytes:
    return base64.b64decode(tx_b64)


def build_live_route(settings: Settings) -> LiveRoute:
    j, x = settings.jupiter, settings.jito
    return LiveRoute(
        settings=settings,
        jupiter=JupiterClient(
            j.base_url,
            api_key=j.api_key,
            timeout_s=j.timeout_s,
            rate_per_s=j.rate_per_s,
            max_accounts=j.max_accounts,
            restrict_intermediate_tokens=j.restrict_intermediate_tokens,
        ),
        jito=JitoClient(
            x.block_engine_url,
            uuid=x.uuid,
            tip_floor_url=x.tip_floor_url,
            rate_per_s=x.rate_per_s,
            timeout_s=x.timeout_s,
            tip_accounts_ttl_s=x.tip_accounts_ttl_s,
            tip_floor_ttl_s=x.tip_floor_ttl_s,
        ),
        rpc=SolanaRpcClient(settings.execution.rpc_url, rate_per_s=settings.execution.rpc_rate_per_s),
        drift=DriftPerpBuilder(settings.drift.env, settings.drift.sub_account_id),
    )
