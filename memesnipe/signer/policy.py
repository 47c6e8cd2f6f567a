"""The signer's policy: decode what a transaction does, then judge that effect against the intent.

Two pure steps, one reason per refusal:

1. ``decode_effect``: every instruction of every allowed program becomes its effect on what the
   wallet owns (effects.py). What a transaction may contain (static program ids only):
   - Compute Budget: unit limit / unit price / heap frame / loaded-data limit, once each;
   - System: Transfer only, from our wallet, to a configured Jito tip account or into our own
     wSOL account (the wrap of a buy); nothing else (no nonces: a signed transaction expires);
   - Token / Token-2022: SyncNative, InitializeAccount3 for our wallet, CloseAccount paying us
     and owned by us; never Transfer / Approve / SetAuthority / Burn / Mint at top level;
   - Associated Token Account: Create / CreateIdempotent paid by and owned by our wallet;
   - Jupiter v6 routes (jupiter.py), Drift v2 orders and cancels (drift.py); Memo v2.
   Anything whose effect cannot be determined is refused; only the wallet may sign.
2. ``judge``: the effect against the request's declared intent, the caps and the kill switch.
   - ENTRY (buy): at most one swap, from our wSOL into our account for the declared mint,
     spending at most the declared SOL, receiving at least the declared minimum, slippage within
     the entry bound; wrapped SOL within the declared amount.
   - EXIT (sell): at most one swap, from our account for the declared mint into our wSOL,
     selling at most the declared amount (and never more than is held: the token program
     enforces the source balance), receiving at least the declared minimum, slippage within the
     exit bound; no wrap (that would be a buy).
   - Perps (short / cover): one order in the declared market, the direction of the intent
     (cover = long and reduce-only), base amount within the declaration and the notional cap,
     limit and auction prices within a band around the declared oracle price, no trigger or
     oracle-offset orders. Cancels are always allowed (they reduce exposure).
   - Every outflow counts: entries spend SOL in + tips + fees against the per-transaction and
     daily caps; tips and priority fees have their own per-transaction and daily caps; exits are
     never trapped by the entry caps but what they pay (tips + fees) has its own daily cap.
   - The kill switch allows only effects that reduce exposure (exit swaps, reduce-only orders,
     cancels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from solders.message import Message, MessageV0
from solders.pubkey import Pubkey

from memesnipe.signer import programs as P
from memesnipe.signer.drift import DriftCancel, decode_drift, drift_user_account
from memesnipe.signer.effects import Effect, EffectError, PerpDirection, PerpOrderEffect, SwapEffect
from memesnipe.signer.jupiter import decode_jupiter
from memesnipe.streams.trading import Intent, Side, Venue

_CB = bytes(P.COMPUTE_BUDGET)
_SYSTEM = bytes(P.SYSTEM)
_TOKENS = frozenset({bytes(P.TOKEN), bytes(P.TOKEN_2022)})
_ATA = bytes(P.ASSOCIATED_TOKEN)
_JUPITER = bytes(P.JUPITER_V6)
_DRIFT = bytes(P.DRIFT_V2)
_MEMO = bytes(P.MEMO_V2)
_WSOL_MINT = bytes(P.WSOL_MINT)
BASE_FEE_PER_SIGNATURE = 5_000
MAX_ATA_CREATES = 2
PRICE_PRECISION = 1_000_000
BASE_PRECISION = 1_000_000_000
BPS = 10_000


class Refusal(Exception):
    """The signer refuses a request; ``reason`` is the text published on the result."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    wallet: Pubkey
    tip_accounts: frozenset[bytes]
    programs: frozenset[bytes]
    per_tx_cap_lamports: int
    daily_cap_lamports: int
    tip_cap_lamports: int = 2_000_000
    tip_daily_cap_lamports: int = 200_000_000
    priority_fee_cap_lamports: int = 1_000_000
    priority_fee_daily_cap_lamports: int = 100_000_000
    exit_fee_daily_cap_lamports: int = 200_000_000
    max_entry_slippage_bps: int = 500
    max_exit_slippage_bps: int = 2_500
    perp_max_notional_usd: float = 5_000.0
    perp_price_band_bps: int = 1_000
    drift_users: frozenset[bytes] = frozenset()

    @property
    def wallet_bytes(self) -> bytes:
        return bytes(self.wallet)

    @classmethod
    def build(
        cls,
        wallet: Pubkey,
        *,
        tip_accounts: list[str] | tuple[str, ...],
        programs: list[str] | tuple[str, ...],
        per_tx_cap_lamports: int,
        daily_cap_lamports: int,
        drift_sub_accounts: tuple[int, ...] = (0,),
        **caps: int | float,
    ) -> PolicyConfig:
        return cls(
            wallet=wallet,
            tip_accounts=frozenset(bytes(Pubkey.from_string(s)) for s in tip_accounts),
            programs=frozenset(bytes(Pubkey.from_string(s)) for s in programs),
            per_tx_cap_lamports=per_tx_cap_lamports,
            daily_cap_lamports=daily_cap_lamports,
            drift_users=frozenset(drift_user_account(bytes(wallet), i) for i in drift_sub_accounts),
            **caps,  # type: ignore[arg-type]
        )


def _b58(key: bytes) -> str:
    return str(Pubkey.from_bytes(key))


@lru_cache(maxsize=8192)
def token_accounts(wallet: bytes, mint: bytes) -> frozenset[bytes]:
    """Our associated token accounts for ``mint`` (Token and Token-2022)."""
    return frozenset(
        bytes(Pubkey.find_program_address([wallet, program, mint], P.ASSOCIATED_TOKEN)[0])
        for program in (bytes(P.TOKEN), bytes(P.TOKEN_2022))
    )


def _mint_bytes(mint: str) -> bytes | None:
    try:
        return bytes(Pubkey.from_string(mint))
    except ValueError:
        return None


# -- 1. the effect ------------------------------------------------------------------------------


def decode_effect(message: Message | MessageV0, cfg: PolicyConfig, wsol_ata: bytes) -> Effect:
    """Every instruction checked against the allowlist and decoded into the wallet's effect."""
    keys = [bytes(k) for k in message.account_keys]
    wallet = cfg.wallet_bytes
    n_signers = message.header.num_required_signatures
    if not keys or keys[0] != wallet:
        payer = _b58(keys[0]) if keys else "none"
        raise Refusal(f"fee payer {payer} is not our wallet")
    if n_signers != 1:
        raise Refusal(f"transaction needs {n_signers} signatures: only our wallet may sign")
    eff = Effect(signer_slot=0, n_signers=1, base_fee=BASE_FEE_PER_SIGNATURE)
    seen_cb: set[int] = set()
    cu_limit: int | None = None
    non_cb = 0
    n_static = len(keys)
    try:
        for ix in message.instructions:
            pidx = ix.program_id_index
            if pidx >= n_static:
                raise Refusal("program id loaded from an address lookup table")
            program = keys[pidx]
            if program not in cfg.programs:
                raise Refusal(f"program {_b58(program)} not in allowlist")
            data = bytes(ix.data)
            accts = bytes(ix.accounts)
            if program == _CB:
                tag = data[0] if data else -1
                if len(data) != P.CB_DATA_LEN.get(tag, -1):
                    raise Refusal(f"compute budget instruction {tag} not allowed")
                if tag in seen_cb:
                    raise Refusal(f"duplicate compute budget instruction {tag}")
                seen_cb.add(tag)
                if tag == P.CB_SET_COMPUTE_UNIT_LIMIT:
                    cu_limit = int.from_bytes(data[1:5], "little")
                elif tag == P.CB_SET_COMPUTE_UNIT_PRICE:
                    eff.cu_price_micro_lamports = int.from_bytes(data[1:9], "little")
                continue
            non_cb += 1
            if program == _SYSTEM:
                _system(data, accts, keys, wallet, cfg, wsol_ata, eff)
            elif program in _TOKENS:
                _token(data, accts, keys, wallet, eff)
            elif program == _ATA:
                _ata(data, accts, keys, wallet, eff)
            elif program == _JUPITER:
                eff.swaps.append(decode_jupiter(data, accts, keys, wallet))
            elif program == _DRIFT:
                decoded = decode_drift(data, accts, keys, wallet, cfg.drift_users or None)
                if isinstance(decoded, DriftCancel):
                    eff.perp_cancels += 1
                else:
                    eff.perp_orders.append(decoded)
            elif program == _MEMO:
                eff.memos += 1
            else:  # an allowlisted program the signer has no decoder for
                raise Refusal(f"program {_b58(program)} has no effect decoder: its effect is unknown")
    except EffectError as exc:
        raise Refusal(str(exc)) from None
    if cu_limit is None:
        cu_limit = min(P.DEFAULT_CU_PER_INSTRUCTION * non_cb, P.MAX_CU_LIMIT)
    eff.cu_limit = cu_limit
    eff.priority_fee = -(-eff.cu_price_micro_lamports * cu_limit // P.MICRO_LAMPORTS_PER_LAMPORT)
    return eff


def _static(accts: bytes, i: int, keys: list[bytes]) -> bytes | None:
    if i >= len(accts) or accts[i] >= len(keys):
        return None
    return keys[accts[i]]


def _system(
    data: bytes, accts: bytes, keys: list[bytes], wallet: bytes, cfg: PolicyConfig, wsol: bytes, eff: Effect
) -> None:
    tag = int.from_bytes(data[:4], "little") if len(data) >= 4 else -1
    if tag != P.SYSTEM_TRANSFER:
        raise Refusal(f"system instruction {tag} not allowed (only transfers to tip accounts)")
    if len(data) != 12 or len(accts) != 2:
        raise Refusal("malformed system transfer")
    if _static(accts, 0, keys) != wallet:
        raise Refusal("system transfer source is not our wallet")
    to = _static(accts, 1, keys)
    if to is None:
        raise Refusal("system transfer destination loaded from an address lookup table")
    lamports = int.from_bytes(data[4:12], "little")
    if to in cfg.tip_accounts:
        eff.tips += lamports
    elif to == wsol:
        eff.wrap += lamports
    else:
        raise Refusal(f"system transfer to {_b58(to)}: not a Jito tip account")


def _token(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes, eff: Effect) -> None:
    tag = data[0] if data else -1
    if tag == P.TOKEN_SYNC_NATIVE and len(data) == 1:
        return
    if tag == P.TOKEN_CLOSE_ACCOUNT and len(data) == 1:
        # accounts: [account, destination, owner]
        if _static(accts, 1, keys) != wallet or _static(accts, 2, keys) != wallet:
            raise Refusal("token close_account must pay and be owned by our wallet")
        account = _static(accts, 0, keys)
        if account is None:
            raise Refusal("token close_account of a lookup-table account")
        eff.closes.append(account)
        return
    if tag == P.TOKEN_INITIALIZE_ACCOUNT3 and len(data) == 33:
        if data[1:33] != wallet:
            raise Refusal("token initialize_account3 for an owner that is not our wallet")
        return
    raise Refusal(f"token instruction {tag} not allowed")


def _ata(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes, eff: Effect) -> None:
    tag = data[0] if data else P.ATA_CREATE
    if len(data) > 1 or tag not in (P.ATA_CREATE, P.ATA_CREATE_IDEMPOTENT):
        raise Refusal(f"associated token account instruction {tag} not allowed")
    # accounts: [payer, ata, owner, mint, system, token program]
    if _static(accts, 0, keys) != wallet or _static(accts, 2, keys) != wallet:
        raise Refusal("associated token account must be paid for and owned by our wallet")
    eff.rent_accounts += 1
    if eff.rent_accounts > MAX_ATA_CREATES:
        raise Refusal(f"more than {MAX_ATA_CREATES} token accounts created in one transaction")


# -- 2. the judgement ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Intended:
    """What the (authenticated) request says the transaction is for."""

    intent: Intent
    mint: str
    side: Side | None
    venue: Venue | None
    amount_in: int
    min_out: int
    spend_lamports: int
    tip_lamports: int
    perp_market_index: int | None
    oracle_price: int
    paper: bool


@dataclass(frozen=True, slots=True)
class DayLedger:
    """What the UTC day has booked so far (journal.py)."""

    spend: int = 0
    tips: int = 0
    priority_fees: int = 0
    exit_fees: int = 0


@dataclass(frozen=True, slots=True)
class Booking:
    """What a signed request adds to the day's ledger."""

    spend: int  # entry spend: SOL into the trade + tips + fees (0 for exits)
    tips: int
    priority_fees: int
    exit_fees: int  # tips + fees of an exit


def judge(
    eff: Effect, want: Intended, day: DayLedger, cfg: PolicyConfig, wsol_ata: bytes, *, kill_active: bool
) -> Booking:
    """Refuse unless the effect is what the intent allows within the caps; the booking else."""
    wallet = cfg.wallet_bytes
    exit_intent = want.intent is Intent.EXIT
    if want.side is not None and (want.side in (Side.SELL, Side.COVER)) != exit_intent:
        raise Refusal(f"side {want.side.value} contradicts intent {want.intent.value}")
    if eff.tips > want.tip_lamports:
        raise Refusal(f"tip transfers of {eff.tips} exceed declared tip_lamports {want.tip_lamports}")
    if eff.tips > cfg.tip_cap_lamports:
        raise Refusal(f"tip {eff.tips} over the per-transaction tip cap {cfg.tip_cap_lamports}")
    if eff.priority_fee > cfg.priority_fee_cap_lamports:
        raise Refusal(
            f"priority fee {eff.priority_fee} over the per-transaction cap {cfg.priority_fee_cap_lamports}"
        )
    if day.tips + eff.tips > cfg.tip_daily_cap_lamports:
        raise Refusal(
            f"daily tip cap: {day.tips} tipped today + {eff.tips} is over {cfg.tip_daily_cap_lamports}"
        )
    if day.priority_fees + eff.priority_fee > cfg.priority_fee_daily_cap_lamports:
        raise Refusal(
            f"daily priority fee cap: {day.priority_fees} paid today + {eff.priority_fee} is over "
            f"{cfg.priority_fee_daily_cap_lamports}"
        )
    if len(eff.swaps) + len(eff.perp_orders) > 1:
        raise Refusal("more than one swap or perp order in one transaction")
    mint = _mint_bytes(want.mint)
    traded_in = 0  # SOL (lamports) the trade itself takes
    for swap in eff.swaps:
        if want.venue is not None and want.venue is not Venue.JUPITER:
            raise Refusal(f"a Jupiter swap in a {want.venue.value} request")
        if mint is None:
            raise Refusal(f"mint {want.mint!r} is not a public key")
        traded_in = _judge_swap(swap, want, exit_intent, mint, wallet, wsol_ata, cfg)
    for order in eff.perp_orders:
        if want.venue is not None and want.venue is not Venue.DRIFT:
            raise Refusal(f"a Drift order in a {want.venue.value} request")
        _judge_perp(order, want, exit_intent, cfg)
    if not want.paper and want.side is not None and not eff.swaps and not eff.perp_orders:
        raise Refusal(f"live {want.side.value} request whose transaction trades nothing")
    if exit_intent and eff.wrap:
        raise Refusal("exit request wraps SOL (that is a buy)")
    if eff.wrap and want.side is not None and eff.wrap > want.amount_in:
        raise Refusal(f"wraps {eff.wrap} lamports, more than the declared amount_in {want.amount_in}")
    if kill_active and not exit_intent:
        raise Refusal("kill switch active: entries refused")
    fees = eff.fees
    if exit_intent:
        moved = eff.tips + fees
        if want.spend_lamports < moved - eff.base_fee:
            raise Refusal(
                f"declared spend_lamports {want.spend_lamports} below the {moved - eff.base_fee} "
                "lamports the transaction moves"
            )
        if day.exit_fees + moved > cfg.exit_fee_daily_cap_lamports:
            raise Refusal(
                f"daily exit fee cap: {day.exit_fees} paid by exits today + {moved} is over "
                f"{cfg.exit_fee_daily_cap_lamports}"
            )
        return Booking(0, eff.tips, eff.priority_fee, moved)
    moved = max(eff.wrap, traded_in) + eff.tips + eff.priority_fee
    if want.spend_lamports < moved:
        raise Refusal(
            f"declared spend_lamports {want.spend_lamports} below the {moved} lamports the transaction moves"
        )
    spend = max(want.spend_lamports, moved)
    if spend > cfg.per_tx_cap_lamports:
        raise Refusal(f"spend {spend} over the per-transaction cap {cfg.per_tx_cap_lamports}")
    if day.spend + spend > cfg.daily_cap_lamports:
        raise Refusal(f"daily cap: {day.spend} spent today + {spend} is over {cfg.daily_cap_lamports}")
    return Booking(spend, eff.tips, eff.priority_fee, 0)


def _judge_swap(
    swap: SwapEffect,
    want: Intended,
    exit_intent: bool,
    mint: bytes,
    wallet: bytes,
    wsol_ata: bytes,
    cfg: PolicyConfig,
) -> int:
    """Check one swap against the intent; return the lamports of SOL it takes (entries)."""
    name = swap.instruction
    ours = token_accounts(wallet, mint)
    if want.side is None:
        raise Refusal(f"jupiter {name}: the request declares no side and amounts")
    if exit_intent:
        if swap.source not in ours:
            raise Refusal(f"jupiter {name}: an exit that spends another account than ours for {want.mint}")
        if swap.destination != wsol_ata:
            raise Refusal(f"jupiter {name}: an exit must pay into our wSOL account")
        if swap.in_mint is not None and swap.in_mint != mint:
            raise Refusal(f"jupiter {name}: source mint differs from the request's mint")
        if swap.out_mint is not None and swap.out_mint != _WSOL_MINT:
            raise Refusal(f"jupiter {name}: an exit must receive wSOL")
        bound = cfg.max_exit_slippage_bps
    else:
        if swap.source != wsol_ata:
            raise Refusal(f"jupiter {name}: an entry must spend our wSOL, not another token")
        if swap.destination not in ours:
            raise Refusal(f"jupiter {name}: an entry must pay into our account for {want.mint}")
        if swap.in_mint is not None and swap.in_mint != _WSOL_MINT:
            raise Refusal(f"jupiter {name}: an entry must spend wSOL")
        if swap.out_mint is not None and swap.out_mint != mint:
            raise Refusal(f"jupiter {name}: destination mint differs from the request's mint")
        bound = cfg.max_entry_slippage_bps
    if swap.in_max > want.amount_in:
        raise Refusal(
            f"jupiter {name}: spends up to {swap.in_max}, more than the declared amount_in {want.amount_in}"
        )
    if swap.slippage_bps > bound:
        raise Refusal(f"jupiter {name}: slippage {swap.slippage_bps} bps over the bound of {bound} bps")
    if swap.out_min < want.min_out or swap.out_min <= 0:
        raise Refusal(f"jupiter {name}: minimum out {swap.out_min} below the declared min_out {want.min_out}")
    return 0 if exit_intent else swap.in_max


def _judge_perp(order: PerpOrderEffect, want: Intended, exit_intent: bool, cfg: PolicyConfig) -> None:
    name = order.instruction
    if want.side not in (Side.SHORT, Side.COVER):
        raise Refusal(f"drift {name}: the request declares no perp side")
    if want.perp_market_index is None or order.market_index != want.perp_market_index:
        raise Refusal(
            f"drift {name}: market {order.market_index} is not the declared market {want.perp_market_index}"
        )
    if order.order_type not in ("market", "limit"):
        raise Refusal(f"drift {name}: {order.order_type} orders not allowed")
    if order.trigger_price or order.oracle_price_offset:
        raise Refusal(f"drift {name}: trigger or oracle-offset prices not allowed")
    if exit_intent:
        if order.direction is not PerpDirection.LONG:
            raise Refusal(f"drift {name}: a cover must buy (long), this order sells")
        if not order.reduce_only:
            raise Refusal(f"drift {name}: a cover must be reduce-only")
    elif order.direction is not PerpDirection.SHORT:
        raise Refusal(f"drift {name}: a short entry must sell (short)")
    if order.base_amount <= 0 or order.base_amount > want.amount_in:
        raise Refusal(f"drift {name}: base amount {order.base_amount} over the declared {want.amount_in}")
    oracle = want.oracle_price
    if oracle <= 0:
        raise Refusal(f"drift {name}: the request declares no oracle price")
    notional = order.base_amount / BASE_PRECISION * oracle / PRICE_PRECISION
    if not exit_intent and notional > cfg.perp_max_notional_usd:
        raise Refusal(
            f"drift {name}: notional {notional:.2f} USD over the cap of {cfg.perp_max_notional_usd:g}"
        )
    band = cfg.perp_price_band_bps
    lo, hi = oracle * (BPS - band) // BPS, -(-oracle * (BPS + band) // BPS)
    # A short sells: it must not accept less than the band's floor; a cover buys: not pay more
    # than the ceiling. Every price the order may fill at must be inside the band.
    prices: list[tuple[str, int | None]] = [("limit", order.price)]
    prices += [("auction start", order.auction_start_price), ("auction end", order.auction_end_price)]
    for what, price in prices:
        if price is None:
            continue
        if what == "limit" and price == 0:
            raise Refusal(f"drift {name}: no limit price (a market order at any price)")
        if not lo <= price <= hi:
            raise Refusal(
                f"drift {name}: {what} price {price} outside the band {lo}..{hi} around the oracle {oracle}"
            )
