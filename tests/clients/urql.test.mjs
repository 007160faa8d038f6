// urql (@urql/core) sending queries as GET requests (preferGetMethod) to `newsgraph serve`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, fetchExchange, gql } from "@urql/core";
import { GRAPHQL_URL, describeCalls, describeError, recordingFetch } from "./support.mjs";

const EVENTS = gql`
  query UrqlEvents($first: Int!, $tag: String!) {
    events(first: $first) {
      totalCount
      edges { cursor node { id path headline date sources { name domain } tags { name } } }
      pageInfo { hasNextPage endCursor }
    }
    tag(name: $tag) { name eventCount }
  }
`;

test("urql with preferGetMethod runs a query over GET and reads the answer", async (t) => {
  const recorder = recordingFetch();
  const client = new Client({
    url: GRAPHQL_URL,
    exchanges: [fetchExchange],
    preferGetMethod: true,
    requestPolicy: "network-only",
    fetch: recorder.fetch,
  });
  const result = await client.query(EVENTS, { first: 3, tag: "Syria" }).toPromise();
  const calls = describeCalls(recorder.calls);
  assert.ok(!result.error, `urql: ${result.error?.message}\n${calls}`);
  assert.equal(recorder.calls.length, 1, calls);
  const [call] = recorder.calls;
  assert.equal(call.method, "GET", `urql was asked to use GET:\n${calls}`);
  const url = new URL(call.url);
  assert.match(url.searchParams.get("query") ?? "", /UrqlEvents/, calls);
  assert.deepEqual(JSON.parse(url.searchParams.get("variables")), { first: 3, tag: "Syria" }, calls);
  assert.equal(call.status, 200, calls);
  assert.match(call.responseHeaders["content-type"] ?? "", /^application\/(graphql-response\+)?json/, calls);
  const { events } = result.data;
  assert.equal(events.edges.length, 3, calls);
  assert.ok(events.totalCount >= 3 && events.pageInfo.hasNextPage, calls);
  for (const { node } of events.edges) {
    assert.match(node.path, /^\/news\/\d{4}\/\d{2}\/\d{1,2}\/.+\.md$/);
    assert.ok(Array.isArray(node.sources) && Array.isArray(node.tags));
  }
  t.diagnostic(`GET answer caching headers: cache-control=${call.responseHeaders["cache-control"] ?? "(none)"}, ` +
    `etag=${call.responseHeaders.etag ?? "(none)"}, vary=${call.responseHeaders.vary ?? "(none)"}`);
});

test("urql with preferGetMethod still sends a mutation as POST (mutations never go over GET)", async () => {
  const recorder = recordingFetch();
  const client = new Client({ url: GRAPHQL_URL, exchanges: [fetchExchange], preferGetMethod: true,
    fetch: recorder.fetch });
  // No token: the server refuses it, but the point is the method the client chose and that the refusal is JSON.
  const result = await client.mutation(gql`mutation UrqlDelete { deleteEvent(path: "/news/1900/01/1/none.md") { deleted } }`,
    {}).toPromise();
  const calls = describeCalls(recorder.calls);
  assert.equal(recorder.calls[0]?.method, "POST", calls);
  assert.ok(result.error?.graphQLErrors?.length, `a mutation without a token must be refused:\n${calls}`);
  assert.equal(result.error.graphQLErrors[0].extensions?.code, "UNAUTHENTICATED", calls);
});
