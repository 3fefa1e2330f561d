"""Which storage errors are an outage (503, retry) and which a bug (500)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from botocore.parsers import create_parser
from botocore.session import get_session
from pynamodb.exceptions import GetError, TransactWriteError, VerboseClientError

from chalicelib.storage.faults import is_unavailable


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "GetItem")


def parsed_error(status: int, body: bytes, content_type: str = "text/html") -> ClientError:
    """The ClientError botocore raises for this answer, parsed as it parses DynamoDB's."""
    operation = get_session().get_service_model("dynamodb").operation_model("GetItem")
    response = {"status_code": status, "headers": {"content-type": content_type}, "body": body}
    parsed = create_parser("json").parse(response, operation.output_shape)
    return ClientError(parsed, "GetItem")  # type: ignore[arg-type]


def pynamodb_copy(error: ClientError) -> VerboseClientError:
    return VerboseClientError({"Error": error.response["Error"]}, error.operation_name)


HTML_500 = b"<!doctype html><html><title>500 Internal Server Error</title></html>"


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


@pytest.mark.parametrize(
    "error",
    [
        parsed_error(500, HTML_500),  # moto's answer when it fails
        parsed_error(502, b"Bad Gateway"),
        parsed_error(503, b""),
        parsed_error(504, b"<html>Gateway Timeout</html>"),
        parsed_error(500, b'{"message": "no __type"}', "application/x-amz-json-1.0"),
        GetError("get failed", cause=parsed_error(500, HTML_500)),
        # What PynamoDB raises: a copy of the error with its "Error" only, no ResponseMetadata.
        GetError("get failed", cause=pynamodb_copy(parsed_error(500, HTML_500))),
    ],
    ids=[
        "html-500",
        "text-502",
        "empty-503",
        "html-504",
        "json-without-type",
        "wrapped",
        "pynamodb-copy",
    ],
)
def test_any_5xx_after_the_retries_is_an_outage_whatever_its_body(error: Exception) -> None:
    assert is_unavailable(error)


def test_a_4xx_without_dynamodbs_json_is_not_an_outage() -> None:
    assert not is_unavailable(parsed_error(400, HTML_500))
