"""The `newsgraph` command line: load, serve, query, export, export-schema, doctor.

Written for the person at the terminal: every problem is one `file:line: message`
line, summaries say what happened, and exit codes are 0 (all good), 1 (some input
rejected or the store unusable) and 2 (the command itself was wrong).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import orjson

from newsgraph.cli.doctor import doctor
from newsgraph.cli.options import setting_option, setting_options
from newsgraph.cli.progress import PLAIN_EVERY, load_progress
from newsgraph.load import LoadFailed, LoadOptions, LoadReport, LoadUsageError, load_files
from newsgraph.parse import ParseLimits
from newsgraph.settings import Settings
from newsgraph.store import EventStore, StoreCorrupt, StoreError, default_store_path

SCHEMA_FILE = Path("schema/schema.graphql")

store_option = setting_option("db")  # options of settings (--db, serve's, load's limits): newsgraph.settings


def _store(db: Path | None) -> EventStore:
    return EventStore(db or default_store_path())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """newsgraph: a GraphQL API over an archive of news events written as markdown."""


main.add_command(doctor)  # newsgraph.cli.doctor


def run() -> None:
    """The `newsgraph` program (its console script and `python -m newsgraph`): `main`, then a quick exit.

    At exit the interpreter collects cycles among every object still alive, imports
    included, several times over, which a short command would notice. Frozen
    (`gc.freeze`), they are left to the end of the process, which frees them anyway.
    """
    try:
        main()
    finally:
        gc.freeze()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--prune", is_flag=True, help="Remove stored events whose file is gone from the loaded directories.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors: reject files that have any.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr.")
@click.option("--progress-every", type=click.IntRange(min=1), default=PLAIN_EVERY, show_default=True,
              help="When stderr is not a terminal, print a progress line every N files (a terminal gets a bar).")
@setting_option("max_file_bytes")
@setting_option("max_items")
@setting_option("lock_timeout")
def load(paths: tuple[Path, ...], db: Path | None, prune: bool, strict: bool, as_json: bool, quiet: bool,
         progress_every: int, max_file_bytes: int, max_items: int, lock_timeout: float) -> None:
    """Load markdown files and directories (recursively) into the store."""
    options = LoadOptions(ParseLimits(max_items), max_file_bytes, strict=strict, prune=prune)
    store = EventStore(db or default_store_path(), lock_timeout=lock_timeout)
    try:
        report = _load_with_progress(store, paths, options, None if quiet else progress_every)
    except LoadUsageError as error:
        raise click.UsageError(str(error)) from None
    except (StoreError, StoreCorrupt, LoadFailed) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    _print_report(report, store, as_json)
    sys.exit(1 if report.rejected else 0)


def _load_with_progress(store: EventStore, paths: tuple[Path, ...], options: LoadOptions,
                        every: int | None) -> LoadReport:
    """Progress goes to stderr (stdout stays the summary, plain or JSON); `every` None turns it off."""
    if every is None:
        return load_files(store, paths, options)
    return load_files(store, paths, options, progress=lambda total: load_progress(total, every=every))


def _print_report(report: LoadReport, store: EventStore, as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps({**report.as_dict(), "store": str(store.path)}).decode())
        return
    for problem in report.problems:
        click.echo(f"{problem.severity.value}: {problem}", err=True)
    click.echo(
        f"{report.loaded} loaded, {report.unchanged} unchanged, {report.rejected} rejected, "
        f"{report.warnings} warnings, {report.removed} removed → {store.path}"
    )


@main.command()
@setting_options("serve")
def serve(**values: Any) -> None:
    """Serve the archive at http://HOST:PORT/graphql (GraphiQL in a browser).

    The server follows its store: a `newsgraph load` from another process is picked
    up within a second. Mutations are off unless NEWSGRAPH_TOKEN is set; then they
    need `Authorization: Bearer <token>`. Every option can also be given in the
    environment variable shown beside it; an option on the command line wins.
    """
    import uvicorn

    from newsgraph.server import (
        SETTINGS_VARIABLE,
        TimedRequests,
        refresh_store,
        reserve_port,
        spreads_connections,
        start_watcher,
        supervise,
    )

    settings = Settings.from_options(values)
    data, host, port, workers = settings.data, settings.host, settings.port, settings.workers
    if settings.watch and not data.is_dir():
        raise click.UsageError(f"--watch needs the data directory {data} to exist")
    _check_serving_options(settings.cors_origins, settings.trusted_documents)
    reserved = None
    if workers > 1 and spreads_connections():  # else uvicorn's workers, sharing one socket (gql/server/workers.py)
        try:
            reserved = reserve_port(host, port)
        except OSError as error:
            click.echo(f"error: cannot listen on {host}:{port}: {error.strerror or error}", err=True)
            sys.exit(1)
        port = reserved.getsockname()[1]

    store = _store(settings.db)
    try:
        report = refresh_store(store, data)
    except (StoreError, StoreCorrupt, LoadFailed) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except OSError as error:  # e.g. a read-only store (a replica's) that the data directory is newer than
        click.echo(f"error: cannot refresh {store.path} from {data}: {error.strerror or error}"
                   f"{f' ({error.filename})' if error.filename else ''}", err=True)
        sys.exit(1)
    if report is not None:
        click.echo(f"loaded {data}: {report.loaded} loaded, {report.rejected} rejected", err=True)
    trusted = settings.trusted_documents
    handed = replace(settings, db=store.path.resolve(), trusted_documents=trusted.resolve() if trusted else None)
    os.environ[SETTINGS_VARIABLE] = handed.to_json()  # the workers' settings; the token stays in its own variable
    click.echo(f"newsgraph: http://{host}:{port}/graphql", err=True)
    click.echo("mutations: on (Authorization: Bearer $NEWSGRAPH_TOKEN)" if settings.token
               else "mutations: off (set NEWSGRAPH_TOKEN to enable them)", err=True)
    stop_watching = start_watcher(store, data, lambda line: click.echo(line, err=True)) if settings.watch else None
    if stop_watching:
        click.echo(f"watching {data} for changes", err=True)
    app = "newsgraph.server.starting:app_from_environment"
    try:
        if reserved is not None:
            sys.exit(supervise(app, reserved, workers))
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, log_level="info", http=TimedRequests)
    finally:
        if stop_watching:
            stop_watching.set()


def _check_serving_options(cors_origins: tuple[str, ...], trusted_documents: Path | None) -> None:
    """Options a worker process would only fail on, refused here with one clear line."""
    from strawberry.http.websocket_origin import normalize_allowed_origins

    from newsgraph.server import TrustedDocuments

    try:
        normalize_allowed_origins(cors_origins)
        if trusted_documents is not None:
            TrustedDocuments.load(trusted_documents)
    except (ValueError, OSError) as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("query")
@store_option
@click.option("--variables", default="{}", help="Variables as a JSON object.")
def query(query: str, db: Path | None, variables: str) -> None:
    """Run one GraphQL QUERY against the store and print the JSON result (no server)."""
    from newsgraph.scripting import Newsgraph

    try:
        parsed_variables = json.loads(variables)
    except json.JSONDecodeError as error:
        raise click.UsageError(f"--variables is not JSON: {error}") from None
    result = Newsgraph(_store(db).path).execute(query, parsed_variables)
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    sys.exit(1 if result.get("errors") else 0)


@main.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(["md", "jsonl"]), default="md", show_default=True,
              help="md: one file per event in the archive's layout; jsonl: one JSON object per event.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="md: the directory to write under (required); jsonl: the file (default: stdout).")
def export(db: Path | None, fmt: str, out: Path | None) -> None:
    """Write the stored events out: markdown files (loading them gives the same archive) or JSON lines."""
    from newsgraph.store import ExportError, events_of, export_jsonl, export_markdown

    store = _store(db)
    if fmt == "md" and out is None:
        raise click.UsageError("--format md needs --out DIRECTORY")
    if fmt == "md" and out is not None and out.exists() and not out.is_dir():
        raise click.UsageError(f"--out {out} is a file; --format md writes a directory")
    if not store.path.exists():
        click.echo(f"error: no store at {store.path}: run `newsgraph load` first (or pass --db)", err=True)
        sys.exit(1)
    try:
        events = events_of(store.documents())
        if fmt == "md":
            assert out is not None  # checked above
            count = export_markdown(events, out)
        elif out is None:
            count = export_jsonl(events, sys.stdout)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(out, "w", encoding="utf-8", newline="\n") as stream:
                count = export_jsonl(events, stream)
    except BrokenPipeError:  # `| head`: the reader has what it wanted; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except (StoreError, StoreCorrupt, ExportError, OSError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"exported {count} events → {out if out is not None else 'stdout'}", err=True)


@main.command("export-schema")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=SCHEMA_FILE, show_default=True)
def export_schema(out: Path) -> None:
    """Write the schema's SDL (what `schema/schema.graphql` holds)."""
    from newsgraph.api import build_schema

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    click.echo(f"wrote {out}")
