import assert from "node:assert/strict";
import { test } from "node:test";
import { BAR_CAP, HISTORY_MINUTES, XpHistory } from "../src/xp_history.js";

const NOW = Date.UTC(2026, 10, 26, 12, 30, 15);

test("join reply buckets land on their minute, older ones are dropped, gaps are zero", () => {
  const h = new XpHistory(NOW);
  h.load([
    [[[2026, 11, 26], [12, 30]], 5],
    [[[2026, 11, 26], [12, 28]], 7],
    [[[2026, 11, 26], [8, 31]], 11], // the oldest minute still inside 4 h
    [[[2026, 11, 26], [8, 30]], 13], // 240 minutes ago: outside
    [[[2026, 11, 25], [23, 0]], 17], // yesterday: outside
  ]);
  assert.equal(h.bars.length, HISTORY_MINUTES);
  assert.equal(h.bars[HISTORY_MINUTES - 1], 5);
  assert.equal(h.bars[HISTORY_MINUTES - 2], 0);
  assert.equal(h.bars[HISTORY_MINUTES - 3], 7);
  assert.equal(h.bars[0], 11);
  assert.equal(h.bars.reduce((a, b) => a + b, 0), 23);
});

test("new pulses add to the newest bar and the window shifts per minute", () => {
  const h = new XpHistory(NOW);
  h.addNow(NOW, 3);
  h.addNow(NOW + 20000, 4);
  assert.equal(h.bars[HISTORY_MINUTES - 1], 7);
  assert.equal(h.advance(NOW + 20000), false);
  assert.equal(h.advance(NOW + 60000), true);
  assert.equal(h.bars[HISTORY_MINUTES - 1], 0);
  assert.equal(h.bars[HISTORY_MINUTES - 2], 7);
  assert.equal(h.advance(NOW + 5 * 3600 * 1000), true);
  assert.equal(h.bars.every((b) => b === 0), true);
});

test("a bar is capped", () => {
  const h = new XpHistory(NOW);
  h.addNow(NOW, BAR_CAP - 1);
  h.addNow(NOW, 50);
  assert.equal(h.bars[HISTORY_MINUTES - 1], BAR_CAP);
});

test("labels are UTC hh:mm, oldest first", () => {
  const labels = new XpHistory(NOW).labels();
  assert.equal(labels.at(-1), "12:30");
  assert.equal(labels[0], "08:31");
});
