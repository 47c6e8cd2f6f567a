import pytest

from memesnipe.settings import Mode, SettingsError, load_settings


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
