"""The wallet's PUBLIC key, for code outside the signer (the router builds transactions for it).

This module never opens the key file: it reads ``MEMESNIPE_SIGNER__WALLET_PUBKEY`` when set,
else ``<data_dir>/signer/wallet.pub``, which the signer writes at start-up.
"""

from __future__ import annotations

from pathlib import Path

from memesnipe.signer.keystore import PUBKEY_FILE, signer_dir


class WalletUnknownError(RuntimeError):
    """No public key is known yet: start the signer once (or set the wallet pubkey)."""


def wallet_pubkey(data_dir: Path, configured: str = "") -> str:
    """Base58 wallet public key: the configured one, else the one the signer published."""
    if configured:
        return configured
    path = signer_dir(data_dir) / PUBKEY_FILE
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise WalletUnknownError(
            f"{path} does not exist: run the signer (memesnipe signer [pubkey]) "
            "or set MEMESNIPE_SIGNER__WALLET_PUBKEY"
        ) from None
    if not 32 <= len(text) <= 44:
        raise WalletUnknownError(f"{path} does not hold a base58 public key")
    return text
