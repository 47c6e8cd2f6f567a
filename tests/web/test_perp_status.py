"""The perp venue's status from the perp reconciler's readings stored in a seeded chDB."""

from __future__ import annotations

from datetime import timedelta

from memesnipe.sinks.client import Store
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.web.perp_status import classify, perp_venues
from tests.web.seed import PAUSED_REASON, PERP_ACCOUNT, T0, Seeder, queries


def test_the_latest_reading_is_shown_paused_with_the_venues_reason(
    seeded_store: tuple[Store, Seeder],
) -> None:
    store, _ = seeded_store
    [v] = perp_venues(queries(store))
    assert (v.venue, v.account, v.state, v.reason) == ("drift", PERP_ACCOUNT, "paused", PAUSED_REASON)
    assert v.ts == (T0 + timedelta(minutes=88)).isoformat()


def test_a_newer_live_reading_replaces_the_paused_one(seeded_store: tuple[Store, Seeder]) -> None:
    store, seeder = seeded_store
    why = "fill live-1; collateral 99.50 USD, funding settled -0.010000 USD"
    seeder.put(
        "perp_reconciliations",
        Reconciliation(wallet=PERP_ACCOUNT, ts=T0 + timedelta(minutes=95), sol_lamports=0, reason=why),
    )
    [v] = perp_venues(queries(store))
    assert (v.state, v.reason) == ("live", "collateral 99.50 USD, funding settled -0.010000 USD")


def test_no_reading_means_no_venue_and_an_unreadable_venue_is_unknown(
    seeded_store: tuple[Store, Seeder],
) -> None:
    store, _ = seeded_store
    assert perp_venues(queries(store, run="another-run")) == []
    assert classify("schedule; status unknown: ConnectError: refused") == (
        "unknown",
        "status unknown: ConnectError: refused",
    )
