"""Portfolio monitor: ledger marks -> equity, high-water mark, drawdown -> the kill switch.

Reads the single-partition ledger topic (every strategy's PnL on every mint) into
``portfolio[b"global"]``: equity = capital + realized + unrealized PnL (see
:mod:`memesnipe.core.portfolio`), evaluated after every mark. When the drawdown reaches
``risk.max_drawdown`` it publishes ``KillSwitch(active=True, by="portfolio_monitor", ...)`` to
``killswitch`` (key ``global``), with ``flatten`` = ``risk.flatten_on_drawdown``; the gate, the
router and the signer then refuse new entries (exits still pass). It trips once; after an
operator's ``memesnipe resume`` (a later inactive KillSwitch) it re-arms and measures drawdown
from the equity at that point.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faust.types import EventT

from memesnipe import metrics
from memesnipe.agents.channels import topic
from memesnipe.agents.stage import Stage
from memesnipe.app import app, settings
from memesnipe.core.control import KILL_KEY_BYTES
from memesnipe.core.ledger import MintPnl
from memesnipe.core.portfolio import Portfolio
from memesnipe.settings import Mode
from memesnipe.streams.base import LAMPORTS_PER_SOL, utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.ledger import LedgerMark
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.tables.control import shared_kill_view
from memesnipe.tables.ledger import (
    PORTFOLIO_KEY,
    PortfolioState,
    dump,
    ledger_topic,
    load_portfolio,
    portfolio,
)
from memesnipe.tables.wallet import WalletView

log = logging.getLogger(__name__)

CONSUMER = "portfolio_monitor"
stage = Stage(CONSUMER, {"ledger": LedgerMark}, latency=False)
R = settings.risk
kill_view = shared_kill_view(settings)
wallet_view = WalletView.from_settings(settings) if settings.mode is Mode.LIVE else None


def kill_message(pf: Portfolio) -> KillSwitch:
    return KillSwitch(
        active=True,
        ts=utcnow(),
        by="portfolio_monitor",
        reason=(
            f"drawdown {pf.drawdown:.2%} >= {R.max_drawdown:.2%}"
            f" (equity {pf.equity / LAMPORTS_PER_SOL:.4f} SOL, HWM {pf.hwm / LAMPORTS_PER_SOL:.4f} SOL)"
        ),
        flatten=R.flatten_on_drawdown,
        drawdown=pf.drawdown,
    )


def apply_marks(st: PortfolioState, pf: Portfolio, marks: list[tuple[int, LedgerMark]]) -> KillSwitch | None:
    """Fold marks (offset, mark) in order; return the kill switch if this batch trips it."""
    trip: KillSwitch | None = None
    for off, m in marks:
        if off <= st.offset:
            continue
        st.offset = off
        if m.shadow:  # hypothetical PnL (core.shadow) is not equity
            continue
        key = f"{m.instance_id}|{m.mint}"
        cur = st.marks.get(key)
        if cur is not None and m.seq <= cur.seq:
            continue
        old = cur.realized + cur.unrealized if cur is not None else 0
        st.marks[key] = MintPnl(m.realized_lamports, m.unrealized_lamports, m.seq)
        st.pnl += m.realized_lamports + m.unrealized_lamports - old
        if st.wallet_ts == 0.0 and pf.update(st.pnl) and trip is None:  # live: the wallet's value
            trip = kill_message(pf)
    return trip


def apply_wallet(st: PortfolioState, pf: Portfolio, rec: Reconciliation | None) -> KillSwitch | None:
    """Live: the wallet's value at the reconciler's newest reading is the equity (marks stop
    moving it once the first reading is applied; that reading is the high-water mark's base)."""
    if rec is None or rec.equity_lamports <= 0 or rec.ts.timestamp() <= st.wallet_ts:
        return None
    first, st.wallet_ts = st.wallet_ts == 0.0, rec.ts.timestamp()
    if first:
        pf.start_from(rec.equity_lamports)
        return None
    return kill_message(pf) if pf.set_equity(rec.equity_lamports) else None


def maybe_rearm(st: PortfolioState, pf: Portfolio, ks: KillSwitch | None) -> bool:
    """A resume (inactive kill switch) newer than our trip re-arms the monitor."""
    if st.tripped and ks is not None and not ks.active and ks.ts.timestamp() > st.trip_ts:
        pf.rearm()
        return True
    return False


_wallet_task: set[asyncio.Future[None]] = set()


async def _follow_wallet(view: WalletView) -> None:
    """Start following the reconciler's readings; until one arrives, equity is the marks'."""
    try:
        await view.start()
    except Exception as exc:
        log.error("live equity: cannot follow the reconciliations topic (%s); equity stays the marks'", exc)


@app.agent(ledger_topic, name="portfolio_monitor")
async def portfolio_monitor(stream: Any) -> None:
    await topic("killswitch").maybe_declare()
    await kill_view.ensure_started(120)
    if wallet_view is not None:
        _wallet_task.add(asyncio.ensure_future(_follow_wallet(wallet_view)))
    async for events in stage.batches(stream):
        decoded: list[tuple[EventT, LedgerMark]] = [(ev, m) for ev, _s, m in await stage.decode(events)]
        if not decoded:
            continue
        st = load_portfolio(portfolio.get(PORTFOLIO_KEY))
        pf = Portfolio(R.capital_lamports, R.max_drawdown, hwm=st.hwm, equity=st.equity, tripped=st.tripped)
        if maybe_rearm(st, pf, kill_view.status.message):
            log.info(
                "portfolio monitor re-armed after resume; HWM reset to %.4f SOL", pf.hwm / LAMPORTS_PER_SOL
            )
        trip = apply_marks(st, pf, [(ev.message.offset, m) for ev, m in decoded])
        if wallet_view is not None:
            trip = apply_wallet(st, pf, wallet_view.latest) or trip
        if trip is not None:
            await (await topic("killswitch").send(key=KILL_KEY_BYTES, value=encode(trip)))
            st.trip_ts = trip.ts.timestamp()
            st.trips += 1
            log.warning("KILL SWITCH: %s", trip.reason)
        st.hwm, st.equity, st.tripped = pf.hwm, pf.equity, pf.tripped
        metrics.PORTFOLIO_EQUITY.set(pf.equity)
        metrics.PORTFOLIO_DRAWDOWN.set(pf.drawdown)
        await stage.write(portfolio, {PORTFOLIO_KEY: (decoded[-1][0], dump(st))})


@app.on_before_shutdown.connect  # type: ignore[arg-type]
async def _stop_views(sender: Any, **kwargs: Any) -> None:
    """Close this module's global-view consumer with the worker."""
    await kill_view.stop()
    if wallet_view is not None:
        await wallet_view.stop()
