"""The work before execution, done once per query text: parse (with a token limit) and validate.

One extension does what Strawberry spreads over four (MaxTokensLimiter,
AddValidationRules, ParserCache and ValidationCache): every extension costs hook
set-up on every request, whatever it does.

Validation is cached by the query text, not by the parsed document as Strawberry's
ValidationCache does: a document is a frozen dataclass whose hash walks the whole
tree, on every request, while a string's hash is computed once. A document is a function of its text (the parse
options are the schema's), so the text names the same validation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache, partial
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension

from newsgraph.api.errors import GRAPHQL_PARSE_FAILED, OPERATION_RESOLUTION_FAILURE
from newsgraph.api.internals import graphql_schema, provided_operation_name, validate_document
from newsgraph.api.limits import page_values, query_cost_rule

Rules = tuple[type[ASTValidationRule], ...]


class _ByText:
    """A parsed document as a cache key: hashed and compared by the text it was parsed from."""

    __slots__ = ("document", "text")

    def __init__(self, text: str, document: DocumentNode) -> None:
        self.text = text
        self.document = document

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByText) and other.text == self.text


def _validate(schema: GraphQLSchema, keyed: _ByText, rules: Rules) -> list[GraphQLError]:
    return validate_document(schema, keyed.document, rules)


class Preparation:
    """What one schema's requests share: the parse and validation caches, the token limit, our rules.

    The cost limit (`max_cost`) is checked after the other rules, with the request's page
    sizes: a client's `events(first: $first)` costs what `$first` asks for. It is cached by
    the text and those values (`limits.page_values`), so a paging client hits the cache.
    """

    def __init__(self, max_tokens: int, rules: Sequence[type[ASTValidationRule]], maxsize: int = 256,
                 max_cost: int | None = None) -> None:
        self.rules: Rules = tuple(rules)
        self.max_cost = max_cost
        self.parse = lru_cache(maxsize)(partial(parse, max_tokens=max_tokens))
        self._validate = lru_cache(maxsize)(_validate)
        self._cost = lru_cache(maxsize)(self._cost_errors)

    def operation_type(self, text: str, operation_name: str | None) -> OperationType | None:
        """The type of the operation a request names, parsed through this cache (so Prepare finds it parsed);
        None when the text does not parse within the token limit or names no such operation (the request's
        own parse and validation then say why)."""
        try:
            document = self.parse(text)
        except GraphQLError:
            return None
        chosen = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)
                  and (operation_name is None or (node.name is not None and node.name.value == operation_name))]
        return chosen[0].operation if chosen else None

    def validate(self, schema: GraphQLSchema, text: str | None, document: DocumentNode, rules: Rules,
                 variables: Mapping[str, Any] | None = None) -> list[GraphQLError]:
        """Errors of `document` (parsed from `text`) under `rules` and ours; cached when the text is known."""
        rules = (*rules, *self.rules)
        if text is None:  # a document given without its text: nothing cheap to key on
            errors = validate_document(schema, document, rules)
            return errors or self._cost_errors(schema, _ByText("", document), page_values(variables))
        return self._validate(schema, _ByText(text, document), rules) or self._cost(
            schema, _ByText(text, document), page_values(variables))

    def _cost_errors(self, schema: GraphQLSchema, keyed: _ByText, values: tuple[tuple[str, int], ...]
                     ) -> list[GraphQLError]:
        if self.max_cost is None:
            return []
        return validate_document(schema, keyed.document, (query_cost_rule(self.max_cost, variables=values),))


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)


class Prepare(SchemaExtension):
    """A request's parse and validation, through its schema's `Preparation`."""

    def __init__(self, preparation: Preparation) -> None:
        super().__init__()
        self.preparation = preparation

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None:
            try:
                context.graphql_document = self.preparation.parse(context.query)
            except GraphQLSyntaxError as error:
                # Raised in this hook, it leaves the operation before `ErrorCodes` sees a result: coded here.
                error.extensions = {**(error.extensions or {}), "code": GRAPHQL_PARSE_FAILED}
                raise
        if provided_operation_name(context) is None and _operation_count(context.graphql_document) > 1:
            # Strawberry would run the first operation; the spec asks for this error (graphql-core's wording)
            raise GraphQLError("Must provide operation name if query contains multiple operations.",
                               extensions={"code": OPERATION_RESOLUTION_FAILURE})
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = self.preparation.validate(
            graphql_schema(context.schema), context.query, context.graphql_document,  # type: ignore[arg-type]  # parsed by now
            context.validation_rules,
            context.variables,
        )
        yield
