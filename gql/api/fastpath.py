"""Direct resolvers for simple fields: same results, a fraction of Strawberry's per-field cost.

Strawberry wraps every field in a generic chain. A field without a resolver goes
through `_get_basic_result` → `StrawberryField.get_result` → two properties →
`getattr(source, python_name)`; a method field through argument conversion, a
fresh `Info` built from keywords, field extensions folded with `functools.reduce`
and `partial`s per call. For a field with no GraphQL arguments, no field
extensions, permissions or exception handlers, the chain ends in
`getattr(source, name)`, `method(source)` or `method(source, Info(...))`.
Measured on the nested page query (~850 fields), the chain was about a third of
the time.

`shortcut_plain_resolvers` puts that direct call in place of the chain on the
graphql-core fields of a built schema. Schema extensions' `resolve` hooks still
apply: graphql-core's middleware wraps whatever resolver a field has.

`LeanInfoExecutionContext` builds the per-field resolve info graphql-core needs
(~850 a page) without the Python-level `__new__` of its named tuple.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, _OperationContextAwareGraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_new_tuple = tuple.__new__


def shortcut_plain_resolvers(schema: strawberry.Schema) -> int:
    """Give every plain field (attribute or method) a direct resolver; how many were changed."""
    converter = schema.schema_converter
    info_class = schema.config.info_class
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
                graphql_field.resolve = _direct(field, info_class)
            else:
                continue
            changed += 1
    return changed


def _is_plain_attribute(field: StrawberryField) -> bool:
    """A field read straight off its source with `getattr`, as Strawberry's default resolver does."""
    return field.is_basic_field and field.default_resolver is getattr and not getattr(field, "permission_classes", None)


def _is_plain_method(field: StrawberryField) -> bool:
    resolver = field.base_resolver
    return (
        resolver is not None
        and not field.is_async
        and not field.is_subscription
        and not field.extensions
        and not getattr(field, "permission_classes", None)
        and not field.arguments
        and resolver.self_parameter is not None
        and resolver.root_parameter is None
        and resolver.parent_parameter is None
        and callable(resolver.wrapped_func)
        and _info_is_second(resolver.wrapped_func, resolver.info_parameter)
    )


def _info_is_second(method: Callable[..., Any], info_parameter: inspect.Parameter | None) -> bool:
    """No `info`, or `info` right after `self` and passable by position (`method(source, info)`)."""
    if info_parameter is None:
        return True
    parameters = list(inspect.signature(method).parameters.values())
    return (
        len(parameters) == 2
        and parameters[1].name == info_parameter.name
        and parameters[1].kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    )


def _attribute(name: str) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _direct(field: StrawberryField, info_class: type) -> Callable[..., Any]:
    method = field.base_resolver.wrapped_func
    if field.base_resolver.info_parameter is None:

        def resolve(source: Any, info: Any) -> Any:
            return method(source)

        return resolve

    def resolve_with_info(source: Any, info: Any) -> Any:
        return method(source, info_class(info, field))

    return resolve_with_info


class LeanInfoExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, its resolve info made by `tuple.__new__`: the same tuple, one frame less."""

    def build_resolve_info(
        self, field_def: GraphQLField, field_nodes: list[FieldNode], parent_type: GraphQLObjectType, path: Path
    ) -> GraphQLResolveInfo:
        return _new_tuple(  # type: ignore[return-value] - the fields and order of Strawberry's build_resolve_info
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
