"""The GraphQL API: Strawberry types and resolvers over the in-memory archive."""

from newsgraph.api.context import ARCHIVE
from newsgraph.api.schema import QueryLimits, build_schema

__all__ = ["ARCHIVE", "QueryLimits", "build_schema"]
