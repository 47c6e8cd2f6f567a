"""``memesnipe preflight``: run the live-mode checks, print them and what live mode will risk.
Exit status 0 only when every check passes (the router runs the same checks before its first
live order and refuses orders until they pass)."""

from __future__ import annotations

import argparse
import asyncio

from memesnipe.settings import Settings, get_settings


async def _kill_switch(settings: Settings) -> tuple[bool, str]:
    """The kill switch as every stage reads it (``core.control``), the topic read to its end."""
    from memesnipe.tables.control import read_kill_switch

    st = await read_kill_switch(settings, timeout_s=20)
    return st.active, st.reason if st.active else ""


async def preflight(settings: Settings) -> int:
    from memesnipe.agents.preflight import failures, format_checks, risk_summary, run_checks
    from memesnipe.connectors.jito import JitoClient
    from memesnipe.connectors.solana_rpc.client import SolanaRpcClient

    rpc = SolanaRpcClient(settings.execution.rpc_url)
    jito = JitoClient(settings.jito.block_engine_url, uuid=settings.jito.uuid)

    async def kill() -> tuple[bool, str]:
        try:
            return await asyncio.wait_for(_kill_switch(settings), 20)
        except Exception as exc:  # an unknown kill-switch state fails the check
            return True, f"kill switch state unknown ({exc!r})"

    from memesnipe.connectors.drift import DriftPerpBuilder
    from memesnipe.connectors.drift.venue import DriftVenue

    venue = DriftVenue(rpc, DriftPerpBuilder(settings.drift.env, settings.drift.sub_account_id))
    try:
        checks = await run_checks(settings, rpc=rpc, jito=jito, kill_switch_active=kill, perp_venue=venue)
    finally:
        await rpc.aclose()
        await jito.aclose()
    for line in format_checks(checks):
        print(line)
    print("\nLive mode will risk:")
    for line in risk_summary(settings):
        print("  " + line)
    bad = failures(checks)
    print("\npreflight " + ("PASSED" if not bad else f"FAILED ({len(bad)} check(s))"))
    return 0 if not bad else 1


def _cmd(args: argparse.Namespace) -> int:
    return asyncio.run(preflight(get_settings()))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("preflight", help="check everything live trading needs, print what it will risk")
    p.set_defaults(func=_cmd)
