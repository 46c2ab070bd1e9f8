// XP and level maths of spec §5, shared by every page that shows levels.
export const LEVEL_FACTOR = 0.025;
export const RECENT_HOURS = 12;

export function level(xp) {
  return xp > 0 ? Math.floor(LEVEL_FACTOR * Math.sqrt(xp)) : 0;
}

// XP at which level+1 starts: 1600 * (level + 1)^2, and 0 for level -1.
export function nextLevelXp(lvl) {
  if (lvl < 0) return 0;
  const n = Math.ceil((lvl + 1) / LEVEL_FACTOR);
  return n * n;
}

// Percent of the way from the current level to the next one.
export function progress(xp) {
  const lvl = level(xp);
  const start = nextLevelXp(lvl - 1);
  const end = nextLevelXp(lvl);
  return Math.round((100 * (xp - start)) / (end - start));
}

// The two parts of a progress bar: XP earned before the recent window, and within it.
export function splitProgress(total, recent) {
  const have = total - 1600 * level(total) ** 2;
  if (have > recent) {
    const old = progress(total - recent);
    return { old, recent: progress(total) - old };
  }
  return { old: 0, recent: progress(total) };
}

export function formatXp(n) {
  return Math.trunc(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// "Level 3 (15,000 XP) (+120)", the text the server renders too.
export function levelText(xp, recent, prefix = "Level") {
  let text = `${prefix} ${level(xp)} (${formatXp(xp)} XP)`;
  if (recent > 0) text += ` (+${formatXp(recent)})`;
  return text;
}
