"""``memesnipe signer``: run the isolated signer (``python -m memesnipe.signer`` does the same).

``memesnipe signer pubkey`` prints the wallet's public key (creating the paper key in paper
mode) and writes it to ``<data_dir>/signer/wallet.pub`` for the router.
"""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    if args.action == "pubkey":
        from memesnipe.settings import get_settings
        from memesnipe.signer import keystore
        from memesnipe.signer.worker import load_key

        settings = get_settings()
        key = load_key(settings)
        keystore.write_public_key(settings.data_dir, key.pubkey)
        print(key.pubkey)
        return 0
    from memesnipe.signer.__main__ import main

    return main()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("signer", help="run the isolated signer (the only process that loads the key)")
    p.add_argument("action", nargs="?", choices=["run", "pubkey"], default="run")
    p.set_defaults(func=_run)
