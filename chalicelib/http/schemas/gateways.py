"""Gateways: API Gateway REST and HTTP APIs bound to the accounts that own them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from chalicelib.domain.admin import GatewayChanges, NewGateway
from chalicelib.http.schemas.common import Answer, Name, OptionalName, Strict, Time

GatewayId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$"),
    Field(description="the REST API's id as requestContext.apiId gives it, e.g. a1b2c3d4e5"),
]
BaseUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s?#]{1,500}$"),
    Field(description="e.g. https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"),
]


GatewayType = Annotated[
    Literal["rest", "http"],
    Field(description="rest: an API Gateway REST API; http: an HTTP API (API Gateway v2)"),
]
SimpleResponses = Annotated[
    StrictBool,
    Field(
        description="http only: the authorizer is configured with EnableSimpleResponses "
        "(answers {isAuthorized, context}); false: it answers an IAM policy"
    ),
]


class CreateGateway(Strict):
    gateway_id: GatewayId
    account_id: Name
    name: OptionalName = ""
    base_url: BaseUrl | None = None
    type: GatewayType = "rest"
    simple_responses: SimpleResponses | None = None

    def value(self) -> NewGateway:
        return NewGateway(**self.model_dump())


class UpdateGateway(Strict):
    account_id: Name | None = None
    name: OptionalName | None = None
    base_url: BaseUrl | None = None
    type: GatewayType | None = None
    simple_responses: SimpleResponses | None = None

    def changes(self) -> GatewayChanges:
        return GatewayChanges(**self.model_dump(exclude_unset=True))


class GatewayView(Answer):
    gateway_id: str
    account_id: str
    name: str
    base_url: str | None
    checks_bodies: bool = Field(
        description="this deployment's own REST API: form-bodied calls are verified there"
    )
    type: str = Field(description="rest or http")
    simple_responses: bool | None = Field(
        description="an http gateway's answer shape (true: simple responses); null for rest"
    )
    created_at: Time
    updated_at: Time


class GatewayList(Answer):
    items: list[GatewayView]
    next_cursor: str | None
