import assert from "node:assert/strict";
import { test } from "node:test";
import { ProfileState, dayOfYear, dayOfYearLabel, heatStep, profileQuery } from "../src/profile_state.js";

const profile = {
  total_langs: [{ name: "C++", xp: 5000 }, { name: "Rust", xp: 300 }],
  recent_langs: [{ name: "C++", xp: 50 }],
  total_machines: [{ name: "laptop", xp: 5300 }],
  recent_machines: [{ name: "laptop", xp: 50 }],
  day_language_xps: [{ date: "2026-11-20", language: "C++", xp: 40 }],
  day_of_year_xps: { 1: 10 },
  hour_of_day_xps: { 9: 100 },
};

test("day of year uses the leap year 2000, so 1 March is always day 61", () => {
  assert.equal(dayOfYear("2026-01-01"), 1);
  assert.equal(dayOfYear("2026-03-01"), 61);
  assert.equal(dayOfYear("2024-12-31"), 366);
  assert.equal(dayOfYear("nonsense"), 0);
});

test("a new_pulse updates totals, recent XP, machines, local day and local hour", () => {
  const s = new ProfileState(profile);
  s.applyPulse({
    xps: [{ language: "C++", amount: 10 }, { language: "Go", amount: 5 }],
    sent_at: "2026-11-26T07:00:00Z",
    sent_at_local: "2026-11-26T09:00:00+02:00",
    machine: "laptop",
  });
  assert.equal(s.totalXp, 5315);
  assert.equal(s.recentXp, 65);
  assert.equal(s.languages.get("Go"), 5);
  assert.equal(s.machines.get("laptop"), 5315);
  assert.equal(s.recentMachines.get("laptop"), 65);
  assert.equal(s.hours[9], 115);
  assert.equal(s.dayOfYear[dayOfYear("2026-11-26")], 15);
  assert.equal(s.dayLanguage.get("2026-11-26").get("C++"), 10);
  assert.deepEqual(
    s.sorted(s.languages, s.recentLanguages).map((l) => [l.name, l.xp, l.recent]),
    [["C++", 5010, 60], ["Rust", 300, 0], ["Go", 5, 5]],
  );
});

test("the 14-day chart ends today and holds the top languages", () => {
  const s = new ProfileState(profile);
  const { days, series } = s.weekSeries("2026-11-26");
  assert.equal(days.length, 14);
  assert.equal(days.at(-1), "2026-11-26");
  assert.equal(days[0], "2026-11-13");
  assert.deepEqual(series, [{ language: "C++", data: days.map((d) => (d === "2026-11-20" ? 40 : 0)) }]);
});

test("the GraphQL query asks for what the original page asks for", () => {
  const q = profileQuery("alice", Date.UTC(2026, 10, 26, 12));
  assert.match(q.query, /recent_langs: languages\(since: \$recent\)/);
  assert.match(q.query, /day_language_xps: dayLanguageXps\(since: \$week\)/);
  assert.deepEqual(q.variables, { username: "alice", recent: "2026-11-26T00:00:00.000Z", week: "2026-11-12" });
});

test("calendar cells: the day's date in 2000 and the five shades (as the server renders them)", () => {
  assert.equal(dayOfYearLabel(1), "1 Jan");
  assert.equal(dayOfYearLabel(32), "1 Feb");
  assert.equal(dayOfYearLabel(60), "29 Feb");
  assert.equal(dayOfYearLabel(61), "1 Mar");
  assert.equal(dayOfYearLabel(366), "31 Dec");
  assert.equal(dayOfYearLabel(0), "");
  assert.equal(heatStep(0, 100), 0);
  assert.equal(heatStep(1, 100), 1);
  assert.equal(heatStep(100, 100), 4);
  assert.equal(heatStep(5, 0), 0);
});
