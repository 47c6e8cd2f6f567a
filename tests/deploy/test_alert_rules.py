"""deploy/prometheus/alerts.yml: loaded by prometheus.yml, mounted by compose, every metric it
names is exported by the code, and (with promtool installed) valid and behaving as its unit
tests in alerts_test.yml say."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import memesnipe.agents.reordered  # its metrics, in the same registry
import memesnipe.metrics  # noqa: F401  (registers every metric)
from memesnipe.signer.metrics import SignerMetrics

REPO = Path(__file__).resolve().parents[2]
PROM = REPO / "deploy" / "prometheus"
REQUIRED = {
    "KillSwitchActive",
    "DrawdownNearLimit",
    "ConsumerLagHigh",
    "DeadLettersRate",
    "SignerRefusals",
    "ConnectorStale",
    "LandingFailures",
}
BUILTIN = {"up"}  # Prometheus's own series per target
KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
}


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((PROM / "alerts.yml").read_text())
    return [r for g in doc["groups"] for r in g["rules"]]


def metric_names(expr: str) -> set[str]:
    """Series names an expression selects: identifiers outside label matchers, ranges, strings
    and grouping clauses that are not functions, keywords or numbers."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        rest = e[m.end() :].lstrip()
        if rest.startswith("("):
            continue  # a function or aggregation
        if m.group(0) in KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def exported() -> set[str]:
    """Every series name the processes expose: our prometheus-client registry (worker, analytics,
    connectors, notifier) and the signer's own stdlib metrics, as text."""
    out: set[str] = set()
    for fam in REGISTRY.collect():
        if fam.type == "counter":
            out |= {fam.name + "_total"}
        elif fam.type in ("histogram", "summary"):
            out |= {fam.name + s for s in ("_bucket", "_sum", "_count")}
        else:
            out.add(fam.name)
    signer_text = SignerMetrics().render().decode()
    out |= {line.split()[2] for line in signer_text.splitlines() if line.startswith("# TYPE ")}
    out |= {
        n + s for n in list(out) for s in ("_bucket", "_sum", "_count") if n.startswith("memesnipe_signer_")
    }
    # gauges the signer worker registers on its SignerMetrics at start-up (read from the code)
    worker_src = (REPO / "memesnipe" / "signer" / "worker.py").read_text()
    out |= set(re.findall(r'gauge\(\s*"(memesnipe_signer_[a-z0-9_]+)"', worker_src))
    return out


def test_the_required_alerts_exist_with_severity_and_summary() -> None:
    by_name = {r["alert"]: r for r in rules()}
    assert set(by_name) >= REQUIRED
    for r in by_name.values():
        assert r["labels"]["severity"] in ("warning", "critical")
        assert r["annotations"]["summary"] and r["annotations"]["description"]


def test_every_metric_in_the_rules_is_exported_by_the_code() -> None:
    known = exported() | BUILTIN
    used = {n for r in rules() for n in metric_names(r["expr"])}
    assert used, "no metric found in the rules"
    assert "memesnipe_signer_kill_switch_active" in used and "memesnipe_orders_total" in used
    missing = sorted(used - known)
    assert not missing, f"alert rules use metrics nobody exports: {missing}"


def test_the_metric_name_parser_sees_through_promql() -> None:
    expr = (
        'sum by (stage) (rate(memesnipe_x_total{state=~"a|b"}[5m])) / on(job) up{job="w"} > 0.2 or vector(0)'
    )
    assert metric_names(expr) == {"memesnipe_x_total", "up"}


def test_prometheus_loads_the_rules_and_compose_mounts_them() -> None:
    conf = yaml.safe_load((PROM / "prometheus.yml").read_text())
    assert conf["rule_files"] == ["alerts.yml"]  # relative to /etc/prometheus/prometheus.yml
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    volumes = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (apt: prometheus)")
def test_promtool_checks_the_rules_and_their_unit_tests_pass() -> None:
    for args in (
        ["check", "rules", "alerts.yml"],
        ["check", "config", "prometheus.yml"],
        ["test", "rules", "alerts_test.yml"],
    ):
        res = subprocess.run(["promtool", *args], cwd=PROM, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"promtool {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
