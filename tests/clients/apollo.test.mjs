// Apollo Client 4 against `newsgraph serve`: normalized nested queries, Relay paging with fetchMore, automatic
// persisted queries (POST and GET), batching, subscriptions over graphql-ws and over multipart HTTP.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, test } from "node:test";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import {
  ChangeLog, GRAPHQL_URL, SUBSCRIBE_CHANGES, WS_URL, describeCalls, describeError, importUntilHeard,
  postGraphQL, recordingFetch, sleep,
} from "./support.mjs";

// Apollo's GraphQLWsLink looks at the global WebSocket (to tell a CloseEvent from an error), which Node 20 lacks.
globalThis.WebSocket ??= WebSocket;

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function apollo(link, cache = new InMemoryCache()) {
  const client = new ApolloClient({ link, cache });
  cleanups.push(() => client.stop());
  return client;
}

/** The client's promise, its failure rethrown with every request and answer the link saw. */
async function withCalls(recorder, promise) {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${describeError(error)}\nwhat the server answered:\n${describeCalls(recorder.calls)}`);
  }
}

async function until(condition, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const NESTED = gql`
  query ApolloNested($path: String!) {
    event(path: $path) {
      id path headline date
      sources { name url domain publisher { id name eventCount } }
      related {
        path headline context { id name }
        event { id path headline tags { id name slug eventCount } }
      }
      tags { id name }
    }
  }
`;

test("a nested query: event → sources → related → event → tags, normalized in the cache", async () => {
  // An event whose related links resolve to events that have tags, found with plain fetch first.
  const found = await postGraphQL(`{ events(first: 100) { edges { node { path related { event { path tags { name } } } } } } }`);
  const node = found.body.data.events.edges.map((edge) => edge.node)
    .find((candidate) => candidate.related.some((related) => related.event?.tags.length));
  assert.ok(node, "the bundled archive has events whose related events have tags");

  const recorder = recordingFetch();
  const client = apollo(new HttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch }));
  const { data } = await withCalls(recorder, client.query({ query: NESTED, variables: { path: node.path } }));
  const { event } = data;
  assert.equal(event.path, node.path);
  assert.ok(event.sources.length > 0 && event.sources.every((source) => source.url && source.name));
  const resolved = event.related.filter((related) => related.event);
  assert.ok(resolved.some((related) => related.event.tags.length > 0), JSON.stringify(event.related));
  for (const related of resolved) {
    assert.equal(related.event.path, related.path);
    for (const tag of related.event.tags) assert.ok(tag.name && tag.slug && tag.eventCount >= 1, JSON.stringify(tag));
  }
  const cached = client.cache.extract();
  assert.ok(cached[client.cache.identify(event)], "the event is normalized by its id");
  for (const related of resolved) assert.ok(cached[client.cache.identify(related.event)]);
});

const EVENTS_PAGE = gql`
  query ApolloEventsPage($first: Int!, $after: String) {
    events(first: $first, after: $after) {
      totalCount
      edges { cursor node { id path headline date } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

test("Relay paging of events(first:, after:) through two pages with relayStylePagination and fetchMore",
  async () => {
    const recorder = recordingFetch();
    const cache = new InMemoryCache({
      typePolicies: { Query: { fields: { events: relayStylePagination(["filter", "orderBy"]) } } },
    });
    const client = apollo(new HttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch }), cache);
    const observable = client.watchQuery({ query: EVENTS_PAGE, variables: { first: 5 } });
    const errors = [];
    const subscription = observable.subscribe({ next: (result) => result.error && errors.push(result.error),
      error: (error) => errors.push(error) });
    cleanups.push(() => subscription.unsubscribe());
    await withCalls(recorder, until(() => errors.length || observable.getCurrentResult().dataState === "complete",
      "the first page"));
    assert.deepEqual(errors.map(describeError), [], describeCalls(recorder.calls));
    const first = observable.getCurrentResult().data.events;
    assert.equal(first.edges.length, 5);
    assert.ok(first.pageInfo.hasNextPage && first.pageInfo.endCursor, JSON.stringify(first.pageInfo));

    const more = await withCalls(recorder, observable.fetchMore({ variables: { after: first.pageInfo.endCursor } }));
    assert.equal(more.data.events.edges.length, 5, JSON.stringify(more.data));
    await until(() => observable.getCurrentResult().data.events.edges.length === 10, "the merged pages");
    const merged = observable.getCurrentResult().data.events;
    const paths = merged.edges.map((edge) => edge.node.path);
    assert.equal(new Set(paths).size, 10, `pages overlap: ${paths}`);
    assert.equal(merged.pageInfo.endCursor, more.data.events.pageInfo.endCursor);

    const direct = await postGraphQL(`{ events(first: 10) { edges { node { path } } } }`);
    assert.deepEqual(paths, direct.body.data.events.edges.map((edge) => edge.node.path),
      "two pages of five are the first ten events");
  });

/** An Apollo client whose every request goes through the persisted-query link first. */
function persistedClient(options = {}) {
  const recorder = recordingFetch();
  const link = ApolloLink.from([
    new PersistedQueryLink({ sha256, ...options }),
    new HttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch }),
  ]);
  return { client: apollo(link), recorder };
}

/** What a recorded request asked for: its operation (body or URL parameters). */
function sentOperation(call) {
  if (call.method === "GET") {
    const params = new URL(call.url).searchParams;
    const json = (name) => (params.get(name) ? JSON.parse(params.get(name)) : undefined);
    return { query: params.get("query") ?? undefined, extensions: json("extensions"), variables: json("variables") };
  }
  return JSON.parse(call.body);
}

function uniqueStatsQuery(label) {
  const name = `${label}${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  return gql(`query ${name} { stats { events tags } events(first: 2) { edges { node { id path } } } }`);
}

async function checkPersistedQueries(options, expectedHashedMethod) {
  const { client, recorder } = persistedClient(options);
  const query = uniqueStatsQuery(expectedHashedMethod === "GET" ? "ApqGet" : "ApqPost");
  const first = await withCalls(recorder, client.query({ query, fetchPolicy: "network-only" }));
  const second = await withCalls(recorder, client.query({ query, fetchPolicy: "network-only" }));
  const calls = describeCalls(recorder.calls);
  assert.equal(recorder.calls.length, 3, `expected hash-only, retry with text, hash-only:\n${calls}`);
  const [hashOnly, withText, hashAgain] = recorder.calls.map(sentOperation);

  assert.equal(recorder.calls[0].method, expectedHashedMethod, calls);
  assert.equal(hashOnly.query, undefined, `the first request sends only the hash:\n${calls}`);
  const hash = hashOnly.extensions?.persistedQuery?.sha256Hash;
  assert.match(hash ?? "", /^[0-9a-f]{64}$/, calls);
  const notFound = JSON.parse(recorder.calls[0].responseText);
  assert.equal(notFound.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND",
    `a hash the server has not seen must be answered PERSISTED_QUERY_NOT_FOUND:\n${calls}`);

  assert.equal(typeof withText.query, "string", `the link retries with the text:\n${calls}`);
  assert.equal(sha256(withText.query), hash, "the hash is the sha256 of the text");
  assert.equal(withText.extensions?.persistedQuery?.sha256Hash, hash, calls);
  assert.equal(JSON.parse(recorder.calls[1].responseText).errors, undefined, calls);

  assert.equal(recorder.calls[2].method, expectedHashedMethod, calls);
  assert.equal(hashAgain.query, undefined, `the second identical query is sent hash-only:\n${calls}`);
  assert.equal(hashAgain.extensions?.persistedQuery?.sha256Hash, hash, calls);
  assert.equal(recorder.calls[2].status, 200, calls);
  assert.equal(JSON.parse(recorder.calls[2].responseText).errors, undefined, calls);
  assert.deepEqual(second.data, first.data);
  assert.ok(first.data.stats.events > 0);
  return recorder;
}

test("automatic persisted queries over POST: hash only, PERSISTED_QUERY_NOT_FOUND, retry with text, hash only",
  async () => {
    await checkPersistedQueries({}, "POST");
  });

test("automatic persisted queries with useGETForHashedQueries: hash-only requests are GETs", async (t) => {
  const recorder = await checkPersistedQueries({ useGETForHashedQueries: true }, "GET");
  const headers = recorder.calls[2].responseHeaders;
  t.diagnostic(`hash-only GET answer: cache-control=${headers["cache-control"] ?? "(none)"}, ` +
    `etag=${headers.etag ?? "(none)"}`);
});

test("BatchHttpLink sends several queries in one request and gets one answer each", async () => {
  const recorder = recordingFetch();
  const client = apollo(new BatchHttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch, batchMax: 10,
    batchInterval: 20 }));
  const queries = [
    gql`query BatchStats { stats { events tags publishers } }`,
    gql`query BatchEvents { events(first: 3) { edges { node { id path } } } }`,
    gql`query BatchTags { tags(first: 3) { edges { node { id name eventCount } } } }`,
  ];
  const results = await withCalls(recorder, Promise.all(queries.map((query) => client.query({ query }))));
  const calls = describeCalls(recorder.calls);
  assert.equal(recorder.calls.length, 1, `one request for the batch:\n${calls}`);
  const sent = JSON.parse(recorder.calls[0].body);
  assert.ok(Array.isArray(sent) && sent.length === 3, calls);
  const answered = JSON.parse(recorder.calls[0].responseText);
  assert.ok(Array.isArray(answered) && answered.length === 3, `one answer per operation:\n${calls}`);
  assert.ok(results[0].data.stats.events > 0);
  assert.equal(results[1].data.events.edges.length, 3);
  assert.equal(results[2].data.tags.edges.length, 3);
});

test("GraphQLWsLink (graphql-ws): a subscription receives the change an importEvents mutation makes", async () => {
  const ws = createWsClient({ url: WS_URL, webSocketImpl: WebSocket, retryAttempts: 0 });
  cleanups.push(() => ws.dispose());
  const client = apollo(new GraphQLWsLink(ws));
  const log = new ChangeLog("apollo GraphQLWsLink");
  const subscription = client.subscribe({ query: gql(SUBSCRIBE_CHANGES) }).subscribe({
    next: (result) => (result.error ? log.fail(new Error(describeError(result.error))) : log.push(result)),
    error: (error) => log.fail(new Error(`GraphQLWsLink error: ${describeError(error)}`)),
    complete: () => log.complete(),
  });
  cleanups.push(() => subscription.unsubscribe());
  const { change, imported } = await importUntilHeard(log, "apollo ws link");
  assert.ok(imported.some((path) => change.added.includes(path)), JSON.stringify(change));
});

test("HttpLink multipart subscription (multipart/mixed;subscriptionSpec=1.0) receives an importEvents change",
  async () => {
    const recorder = recordingFetch();
    const client = apollo(new HttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch }));
    const log = new ChangeLog("apollo multipart");
    const explain = () => `\nwhat the server answered:\n${describeCalls(recorder.calls)}`;
    const subscription = client.subscribe({ query: gql(SUBSCRIBE_CHANGES) }).subscribe({
      next: (result) => (result.error ? log.fail(new Error(describeError(result.error) + explain())) : log.push(result)),
      error: (error) => log.fail(new Error(`multipart subscription error: ${describeError(error)}${explain()}`)),
      complete: () => log.complete(),
    });
    cleanups.push(() => subscription.unsubscribe());
    try {
      const { change, imported } = await importUntilHeard(log, "apollo multipart");
      assert.ok(imported.some((path) => change.added.includes(path)), JSON.stringify(change));
    } catch (error) {
      throw new Error(`${error.message}${log.failure ? "" : explain()}`);
    }
    const [call] = recorder.calls;
    assert.match(call.headers.accept, /multipart\/mixed;boundary=graphql;subscriptionSpec=1\.0/, explain());
    assert.equal(call.status, 200, explain());
    assert.match(call.responseHeaders["content-type"] ?? "", /^multipart\/mixed/, explain());
  });
