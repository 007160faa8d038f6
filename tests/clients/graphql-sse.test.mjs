// graphql-sse (GraphQL over Server-Sent Events, "distinct connections mode") against `newsgraph serve`.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "graphql-sse";
import {
  ChangeLog, GRAPHQL_URL, SUBSCRIBE_CHANGES, describeCalls, describeError, importUntilHeard, recordingFetch,
  watchFileRoundTrip,
} from "./support.mjs";

const recorder = recordingFetch();
const client = createClient({
  url: GRAPHQL_URL,
  singleConnection: false, // distinct connections mode (the default): one POST with Accept: text/event-stream each
  retryAttempts: 0,
  fetchFn: recorder.fetch,
});

after(() => client.dispose());

function subscribeChanges(label) {
  const log = new ChangeLog(label);
  const unsubscribe = client.subscribe({ query: SUBSCRIBE_CHANGES }, {
    next: (result) => log.push(result),
    error: (error) => log.fail(new Error(`graphql-sse subscription error: ${describeError(error)}\n` +
      `what the server answered:\n${describeCalls(recorder.calls)}`)),
    complete: () => log.complete(),
  });
  return { log, unsubscribe };
}

test("a subscription over SSE receives the change an importEvents mutation makes", async () => {
  const { log, unsubscribe } = subscribeChanges("graphql-sse");
  try {
    const { change, imported } = await importUntilHeard(log, "graphql sse");
    assert.ok(imported.some((path) => change.added.includes(path)), JSON.stringify(change));
    const stream = recorder.calls.find((call) => call.method === "POST");
    assert.ok(stream, describeCalls(recorder.calls));
    assert.match(stream.headers.accept ?? "", /text\/event-stream/, describeCalls(recorder.calls));
    assert.equal(stream.status, 200, describeCalls(recorder.calls));
    assert.match(stream.responseHeaders["content-type"] ?? "", /^text\/event-stream/, describeCalls(recorder.calls));
  } finally {
    unsubscribe();
  }
});

test("a subscription over SSE receives the change a markdown file written into --watch makes", async (t) => {
  const { log, unsubscribe } = subscribeChanges("graphql-sse watch");
  t.after(unsubscribe);
  await watchFileRoundTrip(t, log, "graphql sse watch");
});
