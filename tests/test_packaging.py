"""The package ships as `newsgraph` from the folder `gql/`: pyproject's explicit package list must name every
package folder, or an install (wheel or editable) silently leaves one out."""

from __future__ import annotations

import tomllib

from tests.support import REPO


def test_pyproject_lists_every_package_folder_under_its_import_name() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    (import_name, folder), = setuptools["package-dir"].items()
    on_disk = {
        ".".join([import_name, *init.parent.relative_to(REPO / folder).parts])
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert import_name == "newsgraph" and folder == "gql"
    assert sorted(setuptools["packages"]) == sorted(on_disk)
