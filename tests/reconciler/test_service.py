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


async def test_no_adoption_while_an_order_of_the_mint_is_in_flight_nor_twice(net: LocalNet) -> None:
    """An exit landed on chain whose fill is still to come looks like missing tokens: adopting
    it would book the sale twice. The mint waits until the order ended or was filled; an adoption
    sent waits for the books to show it (by the position's fill time), also after a restart."""
    from memesnipe.settings import load_settings
    from memesnipe.streams.trading import Fill, OrderState, OrderUpdate

    me, mint = Keypair().pubkey(), Pubkey.new_unique()
    with net.node.lock:
        chain = net.node.chain
        chain.fund(me, 10**9)
        chain.add_pool(mint, decimals=6, sol_reserve=10**12, token_reserve=10**15)
        chain.set_token_account(get_associated_token_address(me, mint), mint, me, 0)
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    rec = Reconciler(load_settings(), rpc, str(me))
    key = str(mint).encode()
    try:
        rec.apply(encode(pos("a", str(mint), 500)))
        upd = OrderUpdate(order_id="x" * 32, state=OrderState.LANDED, ts=pos("a", "m", 1).ts)
        rec.apply_update(key, encode(upd))  # the exit landed; its fill is on its way
        await rec.reconcile("fill")
        r = await rec.reconcile("schedule")
        assert [(h.books, h.chain) for h in r.mismatches] == [(500, 0)] and r.adopted == ()
        assert r.unadopted == (f"{mint}: an order or an adoption is in flight",) and rec.outbox == []
        rec.apply_update(key, encode(msgspec.structs.replace(upd, state=OrderState.FAILED)))
        r = await rec.reconcile("schedule")
        ((_i, _m, delta, fid),) = [(a.instance_id, a.mint, a.delta, a.fill_id) for a in r.adopted]
        assert delta == -500 and [f.fill_id for f in rec.outbox] == [fid]
        # a late update of the ended order does not put it back in flight
        rec.apply_update(key, encode(msgspec.structs.replace(upd, state=OrderState.SUBMITTED)))
        assert rec.in_flight == {}
        # the books have not shown the adoption yet: the next reading adopts nothing
        sent = rec.outbox.pop()
        r = await rec.reconcile("schedule")
        assert r.adopted == () and r.mismatches != ()
        # a restarted reconciler re-reads its adoption fill from the fills topic: still pending
        again = Reconciler(load_settings(), rpc, str(me))
        again.apply(encode(pos("a", str(mint), 500)))
        again.apply_fill(encode(sent))
        await again.reconcile("schedule")
        assert (await again.reconcile("schedule")).adopted == ()
        # the books show it (a position update reflecting a fill at or after the adoption's)
        done = msgspec.structs.replace(pos("a", str(mint), 0, seq=1, open_=False), fill_ts=sent.ts)
        for r_ in (rec, again):
            r_.apply(encode(done))
            assert r_.pending == {}
            last = await r_.reconcile("schedule")
            assert last.mismatches == () and last.adopted == ()
        # a fill ends its order's flight too
        rec.apply_update(key, encode(OrderUpdate(order_id="y" * 32, state=OrderState.SUBMITTED, ts=upd.ts)))
        assert rec.in_flight == {"y" * 32: str(mint)}
        rec.apply_fill(encode(msgspec.structs.replace(sent, fill_id="y" * 32, order_id="y" * 32, reason="")))
        assert rec.in_flight == {}
        assert isinstance(sent, Fill)
    finally:
        await rpc.aclose()


async def test_a_fill_the_books_do_not_show_yet_holds_its_mint_back_until_shown_or_too_old(
    net: LocalNet,
) -> None:
    """The entry landed and its fill is out (the order is no longer in flight) but the position
    manager has not published the position: the chain holds tokens the books lack. No adoption
    until the books show the fill; a fill they never show (refused) stops holding back after
    ``pending_s``."""
    from datetime import timedelta

    from memesnipe.settings import load_settings
    from memesnipe.streams.base import utcnow
    from memesnipe.streams.trading import Fill, Intent, Side

    me, mint = Keypair().pubkey(), Pubkey.new_unique()
    with net.node.lock:
        chain = net.node.chain
        chain.fund(me, 10**9)
        chain.add_pool(mint, decimals=6, sol_reserve=10**12, token_reserve=10**15)
        chain.set_token_account(get_associated_token_address(me, mint), mint, me, 900)
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    rec = Reconciler(load_settings(), rpc, str(me))
    entry = Fill(
        fill_id="f" * 32, order_id="f" * 32, instance_id="a", family="f", mint=str(mint), ts=utcnow(),
        side=Side.BUY, intent=Intent.ENTRY, qty_tokens=400, notional_lamports=400, price_sol=1.0, paper=False,
    )  # fmt: skip
    try:
        rec.apply(encode(pos("a", str(mint), 500)))  # an older position of the same instance
        rec.apply_fill(encode(entry))  # the books (500) lack the fill's 400 for now
        await rec.reconcile("fill")
        held = await rec.reconcile("schedule")
        assert [(h.books, h.chain) for h in held.mismatches] == [(500, 900)] and held.adopted == ()
        assert held.equity_lamports == 0  # not settled: the 400 new tokens have no price in the books yet
        shown = msgspec.structs.replace(pos("a", str(mint), 900, seq=1), fill_ts=entry.ts)
        rec.apply(encode(shown))
        settled = await rec.reconcile("schedule")
        assert rec.pending == {} and settled.mismatches == ()
        # settled: a value again (these books carry no cost or mark, so the tokens are unpriced)
        assert settled.equity_lamports == 10**9 and settled.unpriced == (str(mint),)
        # a fill the books never show: held back while recent, adoptable once older than pending_s
        late = msgspec.structs.replace(
            entry, fill_id="g" * 32, order_id="g" * 32, ts=entry.ts + timedelta(seconds=1)
        )
        rec.apply_fill(encode(late))
        with net.node.lock:
            chain.set_token_account(get_associated_token_address(me, mint), mint, me, 1_000)
        await rec.reconcile("fill")
        assert (await rec.reconcile("schedule")).adopted == ()
        rec.pending = {k: ts - rec.pending_s - 60 for k, ts in rec.pending.items()}  # as if much later
        ((delta, inst),) = [(a.delta, a.instance_id) for a in (await rec.reconcile("schedule")).adopted]
        assert (delta, inst) == (100, "a")
    finally:
        await rpc.aclose()


async def test_a_difference_whose_numbers_move_between_readings_is_not_reported(net: LocalNet) -> None:
    """The chain moving under books that lag (an exit landed, then the next entry) shows a
    difference at each reading, but never the same one: not persisted, not adopted."""
    from memesnipe.settings import load_settings

    me, mint = Keypair().pubkey(), Pubkey.new_unique()
    ata = get_associated_token_address(me, mint)
    with net.node.lock:
        chain = net.node.chain
        chain.fund(me, 10**9)
        chain.add_pool(mint, decimals=6, sol_reserve=10**12, token_reserve=10**15)
        chain.set_token_account(ata, mint, me, 0)  # the exit landed
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    rec = Reconciler(load_settings(), rpc, str(me))
    try:
        rec.apply(encode(pos("a", str(mint), 800)))  # the books still hold the position
        assert (await rec.reconcile("fill")).mismatches == ()
        with net.node.lock:
            chain.set_token_account(ata, mint, me, 790)  # the next entry landed
        moved = await rec.reconcile("schedule")
        assert moved.mismatches == () and moved.adopted == () and rec.outbox == []
        again = await rec.reconcile("schedule")  # the same numbers twice: now it is a difference
        assert [(h.books, h.chain) for h in again.mismatches] == [(800, 790)]
    finally:
        await rpc.aclose()
