// Shared by the client-compatibility tests: where the server is, how to make a change it announces, and how to
// say exactly what it answered when a client fails. tests/test_clients.py starts the server and sets:
//   NEWSGRAPH_URL        base URL of a running `newsgraph serve --watch` (e.g. http://127.0.0.1:8123)
//   NEWSGRAPH_TOKEN      the token the server was given (mutations need `Authorization: Bearer <token>`)
//   NEWSGRAPH_WATCH_DIR  the --data directory the server watches (markdown written there is loaded)
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/test_clients.py`);
  return value;
}

export const BASE_URL = required("NEWSGRAPH_URL").replace(/\/+$/, "");
export const GRAPHQL_URL = `${BASE_URL}/graphql`;
export const WS_URL = GRAPHQL_URL.replace(/^http/, "ws");
export const TOKEN = required("NEWSGRAPH_TOKEN");
export const WATCH_DIR = process.env.NEWSGRAPH_WATCH_DIR || null;
export const CHANGE_TIMEOUT_MS = 20_000; // a --watch load, or a mutation's reload, reaching a subscriber
export const SUBSCRIBE_CHANGES = "subscription CompatChanges { eventsChanged { added changed removed } }";

export const IMPORT_EVENTS = `mutation CompatImport($documents: [ImportDocument!]!) {
  importEvents(documents: $documents) { path event { path headline } problems { line message severity } }
}`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A headline no other test (or earlier run against the same store) has used: lower-case words and digits. */
export function uniqueHeadline(label) {
  const words = String(label).toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return `Compat ${words} ${Date.now()} ${randomBytes(4).toString("hex")} imports an event.`;
}

/** The slug the archive derives from such a headline (docs/format.md: lower case, runs of other characters to `-`). */
export function slugOf(headline) {
  return headline.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

export const DAY = { date: "2015-09-3", dir: ["2015", "09", "3"] };

/** One event as an archive file holds it, dated on a day the bundled archive has. */
export function eventMarkdown(headline) {
  return `### [${DAY.date}](/news/${DAY.dir.join("/")}/index.md)

# ${headline}

A summary line written by the client-compatibility suite.

### Source:

1. [Example News](https://example.com/compat/${slugOf(headline)})
`;
}

export function importDocument(label) {
  const headline = uniqueHeadline(label);
  const slug = slugOf(headline);
  return {
    headline,
    expectedPath: `/news/${DAY.dir.join("/")}/${slug}.md`,
    document: { path: `news/${DAY.dir.join("/")}/${slug}.md`, markdown: eventMarkdown(headline) },
  };
}

/** "HTTP 200 …, headers, body": what the server answered, for a failure message the lead can act on. */
export function describeResponse(status, headers, bodyText, request = "") {
  const headerLines = [];
  if (headers) {
    const entries = typeof headers.entries === "function" ? [...headers.entries()] : Object.entries(headers);
    for (const [name, value] of entries) headerLines.push(`  ${name}: ${value}`);
  }
  const body = bodyText === undefined ? "(not read)" : String(bodyText).slice(0, 1500);
  return `${request ? `${request}\n` : ""}HTTP ${status}\n${headerLines.join("\n")}\nbody: ${body}`;
}

/** POST one GraphQL operation with plain fetch; the decoded body, or an error that shows the whole answer. */
export async function postGraphQL(query, variables = {}, { headers = {}, accept = "application/json" } = {}) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    headers: { "content-type": "application/json", accept, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON:\n${describeResponse(response.status, response.headers, text)}`);
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Import one fresh event over HTTP with the token; its canonical path (the one `eventsChanged` will name). */
export async function importOverHttp(label) {
  const { document, expectedPath } = importDocument(label);
  const answer = await postGraphQL(IMPORT_EVENTS, { documents: [document] },
    { headers: { authorization: `Bearer ${TOKEN}` } });
  const path = answer.body?.data?.importEvents?.[0]?.event?.path;
  if (answer.status !== 200 || answer.body.errors || !path) {
    throw new Error(`importEvents failed:\n${describeResponse(answer.status, answer.headers, answer.text)}`);
  }
  if (path !== expectedPath) throw new Error(`importEvents stored ${path}, expected ${expectedPath}`);
  return path;
}

/** Changes a subscription delivered, and waiting for one that names a path. */
export class ChangeLog {
  constructor(name) {
    this.name = name;
    this.seen = [];
    this.failure = null;
    this.completed = false;
    this.waiters = new Set();
  }

  /** Record one `next` of the subscription: an ExecutionResult ({data, errors}) or the eventsChanged object. */
  push(result) {
    if (result?.errors?.length) {
      this.fail(new Error(`the subscription sent errors: ${JSON.stringify(result.errors)}`));
      return;
    }
    const change = result?.data?.eventsChanged ?? result?.eventsChanged ?? result;
    this.seen.push(change);
    for (const waiter of this.waiters) waiter.check();
  }

  fail(error) {
    this.failure ??= error instanceof Error ? error : new Error(describeError(error));
    for (const waiter of this.waiters) waiter.check();
  }

  complete() {
    this.completed = true;
    for (const waiter of this.waiters) waiter.check();
  }

  /** The first change (already seen or still to come) whose `added` names one of `paths`; null after `ms`. */
  waitForAdded(paths, ms) {
    const wanted = new Set(paths);
    return this.waitFor((change) => change?.added?.some((path) => wanted.has(path)), ms);
  }

  /** The first change (already seen or still to come) that `predicate` accepts; null after `ms`. */
  waitFor(predicate, ms) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const hit = this.seen.find(predicate);
          if (hit) return finish(() => resolve(hit));
          if (this.failure) return finish(() => reject(this.failure));
          if (this.completed) return finish(() => reject(new Error(`${this.name}: the subscription completed; ` +
            `changes seen: ${JSON.stringify(this.seen)}`)));
        },
      };
      const timer = setTimeout(() => finish(() => resolve(null)), ms);
      const finish = (settle) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        settle();
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }
}

/**
 * Make changes until the subscription behind `log` reports one: import a fresh event (over HTTP with the token
 * unless `importer` is given), wait a while for `eventsChanged` to name it (or any event imported before it), and
 * try again with another event, waiting longer each time. Retrying covers the one race a client cannot see: a
 * server gives no signal that a subscription has started, so the first import may come before it has.
 */
export async function importUntilHeard(log, label, { importer = importOverHttp, waits = [400, 800, 1600, 3200] } = {}) {
  const imported = [];
  for (const [attempt, waitMs] of waits.entries()) {
    if (log.failure) throw log.failure;
    imported.push(await importer(`${label} ${attempt + 1}`));
    const change = await log.waitForAdded(imported, waitMs);
    if (change) return { change, imported };
  }
  const last = await log.waitForAdded(imported, CHANGE_TIMEOUT_MS / 2); // a slow server: one longer wait
  if (last) return { change: last, imported };
  throw new Error(`${log.name}: no eventsChanged naming ${JSON.stringify(imported)} arrived; ` +
    `changes seen: ${JSON.stringify(log.seen)}`);
}

/** A fetch that records each request and, for JSON answers, the body: to check what a client sent and got. */
export function recordingFetch() {
  const calls = [];
  const recorded = async (input, init = {}) => {
    const request = new Request(input, init);
    const call = {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers.entries()),
      body: init.body === undefined || init.body === null ? null : String(init.body),
    };
    calls.push(call);
    const response = await fetch(input, init);
    call.status = response.status;
    call.responseHeaders = Object.fromEntries(response.headers.entries());
    const type = response.headers.get("content-type") || "";
    if (!/multipart|event-stream/i.test(type)) {
      call.responseText = await response.clone().text();
    } else if (response.body) {
      peekStream(response.clone(), call);
    }
    return response;
  };
  return { fetch: recorded, calls };
}

/** The start of a streamed answer (SSE, multipart), read from a copy for at most 2 s: never holds the test open. */
function peekStream(copy, call) {
  const reader = copy.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  call.responseText = "(streamed; nothing read yet)";
  const stop = () => reader.cancel().catch(() => {});
  const timer = setTimeout(stop, 2000);
  timer.unref();
  (async () => {
    try {
      while (text.length < 1500) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        call.responseText = `(streamed, first ${text.length} characters, as JSON string) ${JSON.stringify(text)}`;
      }
    } catch {
      // cancelled: the copy was only for a failure message
    } finally {
      clearTimeout(timer);
      stop();
    }
  })();
}

export function describeCall(call) {
  return describeResponse(call.status, call.responseHeaders, call.responseText,
    `${call.method} ${call.url}${call.body ? `\nrequest body: ${call.body}` : ""}\n` +
    `request headers: ${JSON.stringify(call.headers)}`);
}

export function describeCalls(calls) {
  return calls.map((call, n) => `--- request ${n + 1} ---\n${describeCall(call)}`).join("\n");
}

/** Errors from clients come as Error, CloseEvent, arrays of GraphQL errors…: a readable line for each. */
export function describeError(error) {
  if (error instanceof Error) {
    const extra = [];
    if (error.errors) extra.push(`errors: ${JSON.stringify(error.errors)}`);
    if (error.result) extra.push(`result: ${JSON.stringify(error.result)}`);
    if (error.bodyText) extra.push(`body: ${error.bodyText}`);
    if (error.statusCode) extra.push(`status: ${error.statusCode}`);
    if (error.cause) extra.push(`cause: ${describeError(error.cause)}`);
    return [`${error.name}: ${error.message}`, ...extra].join("\n");
  }
  if (Array.isArray(error)) return `GraphQL errors: ${JSON.stringify(error)}`;
  if (error && typeof error === "object" && "code" in error && "reason" in error) {
    return `WebSocket closed: code ${error.code}, reason ${JSON.stringify(error.reason)}`;
  }
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/**
 * Writes an event's markdown file into the served --watch directory, waits for the subscription behind `log` to
 * hear it added, removes the file and waits to hear it removed (so the watcher's pruning load cannot race a later
 * import). `t` is the node:test context (the file is removed after the test whatever happens).
 */
export async function watchFileRoundTrip(t, log, label) {
  assert.ok(WATCH_DIR, "NEWSGRAPH_WATCH_DIR is not set");
  await sleep(500); // the subscription starting on the server; the watcher then waits for a quiet spell anyway
  const { document, expectedPath } = importDocument(label);
  const file = path.join(WATCH_DIR, ...DAY.dir, path.basename(document.path));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, document.markdown, "utf8");
  t.after(() => unlink(file).catch(() => {}));
  const added = await log.waitForAdded([expectedPath], CHANGE_TIMEOUT_MS);
  assert.ok(added, `${label}: no eventsChanged added ${expectedPath} within ${CHANGE_TIMEOUT_MS} ms of writing ` +
    `${file}; changes seen: ${JSON.stringify(log.seen)}`);
  await unlink(file);
  const removed = await log.waitFor((change) => change?.removed?.includes(expectedPath), CHANGE_TIMEOUT_MS);
  assert.ok(removed, `${label}: no eventsChanged removed ${expectedPath} within ${CHANGE_TIMEOUT_MS} ms of ` +
    `deleting ${file}; changes seen: ${JSON.stringify(log.seen)}`);
}
