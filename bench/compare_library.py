"""Our backtester against backtrader (an established event-driven Python backtester from PyPI)
on the same price data and the same rule: the momentum_5m family, on one core, in one run.

    python bench/compare_library.py [--count 1000000] [--mints 12] [--seed 7] [--repeat 3] [--cpu N]

Data: the PriceEvents of the simulated recording ``bench/backtest.py`` uses (same seed, mints
and count; written on first use), all mints. Each event is one backtrader bar at the event
resolution (open = high = low = close = ``price_usd``, volume = ``volume_usd_5m``, plus the
event's epoch seconds as an extra line ``t``), one ``Cerebro`` per mint (the rule is per mint;
one feed per Cerebro spares backtrader its multi-feed time synchronisation, the fastest way to
run it). Timed: ``cerebro.run()`` for every mint (feed loading, the strategy, the broker).

The rule in backtrader (``Momentum5mBT``) is written from momentum_5m's definition, not from
its code: price sampled in 60 s buckets (the last price of each), the 5-minute return against
the bucket 5 (else 6) buckets back; the ``volume_usd_5m`` samples' mean over the 12 closed
5-minute buckets before the current one; enter when return >= ``min_return``, volume >= $1,000, volume /
max(mean, 1) >= ``volume_mult`` with at least 6 samples, and not in the 600 s cool-down; exit when the
return <= -5 % or after 3,600 s held. Entries and exits follow the rule's own position flag
(as momentum_5m's state does), so its signal counts must equal ours exactly.

Ours: ``Backtester([momentum_5m spec], settings)`` over the same PriceEvents (decoded up front,
GC-frozen as in bench/backtest.py (a)), with ``risk.require_depth`` and
``risk.require_safety_data`` off, since price events carry neither. Events/s are per CPU-second
of the pinned process; the last line is ``ours_vs_backtrader_ratio: X`` (ours / theirs).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import backtrader as bt
from backtest import DEFAULT_CACHE, Timing, bench_settings, ensure_recording, peak_rss_mib, pin_one_cpu

MOMENTUM_PARAMS = {
    "lookback_s": 300,
    "bucket_s": 60,
    "baseline_s": 3600,
    "baseline_bucket_s": 300,
    "min_return": 0.03,
    "volume_mult": 1.0,
    "min_volume_usd": 1000.0,
    "min_baseline_samples": 6,
    "exit_return": -0.05,
    "max_hold_s": 3600,
    "cooldown_s": 600,
}
"""momentum_5m's parameters, spelled out so both sides provably run the same ones: the family's
defaults except ``min_return`` 0.03 (default 0.05) and ``volume_mult`` 1.0 (default 2.5). With
the defaults the rule fires only in the first 2.5 simulated hours of this recording (12 entries:
the simulator's volume never again reaches 2.5x its baseline), too few to cross-check two
implementations; with these it fires ~570 times over all 81 hours."""


class TickData(bt.feeds.PandasData):
    """One bar per price event, with the event's epoch seconds as line ``t``."""

    lines = ("t",)
    params = (("t", -1),)


class Momentum5mBT(bt.Strategy):
    """momentum_5m in backtrader: see the module doc for the rule."""

    params = (*MOMENTUM_PARAMS.items(), ("stake_usd", 1_000.0))

    def __init__(self) -> None:
        p = self.p
        self.k = p.lookback_s // p.bucket_s
        self.n_px = self.k + 2  # buckets kept: k back, and one more if that one is empty
        self.n_base = p.baseline_s // p.baseline_bucket_s  # closed volume buckets in the mean
        self.px: deque[tuple[int, float]] = deque()  # (60 s bucket, its last price), oldest first
        self.vol: deque[list[float]] = deque()  # [5 min bucket, sum, count], oldest first
        self.past = 0.0
        self.in_pos = False
        self.t_in = 0.0
        self.cool_until = 0.0
        self.entries = self.exits = self.filled = self.closed = 0

    def _past_price(self, head: int) -> float:
        by_bucket = dict(self.px)
        for j in range(self.k, self.n_px):
            v = by_bucket.get(head - j)
            if v:
                return v
        return 0.0

    def next(self) -> None:
        p = self.p
        px = self.data.close[0]
        if not px > 0.0:
            return
        t = self.data.t[0]
        b = int(t // p.bucket_s)
        if self.px and self.px[-1][0] == b:
            self.px[-1] = (b, px)
        else:
            self.px.append((b, px))
            while self.px[0][0] <= b - self.n_px:
                self.px.popleft()
            self.past = self._past_price(b)
        vol = self.data.volume[0]
        vb = int(t // p.baseline_bucket_s)
        if self.vol and self.vol[-1][0] == vb:
            head = self.vol[-1]
            head[1] += vol
            head[2] += 1.0
        else:
            self.vol.append([vb, vol, 1.0])
            while self.vol[0][0] < vb - self.n_base:
                self.vol.popleft()
        if self.past == 0.0:
            return
        ret = px / self.past - 1.0
        if self.in_pos:
            if ret <= p.exit_return or t - self.t_in >= p.max_hold_s:
                self.in_pos = False
                self.cool_until = t + p.cooldown_s
                self.exits += 1
                if self.position:
                    self.close()
            return
        if ret < p.min_return or vol < p.min_volume_usd or t < self.cool_until:
            return
        total = count = 0.0
        for bucket, s, c in self.vol:
            if bucket != vb:
                total += s
                count += c
        if count < p.min_baseline_samples:
            return
        base = total / count
        if vol / (base if base > 1.0 else 1.0) < p.volume_mult:
            return
        self.in_pos = True
        self.t_in = t
        self.entries += 1
        if not self.position:
            self.buy(size=p.stake_usd / px)

    def notify_order(self, order: Any) -> None:
        if order.status == order.Completed:
            self.filled += 1

    def notify_trade(self, trade: Any) -> None:
        if trade.isclosed:
            self.closed += 1


def frames(prices: list[Any]) -> dict[str, Any]:
    """One DataFrame per mint: the bars backtrader reads (built before the timed part)."""
    import pandas as pd

    by_mint: dict[str, list[Any]] = {}
    for ev in prices:
        by_mint.setdefault(ev.mint, []).append(ev)
    out = {}
    for mint, evs in by_mint.items():
        px = [e.price_usd for e in evs]
        out[mint] = pd.DataFrame(
            {
                "open": px, "high": px, "low": px, "close": px,
                "volume": [e.volume_usd_5m for e in evs], "openinterest": [0.0] * len(evs),
                "t": [e.ts.timestamp() for e in evs],
            },
            index=pd.DatetimeIndex([e.ts for e in evs]).tz_convert(None),
        )  # fmt: skip
    return out


def run_backtrader(dfs: dict[str, Any]) -> dict[str, int]:
    """Every mint's Cerebro; the summed counts of the rule's signals, fills and closed trades."""
    totals = {"entries": 0, "exits": 0, "fills": 0, "closed_trades": 0}
    for df in dfs.values():
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(TickData(dataname=df))
        cerebro.addstrategy(Momentum5mBT)
        cerebro.broker.setcash(1e9)
        cerebro.broker.setcommission(commission=0.0025)  # the paper router's 25 bps swap fee
        (strat,) = cerebro.run()
        totals["entries"] += strat.entries
        totals["exits"] += strat.exits
        totals["fills"] += strat.filled
        totals["closed_trades"] += strat.closed
    return totals


def run_ours(prices: list[Any], settings: Any) -> dict[str, int]:
    from memesnipe.backtest import Backtester
    from memesnipe.streams.control import StrategySpec
    from memesnipe.streams.trading import Intent

    spec = StrategySpec(instance_id="momentum_5m.bench", family="momentum_5m", params=MOMENTUM_PARAMS)
    res = Backtester([spec], settings).run(prices)
    mom = [
        s for s in res.signals if s.family == "momentum_5m" and s.reason.startswith(("5m return", "momentum"))
    ]
    return {
        "entries": sum(1 for s in mom if s.intent is Intent.ENTRY),
        "exits": sum(1 for s in mom if s.intent is Intent.EXIT),
        "position_manager_exits": len(res.signals) - len(mom),
        "orders": len(res.orders),
        "rejections": len(res.rejections),
        "fills": len(res.fills),
        "closed_trades": sum(len(v) for v in res.closed_trades.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="events in the recording (all types)")
    ap.add_argument("--mints", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=None)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = ap.parse_args()

    from memesnipe.backtest.recording import read_events
    from memesnipe.streams.market import PriceEvent

    cpu_arg = f" --cpu {args.cpu}" if args.cpu is not None else ""
    print(
        f"reproduce: python bench/compare_library.py --count {args.count} --mints {args.mints} "
        f"--seed {args.seed} --repeat {args.repeat}{cpu_arg}"
    )
    rec, _ = ensure_recording(args.cache, args.seed, args.mints, args.count)
    cpu = pin_one_cpu(args.cpu)
    prices = [ev for ev in read_events(rec) if type(ev) is PriceEvent]
    n = len(prices)
    dfs = frames(prices)
    settings = bench_settings(require_depth=False, require_safety_data=False)
    print(f"recording: {rec}; pinned to CPU {cpu}, load average {os.getloadavg()[0]:.1f}")
    print(
        f"data: {n:,} PriceEvents of {len(dfs)} mints ({min(map(len, dfs.values())):,} to "
        f"{max(map(len, dfs.values())):,} per mint); backtrader {bt.__version__}"
    )
    gc.collect()
    gc.freeze()
    ours, theirs = Timing("ours (Backtester)"), Timing("backtrader")
    got_ours: list[dict[str, int]] = []
    got_theirs: list[dict[str, int]] = []
    for _ in range(args.repeat):
        got_ours.append(ours.measure(lambda: run_ours(prices, settings)))  # type: ignore[arg-type]
        got_theirs.append(theirs.measure(lambda: run_backtrader(dfs)))  # type: ignore[arg-type]
    gc.unfreeze()
    if any(g != got_ours[0] for g in got_ours) or any(g != got_theirs[0] for g in got_theirs):
        raise SystemExit(f"runs disagree: {got_ours} {got_theirs}")
    o, t = got_ours[0], got_theirs[0]
    print(f"ours:       {', '.join(f'{k} {v:,}' for k, v in o.items())}")
    print(f"backtrader: {', '.join(f'{k} {v:,}' for k, v in t.items())}")
    same = o["entries"] == t["entries"] and o["exits"] == t["exits"]
    print(
        f"rule signals (entries, exits): ours ({o['entries']}, {o['exits']}) vs backtrader "
        f"({t['entries']}, {t['exits']}): {'identical' if same else 'DIFFERENT'}"
    )
    print(ours.line(n))
    print(theirs.line(n))
    ratio = ours.rate(n) / theirs.rate(n)
    print(
        f"ours: {ours.rate(n):,.0f} PriceEvents/s; backtrader: {theirs.rate(n):,.0f} bars/s; "
        f"ratio {ratio:.1f}x"
    )
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    print(f"ours_vs_backtrader_ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
