"""Attach the ``request_authorizer`` Lambda to routes as an API Gateway REQUEST authorizer.

Chalice's built-in authorizers are TOKEN only (they never see the caller's IP, the other
headers or the query), so the signature authorizer is a plain
``@app.lambda_function(name="request_authorizer")`` and routes point at it through this
``Authorizer`` subclass (DESIGN.md, decision 1)::

    signature_authorizer = RequestAuthorizer("request_authorizer")

    @bp.route("/demo/hello", authorizer=signature_authorizer)
    def hello() -> dict[str, str]: ...

Chalice's swagger generator calls ``to_swagger()`` for every ``Authorizer`` that is not a
``ChaliceAuthorizer``, and ``chalice package`` embeds that swagger as the ``DefinitionBody`` of
the SAM ``RestAPI``. The ``authorizerUri`` is therefore a CloudFormation ``Fn::Sub`` over the
logical id ``chalice package`` gives the lambda function (``request_authorizer`` ->
``RequestAuthorizer``). This is what makes deployment "``chalice package`` + merge template"
only: ``chalice deploy`` would send the ``Fn::Sub`` object to API Gateway verbatim.

``chalice package`` does NOT create an ``AWS::Lambda::Permission`` letting API Gateway invoke a
plain lambda function (it only does so for built-in ``@app.authorizer`` functions), so the
merge template must add one for ``RequestAuthorizer``.

Only ``chalice.app`` may be imported here: the Lambda zip carries ``chalice/app.py`` and
``chalice/__init__.py`` of the chalice package and nothing else (not ``chalice.utils``).
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Authorizer

__all__ = ["RequestAuthorizer", "cfn_logical_id"]


def cfn_logical_id(function_name: str) -> str:
    """The CloudFormation logical id ``chalice package`` gives a lambda function.

    Mirrors ``chalice.utils.to_cfn_resource_name`` (chalice 1.34), which cannot be imported at
    runtime: split on ``-`` and ``_``, capitalise each part's first letter, drop anything
    non-alphanumeric. ``"request_authorizer"`` -> ``"RequestAuthorizer"``. A test pins the two
    together.
    """
    if not function_name:
        raise ValueError("a lambda function name is required")
    name = function_name
    for separator in ("-", "_"):
        name = "".join(part[0].upper() + part[1:] for part in name.split(separator) if part)
    return re.sub(r"[^A-Za-z0-9]+", "", name)


class RequestAuthorizer(Authorizer):
    """A REQUEST-type Lambda authorizer backed by an ``@app.lambda_function`` of this app.

    ``name`` is the name given to ``@app.lambda_function(name=...)``; it is also the key of the
    swagger security definition. The dev shim (``devtools/authorizer_shim.py``) finds the
    handler to run locally by this name.
    """

    # Never cache: every call carries its own signature, nonce and timestamp, and a cached
    # Allow would let a replayed request through (DESIGN.md, decision 1).
    ttl_seconds: int = 0

    def __init__(self, name: str) -> None:
        self.name: str = name
        # REQUEST authorizers take no OAuth scopes; chalice writes ``{name: scopes}`` into the
        # route's ``security`` list, so keep it an empty list.
        self.scopes: list[str] = []

    @property
    def function_logical_id(self) -> str:
        return cfn_logical_id(self.name)

    def to_swagger(self) -> dict[str, Any]:
        return {
            # Swagger 2 requires ``name``/``in`` on an apiKey scheme; API Gateway ignores them
            # for REQUEST authorizers (its own examples use "Unused").
            "type": "apiKey",
            "name": "Unused",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "authorizerUri": {
                    "Fn::Sub": (
                        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path"
                        f"/2015-03-31/functions/${{{self.function_logical_id}.Arn}}/invocations"
                    )
                },
                "authorizerResultTtlInSeconds": self.ttl_seconds,
                # No ``identitySource`` on purpose. API Gateway's Authorizer reference: for a
                # REQUEST authorizer it is "required when authorization caching is enabled"
                # and "optional" otherwise. With one set, API Gateway answers 401 itself,
                # without calling the Lambda, whenever a listed parameter is missing, so
                # unsigned or AppCode calls would never reach our handler (which must decide
                # MISSING_CREDENTIALS / record the call). Note: SAM's ``Auth.Authorizers``
                # shorthand refuses an empty Identity even with ReauthorizeEvery: 0
                # (aws/serverless-application-model#1508); we do not use it: the authorizer
                # lives in the swagger ``DefinitionBody``, which SAM passes through.
            },
        }
