"""docs/examples.md shows every example query of schema/examples/ with the response the API really gives, and the
README's one request shows (trimmed) the response the API really gives.

Run with NEWSGRAPH_UPDATE_DOCS=1 to rewrite docs/examples.md's examples from the live answers (the older name
NEWSGRAPH_UPDATE_README=1 still works). The README's trimmed response is checked, never rewritten.
"""

from __future__ import annotations

import json
import os
import re

from tests.conftest import REPO
from tests.drivers import EXAMPLES, ApiClient, example_variables

README = REPO / "README.md"
EXAMPLES_DOC = REPO / "docs" / "examples.md"
START, END = "<!-- examples:start -->", "<!-- examples:end -->"


def example_section(api: ApiClient) -> str:
    blocks = []
    for path in sorted(EXAMPLES.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        title = query.splitlines()[0].removeprefix("# ").rstrip(".")
        response = api.post_graphql(query, example_variables(query))
        assert "errors" not in response, (path.name, response)
        blocks.append(
            f"## {path.stem}: {title}\n\n"
            f"[`schema/examples/{path.name}`](../schema/examples/{path.name})\n\n"
            f"```graphql\n{query.rstrip()}\n```\n\n"
            f"<details><summary>Response</summary>\n\n```json\n{json.dumps(response, indent=2, ensure_ascii=False)}\n```\n\n</details>\n"
        )
    return START + "\n" + "\n".join(blocks) + END


def _updating() -> bool:
    return "1" in (os.environ.get("NEWSGRAPH_UPDATE_DOCS"), os.environ.get("NEWSGRAPH_UPDATE_README"))


def test_the_docs_show_each_example_with_its_real_response(api: ApiClient) -> None:
    text = EXAMPLES_DOC.read_text(encoding="utf-8")
    assert START in text and END in text, "docs/examples.md lost its examples markers"
    current = text[text.index(START): text.index(END) + len(END)]
    expected = example_section(api)
    if _updating():
        EXAMPLES_DOC.write_text(text.replace(current, expected), encoding="utf-8")
        current = expected
    assert current == expected, "docs/examples.md is stale: run NEWSGRAPH_UPDATE_DOCS=1 pytest tests/test_readme.py"


def _elides(shown: object, real: object, where: str = "data") -> None:
    """`shown` is `real` with some object keys left out and some lists cut short (their first items kept)."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), where
        for key, value in shown.items():
            assert key in real, f"{where}.{key} is not in the real response"
            _elides(value, real[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(real, list) and len(shown) <= len(real), where
        for index, (item, real_item) in enumerate(zip(shown, real[:len(shown)], strict=True)):
            _elides(item, real_item, f"{where}[{index}]")
    else:
        assert shown == real, f"{where}: the README shows {shown!r}, the API answers {real!r}"


def test_the_readmes_request_and_response_are_the_apis(api: ApiClient) -> None:
    """The README's one request is an example of schema/examples/ with its variables, and its response (trimmed)
    is what the API answers: every value shown is the real one, at its real place."""
    text = README.read_text(encoding="utf-8")
    name = re.search(r"\(schema/examples/(\w+)\.graphql\)", text)
    assert name, "the README names no example query"
    query = (EXAMPLES / f"{name.group(1)}.graphql").read_text(encoding="utf-8")
    command = re.search(r"--variables '(\{.*?\})'", text)
    assert command and json.loads(command.group(1)) == example_variables(query), "the README's variables are stale"
    shown = re.search(r"<!-- response -->\n+```json\n(.*?)\n```", text, re.S)
    assert shown, "the README lost its `<!-- response -->` block"
    response = json.loads(shown.group(1))
    assert response["data"], response
    _elides(response, api.post_graphql(query, example_variables(query)), "response")


def test_every_example_names_its_variables_and_runs(api: ApiClient) -> None:
    for path in sorted(EXAMPLES.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        assert query.startswith("# "), f"{path.name} needs a one-line description"
        data = api.data(query, example_variables(query))
        assert all(value is not None for value in data.values()), (path.name, data)
