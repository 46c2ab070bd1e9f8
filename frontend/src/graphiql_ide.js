// The GraphiQL IDE of /profile-graphiql (spec §9): the `graphiql` package on React, bundled
// as its own entry (graphiql_ide-<hash>.js) that only that page loads. Queries go to
// /profile-graph as JSON with the session cookie, so an owner can read a private profile.
import React from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";

// The example asks what the profile page shows: totals, the last 12 hours, the last 14 days.
function example(now = new Date()) {
  const recent = new Date(now.getTime() - 12 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const days = new Date(now.getTime() - 14 * 86400 * 1000).toISOString().slice(0, 10);
  return `# The Code::Stats profile API. Run with the ▶ button or Ctrl-Enter;
# the schema (docs in the left panel) is read by introspection.
query Profile($username: String!) {
  profile(username: $username) {
    registered
    totalXp
    languages { name xp }
    machines { name xp }
    recentLanguages: languages(since: "${recent}") { name xp }
    dayLanguageXps(since: "${days}") { date language xp }
    hourOfDayXps
  }
}
`;
}

async function fetcher(params) {
  const resp = await fetch("/profile-graph", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(params),
  });
  return resp.json();
}

function start() {
  const root = document.getElementById("graphiql");
  // ?query=&variables= (as links to the IDE carry them) win over the example.
  const url = new URLSearchParams(window.location.search);
  const username = root.dataset.username || "";
  createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: example(),
      query: url.get("query") ?? undefined,
      variables: url.get("variables") ?? JSON.stringify({ username }, null, 2),
      defaultEditorToolsVisibility: "variables",
      shouldPersistHeaders: false,
      isHeadersEditorEnabled: false,
    }),
  );
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
