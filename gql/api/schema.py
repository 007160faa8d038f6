"""The Strawberry schema with its limits: depth, aliases, tokens, batching, introspection, error codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import strawberry
from graphql import OperationType as GraphQLOperationType
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from newsgraph.api.auth import MutationAuth
from newsgraph.api.errors import ErrorCodes, is_unexpected
from newsgraph.api.internals import plans_allowed
from newsgraph.api.limits import QueryDeadline, alias_limit_rule, depth_limit_rule
from newsgraph.api.mutation import Mutation
from newsgraph.api.prepare import Preparation, Prepare
from newsgraph.api.query import Query
from newsgraph.api.subscription import Subscription
from newsgraph.api.types import Day, Event, Publisher, Tag
from newsgraph.settings import DEFAULTS

if TYPE_CHECKING:
    from newsgraph.api.plans import Plans


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on one GraphQL request; the defaults (newsgraph.settings) sit well above what a real frontend sends.

    The values only: newsgraph.api.limits holds the rules and the deadline that enforce them."""

    max_depth: int = DEFAULTS.max_depth
    max_aliases: int = DEFAULTS.max_aliases
    max_tokens: int = DEFAULTS.max_tokens
    max_batch: int = DEFAULTS.max_batch
    introspection: bool = DEFAULTS.introspection
    max_cost: int | None = DEFAULTS.max_cost  # estimated fields one operation may resolve, at worst; 0 or None: off
    query_timeout: float | None = DEFAULTS.query_timeout  # seconds before QUERY_TIMEOUT; 0 or None: off


class _Schema(strawberry.Schema):
    """Strawberry's schema, logging only unexpected errors and never running a subscription in `execute`.

    `preparation` is its parse and validation cache; `operation_type` reads a request's operation through it,
    so a server choosing how to run a request (a thread, a stream) does not parse the text a second time.
    """

    preparation: Preparation
    plans: Plans | None  # None: every operation runs through graphql-core (the reference path)

    def operation_type(self, text: str, operation_name: str | None) -> GraphQLOperationType | None:
        return self.preparation.operation_type(text, operation_name)

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


def build_schema(limits: QueryLimits = QueryLimits(), extra_extensions: Sequence[Callable[[], SchemaExtension]] = (),
                 compiled_plans: bool = True) -> _Schema:
    """The schema with our limits; `extra_extensions` (factories) run first, e.g. the server's trusted-documents check.

    Queries run through compiled plans (newsgraph.api.plans) unless `compiled_plans` is False or
    internals.py's switch and version check turn them off: then graphql-core executes everything.
    """
    # The rule classes are made once per schema: the limiters define a new class per instance,
    # and validation is cached with the rules in its key, so per-request classes would always miss.
    # Our depth and alias rules, not Strawberry's limiters: theirs walk a fragment again at every
    # spread, so ten spreads of ten nested fragments (a 300-byte query) keep them busy for hours.
    rules = [depth_limit_rule(limits.max_depth), alias_limit_rule(limits.max_aliases)]
    rules += [] if limits.introspection else [NoSchemaIntrospectionCustomRule]
    # parse and validate once per text; the cost once per text and page sizes
    preparation = Preparation(max_tokens=limits.max_tokens, rules=rules, max_cost=limits.max_cost or None)
    deadline = limits.query_timeout
    extensions = [
        *extra_extensions,
        lambda: Prepare(preparation),
        *([lambda: QueryDeadline(seconds=deadline)] if deadline else []),
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
    )
    schema.preparation = preparation
    schema.plans = None
    if compiled_plans and plans_allowed():
        from newsgraph.api.plans import Plans  # only here: it reads library internals (internals.py)

        schema.plans = Plans(schema)
        schema.execution_context_class = schema.plans.execution_class()  # read on each execution
    return schema
