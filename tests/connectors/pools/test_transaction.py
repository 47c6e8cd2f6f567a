"""Instructions of a confirmed transaction, in both documented encodings, from a real transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from memesnipe.connectors.pools.new_pool import new_pools
from memesnipe.connectors.pools.programs import DECODERS
from memesnipe.connectors.pools.transaction import TransactionShapeError, b58decode, instructions
from memesnipe.connectors.raydium.pools import AMM_V4_PROGRAM
from tests.connectors.pools.encoding import as_json_encoding, b58encode

FIX = Path(__file__).parents[2] / "fixtures" / "raydium" / "initialize2_transactionNotifications.json"
REAL = json.loads(FIX.read_text())[0]["params"]["result"]["transaction"]


def test_the_json_encoding_with_lookup_table_loads_reads_the_same_pool_as_json_parsed() -> None:
    (parsed,) = new_pools(REAL, DECODERS)
    for loaded in (0, 5):  # the pool program and the mint come from the lookup table when 5
        (plain,) = new_pools(as_json_encoding(REAL, loaded=loaded), DECODERS)
        assert plain == parsed


def test_instructions_come_in_execution_order_and_parsed_ones_are_skipped() -> None:
    ixs = list(instructions(REAL))
    # two ComputeBudget instructions, then initialize2 and its call into OpenBook (srmq...);
    # system and spl-token instructions arrive parsed by the node
    budget = "ComputeBudget111111111111111111111111111111"
    openbook = "srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX"
    assert [i.program for i in ixs] == [budget, budget, AMM_V4_PROGRAM, openbook]
    assert [(i.outer, i.inner) for i in ixs] == [(0, False), (1, False), (4, False), (4, True)]
    assert ixs[2].data[0] == 1 and len(ixs[2].accounts) == 21


def test_base58_round_trips_including_leading_zero_bytes() -> None:
    for raw in (b"", b"\0", b"\0\0\x01\xff", bytes(range(40))):
        assert b58decode(b58encode(raw)) == raw
    with pytest.raises(ValueError, match="base-58"):
        b58decode("0OIl")


def _broken(mutate: Any) -> dict[str, Any]:
    tx = as_json_encoding(REAL)
    mutate(tx)
    return tx


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t["transaction"]["message"].pop("accountKeys"),
        lambda t: t["transaction"]["message"]["instructions"][4].update(programIdIndex=999),
        lambda t: t["transaction"]["message"]["instructions"][4].update(data="0OIl"),
        lambda t: t["transaction"]["message"]["accountKeys"].__setitem__(0, 7),
    ],
)
def test_a_transaction_not_of_the_documented_shape_is_refused(mutate: Any) -> None:
    with pytest.raises(TransactionShapeError):
        new_pools(_broken(mutate), DECODERS)
