"""``python -m memesnipe.signer``: the isolated signer process (same as ``memesnipe signer``)."""

from __future__ import annotations

import asyncio
import signal
import sys

from memesnipe.settings import load_settings
from memesnipe.signer import logs


async def _main() -> None:
    from memesnipe.signer.worker import serve

    settings = load_settings()
    logs.configure(settings.log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)


def main() -> int:
    try:
        asyncio.run(_main())
    except SystemExit as exc:  # SettingsError / KeyStoreError: a clear message, no traceback
        if exc.code not in (None, 0):
            print(exc.code, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
