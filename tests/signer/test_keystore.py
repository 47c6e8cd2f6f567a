"""Loading the key: only safe files, clear errors that never echo the file, a sealed holder."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from memesnipe.settings import load_settings
from memesnipe.signer import keystore
from memesnipe.signer.keystore import KeyStoreError, SealedKey, load_keypair, load_paper_keypair
from memesnipe.signer.wallet import WalletUnknownError, wallet_pubkey
from memesnipe.signer.worker import load_key

REPO = Path(__file__).resolve().parents[2]


def write_key(path: Path, kp: Keypair, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(list(bytes(kp))))
    os.chmod(path, mode)
    return path


def test_loads_a_0600_solana_keygen_file(tmp_path: Path) -> None:
    kp = Keypair()
    assert load_keypair(write_key(tmp_path / "id.json", kp)).pubkey() == kp.pubkey()
    assert load_keypair(write_key(tmp_path / "ro.json", kp, 0o400)).pubkey() == kp.pubkey()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_refuses_group_or_world_access_naming_path_mode_and_fix(tmp_path: Path, mode: int) -> None:
    path = write_key(tmp_path / "id.json", Keypair(), mode)
    with pytest.raises(KeyStoreError) as err:
        load_keypair(path)
    msg = str(err.value)
    assert str(path) in msg and f"{mode:04o}" in msg and "chmod 600" in msg


def test_refuses_a_file_owned_by_another_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_key(tmp_path / "id.json", Keypair())
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    with pytest.raises(KeyStoreError, match="owned by uid"):
        load_keypair(path)


def test_refuses_missing_file_and_directories(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="does not exist"):
        load_keypair(tmp_path / "nope.json")
    d = tmp_path / "dir"
    d.mkdir(mode=0o700)
    with pytest.raises(KeyStoreError, match="not a regular file"):
        load_keypair(d)


@pytest.mark.parametrize(
    "content,match",
    [
        ("not json", "is not JSON"),
        (json.dumps(list(range(63))), "64 integers"),
        (json.dumps([300] * 64), "64 integers"),
        (json.dumps({"secret": 1}), "64 integers"),
    ],
)
def test_refuses_malformed_content_without_echoing_it(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "id.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyStoreError, match=match) as err:
        load_keypair(path)
    assert content not in str(err.value)


def test_refuses_an_inconsistent_keypair_without_echoing_it(tmp_path: Path) -> None:
    a, b = Keypair(), Keypair()
    mixed = list(bytes(a)[:32] + bytes(b.pubkey()))
    path = tmp_path / "id.json"
    path.write_text(json.dumps(mixed))
    os.chmod(path, 0o600)
    with pytest.raises(KeyStoreError, match="inconsistent") as err:
        load_keypair(path)
    assert str(mixed[:4])[1:-1] not in str(err.value)


def test_paper_key_is_created_0600_owned_by_us_and_reused(tmp_path: Path) -> None:
    path = keystore.paper_key_path(tmp_path, None)
    first = load_paper_keypair(path)
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.geteuid()
    assert os.stat(path.parent).st_mode & 0o077 == 0
    assert load_paper_keypair(path).pubkey() == first.pubkey()


def test_sealed_key_never_shows_the_secret() -> None:
    kp = Keypair()
    sealed = SealedKey(kp)
    secret_forms = [str(kp), str(list(bytes(kp)[:32]))[1:-1], bytes(kp)[:32].hex()]
    for text in (repr(sealed), str(sealed), f"{sealed!r}", str([sealed])):
        assert str(kp.pubkey()) in text
        assert not any(form in text for form in secret_forms)
    with pytest.raises(TypeError):
        pickle.dumps(sealed)
    msg = b"hello"
    assert sealed.sign(msg) == kp.sign_message(msg)


def test_live_mode_refuses_the_default_hmac_secret(tmp_path: Path) -> None:
    path = write_key(tmp_path / "id.json", Keypair())
    live = dict(
        mode="live", live_confirm="I-ACCEPT-REAL-MONEY-RISK", data_dir=tmp_path, signer={"key_path": path}
    )
    with pytest.raises(KeyStoreError, match="MEMESNIPE_HMAC_SECRET"):
        load_key(load_settings(**live))
    with pytest.raises(KeyStoreError, match="MEMESNIPE_HMAC_SECRET"):
        load_key(load_settings(**live, hmac_secret="a" * 32))
    assert load_key(load_settings(**live, hmac_secret="0123456789abcdef" * 2)).pubkey is not None


def test_live_mode_needs_a_key_path_and_a_matching_pubkey(tmp_path: Path) -> None:
    live = dict(
        mode="live",
        live_confirm="I-ACCEPT-REAL-MONEY-RISK",
        data_dir=tmp_path,
        hmac_secret="0123456789abcdef" * 2,
    )
    with pytest.raises(KeyStoreError, match="MEMESNIPE_SIGNER__KEY_PATH"):
        load_key(load_settings(**live))
    kp = Keypair()
    path = write_key(tmp_path / "id.json", kp)
    s = load_settings(**live, signer={"key_path": path})
    assert load_key(s).pubkey == kp.pubkey()
    other = str(Keypair().pubkey())
    with pytest.raises(KeyStoreError, match="differs from MEMESNIPE_SIGNER__WALLET_PUBKEY"):
        load_key(load_settings(**live, signer={"key_path": path, "wallet_pubkey": other}))


def test_bad_signer_settings_name_the_setting() -> None:
    with pytest.raises(SystemExit, match="MEMESNIPE_SIGNER__TIP_ACCOUNTS"):
        load_settings(signer={"tip_accounts": "not-a-key"})
    with pytest.raises(SystemExit, match="MEMESNIPE_SIGNER"):
        load_settings(signer={"per_tx_cap_lamports": 10, "daily_cap_lamports": 5})


def test_public_key_file_is_what_the_router_reads(tmp_path: Path) -> None:
    with pytest.raises(WalletUnknownError, match="memesnipe signer"):
        wallet_pubkey(tmp_path)
    kp = Keypair()
    keystore.write_public_key(tmp_path, kp.pubkey())
    assert wallet_pubkey(tmp_path) == str(kp.pubkey())
    assert wallet_pubkey(tmp_path, "Configured111") == "Configured111"


def test_signer_process_refuses_to_start_on_a_readable_key(tmp_path: Path) -> None:
    path = write_key(tmp_path / "id.json", Keypair(), 0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update(
        MEMESNIPE_MODE="live",
        MEMESNIPE_LIVE_CONFIRM="I-ACCEPT-REAL-MONEY-RISK",
        MEMESNIPE_SIGNER__KEY_PATH=str(path),
        MEMESNIPE_HMAC_SECRET="a-real-shared-secret-4f9c2e",
        MEMESNIPE_DATA_DIR=str(tmp_path / "data"),
        MEMESNIPE_KAFKA__BROKER="kafka://127.0.0.1:1",  # never reached: the key check comes first
    )
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe.signer"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "chmod 600" in proc.stderr and str(path) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_example_documents_the_signer_and_empty_paths_mean_unset() -> None:
    from memesnipe.settings import Settings

    s = Settings(_env_file=str(REPO / ".env.example"))  # type: ignore[call-arg]
    assert s.signer.key_path is None and s.signer.paper_key_path is None
    assert len(s.signer.tip_account_list) == 8 and len(s.signer.program_list) == 8


def test_cli_pubkey_prints_and_publishes_the_paper_wallet(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env["MEMESNIPE_DATA_DIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "signer", "pubkey"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = proc.stdout.strip().splitlines()[-1]
    assert wallet_pubkey(tmp_path) == printed
    assert load_paper_keypair(keystore.paper_key_path(tmp_path, None)).pubkey() == Pubkey.from_string(printed)
