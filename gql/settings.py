"""Every setting of `newsgraph`, written once: name, type, default, flag, environment variable, help, range.

The rest reads from here: the command line makes its options from `specs()`
(newsgraph.cli.options), `QueryLimits`, `ServerSettings`, `LoadOptions`, `ParseLimits` and
`EventStore` take their defaults from `DEFAULTS`, `newsgraph serve` hands its settings to the
worker processes as JSON (`to_json` / `from_json`), and tests/test_settings.py checks the
docs/cli.md's Configuration table and `--help` against them.

Every setting with a flag can also be given as `NEWSGRAPH_<NAME>` (click reads it, a flag wins,
a bad value is a usage error naming the variable); the token has no flag (a secret does not
belong on a command line, where `ps` shows it) and is read from the environment by each process
that needs it, never handed over in the JSON.

Standard library only: the command line imports this before anything else, and so does every
worker process.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "ENV_PREFIX", "EVERY_COMMAND", "Settings", "Spec", "shown", "spec", "specs"]

ENV_PREFIX = "NEWSGRAPH_"
EVERY_COMMAND = ("load", "serve", "query", "export")


def _setting(default: Any, help: str, *, commands: tuple[str, ...] = ("serve",), flag: str | None = "",  # noqa: A002
             minimum: float | None = None, maximum: float | None = None, path: str | None = None,
             secret: bool = False) -> Any:
    """A setting: its default and help; the flag is `--name-with-dashes` unless given (None: no flag);
    `path` says what a Path must be: "file", "dir" or "existing" (a file or a directory that exists)."""
    return field(default=default, repr=not secret, metadata={
        "help": help, "commands": commands, "flag": flag, "minimum": minimum, "maximum": maximum, "path": path,
        "secret": secret})


@dataclass(frozen=True)
class Settings:
    """What `newsgraph` can be told, with the defaults a local user wants (docs/cli.md's Configuration table)."""

    db: Path = _setting(Path("data/newsgraph.json"), "The store file.", commands=EVERY_COMMAND, path="file")
    data: Path = _setting(Path("data/news"), "Archive directory loaded first when the store is missing or older "
                          "than it; watched with --watch.", commands=("serve", "doctor"), path="dir")
    host: str = _setting("127.0.0.1", "Address to listen on.")
    port: int = _setting(8000, "Port to listen on (0: any free port).", minimum=0, maximum=65535)
    workers: int = _setting(1, "Server processes, each with its own socket on Linux (the kernel spreads "
                            "connections over them).", minimum=1)
    watch: bool = _setting(False, "Reload when markdown files under --data change (added, edited, removed).")
    token: str | None = _setting(None, "Enables the mutations; clients send `Authorization: Bearer <token>`.",
                                 flag=None, secret=True)
    cors_origins: tuple[str, ...] = _setting((), "Allowed browser origin, for HTTP and WebSocket (repeatable; "
                                             "'*' for any; in the environment, separated by spaces).",
                                             flag="--cors-origin")
    cors_headers: tuple[str, ...] = _setting((), "A request header browsers may send cross-origin, besides "
                                             "content-type, authorization and Apollo Client's, always allowed "
                                             "(repeatable; in the environment, separated by spaces).",
                                             flag="--cors-header")
    cache_max_age: int = _setting(60, "Seconds browsers and CDNs may reuse a GET query's answer (Cache-Control: "
                                  "public, max-age); 0: revalidate each time.", minimum=0)
    trusted_documents: Path | None = _setting(None, "Run only these operations: a directory of .graphql files, an "
                                              "Apollo persisted query manifest or a {hash: query} JSON file.",
                                              path="existing")
    introspection: bool = _setting(True, "Answer introspection queries (--no-introspection: refuse them, and so "
                                   "the playground's docs).")
    max_depth: int = _setting(15, "Deepest nesting of fields one operation may ask for.", minimum=1)
    max_aliases: int = _setting(50, "Most aliases in one operation.", minimum=0)
    max_tokens: int = _setting(5_000, "Most tokens in one query document.", minimum=1)
    max_cost: int = _setting(1_000_000, "Most fields one query may resolve, estimated before it runs (page sizes "
                             "multiplied); 0: no limit.", minimum=0)
    query_timeout: float = _setting(5.0, "Seconds a query may run before it is stopped with QUERY_TIMEOUT; "
                                    "0: no limit.", minimum=0)
    max_batch: int = _setting(10, "Operations in one batched request.", minimum=1)
    max_body_bytes: int = _setting(1_000_000, "Larger request bodies (and WebSocket messages) are refused with "
                                   "413.", minimum=1)
    max_waiting_queries: int = _setting(32, "Query operations running or queued at once per worker; more get 503 "
                                        "SERVER_BUSY with Retry-After.", minimum=1)
    max_response_bytes: int = _setting(8_000_000, "Larger answers are replaced by a RESPONSE_TOO_LARGE error.",
                                       minimum=1)
    response_cache: bool = _setting(True, "Answer a repeated query (same document, variables, operation name and "
                                    "media type, on the same archive) from memory; --no-response-cache: execute "
                                    "every request (for measuring and debugging).")
    response_cache_bytes: int = _setting(64 * 1024 * 1024, "Bytes of answers (and their keys) the response cache "
                                         "keeps per worker; least recently used out first.", minimum=1)
    max_file_bytes: int = _setting(1_000_000, "Larger files are rejected before they are read.", commands=("load",),
                                   minimum=1)
    max_items: int = _setting(100, "Most items a Source or Related section may hold.", commands=("load",), minimum=1)
    lock_timeout: float = _setting(60.0, "Seconds to wait while another load writes the same store, then fail.",
                                   commands=("load",), minimum=0)

    def __post_init__(self) -> None:
        for spec in specs():
            value = getattr(self, spec.name)
            if spec.type in (int, float) and value is not None and not spec.admits(value):
                raise ValueError(f"{spec.name} is {value}: {spec.range_text()}")

    @classmethod
    def from_options(cls, values: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings of a command: its options' values (flag, else environment, else default, as click
        resolved them) and the settings without a flag, from the environment."""
        return cls(**values, **_unflagged(environ))

    def to_json(self) -> str:
        """Every setting but the secret ones, as one JSON object (what `from_json` reads back)."""
        return json.dumps({spec.name: _plain(getattr(self, spec.name)) for spec in specs() if not spec.secret})

    @classmethod
    def from_json(cls, text: str, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings `to_json` wrote (a setting missing there takes its default), with the ones without
        a flag from the environment."""
        given = json.loads(text)
        unknown = set(given) - {spec.name for spec in specs()}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        typed = {spec.name: spec.typed(given[spec.name]) for spec in specs() if spec.name in given}
        return cls(**{**typed, **_unflagged(environ)})

    def values_for(self, target: type) -> dict[str, Any]:
        """The values of the settings named like the fields of the dataclass `target` (QueryLimits, ServerSettings)."""
        names = {spec.name for spec in specs()}
        return {item.name: getattr(self, item.name) for item in fields(target) if item.name in names}


@dataclass(frozen=True)
class Spec:
    """One setting, as the command line, the environment and the docs see it."""

    name: str
    type: type  # int, float, bool, str, Path or tuple (of str)
    optional: bool  # None allowed (and the default): unset
    default: Any
    flag: str | None  # `--name`; for a bool the pair `--name/--no-name`
    env: str
    help: str
    commands: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    path: str | None
    secret: bool

    def admits(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)

    def range_text(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum:g}"
        return f"from {self.minimum:g} to {self.maximum:g}"

    def typed(self, value: Any) -> Any:
        """A JSON value as this setting's type."""
        if value is None:
            return None
        if self.type is tuple:
            return tuple(value)
        return self.type(value)

    @property
    def shown_default(self) -> str:
        """The default as `--help` and docs/cli.md show it."""
        return shown(self.default)


def shown(value: Any) -> str:
    """A setting's value in words: `unset` (None), `none` (no items), `on`/`off`, else as written."""
    if value is None:
        return "unset"
    if value == ():
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


@cache
def specs(command: str | None = None) -> tuple[Spec, ...]:
    """Every setting in order, or those of one command."""
    hints = typing.get_type_hints(Settings)
    found = []
    for item in fields(Settings):
        meta = item.metadata
        if command is not None and command not in meta["commands"]:
            continue
        kind = hints[item.name]
        arguments = [argument for argument in typing.get_args(kind) if argument is not type(None)]
        optional = type(None) in typing.get_args(kind)
        base = arguments[0] if optional else (typing.get_origin(kind) or kind)  # tuple[str, ...]: tuple
        flag = meta["flag"]
        if flag == "":
            flag = "--" + item.name.replace("_", "-")
        if flag and base is bool:
            flag = f"{flag}/--no-{flag.removeprefix('--')}"
        found.append(Spec(item.name, base, optional, item.default, flag, ENV_PREFIX + item.name.upper(),
                          meta["help"], meta["commands"], meta["minimum"], meta["maximum"], meta["path"],
                          meta["secret"]))
    return tuple(found)


def spec(name: str) -> Spec:
    return next(found for found in specs() if found.name == name)


def _unflagged(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings without a flag (the token), from their environment variables; empty counts as unset."""
    return {found.name: environ.get(found.env) or None for found in specs() if found.flag is None}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


DEFAULTS = Settings()
