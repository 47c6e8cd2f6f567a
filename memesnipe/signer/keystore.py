"""Loading the wallet keypair: the ONLY code in MemeSnipe that opens a key file.

Live: the path comes from ``MEMESNIPE_SIGNER__KEY_PATH`` (solana-keygen JSON: 64 integers).
The file must be a regular file owned by the signer's user and unreadable by group and others
(mode 0600 or 0400); the checks run on the opened descriptor, so a swapped path cannot slip in
between check and read. Paper: a throwaway key under the data directory, created 0600 on first
use. Error messages name the path and the fix, never the file's content.

The wallet's PUBLIC key is written next to the journal (``wallet.pub``) so that the router can
build transactions for it without ever touching the key file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from nacl.signing import SigningKey
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

PUBKEY_FILE = "wallet.pub"
PAPER_KEY_FILE = "paper-key.json"


class KeyStoreError(SystemExit):
    """The key cannot be loaded safely; start-up stops with this message."""


def signer_dir(data_dir: Path) -> Path:
    """The signer's own directory under the data dir (journal, paper key, public key)."""
    return data_dir / "signer"


def _check_fd(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise KeyStoreError(f"signer: key file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise KeyStoreError(
            f"signer: key file {path} is readable or writable by group/others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    if st.st_uid != os.geteuid():
        raise KeyStoreError(
            f"signer: key file {path} is owned by uid {st.st_uid}, but the signer runs as uid {os.geteuid()}"
        )


def load_keypair(path: Path) -> Keypair:
    """Load a solana-keygen JSON keypair after checking the file's type, owner and mode."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise KeyStoreError(f"signer: key file {path} does not exist (MEMESNIPE_SIGNER__KEY_PATH)") from None
    except PermissionError:
        raise KeyStoreError(f"signer: key file {path} is not readable by this user") from None
    buf = bytearray()
    try:
        _check_fd(fd, path)
        while chunk := os.read(fd, 4096):
            buf += chunk
            if len(buf) > 4096:
                raise KeyStoreError(f"signer: key file {path} is too large to be a keypair")
    finally:
        os.close(fd)
    secret = bytearray()
    try:
        try:
            values = json.loads(buf)
        except ValueError:
            raise KeyStoreError(f"signer: key file {path} is not JSON (expected 64 integers)") from None
        if (
            not isinstance(values, list)
            or len(values) != 64
            or not all(isinstance(v, int) and 0 <= v <= 255 for v in values)
        ):
            raise KeyStoreError(f"signer: key file {path} must hold a JSON array of 64 integers 0-255")
        secret = bytearray(values)
        values.clear()
        try:
            return Keypair.from_bytes(bytes(secret))
        except ValueError:
            raise KeyStoreError(f"signer: key file {path} holds an inconsistent keypair") from None
    finally:
        # Best effort: do not leave the key's bytes in buffers we own.
        buf[:] = bytes(len(buf))
        secret[:] = bytes(len(secret))


def create_paper_key(path: Path) -> None:
    """Write a fresh throwaway keypair, 0600, failing if the file already exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kp = Keypair()
    data = json.dumps(list(bytes(kp))).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def paper_key_path(data_dir: Path, configured: Path | None) -> Path:
    return configured or signer_dir(data_dir) / PAPER_KEY_FILE


def load_paper_keypair(path: Path) -> Keypair:
    """The paper key, created on first use (never worth money; never submitted)."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it first
            create_paper_key(path)
    return load_keypair(path)


def write_public_key(data_dir: Path, pubkey: Pubkey) -> Path:
    """Publish the wallet's public key (not secret) for the router: ``<data_dir>/signer/wallet.pub``."""
    out = signer_dir(data_dir) / PUBKEY_FILE
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(str(pubkey) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    return out


class SealedKey:
    """Holds the signing key; its repr/str show only the public key, so no log line, traceback
    or debugger print can reveal the secret (solders' Keypair and PyNaCl's SigningKey both
    print it). Signs with libsodium (PyNaCl), twice as fast as solders for the same RFC 8032
    signature."""

    __slots__ = ("__signer", "pubkey")

    def __init__(self, keypair: Keypair) -> None:
        signer = SigningKey(bytes(keypair)[:32])
        if bytes(signer.verify_key) != bytes(keypair.pubkey()):  # pragma: no cover - defensive
            raise KeyStoreError("signer: libsodium derived a different public key")
        self.__signer = signer
        self.pubkey: Pubkey = keypair.pubkey()

    def sign(self, message: bytes) -> Signature:
        return Signature.from_bytes(self.__signer.sign(message).signature)

    def __repr__(self) -> str:
        return f"SealedKey(pubkey={self.pubkey})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SealedKey cannot be pickled")
