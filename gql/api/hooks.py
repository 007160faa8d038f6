"""Strawberry's schema-extension hooks, with what each extension class offers worked out once.

For every request Strawberry builds a context manager per lifecycle step (operation,
parse, validate, execute), and each asks every extension for its hook: is the method
overridden, is it a generator function (`inspect`), then `contextlib.contextmanager`
around a freshly bound method, a new function with `functools.update_wrapper` run
on it. What that finds depends only on the extension's class, so here it is found
once per class and step; a request only binds the result to its extension instance.
The hooks run exactly as before: same order, same context managers.

`FoundOnceSchema` puts that runner on a schema, and gives graphql-core no middleware
when no extension has a `resolve` hook (Strawberry's empty `MiddlewareManager` still
costs a wrapping call per field). Both reach into Strawberry's internals: used only
while internals.py's switch and version check allow.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

_PER_CALL = object()  # a hook Strawberry wraps anew on each call (a plain or async function): left to it

# (extension class, hook name) → None (no hook), _PER_CALL, or (context manager factory, is async)
_found: dict[tuple[type, str], Any] = {}


def _hook_of(kind: type[SchemaExtension], name: str) -> Any:
    hook: Callable[..., Any] = getattr(kind, name)
    if hook is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return _PER_CALL


class _FoundOnce(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        key = (type(extension), self.HOOK_NAME)
        try:
            found = _found[key]
        except KeyError:
            found = _found[key] = _hook_of(*key)
        if found is None:
            return None
        if found is _PER_CALL:
            return super().get_hook(extension)
        factory, is_async = found
        return WrappedHook(extension=extension, hook=partial(factory, extension), is_async=is_async)


class _OperationHooks(_FoundOnce, OperationContextManager):
    pass


class _ParsingHooks(_FoundOnce, ParsingContextManager):
    pass


class _ValidationHooks(_FoundOnce, ValidationContextManager):
    pass


class _ExecutingHooks(_FoundOnce, ExecutingContextManager):
    pass


class HooksFoundOnce(SchemaExtensionsRunner):
    """Strawberry's runner, its four lifecycle steps' hooks looked up once per extension class."""

    def operation(self) -> OperationContextManager:
        return _OperationHooks(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _ParsingHooks(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _ValidationHooks(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _ExecutingHooks(self.extensions)


class FoundOnceSchema(strawberry.Schema):
    """Put first among a schema class's bases: its extensions' hooks found once, no empty middleware."""

    def create_extensions_runner(self, execution_context, extensions):  # noqa: ANN001, ANN201 - Strawberry's signature
        return HooksFoundOnce(execution_context=execution_context, extensions=extensions)

    def _get_middleware_manager(self, extensions):  # noqa: ANN001, ANN202 - Strawberry's signature
        """None when no extension has a `resolve` hook: graphql-core then skips a wrapping call per field."""
        manager = super()._get_middleware_manager(extensions)
        return manager if manager.middlewares else None
