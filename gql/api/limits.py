"""Limits on the work one query may cause: depth, aliases, a static cost bound and a time limit.

- `depth_limit_rule` and `alias_limit_rule`: Strawberry's QueryDepthLimiter and
  MaxAliasesLimiter, same results and messages, but computing each fragment once.
  Strawberry's walk a fragment again at every spread: ten spreads of ten nested
  fragments, a 300-byte query, kept a worker busy for hours.
- `query_cost_rule(max_cost)`: a validation rule that bounds, before anything
  runs, how many fields a query can resolve (page sizes, and for an event's lists
  the most a document may hold, multiplied along nested lists, fragments costed
  where they are spread) and refuses one over the limit. It stops the obvious bombs
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

The four kinds of limit, and where each lives: here, the rules that enforce a query's
limits; `QueryLimits` (newsgraph.api.schema), their values for one server; `ParseLimits`
(newsgraph.parse), what one markdown file may hold, enforced at load; and
newsgraph.server.body_limit, the bytes of one HTTP request body.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

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
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from newsgraph.api.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from newsgraph.archive import set_deadline_check
from newsgraph.parse import ParseLimits

log = logging.getLogger("newsgraph")

V = TypeVar("V")
QUERY_TIMEOUT = "QUERY_TIMEOUT"
REQUEST_DEADLINE = "deadline"  # context key: monotonic time by which a whole HTTP request (a batch too) must end
LIST_SIZE_GUESS = 10  # items assumed for a list without a page size nor a document bound (days, timeline)
_COST_CAP = 10**15  # costs saturate here: past any limit, and small numbers however deep the nesting

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


set_deadline_check(check_deadline)  # the search index and snippets (pure: they cannot import this) call it in their loops


class QueryDeadline(SchemaExtension):
    """Gives each query operation `seconds` to execute, and folds the timeout errors into one.

    A server request's context may carry REQUEST_DEADLINE: the operations of one HTTP
    request (a batch) share that one budget, whatever the queueing between them.
    """

    def __init__(self, *, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is not OperationType.QUERY:  # mutations write; subscriptions live long
            yield
            return
        deadline = time.monotonic() + self.seconds
        request = context.context if isinstance(context.context, dict) else {}
        _deadline.set((min(deadline, request.get(REQUEST_DEADLINE, deadline)), self.seconds))
        try:
            yield
        finally:
            _deadline.set(None)
        result = context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors and any((error.extensions or {}).get("code") == QUERY_TIMEOUT for error in errors):
            log.warning("query stopped at the %g s limit: %s", self.seconds, (context.query or "")[:200])
            result.data = None  # what was resolved before the limit depends on timing: give none of it
            result.errors = [QueryTimeout(self.seconds)]


def page_values(variables: Mapping[str, Any] | None) -> tuple[tuple[str, int], ...]:
    """What of a request's variables the cost depends on: its integers, and the length of its lists (`ids`).
    A hashable key, so the cost of one text can be cached for each set of page sizes."""
    values = []
    for name, value in (variables or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            values.append((name, value))
        elif isinstance(value, list):
            values.append((name, len(value)))
    return tuple(sorted(values))


def query_cost_rule(max_cost: int, bounds: ParseLimits = ParseLimits(),
                    variables: tuple[tuple[str, int], ...] = ()) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost is over `max_cost`.

    Cost: every field counts 1; a list multiplies what is under it by how many items it
    can hold:
    - a page size: `first`/`last` (the smaller of the two), the default page of a
      connection (DEFAULT_PAGE_SIZE), a list argument's default (`relatedTags`: 10), or
      the number of `ids`. A variable counts at its value in `variables` (see `page_values`),
      else at its default in the operation, else as the largest page allowed (MAX_PAGE_SIZE).
    - for the lists of a stored event, which have no page size, the most a document may
      hold (`bounds`, the parser's limits, so at load and import alike): `sources` and
      `related` at `max_items_per_section`, `tags` at `max_event_tags`, a related link's
      `context` at `max_context_tags`.
    - any other list without a size (`days`, `timeline`): LIST_SIZE_GUESS.
    Introspection fields count 1 (bounded by the schema).

    A fragment costs what its selection would cost written out at each spread: one on a
    connection type is multiplied by the page size of the field that spreads it. Each
    fragment is walked once per document: its cost is kept as `fixed + paged × page`,
    where `paged` is the cost of the lists it selects directly on a connection (`edges`),
    which take the page size of the connection it is spread in. So the walk is linear in
    the document's size however often fragments are spread, and nested. Costs saturate at
    a cap far above any limit, so numbers stay small whatever the nesting.
    """
    list_bounds = {
        ("Event", "sources"): bounds.max_items_per_section,
        ("Event", "related"): bounds.max_items_per_section,
        ("Event", "tags"): bounds.max_event_tags,
        ("RelatedEvent", "context"): bounds.max_context_tags,
    }
    cap = max(_COST_CAP, max_cost + 1)

    def capped(value: int) -> int:
        return value if value < cap else cap

    given = dict(variables)

    class QueryCost(ValidationRule):
        def __init__(self, context) -> None:  # noqa: ANN001 - graphql-core's ValidationContext
            super().__init__(context)
            self.fragment_cost = self._fragment_costs()
            self.values: dict[str, int] = {}

        def _fragment_costs(self) -> _FragmentMemo[tuple[int, int]]:
            """Each fragment's (fixed, paged) cost, computed once: the spread supplies the page."""
            def measure(fragment: FragmentDefinitionNode) -> tuple[int, int]:
                target = self.context.schema.get_type(fragment.type_condition.name.value)
                return self.selection_cost(target, fragment.selection_set) if target else (0, 0)

            return _FragmentMemo(self.context.get_fragment, measure, (0, 0))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            self.values = {**_literal_defaults(node), **given}
            self.fragment_cost = self._fragment_costs()  # a fragment's cost depends on the operation's variables
            cost = _at_page(self.selection_cost(root, node.selection_set), None, capped)
            if cost > max_cost:
                name = f"operation {node.name.value!r}" if node.name else "the query"
                self.report_error(GraphQLError(
                    f"{name} may resolve {cost:,} fields or more (page sizes multiplied along nested lists); "
                    f"the limit is {max_cost:,}: ask for smaller pages (`first`) or less nesting",
                    node,
                ))

        def selection_cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None) -> tuple[int, int]:
            """(fixed, paged): the selection costs `fixed + paged × page` inside a connection of `page` items."""
            fixed = paged = 0
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FieldNode):
                    field_fixed, field_paged = self.field_cost(parent, selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    target = self.context.schema.get_type(condition.name.value) if condition else parent
                    field_fixed, field_paged = self.selection_cost(target or parent, selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    field_fixed, field_paged = self.fragment_cost(selection.name.value)
                else:
                    continue
                fixed, paged = capped(fixed + field_fixed), capped(paged + field_paged)
            return fixed, paged

        def field_cost(self, parent: GraphQLNamedType, node: FieldNode) -> tuple[int, int]:
            fields = getattr(parent, "fields", None)
            field: GraphQLField | None = fields.get(node.name.value) if fields else None
            if node.name.value.startswith("__") or field is None:
                return 1, 0  # introspection, or an unknown field (reported by another rule)
            named = get_named_type(field.type)
            size = _size_argument(node, field, self.values)
            below = self.selection_cost(named, node.selection_set)
            if is_list_type(get_nullable_type(field.type)):
                each = _at_page(below, None, capped)
                if size is None and _is_connection(parent):
                    return 1, each  # a connection's `edges`: as many as the connection's page
                if size is None:
                    size = list_bounds.get((parent.name, node.name.value), LIST_SIZE_GUESS)
                return capped(1 + size * each), 0
            if _is_connection(named):
                return capped(1 + _at_page(below, DEFAULT_PAGE_SIZE if size is None else size, capped)), 0
            return capped(1 + _at_page(below, None, capped)), 0

    return QueryCost


def _at_page(cost: tuple[int, int], page: int | None, capped) -> int:  # noqa: ANN001
    """A (fixed, paged) cost inside a connection of `page` items (None: not in a connection, which a
    valid document never puts a connection's fields in; counted as the largest page to be safe)."""
    fixed, paged = cost
    return capped(fixed + paged * (MAX_PAGE_SIZE if page is None else page)) if paged else fixed


class _FragmentMemo(Generic[V]):
    """A per-fragment result computed once: a fragment spread ten times in ten nested fragments
    must cost ten walks, not ten to the tenth (Strawberry's own depth and alias limiters walk
    every spread again, so a 300-byte query keeps them busy for hours). An unknown or cyclic
    fragment measures `empty`: the spec's rules report those."""

    def __init__(self, lookup: Callable[[str], FragmentDefinitionNode | None],
                 measure: Callable[[FragmentDefinitionNode], V], empty: V) -> None:
        self.lookup, self.measure, self.empty = lookup, measure, empty
        self.known: dict[str, V] = {}
        self.entered: set[str] = set()

    def __call__(self, name: str) -> V:
        if name in self.known:
            return self.known[name]
        fragment = self.lookup(name)
        if fragment is None or name in self.entered:
            return self.empty
        self.entered.add(name)
        value = self.measure(fragment)
        self.entered.discard(name)
        self.known[name] = value
        return value


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """Strawberry's QueryDepthLimiter (same depth, same message), linear in the document's size."""

    class DepthLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            fragment_depth = _FragmentMemo(_fragments(node).get, lambda fragment: depth(fragment.selection_set), 0)

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
            fragment_aliases = _FragmentMemo(_fragments(node).get, lambda fragment: aliases(fragment.selection_set), 0)

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


def _literal_defaults(operation: OperationDefinitionNode) -> dict[str, int]:
    """The operation's variables whose default is an integer or a list: `query ($first: Int = 10)`."""
    defaults = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode):
            defaults[definition.variable.name.value] = int(default.value)
        elif isinstance(default, ListValueNode):
            defaults[definition.variable.name.value] = len(default.values)
    return defaults


def _size_argument(node: FieldNode, field: GraphQLField, values: Mapping[str, int]) -> int | None:
    """The page size a field asks for: the smaller of `first`/`last` (a variable at its value, or MAX_PAGE_SIZE
    when it has none; `null` too), the number of `ids`, or else the default of its `first` argument
    (`relatedTags`: 10)."""
    sizes: list[int] = []
    for argument in node.arguments or ():
        name, value = argument.name.value, argument.value
        if name not in ("first", "last", "ids"):
            continue
        if isinstance(value, VariableNode):
            size = values.get(value.name.value, MAX_PAGE_SIZE)
        elif name == "ids":
            size = len(value.values) if isinstance(value, ListValueNode) else MAX_PAGE_SIZE
        else:
            size = int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE_SIZE
        sizes.append(min(max(0, size), MAX_PAGE_SIZE))  # a larger page is refused by its resolver (BAD_USER_INPUT)
    if not sizes:
        default = getattr(field.args.get("first"), "default_value", None)
        if isinstance(default, int) and not isinstance(default, bool):
            sizes.append(max(0, default))
    return min(sizes) if sizes else None
