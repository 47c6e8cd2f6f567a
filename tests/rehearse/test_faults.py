"""Every injected fault of the local network, observed through the real clients: a dropped
bundle fails without touching the chain; a late one is still pending when the submitter's
wait gives up and lands afterwards; an expired blockhash and a moved pool fail the bundle with
no fee (Jito's revert protection); of a multi-order moment only the first bundle lands; 429s
and lost replies reach the client as its own errors (and a lost sendBundle reply was accepted)."""

from __future__ import annotations

import pytest
from solders.token.associated import get_associated_token_address

from memesnipe.connectors.errors import RateLimitedError, TemporaryError
from memesnipe.connectors.jito import BundleState
from memesnipe.connectors.jito.landing import wait_for_bundle
from memesnipe.rehearse.node import Faults
from tests.rehearse.conftest import START, Env

BUY = 100_000_000


def tokens(env: Env) -> int:
    return env.chain.token_balance(get_associated_token_address(env.me.pubkey(), env.mint))


async def test_a_dropped_bundle_fails_and_touches_nothing(env: Env) -> None:
    env.net.node.faults = Faults(drop=1, drop_after_s=0.2)
    bid = await env.jito.send_bundle([await env.signed_swap(buy=True, amount=BUY)])
    st = await wait_for_bundle(env.jito, bid, timeout_s=5, poll_interval_s=0.05)
    assert st.state is BundleState.FAILED
    assert tokens(env) == 0 and env.chain.balance(env.me.pubkey()) == START
    assert env.net.node.injected == {"drop": 1}


async def test_a_late_bundle_is_pending_past_the_wait_and_lands_afterwards(env: Env) -> None:
    env.net.node.faults = Faults(late=1, late_s=1.0)
    bid = await env.jito.send_bundle([await env.signed_swap(buy=True, amount=BUY)])
    st = await wait_for_bundle(env.jito, bid, timeout_s=0.4, poll_interval_s=0.05)
    assert st.state is BundleState.INVALID and "pending" in st.error  # the submitter: EXPIRED
    assert tokens(env) == 0
    st = await wait_for_bundle(env.jito, bid, timeout_s=5, poll_interval_s=0.05)
    assert st.state is BundleState.LANDED
    assert tokens(env) == env.net.node.bundles[bid].results[0].post_tokens[-1].amount > 0


@pytest.mark.parametrize("fault", ["expire", "slippage"])
async def test_an_expired_blockhash_or_a_moved_pool_fails_the_bundle_with_no_fee(
    env: Env, fault: str
) -> None:
    env.net.node.faults = Faults.parse(fault)
    bid = await env.jito.send_bundle([await env.signed_swap(buy=True, amount=BUY)])
    st = await wait_for_bundle(env.jito, bid, timeout_s=5, poll_interval_s=0.05)
    assert st.state is BundleState.FAILED
    err = env.net.node.bundles[bid].err
    assert ("BlockhashNotFound" if fault == "expire" else "SlippageToleranceExceeded") in err
    assert tokens(env) == 0 and env.chain.balance(env.me.pubkey()) == START


async def test_a_moved_pool_sent_by_rpc_lands_failed_and_pays_the_fee(env: Env) -> None:
    tx = await env.signed_swap(buy=True, amount=BUY, slippage_bps=50)
    pool = env.chain.pools[bytes(env.mint)]
    with env.net.node.lock:
        env.chain.set_price(env.mint, pool.sol_reserve / pool.token_reserve * 1.05)
    sig = await env.rpc.send_transaction(tx, skip_preflight=True, max_retries=0)
    st = (await env.rpc.get_signature_statuses([sig])).value[0]
    assert st is not None and st.err == {"InstructionError": [6, {"Custom": 6001}]}
    assert env.chain.balance(env.me.pubkey()) == START - 8_000 and tokens(env) == 0


async def test_of_a_multi_order_moment_only_the_first_bundle_lands(env: Env) -> None:
    node = env.net.node
    node.slot_s = 3600.0  # slots advance by hand below
    node.stop()
    node.faults = Faults(partial=1)
    first = await env.jito.send_bundle([await env.signed_swap(buy=True, amount=BUY)])
    second = await env.jito.send_bundle([await env.signed_swap(buy=True, amount=2 * BUY)])
    node.tick()
    got = await env.jito.get_inflight_bundle_statuses([first, second])
    assert (got[first].state, got[second].state) == (BundleState.LANDED, BundleState.FAILED)
    assert node.injected == {"partial": 1}


async def test_http_429_reaches_the_client_as_rate_limited_and_retries_recover(env: Env) -> None:
    env.net.node.faults = Faults(http_429=1)
    with pytest.raises(RateLimitedError):
        await env.jito.get_tip_accounts()
    assert env.net.node.injected["http_429"] == 4  # every attempt of the client's retry policy
    env.net.node.faults = Faults(http_429=0.5, seed=3)
    for _ in range(5):
        await env.jupiter.order_quote(str(env.mint), "So11111111111111111111111111111111111111112", 10**9, 50)


async def test_a_lost_reply_times_out_but_the_bundle_was_accepted(env: Env) -> None:
    env.net.node.faults = Faults(timeout=1, hang_s=1.5)
    tx = await _built_before_faults(env)
    with pytest.raises(TemporaryError):
        await env.jito.send_bundle([tx])
    env.net.node.faults = Faults()
    assert len(env.net.node.bundles) == 1
    (bid,) = env.net.node.bundles
    assert await env.jito.send_bundle([tx]) == bid  # the retry finds the same bundle
    st = await wait_for_bundle(env.jito, bid, timeout_s=5, poll_interval_s=0.05)
    assert st.state is BundleState.LANDED


async def _built_before_faults(env: Env) -> str:
    faults = env.net.node.faults
    env.net.node.faults = Faults()
    try:
        return await env.signed_swap(buy=True, amount=BUY)
    finally:
        env.net.node.faults = faults


def test_fault_specs_parse() -> None:
    f = Faults.parse("drop=0.2,late,429=0.05,late_s=70,move_bps=300")
    assert (f.drop, f.late, f.http_429, f.late_s, f.move_bps) == (0.2, 1.0, 0.05, 70.0, 300)
    assert f.active() == ["drop", "late", "http_429"]
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("meteor=1")


async def test_the_submitter_books_a_late_landing_instead_of_expiring_it(env: Env) -> None:
    """The live submitter over the stand-ins: the bundle is still pending when its wait gives up,
    so the order is re-checked by signature until its blockhash expires, and it lands late."""
    import base64

    from solders.transaction import VersionedTransaction

    from memesnipe.agents.submission import Submitter
    from memesnipe.agents.submitter import blockhash_of
    from memesnipe.streams.trading import OrderState

    env.net.node.faults = Faults(late=1, late_s=1.0)
    signed = await env.signed_swap(buy=True, amount=BUY)
    signature = str(VersionedTransaction.from_bytes(base64.b64decode(signed)).signatures[0])
    sub = Submitter(jito=env.jito, rpc=env.rpc, poll_interval_s=0.05, timeout_s=0.3)
    s = await sub.submit(signed, signature)
    out = await sub.outcome(s, signature, blockhash_of(signed))
    assert out.state is OrderState.LANDED and out.reason == "landed late"
    assert tokens(env) > 0
    read = await sub.read_landed(signature, str(env.me.pubkey()), str(env.mint))
    assert read.amounts is not None and read.amounts.token_delta == tokens(env)


async def test_a_transaction_that_never_lands_expires_with_its_blockhash(env: Env) -> None:
    import base64

    from solders.transaction import VersionedTransaction

    from memesnipe.agents.submission import Submitter
    from memesnipe.agents.submitter import blockhash_of
    from memesnipe.streams.trading import OrderState

    env.net.node.faults = Faults(drop=1, drop_after_s=30)  # accepted, then silently never lands
    signed = await env.signed_swap(buy=True, amount=BUY)
    signature = str(VersionedTransaction.from_bytes(base64.b64decode(signed)).signatures[0])
    sub = Submitter(jito=env.jito, rpc=env.rpc, poll_interval_s=0.05, timeout_s=0.2, expiry_ceiling_s=30)
    s = await sub.submit(signed, signature)
    with env.net.node.lock:
        env.chain.advance_slot(200)  # its blockhash is now older than the 150-slot window
    out = await sub.outcome(s, signature, blockhash_of(signed))
    assert out.state is OrderState.EXPIRED, out
    assert tokens(env) == 0
