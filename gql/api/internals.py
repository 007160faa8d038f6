"""Every place newsgraph reaches past Strawberry's and graphql-core's public API, and the one switch over them.

Speed only: compiled plans (newsgraph.api.plans) give the same answers as graphql-core's
execution in a fraction of the time (measured in bench/, docs/performance.md; held equal by
tests/test_plans_differential.py). They run only while `why_off()` is None: the switch
`NEWSGRAPH_LIBRARY_HOOKS` is not `0` (or `off`, `false`, `no`) and the installed
strawberry-graphql and graphql-core are exactly `WRITTEN_FOR`. Otherwise `build_schema` makes a
schema that graphql-core executes and the log says so, once per reason. What plans read that
neither library exports:

- readers.py: each field's Strawberry definition (`GraphQLCoreConverter.DEFINITION_BACKREF` on
  the graphql-core field), its exception handlers (`schema_converter._get_field_exception_handlers`),
  the resolver's parameters (`StrawberryResolver.self_parameter` and the like) and Strawberry's
  `convert_arguments` (strawberry.types.arguments), as Strawberry's own resolver chain calls them.
- compile.py: graphql-core's `collect_fields`/`collect_subfields` ("for internal use"), the
  executor's `fragments`, `hide_suggestions`, `build_resolve_info` and `ensure_valid_runtime_type`.
- plans.py: subclasses Strawberry's `StrawberryGraphQLCoreExecutionContext` and overrides
  graphql-core's `Executor.execute_operation`.

Kept whichever way the switch is: needed for correct answers, and no public API does it.

- `graphql_schema`: `schema._schema`, the graphql-core schema Strawberry itself validates
  against (Strawberry's printer reads it the same way); prepare.py validates with it.
- `validate_document` (strawberry.schema.schema, not exported): graphql-core's validation
  plus Strawberry's own rules (Maybe, @oneOf), as Strawberry runs it; prepare.py's cache calls
  it. Where it is gone, graphql-core's `validate` alone (our schema uses neither feature).
- `provided_operation_name`: `ExecutionContext._provided_operation_name`; the public
  `operation_name` falls back to the first operation, so it cannot tell a request that named
  none. prepare.py refuses such a request when its document has several operations (the
  spec's error). Where it is gone, `operation_name`: the first operation runs, as in Strawberry.

Replaced by public API: server/view.py checks a batch in its `parse_http_body` (an override
Strawberry's views offer) instead of overriding Strawberry's private `_validate_batch_request`.
Outside the GraphQL libraries, not switched: server/timeouts.py subclasses uvicorn's httptools
protocol, and server/workers.py reads `uvicorn.config.STARTUP_FAILURE`.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import ASTValidationRule

log = logging.getLogger("newsgraph")

SWITCH = "NEWSGRAPH_LIBRARY_HOOKS"
OFF_VALUES = {"0", "off", "false", "no"}
WRITTEN_FOR = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}  # pyproject.toml pins the same


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


INSTALLED: dict[str, str | None] = {name: _installed(name) for name in WRITTEN_FOR}
_said: set[str] = set()  # the reasons already logged


def why_off() -> str | None:
    """None when compiled plans may run; otherwise why they do not."""
    if os.environ.get(SWITCH, "").strip().lower() in OFF_VALUES:
        return f"{SWITCH}={os.environ[SWITCH]}"
    others = [f"{name} {INSTALLED[name]} (written for {wanted})"
              for name, wanted in WRITTEN_FOR.items() if INSTALLED[name] != wanted]
    if others:
        return "installed " + ", ".join(others)
    return None


def plans_allowed() -> bool:
    """Whether compiled plans run; when not, a warning says why (once per reason and process)."""
    reason = why_off()
    if reason is not None and reason not in _said:
        _said.add(reason)
        log.warning("compiled plans off: %s; graphql-core executes every query (same answers, slower)", reason)
    return reason is None


def graphql_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema of a Strawberry schema."""
    return schema._schema  # noqa: SLF001 - no public name for it (see the module's docstring)


try:
    from strawberry.schema.schema import validate_document
except ImportError:  # pragma: no cover - another Strawberry

    def validate_document(schema: GraphQLSchema, document: DocumentNode,
                          validation_rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
        """graphql-core's validation alone: Strawberry's Maybe and @oneOf rules have nothing to check in our schema."""
        return validate(schema, document, validation_rules)


_NOT_KEPT = object()


def provided_operation_name(context: Any) -> str | None:
    """The operation name the request gave, None when it gave none (see the module's docstring)."""
    name: Any = getattr(context, "_provided_operation_name", _NOT_KEPT)
    return context.operation_name if name is _NOT_KEPT else name
