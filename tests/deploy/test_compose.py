"""docker-compose and Prometheus for the signer: its journal and daily ledger live on a named
volume (they survive a container restart or re-creation), and Prometheus scrapes the port the
signer's own metrics endpoint listens on."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from memesnipe.settings import Settings
from memesnipe.signer.worker import journal_path
from tests.deploy.interpolate import MissingVariable, interpolate, references
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


# --- the whole file: the Compose Specification, secrets, ports, mounts, metrics, connectors ---

SPEC = REPO / "tests" / "fixtures" / "schemas" / "compose-spec.json"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|_AUTH$|UUID")
REQUIRED_SECRETS = {"MEMESNIPE_HMAC_SECRET", "CLICKHOUSE_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}


def load_script(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "deploy" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def generated_env(tmp_path: Path) -> dict[str, str]:
    """The variables `python3 deploy/compose_secrets.py` writes into a fresh .env."""
    env_file = tmp_path / ".env"
    load_script("compose_secrets").ensure(env_file)
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line)


def resolved(tmp_path: Path) -> dict[str, Any]:
    return interpolate(compose(), generated_env(tmp_path))  # type: ignore[no-any-return]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) of each volume, short or long syntax."""
    out = []
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            out.append((str(v.get("source", "")), str(v["target"]), bool(v.get("read_only"))))
        else:
            src, dst, *opts = re.split(r":(?![^{]*\})", str(v))  # not the `:-` of a ${VAR:-default}
            out.append((src, dst, "ro" in ",".join(opts).split(",")))
    return out


def test_compose_file_validates_against_the_compose_specification(tmp_path: Path) -> None:
    import json

    from jsonschema import Draft7Validator

    schema = json.loads(SPEC.read_text())
    Draft7Validator.check_schema(schema)
    validator = Draft7Validator(schema)
    for label, doc in (("as written", compose()), ("interpolated", resolved(tmp_path))):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert not errors, f"docker-compose.yml ({label}) breaks the Compose Specification:\n" + "\n".join(
            errors
        )
    # the check has teeth: a typo'd service key is refused
    bad = compose()
    bad["services"]["worker"]["enviroment"] = {}
    assert any("enviroment" in e.message for e in validator.iter_errors(bad))


def test_no_secret_has_a_default_and_the_core_ones_are_required(tmp_path: Path) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    refs = references(text)
    for name, op, arg in refs:
        if SECRET_NAME.search(name):
            assert op in {":?", "?"} or (op in {":-", "-"} and arg == ""), (
                f"${{{name}{op}{arg}}} has a default"
            )
    required = {name for name, op, _ in refs if op in {":?", "?"}}
    assert required >= REQUIRED_SECRETS
    # Compose stops, naming the variable and how to set it, when one is missing
    for name in REQUIRED_SECRETS:
        env = generated_env(tmp_path)
        del env[name]
        with pytest.raises(MissingVariable) as exc:
            interpolate(compose(), env)
        assert exc.value.name == name and "deploy/compose_secrets.py" in str(exc.value)


def test_no_service_holds_a_secret_literal() -> None:
    for name, svc in compose()["services"].items():
        for key, value in env_of(svc).items():
            if SECRET_NAME.search(key) and value:
                assert re.fullmatch(r"\$\{[^}]*\}", value), f"{name}: {key} is a literal"
            userinfo = re.match(r"^[a-z]+://([^/@]*)@", value)
            if userinfo and ":" in userinfo.group(1):
                password = userinfo.group(1).split(":", 1)[1]
                assert re.fullmatch(r"\$\{[^}]*\}", password), f"{name}: {key} holds a password literal"


def test_compose_secrets_script_fills_only_missing_or_placeholder_values(tmp_path: Path) -> None:
    script = load_script("compose_secrets")
    env_file = tmp_path / ".env"
    env_file.write_text("MEMESNIPE_MODE=paper\nMEMESNIPE_HMAC_SECRET=paper-hmac-secret-change-me\n")
    assert script.ensure(env_file) == [
        "MEMESNIPE_HMAC_SECRET",
        "CLICKHOUSE_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    ]
    first = env_file.read_text()
    assert first.startswith("MEMESNIPE_MODE=paper\n") and "change-me" not in first
    assert env_file.stat().st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert len({values[n] for n in REQUIRED_SECRETS}) == 3
    assert all(len(values[n]) >= 40 for n in REQUIRED_SECRETS)
    assert script.ensure(env_file) == [] and env_file.read_text() == first  # idempotent
    # a password that would break the analytics DSN is refused, not silently used
    env_file.write_text("CLICKHOUSE_PASSWORD=a@b/c\n")
    with pytest.raises(SystemExit, match="CLICKHOUSE_PASSWORD"):
        script.ensure(env_file)


def test_published_ports_are_bound_to_localhost() -> None:
    for name, svc in compose()["services"].items():
        for port in svc.get("ports") or []:
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).rsplit(":", 2)[0]
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"
    assert compose()["services"]["analytics"]["ports"] == ["127.0.0.1:8787:8787"]


def test_every_reference_is_defined() -> None:
    cfg = compose()
    volumes, networks = set(cfg.get("volumes") or {}), set(cfg.get("networks") or {}) | {"default"}
    for name, svc in cfg["services"].items():
        for src, _, _ in mounts(svc):
            if src and not src.startswith(("/", ".", "$", "~")):
                assert src in volumes, f"{name} mounts undeclared volume {src}"
            elif src.startswith("./") and "$" not in src:
                assert (REPO / src).exists(), f"{name} mounts {src}, which is not in the repository"
        nets = svc.get("networks") or []
        assert set(nets) <= networks, f"{name}: undeclared network"
        env_files = svc.get("env_file") or []
        for ef in [env_files] if isinstance(env_files, str | dict) else env_files:
            path, required = (ef["path"], ef.get("required", True)) if isinstance(ef, dict) else (ef, True)
            assert not required or (REPO / path).exists(), f"{name}: env_file {path} does not exist"
        depends = svc.get("depends_on") or []
        assert set(depends) <= set(cfg["services"]), f"{name} depends on an undefined service"


def test_the_key_is_mounted_only_into_the_signer() -> None:
    cfg = compose()
    key_dir = str(PurePosixPath(signer_env()["MEMESNIPE_SIGNER__KEY_PATH"]).parent)
    signer_mounts = mounts(cfg["services"]["signer"])
    (key_src,) = [src for src, dst, _ in signer_mounts if dst == key_dir]
    assert [ro for src, _, ro in signer_mounts if src == key_src] == [True]
    private = {key_src, "signer-data"}  # the key and the journal (which holds the paper key)
    for name, svc in cfg["services"].items():
        if name == "signer":
            continue
        assert not {src for src, _, _ in mounts(svc)} & private, f"{name} mounts the signer's key or data"
        assert "MEMESNIPE_SIGNER__KEY_PATH" not in env_of(svc)


def test_the_router_reads_the_public_key_the_signer_publishes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The signer's entrypoint writes wallet.pub on a volume the worker mounts read-only where
    the router looks for it; run that publishing step and read it back as the router does."""
    import os
    import subprocess
    import sys

    from memesnipe.agents.routing import signer_pubkey

    cfg = compose()
    signer, worker = cfg["services"]["signer"], cfg["services"]["worker"]
    script = signer["entrypoint"][-1]
    publish, _, run = script.rpartition(" && exec ")
    assert run == "python -m memesnipe.signer"
    (pub_src, pub_dir, pub_ro), *_ = [m for m in mounts(signer) if f" > {m[1]}/" in publish]
    assert not pub_ro and pub_src in (cfg.get("volumes") or {}) and pub_src != "signer-data"
    # the worker: that volume, read-only, at <its data dir>/signer
    worker_data = PurePosixPath(dockerfile_env(REPO / "Dockerfile")["MEMESNIPE_DATA_DIR"])
    worker_env = env_of(worker)
    worker_data = PurePosixPath(worker_env.get("MEMESNIPE_DATA_DIR", str(worker_data)))
    assert (pub_src, str(worker_data / "signer"), True) in mounts(worker)
    assert worker["depends_on"]["signer"] == {"condition": "service_healthy"}
    # run the publishing step with the volume as a local directory
    volume = tmp_path / "wallet-pub"
    volume.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update(
        MEMESNIPE_DATA_DIR=str(tmp_path / "signer-data"), PATH=f"{Path(sys.executable).parent}:{env['PATH']}"
    )
    subprocess.run(
        ["sh", "-c", publish.replace(pub_dir, str(volume))], env=env, check=True, cwd=tmp_path, timeout=120
    )
    assert sorted(p.name for p in volume.iterdir()) == ["wallet.pub"]  # the public key only
    published = (volume / "wallet.pub").read_text().strip()
    # the worker's view: <data_dir>/signer is the volume
    (tmp_path / "worker-data").mkdir()
    (tmp_path / "worker-data" / "signer").symlink_to(volume)
    for k in list(os.environ):
        if k.startswith("MEMESNIPE_SIGNER__"):
            monkeypatch.delenv(k)
    settings = Settings(data_dir=tmp_path / "worker-data", _env_file=None)  # type: ignore[call-arg]
    assert signer_pubkey(settings) == published
    assert published == (tmp_path / "signer-data" / "signer" / "wallet.pub").read_text().strip()


ONE_SHOT = "service_completed_successfully"
ONE_SHOT_COMMANDS = {"topics", "strategies", "preflight", "report", "kill", "resume"}
"""memesnipe commands that do their job and exit (no /metrics worth scraping)."""


def metrics_endpoints(cfg: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """(port, bind host) of /metrics for each long-running MemeSnipe service."""
    one_shots = {
        dep
        for svc in cfg["services"].values()
        if isinstance(svc.get("depends_on"), dict)
        for dep, cond in svc["depends_on"].items()
        if cond.get("condition") == ONE_SHOT
    }
    defaults = Settings.model_fields
    out = {}
    for name, svc in cfg["services"].items():
        if "build" not in svc or name in one_shots or svc.get("command", [""])[0] in ONE_SHOT_COMMANDS:
            continue
        env = env_of(svc)
        if name == "signer":
            port, host = env["MEMESNIPE_SIGNER__METRICS_PORT"], env["MEMESNIPE_SIGNER__METRICS_HOST"]
        elif svc["command"][0] == "analytics":
            port = env.get("MEMESNIPE_ANALYTICS__PORT", str(defaults["analytics"].default.port))
            host = env.get("MEMESNIPE_ANALYTICS__HOST", "")
        else:
            port = env.get("MEMESNIPE_METRICS_PORT", str(defaults["metrics_port"].default))
            host = env.get("MEMESNIPE_METRICS_HOST", "")
        out[name] = (int(port), host)
    return out


def test_prometheus_scrapes_every_process() -> None:
    cfg = compose()
    prom = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    scraped = set()
    for job in prom["scrape_configs"]:
        for sc in job.get("static_configs") or []:
            scraped |= {tuple(t.rsplit(":", 1)) for t in sc["targets"]}
        for sd in job.get("dns_sd_configs") or []:
            scraped |= {(n, str(sd["port"])) for n in sd["names"]}
    endpoints = metrics_endpoints(cfg)
    assert {"worker", "signer", "analytics", "simulator"} <= set(endpoints)
    for name, (port, host) in endpoints.items():
        assert port, f"{name} has its metrics endpoint off"
        assert host == "0.0.0.0", (
            f"{name} serves /metrics on {host or 'localhost'} only: prometheus cannot reach it"
        )
        assert (name, str(port)) in scraped, f"prometheus does not scrape {name}:{port}"
    # and nothing scraped is a service that does not exist
    names = set(cfg["services"]) | {"localhost"}
    assert {host for host, _ in scraped} <= names


def test_every_live_connector_is_a_service_outside_the_default_profile(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One service per `memesnipe connect <source>`, never started without its profile, and its
    API keys come from the environment: with them set, the connector builds (a missing key
    stops a connector at start-up with a message naming the variable)."""
    import os

    from memesnipe.connectors.registry import SOURCES, create

    cfg = compose()
    by_source = {
        svc["command"][1]: (name, svc)
        for name, svc in cfg["services"].items()
        if svc.get("command", [None])[0] == "connect"
    }
    missing = set(SOURCES) - set(by_source)
    assert not missing, (
        f"`memesnipe connect {sorted(missing)}` has no docker-compose service: add one under a profile "
        "(with its keys from env) and its name to the `connectors` job of deploy/prometheus/prometheus.yml"
    )
    assert set(by_source) <= set(SOURCES)
    assert all(svc.get("profiles") for _, svc in by_source.values())
    assert {n for n, s in by_source.values() if "live-data" in s["profiles"]} >= {
        "connect-jupiter-price", "connect-pyth", "connect-depth", "connect-safety", "connect-helius",
        "connect-drift", "connect-social", "connect-bridge",
    }  # fmt: skip
    user_env = generated_env(tmp_path)
    for name, *_ in references((REPO / "docker-compose.yml").read_text()):
        if SECRET_NAME.search(name):
            user_env.setdefault(name, "test-key")
    user_env["MEMESNIPE_CONNECTORS__MINTS"] = "So11111111111111111111111111111111111111112"
    for source, (name, svc) in sorted(by_source.items()):
        for k in list(os.environ):
            if k.startswith("MEMESNIPE_"):
                monkeypatch.delenv(k)
        for k, v in env_of(interpolate(svc, user_env)).items():
            monkeypatch.setenv(k, v)
        settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
        try:
            create(source, settings)
        except SystemExit as exc:
            pytest.fail(f"{name}: `memesnipe connect {source}` does not start: {exc}")
