"""Random query operations over newsgraph's schema, with values drawn from a real archive (hypothesis strategies).

tests/test_plans_differential.py runs each through the compiled schema and the reference one. What a case is:

- a document: one query operation (sometimes among others, picked by `operationName`), its fragments;
- one to three sets of variables for that same text, so a plan cached for the text is run again with other
  values (page sizes, cursors, `@skip`/`@include` conditions flipped).

How a document is made, in two steps:

1. A plain selection tree, from one of two sources:
   - `_Writer`, a walk of the schema that picks fields at random and gives their arguments values that
     mean something in the archive at hand (`Pool`): real paths, global ids of every type, tag names in
     any case, publisher domains and names, search words and phrases, days, cursors harvested from real
     pages; and now and then wrong ones (page sizes -1 and 101, foreign and broken cursors, RELEVANCE
     without a text, odd strings: empty, unicode, very long), so that field errors and null propagation
     are compared too. Nesting follows the schema: event → sources → publisher → events …, event →
     related → event → tags → events …, node/nodes → `... on Event/Tag/Day/Publisher`.
   - `hypothesis_graphql.queries`, whose documents (graphql-core ASTs) are read into the same tree and
     whose literal arguments are mostly replaced by meaningful ones (its random integers are rarely a
     page size, its random strings never a path).
2. `_Decorator` rewrites the tree: lifts literal arguments (and values inside input objects and lists)
   into variables, declared with the argument's type, a non-null or nullable variant, or a default;
   gives fields aliases; adds `__typename`; puts `@skip`/`@include` on fields and fragments with literal
   or variable conditions; repeats fields with the same response name (merged by the executor); moves
   selections into inline fragments (with or without a type condition, on `Node` too) and named fragments.

`limit_cases` adds documents past the server's limits (depth, aliases, tokens, cost), invalid ones
(validation and parse errors, bad variables) and introspection, so that refusals are compared as well.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    Undefined,
)
from graphql.language.print_string import print_string
from hypothesis import strategies as st
from hypothesis_graphql import queries as graphql_queries

from newsgraph.api.ids import to_global_id
from newsgraph.api.paging import encode_cursor
from newsgraph.archive import Archive

REPO = Path(__file__).resolve().parent.parent
SDL = (REPO / "schema" / "schema.graphql").read_text(encoding="utf-8")
SCHEMA = graphql.build_schema(SDL)
QUERY = SCHEMA.query_type
NODE_TYPES = ("Event", "Tag", "Day", "Publisher")

ODD_STRINGS = (
    "", " ", "é", "É", "日本語のニュース", "🦀 crab", "مرحبا بالعالم", "e\u0301", "\t\n", '"quoted"', "back\\slash",
    "x" * 1_200, "ß" * 300, "%00", "<b>bold</b>", "null", "NaN", "\u2028", "İstanbul", "ǅ", "a\u0000b", "*", '"',
    "OR", "-", "()", "news/", "/news/", "/",
)
BAD_CURSORS = (
    "", "abc", "!!!", "====", "W10", "e30", "bnVsbA", "__4",  # [], {}, null, invalid UTF-8
    encode_cursor("date", ("x",)), encode_cursor("date", ()), encode_cursor("nope", (1,)),
    encode_cursor("relevance", (1.5, "x")), encode_cursor("tags-count", ()), "x" * 300,
)


WRONG_VALUES: dict[str, list[Any]] = {  # variable values that do not fit the scalar
    "Int": [2**31, 1.5, "3", True, [1]],
    "String": [1, {"a": 1}, [None], True],
    "ID": [{"id": 1}, 1.5, [None]],
    "Boolean": ["true", 1, None],
    "Date": ["2015-02-30", 20150901, "Sept 1", ""],
}


class Enum(str):
    """An enum value: printed bare in a literal, a string in variables."""


@dataclass(frozen=True)
class Var:
    name: str


# -- what the archive holds -----------------------------------------------------------------------------


@dataclass
class Pool:
    """Values that mean something in one archive, and wrong ones beside them."""

    paths: list[str]
    ids: dict[str, list[str]]
    tag_names: list[str]
    publishers: list[str]  # domains and names
    dates: list[str]
    words: list[str]
    cursors: dict[str, list[str]] = field(default_factory=dict)  # cursor kind → real cursors
    _documents: Any = None

    def __repr__(self) -> str:  # hypothesis shows its strategies' arguments
        return f"Pool({len(self.paths)} events, {len(self.tag_names)} tags)"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # hypothesis's pretty printer
        printer.text(repr(self))

    def from_schema(self) -> st.SearchStrategy[graphql.DocumentNode]:
        """hypothesis-graphql's query documents (ASTs), its `Date` values real days (made once per pool)."""
        if self._documents is None:
            dates = st.sampled_from(self.dates).map(lambda text: graphql.StringValueNode(value=text))
            self._documents = graphql_queries(SCHEMA, custom_scalars={"Date": dates}, print_ast=_identity,
                                              allow_x00=False)
        return self._documents

    @classmethod
    def of(cls, archive: Archive) -> Pool:
        paths = list(archive.ascending)
        tags = list(archive.tags.values())
        publishers = list(archive.publishers.values())
        dates = sorted({date.isoformat() for date in archive.dates})
        words: dict[str, None] = {}
        for path in paths[:: max(1, len(paths) // 80)]:
            for word in archive.events[path].headline.split():
                word = word.strip(".,;:'\"()[]")
                if len(word) >= 4 and word.isalpha():
                    words[word] = None
        return cls(
            paths=paths,
            ids={
                "Event": [to_global_id("Event", path) for path in paths],
                "Tag": [to_global_id("Tag", tag.key) for tag in tags],
                "Publisher": [to_global_id("Publisher", publisher.domain) for publisher in publishers],
                "Day": [to_global_id("Day", date) for date in dates],
            },
            tag_names=[tag.name for tag in tags],
            publishers=[p.domain for p in publishers] + [p.name for p in publishers],
            dates=dates,
            words=list(words)[:400],
        )

    def harvest(self, run: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        """Real cursors of every kind of list, read from the answers `run` (the reference schema) gives."""
        query = """query Harvest($text: String!, $tag: String!) {
          desc: events(first: 100) { edges { cursor } }
          asc: events(orderBy: DATE_ASC, last: 100) { edges { cursor } }
          relevance: search(text: $text, first: 100) { edges { cursor } }
          ranked: events(filter: {text: $text}, orderBy: RELEVANCE, first: 100) { edges { cursor } }
          byCount: tags(first: 100) { edges { cursor } }
          byName: tags(orderBy: NAME, first: 100) { edges { cursor } }
          publishers(first: 100) { edges { cursor } }
          tag(name: $tag) { events(first: 100) { edges { cursor } } }
        }"""
        kinds = {"desc": "date", "asc": "date", "relevance": "relevance", "ranked": "relevance",
                 "byCount": "tags-count", "byName": "tags-name", "publishers": "publishers"}
        if "health" in QUERY.fields:  # the archive doctor's findings, a list of their own (may be empty)
            query = query.rstrip().removesuffix("}") + "  health { findings(first: 100) { edges { cursor } } }\n}"
        found: dict[str, list[str]] = {kind: [] for kind in kinds.values()}
        for word in self.words[:6]:
            data = run(query, {"text": word, "tag": self.tag_names[0]})
            for key, kind in kinds.items():
                found[kind] += [edge["cursor"] for edge in data[key]["edges"]]
            found["date"] += [edge["cursor"] for edge in (data["tag"] or {"events": {"edges": []}})["events"]["edges"]]
            if "health" in data:
                found.setdefault("findings", []).extend(edge["cursor"] for edge in data["health"]["findings"]["edges"])
        self.cursors = {kind: list(dict.fromkeys(cursors)) for kind, cursors in found.items() if cursors}
        assert {"date", "relevance", "tags-count", "tags-name", "publishers"} <= set(self.cursors), self.cursors.keys()


# -- the selection tree ---------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Any] | None = None
    alias: str | None = None
    directives: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Inline:
    on: str | None
    selections: list[Any]
    directives: list[str] = field(default_factory=list)


@dataclass
class Spread:
    name: str
    directives: list[str] = field(default_factory=list)


@dataclass
class Fragment:
    name: str
    on: str
    selections: list[Any]


@dataclass
class Variable:
    name: str
    type: str
    values: list[Any]  # one per variable set; `_MISSING` leaves the variable out of that set
    default: Any = None  # a literal value, printed after `=`
    has_default: bool = False


_MISSING = object()


@dataclass
class Case:
    """A document and the variable sets it is run with."""

    query: str
    variable_sets: list[dict[str, Any] | None]
    operation_name: str | None = None
    kind: str = "generated"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # hypothesis's report of a failing example
        printer.text(f"Case({self.kind}, operationName={self.operation_name!r}, variable_sets={self.variable_sets!r},"
                     f" query=\n{self.query})")

    def operations(self) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
        for variables in self.variable_sets:
            yield self.query, variables, self.operation_name


def literal(value: Any) -> str:
    if isinstance(value, Var):
        return "$" + value.name
    if isinstance(value, Enum):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return print_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    raise TypeError(value)


def json_value(value: Any) -> Any:
    """A literal's value as a JSON variable value (enums as their names)."""
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    return str(value) if isinstance(value, Enum) else value


def render_selections(selections: list[Any], indent: int) -> str:
    pad = "  " * indent
    lines = []
    for selection in selections:
        directives = "".join(" " + d for d in selection.directives)
        if isinstance(selection, Field):
            head = (selection.alias + ": " if selection.alias else "") + selection.name
            if selection.args:
                head += "(" + ", ".join(f"{name}: {literal(value)}" for name, value in selection.args.items()) + ")"
            head += directives
            if selection.selections is not None:
                head += " {\n" + render_selections(selection.selections, indent + 1) + pad + "}"
            lines.append(pad + head + "\n")
        elif isinstance(selection, Inline):
            on = f" on {selection.on}" if selection.on else ""
            lines.append(f"{pad}...{on}{directives} {{\n" + render_selections(selection.selections, indent + 1) + pad + "}\n")
        else:
            lines.append(f"{pad}...{selection.name}{directives}\n")
    return "".join(lines)


def render(name: str | None, variables: list[Variable], selections: list[Any], fragments: list[Fragment],
           others: tuple[str, ...] = (), fragments_first: bool = False, shorthand: bool = False) -> str:
    head = "query"
    if name:
        head += " " + name
    if variables:
        head += "(" + ", ".join(
            f"${v.name}: {v.type}" + (f" = {literal(v.default)}" if v.has_default else "") for v in variables
        ) + ")"
    if head == "query" and shorthand:
        head = ""  # the shorthand `{ … }`
    operation = (head + " " if head else "") + "{\n" + render_selections(selections, 1) + "}\n"
    definitions = [f"fragment {f.name} on {f.on} {{\n" + render_selections(f.selections, 1) + "}\n" for f in fragments]
    parts = [*definitions, operation] if fragments_first else [operation, *definitions]
    return "\n".join([*parts, *others])


# -- types ------------------------------------------------------------------------------------------------


def named(type_: Any) -> Any:
    return graphql.get_named_type(type_)


def is_leaf(type_: Any) -> bool:
    return graphql.is_leaf_type(named(type_))


def type_text(type_: Any) -> str:
    return str(type_)


# -- argument values ------------------------------------------------------------------------------------


class _Values:
    """Draws argument values: mostly real (from the pool), sometimes wrong or odd."""

    def __init__(self, draw: st.DrawFn, pool: Pool) -> None:
        self.draw = draw
        self.pool = pool

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def pick(self, items: Any) -> Any:
        return self.draw(st.sampled_from(items))

    def odd(self) -> str:
        return self.pick(ODD_STRINGS)

    def page_size(self, fan_out: int) -> int | None:
        roll = self.draw(st.integers(0, 99))
        if roll < 4:
            return self.pick([-1, 101, -2147483648, 1000])
        if roll < 6:
            return None
        if fan_out > 8 or roll < 75:
            return self.draw(st.integers(0, 4))
        return self.draw(st.integers(0, 100 if fan_out <= 1 else 25))

    def cursor(self, kind: str) -> str:
        roll = self.draw(st.integers(0, 99))
        if roll < 75:
            return self.pick(self.pool.cursors[kind])
        if roll < 85:
            other = self.pick(sorted(k for k in self.pool.cursors if k != kind))
            return self.pick(self.pool.cursors[other])
        return self.pick(BAD_CURSORS)

    def date(self) -> str:
        roll = self.draw(st.integers(0, 99))
        if roll < 70:
            return self.pick(self.pool.dates)
        if roll < 90:
            return self.pick(["1999-12-31", "2000-01-01", "2015-08-31", "2015-09-16", "2030-01-01", "0001-01-01",
                              "9999-12-31", "2024-02-29", self.pool.dates[0], self.pool.dates[-1]])
        return self.pick(["2015-02-30", "2015-13-01", "yesterday", "", "2015-9-1", "20150901", "2015-09-01T00:00:00"])

    def tag_name(self) -> str:
        name = self.pick(self.pool.tag_names)
        roll = self.draw(st.integers(0, 99))
        if roll < 65:
            return name
        if roll < 75:
            return name.upper()
        if roll < 82:
            return name.lower()
        if roll < 88:
            return " " + name
        return self.odd()

    def tag_prefix(self) -> str:
        if self.chance(80):
            name = self.pick(self.pool.tag_names)
            cut = self.draw(st.integers(0, min(4, len(name))))
            return name[:cut].lower() if self.chance(30) else name[:cut]
        return self.odd()

    def publisher(self) -> str:
        if self.chance(85):
            name = self.pick(self.pool.publishers)
            return name.upper() if self.chance(10) else ("www." + name if self.chance(5) else name)
        return self.pick(["nowhere.example", "BBC", "bbc", ""] + list(ODD_STRINGS[:6]))

    def search_text(self) -> str:
        roll = self.draw(st.integers(0, 99))
        words = self.pool.words
        if roll < 45:
            return self.pick(words)
        if roll < 60:
            return self.pick(words) + " " + self.pick(words)
        if roll < 70:
            return '"' + self.pick(words) + " " + self.pick(words) + '"'
        if roll < 80:
            word = self.pick(words)
            return word[: self.draw(st.integers(1, len(word)))] + "*"
        if roll < 85:
            return self.pick(words).upper()
        if roll < 90:
            return "x" * 1_001
        return self.odd()

    def path(self) -> str:
        roll = self.draw(st.integers(0, 99))
        path = self.pick(self.pool.paths)
        if roll < 80:
            return path
        if roll < 85:
            return path.lstrip("/")
        if roll < 90:
            return path.upper()
        if roll < 94:
            return "/news/2015/09/1/no-such-event.md"
        return self.odd()

    def global_id(self, types: tuple[str, ...] = NODE_TYPES) -> str:
        roll = self.draw(st.integers(0, 99))
        if roll < 85:
            return self.pick(self.pool.ids[self.pick(types)])
        return self.pick([
            "", "!!!", "not an id", "__4", to_global_id("Event", "/news/missing.md"), to_global_id("Nope", "x"),
            to_global_id("Day", "2015-99-99"), to_global_id("Day", "1999-01-01"), to_global_id("Tag", "no such tag"),
            to_global_id("Publisher", "nowhere.example"), base64.b64encode(b"Event").decode(), "RXZlbnQ6",
        ])

    def event_filter(self) -> dict[str, Any] | None:
        if self.chance(5):
            return None
        result: dict[str, Any] = {}
        if self.chance(35):
            result["dateFrom"] = self.date()
        if self.chance(35):
            result["dateTo"] = self.date()
        if self.chance(30):
            result["tagsAll"] = [self.tag_name() for _ in range(self.draw(st.integers(0, 3)))]
        if self.chance(30):
            result["tagsAny"] = [self.tag_name() for _ in range(self.draw(st.integers(0, 3)))]
        if self.chance(25):
            result["publisher"] = self.publisher()
        if self.chance(25):
            result["text"] = self.search_text()
        if self.chance(3):
            result[self.pick(["tagsAll", "tagsAny", "dateFrom", "publisher"])] = None
        return result

    # One field's arguments -----------------------------------------------------------------------------
    def arguments(self, parent: str, name: str, definition: Any, fan_out: int) -> dict[str, Any]:
        """Values for a field's arguments (absent ones left out)."""
        args: dict[str, Any] = {}
        key = (parent, name)
        if _is_event_listing(definition):
            if "text" in definition.args:  # search(text:)
                args["text"] = self.search_text()
            if self.chance(35):
                args["filter"] = self.event_filter()
            if self.chance(35) or name == "search" and self.chance(30):
                args["orderBy"] = Enum(self.pick(["DATE_DESC", "DATE_ASC", "RELEVANCE"]))
            default = definition.args["orderBy"].default_value
            order = str(args.get("orderBy", default if isinstance(default, str) else "DATE_DESC"))
            if order == "RELEVANCE" and name != "search" and self.chance(60):  # mostly with the text it needs
                args["filter"] = {**(args.get("filter") or {}), "text": self.search_text()}
            self.paging(args, "relevance" if order == "RELEVANCE" else "date", fan_out)
            self.the_rest(args, definition, fan_out, optional=0)  # onThisDay(month:, day:)
        elif key == ("Query", "event"):
            roll = self.draw(st.integers(0, 99))
            if roll < 75:
                args["path"] = self.path()
            elif roll < 92:
                args["id"] = self.global_id(("Event",) if self.chance(80) else NODE_TYPES)
            elif roll < 96:
                args["path"], args["id"] = self.path(), self.global_id(("Event",))
            elif roll < 98:
                args["path"] = None
        elif key == ("Query", "tag"):
            args["name"] = self.tag_name()
        elif key == ("Query", "tags"):
            if self.chance(35):
                args["prefix"] = self.tag_prefix() if self.chance(95) else None
            if self.chance(40):
                args["orderBy"] = Enum(self.pick(["COUNT", "NAME"]))
            self.paging(args, "tags-name" if str(args.get("orderBy")) == "NAME" else "tags-count", fan_out)
        elif key == ("Query", "day"):
            args["date"] = self.date()
        elif key == ("Query", "days"):
            if self.chance(50):
                args["from"] = self.date()
            if self.chance(50):
                args["to"] = self.date()
            if self.chance(75):
                _in_order(args, "from", "to")
        elif key == ("Query", "publisher"):
            args["name"] = self.publisher()
        elif key == ("Query", "publishers"):
            self.paging(args, "publishers", fan_out)
        elif key == ("Query", "node"):
            args["id"] = self.global_id()
        elif key == ("Query", "nodes"):
            count = self.draw(st.integers(0, 5)) if self.chance(97) else 101
            args["ids"] = [self.global_id() for _ in range(count)]
        elif key == ("Tag", "relatedTags"):
            if self.chance(70):
                args["first"] = self.draw(st.integers(0, 6)) if self.chance(90) else self.pick([-1, 101, 100])
        elif key == ("Tag", "timeline"):
            if self.chance(60):
                args["granularity"] = Enum(self.pick(["DAY", "MONTH", "YEAR"]))
        else:  # a field without a rule of its own (the schema grows): its arguments by name, else by type
            self.the_rest(args, definition, fan_out)
        return args

    def the_rest(self, args: dict[str, Any], definition: Any, fan_out: int, optional: int = 40) -> None:
        """Values for the arguments not given yet: the required ones, and some of the others."""
        if {"month", "day"} <= set(definition.args) and self.chance(80):  # onThisDay: a day the archive has
            year, month, day = self.pick(self.pool.dates).split("-")
            args["month"], args["day"] = int(month), int(day)
        for arg_name, argument in definition.args.items():
            if arg_name not in args and (isinstance(argument.type, GraphQLNonNull) or self.chance(optional)):
                args[arg_name] = self.by_name(arg_name, argument.type, fan_out)
        if self.chance(75):
            _in_order(args, "from", "to")

    def by_name(self, name: str, type_: GraphQLInputType, fan_out: int) -> Any:
        scalar = named(type_).name
        if scalar == "Int" and name in ("month", "day", "minCount"):
            low, high = {"month": (1, 12), "day": (1, 31), "minCount": (1, 4)}[name]
            return self.draw(st.integers(low, high)) if self.chance(90) else self.pick([low - 1, high + 1, -1, 2**31 - 1])
        if name in ("first", "last") and scalar == "Int":
            return self.page_size(fan_out) if self.chance(90) or isinstance(type_, GraphQLNonNull) else None
        if name in ("after", "before") and scalar == "String":
            kind = "findings" if "findings" in self.pool.cursors and self.chance(70) else None
            return self.cursor(kind or self.pick(sorted(self.pool.cursors)))
        if scalar == "String" and name in ("path",):
            return self.path()
        if scalar == "String" and name in ("name", "tag"):
            return self.tag_name() if self.chance(60) else self.publisher()
        if scalar == "String" and name in ("text", "prefix", "query"):
            return self.search_text()
        return self.any_value(type_)

    def paging(self, args: dict[str, Any], kind: str, fan_out: int) -> None:
        if self.chance(70) or fan_out > 1:
            args["first"] = self.page_size(fan_out)
        if self.chance(15):
            args["last"] = self.page_size(fan_out)
        if self.chance(25):
            args["after"] = self.cursor(kind)
        if self.chance(12):
            args["before"] = self.cursor(kind)

    def any_value(self, type_: GraphQLInputType) -> Any:
        """A value of a type, for arguments `arguments` has no rule for."""
        if isinstance(type_, GraphQLNonNull):
            return self.any_value(type_.of_type)
        if isinstance(type_, GraphQLList):
            return [self.any_value(type_.of_type) for _ in range(self.draw(st.integers(0, 3)))]
        if isinstance(type_, GraphQLEnumType):
            return Enum(self.pick(sorted(type_.values)))
        if isinstance(type_, GraphQLInputObjectType):
            return self.event_filter() if type_.name == "EventFilter" else {}
        return self.scalar(type_.name)

    def scalar(self, name: str) -> Any:
        if name == "Int":
            return self.page_size(1)
        if name == "Boolean":
            return self.draw(st.booleans())
        if name == "Date":
            return self.date()
        if name == "ID":
            return self.global_id()
        if name == "Float":
            return self.draw(st.floats(-1e6, 1e6, allow_nan=False))
        return self.search_text()

    def wrong(self, type_: GraphQLInputType) -> Any:
        """A variable value that does not fit its type: a BAD_USER_INPUT error before execution."""
        inner = named(type_)
        if isinstance(inner, GraphQLEnumType):
            return self.pick(["NOPE", 1, "date_desc"])
        if isinstance(inner, GraphQLInputObjectType):
            return self.pick(["text", {"nope": 1}, {"dateFrom": "2015-02-30"}, {"tagsAll": "Syria"}, [{}]])
        return self.pick(WRONG_VALUES.get(inner.name, [None]))


def _is_event_listing(definition: Any) -> bool:
    order = definition.args.get("orderBy")
    return order is not None and named(order.type).name == "EventOrder"


def _in_order(args: dict[str, Any], low: str, high: str) -> None:
    """Swaps two dates given the wrong way round (a later `from` than `to` is an error, wanted only sometimes)."""
    first, second = args.get(low), args.get(high)
    if isinstance(first, str) and isinstance(second, str) and first > second:
        args[low], args[high] = second, first


# -- plain selection trees ------------------------------------------------------------------------------


_CONNECTIONS = tuple(name for name, type_ in SCHEMA.type_map.items()  # pages: their edges multiply what is below
                     if isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= set(type_.fields))
_LIST_FAN_OUT = 4


class _Writer:
    """A random walk of the schema: fields with meaningful arguments, to a drawn depth."""

    def __init__(self, draw: st.DrawFn, values: _Values) -> None:
        self.draw = draw
        self.values = values

    def selections(self, type_: Any, depth: int, fan_out: int) -> list[Any]:
        if isinstance(type_, GraphQLInterfaceType):
            return self.node_selections(depth, fan_out)
        fields = type_.fields
        names = sorted(fields)
        if depth <= 1 or fan_out > 60:
            leaves = [name for name in names if is_leaf(fields[name].type)]
            names = leaves or names
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(4, len(names)), unique=True))
        return [self.field(type_, name, depth, fan_out) for name in chosen]

    def node_selections(self, depth: int, fan_out: int) -> list[Any]:
        selections: list[Any] = []
        if self.values.chance(50):
            selections.append(Field("id"))
        if self.values.chance(40):
            selections.append(Field("__typename"))
        for type_name in self.draw(st.lists(st.sampled_from(NODE_TYPES), max_size=4, unique=True)):
            selections.append(Inline(type_name, self.selections(SCHEMA.get_type(type_name), depth, fan_out)))
        return selections or [Field("id")]

    def field(self, parent: GraphQLObjectType, name: str, depth: int, fan_out: int) -> Field:
        definition = parent.fields[name]
        args = self.values.arguments(parent.name, name, definition, fan_out) if definition.args else {}
        result = Field(name, args)
        if is_leaf(definition.type):
            return result
        inner = named(definition.type)
        grow = 1
        if parent.name in _CONNECTIONS and name == "edges" or graphql.is_list_type(graphql.get_nullable_type(definition.type)):
            grow = _LIST_FAN_OUT
        if inner.name in _CONNECTIONS:
            first = args.get("first")
            grow = first if isinstance(first, int) and 0 <= first <= 100 else 20
            grow = max(1, min(grow, 20))
        result.selections = self.selections(inner, depth - 1, fan_out * grow)
        return result

    def operation(self) -> list[Any]:
        depth = self.draw(st.integers(1, 7))
        return self.selections(QUERY, depth, 1)


# -- hypothesis-graphql's documents, read into the same tree --------------------------------------------


def _from_value(node: Any) -> Any:
    if isinstance(node, graphql.EnumValueNode):
        return Enum(node.value)
    if isinstance(node, graphql.VariableNode):
        return Var(node.name.value)
    if isinstance(node, graphql.ListValueNode):
        return [_from_value(item) for item in node.values]
    if isinstance(node, graphql.ObjectValueNode):
        return {item.name.value: _from_value(item.value) for item in node.fields}
    if isinstance(node, graphql.IntValueNode):
        return int(node.value)
    if isinstance(node, graphql.FloatValueNode):
        return float(node.value)
    return graphql.value_from_ast_untyped(node)


def _from_ast(selection_set: Any) -> list[Any]:
    selections: list[Any] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            selections.append(Field(
                node.name.value,
                {argument.name.value: _from_value(argument.value) for argument in node.arguments},
                _from_ast(node.selection_set) if node.selection_set else None,
            ))
        elif isinstance(node, InlineFragmentNode):
            on = node.type_condition.name.value if node.type_condition else None
            selections.append(Inline(on, _from_ast(node.selection_set)))
    return selections


def _make_meaningful(values: _Values, type_: Any, selections: list[Any], fan_out: int) -> None:
    """Replace most of hypothesis-graphql's random argument values by meaningful ones; bound the fan-out."""
    for selection in selections:
        if isinstance(selection, Inline):
            _make_meaningful(values, SCHEMA.get_type(selection.on) if selection.on else type_, selection.selections, fan_out)
            continue
        definition = type_.fields.get(selection.name) if hasattr(type_, "fields") else None
        if definition is None:
            continue
        if definition.args and values.chance(70):
            selection.args = values.arguments(type_.name, selection.name, definition, fan_out)
        inner = named(definition.type)
        grow = _LIST_FAN_OUT if graphql.is_list_type(graphql.get_nullable_type(definition.type)) else 1
        if inner.name in _CONNECTIONS:
            first = selection.args.get("first")
            if fan_out > 8 and not (isinstance(first, int) and 0 <= first <= 4):
                selection.args["first"] = values.draw(st.integers(0, 3))
            first = selection.args.get("first")
            grow = max(1, min(first if isinstance(first, int) and 0 <= first <= 100 else 20, 20))
        if selection.selections is not None:
            _make_meaningful(values, inner, selection.selections, fan_out * grow)


def _identity(document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


# -- decorations ----------------------------------------------------------------------------------------


class _Decorator:
    """Variables, aliases, `__typename`, directives, repeated fields, inline and named fragments."""

    def __init__(self, draw: st.DrawFn, values: _Values, variable_sets: int) -> None:
        self.draw = draw
        self.values = values
        self.sets = variable_sets
        self.variables: list[Variable] = []
        self.fragments: list[Fragment] = []
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # variables -----------------------------------------------------------------------------------------
    def lift(self, value: Any, type_: Any, redraw: Callable[[], Any] | None, defaulted: bool = False) -> Any:
        """The value, or a variable that holds it (and other values in the other sets), or one with parts lifted."""
        chance = self.values.chance
        if not _no_variables(value):
            return value  # lifted already (a fragment's selections are decorated twice)
        if isinstance(value, dict) and isinstance(named(type_), GraphQLInputObjectType) and chance(30):
            fields = named(type_).fields
            return {key: self.lift(item, fields[key].type, None, fields[key].default_value is not Undefined)
                    if key in fields else item for key, item in value.items()}
        if isinstance(value, list) and isinstance(graphql.get_nullable_type(type_), GraphQLList) and chance(20):
            return [self.lift(item, graphql.get_nullable_type(type_).of_type, None) for item in value]
        if not chance(35):
            return value
        declared = type_
        nullable = not isinstance(type_, GraphQLNonNull)
        if nullable and value is not None and chance(20):
            declared = GraphQLNonNull(type_)
        elif not nullable and defaulted and chance(15):
            declared = type_.of_type  # nullable in a non-null place: valid where the argument has a default
        variable = Variable(self.fresh("v"), type_text(declared), [])
        for index in range(self.sets):
            current = value if index == 0 or redraw is None else redraw()
            roll = self.draw(st.integers(0, 99))
            if roll < 3:
                current = self.values.wrong(type_)
            elif roll < 6 and not isinstance(declared, GraphQLNonNull):
                current = _MISSING if chance(50) else None
            variable.values.append(current if current is _MISSING else json_value(current))
        if chance(10) and value is not None and _no_variables(value):
            variable.default, variable.has_default = value, True
            if chance(60):
                variable.values = [_MISSING] + variable.values[1:]
        self.variables.append(variable)
        return Var(variable.name)

    def condition(self, directives: list[str]) -> None:
        """Adds `@skip` or `@include` (whichever `directives` lacks), its condition literal or a variable."""
        names = [name for name in ("skip", "include") if not any(d.startswith(f"@{name}(") for d in directives)]
        if not names:
            return
        name = self.values.pick(names)
        if self.values.chance(40):
            directives.append(f"@{name}(if: {self.values.pick(['true', 'false'])})")
            return
        values = [self.draw(st.booleans()) for _ in range(self.sets)]  # other sets, other values
        if self.values.chance(15):
            variable = Variable(self.fresh("b"), "Boolean", [], default=values[0], has_default=True)
            variable.values = [_MISSING if self.values.chance(50) else None if self.values.chance(5) else v
                               for v in values]  # null: `if` must not be null, an error before any field runs
        else:
            variable = Variable(self.fresh("b"), "Boolean!", values)
        self.variables.append(variable)
        directives.append(f"@{name}(if: ${variable.name})")

    # the tree ------------------------------------------------------------------------------------------
    def arguments(self, parent: Any, selection: Field, fan_out: int) -> None:
        definition = parent.fields.get(selection.name) if hasattr(parent, "fields") else None
        if definition is None:
            return
        for name, value in list(selection.args.items()):
            argument = definition.args.get(name)
            if argument is None:
                continue

            def redraw(name: str = name, value: Any = value) -> Any:
                return self.values.arguments(parent.name, selection.name, definition, fan_out).get(name, value)

            selection.args[name] = self.lift(value, argument.type, redraw, argument.default_value is not Undefined)

    def selections(self, type_: Any, selections: list[Any], fan_out: int = 1) -> list[Any]:
        chance = self.values.chance
        out: list[Any] = []
        for selection in selections:
            if isinstance(selection, Spread):
                out.append(selection)
                continue
            if isinstance(selection, Inline):
                inner = SCHEMA.get_type(selection.on) if selection.on else type_
                selection.selections = self.selections(inner, selection.selections, fan_out)
                if chance(10):
                    self.condition(selection.directives)
                out.append(selection)
                continue
            definition = type_.fields.get(selection.name) if hasattr(type_, "fields") else None
            self.arguments(type_, selection, fan_out)
            if selection.selections is not None and definition is not None:
                selection.selections = self.selections(named(definition.type), selection.selections, fan_out * 2)
            if chance(15):
                selection.alias = self.fresh("a") if chance(85) else selection.name
            if chance(10):
                self.condition(selection.directives)
                if chance(15):
                    self.condition(selection.directives)
            out.append(selection)
            if chance(8):  # the same response name again: merged, sub-selections and all
                copy = Field(selection.name, selection.args, None, selection.alias, [])
                if selection.selections is not None:
                    keep = self.draw(st.lists(st.sampled_from(range(len(selection.selections))), min_size=1,
                                              max_size=len(selection.selections), unique=True))
                    copy.selections = [selection.selections[i] for i in sorted(keep)]
                if chance(30):
                    self.condition(copy.directives)
                out.insert(self.draw(st.integers(0, len(out))), copy)
        if chance(10):
            out.insert(self.draw(st.integers(0, len(out))), Field("__typename", alias=self.fresh("t") if chance(30) else None))
        if out and chance(22):
            out = self.fragment(type_, out)
        return out

    def fragment(self, type_: Any, selections: list[Any]) -> list[Any]:
        """Some of the selections moved into an inline or named fragment, put back where the first one was."""
        chance = self.values.chance
        chosen = sorted(self.draw(st.lists(st.sampled_from(range(len(selections))), min_size=1,
                                           max_size=len(selections), unique=True)))
        moved = [selections[i] for i in chosen]
        rest = [s for i, s in enumerate(selections) if i not in chosen]
        on = type_.name
        if type_.name in NODE_TYPES and chance(25):  # through the interface: `... on Node { ... on Event { … } }`
            moved = [Inline(type_.name, moved)]
            on = "Node"
        directives: list[str] = []
        if chance(12):
            self.condition(directives)
        if chance(50):
            wrapper: Any = Inline(on if chance(70) or on == "Node" else None, moved, directives)
        else:
            fragment = Fragment(self.fresh("F"), on, moved)
            self.fragments.append(fragment)
            wrapper = Spread(fragment.name, directives)
            if chance(15):
                rest.insert(self.draw(st.integers(0, len(rest))), Spread(fragment.name))
        rest.insert(min(chosen[0], len(rest)), wrapper)
        return rest


def _no_variables(value: Any) -> bool:
    if isinstance(value, Var):
        return False
    if isinstance(value, list):
        return all(_no_variables(item) for item in value)
    if isinstance(value, dict):
        return all(_no_variables(item) for item in value.values())
    return True


# -- cases ----------------------------------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn, pool: Pool) -> Case:
    """One generated document with one to three variable sets."""
    values = _Values(draw, pool)
    if values.chance(20):
        document = draw(pool.from_schema())
        operation = document.definitions[0]
        selections = _from_ast(operation.selection_set)
        _make_meaningful(values, QUERY, selections, 1)
        kind = "hypothesis-graphql"
    else:
        selections = _Writer(draw, values).operation()
        kind = "walk"
    sets = draw(st.integers(1, 3))
    decorator = _Decorator(draw, values, sets)
    selections = decorator.selections(QUERY, selections)
    fragments = decorator.fragments
    for fragment in list(fragments):  # a fragment's own selections are decorated too (its fragments appended)
        if values.chance(40):
            fragment.selections = decorator.selections(SCHEMA.get_type(fragment.on), fragment.selections)
    variables = decorator.variables
    name = None if values.chance(25) else values.pick(["Q", "Page", "EventPage", "Everything", "q_1"])
    others: list[str] = []
    operation_name = name if name and values.chance(50) else None
    if name and values.chance(10):
        others = [f"query Other{i} {{ stats {{ events }} }}\n" for i in range(draw(st.integers(1, 2)))]
        roll = draw(st.integers(0, 99))
        operation_name = name if roll < 70 else ("Other0" if roll < 85 else (None if roll < 93 else "Missing"))
    text = render(name, variables, selections, fragments, tuple(others), fragments_first=values.chance(30),
                  shorthand=values.chance(60))
    variable_sets = []
    for index in range(sets):
        given = {v.name: v.values[index] for v in variables if v.values[index] is not _MISSING}
        variable_sets.append(given if given or values.chance(80) else None)
    return Case(text, variable_sets, operation_name, kind)


# -- limits, invalid documents, introspection -----------------------------------------------------------


def _chain(depth: int, path: str) -> str:
    inner = "headline"
    for _ in range(depth):
        inner = f"related {{ event {{ {inner} }} }}"
    return f'{{ event(path: {print_string(path)}) {{ {inner} }} }}'


@st.composite
def limit_cases(draw: st.DrawFn, pool: Pool) -> Case:
    """Documents at and past the limits, invalid ones, introspection."""
    values = _Values(draw, pool)
    path = values.pick(pool.paths)
    kind = draw(st.sampled_from([
        "depth", "depth-fragments", "aliases", "tokens", "cost", "cycle", "unknown-field", "bad-argument",
        "missing-argument", "no-selection", "leaf-selection", "undefined-variable", "unused-variable",
        "variable-type", "parse", "empty", "introspection", "typename", "mutation", "subscription",
    ]))
    first = draw(st.integers(0, 100))
    variables: dict[str, Any] | None = None
    if kind == "depth":
        text = _chain(draw(st.integers(5, 9)), path)
    elif kind == "depth-fragments":
        count = draw(st.integers(3, 9))
        fragments = [f"fragment F{i} on Event {{ headline related {{ event {{ ...F{i + 1} }} }} }}" for i in range(count)]
        fragments.append(f"fragment F{count} on Event {{ path }}")
        text = f'{{ event(path: {print_string(path)}) {{ ...F0 }} }}\n' + "\n".join(fragments)
    elif kind == "aliases":
        text = "{ " + " ".join(f"s{i}: stats {{ events }}" for i in range(draw(st.integers(45, 56)))) + " }"
    elif kind == "tokens":
        text = "{ stats { " + " ".join(["events"] * draw(st.integers(4_980, 5_010))) + " } }"
    elif kind == "cost":
        text = (f"{{ events(first: {first}) {{ edges {{ node {{ relatedBy(first: {draw(st.integers(0, 100))}) {{ "
                f"edges {{ node {{ relatedBy(first: 100) {{ totalCount edges {{ node {{ tags {{ name }} }} }} }} }} }} }} }} }} }} }}")
    elif kind == "cycle":
        text = "{ events { edges { node { ...A } } } }\nfragment A on Event { related { event { ...B } } }\nfragment B on Event { ...A }"
    elif kind == "unknown-field":
        text = "{ events { edges { node { headline nope } } } }"
    elif kind == "bad-argument":
        text = values.pick(['{ events(first: "3") { totalCount } }', "{ day(date: 20150901) { date } }",
                            '{ day(date: "2015-02-30") { date } }', "{ events(orderBy: NEWEST) { totalCount } }",
                            "{ tags(first: 2147483648) { totalCount } }", "{ events(bogus: 1) { totalCount } }",
                            '{ event(path: ["a"]) { path } }', '{ search(text: null) { totalCount } }'])
    elif kind == "missing-argument":
        text = "{ tag { name } }"
    elif kind == "no-selection":
        text = "{ stats }"
    elif kind == "leaf-selection":
        text = "{ stats { events { count } } }"
    elif kind == "undefined-variable":
        text = "query Q { events(first: $n) { totalCount } }"
    elif kind == "unused-variable":
        text, variables = "query Q($n: Int) { stats { events } }", {"n": 1}
    elif kind == "variable-type":
        text, variables = "query Q($n: String) { events(first: $n) { totalCount } }", {"n": "3"}
    elif kind == "parse":
        text = values.pick(["{ events(first: 1 { totalCount } }", "{", "query {", "{ events(first: 1) { totalCount }",
                            "fragment F on Event", '{ event(path: "unterminated) { path } }', "}{", "\u0000"])
    elif kind == "empty":
        text = values.pick(["", " ", "# only a comment\n", "fragment F on Event { path }"])
    elif kind == "introspection":
        text = values.pick(['{ __schema { queryType { name } } stats { events } }',
                            '{ __type(name: "Event") { name kind fields { name } } }',
                            f'{{ event(path: {print_string(path)}) {{ __typename headline }} __typename }}'])
    elif kind == "typename":
        node_id = print_string(values.global_id())
        text = f'query T {{ __typename node(id: {node_id}) {{ __typename ... on Event {{ __typename headline }} }} }}'
    elif kind == "mutation":
        text = f'mutation M {{ deleteEvent(path: {print_string(path)}) {{ deleted }} }}'
    else:
        text = "subscription S { eventsChanged { added } }"
    return Case(text, [variables], None, "limit:" + kind)


def all_cases(pool: Pool) -> st.SearchStrategy[Case]:
    """Generated documents, and now and then one of the `limit_cases`."""
    generated, limits = cases(pool), limit_cases(pool)
    return st.one_of(generated, generated, generated, generated, limits)


def show(query: str, variables: dict[str, Any] | None, operation_name: str | None) -> str:
    return (f"query:\n{query}\nvariables: {json.dumps(variables, ensure_ascii=False)}\n"
            f"operationName: {json.dumps(operation_name)}")
