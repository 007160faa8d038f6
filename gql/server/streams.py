"""Which answers stream: the HTTP transports for subscriptions, chosen by what the client's Accept prefers.

Strawberry streams whenever Accept lists `text/event-stream` or multipart anywhere;
urql lists them after the JSON types on every request, and then expects plain JSON
for its queries. Here a query or mutation streams only when the client prefers a
stream over JSON; a subscription streams whenever the client accepts a stream.
SSE events are framed with LF line ends: CRLF is allowed by the SSE spec, but urql
(and others) split events on a blank LF line only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from graphql import OperationType
from strawberry.http import GraphQLRequestData
from strawberry.http.streaming import MultipartSubscriptionTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL

JSON_TYPES = {"application/json", "application/graphql-response+json", "application/graphql+json", "*/*"}


class LineFeedSSE(SSETransport):
    """GraphQL over SSE, each line ended by LF alone."""

    def encode_event(self, event: str, data: str | None = None) -> str:
        return super().encode_event(event, data).replace("\r\n", "\n")

    def encode_comment(self, comment: str) -> str:
        return f": {comment}\n\n"


TRANSPORT_CLASSES = {MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartSubscriptionTransport, GRAPHQL_SSE_PROTOCOL: LineFeedSSE}


def prefers_json(accept: str) -> bool:
    """Whether the first choice of an Accept header (highest q, then first listed) is a JSON type (or `*/*`)."""
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (piece.strip().lower() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranked.append((-quality, position, media))
    return not ranked or min(ranked)[2] in JSON_TYPES


def negotiated(request: GraphQLRequestData, accept: str,
               operation_type: Callable[[str, str | None], OperationType | None]) -> GraphQLRequestData:
    """The request with plain HTTP as its protocol unless it should stream (see the module's docstring).

    `operation_type` is the schema's (its parse cache: the text is not parsed again to execute it).
    """
    if request.protocol == "http" or not prefers_json(accept):
        return request
    if request.query is not None and operation_type(request.query, request.operation_name) is OperationType.SUBSCRIPTION:
        return request
    return replace(request, protocol="http")
