"""Kubernetes manifests (deploy/k8s/): every object validates against the schemas of a pinned
Kubernetes version (offline, kubernetes-validate's bundled schemas, strict: unknown fields
fail), the wallet key reaches the signer pod only, the signer is one pod with a volume claim
for its journal, every workload has probes, resources and a locked-down security context, every
pod is selected by a NetworkPolicy, and the committed placeholders stop the processes."""

from __future__ import annotations

import copy
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml

from memesnipe.settings import SettingsError, load_settings
from memesnipe.signer.worker import journal_path
from tests.support.kafka import REPO

K8S_VERSION = "1.33.0"
"""The Kubernetes version the manifests target (kubernetes-validate 1.33.1 bundles its schemas)."""

K8S = REPO / "deploy" / "k8s"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
NAMESPACE = "memesnipe"


def objects() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def of_kind(*kinds: str) -> list[dict[str, Any]]:
    return [o for o in objects() if o["kind"] in kinds]


def named(kind: str, name: str) -> dict[str, Any]:
    (obj,) = [o for o in of_kind(kind) if o["metadata"]["name"] == name]
    return obj


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def containers(workload: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return list(spec.get("initContainers", []) if init else []) + list(spec["containers"])


def config_env(*names: str) -> dict[str, str]:
    """The environment a pod gets from these ConfigMaps and Secrets (stringData)."""
    env: dict[str, str] = {}
    for obj in of_kind("ConfigMap", "Secret"):
        if obj["metadata"]["name"] in names:
            env.update({k: str(v) for k, v in (obj.get("data") or obj.get("stringData") or {}).items()})
    return env


def env_sources(container: dict[str, Any]) -> list[str]:
    return [next(iter(v.values()))["name"] for v in container.get("envFrom", [])]


def test_every_manifest_validates_for_the_pinned_kubernetes_version() -> None:
    objs = objects()
    assert len(objs) >= 20
    for obj in objs:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:  # never skip an object silently
            pytest.fail(f"{where}: {exc.message}")
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE, where
    # strict validation has teeth: a misspelt field is refused
    bad = copy.deepcopy(named("StatefulSet", "signer"))
    pod_spec(bad)["containers"][0]["livenesProbe"] = pod_spec(bad)["containers"][0].pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def key_secret() -> str:
    """The Secret the signer's key file comes from (the volume its key path's file is copied from)."""
    signer = named("StatefulSet", "signer")
    (secret_volumes,) = [v for v in pod_spec(signer)["volumes"] if "secret" in v]
    return str(secret_volumes["secret"]["secretName"])


def secrets_used(workload: dict[str, Any]) -> set[str]:
    spec = pod_spec(workload)
    used = {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    for v in spec.get("volumes", []):
        for src in (v.get("projected") or {}).get("sources", []):
            if "secret" in src:
                used.add(src["secret"]["name"])
    for c in containers(workload):
        used |= {e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e}
        used |= {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in c.get("env", [])
            if "secretKeyRef" in (e.get("valueFrom") or {})
        }
    return used


def test_the_key_secret_is_mounted_only_by_the_signer() -> None:
    key = key_secret()
    assert key not in {o["metadata"]["name"] for o in of_kind("Secret")}, "a key Secret is committed"
    users = {w["metadata"]["name"] for w in of_kind(*WORKLOADS) if key in secrets_used(w)}
    assert users == {"signer"}
    # inside the signer pod: only the key installer reads the Secret; the signer reads the copy,
    # owned by its own user with mode 0600 (the keystore refuses anything else), read-only
    signer = named("StatefulSet", "signer")
    secret_volume = next(v["name"] for v in pod_spec(signer)["volumes"] if "secret" in v)
    mounting = [
        c["name"] for c in containers(signer) if secret_volume in {m["name"] for m in c["volumeMounts"]}
    ]
    assert mounting == ["install-key"]
    (install,) = pod_spec(signer)["initContainers"]
    main = pod_spec(signer)["containers"][0]
    env = {e["name"]: e["value"] for e in main["env"]}
    key_path = PurePosixPath(env["MEMESNIPE_SIGNER__KEY_PATH"])
    assert install["command"][:3] == ["install", "-m", "600"] and install["command"][-1] == str(key_path)
    assert env["MEMESNIPE_SIGNER__PAPER_KEY_PATH"] == str(key_path)
    (keys_mount,) = [m for m in main["volumeMounts"] if m["mountPath"] == str(key_path.parent)]
    assert keys_mount.get("readOnly") is True
    keys_volume = next(v for v in pod_spec(signer)["volumes"] if v["name"] == keys_mount["name"])
    assert keys_volume["emptyDir"]["medium"] == "Memory"  # never on a node's disk
    user = pod_spec(signer)["securityContext"]["runAsUser"]
    assert all(c.get("securityContext", {}).get("runAsUser", user) == user for c in containers(signer))


def test_the_signer_is_one_pod_with_its_journal_on_a_claim() -> None:
    assert not [d for d in of_kind("Deployment") if "signer" in d["metadata"]["name"]]
    signer = named("StatefulSet", "signer")
    assert signer["spec"]["replicas"] == 1
    (claim,) = signer["spec"]["volumeClaimTemplates"]
    assert "ReadWriteOnce" in claim["spec"]["accessModes"]
    main = pod_spec(signer)["containers"][0]
    data_dir = config_env(*env_sources(main))["MEMESNIPE_DATA_DIR"]
    (mount,) = [m for m in main["volumeMounts"] if m["name"] == claim["metadata"]["name"]]
    assert mount["mountPath"] == data_dir and not mount.get("readOnly")
    settings = load_settings(data_dir=Path(data_dir))
    assert PurePosixPath(mount["mountPath"]) in PurePosixPath(journal_path(settings)).parents
    assert named("Service", signer["spec"]["serviceName"])["spec"]["clusterIP"] == "None"


def test_workers_are_scaled_to_the_partition_count() -> None:
    worker = named("Deployment", "worker")
    env = config_env(*env_sources(pod_spec(worker)["containers"][0]))
    assert worker["spec"]["replicas"] == int(env["MEMESNIPE_KAFKA__PARTITIONS"])
    assert worker["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0  # never more than partitions


def test_every_workload_has_probes_resources_and_a_locked_down_security_context() -> None:
    for w in of_kind(*WORKLOADS):
        name, spec = w["metadata"]["name"], pod_spec(w)
        pod_sc = spec.get("securityContext", {})
        assert spec.get("automountServiceAccountToken") is False, name
        for c in containers(w):
            where = f"{name}/{c['name']}"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c.get("resources", {}).get(kind, {})), f"{where}: no {kind}"
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("runAsUser", pod_sc.get("runAsUser", 0)) != 0, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
        for c in spec["containers"]:
            where = f"{name}/{c['name']}"
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = c.get(probe, {}).get("httpGet")
                assert get and get["path"] == path, f"{where}: {probe} is not GET {path}"
                assert get["port"] in ports or get["port"] in ports.values(), f"{where}: {probe} port"
            # the probed port is where the process serves /metrics (annotated for Prometheus)
            annotated = int(w["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"])
            assert annotated in ports.values(), where


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert not selector.get("matchExpressions"), "only matchLabels is interpreted here"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def policies_for(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        p
        for p in of_kind("NetworkPolicy")
        if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)
    ]


def test_every_pod_is_selected_by_a_network_policy_behind_a_default_deny() -> None:
    deny = [p for p in of_kind("NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert deny and all(
        set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress") for p in deny
    )
    for w in of_kind(*WORKLOADS):
        labels = w["spec"]["template"]["metadata"]["labels"]
        assert policies_for(labels), f"{w['metadata']['name']}: no NetworkPolicy selects its pods"
    # services select real pods
    for svc in of_kind("Service"):
        if svc["spec"].get("type") != "ExternalName":
            pods = [
                w
                for w in of_kind(*WORKLOADS)
                if selects(
                    {"matchLabels": svc["spec"]["selector"]}, w["spec"]["template"]["metadata"]["labels"]
                )
            ]
            assert pods, f"Service {svc['metadata']['name']} selects no pod"


def ports_of(rules: list[dict[str, Any]]) -> set[int]:
    return {p["port"] for r in rules for p in r.get("ports", [])}


def test_the_signer_talks_only_to_kafka_and_only_prometheus_talks_to_it() -> None:
    signer = named("StatefulSet", "signer")
    (policy,) = policies_for(signer["spec"]["template"]["metadata"]["labels"])
    kafka_port = int(config_env("memesnipe-config")["MEMESNIPE_KAFKA__BROKER"].rsplit(":", 1)[1])
    egress = policy["spec"]["egress"]
    assert ports_of(egress) == {kafka_port, 53}  # Kafka, and DNS to find it
    assert not [r for r in egress if any("ipBlock" in t for t in r["to"])]  # no internet
    (ingress,) = policy["spec"]["ingress"]
    assert ports_of([ingress]) == {int(config_env("memesnipe-config")["MEMESNIPE_SIGNER__METRICS_PORT"])}
    assert all(
        t["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "prometheus" for t in ingress["from"]
    )
    # the worker: Kafka and HTTPS (RPC, Jupiter, Jito); analytics: Kafka and ClickHouse, no internet
    (worker,) = policies_for(named("Deployment", "worker")["spec"]["template"]["metadata"]["labels"])
    assert ports_of(worker["spec"]["egress"]) == {kafka_port, 53, 443}
    (analytics,) = policies_for(named("Deployment", "analytics")["spec"]["template"]["metadata"]["labels"])
    assert 443 not in ports_of(analytics["spec"]["egress"]) and 8123 in ports_of(analytics["spec"]["egress"])


def test_kafka_and_clickhouse_are_external_services_under_the_names_the_settings_use() -> None:
    env = config_env("memesnipe-config")
    broker_host = env["MEMESNIPE_KAFKA__BROKER"].removeprefix("kafka://").split(":")[0]
    assert named("Service", broker_host)["spec"]["type"] == "ExternalName"
    assert named("Service", "clickhouse")["spec"]["type"] == "ExternalName"


@pytest.mark.parametrize(
    ("sources", "variable"),
    [
        (("memesnipe-config", "memesnipe-hmac"), "MEMESNIPE_HMAC_SECRET"),
        (("memesnipe-config", "memesnipe-clickhouse"), "MEMESNIPE_CLICKHOUSE__DSN"),
        (("memesnipe-config", "memesnipe-wallet"), "MEMESNIPE_SIGNER__WALLET_PUBKEY"),
    ],
)
def test_committed_placeholders_stop_start_up_naming_the_variable(
    sources: tuple[str, ...], variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    for k in list(os.environ):
        if k.startswith("MEMESNIPE_"):
            monkeypatch.delenv(k)
    env = config_env(*sources)
    assert "REPLACE-ME" in env[variable]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=variable):
        load_settings(_env_file=None)
    # and with a real value in its place, the same configuration loads
    real = {
        "MEMESNIPE_HMAC_SECRET": "x" * 43,
        "MEMESNIPE_CLICKHOUSE__DSN": "https://memesnipe:pw@clickhouse:8443",
        "MEMESNIPE_SIGNER__WALLET_PUBKEY": "So11111111111111111111111111111111111111112",
    }
    monkeypatch.setenv(variable, real[variable])
    load_settings(_env_file=None)


def test_no_secret_value_is_committed() -> None:
    for secret in of_kind("Secret"):
        assert "data" not in secret, "base64 data hides what is committed: use stringData placeholders"
        for key, value in secret["stringData"].items():
            assert value == "" or "REPLACE-ME" in value or value.startswith("https://api."), (
                f"{secret['metadata']['name']}: {key} holds a value"
            )
