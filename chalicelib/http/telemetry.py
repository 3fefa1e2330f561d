"""What the REQUEST authorizer tells its operator about each call (CONTRACT.md 4, DESIGN 12).

One JSON line per call on stdout that is both the decision line (request id, verdict, access
key, app, API, gateway, stage, latency) and a CloudWatch embedded-metric-format document: the
``_aws`` member makes CloudWatch Logs extract ``calls`` and ``latency_ms`` by ``verdict`` and by
``gateway`` and ``verdict``; ``cold_start`` on a container's first call and ``unauthorized_401``
on a call the handler answers by raising (API Gateway's 401), by function. One line, not two:
log ingestion is billed per byte, and Logs Insights reads the same fields either way.

A few lines of stdlib rather than aws-lambda-powertools' Metrics: the library's import cost
more than the authorizer's cold-start budget allows (``bench/authorizer.py``; the figures are in
docs/deployment.md). Written with ``print``-like writes, not ``logging``: EMF must be the whole
log event, which Lambda's JSON log format would wrap in its own object.

Never a secret, token or AppCode: the line is built from the call's record (which holds none)
and the request's gateway, nothing else.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from typing import Any

from chalicelib.domain import verification as rules
from chalicelib.domain.records import CallRecord
from chalicelib.services.call_verification import Outcome

NAMESPACE_VARIABLE = "APIAUTH_METRICS_NAMESPACE"
DEFAULT_NAMESPACE = "apiauth"
FUNCTION = "request_authorizer"
# A form-bodied call on this app's own gateway: the body check decides, and records, later.
DEFERRED = "deferred"
# A caller-chosen value (an unknown access key) is cut to this length in the line.
_LONGEST_VALUE = 128

_state = {"cold": True}


def _short(value: str) -> str:
    return value if len(value) <= _LONGEST_VALUE else value[:_LONGEST_VALUE] + "..."


@functools.cache
def _directives(namespace: str, counted: tuple[str, ...]) -> str:
    """The ``CloudWatchMetrics`` member as JSON: the same for every call of a kind, made once."""
    directives: list[dict[str, Any]] = [
        {
            "Namespace": namespace,
            "Dimensions": [["verdict"], ["gateway", "verdict"]],
            "Metrics": [
                {"Name": "calls", "Unit": "Count"},
                {"Name": "latency_ms", "Unit": "Milliseconds"},
            ],
        }
    ]
    if counted:
        # Per function, not per verdict: a container's first call, and the 401s the handler
        # raises (which Lambda counts as errors: the template's error alarm takes them off).
        directives.append(
            {
                "Namespace": namespace,
                "Dimensions": [["function"]],
                "Metrics": [{"Name": name, "Unit": "Count"} for name in counted],
            }
        )
    return json.dumps(directives, separators=(",", ":"))


def decision_line(
    request: rules.CallRequest,
    verdict: str,
    record: CallRecord | None,
    latency_ms: float,
    cold_start: bool,
    timestamp_ms: int,
    unauthorized: bool = False,
) -> str:
    """The line of one call: the EMF metadata under ``_aws``, then the decision's fields."""
    fields: dict[str, Any] = {
        "message": "authorizer decision",
        "request_id": request.request_id,
        "verdict": verdict,
        "access_key": _short(record.access_key) if record else "",
        "app_id": record.app_id if record else "",
        "api_id": record.api_id if record else "",
        "gateway": _short(request.gateway_id) or "none",
        "stage": _short(record.stage) if record else "",
        "auth_method": record.auth_method if record else "",
        "latency_ms": round(latency_ms, 2),
        "calls": 1,
        "function": FUNCTION,
    }
    counted = ("cold_start",) * cold_start + ("unauthorized_401",) * unauthorized
    fields.update(dict.fromkeys(counted, 1))
    namespace = os.environ.get(NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE
    metadata = f'{{"_aws":{{"Timestamp":{timestamp_ms},"CloudWatchMetrics":'
    metadata += _directives(namespace, counted) + "},"
    return metadata + json.dumps(fields, separators=(",", ":"), ensure_ascii=True)[1:]


def log_decision(
    request: rules.CallRequest, outcome: Outcome, started: float, unauthorized: bool = False
) -> None:
    """Write the call's line; ``unauthorized``: the handler answers it by raising (a REST
    API's 401; an HTTP API's handler never raises). A closed stdout must not turn a decision
    into a 500."""
    cold, _state["cold"] = _state["cold"], False
    verdict = DEFERRED if outcome.context.body_check else outcome.verdict
    latency_ms = (time.perf_counter() - started) * 1000
    line = decision_line(
        request, verdict, outcome.record, latency_ms, cold, int(time.time() * 1000), unauthorized
    )
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
