import urllib.request

from memesnipe import metrics
from tests.support.kafka import free_port


def test_serve_exposes_our_metrics_and_a_taken_port_is_not_fatal():
    port = free_port()
    metrics.EVENTS_IN.labels(topic="price").inc(3)
    assert metrics.serve(port) is True
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'memesnipe_events_in_total{topic="price"}' in body
    assert metrics.serve(port) is False  # second process on the same port: logged, not raised
    assert metrics.serve(0) is False


def test_metric_names_follow_prometheus_conventions():
    from prometheus_client import REGISTRY

    names = [m.name for m in REGISTRY.collect() if m.name.startswith("memesnipe_")]
    assert names
    for n in names:
        assert n == n.lower() and " " not in n
    counters = [m for m in REGISTRY.collect() if m.name.startswith("memesnipe_") and m.type == "counter"]
    for m in counters:  # prometheus_client adds _total to counter samples
        assert all(s.name.endswith(("_total", "_created")) for s in m.samples)


def test_state_sizes_and_asof_evictions_are_reported():
    from operator import itemgetter

    from memesnipe.core.asof import AsOfHistory

    h = AsOfHistory("test.metrics", itemgetter(0), keep=1)
    xs: list[tuple[float]] = []
    for t in (1.0, 2.0, 3.0):
        h.add(xs, (t,))
    metrics.report_asof_evictions()
    assert metrics.ASOF_EVICTIONS.labels(history="test.metrics")._value.get() == 2
    metrics.report_state_size("position_book", 17)
    assert metrics.STATE_ENTRIES.labels(state="position_book")._value.get() == 17
