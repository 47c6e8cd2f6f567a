"""The reconciler against the local chain's RPC stand-in (the documented response shapes) and
the real broker: books equal to the wallet reconcile; a difference is reported only when it holds
over two readings (one reading can race a fill), and every reading is published."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from aiokafka import AIOKafkaProducer
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from memesnipe import metrics
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.reconciler.service import Reconciler
from memesnipe.rehearse.net import LocalNet
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import HoldingRow
from tests.core.test_reconcile import pos
from tests.support.kafka import consume


@pytest.fixture
def net() -> Iterator[LocalNet]:
    n = LocalNet.start(slot_s=0.05)
    yield n
    n.stop()


async def test_books_against_the_local_chain(net: LocalNet, isolated_env) -> None:
    me = Keypair().pubkey()
    mint = Pubkey.new_unique()
    with net.node.lock:
        chain = net.node.chain
        chain.fund(me, 5 * 10**9)
        chain.add_pool(mint, decimals=6, sol_reserve=10**12, token_reserve=10**15)
        chain.set_token_account(get_associated_token_address(me, mint), mint, me, 700)
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    settings = isolated_env.settings()
    rec = Reconciler(settings, rpc, str(me))
    try:
        for p in (pos("a", str(mint), 500), pos("b", str(mint), 200)):
            rec.apply(encode(p))
        first = await rec.reconcile("schedule")
        assert first.holdings == (HoldingRow(str(mint), 700, 700),) and first.mismatches == ()
        assert first.sol_lamports == 5 * 10**9
        rec.apply(encode(pos("b", str(mint), 100, seq=1)))  # the books sold 100 the chain did not
        once = await rec.reconcile("fill")
        assert once.mismatches == ()  # not yet: a fill may still be on its way
        twice = await rec.reconcile("schedule")
        assert twice.mismatches == (HoldingRow(str(mint), 600, 700),)
        assert metrics.RECONCILE_MISMATCHES._value.get() == 1
        # the record goes to its topic, keyed by the wallet
        producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                isolated_env.topic("reconciliations"), key=str(me).encode(), value=encode(twice)
            )
        finally:
            await producer.stop()
        (raw,) = await consume(isolated_env.bootstrap, isolated_env.topic("reconciliations"), min_count=1)
        back = msgspec.json.decode(raw.value)
        assert back["wallet"] == str(me) and back["mismatches"] == [[str(mint), 600, 700]]
    finally:
        await rpc.aclose()


async def test_token_balances_from_the_documented_shape() -> None:
    import json
    from pathlib import Path

    import httpx

    doc = json.loads(
        (
            Path(__file__).parents[1] / "fixtures/solana_rpc/getTokenAccountsByOwner_jsonParsed.json"
        ).read_text()
    )
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        seen.append(body["params"][1]["programId"])
        if body["params"][1]["programId"].startswith("Tokenkeg"):
            return httpx.Response(200, json=doc)
        return httpx.Response(200, json={**doc, "result": {**doc["result"], "value": []}})

    rpc = SolanaRpcClient("https://rpc.example", transport=httpx.MockTransport(handler), rate_per_s=1000)
    try:
        got = await rpc.get_token_balances("A1TMhSGzQxMr1TboBKtgixKz1sS6REASMxPo1qsyTSJd")
    finally:
        await rpc.aclose()
    assert got == {"2cHr7QS3xfuSV8wdxo3ztuF4xbiarF6Nrgx3qpx3HzXR": 420_000_000_000_000}
    assert seen == [
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
    ]


def test_a_positions_record_it_cannot_read_is_skipped_and_the_books_stay() -> None:
    from memesnipe.settings import load_settings

    rec = Reconciler(load_settings(), None, "W")  # type: ignore[arg-type]
    rec.apply(encode(pos("a", "M", 5)))
    for bad in (b"[" * 5000, b"\xff\xfe", b'{"instance_id": 3}', b"not json"):
        rec.apply(bad)
    assert rec.skipped == 4 and {k: p.qty_tokens for k, p in rec.positions.items()} == {("a", "M"): 5}
