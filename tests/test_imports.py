"""Imports run one way between the package's rooms, and only through each room's front door.

The rooms, and which others each may import (read "←" as "is imported by"):

    parse  ←  store  ←  load
    parse  ←  archive  (archive also uses store: the holder reads the store file)
    parse, archive  ←  api  ←  server  ←  cli

- `parse` (markdown → Event, pure) imports nothing of ours but `settings`.
- `store` imports `parse` only (and `collector`); it never imports `load`.
- `load` imports `parse` and `store`; not `archive`, `api`, `server`, `cli`.
- `archive` imports `parse` and `store`; not `load`, `api`, `server`, `cli`.
- `api` imports `parse` and `archive`; not `load`, `store`, `server`, `cli`: it parses no
  markdown, opens no file and reads no HTTP header. What it needs of those the server
  hands it in the context (newsgraph.api.context): a writer, the change feed, the
  caller's write access.
- `server` imports `api`, `archive`, `load`, `store`, `parse`; `cli` imports any room.
- `settings.py` (every setting once: name, default, flag, environment variable) imports
  nothing of ours; `parse`, `store`, `load`, `api`, `server` and `cli` take defaults from it.
- `collector.py` (gc helpers) imports nothing of ours; `store`, `load`, `archive` and `cli`
  use it.
- `scripting.py` (the Python API) uses the rooms below it, the server's writer included;
  only `cli` and the package's own `__init__` (`newsgraph.Newsgraph`) import it.
- The package itself (`gql/__init__.py`, `gql/__main__.py`) is imported by no room.

Another room is imported through its front: `from newsgraph.store import Entry`, a name
its `__init__` lists in `__all__` (a root module's own `__all__` for `collector.py` and
`scripting.py`), never `newsgraph.store.manifest`. Inside a room, modules import each
other directly (`from newsgraph.store.manifest import Entry`), never through their own
front, which would make the front's import order matter.

Some libraries belong to one room (LIBRARIES): markdown-it to `parse` (one markdown
setup, not a second one in the API), Starlette to `server` (HTTP stays there), TinyDB
and filelock to `store`, click to `cli`.

Everything under gql/ is read with `ast`, nothing is imported: module-level,
function-level and `TYPE_CHECKING` imports all count, relative ones too. Dynamic
imports (`importlib.import_module`, uvicorn's "module:attribute" strings) are not seen.
Tests and bench may import anything: they test internals.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.drivers import REPO

PACKAGE = "newsgraph"
SOURCE = REPO / "gql"
ROOT = "newsgraph"  # the package's own __init__ and __main__

# room → the rooms it may import (its own modules always)
MAY_IMPORT: dict[str, frozenset[str]] = {
    "parse": frozenset({"settings"}),
    "settings": frozenset(),
    "collector": frozenset(),
    "lazy": frozenset(),
    "store": frozenset({"parse", "collector", "settings"}),
    "load": frozenset({"parse", "store", "collector", "settings"}),
    "archive": frozenset({"parse", "store", "collector"}),
    "api": frozenset({"parse", "archive", "settings"}),
    "server": frozenset({"parse", "store", "load", "archive", "api", "settings", "lazy"}),
    "scripting": frozenset({"parse", "store", "load", "archive", "api", "server"}),
    "cli": frozenset({"parse", "store", "load", "archive", "api", "server", "scripting", "collector", "settings"}),
    ROOT: frozenset({"parse", "store", "load", "scripting", "cli", "lazy"}),
}
# a library → the only rooms that may import it
LIBRARIES: dict[str, frozenset[str]] = {
    "markdown_it": frozenset({"parse"}),
    "starlette": frozenset({"server"}),
    "watchfiles": frozenset({"server"}),
    "uvicorn": frozenset({"server", "cli"}),
    "tinydb": frozenset({"store"}),
    "filelock": frozenset({"store"}),
    "click": frozenset({"cli"}),
}
PACKAGE_ROOMS = ("parse", "store", "load", "archive", "api", "server", "cli")  # folders under gql/
MODULE_ROOMS = ("collector", "lazy", "scripting", "settings")  # single modules at gql/


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository
    line: int
    module: str  # the module imported from, absolute: `newsgraph.store.manifest`
    names: tuple[str, ...]  # for `from M import a, b`; () for `import M`

    def __str__(self) -> str:
        what = f"from {self.module} import {', '.join(self.names)}" if self.names else f"import {self.module}"
        return f"{self.file}:{self.line}: {what}"


def room_of_file(path: Path, source: Path = SOURCE) -> str:
    parts = path.relative_to(source).parts
    if len(parts) > 1:
        if parts[0] not in PACKAGE_ROOMS:
            raise AssertionError(f"{path}: in no room; add gql/{parts[0]}/ to the rooms of tests/test_imports.py")
        return parts[0]
    name = path.stem
    if name in ("__init__", "__main__"):
        return ROOT
    if name not in MODULE_ROOMS:
        raise AssertionError(f"{path}: a module at the package's root in no room; add it to tests/test_imports.py")
    return name


def dotted_name(path: Path, source: Path = SOURCE) -> str:
    parts = list(path.relative_to(source).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imports_in(path: Path, source: Path = SOURCE, repo: Path = REPO, libraries: bool = False) -> list[Import]:
    """Every import of our package (and of the LIBRARIES, if asked) in one file, at any depth of its syntax tree."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = dotted_name(path, source)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    shown = str(path.relative_to(repo))
    ours = (PACKAGE, *LIBRARIES) if libraries else (PACKAGE,)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(shown, node.lineno, alias.name, ()) for alias in node.names
                      if alias.name.split(".")[0] in ours]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] in ours:
                found.append(Import(shown, node.lineno, module, tuple(alias.name for alias in node.names)))
    return found


def front_of(room: str, source: Path = SOURCE) -> Path:
    return source / room / "__init__.py" if room in PACKAGE_ROOMS else source / f"{room}.py"


def exported(room: str, source: Path = SOURCE) -> set[str]:
    """The names a room's front lists in `__all__` (a literal list or tuple of strings)."""
    tree = ast.parse(front_of(room, source).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
                return set(ast.literal_eval(node.value))
    return set()


def is_submodule(room: str, name: str, source: Path = SOURCE) -> bool:
    return room in PACKAGE_ROOMS and ((source / room / f"{name}.py").exists()
                                      or (source / room / name / "__init__.py").exists())


def problems_of(path: Path, source: Path = SOURCE, repo: Path = REPO) -> list[str]:
    """What is wrong with the imports of one module: against the direction, past a front, through its own front,
    a library of another room."""
    room = room_of_file(path, source)
    problems = []
    for imported in imports_in(path, source, repo, libraries=True):
        parts = imported.module.split(".")
        if parts[0] != PACKAGE:
            if room not in LIBRARIES[parts[0]]:
                problems.append(f"{imported}: {parts[0]} belongs to {', '.join(sorted(LIBRARIES[parts[0]]))}, "
                                f"not {room}")
            continue
        if len(parts) == 1:  # `from newsgraph import x`: a room itself, or the package's own exports
            targets = [name if name in MAY_IMPORT else ROOT for name in imported.names]
        else:
            targets = [parts[1]]
        for target in targets:
            if target not in MAY_IMPORT:
                problems.append(f"{imported}: {PACKAGE}.{target} is in no room")
            elif target != room and target not in MAY_IMPORT[room]:
                problems.append(f"{imported}: against the direction ({room} may not import {target})")
        if len(parts) == 1:
            continue
        target = parts[1]
        if target not in MAY_IMPORT or (target != room and target not in MAY_IMPORT[room]):
            continue  # already said
        if target != room:
            if len(parts) > 2:
                problems.append(f"{imported}: past the front of {target} (import from {PACKAGE}.{target})")
                continue
            public = exported(target, source)
            for name in imported.names:
                if name == "*":
                    continue
                if is_submodule(target, name, source):
                    problems.append(f"{imported}: past the front of {target} (the module {name})")
                elif name not in public:
                    problems.append(f"{imported}: {name} is not in the __all__ of {PACKAGE}.{target}")
        elif len(parts) == 2 and path != front_of(room, source):  # its own front, from inside the room
            through_front = [name for name in imported.names if not is_submodule(room, name, source)]
            if through_front or not imported.names:
                problems.append(f"{imported}: inside {room}, import from the module that defines "
                                f"{', '.join(through_front) or 'it'}, not through the room's front")
    return problems


def all_problems(source: Path = SOURCE, repo: Path = REPO) -> list[str]:
    return [problem for path in sorted(source.rglob("*.py")) for problem in problems_of(path, source, repo)]


def test_every_module_is_in_a_room() -> None:
    rooms = {room_of_file(path) for path in SOURCE.rglob("*.py")}
    assert rooms == set(MAY_IMPORT), "a room without modules, or modules without a room"


def test_imports_follow_the_direction_and_go_through_the_fronts() -> None:
    problems = all_problems()
    assert not problems, "imports between rooms (see tests/test_imports.py's docstring):\n" + "\n".join(problems)


def test_the_direction_has_no_cycle() -> None:
    seen: set[str] = set()

    def visit(room: str, path: tuple[str, ...]) -> None:
        assert room not in path, " → ".join([*path, room])
        if room not in seen:
            for lower in MAY_IMPORT[room]:
                visit(lower, (*path, room))
            seen.add(room)

    for room in MAY_IMPORT:
        visit(room, ())


@pytest.mark.parametrize("room", [*PACKAGE_ROOMS, *MODULE_ROOMS])
def test_each_front_exports_what_it_lists(room: str) -> None:
    """What a front lists in `__all__` is there (a lazy front imports it on first use)."""
    import importlib

    front = importlib.import_module(f"{PACKAGE}.{room}")
    missing = [name for name in exported(room) if not hasattr(front, name)]
    assert exported(room) and not missing, missing


PLANTED = {
    "api/planted.py": "from newsgraph.load import load_texts\n",  # against the direction
    "archive/planted.py": "def later():\n    from newsgraph.store.manifest import Entry\n",  # past the front
    "store/planted.py": "from newsgraph.store import EventStore\n",  # its own front
    "parse/planted.py": "from newsgraph.store import not_exported\n",  # both
    "load/planted.py": "from ..store import manifest\n",  # relative, past the front
    "api/planted_too.py": "import markdown_it\nfrom starlette.responses import Response\n",  # other rooms' libraries
}


def test_planted_violations_are_found(tmp_path: Path) -> None:
    """The check itself: a copy of the package with bad imports planted in five rooms fails on exactly those."""
    import shutil

    source = tmp_path / "gql"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("static", "__pycache__"))
    assert all_problems(source, tmp_path) == []
    for name, text in PLANTED.items():
        (source / name).write_text(text, encoding="utf-8")
    problems = all_problems(source, tmp_path)
    assert problems == [
        "gql/api/planted.py:1: from newsgraph.load import load_texts: against the direction (api may not import load)",
        "gql/api/planted_too.py:1: import markdown_it: markdown_it belongs to parse, not api",
        "gql/api/planted_too.py:2: from starlette.responses import Response: starlette belongs to server, not api",
        "gql/archive/planted.py:2: from newsgraph.store.manifest import Entry: past the front of store "
        "(import from newsgraph.store)",
        "gql/load/planted.py:1: from newsgraph.store import manifest: past the front of store (the module manifest)",
        "gql/parse/planted.py:1: from newsgraph.store import not_exported: against the direction "
        "(parse may not import store)",
        "gql/store/planted.py:1: from newsgraph.store import EventStore: inside store, import from the module "
        "that defines EventStore, not through the room's front",
    ], "\n".join(problems)
