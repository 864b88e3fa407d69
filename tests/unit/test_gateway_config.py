"""The gateway's two configs (compose/Swarm and Kubernetes) make the same errors the same
way: problem+json for every status nginx answers itself, the same limits, the same rate."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE_CONF = DEPLOY / "nginx.conf"
K8S_CONF = DEPLOY / "k8s" / "base" / "gateway-nginx.conf"
K8S_RATE = DEPLOY / "k8s" / "base" / "gateway-auth-rate.conf.template"
LIMITS = (
    "client_max_body_size",
    "client_header_buffer_size",
    "large_client_header_buffers",
    "client_header_timeout",
    "client_body_timeout",
    "limit_req_status",
    "limit_req ",
    "error_page",
    "return 200",
    "add_header Retry-After",
)


def directives(text: str, name: str) -> list[str]:
    """Every line that starts with directive `name`, stripped of indentation."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith(name)]


def map_block(text: str, variable: str) -> str:
    match = re.search(r"map \$status \$" + variable + r" \{(.*?)\n\s*\}", text, re.DOTALL)
    assert match, variable
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_both_gateway_configs_have_the_same_limits_and_problem_pages() -> None:
    """Each limit, error_page, the problem body and the rate limit read alike in both."""
    compose, k8s = COMPOSE_CONF.read_text(), K8S_CONF.read_text()
    for name in LIMITS:
        assert directives(compose, name), name
        assert directives(compose, name) == directives(k8s, name), name
    for variable in ("problem_title", "problem_detail"):
        assert map_block(compose, variable) == map_block(k8s, variable)
    (zone,) = directives(compose, "limit_req_zone")
    assert directives(K8S_RATE.read_text(), "limit_req_zone") == [zone]
    assert "${GATEWAY_AUTH_RATE}" in zone


def test_every_status_the_gateway_answers_itself_has_a_problem_title() -> None:
    """The statuses sent to the problem page each have their own title, so no problem body
    says only "Error"."""
    text = COMPOSE_CONF.read_text()
    statuses = set()
    for line in directives(text, "error_page"):
        words = line.rstrip(";").split()[1:-1]
        statuses |= {word.lstrip("=") for word in words if word != "494"}
    titled = set(re.findall(r"(\d{3}) \"", map_block(text, "problem_title")))
    assert statuses <= titled, statuses - titled
    assert {"400", "404", "405", "413", "414", "429", "431", "502", "503", "504"} <= statuses


ENTRYPOINT = Path(__file__).resolve().parents[2] / "deploy" / "gateway-entrypoint.sh"


def _render(tmp_path: Path, rate: str) -> subprocess.CompletedProcess[str]:
    templates, out = tmp_path / "templates", tmp_path / "out"
    templates.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    (templates / "default.conf.template").write_text(
        "limit_req_zone $binary_remote_addr zone=z:1m rate=${GATEWAY_AUTH_RATE}r/s;\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "GATEWAY_AUTH_RATE": rate,
        "NGINX_ENVSUBST_TEMPLATE_DIR": str(templates),
        "NGINX_ENVSUBST_OUTPUT_DIR": str(out),
    }
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "echo", "started"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_entrypoint_fills_in_the_rate_keeps_nginx_variables_and_runs_the_command(
    tmp_path: Path,
) -> None:
    """${GATEWAY_AUTH_RATE} is replaced, nginx's own $variables are not, then nginx runs."""
    done = _render(tmp_path, "25")
    assert (done.returncode, done.stdout) == (0, "started\n"), done.stderr
    assert (tmp_path / "out" / "default.conf").read_text() == (
        "limit_req_zone $binary_remote_addr zone=z:1m rate=25r/s;\n"
    )


@pytest.mark.parametrize("rate", ["ten", "0", "5; evil", "-1", "1.5"])
def test_the_entrypoint_refuses_a_rate_that_is_not_a_whole_number(
    tmp_path: Path, rate: str
) -> None:
    """A bad GATEWAY_AUTH_RATE stops the gateway with a message naming it, nothing written."""
    done = _render(tmp_path, rate)
    assert done.returncode == 1
    assert "GATEWAY_AUTH_RATE" in done.stderr
    assert not (tmp_path / "out" / "default.conf").exists()
