"""The signer's table of Drift markets and oracles (transcribed, the signer cannot import driftpy)
equals driftpy's own, and a Drift order's remaining accounts must come from it: the markets a
router passes for the margin check are accepted, anything else is refused."""

from __future__ import annotations

import pytest
from driftpy.addresses import get_perp_market_public_key, get_spot_market_public_key
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.constants.perp_markets import devnet_perp_market_configs, mainnet_perp_market_configs
from driftpy.constants.spot_markets import devnet_spot_market_configs, mainnet_spot_market_configs
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey

from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.signer import drift_markets as DM
from memesnipe.signer.drift import DriftPerpOrder, decode_drift
from memesnipe.signer.effects import EffectError
from tests.signer.test_drift_effects import ME, WALLET, compiled, decode


def test_the_table_is_driftpys_market_list() -> None:
    def rows(configs: list) -> tuple[tuple[int, str], ...]:
        return tuple((c.market_index, str(c.oracle)) for c in configs)

    assert rows(mainnet_perp_market_configs) == DM.MAINNET_PERP
    assert rows(devnet_perp_market_configs) == DM.DEVNET_PERP
    assert rows(mainnet_spot_market_configs) == DM.MAINNET_SPOT
    assert rows(devnet_spot_market_configs) == DM.DEVNET_SPOT
    known = DM.market_accounts()
    for c in mainnet_perp_market_configs:
        assert bytes(get_perp_market_public_key(DRIFT_PROGRAM_ID, c.market_index)) in known
        assert bytes(c.oracle) in known
    for c in mainnet_spot_market_configs:
        assert bytes(get_spot_market_public_key(DRIFT_PROGRAM_ID, c.market_index)) in known


def order(**kw: object) -> Instruction:
    b = DriftPerpBuilder("mainnet")
    return b.place_perp_order_ix(
        ME, market_index=23, short=True, base_amount=10**9, reduce_only=False, limit_price_usd=1.5, **kw
    )


def test_every_open_market_the_router_passes_is_accepted() -> None:
    e = decode(order(other_perp_markets=(0, 4, 23), open_spot_markets=(0, 1)))
    assert isinstance(e, DriftPerpOrder) and e.market_index == 23


def test_an_unknown_remaining_account_is_refused() -> None:
    ix = order()
    stranger = Keypair().pubkey()
    bad = Instruction(ix.program_id, ix.data, [*ix.accounts, AccountMeta(stranger, False, False)])
    with pytest.raises(
        EffectError, match=f"remaining account 7 \\({stranger}\\) is not a known Drift market"
    ):
        decode(bad)
    other_user = Instruction(
        ix.program_id, ix.data, [*ix.accounts[:3], AccountMeta(ix.accounts[1].pubkey, False, False)]
    )
    with pytest.raises(EffectError, match=r"remaining account 3 .* is not a known Drift market or oracle"):
        decode(other_user)  # a user account (ours, even) is not a market


def test_a_remaining_account_from_a_lookup_table_is_refused() -> None:
    ix = order()
    wif = DriftPerpBuilder("mainnet").market(23).address
    table = AddressLookupTableAccount(Pubkey.new_unique(), [wif])
    msg = MessageV0.try_compile(ME, [ix], [table], Hash.new_unique())
    cix = msg.instructions[0]
    keys = [bytes(k) for k in msg.account_keys]
    with pytest.raises(EffectError, match="is loaded from an address lookup table"):
        decode_drift(bytes(cix.data), bytes(cix.accounts), keys, WALLET)
    data, accounts, keys = compiled(ix)  # the same instruction, all static: accepted
    assert isinstance(decode_drift(data, accounts, keys, WALLET), DriftPerpOrder)
