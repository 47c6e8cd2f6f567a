"""All settings, from the environment (prefix ``MEMESNIPE_``) and ``.env``.

Nested groups use ``__``: ``MEMESNIPE_KAFKA__BROKER=kafka://host:9092``. A bad value stops
start-up with :class:`SettingsError`, whose message names the setting.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MEMESNIPE_"


class Mode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class SettingsError(SystemExit):
    """Start-up refused because a setting is invalid; the message names it."""


log = logging.getLogger(__name__)

RENAMED: dict[str, str] = {
    "MEMESNIPE_CONNECTORS__SOLANA_RPC_URL": "MEMESNIPE_EXECUTION__RPC_URL",
    "MEMESNIPE_CONNECTORS__JUPITER_API_KEY": "MEMESNIPE_JUPITER__API_KEY",
    "MEMESNIPE_CONNECTORS__JUPITER_BASE_URL": "MEMESNIPE_JUPITER__BASE_URL",
    "MEMESNIPE_PAPER__PRIORITY_FEE_LAMPORTS": "MEMESNIPE_EXECUTION__PRIORITY_FEE_LAMPORTS",
    "MEMESNIPE_EXECUTION__MAX_SPEND_LAMPORTS": "MEMESNIPE_RISK__MAX_ORDER_LAMPORTS",
    "MEMESNIPE_SIGNER__PUBKEY": "MEMESNIPE_SIGNER__WALLET_PUBKEY",
}
"""Old name -> the one setting that replaced it (two settings that meant the same were merged).
An old name still works, with a warning; set together with the new one to a different value, it
stops start-up (which one was meant is unknown)."""


class Group(BaseModel):
    """A component's settings: frozen, so what a component was started with cannot drift."""

    model_config = ConfigDict(frozen=True)


def bootstrap_servers(broker: str) -> str:
    """``kafka://h1:9092;kafka://h2:9092`` (Faust's form) -> ``h1:9092,h2:9092`` (aiokafka's)."""
    return ",".join(u.removeprefix("kafka://") for u in broker.split(";") if u)


class KafkaSettings(Group):
    """Kafka brokers and topics, and Faust's stream processing: batches, latency, reorder window."""

    broker: str = Field("kafka://127.0.0.1:9092", description="one or more brokers, separated by ';'")
    app_id: str = Field(
        "memesnipe", description="Faust app id = consumer group of the strategy/risk/execution worker"
    )
    topic_prefix: str = Field(
        "memesnipe.", description="every topic name starts with this (e.g. memesnipe.price)"
    )
    partitions: int = Field(
        4,
        ge=1,
        le=1024,
        description="partitions per topic: the most workers that can share a stage; fixed once topics exist",
    )
    replication: int = Field(1, ge=1, le=7)
    store: str = Field(
        "memory://",
        description="Faust table store: memory:// (rebuilt from changelog topics at start) or rocksdb://",
    )
    batch_size: int = Field(500, ge=1, le=100_000, description="events per stream.take batch")
    batch_within_s: float = Field(
        0.2,
        gt=0,
        le=60,
        description="longest wait to fill a batch: throughput stages (market-data trackers, ledger)",
    )
    latency_within_s: float = Field(
        0.01,
        gt=0,
        le=60,
        description="longest wait to fill a batch on the latency path (strategy runner, risk gate, router, "
        "fills, submitter, position manager): each stage adds up to this to a signal's way to its order",
    )
    reorder_window_s: float = Field(0.0, ge=0, le=86_400, description="reorder window, event-time s; 0 = off")

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, v: str) -> str:
        for url in v.split(";"):
            if not url.startswith("kafka://") or ":" not in url[len("kafka://") :]:
                raise ValueError("must look like kafka://host:port (several separated by ';')")
        return v

    @property
    def bootstrap_servers(self) -> str:
        """The brokers as aiokafka's clients take them: ``h1:9092,h2:9092``."""
        return bootstrap_servers(self.broker)

    @field_validator("store")
    @classmethod
    def _store(cls, v: str) -> str:
        if v.split("://")[0] not in {"rocksdb", "memory", "aerospike"}:
            raise ValueError("must be memory:// or rocksdb://")
        return v


class ClickHouseSettings(Group):
    """ClickHouse, the analytics store: embedded chDB under ``<data_dir>/clickhouse`` unless a DSN is set."""

    dsn: str = Field("", description="chdb:///abs/path (embedded) or http(s)://user:pass@host:8123/db")
    database: str = "memesnipe"
    run_id: str = Field(
        "live", description="rows are tagged with a run id so replays and backtests never mix with live data"
    )
    batch_rows: int = Field(5000, ge=1)
    flush_interval_s: float = Field(1.0, gt=0)

    @field_validator("dsn")
    @classmethod
    def _dsn(cls, v: str) -> str:
        if v and not v.startswith(("chdb://", "http://", "https://", "clickhouse://")):
            raise ValueError("must start with chdb://, http://, https:// or clickhouse://")
        return v


class WireSettings(Group):
    """Checks every Kafka record passes before a stage uses it (``streams.codec.decode_record``);
    a record that fails one goes to the dead-letter topic with the reason."""

    max_message_bytes: int = Field(
        65_536,
        ge=4_096,
        le=1_048_576,
        description="largest record value decoded; the biggest legitimate one (a signed execution "
        "request/result, ~4 KB) has 16x headroom; Kafka's own default cap is 1 MB",
    )
    max_nesting: int = Field(
        32, ge=4, le=200, description="deepest JSON nesting of arrays/objects (ours: 5 at most)"
    )
    max_future_s: float = Field(
        366 * 86_400.0,
        ge=0,
        description="refuse event times later than wall clock + this; 0 = off. Wide: the simulator's "
        "clock runs ahead of the wall clock (tick_s per tick). Live: a few minutes",
    )
    max_past_s: float = Field(
        0.0,
        ge=0,
        description="refuse event times earlier than wall clock - this; 0 = off (replays and recordings "
        "carry old times). Only for live deployments that never replay",
    )
    min_event_time: AwareDatetime = Field(
        datetime(2020, 1, 1, tzinfo=UTC),
        description="refuse event times before this absolute floor (zero/epoch times, seconds read as "
        "ms); recordings of real Solana markets are all later",
    )


class DiscoverySettings(Group):
    """``memesnipe connect discovery``: new mints from pump.fun logs (websocket), DexScreener
    profiles/boosts and onchain NEW_MINT/NEW_POOL, kept on the compacted watchlist topic."""

    ws_url: str = Field("wss://api.mainnet-beta.solana.com", description="Solana JSON-RPC websocket")
    programs: str = Field(
        "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
        description="programs whose logs are subscribed (logsSubscribe mentions), comma-separated. "
        "The default is pump.fun alone (creations, curve completions, migrations to PumpSwap): each "
        "program added is a stream of all its transactions (every swap), so pool discovery is opt-in; "
        "add any of Raydium AMM v4 675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8, Raydium CPMM "
        "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C, Meteora DLMM "
        "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo, Meteora DAMM v2 "
        "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG, PumpSwap pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA "
        "(pools opened directly; migrated ones come from pump.fun's own events)",
    )
    commitment: str = Field("confirmed", pattern="^(processed|confirmed|finalized)$")
    dexscreener: bool = Field(True, description="poll DexScreener latest token profiles and boosts")
    dexscreener_interval_s: float = Field(30.0, gt=0, description="60 requests/min limit per endpoint")
    evaluate_interval_s: float = Field(5.0, gt=0, description="how often admission/eviction rules run")
    max_age_s: float = Field(6 * 3600.0, gt=0, description="refuse tokens created longer ago")
    min_liquidity_usd: float = Field(0.0, ge=0, description="admit only at or above this liquidity")
    require_liquidity: bool = Field(False, description="wait for a known liquidity before admitting")
    min_activity: int = Field(0, ge=0, description="trades/prices seen before admission")
    max_top10_pct: float = Field(0.0, ge=0, le=1, description="refuse above this top-10 share (0 = off)")
    idle_evict_s: float = Field(1800.0, gt=0, description="evict after this long without activity")
    evict_liquidity_usd: float = Field(0.0, ge=0, description="evict (rugged) below this liquidity; 0 = off")
    max_entries: int = Field(200, ge=1, description="active watchlist size bound (least active evicted)")
    readmit_after_s: float = Field(3600.0, ge=0, description="an evicted mint stays out this long")


class SimulatorSettings(Group):
    """The market simulator (``memesnipe simulate``): synthetic market events for paper runs and tests."""

    seed: int = 7
    mints: int = Field(12, ge=1, le=10_000)
    rate_per_s: float = Field(200.0, gt=0, description="events per second, all types together")
    tick_s: float = Field(5.0, gt=0, description="simulated seconds between price ticks of one mint")
    start: str = Field("", description="ISO-8601 UTC start of simulated time; empty = now")


class PaperSettings(Group):
    """Paper execution: slippage, fees and the latency and landing model (``memesnipe.core.landing``),
    shared by the paper router and the backtester. The priority fee is live's budget
    (``execution.priority_fee_lamports``)."""

    slippage_bps: int = Field(50, ge=0, le=5000)
    fee_bps: int = Field(25, ge=0, le=1000, description="swap fee charged on the input amount")
    jito_tip_lamports: int = Field(1_000, ge=0)
    # --- latency and landing model (memesnipe.core.landing), paper router and backtester alike ---
    latency_ms: int = Field(
        0, ge=0, le=60_000, description="order to fill, event time; 0 = fill at order time"
    )
    landing_fail_probability: float = Field(0.0, ge=0, le=1, description="share of orders that never land")
    landing_slippage_failures: bool = Field(
        False, description="an order whose fill price moved beyond its slippage bound fails"
    )
    landing_seed: str = Field("memesnipe", min_length=1, description="seeds the per-order landing draw")
    latency_wait_s: float = Field(
        5.0, ge=0, description="router: wall seconds to wait for prices past order time + latency"
    )


class RiskSettings(Group):
    """Position limits, the pre-trade risk gate (``memesnipe.core.risk``), the meta-allocator
    (``memesnipe.core.allocator``) and the portfolio monitor's drawdown kill switch."""

    capital_lamports: int = Field(100 * 10**9, gt=0, description="starting capital (100 SOL)")
    max_order_lamports: int = Field(
        2 * 10**9,
        gt=0,
        description="most one entry may spend: the risk gate sizes to it and the router refuses above it "
        "(the signer's per_tx_cap_lamports is its own, independent bound)",
    )
    max_token_lamports: int = Field(5 * 10**9, gt=0)
    max_strategy_lamports: int = Field(20 * 10**9, gt=0)
    max_open_positions: int = Field(20, ge=1)
    max_orders_per_min: int = Field(60, ge=1)
    max_entry_impact_bps: float = Field(
        300.0, gt=0, le=10_000, description="most price impact of an entry at its own size (bps)"
    )
    max_top10_holder_pct: float = Field(60.0, gt=0, le=100)
    max_drawdown: float = Field(
        0.2, gt=0, lt=1, description="portfolio drawdown from the high-water mark that trips the kill switch"
    )
    default_entry_fraction: float = Field(
        0.05, gt=0, le=1, description="share of capital for a full-strength signal before allocation"
    )
    # --- pre-trade risk gate (memesnipe.core.risk) ---
    min_order_lamports: int = Field(10_000_000, ge=0, description="entries sized below this are refused")
    exploration_weight: float = Field(0.02, ge=0, le=1, description="weight of a strategy with no allocation")
    min_lp_locked_pct: float = Field(90.0, ge=0, le=100, description="share of LP burned/locked required")
    require_safety_data: bool = Field(True, description="refuse entries on mints with unknown safety facts")
    require_depth: bool = Field(True, description="refuse entries on mints with no known depth")
    max_market_data_age_s: float = Field(
        600.0, gt=0, description="depth older than this (event time) is stale"
    )
    max_safety_age_s: float = Field(
        1800.0, gt=0, description="a required safety fact older than this (event time) is stale"
    )
    max_rugcheck_score: float = Field(
        60.0, ge=0, le=100, description="refuse a RugCheck normalised score above this (when known)"
    )
    refuse_rugcheck_danger: bool = Field(True, description="refuse when RugCheck reports a danger-level risk")
    pending_ttl_s: float = Field(180.0, gt=0, description="an order unfilled this long stops counting")
    seen_signals_per_mint: int = Field(1024, ge=16, description="replay guard: signal ids kept per mint")
    # --- meta-allocator (memesnipe.core.allocator) ---
    period_s: int = Field(3600, ge=1, description="ledger return period (event time)")
    sharpe_window: int = Field(168, ge=2, description="periods in the rolling Sharpe window")
    sharpe_min_samples: int = Field(24, ge=2, description="periods before a Sharpe counts fully")
    max_strategy_weight: float = Field(0.25, gt=0, le=1, description="per-strategy allocation cap")
    max_total_weight: float = Field(1.0, gt=0, le=1, description="allocations sum to at most this")
    allocation_interval_s: float = Field(60.0, gt=0, description="wall-clock publish interval")
    mark_interval_s: float = Field(5.0, gt=0, description="ledger marks per position at most this often")
    # --- portfolio monitor ---
    flatten_on_drawdown: bool = Field(False, description="the drawdown kill switch also asks to flatten")

    @model_validator(mode="after")
    def _risk_consistent(self) -> RiskSettings:
        if self.min_order_lamports > self.max_order_lamports:
            raise ValueError("min_order_lamports must be <= max_order_lamports (no entry could pass)")
        if self.exploration_weight > self.max_strategy_weight:
            raise ValueError("exploration_weight must be <= max_strategy_weight")
        if self.max_strategy_weight > self.max_total_weight:
            raise ValueError("max_strategy_weight must be <= max_total_weight")
        return self


class WebSettings(Group):
    """The glass cockpit (served by the analytics process) and its authenticated controls."""

    token: str = Field("", description="bearer token for kill/resume; empty = controls refused in live mode")
    poll_s: float = Field(1.0, gt=0, le=60, description="how often the cockpit re-reads ClickHouse")
    heartbeat_s: float = Field(15.0, gt=0, le=300, description="SSE keep-alive comment interval")
    trade_rows: int = Field(200, ge=1, le=5000, description="trade history rows shown")
    publish_timeout_s: float = Field(10.0, gt=0, le=120, description="wait for Kafka to ack a kill/resume")

    @field_validator("token")
    @classmethod
    def _token(cls, v: str) -> str:
        if v and len(v) < 16:
            raise ValueError("must be at least 16 characters (or empty to disable remote controls)")
        return v


class ConnectorSettings(Group):
    """Live market-data connectors (``memesnipe connect <source>``) and the recorder: API keys,
    endpoints, poll intervals and the mints to watch. Lists are comma-separated strings."""

    mints: str = Field("", description="comma-separated token mints to watch (price, depth, safety, social)")
    follow_watchlist: bool = Field(
        False, description="also poll the ACTIVE mints of discovery's watchlist topic, picked up live"
    )
    timeout_s: float = Field(10.0, gt=0, le=120, description="HTTP timeout per request")
    jupiter_price_interval_s: float = Field(5.0, gt=0)
    dexscreener_base_url: str = "https://api.dexscreener.com"
    dexscreener_interval_s: float = Field(10.0, gt=0, description="300 requests/min limit, 30 mints per call")
    geckoterminal_base_url: str = Field(
        "https://api.geckoterminal.com", description="GeckoTerminal public API"
    )
    geckoterminal_interval_s: float = Field(
        2.0, gt=0, description="seconds between GeckoTerminal requests (30/min per IP, one mint each)"
    )
    geckoterminal_max_age_s: float = Field(
        180.0, gt=0, description="`connect volume`: a mint's GeckoTerminal answer is merged until this old"
    )
    birdeye_api_key: str = ""
    birdeye_base_url: str = "https://public-api.birdeye.so"
    birdeye_interval_s: float = Field(10.0, gt=0)
    pyth_base_url: str = Field(
        "https://hermes.pyth.network", description="Pyth Hermes host (SOL/USD); a key only for paid providers"
    )
    pyth_api_key: str = Field("", description="optional; sent as Bearer to paid Hermes providers")
    pyth_sol_feed_id: str = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d"
    pyth_interval_s: float = Field(2.0, gt=0, description="public Hermes allows 30 requests per 10 s")
    depth_sizes_usd: str = Field("100,500,1000,5000", description="buy sizes quoted for price impact")
    depth_interval_s: float = Field(15.0, gt=0)
    helius_api_key: str = ""
    helius_base_url: str = "https://api.helius.xyz"
    helius_addresses: str = Field(
        "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P,675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8",
        description=(
            "addresses whose enhanced transactions are polled (pump.fun, Raydium AMM v4); each watched "
            "mint (MINTS, and the watchlist's with FOLLOW_WATCHLIST) is polled too, one request per cycle"
        ),
    )
    helius_interval_s: float = Field(5.0, gt=0)
    helius_webhook_auth: str = Field("", description="the webhook's authHeader (sent as Authorization)")
    helius_webhook_host: str = Field(
        "0.0.0.0", description="bind address of the webhook receiver (`memesnipe connect helius_webhook`)"
    )
    helius_webhook_port: int = Field(
        8788, ge=0, le=65535, description="receiver port (0 = any free port; 8787 is the analytics API's)"
    )
    creator_wallets: str = Field("", description="mint=creator wallet pairs, comma-separated (dev sells)")
    large_transfer_tokens: float = Field(0.0, ge=0, description="report transfers of at least N tokens")
    airdrop_min_recipients: int = Field(
        10, ge=0, description="one sender giving a token to N+ wallets in a transaction: an airdrop (0 = off)"
    )
    safety_interval_s: float = Field(60.0, gt=0)
    rugcheck_base_url: str = "https://api.rugcheck.xyz"
    rugcheck_api_key: str = Field("", description="optional X-API-KEY (plan rate limits); empty = public")
    rugcheck_enabled: bool = Field(True, description="the safety connector also reads RugCheck's summary")
    drift_base_url: str = "https://data.api.drift.trade"
    drift_markets: str = Field(
        "SOL-PERP=So11111111111111111111111111111111111111112",
        description="perp market=token mint pairs (comma-separated) whose funding is polled",
    )
    drift_interval_s: float = Field(60.0, gt=0)
    x_bearer_token: str = Field("", description="X API app-only bearer token (recent Post counts)")
    x_base_url: str = "https://api.x.com"
    social_queries: str = Field("", description="mint=query pairs separated by ';' (default: the mint)")
    social_interval_s: float = Field(60.0, gt=0, description="300 requests per 15 min, app-wide")
    social_mode: Literal["counts", "search"] = Field(
        "search",
        description=(
            "search (default): the Posts with their authors, so social_buzz sees unique authors; each "
            "followed mint costs 1 to social_max_pages requests per cycle (100 Posts a page) and every "
            "Post read counts against the X project's monthly Post cap (Free 1,500, Basic 10,000, Pro "
            "1,000,000; deduplicated per day). counts: Post counts only, no Post cap used, but no "
            "authors (unique_authors = 0), so social_buzz never fires"
        ),
    )
    social_max_pages: int = Field(5, ge=1, le=100, description="search mode: 100-Post pages per mint/cycle")
    bridge_base_url: str = Field("https://api.wormholescan.io", description="Wormholescan API")
    debridge_base_url: str = Field("https://stats-api.dln.trade", description="deBridge DLN stats API")
    bridge_sources: str = Field(
        "wormhole,debridge", description="bridge sources polled by `connect bridge` (wormhole, debridge)"
    )
    bridge_interval_s: float = Field(30.0, gt=0)
    record_dir: str = Field("", description="recorder output directory; empty = <data_dir>/recordings")
    record_flush_rows: int = Field(20_000, ge=1, description="rows buffered per event type per file")
    record_flush_s: float = Field(10.0, gt=0, description="longest time a row waits in the buffer")


JITO_TIP_ACCOUNTS = (
    "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5,HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe,"
    "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY,ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49,"
    "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh,ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt,"
    "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL,3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT"
)
"""The eight mainnet Jito tip accounts (docs.jito.wtf); refreshed by getTipAccounts when live."""


class JupiterSettings(Group):
    """Jupiter: its key and host for every Jupiter call, swap routing (router agent) and the price
    and depth connectors (``connect jupiter_price``, ``connect depth``). The swap is built
    ourselves from /build (or the deprecated /swap-instructions) so the Jito tip and the signer's
    policy apply."""

    base_url: str = Field(
        "https://api.jup.ag", description="api.jup.ag host; paths /swap/v2/build, /swap/v1/quote"
    )
    api_key: str = Field("", description="x-api-key header for api.jup.ag (required live)")
    timeout_s: float = Field(5.0, gt=0, le=60)
    rate_per_s: float = Field(1.0, gt=0, le=1000, description="requests per second (plan limit)")
    max_accounts: int = Field(64, ge=8, le=256, description="route account cap so the tx fits 1232 bytes")
    restrict_intermediate_tokens: bool = Field(
        True, description="route only through liquid intermediate tokens"
    )
    paper_quotes: bool = Field(False, description="paper mode asks Jupiter for real quotes when reachable")


class JitoSettings(Group):
    """Jito block engine: region endpoints, auth uuid, tip policy, bundle polling."""

    region: str = Field("mainnet", description="key of endpoints to send bundles to")
    endpoints: dict[str, str] = Field(
        {
            "mainnet": "https://mainnet.block-engine.jito.wtf",
            "amsterdam": "https://amsterdam.mainnet.block-engine.jito.wtf",
            "frankfurt": "https://frankfurt.mainnet.block-engine.jito.wtf",
            "london": "https://london.mainnet.block-engine.jito.wtf",
            "ny": "https://ny.mainnet.block-engine.jito.wtf",
            "slc": "https://slc.mainnet.block-engine.jito.wtf",
            "singapore": "https://singapore.mainnet.block-engine.jito.wtf",
            "tokyo": "https://tokyo.mainnet.block-engine.jito.wtf",
        },
        description="region -> block-engine URL (JSON); region and extra_regions name its keys",
    )
    uuid: str = Field("", description="x-jito-auth uuid for a raised rate limit; empty = default limit")
    tip_floor_url: str = "https://bundles.jito.wtf/api/v1/bundles/tip_floor"
    tip_accounts: str = Field(
        JITO_TIP_ACCOUNTS, description="comma-separated; used until getTipAccounts answers"
    )
    tip_accounts_ttl_s: float = Field(3600.0, gt=0)
    tip_percentile: float = Field(50.0, ge=25, le=99, description="landed-tip percentile to pay")
    tip_multiplier: float = Field(
        1.0,
        gt=0,
        le=10,
        description="tip = landed-tip percentile x this, within tip_min_lamports..tip_max_lamports",
    )
    tip_min_lamports: int = Field(1_000, ge=1_000, description="never below Jito's 1000-lamport minimum")
    tip_max_lamports: int = Field(1_000_000, ge=1_000, description="hard cap per transaction")
    tip_floor_ttl_s: float = Field(10.0, gt=0, description="how long a tip-floor reading is reused")
    rate_per_s: float = Field(1.0, gt=0, le=100, description="block-engine requests per second")
    timeout_s: float = Field(5.0, gt=0, le=60)
    poll_interval_s: float = Field(1.0, gt=0, le=30, description="bundle status polling interval")
    bundle_timeout_s: float = Field(60.0, gt=0, le=600, description="EXPIRED after this without landing")
    rpc_fallback: bool = Field(True, description="send via RPC sendTransaction when the bundle is rejected")
    extra_regions: str = Field(
        "", description="comma-separated endpoint keys: the same bundle also goes to these regions"
    )

    @model_validator(mode="after")
    def _region_known(self) -> JitoSettings:
        if self.region not in self.endpoints:
            raise ValueError(f"region {self.region!r} not in endpoints ({', '.join(self.endpoints)})")
        if self.tip_max_lamports < self.tip_min_lamports:
            raise ValueError("tip_max_lamports must be >= tip_min_lamports")
        unknown = [r for r in self.extra_region_list if r not in self.endpoints]
        if unknown:
            raise ValueError(f"extra_regions {unknown} not in endpoints ({', '.join(self.endpoints)})")
        return self

    @property
    def extra_region_list(self) -> list[str]:
        """Extra regions, without the primary and without repeats."""
        names = [r.strip() for r in self.extra_regions.split(",") if r.strip()]
        return [r for i, r in enumerate(names) if r != self.region and r not in names[:i]]

    @property
    def block_engine_url(self) -> str:
        return self.endpoints[self.region]

    @property
    def tip_account_list(self) -> list[str]:
        return [a.strip() for a in self.tip_accounts.split(",") if a.strip()]


class DriftSettings(Group):
    """Drift v2 perps (shorts): program, sub-account and the fee used by paper fills."""

    env: str = Field("mainnet", description="driftpy environment: mainnet or devnet")
    sub_account_id: int = Field(0, ge=0, le=255)
    taker_fee_bps: int = Field(10, ge=0, le=500, description="perp taker fee for paper fills")
    auction_duration_slots: int = Field(
        10, ge=0, le=255, description="auction length of perp orders, in slots"
    )
    max_slippage_bps: int = Field(100, ge=1, le=5000, description="limit-price offset of market orders")


class ExecutionSettings(Group):
    """Routing, fees, submission and the live-mode preflight; ``rpc_url`` is the one Solana RPC
    endpoint of the platform (the signer's cross-check keeps its own, ``signer.rpc_url``)."""

    rpc_url: str = Field(
        "https://api.mainnet-beta.solana.com",
        description="the Solana JSON-RPC endpoint: blockhash, simulation, balance, fallback sends and "
        "landed transactions, and the safety and pool connectors and discovery's backfill",
    )
    rpc_rate_per_s: float = Field(10.0, gt=0)
    cu_limit_default: int = Field(
        300_000, ge=1_000, le=1_400_000, description="when no simulation is available"
    )
    cu_limit_margin: float = Field(1.2, ge=1.0, le=3.0, description="margin over Jupiter's CU estimate")
    priority_fee_lamports: int = Field(
        10_000, ge=0, description="priority fee budget per transaction, live and in the paper fill model"
    )
    max_priority_fee_lamports: int = Field(
        200_000, ge=0, description="hard cap of the priority fee per transaction"
    )
    priority_fee_percentile: float = Field(
        75.0, ge=0, le=100, description="live: pay this percentile of getRecentPrioritizationFees"
    )
    min_sol_balance_lamports: int = Field(100_000_000, ge=0, description="preflight SOL floor (0.1 SOL)")
    order_expiry_s: float = Field(120.0, gt=0, description="a routed order not signed by then EXPIRES")
    reconcile_interval_s: float = Field(30.0, gt=0, description="memesnipe reconcile: how often")
    reconcile_tolerance: int = Field(0, ge=0, description="token base units of difference still reconciled")
    slippage_floor_bps: int = Field(
        50, ge=0, le=10_000, description="live: least slippage tolerance of a swap"
    )
    slippage_impact_mult: float = Field(
        1.0, ge=0, description="live: tolerance added per bps of the quote's price impact"
    )
    slippage_vol_mult: float = Field(
        2.0, ge=0, description="live: sigmas of the mint's price move over the landing horizon added"
    )
    slippage_horizon_s: float = Field(
        10.0, gt=0, description="live: quote-to-landing time the volatility covers"
    )
    slippage_window_s: float = Field(
        300.0, gt=0, description="live: recent prices the volatility is measured on"
    )
    max_entry_slippage_bps: int = Field(
        300, ge=0, le=10_000, description="live: cap of an entry's tolerance (within the signer's bound)"
    )
    max_exit_slippage_bps: int = Field(
        1_500, ge=0, le=10_000, description="live: cap of an exit's tolerance (exits may pay more to get out)"
    )


class ExitSettings(Group):
    """Default exits of every position (position manager); a strategy overrides any of them
    with ``params["exits"]`` in its spec. Fractions of the entry price; times in event time."""

    stop_loss: float = Field(0.10, gt=0, lt=1, description="fixed stop-loss below entry (above for shorts)")
    activation_offset: float = Field(0.03, ge=0, description="favourable move before the stop trails")
    trail: float = Field(
        0.02, ge=0, lt=1, description="trailing distance from the best price; 0 = no trailing"
    )
    take_profit: float = Field(0.0, ge=0, description="take profit at this gain; 0 = off")
    max_hold_s: float = Field(14_400.0, ge=0, description="exit after holding this long; 0 = off")
    exit_retry_s: float = Field(60.0, gt=0, description="re-send an exit with no fill after this long")
    publish_min_change: float = Field(
        0.01, ge=0, description="publish a position when its mark moves this much"
    )
    publish_interval_s: float = Field(10.0, gt=0, description="...or at least this often while marked")
    rug_ttl_s: float = Field(
        86_400.0, gt=0, description="how long a rug signal forces longs in the token out"
    )
    mark_history: int = Field(
        64,
        ge=1,
        le=4_000,  # with as many depth snapshots, a book stays well under Kafka's 1 MB record
        description="price marks and depth snapshots kept per token for fills read after later marks",
    )
    mark_history_s: float = Field(
        600.0,
        gt=0,
        description="...spanning at most this much event time; a max-speed replay sets its span",
    )


SIGNER_TIP_ACCOUNTS = (
    "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5,HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe,"
    "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY,ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49,"
    "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh,ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt,"
    "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL,3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT"
)
"""The eight mainnet Jito tip accounts (Jito getTipAccounts): the signer's own allowlist of
transfer targets, deliberately independent of the router's refreshed list."""
SIGNER_PROGRAM_ALLOWLIST = (
    "ComputeBudget111111111111111111111111111111,11111111111111111111111111111111,"
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA,TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb,"
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL,JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4,"
    "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH,MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
)
"""Programs the signer will sign for: Compute Budget, System, Token, Token-2022, ATA, Jupiter v6,
Drift v2, Memo v2."""


class SignerSettings(Group):
    """The isolated signer (memesnipe/signer): where the key is, spend caps, transaction policy."""

    key_path: Path | None = Field(
        None, description="live keypair (solana-keygen JSON), mode 0600, owned by the signer's user"
    )
    paper_key_path: Path | None = Field(None, description="default <data_dir>/signer/paper-key.json")
    wallet_pubkey: str = Field("", description="expected wallet pubkey; start-up fails on a mismatch")
    group_id: str = Field("", description="consumer group; default <app_id>-signer")
    per_tx_cap_lamports: int = Field(
        2_100_000_000,
        gt=0,
        description="most one transaction may spend, fees and tip included: the signer's own bound, "
        "kept apart from risk.max_order_lamports on purpose",
    )
    daily_cap_lamports: int = Field(50 * 10**9, gt=0, description="entry spend per UTC day")
    tip_accounts: str = Field(SIGNER_TIP_ACCOUNTS, description="comma-separated; the only transfer targets")
    program_allowlist: str = Field(SIGNER_PROGRAM_ALLOWLIST, description="comma-separated program ids")
    batch_size: int = Field(256, ge=1, le=10_000, description="requests per poll (one fsync per batch)")
    max_request_age_s: float = Field(120.0, ge=0, description="refuse older requests (0 = off)")
    max_request_bytes: int = Field(
        16_384,
        ge=4_096,
        le=1_000_000,
        description="larger exec_requests records are refused before any decoding (a real one is ~2.5 KB)",
    )
    metrics_port: int = Field(9465, ge=0, le=65535, description="/metrics, /healthz, /readyz; 0 = off")
    metrics_host: str = Field("127.0.0.1", description="bind address of its metrics (0.0.0.0 in Docker)")
    tip_cap_lamports: int = Field(2_000_000, gt=0, description="most one transaction may tip (Jito)")
    tip_daily_cap_lamports: int = Field(200_000_000, gt=0, description="tips per UTC day, entries + exits")
    priority_fee_cap_lamports: int = Field(1_000_000, gt=0, description="most one transaction's priority fee")
    priority_fee_daily_cap_lamports: int = Field(
        100_000_000, gt=0, description="priority fees per UTC day, entries + exits"
    )
    exit_fee_daily_cap_lamports: int = Field(
        200_000_000, gt=0, description="tips + fees of exits per UTC day (exits skip the entry cap)"
    )
    max_entry_slippage_bps: int = Field(500, ge=0, le=10_000, description="most an entry swap may slip")
    max_exit_slippage_bps: int = Field(2_500, ge=0, le=10_000, description="most an exit swap may slip")
    perp_max_notional_usd: float = Field(5_000.0, gt=0, description="most one perp order may be worth")
    perp_price_band_bps: int = Field(
        1_000, ge=1, le=5_000, description="a perp limit price within this band of the declared oracle"
    )
    rpc_url: str = Field(
        "", description="live cross-check: simulateTransaction on this RPC before signing; empty = off"
    )
    rpc_commitment: Literal["processed", "confirmed", "finalized"] = "confirmed"
    rpc_timeout_s: float = Field(2.0, gt=0, le=30, description="connect / per-read timeout of each call")
    simulation_tolerance_lamports: int = Field(
        10_000, ge=0, description="SOL the simulation may move beyond the decoded effect"
    )

    @field_validator("key_path", "paper_key_path", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("tip_accounts", "program_allowlist", "wallet_pubkey")
    @classmethod
    def _pubkeys(cls, v: str) -> str:
        from solders.pubkey import Pubkey

        for item in (a.strip() for a in v.split(",")):
            if item:
                try:
                    Pubkey.from_string(item)
                except ValueError:
                    raise ValueError(f"{item!r} is not a base58 public key") from None
        return v

    @model_validator(mode="after")
    def _caps(self) -> SignerSettings:
        if self.per_tx_cap_lamports > self.daily_cap_lamports:
            raise ValueError("per_tx_cap_lamports must be <= daily_cap_lamports")
        if self.tip_cap_lamports > self.tip_daily_cap_lamports:
            raise ValueError("tip_cap_lamports must be <= tip_daily_cap_lamports")
        if self.priority_fee_cap_lamports > self.priority_fee_daily_cap_lamports:
            raise ValueError("priority_fee_cap_lamports must be <= priority_fee_daily_cap_lamports")
        if not self.tip_account_list:
            raise ValueError("tip_accounts must name at least one account")
        return self

    @property
    def tip_account_list(self) -> list[str]:
        return [a.strip() for a in self.tip_accounts.split(",") if a.strip()]

    @property
    def program_list(self) -> list[str]:
        return [a.strip() for a in self.program_allowlist.split(",") if a.strip()]


class AnalyticsSettings(Group):
    """The analytics process (``memesnipe analytics``): ClickHouse sink, JSON API, cockpit, /metrics."""

    host: str = Field("127.0.0.1", description="bind address of the JSON API / cockpit / metrics")
    port: int = Field(8787, ge=1, le=65535, description="HTTP port of the JSON API, cockpit and /metrics")


class NotifySettings(Group):
    """``memesnipe notify``: fills, kill-switch changes and Alertmanager alerts to Telegram and/or
    a generic JSON webhook. Off until a channel is configured."""

    telegram_bot_token: str = Field("", description="bot token from @BotFather; empty = no Telegram")
    telegram_chat_id: str = Field("", description="chat id (or @channelusername) to post to")
    telegram_base_url: str = "https://api.telegram.org"
    telegram_rate_per_s: float = Field(1.0, gt=0, le=30, description="messages per second to the chat")
    webhook_url: str = Field("", description="generic JSON webhook (POST); empty = none")
    webhook_token: str = Field("", description="sent as Authorization: Bearer to the webhook; empty = none")
    receiver_token: str = Field(
        "", description="bearer token Alertmanager must send to POST /alertmanager; empty = localhost only"
    )
    fills: bool = Field(True, description="notify every fill")
    killswitch: bool = Field(True, description="notify kill-switch changes")
    min_fill_lamports: int = Field(0, ge=0, description="skip fills smaller than this notional")
    from_beginning: bool = Field(False, description="a new consumer group starts at the topics' start")
    group_id: str = Field("", description="consumer group; default <app_id>-notifier")
    state_path: Path | None = Field(None, description="sent ids; default <data_dir>/notifier/sent.txt")
    timeout_s: float = Field(10.0, gt=0, le=120)

    @field_validator("state_path", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, v: object) -> object:
        return None if v == "" else v

    @property
    def enabled(self) -> bool:
        return bool((self.telegram_bot_token and self.telegram_chat_id) or self.webhook_url)


class Settings(BaseSettings):
    """Process-level settings (mode, data directory, logs, ports, the router-signer secret); each
    group of related settings is a nested model below, ``MEMESNIPE_<GROUP>__<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
    )

    mode: Mode = Field(
        Mode.PAPER,
        description="paper: the whole path up to signing, fills from quotes or the paper model; live: real "
        "money (also needs MEMESNIPE_LIVE_CONFIRM and passes `memesnipe preflight`)",
    )
    live_confirm: str = Field("", description="must equal 'I-ACCEPT-REAL-MONEY-RISK' for live mode")
    data_dir: Path = Field(
        Path(".data"), description="where local state lives: chDB database, Faust data, signer journal, logs"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "text"] = Field("json", description="json lines (ids as fields) or text")
    web_port: int = Field(6066, ge=1, le=65535, description="Faust web (and cockpit) port")
    metrics_port: int = Field(9464, ge=0, le=65535, description="0 disables the Prometheus endpoint")
    metrics_host: str = Field("127.0.0.1", description="bind address of /metrics (0.0.0.0 in containers)")
    hmac_secret: str = Field(
        "paper-hmac-secret-change-me",
        min_length=16,
        description="shared secret authenticating the router's execution requests to the signer "
        "(HMAC-SHA256); CHANGE IT for live mode",
    )

    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    paper: PaperSettings = PaperSettings()
    risk: RiskSettings = RiskSettings()
    web: WebSettings = WebSettings()
    connectors: ConnectorSettings = ConnectorSettings()
    jupiter: JupiterSettings = JupiterSettings()
    jito: JitoSettings = JitoSettings()
    drift: DriftSettings = DriftSettings()
    execution: ExecutionSettings = ExecutionSettings()
    signer: SignerSettings = SignerSettings()
    exits: ExitSettings = ExitSettings()
    wire: WireSettings = WireSettings()
    notify: NotifySettings = NotifySettings()

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        """Move a setting given under its old name (:data:`RENAMED`) to its new one."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for old, new in RENAMED.items():
            (og, of), (ng, nf) = (_env_path(old), _env_path(new))
            group = data.get(og)
            if not isinstance(group, dict) or of not in group:
                continue
            value = group[of]
            data[og] = {k: v for k, v in group.items() if k != of}
            target = data.get(ng)
            target = dict(target) if isinstance(target, dict) else {}
            if nf in target and str(target[nf]) != str(value):
                raise ValueError(f"{old} was renamed {new}; both are set, differently: keep only {new}")
            log.warning("settings: %s is deprecated, it is now %s", old, new)
            target[nf] = value
            data[ng] = target
        return data

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v

    @model_validator(mode="after")
    def _slippage_within_the_signers_bounds(self) -> Settings:
        x, g = self.execution, self.signer
        entry, exit_ = g.max_entry_slippage_bps, g.max_exit_slippage_bps
        if x.max_entry_slippage_bps > entry or x.max_exit_slippage_bps > exit_:
            raise ValueError(
                "execution.max_entry/exit_slippage_bps must not exceed the signer's bounds "
                f"({entry}/{exit_} bps): the signer would refuse the swap"
            )
        return self

    @model_validator(mode="after")
    def _live_needs_confirmation(self) -> Settings:
        if self.mode is Mode.LIVE and self.live_confirm != "I-ACCEPT-REAL-MONEY-RISK":
            raise ValueError(
                "live mode needs MEMESNIPE_LIVE_CONFIRM=I-ACCEPT-REAL-MONEY-RISK (real money is at risk)"
            )
        return self

    @property
    def clickhouse_dsn(self) -> str:
        """The configured DSN, or embedded chDB under the data directory."""
        return self.clickhouse.dsn or f"chdb://{(self.data_dir / 'clickhouse').resolve()}"


def _env_path(name: str) -> tuple[str, str]:
    group, field = name.removeprefix(ENV_PREFIX).lower().split("__")
    return group, field


def _setting_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if str(p) not in {"__root__"}]
    return ENV_PREFIX + "__".join(p.upper() for p in parts) if parts else ENV_PREFIX + "*"


def load_settings(**overrides: object) -> Settings:
    """Load settings; on error raise SettingsError naming each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"  {_setting_name(err['loc'])}: {err['msg']} (got {err.get('input')!r})" for err in exc.errors()
        ]
        raise SettingsError("memesnipe: invalid settings\n" + "\n".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    """Process-wide settings, loaded once."""
    return load_settings()
