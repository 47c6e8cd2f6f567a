"""docker-compose and Prometheus for the signer: its journal and daily ledger live on a named
volume (they survive a container restart or re-creation), and Prometheus scrapes the port the
signer's own metrics endpoint listens on."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from memesnipe.settings import Settings
from memesnipe.signer.worker import journal_path
from tests.support.kafka import REPO


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def signer_env() -> dict[str, str]:
    env = compose()["services"]["signer"]["environment"]  # the anchor is merged by the YAML loader
    return {k: str(v) for k, v in env.items()}


def dockerfile_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def signer_data_dir() -> PurePosixPath:
    """The data dir the signer container really uses: compose's env, else its image's ENV."""
    image = dockerfile_env(REPO / compose()["services"]["signer"]["build"]["dockerfile"])
    return PurePosixPath(signer_env().get("MEMESNIPE_DATA_DIR") or image["MEMESNIPE_DATA_DIR"])


def test_signer_data_dir_is_on_a_named_volume_that_holds_its_journal() -> None:
    cfg = compose()
    data = signer_data_dir()
    mounts = [str(v).split(":") for v in cfg["services"]["signer"]["volumes"]]
    named = {src: PurePosixPath(dst) for src, dst, *_ in mounts if src in (cfg.get("volumes") or {})}
    on_named = [src for src, dst in named.items() if data == dst or dst in data.parents]
    assert on_named, f"the signer's data dir {data} is not on a named volume: {mounts}"
    assert all(dst != data or not opts for src, dst, *opts in mounts if src in on_named)  # not :ro
    # the journal (decisions + daily spend ledger) and the paper key live under that mount
    settings = Settings(data_dir=Path(str(data)))  # type: ignore[call-arg]
    journal = PurePosixPath(str(journal_path(settings)))
    mount = named[on_named[0]]
    assert mount in journal.parents
    # the image creates the mount point owned by the signer's user (a new named volume copies
    # that ownership), so the non-root signer can write its journal there
    dockerfile = (REPO / cfg["services"]["signer"]["build"]["dockerfile"]).read_text()
    assert re.search(rf"mkdir -p [^&]*{mount}\b", dockerfile)
    assert re.search(rf"chown signer [^&]*{mount}\b", dockerfile)


def test_prometheus_scrapes_the_signers_own_metrics_port() -> None:
    env = signer_env()
    port = int(env["MEMESNIPE_SIGNER__METRICS_PORT"])
    assert port and env["MEMESNIPE_SIGNER__METRICS_HOST"] == "0.0.0.0"  # reachable from prometheus
    prom = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    targets = [t for sc in jobs["signer"]["static_configs"] for t in sc["targets"]]
    assert targets == [f"signer:{port}"]
    assert jobs["signer"].get("metrics_path", "/metrics") == "/metrics"
    # the workers' port (the shared env's) is another process's: not the signer's
    assert port != int(env["MEMESNIPE_METRICS_PORT"])


def test_signer_container_health_is_its_readiness() -> None:
    env = signer_env()
    check = " ".join(compose()["services"]["signer"]["healthcheck"]["test"])
    assert f"127.0.0.1:{env['MEMESNIPE_SIGNER__METRICS_PORT']}/readyz" in check
