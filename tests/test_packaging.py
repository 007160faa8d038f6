"""The package ships as `newsgraph` from the folder `gql/`: pyproject's explicit package list must name every
package folder, or an install (wheel or editable) silently leaves one out."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.drivers import REPO


def test_pyproject_lists_every_package_folder_under_its_import_name() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    (import_name, folder), = setuptools["package-dir"].items()
    on_disk = {
        ".".join([import_name, *init.parent.relative_to(REPO / folder).parts])
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert import_name == "newsgraph" and folder == "gql"
    assert sorted(setuptools["packages"]) == sorted(on_disk)


def _imported_top_names() -> set[str]:
    """The top-level names of every absolute import under gql/, module-level or not."""
    names = set()
    for source in (REPO / "gql").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.partition(".")[0])
    return names


def test_pyproject_declares_every_package_gql_imports() -> None:
    """No third-party import rides in on another package's requirements (cross_web came with Strawberry)."""
    requirements = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    declared = {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
                for requirement in requirements}
    third_party = _imported_top_names() - set(sys.stdlib_module_names) - {"__future__", "newsgraph"}
    distributions = packages_distributions()
    missing = {name: distributions.get(name) for name in third_party
               if not {d.lower().replace("_", "-") for d in distributions.get(name, [name])} & declared}
    assert not missing, f"imported by gql/ but not in pyproject's dependencies: {missing}"
