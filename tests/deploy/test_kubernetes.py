"""The Kubernetes dev overlay, rendered: valid for Kubernetes 1.32 by its own schemas, and
the policies docs/deploy.md promises hold on every object."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.deploy.conftest import (
    KUBERNETES_VERSION,
    ROOT,
    Object,
    named,
    pod_specs,
    with_defaults,
)
from tests.deploy.network import allowed

SERVICES = ("auth", "vending")


def test_every_rendered_object_validates_strictly_against_the_stated_version(
    manifests: list[Object],
) -> None:
    """kubernetes-validate --strict (the Kubernetes OpenAPI schemas, unknown fields refused)
    passes each object; every kind the issue asks for is there."""
    for item in manifests:
        kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
    kinds = {item["kind"] for item in manifests}
    assert kinds >= {
        "Namespace",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
        "StatefulSet",
    }


def test_the_strict_validation_refuses_an_unknown_field(manifests: list[Object]) -> None:
    """The check bites: a Deployment with a misspelt field is refused."""
    broken = copy.deepcopy(named(manifests, "Deployment", "auth"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _containers(spec: Object) -> list[Object]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def test_every_pod_runs_non_root_read_only_without_capabilities_under_runtime_default(
    manifests: list[Object],
) -> None:
    """Each pod: non-root, seccomp RuntimeDefault, no service-account token; each
    container: read-only root, no privilege escalation, every capability dropped, CPU and
    memory requests and limits. The namespace enforces the restricted standard."""
    specs = pod_specs(manifests)
    assert len(specs) == 7
    for where, spec in specs.items():
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True, where
        assert security["runAsUser"] != 0, where
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in _containers(spec):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where
    labels = named(manifests, "Namespace", "lanyard")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_deployments_probe_start_readiness_and_liveness_on_their_own_port(
    manifests: list[Object],
) -> None:
    """auth and vending: startup and liveness on /healthz, readiness on /readyz (which
    turns 503 while a pod drains); the gateway probes its own /healthz."""
    for name in (*SERVICES, "gateway"):
        container = named(manifests, "Deployment", name)["spec"]["template"]["spec"]["containers"][
            0
        ]
        ports = {port["name"] for port in container["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["port"] in ports, (name, probe)
        if name in SERVICES:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def _secret_users(spec: Object) -> set[str]:
    names = {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    for container in _containers(spec):
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names


def test_only_the_auth_deployment_mounts_the_key_encryption_key(
    manifests: list[Object],
) -> None:
    """`lanyard-kek` reaches the auth pods (as a read-only file KEY_ENCRYPTION_KEY_FILE
    names) and no other pod, by volume or by variable."""
    users = {
        where
        for where, spec in pod_specs(manifests).items()
        if "lanyard-kek" in _secret_users(spec)
    }
    assert users == {"Deployment/auth"}
    container = named(manifests, "Deployment", "auth")["spec"]["template"]["spec"]["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "kek")
    assert mount["readOnly"] is True
    env = {v["name"]: v.get("value") for v in container["env"]}
    assert env["KEY_ENCRYPTION_KEY_FILE"].startswith(mount["mountPath"] + "/")


def test_only_the_vending_deployment_mounts_the_image_url_secret(
    manifests: list[Object],
) -> None:
    """`lanyard-image-url` reaches the vending pods alone, read-only, as the file
    IMAGE_URL_SECRET_FILE names, never readable by other users (0440 under fsGroup)."""
    users = {
        where
        for where, spec in pod_specs(manifests).items()
        if "lanyard-image-url" in _secret_users(spec)
    }
    assert users == {"Deployment/vending"}
    spec = named(manifests, "Deployment", "vending")["spec"]["template"]["spec"]
    volume = next(v for v in spec["volumes"] if v["name"] == "image-url")
    assert volume["secret"]["defaultMode"] & 0o007 == 0
    container = spec["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "image-url")
    assert mount["readOnly"] is True
    env = {v["name"]: v.get("value") for v in container["env"]}
    assert env["IMAGE_URL_SECRET_FILE"].startswith(mount["mountPath"] + "/")


PODS = {
    "gateway": {"app.kubernetes.io/name": "gateway"},
    "auth": {"app.kubernetes.io/name": "auth"},
    "vending": {"app.kubernetes.io/name": "vending"},
    "postgres": {"lanyard.dev/store": "postgres"},
    "redis": {"lanyard.dev/store": "redis"},
    "migrate": {"lanyard.dev/migrates": "auth"},
}
PORTS = {"gateway": 8080, "auth": 8001, "vending": 8002, "postgres": 5432, "redis": 6379}
EXPECTED = {
    ("gateway", "auth"),
    ("gateway", "vending"),
    ("vending", "auth"),
    ("auth", "postgres"),
    ("auth", "redis"),
    ("vending", "postgres"),
    ("vending", "redis"),
    ("migrate", "postgres"),
}


def test_network_policies_allow_exactly_the_documented_paths(manifests: list[Object]) -> None:
    """Between the namespace's pods, connections are allowed on exactly these paths: the
    gateway to both services, vending to auth's one port, each service to the stores,
    migrations to PostgreSQL. Nothing reaches the stores or vending otherwise."""
    policies = [item for item in manifests if item["kind"] == "NetworkPolicy"]
    open_paths = {
        (source, destination)
        for source, source_labels in PODS.items()
        for destination, port in PORTS.items()
        if source != destination and allowed(policies, source_labels, PODS[destination], port)
    }
    assert open_paths == EXPECTED
    deny = named(manifests, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


METRICS_PORTS = {"auth": 9001, "vending": 9002}
PROMETHEUS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}


def test_management_ports_are_open_to_prometheus_alone(manifests: list[Object]) -> None:
    """Each service serves /metrics on its METRICS_PORT, declared and annotated for
    scraping; no pod of the namespace may connect to it, and the one ingress rule naming
    that port admits only the monitoring namespace's Prometheus."""
    policies = [item for item in manifests if item["kind"] == "NetworkPolicy"]
    for service, port in METRICS_PORTS.items():
        template = named(manifests, "Deployment", service)["spec"]["template"]
        container = template["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": port} in container["ports"]
        assert _environment(manifests, container)["METRICS_PORT"] == str(port)
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port)
        for source, labels in PODS.items():
            assert not allowed(policies, labels, PODS[service], port), (source, service)
        rules = [
            rule
            for policy in policies
            if policy["spec"]["podSelector"].get("matchLabels") == PODS[service]
            for rule in policy["spec"].get("ingress", [])
            if {"protocol": "TCP", "port": port} in rule.get("ports", [])
        ]
        assert rules == [{"from": [PROMETHEUS_PEER], "ports": [{"protocol": "TCP", "port": port}]}]


def test_hpas_and_disruption_budgets_cover_both_services(manifests: list[Object]) -> None:
    """Each service has an HPA scaling its Deployment from its replica count up, and a PDB
    whose selector picks its pods."""
    for name in SERVICES:
        deployment = named(manifests, "Deployment", name)
        hpa = named(manifests, "HorizontalPodAutoscaler", name)["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["minReplicas"] == deployment["spec"]["replicas"] < hpa["maxReplicas"]
        pdb = named(manifests, "PodDisruptionBudget", name)["spec"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()


def _environment(manifests: list[Object], container: Object) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(named(manifests, "ConfigMap", source["configMapRef"]["name"])["data"])
    env.update({v["name"]: v["value"] for v in container.get("env", []) if "value" in v})
    return env


# Where Kubernetes differs from the compose file, on purpose: the public address, the
# store password, which is a secret file here rather than part of the URL, and where
# secret files are mounted.
ADDRESSES = {"ISSUER", "PUBLIC_URL", "CORS_ORIGINS", "DATABASE_URL", "IMAGE_URL_SECRET_FILE"}
# Settings that hold secrets come from a Secret, not from a value.
FROM_SECRETS = {"OAUTH_CLIENTS"}


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, _, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}@{host}" if credentials else url


@pytest.mark.parametrize("service", SERVICES)
def test_settings_match_the_compose_file(
    manifests: list[Object], compose_file: Object, service: str
) -> None:
    """Every variable the compose file sets for a service is set alike in Kubernetes (its
    compose default), bar the public addresses; DATABASE_URL names the same user, host and
    database, its password coming from DATABASE_PASSWORD_FILE instead."""
    container = named(manifests, "Deployment", service)["spec"]["template"]["spec"]["containers"][0]
    kubernetes = _environment(manifests, container)
    compose = {
        k: with_defaults(v) for k, v in compose_file["services"][service]["environment"].items()
    }
    secret_refs = {
        v["name"]: v["valueFrom"]["secretKeyRef"]
        for v in container.get("env", [])
        if "secretKeyRef" in v.get("valueFrom", {})
    }
    for name, value in compose.items():
        if name in FROM_SECRETS:
            assert name in secret_refs, name
            continue
        assert name in kubernetes, name
        if name not in ADDRESSES:
            assert kubernetes[name] == value, name
    assert kubernetes["DATABASE_URL"] == _without_password(compose["DATABASE_URL"])
    assert kubernetes["DATABASE_PASSWORD_FILE"]


def _images(objects: list[Object]) -> set[str]:
    return {c["image"] for spec in pod_specs(objects).values() for c in _containers(spec)}


def test_images_are_the_compose_files_and_the_dockerfiles(
    manifests: list[Object], compose_file: Object
) -> None:
    """PostgreSQL and Redis are the compose file's images; the services' images are the
    Dockerfile's targets; the gateway's nginx and the Python underneath are the same
    releases as the compose file's."""
    compose_images = {with_defaults(s["image"]) for s in compose_file["services"].values()}
    images = _images(manifests)
    assert {"postgres:17", "redis:8"} <= images & compose_images
    assert {"lanyard-auth:local", "lanyard-vending:local", "lanyard-gateway:local"} <= images
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM nginx:1.26 AS gateway" in dockerfile
    assert "nginx:1.26" in compose_images
    assert dockerfile.count("FROM python:3.13-slim-trixie") == 2


def test_the_dev_postgres_init_is_the_compose_one() -> None:
    """The dev overlay creates the same databases as the compose stack."""
    ours = (ROOT / "deploy" / "k8s" / "overlays" / "dev" / "postgres-init.sql").read_text()
    assert ours == (ROOT / "deploy" / "postgres-init.sql").read_text()
