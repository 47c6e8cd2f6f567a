"""``memesnipe strategies``: the strategy factory.

- ``defaults``: publish one spec per family (only for instance ids not yet on the registry
  topic unless ``--force``, so restarts never undo a change made at runtime);
- ``set <instance> --family F --params JSON [--disabled]``: add or change an instance;
- ``disable <instance>``: stop it (its state stays; ``set`` re-enables it);
- ``list``: print the registry (latest spec per instance).

Specs are validated here before publishing, and again by every worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiokafka import AIOKafkaProducer

from memesnipe.core.strategies import SpecError, families
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.core.strategies.specs import parse_spec
from memesnipe.settings import Settings, get_settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.topics import topic_names
from memesnipe.tables.views import GlobalView


async def read_specs(bootstrap: str, settings: Settings) -> dict[str, StrategySpec]:
    """The latest well-formed spec per instance id on the registry topic."""
    found: dict[str, StrategySpec] = {}

    def fold(key: bytes | None, value: bytes | None, partition: int, offset: int, ts: int) -> None:
        iid = (key or b"").decode("utf-8", "replace")
        if value is None:
            found.pop(iid, None)
            return
        with contextlib.suppress(SpecError):  # the workers ignore it too (and it is dead-lettered)
            found[iid] = parse_spec(key, value)

    view = GlobalView(bootstrap, {topic_names(settings)("specs"): fold})
    await view.start()
    try:
        await view.wait_ready(30)
    finally:
        await view.stop()
    return found


async def publish_specs(bootstrap: str, settings: Settings, specs: Sequence[StrategySpec]) -> None:
    """Publish specs keyed by instance id and wait for the broker's acknowledgement."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        name = topic_names(settings)("specs")
        futs = [await producer.send(name, key=s.instance_id.encode(), value=encode(s)) for s in specs]
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


async def publish_default_specs_async(
    bootstrap: str, settings: Settings, *, force: bool = False
) -> list[StrategySpec]:
    specs = default_specs()
    if not force:
        existing = await read_specs(bootstrap, settings)
        specs = [s for s in specs if s.instance_id not in existing]
    specs = [
        StrategySpec(instance_id=s.instance_id, family=s.family, params=s.params, updated_at=utcnow())
        for s in specs
    ]
    if specs:
        await publish_specs(bootstrap, settings, specs)
    return specs


def publish_default_specs(bootstrap: str, settings: Settings, *, force: bool = False) -> list[StrategySpec]:
    """Publish the default spec of every family that has no spec yet; returns what was sent.

    Synchronous for callers such as ``memesnipe run``; works with or without a running loop.
    """
    coro = publish_default_specs_async(bootstrap, settings, force=force)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _defaults(args: argparse.Namespace) -> int:
    settings = get_settings()
    specs = publish_default_specs(settings.kafka.bootstrap_servers, settings, force=args.force)
    for s in specs:
        print(f"published {s.instance_id} ({s.family})")
    print(f"strategies: {len(specs)} default specs published")
    return 0


def _set(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        params: Any = json.loads(args.params)
    except json.JSONDecodeError as exc:
        print(f"strategies: --params is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(params, dict):
        print("strategies: --params must be a JSON object", file=sys.stderr)
        return 2
    spec = StrategySpec(
        instance_id=args.instance,
        family=args.family,
        params=params,
        enabled=not args.disabled,
        revision=args.revision,
        updated_at=utcnow(),
    )
    try:
        parse_spec(spec.instance_id, encode(spec))
    except SpecError as exc:
        print(f"strategies: refused: {exc}", file=sys.stderr)
        return 2
    asyncio.run(publish_specs(settings.kafka.bootstrap_servers, settings, [spec]))
    print(f"published {spec.instance_id} ({spec.family}, enabled={spec.enabled})")
    return 0


def _disable(args: argparse.Namespace) -> int:
    settings = get_settings()
    bootstrap = settings.kafka.bootstrap_servers
    current = asyncio.run(read_specs(bootstrap, settings)).get(args.instance)
    if current is None:
        print(f"strategies: no spec for instance {args.instance!r}", file=sys.stderr)
        return 2
    spec = StrategySpec(
        instance_id=current.instance_id,
        family=current.family,
        params=current.params,
        enabled=False,
        revision=current.revision + 1,
        updated_at=utcnow(),
    )
    asyncio.run(publish_specs(bootstrap, settings, [spec]))
    print(f"disabled {spec.instance_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    settings = get_settings()
    specs = asyncio.run(read_specs(settings.kafka.bootstrap_servers, settings))
    for iid in sorted(specs):
        s = specs[iid]
        state = "enabled " if s.enabled else "disabled"
        print(f"{iid:<32} {s.family:<20} {state} rev {s.revision} {json.dumps(s.params, sort_keys=True)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("strategies", help="publish, change or disable strategy specs")
    ssub = p.add_subparsers(dest="strategies_command", required=True, metavar="ACTION")
    d = ssub.add_parser("defaults", help="publish the default spec of every family")
    d.add_argument("--force", action="store_true", help="overwrite instances that already have a spec")
    d.set_defaults(func=_defaults)
    s = ssub.add_parser("set", help="add or change one instance")
    s.add_argument("instance")
    s.add_argument("--family", required=True, choices=sorted(families()))
    s.add_argument("--params", default="{}", help="JSON object of parameters")
    s.add_argument("--revision", type=int, default=0)
    s.add_argument("--disabled", action="store_true")
    s.set_defaults(func=_set)
    x = ssub.add_parser("disable", help="stop one instance")
    x.add_argument("instance")
    x.set_defaults(func=_disable)
    ls = ssub.add_parser("list", help="print the registry")
    ls.set_defaults(func=_list)
