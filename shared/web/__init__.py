"""Web plumbing both services share: everything here knows HTTP, nothing in the domain does."""

from shared.web.bodies import read_body, read_json_object, replay_request
from shared.web.edge import Edge, edge_middleware
from shared.web.management import management_server
from shared.web.metrics import HTTPMetrics
from shared.web.openapi import openapi_route
from shared.web.problems import (
    COMMON_PROBLEMS,
    Problem,
    Problems,
    exception_handlers,
    problem_response,
)

__all__ = [
    "COMMON_PROBLEMS",
    "Edge",
    "HTTPMetrics",
    "Problem",
    "Problems",
    "edge_middleware",
    "exception_handlers",
    "management_server",
    "openapi_route",
    "problem_response",
    "read_body",
    "read_json_object",
    "replay_request",
]
