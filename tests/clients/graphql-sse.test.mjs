// graphql-sse (GraphQL over Server-Sent Events, "distinct connections mode") against `newsgraph serve`.
import assert from "node:assert/strict";
import { mkdir, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { createClient } from "graphql-sse";
import {
  CHANGE_TIMEOUT_MS, ChangeLog, DAY, GRAPHQL_URL, SUBSCRIBE_CHANGES, WATCH_DIR, describeCalls, describeError,
  importDocument, importUntilHeard, recordingFetch, sleep,
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
  assert.ok(WATCH_DIR, "NEWSGRAPH_WATCH_DIR is not set");
  const { log, unsubscribe } = subscribeChanges("graphql-sse watch");
  t.after(unsubscribe);
  await sleep(500); // the subscription starting on the server
  const { document, expectedPath } = importDocument("graphql sse watch");
  const file = path.join(WATCH_DIR, ...DAY.dir, path.basename(document.path));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, document.markdown, "utf8");
  t.after(() => unlink(file).catch(() => {}));
  const added = await log.waitForAdded([expectedPath], CHANGE_TIMEOUT_MS);
  assert.ok(added, `no eventsChanged over SSE added ${expectedPath} within ${CHANGE_TIMEOUT_MS} ms of writing ` +
    `${file}; changes seen: ${JSON.stringify(log.seen)}`);
  await unlink(file); // and waited for, so the watcher's pruning load cannot race a later import
  const removed = await log.waitFor((change) => change?.removed?.includes(expectedPath), CHANGE_TIMEOUT_MS);
  assert.ok(removed, `no eventsChanged over SSE removed ${expectedPath}; changes seen: ${JSON.stringify(log.seen)}`);
});
