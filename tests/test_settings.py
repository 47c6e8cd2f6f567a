import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from memesnipe.settings import RENAMED, Mode, SettingsError, load_settings


def test_paper_is_the_default(monkeypatch):
    monkeypatch.delenv("MEMESNIPE_MODE", raising=False)
    assert load_settings().mode is Mode.PAPER


def test_bad_nested_setting_names_the_env_var(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_KAFKA__PARTITIONS", "0")
    with pytest.raises(SettingsError, match="MEMESNIPE_KAFKA__PARTITIONS"):
        load_settings()


def test_bad_broker_url_is_refused(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_KAFKA__BROKER", "localhost:9092")
    with pytest.raises(SettingsError, match=r"MEMESNIPE_KAFKA__BROKER.*kafka://"):
        load_settings()


def test_live_mode_needs_explicit_confirmation(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_MODE", "live")
    with pytest.raises(SettingsError, match="LIVE_CONFIRM"):
        load_settings()
    monkeypatch.setenv("MEMESNIPE_LIVE_CONFIRM", "I-ACCEPT-REAL-MONEY-RISK")
    assert load_settings().mode is Mode.LIVE


def test_clickhouse_defaults_to_embedded_chdb_under_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MEMESNIPE_CLICKHOUSE__DSN", raising=False)
    assert load_settings().clickhouse_dsn == f"chdb://{tmp_path.resolve()}/clickhouse"


def test_broker_urls_become_aiokafka_bootstrap_servers(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_KAFKA__BROKER", "kafka://a:9092;kafka://b:9093")
    assert load_settings().kafka.bootstrap_servers == "a:9092,b:9093"


WALLET = "So11111111111111111111111111111111111111112"  # any base-58 public key


@pytest.mark.parametrize(
    ("old", "value", "read"),
    [
        ("MEMESNIPE_CONNECTORS__SOLANA_RPC_URL", "https://rpc.example.org", lambda s: s.execution.rpc_url),
        ("MEMESNIPE_CONNECTORS__JUPITER_API_KEY", "k-123", lambda s: s.jupiter.api_key),
        ("MEMESNIPE_CONNECTORS__JUPITER_BASE_URL", "https://jup.example.org", lambda s: s.jupiter.base_url),
        ("MEMESNIPE_PAPER__PRIORITY_FEE_LAMPORTS", "12345", lambda s: str(s.execution.priority_fee_lamports)),
        ("MEMESNIPE_EXECUTION__MAX_SPEND_LAMPORTS", "1500000000", lambda s: str(s.risk.max_order_lamports)),
        ("MEMESNIPE_SIGNER__PUBKEY", WALLET, lambda s: s.signer.wallet_pubkey),
    ],
)
def test_an_old_name_of_a_merged_setting_still_sets_the_new_one_with_a_warning(
    monkeypatch, caplog, old, value, read
):
    monkeypatch.setenv(old, value)
    with caplog.at_level("WARNING", logger="memesnipe.settings"):
        assert read(load_settings()) == value
    assert f"{old} is deprecated, it is now {RENAMED[old]}" in caplog.text


def test_an_old_name_in_dotenv_is_read_too(monkeypatch, tmp_path):
    env = tmp_path / ".env"
    env.write_text("MEMESNIPE_CONNECTORS__JUPITER_API_KEY=from-dotenv\n")
    monkeypatch.delenv("MEMESNIPE_JUPITER__API_KEY", raising=False)
    assert load_settings(_env_file=str(env)).jupiter.api_key == "from-dotenv"


def test_old_and_new_name_set_differently_stop_start_up_naming_both(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_EXECUTION__MAX_SPEND_LAMPORTS", "1000000000")
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_ORDER_LAMPORTS", "3000000000")
    with pytest.raises(
        SettingsError, match="MAX_SPEND_LAMPORTS was renamed MEMESNIPE_RISK__MAX_ORDER_LAMPORTS"
    ):
        load_settings()
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_ORDER_LAMPORTS", "1000000000")  # the same: no doubt
    assert load_settings().risk.max_order_lamports == 10**9


def test_the_merged_settings_exist_once() -> None:
    s = load_settings(_env_file=None)
    assert not hasattr(s.connectors, "solana_rpc_url") and not hasattr(s.connectors, "jupiter_api_key")
    assert not hasattr(s.paper, "priority_fee_lamports") and not hasattr(s.execution, "max_spend_lamports")


def test_no_two_services_default_to_the_same_port() -> None:
    s = load_settings(_env_file=None)
    ports: dict[int, str] = {}
    for group, model in [("", s), *((n, getattr(s, n)) for n in type(s).model_fields)]:
        if not isinstance(model, BaseModel):
            continue
        for name in type(model).model_fields:
            value = getattr(model, name)
            if name.endswith("port") and isinstance(value, int) and value:
                where = f"{group}.{name}".lstrip(".")
                assert value not in ports, f"{where} and {ports[value]} both default to {value}"
                ports[value] = where
    assert ports[8787] == "analytics.port"


def test_each_components_settings_are_frozen() -> None:
    s = load_settings(_env_file=None)
    with pytest.raises(ValidationError, match="frozen"):
        s.risk.max_order_lamports = 1
    with pytest.raises(ValidationError, match="frozen"):
        s.mode = Mode.LIVE
    for name in type(s).model_fields:
        group = getattr(s, name)
        if isinstance(group, BaseModel):
            assert type(group).model_config.get("frozen"), name


def test_the_router_reads_the_signers_public_key_from_settings_only(monkeypatch, tmp_path):
    from memesnipe.agents.routing import signer_pubkey

    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMESNIPE_SIGNER__PUBKEY", WALLET)  # the old spelling, through settings
    assert signer_pubkey(load_settings()) == WALLET


def test_no_module_reads_a_memesnipe_variable_past_the_settings() -> None:
    """Every MEMESNIPE_ variable goes through the models (validated, documented, in .env.example)."""
    read = re.compile(r"os\.(?:environ\.get|getenv)\(\s*[\"']MEMESNIPE_|os\.environ\[\s*[\"']MEMESNIPE_")
    root = Path(__file__).resolve().parents[1] / "memesnipe"
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        if path.name != "settings.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if read.search(line)
    ]
    assert not offenders, offenders
