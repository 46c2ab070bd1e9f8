// The front page's last-24-hours XP per language, kept current from `new_pulse` events: the
// server renders the starting numbers, the page adds each pulse and shows the lists re-sorted.
export const MOST_ACTIVE = 10;

export class LanguageRanking {
  constructor(entries = []) {
    this.xp = new Map();
    for (const [language, xp] of entries) this.add(language, xp);
  }

  add(language, amount) {
    if (typeof language !== "string" || !Number.isFinite(amount)) return;
    this.xp.set(language, (this.xp.get(language) ?? 0) + amount);
  }

  // [{language, xp}], most XP first; ties by name so the order does not flicker.
  sorted() {
    return [...this.xp.entries()]
      .map(([language, xp]) => ({ language, xp }))
      .sort((a, b) => b.xp - a.xp || (a.language < b.language ? -1 : a.language > b.language ? 1 : 0));
  }

  top(n = MOST_ACTIVE) {
    return this.sorted().slice(0, n);
  }
}
