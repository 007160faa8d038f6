"""Direct resolvers for simple fields: same results, a fraction of Strawberry's per-field cost.

Strawberry wraps every field in a generic chain. A field without a resolver goes
through `_get_basic_result` → `StrawberryField.get_result` → two properties →
`getattr(source, python_name)`; a method field through argument conversion (each
argument's GraphQL name camel-cased again on every call), a fresh `Info` built
from keywords, field extensions folded with `functools.reduce` and `partial`s per
call. For a synchronous field without field extensions, permissions or exception
handlers, the chain ends in `getattr(source, name)`, `method(source)`, or the
method called with its arguments converted by Strawberry's `convert_argument`
and `source`/`Info` where it asks for them. Measured on the nested page query
(~850 fields), the chain was about a third of the time.

`shortcut_plain_resolvers` puts that direct call in place of the chain on the
graphql-core fields of a built schema. Schema extensions' `resolve` hooks still
apply: graphql-core's middleware wraps whatever resolver a field has.

`skip_type_checks` drops the `is_type_of` check Strawberry gives every type that
implements an interface: graphql-core calls it for each object it completes (a
Python call per event and per tag of a page), and our resolvers return the
objects their annotations name. The `Node` interface tells types apart by class
(`types.Node.resolve_type`), not by these checks.

`LeanInfoExecutionContext` builds the per-field resolve info graphql-core needs
(~850 a page) without the Python-level `__new__` of its named tuple;
`SpeedExecutionContext` adds stack.py's room to recurse.

All of this reaches into Strawberry's and graphql-core's internals: build_schema uses
it only while internals.py's switch and version check allow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, _OperationContextAwareGraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_argument
from strawberry.types.field import StrawberryField

from newsgraph.api.stack import RoomyExecutionContext

_new_tuple = tuple.__new__


def shortcut_plain_resolvers(schema: strawberry.Schema) -> int:
    """Give every plain field (attribute or method) a direct resolver; how many were changed."""
    converter = schema.schema_converter
    changed = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or converter._get_field_exception_handlers(field):
                continue
            if _is_plain_attribute(field):
                graphql_field.resolve = _attribute(field.python_name)
            elif _is_plain_method(field):
                graphql_field.resolve = _direct(field, schema)
            else:
                continue
            changed += 1
    return changed


def skip_type_checks(schema: strawberry.Schema) -> int:
    """Remove `is_type_of` from every object type of a built schema; how many had one."""
    skipped = 0
    for graphql_type in schema._schema.type_map.values():
        if isinstance(graphql_type, GraphQLObjectType) and graphql_type.is_type_of is not None:
            graphql_type.is_type_of = None
            skipped += 1
    return skipped


def _is_plain_attribute(field: StrawberryField) -> bool:
    """A field read straight off its source with `getattr`, as Strawberry's default resolver does."""
    return field.is_basic_field and field.default_resolver is getattr and not getattr(field, "permission_classes", None)


def _is_plain_method(field: StrawberryField) -> bool:
    """A synchronous resolver Strawberry would call with nothing in between but argument conversion."""
    resolver = field.base_resolver
    return (
        resolver is not None
        and not field.is_async
        and not field.is_subscription
        and not field.extensions
        and not getattr(field, "permission_classes", None)
        and callable(resolver.wrapped_func)
    )


def _attribute(name: str) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _direct(field: StrawberryField, schema: strawberry.Schema) -> Callable[..., Any]:
    """`method(source)` for a method of `self` alone; else the call Strawberry's `get_arguments` builds."""
    resolver = field.base_resolver
    method = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    source_names = [parameter.name for parameter in (resolver.root_parameter, resolver.parent_parameter) if parameter]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if takes_self and not source_names and info_name is None and not field.arguments:

        def resolve(source: Any, info: Any) -> Any:
            return method(source)

        return resolve

    config, registry, info_class = schema.config, schema.schema_converter.scalar_registry, schema.config.info_class
    # (GraphQL name, Python name, type) of each argument, worked out once instead of on every call
    arguments = [(config.name_converter.from_argument(argument), argument.python_name, argument.type)
                 for argument in field.arguments]

    def resolve_with_arguments(source: Any, info: Any, **values: Any) -> Any:
        strawberry_info = info_class(info, field)
        kwargs = {
            python_name: convert_argument(values[name], kind, registry, config, strawberry_info, path=(name,))
            for name, python_name, kind in arguments
            if name in values
        }
        for name in source_names:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        return method(source, **kwargs) if takes_self else method(**kwargs)

    return resolve_with_arguments


class LeanInfoExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, its resolve info made by `tuple.__new__`: the same tuple, one frame less."""

    def build_resolve_info(
        self, field_def: GraphQLField, field_nodes: list[FieldNode], parent_type: GraphQLObjectType, path: Path
    ) -> GraphQLResolveInfo:
        return _new_tuple(  # type: ignore[return-value]  # the fields and order of Strawberry's build_resolve_info
            _OperationContextAwareGraphQLResolveInfo,
            (
                field_nodes[0].name.value,
                field_nodes,
                field_def.type,
                parent_type,
                path,
                self.schema,
                self.fragment_definitions,
                self.root_value,
                self.operation,
                self.variable_values.coerced,
                self.context_value,
                self.is_awaitable,
                self.abort_signal,
                self.async_helpers,
                self.operation_extensions,
            ),
        )


class SpeedExecutionContext(RoomyExecutionContext, LeanInfoExecutionContext):
    """Each operation with room to recurse (stack.py), each field's resolve info made cheaply."""
