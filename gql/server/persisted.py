"""Persisted queries: Apollo's automatic persisted queries (APQ) and an opt-in list of trusted documents.

APQ (the protocol of Apollo's PersistedQueryLink, also spoken by urql and others): a
client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query;
an unknown hash answers PERSISTED_QUERY_NOT_FOUND and the client retries with the
text, which is then remembered (a bounded LRU, by bytes) so the next request, over
POST or a cacheable GET, carries only the hash.

Trusted documents (`serve --trusted-documents PATH`): only the listed operations run,
what GitHub and Shopify do for their own clients. PATH is a directory of `.graphql`
files, an Apollo persisted query manifest, or a `{hash: text}` JSON object (GraphQL
Code Generator's `persisted-documents.json`). A hash-only request finds its text in
the list, never in the APQ cache; a text is accepted when its sha256 is listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from newsgraph.api import BoundedCache
from newsgraph.server.errors import BAD_REQUEST, PERSISTED_QUERY_NOT_IN_LIST, RequestRefused

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
DEFAULT_APQ_BYTES = 16_000_000


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedQueryNotFound(RequestRefused):
    """The hash is not known: Apollo's link (and any APQ client) retries with the text."""

    def __init__(self, status: int) -> None:
        super().__init__(status, "PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)


def _documents_in(path: Path) -> dict[str, str]:
    """{id: text} of a trusted documents directory or manifest; ValueError says what is wrong with it."""
    if path.is_dir():
        texts = [file.read_text(encoding="utf-8") for file in sorted(path.rglob("*.graphql"))]
        return {sha256_hex(text): text for text in texts}
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error})") from None
    if isinstance(manifest, dict) and isinstance(manifest.get("operations"), list):  # Apollo's manifest
        pairs = [(operation.get("id"), operation.get("body")) for operation in manifest["operations"]
                 if isinstance(operation, dict)]
    elif isinstance(manifest, dict):  # {hash: text}
        pairs = list(manifest.items())
    else:
        raise ValueError(f"{path}: expected an Apollo persisted query manifest or a {{hash: query}} object")
    documents = {}
    for key, text in pairs:
        if not isinstance(key, str) or not isinstance(text, str):
            raise ValueError(f"{path}: every operation needs a string id and body (found {key!r})")
        documents[key.removeprefix("sha256:")] = text
    return documents


class TrustedDocuments:
    """The operations a server in trusted-documents mode runs, by id and by the sha256 of their text."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.by_id: dict[str, str] = {}
        for key, text in documents.items():
            self.by_id[key] = text
            for form in (text, *_printed_forms(text)):
                self.by_id[sha256_hex(form)] = form  # a hash finds the very text that hashes to it

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        documents = _documents_in(path)
        if not documents:
            raise ValueError(f"{path}: no documents (a directory of .graphql files or a manifest)")
        return cls(documents)

    def text_of(self, digest: str) -> str | None:
        return self.by_id.get(digest)

    def allows(self, text: str) -> bool:
        return sha256_hex(text) in self.by_id


def _printed_forms(text: str) -> list[str]:
    """The document as graphql-js prints it, bare and with Apollo Client's `__typename`s: what Apollo's link
    hashes for a `gql` document (its cache adds `__typename` to every selection set below the operation's)."""
    try:
        document = parse(text)
    except GraphQLSyntaxError:
        return []
    return [print_ast(document), print_ast(visit(document, _ApolloTypenames()))]


class _ApolloTypenames(Visitor):
    """Apollo Client's `addTypenameToDocument`: `__typename` last in each selection set but the operation's own,
    unless the set already asks for a `__`-field."""

    def enter_selection_set(self, node: SelectionSetNode, _key: Any, parent: Any, *_args: Any) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode) or any(
                isinstance(selection, FieldNode) and selection.name.value.startswith("__")
                for selection in node.selections):
            return None
        return SelectionSetNode(selections=(*node.selections, FieldNode(name=NameNode(value="__typename"))))


class PersistedQueries:
    """Fills in a request's query text from its hash (APQ or trusted documents); refuses what may not run."""

    def __init__(self, trusted: TrustedDocuments | None = None, apq_bytes: int = DEFAULT_APQ_BYTES) -> None:
        self.trusted = trusted
        self.texts: BoundedCache[str, str] = BoundedCache(apq_bytes, lambda _digest, text: len(text))

    def resolve(self, request: GraphQLRequestData, not_found_status: int) -> GraphQLRequestData:
        digest = _requested_digest(request)
        if digest is None:
            return request
        if request.query is not None:
            if sha256_hex(request.query) != digest:
                raise RequestRefused(400, "provided sha does not match query", BAD_REQUEST)
            if self.trusted is None:
                self.texts.put(digest, request.query)
            return request
        text = self.trusted.text_of(digest) if self.trusted is not None else self.texts.get(digest)
        if text is None:
            if self.trusted is not None:
                raise RequestRefused(not_found_status, f"no trusted document has the id {digest}",
                                     PERSISTED_QUERY_NOT_FOUND)
            raise PersistedQueryNotFound(not_found_status)
        return replace(request, query=text)


def _requested_digest(request: GraphQLRequestData) -> str | None:
    """The sha256 a request's `extensions.persistedQuery` names, lower-case hex; None when it names none."""
    persisted = (request.extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise RequestRefused(400, "unsupported persistedQuery version: only version 1 is", BAD_REQUEST)
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise RequestRefused(400, "a persisted query's hash must be 64 hexadecimal digits (sha256)", BAD_REQUEST)
    return digest.lower()


def _only_introspection(text: str) -> bool:
    """True for a document whose operations read nothing but `__schema`, `__type` and `__typename` (the playground's docs)."""
    try:
        document: DocumentNode = parse(text, max_tokens=5_000)
    except GraphQLSyntaxError:
        return False
    operations = [definition for definition in document.definitions if isinstance(definition, OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, FieldNode) and selection.name.value.startswith("__")
        for operation in operations for selection in operation.selection_set.selections
    )


class TrustedOnly(SchemaExtension):
    """Refuses, before parsing, any operation whose text is not a trusted document, on every transport.

    Introspection-only documents pass (the playground needs them), unless the server refuses introspection.
    """

    def __init__(self, trusted: TrustedDocuments) -> None:
        super().__init__()
        self.trusted = trusted

    def on_parse(self) -> Iterator[None]:
        text = self.execution_context.query
        if text is not None and not self.trusted.allows(text) and not _only_introspection(text):
            raise GraphQLError("this server runs only trusted documents: send the id (sha256) of one of them "
                               "in extensions.persistedQuery", extensions={"code": PERSISTED_QUERY_NOT_IN_LIST})
        yield
