"""The Strawberry schema with its limits: depth, aliases, tokens, batching, introspection, error codes."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from gql.api.errors import ErrorCodes
from gql.api.query import Query
from gql.api.types import Day, Event, Publisher, Tag


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on one GraphQL request; the defaults sit well above what a real frontend sends."""

    max_depth: int = 15
    max_aliases: int = 50
    max_tokens: int = 5_000
    max_batch: int = 10
    introspection: bool = True


def build_schema(limits: QueryLimits = QueryLimits()) -> strawberry.Schema:
    extensions = [
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        ErrorCodes,  # codes every error, masks unexpected ones
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        types=[Event, Tag, Day, Publisher],
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": limits.max_batch}),
    )
