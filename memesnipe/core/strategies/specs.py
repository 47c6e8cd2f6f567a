"""Strategy specs at the boundary: parse and validate one registry record.

Used by the spec-checking agent (which dead-letters what this refuses) and by every worker's
registry view (which simply ignores it), so both judge a spec the same way.
"""

from __future__ import annotations

from memesnipe.core.strategies.base import SpecError, build_strategy
from memesnipe.streams.codec import DecodeError, decode_record
from memesnipe.streams.control import StrategySpec


def parse_spec(key: bytes | str | None, value: bytes | str) -> StrategySpec:
    """Decode a registry record and check it can run; raises SpecError saying why not.

    The record passes the wire checks of ``streams.codec.decode_record`` (size, nesting, schema
    version, key = instance_id). A disabled spec only needs a well-formed envelope: its params
    are not validated, so an instance whose params went bad can always be switched off.
    """
    try:
        spec = decode_record(value, StrategySpec, topic="specs", key=key)
    except DecodeError as exc:
        raise SpecError(f"not a StrategySpec: {exc}") from None
    if spec.enabled:
        try:
            build_strategy(spec.instance_id, spec.family, spec.params)
        except SpecError:
            raise
        except Exception as exc:  # a params validator that fails some other way
            raise SpecError(f"params of {spec.family!r} unusable: {type(exc).__name__}: {exc}") from None
    elif not spec.instance_id or "|" in spec.instance_id:
        raise SpecError(f"instance_id must be non-empty and contain no '|' (got {spec.instance_id!r})")
    return spec
