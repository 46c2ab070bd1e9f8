import assert from "node:assert/strict";
import { test } from "node:test";
import { formatXp, level, levelText, nextLevelXp, progress, splitProgress } from "../src/levels.js";

test("level boundaries and doctests of spec §5", () => {
  assert.equal(level(0), 0);
  assert.equal(level(-1000), 0);
  assert.equal(level(6400), 2);
  assert.equal(level(1599), 0);
  assert.equal(level(1600), 1);
  assert.equal(level(1000000), 25);
  for (let l = 1; l <= 3000; l++) {
    assert.equal(level(1600 * l * l), l, `start of level ${l}`);
    assert.equal(level(1600 * l * l - 1), l - 1, `end of level ${l - 1}`);
  }
});

test("next level XP and progress examples of spec §5", () => {
  assert.equal(nextLevelXp(-1), 0);
  assert.equal(nextLevelXp(0), 1600);
  assert.equal(nextLevelXp(2), 14400);
  assert.equal(progress(800), 50);
  assert.equal(progress(3000), 29);
  assert.equal(progress(10000), 45);
  assert.equal(progress(3073421), 83);
});

test("the two parts of the progress bar", () => {
  // 3000 XP, 100 of it recent: have = 1400 > 100, old = progress(2900) = 27, recent = 29 - 27.
  assert.deepEqual(splitProgress(3000, 100), { old: 27, recent: 2 });
  // All of this level's XP is recent: old part 0.
  assert.deepEqual(splitProgress(3000, 2000), { old: 0, recent: 29 });
});

test("XP formatting and level text", () => {
  assert.equal(formatXp(0), "0");
  assert.equal(formatXp(999), "999");
  assert.equal(formatXp(1234567), "1,234,567");
  assert.equal(levelText(15000, 0), "Level 3 (15,000 XP)");
  assert.equal(levelText(15000, 120, "C++ level"), "C++ level 3 (15,000 XP) (+120)");
});
