"""``memesnipe kill`` / ``memesnipe resume``: the kill switch by hand, with who and why recorded.

Both publish a :class:`KillSwitch` to the compacted ``killswitch`` topic (key ``global``), wait
for the broker to acknowledge it (acks=all), then read the topic back and print the state
every consumer will now see. The risk gate, the router and the signer all honour it: while it
is on, no new entry is sized, routed or signed; exits still go through. ``--flatten`` also asks
the risk gate to close every open position.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from memesnipe.settings import Settings, get_settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.topics import topic_names
from memesnipe.tables.views import GlobalView, bootstrap_servers, latest_by_key

KEY = b"global"


async def _ensure_topic(settings: Settings, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers(settings.kafka.broker))
    await admin.start()
    try:
        if name not in await admin.list_topics():
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=settings.kafka.partitions,
                            replication_factor=settings.kafka.replication,
                            topic_configs={"cleanup.policy": "compact"},
                        )
                    ]
                )
            except Exception as exc:  # raced with another creator
                if "TopicAlreadyExists" not in type(exc).__name__ + str(exc):
                    raise
    finally:
        await admin.close()


async def read_state(settings: Settings, timeout_s: float = 30.0) -> KillSwitch | None:
    """The kill switch as every consumer sees it (the topic read to its end)."""
    await _ensure_topic(settings, topic_names(settings)("killswitch"))
    store: dict[str, KillSwitch] = {}
    view = GlobalView(
        bootstrap_servers(settings.kafka.broker),
        {topic_names(settings)("killswitch"): latest_by_key(store, lambda b: decode(b, KillSwitch))},
        metadata_timeout_s=timeout_s,
    )
    await view.start()
    try:
        await view.wait_ready(timeout_s)
    finally:
        await view.stop()
    return store.get(KEY.decode())


async def publish(settings: Settings, msg: KillSwitch) -> KillSwitch | None:
    name = topic_names(settings)("killswitch")
    await _ensure_topic(settings, name)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(settings.kafka.broker), acks="all")
    await producer.start()
    try:
        await (await producer.send(name, key=KEY, value=encode(msg)))
    finally:
        await producer.stop()
    return await read_state(settings)


def describe(ks: KillSwitch | None) -> str:
    if ks is None:
        return "kill switch: never set (trading allowed)"
    state = "ON (entries paused, exits allowed)" if ks.active else "off (trading allowed)"
    extra = " flatten requested;" if ks.flatten else ""
    dd = f" drawdown {ks.drawdown:.2%};" if ks.drawdown is not None else ""
    return f"kill switch: {state};{extra}{dd} by {ks.by} at {ks.ts.isoformat()}: {ks.reason}"


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise argparse.ArgumentTypeError(f"{what} must not be empty")
    return value


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.command == "killswitch":
        print(describe(asyncio.run(read_state(settings))))
        return 0
    msg = KillSwitch(
        active=args.command == "kill",
        ts=utcnow(),
        by=args.by,
        reason=args.reason,
        flatten=bool(getattr(args, "flatten", False)),
    )
    state = asyncio.run(publish(settings, msg))
    print(describe(state))
    if state is None or state.active != msg.active:
        print("memesnipe: the kill switch does not show the new state; check the broker", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def who_why(p: argparse.ArgumentParser) -> None:
        p.add_argument("--by", required=True, type=lambda v: _text(v, "--by"), help="who (recorded)")
        p.add_argument("--reason", required=True, type=lambda v: _text(v, "--reason"), help="why (recorded)")
        p.set_defaults(func=run)

    k = sub.add_parser("kill", help="pause all new entries now (exits still allowed)")
    who_why(k)
    k.add_argument("--flatten", action="store_true", help="also close every open position")
    who_why(sub.add_parser("resume", help="lift the kill switch: entries allowed again"))
    s = sub.add_parser("killswitch", help="show the kill switch as every consumer sees it")
    s.set_defaults(func=run)
