"""`filter` and `orderBy` over HTTP, against a brute-force reading of the stored records.

Every one of the 64 combinations of the six filter fields is tried, each with values drawn
from the bundled archive (a deterministic sample of the value products), on the root
`events` listing and on one of the other event listings in turn.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from typing import Any

import pytest

from tests.api_listings import (
    Listing,
    document_domains,
    document_tags,
    domain_of,
    event_listings,
    fetch_error,
    fold,
    most_common,
    newest_first,
    oldest_first,
    page_through,
    publisher_names,
    searchable_words,
)
from tests.drivers import ApiClient

FIELDS = ("dateFrom", "dateTo", "tagsAll", "tagsAny", "publisher", "text")
SUBSETS = [fields for size in range(len(FIELDS) + 1) for fields in itertools.combinations(FIELDS, size)]
SAMPLES_PER_SUBSET = 4
SCOPED = ("tag.events", "day.events", "publisher.events", "relatedBy", "search")
SEARCH_WORD = "of"  # the search listing's own text: common, so the filter does the narrowing


@pytest.fixture(scope="module")
def listings(documents: dict[str, dict[str, Any]]) -> dict[str, tuple[Listing, list[dict[str, Any]]]]:
    return event_listings(documents, SEARCH_WORD)


@pytest.fixture(scope="module")
def pools(documents: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """Real values for each filter field, in the spellings a client might send."""
    docs = list(documents.values())
    dates = sorted({d["date"] for d in docs})
    tags = [tag for tag, _ in Counter(t for d in docs for t in document_tags(d)).most_common()]
    top = tags[0]
    partner = Counter(t for d in docs if top in document_tags(d) for t in document_tags(d) if t != top).most_common(1)[0][0]
    spelled = {t.casefold(): t for d in docs for item in d["related"] for t in item["context"]}
    domains = [domain for domain, _ in Counter(x for d in docs for x in document_domains(d)).most_common()]
    names = Counter(most_common(counter).casefold() for counter in publisher_names(docs).values())
    shared_name = next(name for name, count in names.most_common() if count > 1)  # one name, several domains
    return {
        "dateFrom": [dates[2], dates[8]],
        "dateTo": [dates[5], dates[12]],  # dates[8] > dates[5]: an impossible range, refused
        "tagsAll": [[spelled[top].upper()], [spelled[top], spelled[partner].lower()], ["No Such Tag"]],
        "tagsAny": [[spelled[tags[1]], spelled[tags[2]].lower()], [spelled[partner]], [spelled[tags[-1]]]],
        "publisher": [domains[0], "www." + domains[1], shared_name.upper()],
        "text": ["killed", "PEREZ", "Reuters"],
    }


def _wanted_domains(value: str, documents: dict[str, dict[str, Any]]) -> set[str]:
    """A publisher given by domain, or by name: every domain whose usual source name it is."""
    names = {domain: most_common(counter) for domain, counter in publisher_names(documents.values()).items()}
    domain = domain_of("http://" + value)
    if domain in names:
        return {domain}
    return {domain for domain, name in names.items() if name.casefold() == value.casefold()}


def brute_force(documents: dict[str, dict[str, Any]], scope: list[dict[str, Any]], given: dict[str, Any]) -> list[dict]:
    """The documents of `scope` that meet every given criterion, by reading the records directly."""
    wanted_domains = _wanted_domains(given["publisher"], documents) if "publisher" in given else set()

    def meets(document: dict[str, Any]) -> bool:
        tags = document_tags(document)
        return (
            ("dateFrom" not in given or document["date"] >= given["dateFrom"])
            and ("dateTo" not in given or document["date"] <= given["dateTo"])
            and all(tag.casefold() in tags for tag in given.get("tagsAll", ()))
            and ("tagsAny" not in given or any(tag.casefold() in tags for tag in given["tagsAny"]))
            and ("publisher" not in given or bool(document_domains(document) & wanted_domains))
            and ("text" not in given or fold(given["text"]) in searchable_words(document))
        )

    return [document for document in scope if meets(document)]


def _samples(fields: tuple[str, ...], pools: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """A deterministic sample of the value combinations for these fields."""
    product = [dict(zip(fields, values, strict=True)) for values in itertools.product(*(pools[f] for f in fields))]
    rng = random.Random("/".join(fields))
    return rng.sample(product, min(SAMPLES_PER_SUBSET, len(product)))


def _check(api: ApiClient, listing: Listing, expected: list[dict], given: dict[str, Any], order: str) -> None:
    walk = page_through(api, listing, 100, orderBy=order, filter=given)
    label = f"{listing.label} {order} {json.dumps(given)}"
    assert walk.total_count == len(expected), label
    if order == "DATE_DESC":
        assert walk.keys() == newest_first(expected), label
    elif order == "DATE_ASC":
        assert walk.keys() == oldest_first(expected), label
    else:
        assert sorted(walk.keys()) == sorted(d["path"] for d in expected), label


@pytest.mark.parametrize("fields", SUBSETS, ids=lambda fields: "+".join(fields) or "none")
def test_every_filter_combination_agrees_with_brute_force(
    api: ApiClient, documents: dict[str, dict[str, Any]], listings, pools: dict[str, list[Any]], fields: tuple[str, ...]
) -> None:
    for number, given in enumerate(_samples(fields, pools)):
        given = {name: (str(value) if name.startswith("date") else value) for name, value in given.items()}
        orders = ["DATE_DESC", "DATE_ASC"] + ["RELEVANCE"] * ("text" in given)
        order = orders[(len(fields) + number) % len(orders)]
        scoped_name = SCOPED[(SUBSETS.index(fields) + number) % len(SCOPED)]
        for listing, scope in (listings["events"], listings[scoped_name]):
            if "dateFrom" in given and "dateTo" in given and given["dateFrom"] > given["dateTo"]:
                error = fetch_error(api, listing, filter=given)
                assert error["extensions"]["code"] == "BAD_USER_INPUT"
                assert "dateFrom" in error["message"] and "dateTo" in error["message"]
                continue
            _check(api, listing, brute_force(documents, scope, given), given, order)


def test_the_pools_select_something(documents, pools) -> None:
    """Guards the combination test against values that match nothing in the bundle."""
    docs = list(documents.values())
    for name, values in pools.items():
        for value in values:
            if value != ["No Such Tag"]:
                assert brute_force(documents, docs, {name: str(value) if name.startswith("date") else value}), (name, value)


def test_a_publisher_name_shared_by_several_domains_covers_them_all(api: ApiClient, documents, pools) -> None:
    name = pools["publisher"][2]
    assert len(_wanted_domains(name, documents)) > 1
    walk = page_through(api, Listing("events", "events"), 100, filter={"publisher": name})
    assert walk.keys() == newest_first(brute_force(documents, list(documents.values()), {"publisher": name}))


def test_relevance_order_needs_a_text(api: ApiClient) -> None:
    error = fetch_error(api, Listing("events", "events"), orderBy="RELEVANCE")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "RELEVANCE" in error["message"]


def test_relevance_in_a_listing_ranks_like_search(api: ApiClient) -> None:
    ranked = page_through(api, Listing("events", "events"), 100, orderBy="RELEVANCE", filter={"text": "war conflict"})
    searched = page_through(api, Listing("search", "search", fixed='text: "war conflict"'), 100)
    assert ranked.keys() == searched.keys() and ranked.total_count > 5


def test_empty_tag_lists_do_not_narrow(api: ApiClient) -> None:
    everything = page_through(api, Listing("events", "events"), 100, filter={"tagsAll": [], "tagsAny": []})
    assert everything.total_count == 214


def test_unknown_publisher_and_tag_give_empty_listings_not_errors(api: ApiClient) -> None:
    for given in ({"publisher": "no-such-outlet.example"}, {"tagsAny": ["nothing like this"]}, {"publisher": "[abc"}):
        walk = page_through(api, Listing("events", "events"), 10, filter=given)
        assert walk.total_count == 0 and walk.nodes == []


@pytest.mark.parametrize(
    ("given", "mentions"),
    [({"dateFrom": "2015-13-01"}, "Date"), ({"dateTo": "yesterday"}, "Date"), ({"tagsAll": ["x"] * 51}, "tagsAll"),
     ({"text": "x" * 1001}, "1000"), ({"text": "   "}, "no words"), ({"text": '""'}, "no words")],
    ids=["bad-month", "not-a-date", "too-many-tags", "text-too-long", "blank-text", "empty-phrase"],
)
def test_bad_filter_values_are_bad_user_input(api: ApiClient, given: dict[str, Any], mentions: str) -> None:
    error = fetch_error(api, Listing("events", "events"), filter=given)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert mentions in error["message"]


def test_bad_filter_values_written_inline_are_bad_user_input_too(api: ApiClient) -> None:
    error = api.error('{ events(filter: {dateFrom: "2015-02-30"}) { totalCount } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Date" in error["message"]
    error = api.error("{ events(filter: {dateFrom: 20150901}) { totalCount } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = api.error('{ events(filter: {colour: "red"}) { totalCount } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "colour" in error["message"]
