// graphql-ws (the graphql-transport-ws protocol's reference client) against `newsgraph serve --watch`.
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, test } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import {
  ChangeLog, IMPORT_EVENTS, SUBSCRIBE_CHANGES, TOKEN, WS_URL, describeError,
  importDocument, importUntilHeard, sleep, watchFileRoundTrip,
} from "./support.mjs";

const clients = [];

function client(options = {}) {
  const made = createClient({
    url: WS_URL,
    webSocketImpl: WebSocket, // Node 20 has no global WebSocket
    retryAttempts: 0,
    lazy: true,
    ...options,
  });
  clients.push(made);
  return made;
}

after(async () => {
  await Promise.all(clients.map((made) => made.dispose()));
});

/** Subscribe to eventsChanged; the ChangeLog the subscription fills. */
function subscribeChanges(made, name) {
  const log = new ChangeLog(name);
  made.subscribe({ query: SUBSCRIBE_CHANGES }, {
    next: (result) => log.push(result),
    error: (error) => log.fail(new Error(`graphql-ws subscription error: ${describeError(error)}`)),
    complete: () => log.complete(),
  });
  return log;
}

/** Run one operation to its end over the socket: every result, or the error the client reported. */
function runOnce(made, payload) {
  return new Promise((resolve) => {
    const results = [];
    made.subscribe(payload, {
      next: (result) => results.push(result),
      error: (error) => resolve({ results, error }),
      complete: () => resolve({ results, error: null }),
    });
  });
}

test("the server speaks graphql-transport-ws in text frames (a browser's JSON.parse cannot read a Blob)", async () => {
  const socket = new WebSocket(WS_URL, "graphql-transport-ws");
  try {
    await once(socket, "open");
    assert.equal(socket.protocol, "graphql-transport-ws", "the server must accept the graphql-transport-ws subprotocol");
    const frames = [];
    socket.on("message", (data, isBinary) => frames.push({ text: data.toString("utf8"), isBinary }));
    socket.send(JSON.stringify({ type: "connection_init" }));
    socket.send(JSON.stringify({ type: "ping" }));
    const deadline = Date.now() + 5000;
    while (frames.length < 2 && Date.now() < deadline) await sleep(20);
    assert.ok(frames.length >= 2, `expected connection_ack and pong, got ${JSON.stringify(frames)}`);
    assert.deepEqual(frames.slice(0, 2).map((frame) => JSON.parse(frame.text).type), ["connection_ack", "pong"]);
    const binary = frames.filter((frame) => frame.isBinary);
    assert.deepEqual(binary, [], `the server sent binary WebSocket frames (opcode 2) where the protocol's ` +
      `messages are text (opcode 1): ${JSON.stringify(binary)}`);
  } finally {
    socket.close();
  }
});

test("a subscription receives the change an importEvents mutation (over HTTP) makes", async () => {
  const log = subscribeChanges(client(), "graphql-ws");
  const { change, imported } = await importUntilHeard(log, "graphql ws http");
  assert.ok(imported.some((path) => change.added.includes(path)), JSON.stringify(change));
  assert.ok(Array.isArray(change.changed) && Array.isArray(change.removed), JSON.stringify(change));
});

test("a subscription receives the changes a markdown file written into, then removed from, --watch makes",
  async (t) => {
    const log = subscribeChanges(client(), "graphql-ws watch");
    await watchFileRoundTrip(t, log, "graphql ws watch");
  });

test("the token in connectionParams lets a mutation run over the socket", async () => {
  const made = client({ connectionParams: { Authorization: `Bearer ${TOKEN}` } });
  const { document, expectedPath } = importDocument("graphql ws socket mutation");
  const { results, error } = await runOnce(made, { query: IMPORT_EVENTS, variables: { documents: [document] } });
  assert.equal(error, null, `the mutation over the socket failed: ${describeError(error)}`);
  assert.equal(results.length, 1, JSON.stringify(results));
  assert.equal(results[0].errors, undefined, `the mutation over the socket was refused: ${JSON.stringify(results[0])}`);
  assert.equal(results[0].data.importEvents[0].event?.path, expectedPath, JSON.stringify(results[0]));
});

test("without connectionParams a mutation over the socket is refused with UNAUTHENTICATED", async () => {
  const { document } = importDocument("graphql ws refused");
  const { results, error } = await runOnce(client(), { query: IMPORT_EVENTS, variables: { documents: [document] } });
  const errors = error ? (Array.isArray(error) ? error : [{ message: describeError(error) }]) : results.flatMap(
    (result) => result.errors ?? []);
  assert.ok(errors.length > 0, `a mutation without a token ran: ${JSON.stringify(results)}`);
  assert.equal(errors[0].extensions?.code, "UNAUTHENTICATED", JSON.stringify(errors));
  assert.ok(!results.some((result) => result.data?.importEvents), JSON.stringify(results));
});
