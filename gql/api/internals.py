"""Every place newsgraph reaches past Strawberry's and graphql-core's public API, and the one switch over them.

Speed only: the same answers, less time per request (measured in bench/, docs/performance.md). They
run only while `why_off()` is None: the switch `NEWSGRAPH_LIBRARY_HOOKS` is not `0` (or `off`,
`false`, `no`), the installed strawberry-graphql and graphql-core are exactly `WRITTEN_FOR`,
and Python is CPython. Otherwise `build_schema` makes a plain Strawberry schema and the log
says so, once per reason. The modules below are imported only when the hooks are on, so a
release that renames one of these private names breaks nothing while they are off.

- fastpath.shortcut_plain_resolvers: walks the graphql-core type map (`schema._schema`), finds
  each field's Strawberry definition (`GraphQLCoreConverter.DEFINITION_BACKREF`), skips fields
  with exception handlers (`schema_converter._get_field_exception_handlers`) and replaces
  Strawberry's resolver chain with a direct call (`convert_argument`, resolver parameters).
- fastpath.skip_type_checks: sets `is_type_of = None` on the built graphql-core types.
- fastpath.LeanInfoExecutionContext: builds Strawberry's private
  `_OperationContextAwareGraphQLResolveInfo` with `tuple.__new__`, in the field order of
  `StrawberryGraphQLCoreExecutionContext.build_resolve_info`.
- stack.RoomyExecutionContext: runs graphql-core's `execute_operation` from a frame whose
  `co_stacksize` is raised (CPython's frame-stack chunks; hence the CPython check).
- hooks.FoundOnceSchema: `create_extensions_runner` returning context managers that subclass
  `strawberry.extensions.context`'s (`get_hook`, `HOOK_NAME`, `WrappedHook`), and
  `_get_middleware_manager` overridden to give graphql-core no middleware when no extension
  has a `resolve` hook.

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
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
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
    """None when the speed-only hooks may run; otherwise why they do not."""
    if os.environ.get(SWITCH, "").strip().lower() in OFF_VALUES:
        return f"{SWITCH}={os.environ[SWITCH]}"
    others = [f"{name} {INSTALLED[name]} (written for {wanted})"
              for name, wanted in WRITTEN_FOR.items() if INSTALLED[name] != wanted]
    if others:
        return "installed " + ", ".join(others)
    if sys.implementation.name != "cpython":
        return f"Python is {sys.implementation.name}, not CPython"
    return None


def hooks_on() -> bool:
    """Whether the speed-only hooks run; when not, a warning says why (once per reason and process)."""
    reason = why_off()
    if reason is not None and reason not in _said:
        _said.add(reason)
        log.warning("library hooks off: %s; serving with plain Strawberry execution (same answers, slower)", reason)
    return reason is None


@dataclass(frozen=True)
class SpeedHooks:
    """What `build_schema` uses when the hooks are on."""

    schema_class: type  # the given schema class with FoundOnceSchema's two methods first
    execution_context_class: type  # lean resolve info, room on the frame stack
    after_build: tuple[Callable[[Any], int], ...]  # each called with the built schema


def speed_hooks(schema_class: type) -> SpeedHooks | None:
    """The speed-only hooks for a schema of `schema_class`, or None when they are off (`hooks_on`)."""
    if not hooks_on():
        return None
    from newsgraph.api import fastpath, hooks  # only here: see the module's docstring

    return SpeedHooks(
        schema_class=_with_hooks(hooks.FoundOnceSchema, schema_class),
        execution_context_class=fastpath.SpeedExecutionContext,
        after_build=(fastpath.shortcut_plain_resolvers, fastpath.skip_type_checks),
    )


@cache
def _with_hooks(mixin: type, schema_class: type) -> type:
    return type(f"{schema_class.__name__}WithHooks", (mixin, schema_class), {"__module__": schema_class.__module__})


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
