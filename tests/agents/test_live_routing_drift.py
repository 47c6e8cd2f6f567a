"""A Drift short as the live router builds it, when our Drift User already holds other markets:
every open market and its oracle among the remaining accounts (else Drift's margin check fails),
the limit price and size in the market's own unit (1MBONK-PERP: per 1M BONK), and the signer's
policy accepting exactly that transaction. Accounts are built by driftpy's coder from its IDL
(tests/fixtures/drift/SOURCE.md); the providers' answers are their documented payloads."""

from __future__ import annotations

import dataclasses

from anchorpy.coder.instruction import InstructionCoder
from driftpy.addresses import get_spot_market_public_key, get_user_account_public_key
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.constants.spot_markets import mainnet_spot_market_configs
from driftpy.types import SpotBalanceType
from solders.transaction import VersionedTransaction

from memesnipe.agents.live_routing import LiveRoute
from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.connectors.drift.orders import _program
from memesnipe.core.paper_fill import MarketView
from memesnipe.core.tx_build import from_b64, resolve_instructions
from memesnipe.settings import SIGNER_PROGRAM_ALLOWLIST, SIGNER_TIP_ACCOUNTS
from memesnipe.signer.policy import DayLedger, Intended, PolicyConfig, decode_effect, judge
from memesnipe.streams.trading import Intent, Side, Venue
from tests.agents.test_live_routing import ANSWERS, TAKER, live, order
from tests.fixtures.drift.encode import account_bytes_for, account_info, zero_of

BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"
USER = str(get_user_account_public_key(DRIFT_PROGRAM_ID, TAKER, 0))


def our_user() -> bytes:
    """Short 40 WIF (market 23), long 2 SOL-PERP (market 0); USDC and SOL deposited."""
    pp, sp = zero_of("User", "PerpPosition"), zero_of("User", "SpotPosition")
    perps = [
        dataclasses.replace(
            pp, market_index=23, base_asset_amount=-40 * 10**9, quote_asset_amount=60_000_000
        ),
        dataclasses.replace(pp, market_index=0, base_asset_amount=2 * 10**9, quote_asset_amount=-280_000_000),
        *[pp] * 6,
    ]
    deposit = SpotBalanceType.Deposit()
    spots = [
        dataclasses.replace(sp, market_index=0, scaled_balance=500 * 10**9, balance_type=deposit),
        dataclasses.replace(sp, market_index=1, scaled_balance=10**9, balance_type=deposit),
        *[sp] * 6,
    ]
    return account_bytes_for("User", authority=TAKER, perp_positions=perps, spot_positions=spots)


def writable_or_signer(msg: object, key: object) -> bool:
    """From the message header (static keys): signers first, then writable unsigned keys."""
    keys = list(msg.account_keys)  # type: ignore[attr-defined]
    h = msg.header  # type: ignore[attr-defined]
    i = keys.index(key)
    return i < h.num_required_signatures or i < len(keys) - h.num_readonly_unsigned_accounts


def route(user: bytes | None, seen: list) -> LiveRoute:
    answers = dict(ANSWERS)
    if user is not None:
        answers["getAccountInfo"] = account_info(user)
    return live(answers, seen)


async def test_a_short_passes_every_open_market_priced_per_lot_and_the_signer_signs_it() -> None:
    seen: list = []
    r = route(our_user(), seen)
    b = DriftPerpBuilder("mainnet")
    bonk = b.market_by_symbol("1MBONK-PERP")
    o = order(
        side=Side.SHORT, venue=Venue.DRIFT, perp_market_index=bonk.market_index, amount_in=10**9, mint=BONK
    )
    m = MarketView(price_sol=0.0000001, price_usd=0.00002, decimals=5)  # BONK: $20 per 1M
    built, plan = await r.build(o, m, TAKER)
    asked = [req for req in seen if b"getAccountInfo" in req.content]
    assert len(asked) == 1 and USER.encode() in asked[0].content  # our User account, read back

    drift = next(
        ix for ix in resolve_instructions(from_b64(built.tx_b64)) if ix.program_id == DRIFT_PROGRAM_ID
    )
    p = InstructionCoder(_program().idl).parse(drift.data).data.params
    slip = r.settings.drift.max_slippage_bps / 10_000
    assert p.market_index == bonk.market_index
    assert p.price == round(20.0 * (1 - slip) * 1_000_000)  # per lot, in PRICE_PRECISION
    assert built.oracle_price == 20_000_000
    assert p.base_asset_amount == built.base_amount == plan.qty_tokens * 10**9 // (10**5 * 1_000_000)
    assert p.base_asset_amount > 0

    rest = list(drift.accounts[3:])
    spot = {c.market_index: c for c in mainnet_spot_market_configs}
    for i in (bonk.market_index, 23, 0):  # the traded market and both open ones, with oracles
        assert b.market(i).address in rest and b.market(i).oracle in rest
    for i in (0, 1):  # both deposits' spot markets and their oracles
        assert get_spot_market_public_key(DRIFT_PROGRAM_ID, i) in rest and spot[i].oracle in rest
    assert len(rest) == len(set(rest))
    msg = VersionedTransaction.from_bytes(bytes(from_b64(built.tx_b64))).message
    assert not any(writable_or_signer(msg, k) for k in rest)  # all read-only

    # the signer's own decoder and policy accept it as built
    cfg = PolicyConfig.build(
        TAKER,
        tip_accounts=SIGNER_TIP_ACCOUNTS.split(","),
        programs=SIGNER_PROGRAM_ALLOWLIST.split(","),
        per_tx_cap_lamports=10**10,
        daily_cap_lamports=10**11,
    )
    eff = decode_effect(msg, cfg, bytes(32))
    (placed,) = eff.perp_orders
    assert (placed.market_index, placed.price, placed.base_amount) == (
        bonk.market_index,
        p.price,
        p.base_asset_amount,
    )
    want = Intended(
        intent=Intent.ENTRY,
        mint=BONK,
        side=Side.SHORT,
        venue=Venue.DRIFT,
        amount_in=built.base_amount,
        min_out=0,
        spend_lamports=plan.spend_lamports,
        tip_lamports=built.tip_lamports,
        perp_market_index=bonk.market_index,
        oracle_price=built.oracle_price,
        paper=False,
    )
    judge(eff, want, DayLedger(), cfg, bytes(32), kill_active=False)  # no Refusal: within the band


async def test_without_a_user_account_only_the_traded_market_is_passed() -> None:
    r = route(None, [])
    o = order(side=Side.SHORT, venue=Venue.DRIFT, perp_market_index=23, amount_in=10**9)
    built, _ = await r.build(o, MarketView(price_sol=0.01, price_usd=1.5, decimals=6), TAKER)
    drift = next(
        ix for ix in resolve_instructions(from_b64(built.tx_b64)) if ix.program_id == DRIFT_PROGRAM_ID
    )
    wif = DriftPerpBuilder("mainnet").market(23)
    usdc = get_spot_market_public_key(DRIFT_PROGRAM_ID, 0)
    assert set(drift.accounts[3:]) == {
        wif.address,
        wif.oracle,
        usdc,
        mainnet_spot_market_configs[0].oracle,
    }
