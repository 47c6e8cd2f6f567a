"""``memesnipe preflight``: run the live-mode checks, print them and what live mode will risk.
Exit status 0 only when every check passes (the router runs the same checks before its first
live order and refuses orders until they pass)."""

from __future__ import annotations

import argparse
import asyncio

from memesnipe.settings import Settings, get_settings


async def _kill_switch(settings: Settings) -> tuple[bool, str]:
    """Latest KillSwitch on the killswitch topic (by its ts), read straight from Kafka."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from memesnipe.streams.codec import DecodeError, decode
    from memesnipe.streams.control import KillSwitch
    from memesnipe.streams.topics import topic_names

    name = topic_names(settings)("killswitch")
    bootstrap = settings.kafka.broker.split(";")[0].removeprefix("kafka://")
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await c.start()
    try:
        parts = c.partitions_for_topic(name) or set()
        if not parts:
            await c._client.force_metadata_update()
            parts = c.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in parts]
        if not tps:
            return False, ""
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        ends = await c.end_offsets(tps)
        latest: KillSwitch | None = None

        async def behind() -> bool:
            return any([await c.position(tp) < ends[tp] for tp in tps])

        while await behind():
            for recs in (await c.getmany(timeout_ms=500)).values():
                for r in recs:
                    try:
                        ks = decode(r.value, KillSwitch)
                    except DecodeError:
                        continue
                    if latest is None or ks.ts >= latest.ts:
                        latest = ks
        return (latest.active, latest.reason) if latest else (False, "")
    finally:
        await c.stop()


async def preflight(settings: Settings) -> int:
    from memesnipe.agents.preflight import failures, risk_summary, run_checks
    from memesnipe.connectors.jito import JitoClient
    from memesnipe.connectors.solana_rpc.client import SolanaRpcClient

    rpc = SolanaRpcClient(settings.execution.rpc_url)
    jito = JitoClient(settings.jito.block_engine_url, uuid=settings.jito.uuid)

    async def kill() -> tuple[bool, str]:
        try:
            return await asyncio.wait_for(_kill_switch(settings), 20)
        except Exception as exc:  # an unknown kill-switch state fails the check
            return True, f"kill switch state unknown ({exc!r})"

    try:
        checks = await run_checks(settings, rpc=rpc, jito=jito, kill_switch_active=kill)
    finally:
        await rpc.aclose()
        await jito.aclose()
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"  [{'ok' if c.ok else 'FAIL'}] {c.name.ljust(width)}  {c.detail}")
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
