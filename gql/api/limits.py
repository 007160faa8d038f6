"""Limits on the work one query may cause: depth, aliases, a static cost bound and a time limit.

- `depth_limit_rule` and `alias_limit_rule`: Strawberry's QueryDepthLimiter and
  MaxAliasesLimiter, same results and messages, but computing each fragment once.
  Strawberry's walk a fragment again at every spread: ten spreads of ten nested
  fragments, a 300-byte query, kept a worker busy for hours.
- `query_cost_rule(max_cost)`: a validation rule that estimates, before anything
  runs, how many fields a query can resolve (page sizes multiplied along nested
  lists) and refuses one over the bound. It stops the obvious bombs
  (`events(first: 100) { … relatedBy(first: 100) { … } }`) in microseconds.
- `QueryDeadline(seconds=…)`: sets a deadline when a query starts executing;
  `check_deadline()` raises QUERY_TIMEOUT past it. It is called by `archive_of`,
  which every resolver that fans out (connections, tag lists, publishers) calls
  first; the lists that have the archive at hand (an event's tags and related
  links, a link's context) call it directly. So no per-field hook is needed. Execution of
  sync resolvers is depth-first, so once the deadline passes the query unwinds
  after a handful of such calls; their errors are folded into one.

The deadline lives in a context variable: a batch's operations run as separate
asyncio tasks, each with its own copy, so each operation has its own deadline.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from newsgraph.api.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

log = logging.getLogger("newsgraph")

QUERY_TIMEOUT = "QUERY_TIMEOUT"
LIST_SIZE_GUESS = 10  # items assumed for a list field without a page size (related, tags, sources, …)

# (deadline on the monotonic clock, the limit in seconds) of the operation running in this task
_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("newsgraph_deadline", default=None)


class QueryTimeout(GraphQLError):
    """The operation ran past the time limit; `extensions.code` is QUERY_TIMEOUT."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"query ran past the {seconds:g} s limit; ask for fewer items or less nesting",
            extensions={"code": QUERY_TIMEOUT},
        )


def check_deadline() -> None:
    """Raise QueryTimeout when the running operation is past its deadline (cheap: one clock read)."""
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise QueryTimeout(current[1])


class QueryDeadline(SchemaExtension):
    """Gives each query operation `seconds` to execute, and folds the timeout errors into one."""

    def __init__(self, *, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is not OperationType.QUERY:  # mutations write; subscriptions live long
            yield
            return
        _deadline.set((time.monotonic() + self.seconds, self.seconds))
        try:
            yield
        finally:
            _deadline.set(None)
        result = context.result
        errors = getattr(result, "errors", None)
        if errors and any((error.extensions or {}).get("code") == QUERY_TIMEOUT for error in errors):
            log.warning("query stopped at the %g s limit: %s", self.seconds, (context.query or "")[:200])
            result.data = None  # what was resolved before the limit depends on timing: give none of it
            result.errors = [QueryTimeout(self.seconds)]


def query_cost_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost is over `max_cost`.

    Cost: every field counts 1; a list multiplies what is under it by its page size
    (`first`/`last`, or the default page of a connection; the number of `ids`), or by
    LIST_SIZE_GUESS when the list has no size argument. Variables count as the
    largest page allowed. Introspection fields count 1 (bounded by the schema).
    """

    class QueryCost(ValidationRule):
        def __init__(self, context) -> None:  # noqa: ANN001 - graphql-core's ValidationContext
            super().__init__(context)
            self.fragment_costs: dict[str, int] = {}
            self.fragments_entered: set[str] = set()

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            cost = self.selection_cost(root, node.selection_set, None)
            if cost > max_cost:
                name = f"operation {node.name.value!r}" if node.name else "the query"
                self.report_error(GraphQLError(
                    f"{name} may resolve {cost:,} fields or more (page sizes multiplied along nested lists); "
                    f"the limit is {max_cost:,}: ask for smaller pages (`first`) or less nesting",
                    node,
                ))

        def selection_cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None,
                           page: int | None) -> int:
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self.field_cost(parent, selection, page)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    target = self.context.schema.get_type(condition.name.value) if condition else parent
                    total += self.selection_cost(target or parent, selection.selection_set, page)
                elif isinstance(selection, FragmentSpreadNode):
                    total += self.fragment_cost(selection.name.value)
                if total > max_cost:
                    return total  # enough to refuse; do not walk the rest
            return total

        def fragment_cost(self, name: str) -> int:
            """A fragment's cost, computed once (a fragment used many times is not walked again)."""
            if name in self.fragment_costs:
                return self.fragment_costs[name]
            fragment = self.context.get_fragment(name)
            if fragment is None or name in self.fragments_entered:
                return 0  # unknown or cyclic: other rules report those
            self.fragments_entered.add(name)
            target = self.context.schema.get_type(fragment.type_condition.name.value)
            cost = self.selection_cost(target, fragment.selection_set, None) if target else 0
            self.fragments_entered.discard(name)
            self.fragment_costs[name] = cost
            return cost

        def field_cost(self, parent: GraphQLNamedType, node: FieldNode, page: int | None) -> int:
            fields = getattr(parent, "fields", None)
            field: GraphQLField | None = fields.get(node.name.value) if fields else None
            if node.name.value.startswith("__") or field is None:
                return 1  # introspection, or an unknown field (reported by another rule)
            named = get_named_type(field.type)
            size = _size_argument(node)
            if is_list_type(get_nullable_type(field.type)):
                multiplier = size if size is not None else page if page is not None else LIST_SIZE_GUESS
                return 1 + multiplier * self.selection_cost(named, node.selection_set, None)
            if size is None and _is_connection(named):
                size = DEFAULT_PAGE_SIZE
            return 1 + self.selection_cost(named, node.selection_set, size)

    return QueryCost


class _FragmentMemo:
    """A per-fragment result computed once: a fragment spread ten times in ten nested fragments
    must cost ten walks, not ten to the tenth (Strawberry's own depth and alias limiters walk
    every spread again, so a 300-byte query keeps them busy for hours)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], measure) -> None:  # noqa: ANN001
        self.fragments = fragments
        self.measure = measure
        self.known: dict[str, int] = {}
        self.entered: set[str] = set()

    def __call__(self, name: str) -> int:
        if name in self.known:
            return self.known[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.entered:
            return 0  # unknown or cyclic: the spec's rules report those
        self.entered.add(name)
        value = self.measure(fragment.selection_set)
        self.entered.discard(name)
        self.known[name] = value
        return value


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """Strawberry's QueryDepthLimiter (same depth, same message), linear in the document's size."""

    class DepthLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            fragment_depth = _FragmentMemo(_fragments(node), lambda selections: depth(selections))

            def depth(selection_set: SelectionSetNode | None) -> int:
                deepest = 0
                for selection in selection_set.selections if selection_set else ():
                    if isinstance(selection, FieldNode):
                        if selection.selection_set and not selection.name.value.startswith("__"):
                            deepest = max(deepest, 1 + depth(selection.selection_set))
                    elif isinstance(selection, InlineFragmentNode):
                        deepest = max(deepest, depth(selection.selection_set))
                    elif isinstance(selection, FragmentSpreadNode):
                        deepest = max(deepest, fragment_depth(selection.name.value))
                return deepest

            for operation in node.definitions:
                if isinstance(operation, OperationDefinitionNode) and depth(operation.selection_set) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", operation))

    return DepthLimit


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    """Strawberry's MaxAliasesLimiter (same count, same message), linear in the document's size."""

    class AliasLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            fragment_aliases = _FragmentMemo(_fragments(node), lambda selections: aliases(selections))

            def aliases(selection_set: SelectionSetNode | None) -> int:
                count = 0
                for selection in selection_set.selections if selection_set else ():
                    if isinstance(selection, FieldNode):
                        count += (selection.alias is not None) + aliases(selection.selection_set)
                    elif isinstance(selection, InlineFragmentNode):
                        count += aliases(selection.selection_set)
                    elif isinstance(selection, FragmentSpreadNode):
                        count += fragment_aliases(selection.name.value)
                return count

            total = sum(aliases(operation.selection_set) for operation in node.definitions
                        if isinstance(operation, OperationDefinitionNode))
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit


def _is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and "edges" in named.fields


def _size_argument(node: FieldNode) -> int | None:
    """The page size a field asks for: the smaller of `first`/`last`, or the number of `ids`."""
    sizes: list[int] = []
    for argument in node.arguments or ():
        name, value = argument.name.value, argument.value
        if name in ("first", "last"):
            sizes.append(max(0, int(value.value)) if isinstance(value, IntValueNode) else MAX_PAGE_SIZE)
        elif name == "ids":
            sizes.append(len(value.values) if isinstance(value, ListValueNode) else MAX_PAGE_SIZE)
    return min(sizes) if sizes else None
