// Apollo Client's PersistedQueryLink against `newsgraph serve --trusted-documents schema/examples`: an example query
// runs by its hash alone (the id Apollo computes, sha256 of graphql-js's print, is one the server lists), and a
// query not in the list is refused with PERSISTED_QUERY_NOT_IN_LIST, even when the link retries with its text.
// Run by tests/test_clients.py against a server of its own (not matched by *.test.mjs).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GRAPHQL_URL, describeCalls, recordingFetch } from "./support.mjs";

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const recorder = recordingFetch();
const client = new ApolloClient({
  link: ApolloLink.from([new PersistedQueryLink({ sha256 }), new HttpLink({ uri: GRAPHQL_URL, fetch: recorder.fetch })]),
  cache: new InMemoryCache(),
});
after(() => client.stop());

const nested = readFileSync(new URL("../../schema/examples/nested.graphql", import.meta.url), "utf8");
const variables = JSON.parse(nested.split("\n").find((line) => line.startsWith("# variables:")).slice(12));

test("a trusted example runs by its hash alone", async () => {
  recorder.calls.length = 0;
  const { data } = await client.query({ query: gql(nested), variables, fetchPolicy: "network-only" });
  const calls = describeCalls(recorder.calls);
  assert.ok(data.event.headline, calls);
  assert.equal(recorder.calls.length, 1, `one hash-only request, no retry with the text:\n${calls}`);
  assert.equal(JSON.parse(recorder.calls[0].body).query, undefined, calls);
});

test("a query that is not trusted is refused with PERSISTED_QUERY_NOT_IN_LIST", async () => {
  recorder.calls.length = 0;
  const refused = await client.query({ query: gql("query Untrusted { stats { events } }"), fetchPolicy: "network-only" })
    .then(() => null, (error) => error);
  const calls = describeCalls(recorder.calls);
  assert.ok(refused, `the untrusted query ran:\n${calls}`);
  const last = recorder.calls.at(-1);
  assert.match(JSON.parse(last.body).query ?? "", /^query Untrusted \{/, `the link retried with the text:\n${calls}`);
  assert.equal(JSON.parse(last.responseText).errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_IN_LIST", calls);
  assert.ok(last.status >= 400 && last.status < 500, calls);
});
