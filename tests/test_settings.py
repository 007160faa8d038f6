"""One source for every setting (newsgraph.settings): docs/cli.md, `--help`, the library's defaults, the hand-over
to worker processes and the environment all agree with it."""

from __future__ import annotations

import ast
import inspect
import json
import re
from dataclasses import fields, replace
from pathlib import Path

import httpx
import pytest

from newsgraph.api import QueryLimits
from newsgraph.load import LoadOptions, load_files
from newsgraph.parse import ParseLimits
from newsgraph.server.app import ServerSettings
from newsgraph.server.starting import SETTINGS_VARIABLE, server_settings
from newsgraph.settings import DEFAULTS, EVERY_COMMAND, Settings, shown, spec, specs
from newsgraph.store import DEFAULT_STORE, EventStore
from tests.conftest import BUNDLED_NEWS, REPO
from tests.drivers import newsgraph, running_server

CONFIGURATION_DOC = REPO / "docs" / "cli.md"  # its "## Configuration" table
GUARANTEES_DOC = REPO / "docs" / "guarantees.md"  # its tables of limits


def _tables(text: str) -> list[list[list[str]]]:
    """Every markdown table in `text`: its rows (the header first), each a list of cells; `\\|` is not a border."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            if not re.fullmatch(r"\|( *:?-+:? *\|)+", line.replace(" ", "")):
                current.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif current:
            tables.append(current)
            current = []
    return tables


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start: end if end != -1 else len(text)]


def _code(cell: str) -> str:
    """The text of a cell that is one code span: `x` → x."""
    assert cell.startswith("`") and cell.endswith("`") and cell.count("`") == 2, cell
    return cell[1:-1]


def test_the_readme_lists_every_setting_with_its_flag_variable_and_default() -> None:
    (table,) = _tables(_section(CONFIGURATION_DOC.read_text(encoding="utf-8"), "## Configuration"))
    assert table[0][:5] == ["setting", "command", "flag", "environment", "default"], table[0]
    rows = {_code(row[0]): row for row in table[1:]}
    assert len(rows) == len(table) - 1, "a setting listed twice"
    names = [setting.name for setting in specs()]
    assert sorted(rows) == sorted(names), f"stale rows: {set(rows) - set(names)}, missing: {set(names) - set(rows)}"
    for setting in specs():
        _name, command, flag, env, default, *_what = rows[setting.name]
        assert command == ("every command" if setting.commands == EVERY_COMMAND
                           else ", ".join(f"`{name}`" for name in setting.commands)), setting.name
        assert (_code(flag).split()[0] if flag else None) == setting.flag, setting.name
        assert _code(env) == setting.env, setting.name
        assert _code(default) == setting.shown_default, setting.name


def test_the_readmes_limit_tables_give_each_option_its_default() -> None:
    """The Guarantees' tables of limits (`load`'s and `serve`'s) write defaults in words: `1,000,000 bytes`, `5 s`."""
    checked = []
    for table in _tables(GUARANTEES_DOC.read_text(encoding="utf-8")):
        header = table[0]
        if "default" not in header or "option" not in header:
            continue
        for row in table[1:]:
            option = re.match(r"`(--[a-z-]+)`", row[header.index("option")])
            number = re.match(r"\d[\d,]*(\.\d+)?", row[header.index("default")])
            if option and number:  # "as the request body" names another setting's default
                setting = next(found for found in specs() if found.flag == option.group(1))
                assert float(number.group().replace(",", "")) == setting.default, row
                checked.append(setting.name)
    assert len(checked) >= 10, checked


def _help_entries(text: str) -> dict[str, str]:
    """`--help`'s options: the first flag of each → its whole entry, wrapped lines joined."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if re.match(r"  -", line):
            current = entries.setdefault(line.split()[0].rstrip(","), [])
            current.append(line)
        elif current is not None and line.startswith("      "):
            current.append(line)
        else:
            current = None
    return {flag: " ".join(" ".join(lines).split()) for flag, lines in entries.items()}


@pytest.mark.slow  # runs the newsgraph command
@pytest.mark.parametrize("command", ["serve", "load"])
def test_help_shows_every_flag_with_its_default_and_variable(command: str) -> None:
    result = newsgraph(command, "--help")
    assert result.returncode == 0, result.stderr
    entries = _help_entries(result.stdout)
    flagged = [setting for setting in specs(command) if setting.flag]
    assert flagged
    for setting in flagged:
        entry = entries[setting.flag.split("/")[0]]
        assert entry.startswith(setting.flag.replace("/", " / ")), entry
        assert f"env var: {setting.env};" in entry and f"default: {setting.shown_default}" in entry, entry


def test_the_librarys_defaults_are_the_settings() -> None:
    for target in (QueryLimits(), ServerSettings()):
        shared = DEFAULTS.values_for(type(target))
        assert shared, type(target)
        assert {name: getattr(target, name) for name in shared} == shared, type(target)
    assert set(DEFAULTS.values_for(QueryLimits)) == {item.name for item in fields(QueryLimits)}
    assert LoadOptions().max_file_bytes == DEFAULTS.max_file_bytes
    assert ParseLimits().max_items_per_section == DEFAULTS.max_items
    assert inspect.signature(EventStore).parameters["lock_timeout"].default == DEFAULTS.lock_timeout
    assert DEFAULT_STORE == DEFAULTS.db


def test_every_setting_is_described_once() -> None:
    for setting in specs():
        assert setting.help.endswith("."), setting.name
        assert setting.env == "NEWSGRAPH_" + setting.name.upper()
        assert setting.type in (int, float, bool, str, Path, tuple), setting.name
        assert isinstance(setting.default, setting.type) or (setting.optional and setting.default is None)
        assert setting.flag or setting.secret, f"{setting.name}: only a secret goes without a flag"
    assert [setting.flag for setting in specs() if setting.flag is None] == [None]  # the token
    assert spec("introspection").flag == "--introspection/--no-introspection"
    assert (shown(None), shown(()), shown(True), shown(False), shown(5.0)) == ("unset", "none", "on", "off", "5.0")


def test_the_hand_over_to_workers_is_every_setting_but_the_token() -> None:
    given = replace(DEFAULTS, db=Path("/srv/store.json"), cors_origins=("https://a.example",), max_batch=3,
                    query_timeout=0.5, introspection=False, trusted_documents=Path("/srv/ops"), max_cost=0,
                    token="s3cret")
    text = given.to_json()
    assert "s3cret" not in text and "token" not in json.loads(text)
    assert Settings.from_json(text, {"NEWSGRAPH_TOKEN": "s3cret"}) == given
    assert Settings.from_json(text, {}) == replace(given, token=None)
    assert Settings.from_json('{"max_batch": 4}', {}) == replace(DEFAULTS, max_batch=4)  # the rest: defaults
    with pytest.raises(ValueError, match="unknown settings: max_bach"):
        Settings.from_json('{"max_bach": 4}', {})
    app = server_settings(given)
    assert (app.limits.max_batch, app.limits.introspection, app.limits.max_cost, app.token) == (3, False, 0, "s3cret")
    assert (app.cors_origins, app.trusted_documents, app.max_body_bytes) == (("https://a.example",), Path("/srv/ops"),
                                                                             DEFAULTS.max_body_bytes)


@pytest.mark.slow  # runs the newsgraph command
def test_a_value_out_of_range_is_refused_everywhere(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_batch is 0: at least 1"):
        Settings(max_batch=0)
    with pytest.raises(ValueError, match="port is 70000: from 0 to 65535"):
        Settings.from_json('{"port": 70000}', {})
    for variable, value in (("NEWSGRAPH_MAX_BATCH", "0"), ("NEWSGRAPH_QUERY_TIMEOUT", "soon"),
                            ("NEWSGRAPH_INTROSPECTION", "maybe")):
        result = newsgraph("serve", "--db", str(tmp_path / "store.json"), env={variable: value})
        assert result.returncode == 2, (variable, result.stderr)
        assert f"env var: '{variable}'" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "store.json").exists()


def test_newsgraphs_own_variables_are_not_named_like_a_setting() -> None:
    """`serve` hands settings over in NEWSGRAPH_SERVER_SETTINGS and the watched directory in another variable:
    a setting of such a name would read them as its value."""
    constants = {node.value for path in (REPO / "gql").rglob("*.py") if path.name != "settings.py"
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and re.fullmatch(r"NEWSGRAPH_[A-Z_]+", node.value)}
    assert SETTINGS_VARIABLE in constants
    assert constants & {setting.env for setting in specs()} <= {"NEWSGRAPH_TOKEN"}


@pytest.mark.slow  # runs the newsgraph command
def test_settings_from_the_environment_reach_every_worker_of_a_real_server(tmp_path: Path) -> None:
    """`NEWSGRAPH_<NAME>` for the store, the workers and three limits; a flag beats its variable."""
    db = tmp_path / "store.json"
    load_files(EventStore(db), [BUNDLED_NEWS / "2015" / "09" / "1"])
    env = {"NEWSGRAPH_DB": str(db), "NEWSGRAPH_DATA": str(tmp_path / "none"), "NEWSGRAPH_WORKERS": "2",
           "NEWSGRAPH_MAX_BATCH": "2", "NEWSGRAPH_CACHE_MAX_AGE": "7", "NEWSGRAPH_INTROSPECTION": "false",
           "NEWSGRAPH_MAX_DEPTH": "3"}
    stats = {"query": "{ stats { events } }"}
    with running_server("--max-depth", "2", env=env) as base, httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(6):  # new connections, spread over both workers by the kernel
            with httpx.Client(base_url=base, timeout=30) as fresh:
                assert fresh.post("/graphql", json=stats).json()["data"]["stats"]["events"] > 0
                refused = fresh.post("/graphql", json=[stats] * 3)
                assert refused.status_code == 400 and "at most 2 are allowed" in refused.text
        cached = client.get("/graphql", params=stats)
        assert cached.headers["cache-control"] == "public, max-age=7"
        introspection = client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"}).json()
        assert "introspection" in introspection["errors"][0]["message"]
        deep = client.post("/graphql", json={"query": "{ events(first: 1) { edges { node { headline } } } }"}).json()
        assert "exceeds maximum operation depth of 2" in deep["errors"][0]["message"]  # the flag, not the variable

