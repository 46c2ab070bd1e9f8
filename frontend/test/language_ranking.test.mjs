import { test } from "node:test";
import assert from "node:assert/strict";
import { LanguageRanking, MOST_ACTIVE } from "../src/language_ranking.js";

test("pulses add to a language and the ranking re-sorts", () => {
  const r = new LanguageRanking([["Elixir", 2000], ["C", 1000]]);
  r.add("C", 1500);
  assert.deepEqual(r.sorted(), [{ language: "C", xp: 2500 }, { language: "Elixir", xp: 2000 }]);
  r.add("Zig", 77); // a language new in the last 24 hours joins the list
  assert.deepEqual(r.sorted().map((e) => e.language), ["C", "Elixir", "Zig"]);
});

test("ties are ordered by name; junk is ignored", () => {
  const r = new LanguageRanking([["b", 5], ["a", 5]]);
  r.add(undefined, 3);
  r.add("a", Number.NaN);
  assert.deepEqual(r.sorted().map((e) => e.language), ["a", "b"]);
});

test("the most active list is the top 10", () => {
  const r = new LanguageRanking(Array.from({ length: 15 }, (_, i) => [`L${i}`, i]));
  assert.equal(r.top().length, MOST_ACTIVE);
  assert.equal(r.top()[0].language, "L14");
});
