"""What a landed swap did to the wallet, on the recorded getTransaction shape
(tests/fixtures/jupiter/get_transaction_swap.json, SOURCE.md): the new token account's rent is a
deposit booked apart from the swap's SOL, so the entry price is the swap's price."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from memesnipe.core.landed import WSOL_MINT, landed_amounts, rent_delta

FIX = Path(__file__).parents[1] / "fixtures" / "jupiter" / "get_transaction_swap.json"
W = "GkwFnmMDvn3HGMpJpWBg8tgJxr3NxNvg3AXxvXVPbRGJ"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
RENT = 2_039_280


def result() -> dict:
    return json.loads(FIX.read_text())["result"]


def test_a_buy_that_creates_the_token_account_books_its_rent_apart_from_the_swap():
    a = landed_amounts(result(), W, USDC)
    assert a.rent_lamports == RENT
    assert a.sol_delta_lamports == -(100_000_000 + 10_000 + 5_020 + RENT)
    assert a.swap_sol_lamports == -(100_000_000 + 10_000 + 5_020)  # swap + tip + fee, no rent


def test_a_sell_that_closes_the_token_account_gets_its_rent_back_apart_from_the_swap():
    """The same accounts read the other way round: the token account existed before (holding the
    tokens) and is gone after; its lamports came back to the wallet with the swap's SOL."""
    r = result()
    m = r["meta"]
    sell = copy.deepcopy(r)
    sm = sell["meta"]
    sm["preTokenBalances"], sm["postTokenBalances"] = m["postTokenBalances"], []
    sm["preBalances"] = [1_000_000_000, RENT, RENT, 1, 1]
    sm["postBalances"] = [1_000_000_000 + 50_000_000 - 5_020 - 10_000 + RENT, RENT, 0, 1, 1]
    a = landed_amounts(sell, W, USDC)
    assert a.token_delta == -16_198_753 and a.rent_lamports == -RENT
    assert a.swap_sol_lamports == 50_000_000 - 5_020 - 10_000


def test_an_existing_account_or_a_temporary_wsol_account_moves_no_rent():
    r = result()
    again = copy.deepcopy(r)  # a second buy: the token account was there already
    pre = copy.deepcopy(r["meta"]["postTokenBalances"])
    pre[0]["uiTokenAmount"]["amount"] = "5"
    again["meta"]["preTokenBalances"] = pre
    again["meta"]["preBalances"] = [1_000_000_000, RENT, RENT, 1, 1]
    assert landed_amounts(again, W, USDC).rent_lamports == 0
    # a wSOL account holding 0.3 SOL wrapped is rent + tokens: only the rent part is a deposit
    meta = {
        "preTokenBalances": [],
        "postTokenBalances": [
            {"accountIndex": 1, "mint": WSOL_MINT, "owner": W, "uiTokenAmount": {"amount": "300000000"}}
        ],
        "preBalances": [10**9, 0],
        "postBalances": [10**9 - 300_000_000 - RENT, 300_000_000 + RENT],
    }
    assert rent_delta(meta, W) == RENT
    # someone else's token account created in the same transaction is not our deposit
    meta["postTokenBalances"][0]["owner"] = USDC
    assert rent_delta(meta, W) == 0
