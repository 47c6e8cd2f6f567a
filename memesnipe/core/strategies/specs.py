"""Strategy specs at the boundary: parse and validate one registry record.

Used by the spec-checking agent (which dead-letters what this refuses) and by every worker's
registry view (which simply ignores it), so both judge a spec the same way.
"""

from __future__ import annotations

from memesnipe.core.strategies.base import SpecError, build_strategy
from memesnipe.streams.codec import DecodeError, decode
from memesnipe.streams.control import StrategySpec


def parse_spec(key: bytes | str | None, value: bytes | str) -> StrategySpec:
    """Decode a registry record and check it can run; raises SpecError saying why not.

    A disabled spec only needs a well-formed envelope: its params are not validated, so an
    instance whose params went bad can always be switched off.
    """
    try:
        spec = decode(value, StrategySpec)
    except DecodeError as exc:
        raise SpecError(f"not a StrategySpec: {exc}") from None
    k = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    if k is not None and k != spec.instance_id:
        raise SpecError(f"record key {k!r} differs from instance_id {spec.instance_id!r}")
    if spec.enabled:
        build_strategy(spec.instance_id, spec.family, spec.params)
    elif not spec.instance_id or "|" in spec.instance_id:
        raise SpecError(f"instance_id must be non-empty and contain no '|' (got {spec.instance_id!r})")
    return spec
