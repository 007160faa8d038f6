"""How a compiled plan reads one field off its source: the resolver Strawberry would call, found once per schema.

Strawberry wraps every field in a generic chain (argument conversion, a fresh `Info`, field
extensions, exception handlers) that graphql-core runs for each object. For a synchronous field
with no extensions, permissions or exception handlers, that chain ends in `getattr(source, name)`
or a call of the resolver function with the source as `self`/`root`/`parent`, the converted
arguments and the `Info`. A `Reader` is that call and nothing else; the arguments and the `Info`
are worked out once per request and field (`Reader.bind`), not once per object.

A field Strawberry does not define (introspection), or that needs its chain, has no reader: the
operation falls back to the reference path. Strawberry's field definitions are reached through
`GraphQLCoreConverter.DEFINITION_BACKREF`, a private name: see internals.py.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

Plain = Callable[[Any], Any]  # source → the field's value, for a field with no arguments and no `Info`
Read = Callable[[Any, Mapping[str, Any]], Any]  # (source, bound keyword arguments) → the field's value


@dataclass(frozen=True)
class Reader:
    """One field's direct read: `plain(source)`, or else `read(source, kwargs)` with `kwargs` from `bind` per request."""

    field: StrawberryField
    plain: Plain | None  # set when the field takes no arguments and no `Info`
    read: Read | None  # set otherwise
    info_name: str | None
    info_class: Any
    convert: Callable[[dict[str, Any], Any], dict[str, Any]]

    def bind(self, raw_info: Callable[[], GraphQLResolveInfo], arguments: dict[str, Any] | None = None,
             converted: dict[str, Any] | None = None) -> dict[str, Any]:
        """The resolver's keyword arguments: coerced GraphQL `arguments` converted as Strawberry would (or arguments
        `converted` before, a literal's, once per plan), with this run's `Info` where the resolver asks for one."""
        info = self.info_class(raw_info(), self.field) if self.info_name is not None else None
        kwargs = dict(converted) if converted is not None else self.convert(arguments or {}, info)
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return kwargs


class Unsupported(Exception):
    """A field or an operation a plan does not compile; the operation runs through the reference path."""


def readers_of(schema: Any) -> dict[tuple[str, str], Reader]:
    """The reader of every field of a built Strawberry schema's object types that has one."""
    found: dict[tuple[str, str], Reader] = {}
    converter = schema.schema_converter
    config, registry = schema.config, converter.scalar_registry
    for graphql_type in schema._schema.type_map.values():  # noqa: SLF001 - see internals.graphql_schema
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, graphql_field in graphql_type.fields.items():
            field = _strawberry_field(graphql_field)
            if field is None or converter._get_field_exception_handlers(field):  # noqa: SLF001
                continue
            reader = _reader(field, config, registry)
            if reader is not None:
                found[graphql_type.name, name] = reader
    return found


def _strawberry_field(graphql_field: GraphQLField) -> StrawberryField | None:
    field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return field if isinstance(field, StrawberryField) else None


def _reader(field: StrawberryField, config: Any, registry: Any) -> Reader | None:
    if getattr(field, "permission_classes", None) or field.extensions:
        return None

    def convert(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
        return convert_arguments(arguments, field.arguments, scalar_registry=registry, config=config, info=info)

    def reader(plain: Plain | None, read: Read | None, info_name: str | None = None) -> Reader:
        return Reader(field, plain, read, info_name, config.info_class, convert)

    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        attribute = operator.attrgetter(field.python_name)
        return reader(attribute, None)
    if field.is_async or field.is_subscription or not callable(resolver.wrapped_func):
        return None
    method = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    source_names = [parameter.name for parameter in (resolver.root_parameter, resolver.parent_parameter) if parameter]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if takes_self and not source_names:
        if not field.arguments and info_name is None:
            return reader(method, None)
        return reader(None, lambda source, kwargs: method(source, **kwargs), info_name)

    def read(source: Any, kwargs: Mapping[str, Any]) -> Any:
        sources = dict.fromkeys(source_names, source)
        return method(source, **kwargs, **sources) if takes_self else method(**kwargs, **sources)

    return reader(None, read, info_name)
