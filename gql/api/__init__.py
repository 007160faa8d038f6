"""The GraphQL API: Strawberry types and resolvers over the in-memory archive."""

from gql.api.context import ARCHIVE
from gql.api.schema import QueryLimits, build_schema

__all__ = ["ARCHIVE", "QueryLimits", "build_schema"]
