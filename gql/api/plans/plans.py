"""Where compiled plans run: graphql-core's executor, its `execute_operation` answered by a cached plan.

Strawberry hands graphql-core an executor class (`Schema(execution_context_class=...)`, a public
parameter of both libraries); `PlannedExecution.execute_operation` looks the operation's plan up
and runs it, or runs graphql-core's own `execute_operation` (the reference path) for what plans
do not cover: mutations and subscriptions (they write, or stream), introspection, a field without
a direct reader, an extension with a `resolve` hook. Each fallback is counted (`Plans.stats`)
and logged at debug with its reason.

Plans are cached by document text and operation name, and within that by the values of the
variables `@skip`/`@include` read (a plan is made for what those select); the cache is bounded in
documents and in the size of their texts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from graphql import ExecutionResult, GraphQLError, OperationType, VariableNode, visit
from graphql.language import DirectiveNode, Visitor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from newsgraph.api.bounded_cache import BoundedCache
from newsgraph.api.plans.compile import Compiler, Run
from newsgraph.api.plans.readers import Reader, Unsupported, readers_of

log = logging.getLogger("newsgraph")

MAX_PLANS = 256  # documents, as the parse and validation caches (prepare.py) keep
MAX_PLANNED_CHARS = 2_000_000  # the texts of those documents, summed: a plan holds its parsed document
MAX_PLANS_PER_DOCUMENT = 16  # combinations of @skip/@include values kept for one document


@dataclass(frozen=True)
class Plan:
    """A compiled operation, or why there is none (`unsupported`): the reference path answers it then."""

    fields: Any = None
    bindings: int = 0
    unsupported: str | None = None

    def run(self, executor: Any) -> ExecutionResult:
        run = Run(executor, self.bindings)
        try:
            data = self.fields(executor.root_value, None, run)
        except GraphQLError as error:  # a null in a non-null root field: no data at all, as graphql-core answers
            run.errors.append(error)
            data = None
        return ExecutionResult(data, run.errors or None)


@dataclass
class PlanFamily:
    """The plans of one operation: one per combination of the values its `@skip`/`@include` variables take."""

    directive_variables: tuple[str, ...]
    plans: dict[tuple, Plan] = field(default_factory=dict)

    def values_in(self, executor: Any) -> tuple:
        coerced = executor.variable_values.coerced
        return tuple(coerced.get(name) for name in self.directive_variables)


class Plans:
    """A schema's plan cache and counters; `execution_class()` is the executor class that uses them."""

    def __init__(self, schema: Any) -> None:
        self.readers: dict[tuple[str, str], Reader] = readers_of(schema)
        self._cache: BoundedCache[tuple, PlanFamily] = BoundedCache(MAX_PLANNED_CHARS, lambda key, _plan: len(key[0]),
                                                              entries=MAX_PLANS)
        self._lock = threading.Lock()
        self.compiled = 0  # operations answered by a plan
        self.fallbacks = 0  # operations answered by the reference path

    def stats(self) -> dict[str, int]:
        return {"compiled": self.compiled, "fallbacks": self.fallbacks, "cached": len(self._cache)}

    def execution_class(self) -> type[PlannedExecution]:
        return type("PlannedExecution", (PlannedExecution,), {"plans": self})

    def plan_for(self, executor: Any) -> Plan:
        why_not = _not_plannable(executor)
        if why_not is not None:
            return Plan(unsupported=why_not)
        operation = executor.operation
        if operation.loc is None:  # a document without its text: nothing to cache it by
            return self._compile(executor)
        key = (operation.loc.source.body, operation.name.value if operation.name else None)
        family = self._cache.get(key)
        if family is None:
            family = PlanFamily(_directive_variables(operation, executor.fragment_definitions))
            self._cache.put(key, family)
        values = family.values_in(executor)
        plan = family.plans.get(values)
        if plan is None:
            plan = self._compile(executor)
            if len(family.plans) < MAX_PLANS_PER_DOCUMENT:
                family.plans[values] = plan
        return plan

    def count(self, plan: Plan) -> None:
        with self._lock:
            if plan.unsupported is None:
                self.compiled += 1
            else:
                self.fallbacks += 1

    def _compile(self, executor: Any) -> Plan:
        compiler = Compiler(executor, self.readers)
        try:
            fields = compiler.root(executor.operation)
        except Unsupported as reason:
            return Plan(unsupported=str(reason))
        return Plan(fields, compiler.bindings)


class PlannedExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, running each query through its plan when there is one."""

    plans: Plans

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self.plans.plan_for(self)
        self.plans.count(plan)
        if plan.unsupported is not None:
            log.debug("reference execution: %s", plan.unsupported)
            return super().execute_operation(serially)
        return plan.run(self)


def _not_plannable(executor: Any) -> str | None:
    operation = executor.operation
    if operation.operation is not OperationType.QUERY:
        return f"a {operation.operation.value}"
    if executor.middleware_manager is not None and executor.middleware_manager.middlewares:
        return "an extension resolves fields"
    if operation.directives:
        return "directives on the operation"
    if executor.abort_signal is not None:
        return "an abort signal"
    return None


def _directive_variables(operation: Any, fragments: dict[str, Any]) -> tuple[str, ...]:
    """The variables `@skip`/`@include` read in an operation and its fragments, in document order."""
    names: list[str] = []

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value in ("skip", "include"):
                names.extend(argument.value.name.value for argument in node.arguments
                             if isinstance(argument.value, VariableNode))

    for node in (operation, *fragments.values()):
        visit(node, Finder())
    return tuple(dict.fromkeys(names))
