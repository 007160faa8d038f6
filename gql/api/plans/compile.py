"""An operation compiled into nested closures that build its response dicts directly.

graphql-core's `execute` interprets the document for every object it completes: it looks up
the field definition, builds a resolve info, coerces the arguments, wraps the resolver and
dispatches on the return type, once per field of every object. A plan does that work once per
operation: each field of the selection set becomes a `Step` that calls the field's reader
(readers.py) and completes the value with a completer chosen for its return type. At run time
a page of events costs a Python call or two per field.

The semantics are graphql-core's, step for step (the differential test holds the two equal):
fields are collected by graphql-core's own `collect_fields`/`collect_subfields` (fragments,
type conditions, `@skip`/`@include`); arguments are coerced by its `get_argument_values`, once
per request and field; a failed field is located (message, path, nodes) and nulls its nearest
nullable parent, with the same messages for nulls in non-null positions and invalid leaves.
Two things are not repeated: `is_type_of` (resolvers return the objects their annotations
name) and a resolver returning an Exception instance (ours raise). An `Info` handed to a
resolver is built once per request and field, so its `path` is that of the first object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, inspect, is_iterable

from newsgraph.api.plans.readers import Reader, Unsupported

# A completer turns a resolved value into its response form; `path` is the value's own path.
Complete = Callable[[Any, Any, "Run"], Any]
# A step resolves one field of a source object and completes it; `path` is the source's path.
Step = Callable[[Any, Any, "Run"], Any]
# Paths are chains of tuples, (parent path, key) with None at the root: cheaper to make than
# graphql-core's `Path`, which is built from one only where a resolve info or an error needs it.

_EXACT_LEAVES = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}  # output coercion leaves these unchanged


def path_list(path: Any) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


def graphql_path(path: Any) -> Path | None:
    built = None
    for key in path_list(path):
        built = Path(built, key, None)
    return built


class Run:
    """One execution of a plan: the executor it runs in, its errors, and what is bound once per request."""

    __slots__ = ("bound", "errors", "executor")

    def __init__(self, executor: Any, bindings: int) -> None:
        self.executor = executor
        self.errors: list[GraphQLError] = []
        self.bound: list[Any] = [None] * bindings

    def field_error(self, error: Exception, nodes: list[Any], path: Any, non_null: bool) -> Any:
        """Locate a field's error; raise it on to the nearest nullable parent, or keep it and give null."""
        located = located_error(error, nodes, path_list(path))
        if non_null:
            raise located
        self.errors.append(located)


class Compiler:
    """Compiles one operation of a request's executor (its schema, fragments and variable values)."""

    def __init__(self, executor: Any, readers: dict[tuple[str, str], Reader]) -> None:
        self.executor = executor
        self.readers = readers
        self.bindings = 0  # how many (field, request) values a run binds: arguments, infos

    def root(self, operation: OperationDefinitionNode) -> Callable[[Any, Any, Run], dict[str, Any]]:
        executor = self.executor
        root_type = executor.schema.get_root_type(operation.operation)
        if root_type is None:
            raise Unsupported(f"no root type for {operation.operation.value}")
        try:
            collected = collect_fields(executor.schema, executor.fragments, executor.variable_values, root_type,
                                       operation, executor.hide_suggestions)
        except GraphQLError as error:  # e.g. a null for @include's `if`: the operation fails, as in graphql-core
            return _raising(error)
        return self._fields(root_type, collected.grouped_field_set)

    def _object(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> Callable[[Any, Any, Run], dict]:
        executor = self.executor
        try:
            collected = collect_subfields(executor.schema, executor.fragments, executor.variable_values,
                                          executor.operation, object_type, details, executor.hide_suggestions)
        except GraphQLError as error:  # graphql-core meets it completing the object: a field error there
            return _raising(error)
        return self._fields(object_type, collected.grouped_field_set)

    def _fields(self, object_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> Any:
        steps = [(key, self._step(object_type, key, details)) for key, details in grouped.items()]

        def fields(source: Any, path: Any, run: Run) -> dict[str, Any]:
            result = {}
            for key, step in steps:
                result[key] = step(source, path, run)
            return result

        return fields

    def _step(self, parent: GraphQLObjectType, key: str, details: list[FieldDetails]) -> Step:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return lambda _source, _path, _run: type_name
        field_def = parent.fields.get(name)
        reader = self.readers.get((parent.name, name))
        if field_def is None or reader is None:
            raise Unsupported(f"{parent.name}.{name} has no direct reader")
        if any(detail.fragment_variable_values is not None for detail in details):
            raise Unsupported("fragment arguments")
        return_type = field_def.type
        nodes = [detail.node for detail in details]
        non_null = is_non_null_type(return_type)
        complete = self._completer(return_type, details, parent, name)
        plain = reader.plain  # a field without arguments: validation let none through
        if is_leaf_type(_named(return_type)):
            exact = _EXACT_LEAVES.get(_named(return_type))
            if plain is not None:

                def plain_leaf_step(source: Any, path: Any, run: Run) -> Any:
                    try:
                        value = plain(source)
                        return value if type(value) is exact else complete(value, path, run)
                    except Exception as error:  # noqa: BLE001 - every field error is located, as graphql-core does
                        return run.field_error(error, nodes, (path, key), non_null)

                return plain_leaf_step
            read = self._bound_read(reader, field_def, details[0], parent)

            def leaf_step(source: Any, path: Any, run: Run) -> Any:
                try:
                    value = read(source, run, (path, key))
                    return value if type(value) is exact else complete(value, path, run)
                except Exception as error:  # noqa: BLE001 - every field error is located, as graphql-core does
                    return run.field_error(error, nodes, (path, key), non_null)

            return leaf_step
        if plain is not None:

            def plain_composite_step(source: Any, path: Any, run: Run) -> Any:
                own = (path, key)
                try:
                    return complete(plain(source), own, run)
                except Exception as error:  # noqa: BLE001 - every field error is located, as graphql-core does
                    return run.field_error(error, nodes, own, non_null)

            return plain_composite_step
        read = self._bound_read(reader, field_def, details[0], parent)

        def composite_step(source: Any, path: Any, run: Run) -> Any:
            own = (path, key)
            try:
                return complete(read(source, run, own), own, run)
            except Exception as error:  # noqa: BLE001 - every field error is located, as graphql-core does
                return run.field_error(error, nodes, own, non_null)

        return composite_step

    def _bound_read(self, reader: Reader, field_def: Any, first: FieldDetails, parent: GraphQLObjectType) -> Any:
        """`read(source, run, path)`: the field's value, its arguments and `Info` bound once per run."""
        slot = self.bindings
        self.bindings += 1
        read = reader.read
        if read is None:  # pragma: no cover - a reader without `plain` always has `read` (readers.py)
            raise Unsupported(f"{parent.name}.{first.node.name.value} has no read")
        nodes = [first.node]

        # Arguments written as literals convert to the same values in every run: converted once, on first use
        # (without an `Info`, which only an input type's `from_input` hook would read; ours have none).
        literal = not any(_variables_in(argument.value) for argument in first.node.arguments or ())
        converted_once: list[dict[str, Any]] = []

        def bind(run: Run, path: Any) -> dict[str, Any]:
            executor = run.executor

            def raw_info() -> GraphQLResolveInfo:
                return executor.build_resolve_info(field_def, nodes, parent, graphql_path(path))

            if converted_once:
                kwargs = reader.bind(raw_info, converted=converted_once[0])
            else:
                arguments = (get_argument_values(field_def, first.node, executor.variable_values,
                                                 first.fragment_variable_values, executor.hide_suggestions)
                             if field_def.args or first.node.arguments else {})
                if literal:
                    converted_once.append(reader.convert(arguments, None))
                    kwargs = reader.bind(raw_info, converted=converted_once[0])
                else:
                    kwargs = reader.bind(raw_info, arguments)
            run.bound[slot] = kwargs
            return kwargs

        def read_bound(source: Any, run: Run, path: Any) -> Any:
            kwargs = run.bound[slot]
            return read(source, kwargs if kwargs is not None else bind(run, path))

        return read_bound

    def _completer(self, return_type: GraphQLOutputType, details: list[FieldDetails], parent: GraphQLObjectType,
                   name: str) -> Complete:
        """The completer of a value of `return_type` (of field `name` of `parent`); a non-null type's raises
        graphql-core's error for a null."""
        null_error = None
        if isinstance(return_type, GraphQLNonNull):
            null_error = f"Cannot return null for non-nullable field {parent.name}.{name}."
            return_type = return_type.of_type
        if is_list_type(return_type):
            return self._list(return_type, details, parent, name, null_error)
        if is_leaf_type(return_type):
            return _leaf(return_type, null_error)
        if is_abstract_type(return_type):
            return self._abstract(return_type, details, parent, name, null_error)
        if is_object_type(return_type):
            fields = self._object(return_type, details)

            def object_value(value: Any, path: Any, run: Run) -> Any:
                if value is None or value is Undefined:
                    return _null(null_error)
                return fields(value, path, run)

            return object_value
        raise Unsupported(f"output type {return_type}")  # pragma: no cover - every output type is handled above

    def _list(self, list_type: GraphQLList, details: list[FieldDetails], parent: GraphQLObjectType, name: str,
              null_error: str | None) -> Complete:
        item_type = list_type.of_type
        item = self._completer(item_type, details, parent, name)
        item_non_null = is_non_null_type(item_type)
        nodes = [detail.node for detail in details]
        exact = _EXACT_LEAVES.get(item_type.of_type if item_non_null else item_type)
        not_iterable = f"Expected Iterable, but did not find one for field '{parent.name}.{name}'."

        def list_value(value: Any, path: Any, run: Run) -> Any:
            if value is None or value is Undefined:
                return _null(null_error)
            if type(value) is not list and not is_iterable(value):
                raise GraphQLError(not_iterable)
            completed: list[Any] = []
            append = completed.append
            for index, each in enumerate(value):
                if type(each) is exact:
                    append(each)
                    continue
                try:
                    append(item(each, (path, index), run))
                except Exception as error:  # noqa: BLE001 - located at the item, as graphql-core does
                    append(run.field_error(error, nodes, (path, index), item_non_null))
            return completed

        return list_value

    def _abstract(self, abstract: GraphQLAbstractType, details: list[FieldDetails], parent: GraphQLObjectType,
                  name: str, null_error: str | None) -> Complete:
        """The value's runtime type told by the type's `resolve_type`, then that type's compiled fields."""
        schema = self.executor.schema
        resolve_type = abstract.resolve_type or self.executor.type_resolver
        by_type = {possible.name: self._object(possible, details) for possible in schema.get_possible_types(abstract)}
        field_def = parent.fields[name]
        nodes = [detail.node for detail in details]

        def abstract_value(value: Any, path: Any, run: Run) -> Any:
            if value is None or value is Undefined:
                return _null(null_error)
            info = run.executor.build_resolve_info(field_def, nodes, parent, graphql_path(path))
            name = resolve_type(value, info, abstract)
            fields = by_type.get(name) if isinstance(name, str) else None
            if fields is None:  # graphql-core's error for what it resolved to
                run.executor.ensure_valid_runtime_type(name, abstract, details, info, value)
                raise GraphQLError(f"Runtime Object type '{name}' is not a possible type for '{abstract}'.", nodes)
            return fields(value, path, run)

        return abstract_value


def _raising(error: GraphQLError) -> Callable[[Any, Any, Run], Any]:
    """Fields that fail with `error` each time they are completed (a fresh copy each time, as graphql-core makes)."""

    def fail(_source: Any, _path: Any, _run: Run) -> Any:
        raise GraphQLError(error.message, error.nodes, error.source, error.positions, error.path, error.original_error,
                           error.extensions)

    return fail


def _null(null_error: str | None) -> None:
    if null_error is not None:
        raise TypeError(null_error)


def _leaf(leaf_type: Any, null_error: str | None) -> Complete:
    exact = _EXACT_LEAVES.get(leaf_type)
    coerce = leaf_type.coerce_output_value

    def leaf_value(value: Any, _path: Any, _run: Run) -> Any:
        if value is None or value is Undefined:
            return _null(null_error)
        if type(value) is exact:
            return value
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(f"Expected `{inspect(leaf_type)}.coerce_output_value({inspect(value)})` to return"
                            f" non-nullable value, returned: {inspect(coerced)}")
        return coerced

    return leaf_value


def _variables_in(value: Any) -> bool:
    """Whether an argument's AST value reads a variable anywhere inside it."""
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_variables_in(each) for each in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_variables_in(field.value) for field in value.fields)
    return False


def _named(output_type: Any) -> Any:
    while isinstance(output_type, (GraphQLNonNull, GraphQLList)):
        output_type = output_type.of_type
    return output_type
