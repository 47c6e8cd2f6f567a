"""Spec parsing at the boundary: what is refused, with which reason; defaults validate."""

from __future__ import annotations

import msgspec
import pytest

from memesnipe.core.strategies import SpecError
from memesnipe.core.strategies.defaults import DEFAULT_PARAMS, default_specs
from memesnipe.core.strategies.specs import parse_spec
from memesnipe.streams.codec import encode
from memesnipe.streams.control import StrategySpec


def raw(**kw) -> bytes:
    return encode(StrategySpec(**kw))


def test_a_valid_spec_parses():
    spec = parse_spec(b"m1", raw(instance_id="m1", family="momentum_5m", params={"min_return": 0.1}))
    assert spec.family == "momentum_5m" and spec.params == {"min_return": 0.1}


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"x", b"{not json", "not a StrategySpec"),
        (b"x", b'{"family": "momentum_5m"}', "instance_id"),
        (b"other", raw(instance_id="x", family="momentum_5m"), "record key 'other' differs"),
        (b"x", raw(instance_id="x", family="nope"), "unknown strategy family 'nope'"),
        (b"x", raw(instance_id="x", family="momentum_5m", params={"min_return": -1}), "min_return"),
        (b"x", raw(instance_id="x", family="momentum_5m", params={"lookback_s": 301}), "multiple of"),
        (b"a|b", raw(instance_id="a|b", family="momentum_5m"), "no '|'"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(key, value, reason):
    with pytest.raises(SpecError, match=reason.replace("|", r"\|")):
        parse_spec(key, value)


def test_a_disabled_spec_needs_no_valid_params_so_a_broken_instance_can_always_be_stopped():
    spec = parse_spec(
        b"x", raw(instance_id="x", family="momentum_5m", params={"min_return": -1}, enabled=False)
    )
    assert not spec.enabled


def test_defaults_cover_the_eleven_families_with_fully_spelled_out_params():
    specs = default_specs()
    assert len(specs) == len(DEFAULT_PARAMS) == 11
    for s in specs:
        assert parse_spec(s.instance_id.encode(), encode(s)) == s
        assert s.params  # every default filled in, so the registry shows what runs
    assert msgspec.json.decode(encode(specs[0]))["params"] == specs[0].params


def test_cli_set_refuses_a_bad_spec_before_publishing(capsys):
    import argparse

    from memesnipe.cli.strategies import _set

    args = argparse.Namespace(
        instance="m", family="momentum_5m", params='{"volume_mult": 0.5}', disabled=False, revision=0
    )
    assert _set(args) == 2
    assert "volume_mult" in capsys.readouterr().err
