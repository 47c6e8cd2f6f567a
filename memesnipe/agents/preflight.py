"""Live-mode preflight: every check that must pass before the first real order, and what the
configuration puts at risk. No Faust and no key access here: the key file is only stat()ed
(type, owner, mode), never opened; the wallet is known by its public key.

Checks: live confirmation, wallet key file present and private to the signer's user, public key
known, SOL balance above the floor, RPC and block engine reachable, Jupiter API key set, kill
switch off, caps configured and consistent; the perp venue's program live or paused (a paused
venue warns: shorts degrade, longs trade on).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from memesnipe.agents.routing import signer_pubkey
from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.perp_venue import PerpVenue
from memesnipe.settings import Mode, Settings
from memesnipe.streams.base import LAMPORTS_PER_SOL

LIVE_CONFIRMATION = "I-ACCEPT-REAL-MONEY-RISK"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warn: bool = False  # passed, but something degrades (e.g. the perp venue is paused)


def format_checks(checks: list[Check]) -> list[str]:
    """One line per check, as ``memesnipe preflight`` prints them."""
    width = max(len(c.name) for c in checks)
    tag = {True: "ok", False: "FAIL"}
    return [
        f"  [{'WARN' if c.ok and c.warn else tag[c.ok]}] {c.name.ljust(width)}  {c.detail}" for c in checks
    ]


async def perp_venue_check(venue: PerpVenue) -> Check:
    """Whether the shorts' venue program is live or paused (its own state account). Paused does
    not fail the preflight (longs trade on): shorts degrade to exit longs and block entries."""
    st = await venue.status()
    if st.live:
        return Check(f"perp venue {st.venue}", True, f"{st.reason}; {st.source}")
    return Check(
        f"perp venue {st.venue}",
        True,
        f"NOT LIVE: {st.reason}; {st.source}; short theses degrade to exit longs and block entries",
        warn=True,
    )


def sol(lamports: int) -> str:
    return f"{lamports / LAMPORTS_PER_SOL:.4f} SOL"


def key_file_check(path: Path | None) -> Check:
    """The live keypair file: a regular file, owned by this (the signer's) user, mode 0600/0400."""
    if path is None:
        return Check("wallet key", False, "MEMESNIPE_SIGNER__KEY_PATH is not set")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Check("wallet key", False, f"{path} does not exist (MEMESNIPE_SIGNER__KEY_PATH)")
    except PermissionError:
        return Check("wallet key", False, f"{path} cannot be inspected by this user")
    if not stat.S_ISREG(st.st_mode):
        return Check("wallet key", False, f"{path} is not a regular file")
    if st.st_mode & 0o077:
        return Check(
            "wallet key",
            False,
            f"{path} is accessible to group/others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}",
        )
    if st.st_uid != os.geteuid():
        return Check(
            "wallet key", False, f"{path} is owned by uid {st.st_uid}, not the signer's uid {os.geteuid()}"
        )
    return Check("wallet key", True, f"{path} (mode {stat.S_IMODE(st.st_mode):04o}, owner uid {st.st_uid})")


def caps_check(s: Settings) -> Check:
    problems = []
    signer = getattr(s, "signer", None)
    per_tx = getattr(signer, "per_tx_cap_lamports", None)
    if per_tx is not None and s.risk.max_order_lamports > per_tx:
        problems.append("risk.max_order_lamports exceeds signer.per_tx_cap_lamports")
    if s.jito.tip_max_lamports > s.risk.max_order_lamports:
        problems.append("jito.tip_max_lamports exceeds the per-order spend cap")
    if s.risk.max_order_lamports > s.risk.capital_lamports:
        problems.append("risk.max_order_lamports exceeds risk.capital_lamports")
    return Check("caps", not problems, "; ".join(problems) or "consistent")


def risk_summary(s: Settings) -> list[str]:
    """What live mode will put at risk, from the configuration."""
    signer = getattr(s, "signer", None)
    priority = min(s.execution.priority_fee_lamports, s.execution.max_priority_fee_lamports)
    lines = [
        f"capital at work        {sol(s.risk.capital_lamports)}",
        f"max per order          {sol(s.risk.max_order_lamports)}",
        f"max per token          {sol(s.risk.max_token_lamports)}",
        f"max per strategy       {sol(s.risk.max_strategy_lamports)}",
        f"max open positions     {s.risk.max_open_positions}",
        f"max drawdown (kill)    {s.risk.max_drawdown:.0%}",
        f"Jito tip per tx        p{s.jito.tip_percentile:g} x{s.jito.tip_multiplier:g}, "
        f"{s.jito.tip_min_lamports}..{s.jito.tip_max_lamports} lamports",
        f"priority fee per tx    <= {priority} lamports",
    ]
    if signer is not None and hasattr(signer, "daily_cap_lamports"):
        lines.append(f"signer daily entry cap {sol(signer.daily_cap_lamports)}")
    return lines


async def run_checks(
    s: Settings,
    *,
    rpc: SolanaRpcClient,
    jito: JitoClient,
    kill_switch_active: Callable[[], Awaitable[tuple[bool, str]]],
    check_key_file: bool = True,
    perp_venue: PerpVenue | None = None,
) -> list[Check]:
    """``check_key_file``: only where the signer's user runs it (the CLI); the router's worker may
    not even be able to see the key file, and the signer refuses to start with an unsafe one."""
    confirmed = s.live_confirm == LIVE_CONFIRMATION
    checks = [
        Check(
            "live mode",
            s.mode is Mode.LIVE and confirmed,
            f"mode={s.mode.value}; MEMESNIPE_LIVE_CONFIRM {'set' if confirmed else 'missing'}",
        ),
    ]
    if check_key_file:
        checks.append(key_file_check(getattr(getattr(s, "signer", None), "key_path", None)))
    pub = signer_pubkey(s)
    checks.append(
        Check("wallet public key", bool(pub), pub or "unknown: set MEMESNIPE_SIGNER__WALLET_PUBKEY")
    )
    try:
        bh = await rpc.get_latest_blockhash()
        checks.append(Check("RPC reachable", True, f"{s.execution.rpc_url} (slot {bh.context.slot})"))
        if pub:
            bal = await rpc.get_balance(pub)
            floor = s.execution.min_sol_balance_lamports
            checks.append(Check("SOL balance", bal >= floor, f"{sol(bal)} (floor {sol(floor)})"))
    except ProviderError as exc:
        checks.append(Check("RPC reachable", False, f"{s.execution.rpc_url}: {exc}"))
    try:
        accts = await jito.get_tip_accounts()
        checks.append(
            Check("block engine reachable", True, f"{s.jito.block_engine_url} ({len(accts)} tip accounts)")
        )
    except ProviderError as exc:
        checks.append(Check("block engine reachable", False, f"{s.jito.block_engine_url}: {exc}"))
    checks.append(
        Check(
            "Jupiter API key",
            bool(s.jupiter.api_key),
            "set" if s.jupiter.api_key else "MEMESNIPE_JUPITER__API_KEY is empty",
        )
    )
    if perp_venue is not None:
        checks.append(await perp_venue_check(perp_venue))
    active, why = await kill_switch_active()
    checks.append(Check("kill switch off", not active, f"active: {why}" if active else "off"))
    checks.append(caps_check(s))
    return checks


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]
