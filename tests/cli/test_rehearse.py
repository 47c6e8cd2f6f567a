"""``memesnipe rehearse``'s own arithmetic: the round trips' PnL (fills, open positions at their
mark, fees of failed transactions; a token account's rent is not PnL) and the paper variant's
settings (paper mode, no live confirmation, the same venues)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from solders.keypair import Keypair

from memesnipe.cli.rehearse import pnl, rehearsal_env
from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side

T = datetime(2026, 12, 8, tzinfo=UTC)


def fill(side: Side, notional: int, **kw: int) -> Fill:
    return Fill(
        fill_id=f"{side.value}{notional}",
        order_id=f"{side.value}{notional}",
        instance_id="i",
        family="f",
        mint="M",
        ts=T,
        side=side,
        intent=Intent.ENTRY if side is Side.BUY else Intent.EXIT,
        qty_tokens=1_000,
        notional_lamports=notional,
        price_sol=1.0,
        paper=False,
        **kw,
    )


def test_pnl_is_what_came_back_minus_what_went_out_and_every_cost() -> None:
    fills = [
        fill(
            Side.BUY,
            100_000_000,
            priority_fee_lamports=5_000,
            jito_tip_lamports=10_000,
            rent_lamports=2_039_280,
        ),
        fill(
            Side.SELL, 103_000_000, priority_fee_lamports=5_000, jito_tip_lamports=10_000, swap_fee_lamports=7
        ),
        fill(Side.BUY, 50_000_000, priority_fee_lamports=5_000, jito_tip_lamports=10_000),
    ]
    still_open = PositionUpdate(
        instance_id="i",
        mint="M",
        ts=T,
        status=PositionStatus.OPEN,
        side=Side.BUY,
        qty_tokens=1_000,
        entry_price_sol=1.0,
        mark_price_sol=0.9,
        cost_lamports=50_000_000,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=0,
        unrealized_gross_pnl_lamports=-5_000_000,
    )
    closed = PositionUpdate(
        instance_id="j",
        mint="N",
        ts=T,
        status=PositionStatus.CLOSED,
        side=Side.BUY,
        qty_tokens=0,
        entry_price_sol=1.0,
        mark_price_sol=1.0,
        cost_lamports=0,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=0,
    )
    got = pnl(fills, [still_open, closed], failed_fees=5_000)
    assert got["gross_of_costs"] == 103_000_000 - 150_000_000 + 45_000_000
    assert got["jito_tips"] == 30_000 and got["network_and_priority_fees"] == 15_000 and got["swap_fees"] == 7
    assert got["net"] == -2_000_000 - 30_000 - 15_000 - 7 - 5_000  # the 2,039,280 rent is not in it


def test_the_paper_variant_runs_in_paper_mode_against_the_same_venues(tmp_path: Path) -> None:
    net = {"MEMESNIPE_JUPITER__BASE_URL": "http://127.0.0.1:1"}
    base = {"MEMESNIPE_KAFKA__BROKER": "kafka://b:9092", "MEMESNIPE_MODE": "live", "PATH": "/bin"}
    live = rehearsal_env(base, tmp_path, Keypair(), net, "t")
    paper = rehearsal_env(base, tmp_path, Keypair(), net, "t", paper=True)
    assert (live["MEMESNIPE_MODE"], paper["MEMESNIPE_MODE"]) == ("live", "paper")
    assert live["MEMESNIPE_LIVE_CONFIRM"] and not paper["MEMESNIPE_LIVE_CONFIRM"]
    assert (
        paper["MEMESNIPE_JUPITER__BASE_URL"]
        == live["MEMESNIPE_JUPITER__BASE_URL"]
        == net["MEMESNIPE_JUPITER__BASE_URL"]
    )
    assert (tmp_path / "wallet.json").stat().st_mode & 0o777 == 0o600
    assert "MEMESNIPE_SIGNER__WALLET_PUBKEY" not in paper  # its own paper key, not the live one
    assert live["MEMESNIPE_SIGNER__KEY_PATH"] == str(tmp_path / "wallet.json")
