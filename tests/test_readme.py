"""The README shows every example query of schema/examples/ with the response the API really gives.

Run with NEWSGRAPH_UPDATE_README=1 to rewrite that README section from the live answers.
"""

from __future__ import annotations

import json
import os

from tests.conftest import REPO
from tests.support import ApiClient

README = REPO / "README.md"
EXAMPLES = REPO / "schema" / "examples"
START, END = "<!-- examples:start -->", "<!-- examples:end -->"


def example_variables(query: str) -> dict:
    """Variables are written in the example's header comment: `# variables: {...}`."""
    for line in query.splitlines():
        if line.startswith("# variables:"):
            return json.loads(line.removeprefix("# variables:"))
    return {}


def example_section(api: ApiClient) -> str:
    blocks = []
    for path in sorted(EXAMPLES.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        title = query.splitlines()[0].removeprefix("# ").rstrip(".")
        response = api.post_graphql(query, example_variables(query))
        assert "errors" not in response, (path.name, response)
        blocks.append(
            f"#### {path.stem}: {title}\n\n"
            f"[`schema/examples/{path.name}`](schema/examples/{path.name})\n\n"
            f"```graphql\n{query.rstrip()}\n```\n\n"
            f"<details><summary>Response</summary>\n\n```json\n{json.dumps(response, indent=2, ensure_ascii=False)}\n```\n\n</details>\n"
        )
    return START + "\n" + "\n".join(blocks) + END


def test_the_readme_shows_each_example_with_its_real_response(api: ApiClient) -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "the README lost its examples markers"
    current = text[text.index(START): text.index(END) + len(END)]
    expected = example_section(api)
    if os.environ.get("NEWSGRAPH_UPDATE_README") == "1":
        README.write_text(text.replace(current, expected), encoding="utf-8")
        current = expected
    assert current == expected, "README examples are stale: run NEWSGRAPH_UPDATE_README=1 pytest tests/test_readme.py"


def test_every_example_names_its_variables_and_runs(api: ApiClient) -> None:
    for path in sorted(EXAMPLES.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        assert query.startswith("# "), f"{path.name} needs a one-line description"
        data = api.data(query, example_variables(query))
        assert all(value is not None for value in data.values()), (path.name, data)
