"""The deployment files as objects: the compose file, the Swarm stack, and the Kubernetes
dev overlay rendered by kustomize (kubectl's, or a kustomize binary on PATH)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "dev"
KUBERNETES_VERSION = "1.32.0"
"""The Kubernetes version the manifests are validated against (docs/deploy.md)."""

Object = dict[str, Any]
_DEFAULTED = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def with_defaults(value: object) -> str:
    """A compose value with every `${VAR:-default}` replaced by its default."""
    return _DEFAULTED.sub(lambda m: m.group(2) or "", str(value))


def render(overlay: Path = OVERLAY) -> list[Object]:
    """The overlay's objects, as kustomize renders them."""
    if shutil.which("kubectl"):
        argv = ["kubectl", "kustomize", str(overlay)]
    elif shutil.which("kustomize"):
        argv = ["kustomize", "build", str(overlay)]
    else:
        pytest.fail("needs kubectl (Debian: kubernetes-client) or kustomize to render")
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return [item for item in yaml.safe_load_all(result.stdout) if item]


@pytest.fixture(scope="session")
def manifests() -> list[Object]:
    return render()


@pytest.fixture(scope="session")
def compose_file() -> Object:
    loaded: Object = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="session")
def stack_file() -> Object:
    loaded: Object = yaml.safe_load((ROOT / "deploy" / "swarm" / "stack.yml").read_text())
    return loaded


def named(objects: list[Object], kind: str, name: str) -> Object:
    for item in objects:
        if item["kind"] == kind and item["metadata"]["name"] == name:
            return item
    raise AssertionError(f"no {kind} {name}")


def pod_specs(objects: list[Object]) -> dict[str, Object]:
    """Every pod template, by `<kind>/<name>`."""
    return {
        f"{item['kind']}/{item['metadata']['name']}": item["spec"]["template"]["spec"]
        for item in objects
        if item["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet")
    }
