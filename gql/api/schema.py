"""The Strawberry schema with its limits: depth, aliases, tokens, batching, introspection, error codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from newsgraph.api.auth import MutationAuth
from newsgraph.api.errors import ErrorCodes, is_unexpected
from newsgraph.api.fastpath import LeanInfoExecutionContext, shortcut_plain_resolvers, skip_type_checks
from newsgraph.api.hooks import HooksFoundOnce
from newsgraph.api.limits import QueryDeadline, alias_limit_rule, depth_limit_rule
from newsgraph.api.mutation import Mutation
from newsgraph.api.prepare import Preparation, Prepare
from newsgraph.api.query import Query
from newsgraph.api.stack import RoomyExecutionContext
from newsgraph.api.subscription import Subscription
from newsgraph.api.types import Day, Event, Publisher, Tag


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on one GraphQL request; the defaults sit well above what a real frontend sends."""

    max_depth: int = 15
    max_aliases: int = 50
    max_tokens: int = 5_000
    max_batch: int = 10
    introspection: bool = True
    max_cost: int | None = 1_000_000  # estimated fields one operation may resolve, at worst (limits.query_cost_rule)
    query_timeout: float | None = 5.0  # seconds one query may execute before QUERY_TIMEOUT


class _Schema(strawberry.Schema):
    """Strawberry's schema, with less spent on each request."""

    def process_errors(self, errors, execution_context=None) -> None:  # noqa: ANN001 - Strawberry's signature
        """Logs only unexpected errors: a client's bad input, a refused query or a timeout is answered, not logged."""
        super().process_errors([error for error in errors if is_unexpected(error)], execution_context)

    async def execute(self, query, variable_values=None, context_value=None, root_value=None,  # noqa: ANN001, ANN201, PLR0913
                      operation_name=None, allowed_operation_types=None, operation_extensions=None):
        """One result per call, so never a subscription: it is refused (InvalidOperationTypeError, which the
        server answers with 400 STREAM_REQUIRED) instead of failing inside its resolver. Streams use `stream`."""
        allowed = set(allowed_operation_types or OperationType) - {OperationType.SUBSCRIPTION}
        return await super().execute(query, variable_values, context_value, root_value, operation_name, allowed,
                                     operation_extensions)

    def create_extensions_runner(self, execution_context, extensions):  # noqa: ANN001, ANN201 - Strawberry's signature
        """Extension hooks looked up once per extension class, not on every request (hooks.py)."""
        return HooksFoundOnce(execution_context=execution_context, extensions=extensions)

    def _get_middleware_manager(self, extensions):  # noqa: ANN001, ANN202 - Strawberry's signature
        """None when no extension has a `resolve` hook: graphql-core then skips a wrapping call per field."""
        manager = super()._get_middleware_manager(extensions)
        return manager if manager.middlewares else None


class _ExecutionContext(RoomyExecutionContext, LeanInfoExecutionContext):
    """Each operation with room to recurse (stack.py), each field's resolve info made cheaply (fastpath.py)."""


def build_schema(limits: QueryLimits = QueryLimits(), extra_extensions: Sequence[Callable[[], SchemaExtension]] = ()
                 ) -> strawberry.Schema:
    """The schema with our limits; `extra_extensions` (factories) run first, e.g. the server's trusted-documents check."""
    # The rule classes are made once per schema: the limiters define a new class per instance,
    # and validation is cached with the rules in its key, so per-request classes would always miss.
    # Our depth and alias rules, not Strawberry's limiters: theirs walk a fragment again at every
    # spread, so ten spreads of ten nested fragments (a 300-byte query) keep them busy for hours.
    rules = [depth_limit_rule(limits.max_depth), alias_limit_rule(limits.max_aliases)]
    rules += [] if limits.introspection else [NoSchemaIntrospectionCustomRule]
    # parse and validate once per text; the cost once per text and page sizes
    preparation = Preparation(max_tokens=limits.max_tokens, rules=rules, max_cost=limits.max_cost or None)
    extensions = [
        *extra_extensions,
        lambda: Prepare(preparation),
        *([lambda: QueryDeadline(seconds=limits.query_timeout)] if limits.query_timeout else []),
        ErrorCodes,  # codes every error, masks unexpected ones
        MutationAuth,  # mutations only with the server's token
    ]
    schema = _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Event, Tag, Day, Publisher],
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": limits.max_batch}),
        execution_context_class=_ExecutionContext,
    )
    shortcut_plain_resolvers(schema)  # attribute and argument-less method fields resolved directly (fastpath.py)
    skip_type_checks(schema)  # no `is_type_of` call per object completed (fastpath.py)
    return schema
