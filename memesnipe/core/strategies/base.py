"""The strategy contract: a family id, its subscriptions, a typed parameter model, an initial
state and a deterministic ``step(state, event, t) -> (state, emits)``.

State is plain JSON data (dicts, lists, floats) so it can live in a Faust table keyed by
``instance_id|mint`` and survive a crash or a rebalance; the same step functions drive the
in-process backtest. ``step`` may mutate the state it is handed and returns it: copying state
per event would cost more than the signal itself, and both callers (the runner and the
backtest) own the state they pass in. Steps never read the clock, never do I/O and use only
the event's own time ``t`` (epoch seconds, computed once per event by the engine).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from memesnipe.streams.market import MARKET_EVENT_TYPES, MarketEvent
from memesnipe.streams.trading import Intent, Side

INTERFACE_VERSION = 1

State = dict[str, Any]


class StrategyParams(BaseModel):
    """Base of every family's parameter model: unknown keys are refused (a typo is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=StrategyParams)


@dataclass(frozen=True, slots=True)
class Emit:
    """A signal intent from a step; the engine turns it into a wire ``Signal``.

    ``Side.SHORT`` without ``perp_market_index`` is a *short thesis*: the engine makes it a Drift
    perp short when the mint has a perp market, else a long exit that blocks entries.
    """

    side: Side
    intent: Intent
    strength: float
    reason: str
    block_entries: bool = False
    perp_market_index: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


NO_EMITS: tuple[Emit, ...] = ()


class SpecError(ValueError):
    """A strategy spec that cannot run; the message says what is wrong."""


class Strategy(Generic[P]):
    """Base class of a strategy family. Subclasses set the class attributes and implement
    :meth:`initial_state` and :meth:`step`; the constructor copies hot parameters into plain
    attributes in :meth:`setup`, keeping pydantic off the per-event path."""

    family: ClassVar[str]
    subscriptions: ClassVar[frozenset[str]]
    """Market event types (``streams.market.MARKET_EVENT_TYPES`` keys) this family reads."""
    Params: ClassVar[type[StrategyParams]]
    state_params: ClassVar[tuple[str, ...]] = ()
    """Parameters that shape the state (window sizes); changing one resets the state."""
    description: ClassVar[str] = ""

    __slots__ = ("fingerprint", "instance_id", "key_prefix", "params")

    def __init__(self, instance_id: str, params: P) -> None:
        self.instance_id = instance_id
        self.key_prefix = instance_id + "|"
        self.params = params
        shape = {k: getattr(params, k) for k in self.state_params}
        self.fingerprint = f"{self.family}:{json.dumps(shape, sort_keys=True, default=str)}"
        self.setup(params)

    def setup(self, params: P) -> None:
        """Copy parameters into plain attributes for the hot path."""

    def initial_state(self) -> State:
        raise NotImplementedError

    def step(self, state: State, event: Any, t: float) -> tuple[State, Sequence[Emit]]:
        raise NotImplementedError


_FAMILIES: dict[str, type[Strategy[Any]]] = {}


def register_strategy(cls: type[Strategy[Any]]) -> type[Strategy[Any]]:
    """Class decorator: make a family available to specs by its ``family`` id."""
    fam = getattr(cls, "family", "")
    if not fam:
        raise TypeError(f"{cls.__name__} needs a family id")
    unknown = set(cls.subscriptions) - set(MARKET_EVENT_TYPES)
    if not cls.subscriptions or unknown:
        raise TypeError(f"{fam}: subscriptions must be a non-empty subset of {sorted(MARKET_EVENT_TYPES)}")
    if fam in _FAMILIES and _FAMILIES[fam] is not cls:
        raise TypeError(f"strategy family {fam!r} is already registered by {_FAMILIES[fam].__name__}")
    for k in cls.state_params:
        if k not in cls.Params.model_fields:
            raise TypeError(f"{fam}: state_params names unknown parameter {k!r}")
    _FAMILIES[fam] = cls
    return cls


def families() -> Mapping[str, type[Strategy[Any]]]:
    """All registered families by id (importing ``memesnipe.core.strategies`` registers the eleven)."""
    return dict(_FAMILIES)


def subscribed_types(cls: type[Strategy[Any]]) -> tuple[type[MarketEvent], ...]:
    return tuple(MARKET_EVENT_TYPES[name] for name in sorted(cls.subscriptions))


def validate_params(family: str, params: Mapping[str, Any]) -> StrategyParams:
    """Validate ``params`` against the family's model; raises SpecError with a readable reason."""
    cls = _FAMILIES.get(family)
    if cls is None:
        raise SpecError(f"unknown strategy family {family!r}; known: {', '.join(sorted(_FAMILIES))}")
    try:
        return cls.Params.model_validate(dict(params))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        raise SpecError(f"invalid params for {family}: {problems}") from None


def build_strategy(instance_id: str, family: str, params: Mapping[str, Any]) -> Strategy[Any]:
    """Validate and construct one strategy instance."""
    if not instance_id or "|" in instance_id:
        raise SpecError(f"instance_id must be non-empty and contain no '|' (got {instance_id!r})")
    model = validate_params(family, params)
    return _FAMILIES[family](instance_id, model)


def clip01(x: float) -> float:
    """Clamp a strength into [0, 1] (and map NaN to 0)."""
    if x > 1.0:
        return 1.0
    if x >= 0.0:
        return x
    return 0.0


StepFn = Callable[[State, Any, float], tuple[State, Sequence[Emit]]]
