"""The signer's Prometheus metrics, in the text exposition format, stdlib only.

The signer keeps its dependency footprint minimal (it holds the key; tests/signer/
test_footprint.py forbids prometheus_client in its process), so the few metric types it needs
are here. Names follow memesnipe/metrics.py: ``memesnipe_signer_*``, base units, ``_total``
counters, bounded labels only (a refusal's reason CLASS, never its text or a request id).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

from memesnipe.signer.intake import UNDECODABLE, Kind

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    """A monotonically increasing count, optionally per label values."""

    kind = "counter"

    def __init__(self, name: str, help_: str, labelnames: Iterable[str] = ()) -> None:
        self.name, self.help, self.labelnames = name, help_, tuple(labelnames)
        self._values: dict[tuple[str, ...], float] = {} if self.labelnames else {(): 0.0}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def samples(self) -> Iterator[str]:
        for labels, v in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.labelnames, labels)} {_fmt(v)}"


class Gauge:
    """A value read from the process's state when scraped (no bookkeeping on the hot path)."""

    kind = "gauge"

    def __init__(self, name: str, help_: str, read: Callable[[], float]) -> None:
        self.name, self.help, self._read = name, help_, read

    def samples(self) -> Iterator[str]:
        yield f"{self.name} {_fmt(self._read())}"


class Histogram:
    """Cumulative buckets, sum and count (one observe is a bisect and three adds)."""

    kind = "histogram"

    def __init__(self, name: str, help_: str, buckets: Iterable[float]) -> None:
        self.name, self.help = name, help_
        self.bounds = sorted(buckets)
        self._counts = [0] * (len(self.bounds) + 1)  # the last slot is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self._counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def samples(self) -> Iterator[str]:
        running = 0
        for bound, n in zip([*self.bounds, math.inf], self._counts, strict=True):
            running += n
            le = "+Inf" if math.isinf(bound) else repr(float(bound))  # "1.0", as Prometheus writes it
            yield f'{self.name}_bucket{{le="{le}"}} {running}'
        yield f"{self.name}_sum {_fmt(self.sum)}"
        yield f"{self.name}_count {self.count}"


Metric = Counter | Gauge | Histogram

# -- refusal reason classes ---------------------------------------------------------------
_INTAKE_KINDS = {Kind.TOO_LARGE, Kind.TOO_DEEP, Kind.MALFORMED, Kind.SCHEMA, Kind.DECODER}
_INTAKE_RE = re.compile(re.escape(UNDECODABLE) + r" \((\w+)\)")
_PREFIXES = (
    (UNDECODABLE, "undecodable"),
    ("unsupported ", "version"),
    ("bad hmac", "bad_hmac"),
    ("request_id must equal", "bad_id"),
    ("duplicate request_id", "duplicate"),
    ("internal error", "internal_error"),
    ("kill switch active", "kill_switch"),
    ("stale request", "stale"),
    ("request created", "stale"),  # created in the future (clock skew)
    ("live request to a paper signer", "mode"),
    ("paper request to a live signer", "mode"),
)
REASON_CLASSES = frozenset(
    {c for _, c in _PREFIXES} | {f"intake_{k}" for k in _INTAKE_KINDS} | {"cap", "policy"}
)
"""Every label value ``reason_class`` can return (the label set is bounded by construction)."""


def reason_class(reason: str) -> str:
    """A short, bounded class for a refusal reason (the text itself is free and unbounded)."""
    m = _INTAKE_RE.match(reason)
    if m and m.group(1) in _INTAKE_KINDS:
        return f"intake_{m.group(1)}"
    for prefix, cls in _PREFIXES:
        if reason.startswith(prefix):
            return cls
    if " cap" in reason:
        return "cap"
    return "policy"  # the transaction policy's many precise reasons


class SignerMetrics:
    """Everything the signer exports. One instance per process (tests make their own)."""

    def __init__(self) -> None:
        self.requests = Counter(
            "memesnipe_signer_requests_total",
            "Requests the signer answered, by outcome (signed, refused, replayed from the journal)",
            ["outcome"],
        )
        self.refusals = Counter(
            "memesnipe_signer_refusals_total", "Refused requests by reason class", ["reason"]
        )
        self.dead_letters = Counter(
            "memesnipe_signer_dead_letters_total", "Requests sent to the dead-letter topic"
        )
        self.request_seconds = Histogram(
            "memesnipe_signer_request_seconds",
            "Time to decide one request: intake, HMAC, journal lookup, policy, signature",
            (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05),
        )
        self.batch_seconds = Histogram(
            "memesnipe_signer_batch_seconds",
            "One batch end to end: decide, journal fsync, acknowledged publish, offset commit",
            (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.gauges: list[Gauge] = []
        for outcome in ("signed", "refused", "replayed"):  # every series exists from the start,
            self.requests.inc(outcome, amount=0)  # so rate() and alerts see the first one
        for cls in sorted(REASON_CLASSES):
            self.refusals.inc(cls, amount=0)

    def gauge(self, name: str, help_: str, read: Callable[[], float]) -> None:
        """Export a value read at scrape time (journal size, kill switch, readiness)."""
        self.gauges.append(Gauge(name, help_, read))

    def observe(self, status: str, reason: str, replayed: bool, dead_lettered: bool, seconds: float) -> None:
        """Count one answered request."""
        self.request_seconds.observe(seconds)
        if replayed:
            self.requests.inc("replayed")
            return
        self.requests.inc(status)
        if status == "refused":
            self.refusals.inc(reason_class(reason))
        if dead_lettered:
            self.dead_letters.inc()

    def render(self) -> bytes:
        """The text exposition of every metric; a failing gauge is skipped, never fatal."""
        out: list[str] = []
        metrics: list[Metric] = [
            self.requests,
            self.refusals,
            self.dead_letters,
            self.request_seconds,
            self.batch_seconds,
            *self.gauges,
        ]
        for m in metrics:
            try:
                lines = list(m.samples())
            except Exception:  # a gauge reading closed state during shutdown
                continue
            out.append(f"# HELP {m.name} {m.help}")
            out.append(f"# TYPE {m.name} {m.kind}")
            out.extend(lines)
        return ("\n".join(out) + "\n").encode()
