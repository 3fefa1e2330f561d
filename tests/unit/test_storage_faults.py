"""Which storage errors are an outage (503, retry) and which a bug (500)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from pynamodb.exceptions import GetError, TransactWriteError

from chalicelib.storage.faults import is_unavailable


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "GetItem")


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException"),
        client_error("ProvisionedThroughputExceededException"),
        client_error("InternalServerError"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        GetError("get failed", cause=client_error("InternalServerError")),
        TransactWriteError("failed", cause=ConnectionClosedError(endpoint_url="http://x")),
    ],
)
def test_outages_are_unavailable(error: Exception) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ValidationException"),
        client_error("ConditionalCheckFailedException"),
        GetError("get failed", cause=client_error("ValidationException")),
        ValueError("not a valid document path"),
        KeyError("x"),
    ],
)
def test_bugs_are_not(error: Exception) -> None:
    assert not is_unavailable(error)
