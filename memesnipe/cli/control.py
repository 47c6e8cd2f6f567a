"""``memesnipe kill`` / ``memesnipe resume``: the kill switch by hand, with who and why recorded.

Both go through the one kill/resume service (:class:`memesnipe.tables.control.KillSwitchService`,
also behind the cockpit): a :class:`KillSwitch` on the compacted ``killswitch`` topic (key
``global``), acknowledged by the broker (acks=all); then the topic is read back with the one fold
every stage uses (:mod:`memesnipe.core.control`) and the state they will all see is printed. The
risk gate, the router and the signer all honour it: while it is on, no new entry is sized, routed
or signed; exits still go through. ``--flatten`` also asks the position manager to close every
open position. ``memesnipe killswitch`` prints that state.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from memesnipe.core.control import KillStatus
from memesnipe.settings import Settings, get_settings
from memesnipe.tables.control import ControlError, KillSwitchService, Published, read_kill_switch


async def read_state(settings: Settings, timeout_s: float = 30.0) -> KillStatus:
    """The kill switch as every stage sees it (the topic read to its end)."""
    return await read_kill_switch(settings, timeout_s)


async def set_switch(
    settings: Settings, *, active: bool, by: str, reason: str, flatten: bool = False
) -> tuple[Published, KillStatus]:
    """Kill or resume through the shared service, then read the topic back."""
    async with KillSwitchService(settings, client_id="memesnipe-cli") as svc:
        sent = await svc.set(active=active, by=by, reason=reason, flatten=flatten)
    return sent, await read_state(settings)


def describe(st: KillStatus) -> str:
    return st.describe()


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
    try:
        sent, state = asyncio.run(
            set_switch(
                settings,
                active=args.command == "kill",
                by=args.by,
                reason=args.reason,
                flatten=bool(getattr(args, "flatten", False)),
            )
        )
    except ControlError as exc:
        print(f"memesnipe: {exc}", file=sys.stderr)
        return 1
    print(describe(state))
    if state.message != sent.message:  # a later record (or none) is what everyone sees
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
