// The GraphQL over HTTP spec's audit (graphql-http's serverAudits) against /graphql, and how a plain HTTP request
// for a subscription is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { auditServer, serverAudits } from "graphql-http";
import { GRAPHQL_URL, SUBSCRIBE_CHANGES, describeResponse } from "./support.mjs";

async function responseText(response) {
  if (!response) return "(no response)";
  try {
    return await (response.bodyUsed ? Promise.resolve("(body already read by the audit)") : response.clone().text());
  } catch (error) {
    return `(unreadable: ${error.message})`;
  }
}

test("graphql-http's server audit passes with no errors and no warnings", async (t) => {
  const audits = serverAudits({ url: GRAPHQL_URL });
  assert.ok(audits.length > 20, `graphql-http ${audits.length} audits: fewer than expected`);
  const results = await auditServer({ url: GRAPHQL_URL });
  const failing = results.filter((result) => result.status === "error" || result.status === "warn");
  const notices = results.filter((result) => result.status === "notice");
  const lines = [];
  for (const result of failing) {
    const { response } = result;
    lines.push(`${result.status.toUpperCase()} [${result.id}] ${result.name}\n  reason: ${result.reason}\n  ` +
      describeResponse(response?.status, response?.headers, await responseText(response)).replaceAll("\n", "\n  "));
  }
  for (const result of notices) t.diagnostic(`notice [${result.id}] ${result.name}: ${result.reason}`);
  const ok = results.filter((result) => result.status === "ok").length;
  t.diagnostic(`${ok} of ${results.length} audits ok, ${failing.length} failing, ${notices.length} notices`);
  const count = (status) => failing.filter((result) => result.status === status).length;
  assert.deepEqual({ errors: count("error"), warnings: count("warn") }, { errors: 0, warnings: 0 },
    `graphql-http audit of ${GRAPHQL_URL}:\n${lines.join("\n")}`);
});

for (const accept of [null, "application/json", "application/graphql-response+json"]) {
  test(`a subscription sent as a plain POST (Accept: ${accept ?? "none"}) gets a 4xx JSON error with a code`,
    async () => {
      const headers = { "content-type": "application/json" };
      if (accept) headers.accept = accept;
      const response = await fetch(GRAPHQL_URL, {
        method: "POST", headers, body: JSON.stringify({ query: SUBSCRIBE_CHANGES }),
      });
      const text = await response.text();
      const answer = describeResponse(response.status, response.headers, text);
      assert.ok(response.status >= 400 && response.status < 500, `expected a 4xx status:\n${answer}`);
      assert.match(response.headers.get("content-type") ?? "", /^application\/(graphql-response\+)?json/, answer);
      const body = JSON.parse(text);
      assert.ok(Array.isArray(body.errors) && body.errors.length > 0, answer);
      const [error] = body.errors;
      assert.equal(typeof error.message, "string", answer);
      assert.equal(typeof error.extensions?.code, "string", answer);
      assert.notEqual(error.extensions.code, "INTERNAL_SERVER_ERROR", answer);
    });
}
