"""Both services fuzzed from the documents they serve: no 5xx, and every answer as documented.

Each operation gets schemathesis's examples, coverage and fuzzing phases (valid and invalid
input alike); then the OpenAPI links drive multi-step scenarios: register -> log in ->
refresh / log out at the booth, and upload -> view -> share -> delete at the machine.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import CheckContext, Response
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.generation.stateful.state_machine import APIStateMachine
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    unsupported_method,
    use_after_free,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.fuzz.conftest import IN_CI, SEED, TALLY, AnyCase, FuzzStack
from tests.openapi_conformance import CONFORMANCE_CHECKS

# Fuzzing-phase examples per operation; the examples and coverage phases add their own cases.
EXAMPLES_PER_OPERATION = 600
# Cases each link scenario suite sends (scenarios of up to 10 steps), and at least in all.
AUTH_LINK_CASES = 2000
VENDING_LINK_CASES = 3000
AT_LEAST = 10_000


def negative_data_rejection_outside_forms(
    ctx: CheckContext, response: Response, case: AnyCase
) -> bool | None:
    """`negative_data_rejection`, except for multipart bodies: every form field is text on the
    wire, so a title "mutated" to the integer 0 arrives as the valid title "0"."""
    if case.media_type == "multipart/form-data":
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS: list[CheckFunction] = [
    not_a_server_error,
    *CONFORMANCE_CHECKS,
    negative_data_rejection_outside_forms,
    missing_required_header,
    ignored_auth,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
]


def fuzz_settings(max_examples: int, **overrides: Any) -> settings:
    defaults: dict[str, Any] = {
        # A failure is reported with its curl reproduction as found; shrinking would only
        # multiply requests against live processes.
        "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    }
    if IN_CI:
        defaults.update(derandomize=True, database=None)
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        **{**defaults, **overrides},
    )


auth = schemathesis.pytest.from_fixture("auth_schema")
vending = schemathesis.pytest.from_fixture("vending_schema")


@fuzz_settings(EXAMPLES_PER_OPERATION)
@auth.parametrize()
def test_auth_service_answers_as_documented(case: AnyCase, http: requests.Session) -> None:
    """Every booth operation, valid and invalid input: no 5xx, and answered as documented."""
    TALLY.cases["auth"] += 1
    case.call_and_validate(session=http, checks=CHECKS)


@fuzz_settings(EXAMPLES_PER_OPERATION)
@vending.parametrize()
def test_vending_service_answers_as_documented(case: AnyCase, http: requests.Session) -> None:
    """Every machine operation, with the fuzzer's token: no 5xx, and answered as documented."""
    TALLY.cases["vending"] += 1
    case.call_and_validate(session=http, checks=CHECKS)


def _run_links(schema: OpenApiSchema, name: str, http: requests.Session, budget: int) -> None:
    """Run link scenarios until `budget` cases are sent.

    Which rules apply depends on what the live services answered (a username registers once),
    so Hypothesis may find that a choice it made before now draws differently and stop with
    `FlakyStrategyDefinition`. That ends one run, not the suite: start the next with the next
    seed, as schemathesis's own runner does.
    """
    machine = schema.as_state_machine()

    class Scenarios(machine):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
            return {"session": http}

        def validate_response(
            self,
            response: Response,
            case: AnyCase,
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            TALLY.cases[name] += 1
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    run_settings = fuzz_settings(100, stateful_step_count=10, phases=[Phase.generate])
    for attempt in range(100):
        if TALLY.cases[name] >= budget:
            return
        runner: type[APIStateMachine] = seed(SEED + attempt)(
            type(f"{name}-{attempt}", (Scenarios,), {})
        )
        try:
            runner.run(settings=run_settings)
        except FlakyStrategyDefinition:
            TALLY.restarts[name] += 1
    pytest.fail(f"{name}: only {TALLY.cases[name]} of {budget} cases in 100 runs")


def test_auth_links_register_login_refresh_logout(
    auth_schema: OpenApiSchema, http: requests.Session
) -> None:
    """Scenarios along the booth's links, e.g. register -> log in -> refresh -> log out."""
    _run_links(auth_schema, "auth links", http, AUTH_LINK_CASES)


def test_vending_links_upload_view_share_delete(
    vending_schema: OpenApiSchema, http: requests.Session
) -> None:
    """Scenarios along the machine's links, e.g. upload -> view -> share -> delete."""
    _run_links(vending_schema, "vending links", http, VENDING_LINK_CASES)


def test_at_least_ten_thousand_cases_were_sent() -> None:
    """The whole suite sends at least 10,000 generated requests."""
    suites = {"auth", "vending", "auth links", "vending links"}
    if not suites <= set(TALLY.cases):
        pytest.skip("counted only when the whole fuzz suite runs")
    assert TALLY.total >= AT_LEAST


def test_services_logged_no_unhandled_error(fuzz_stack: FuzzStack) -> None:
    """Neither process logged an error or a traceback while it was fuzzed."""
    for service in (fuzz_stack.auth, fuzz_stack.vending):
        log = service.process.output(chars=10**7)
        assert not re.search(r"\bERROR\b|Traceback", log), log[-3000:]
