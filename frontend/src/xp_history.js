// The front page's "last 4 hours" history: one bar per UTC minute, oldest first.
// Spec §6.2: the join reply may hold older buckets (discarded), gaps are zeros, and a
// single bar is capped at 20 000.
export const HISTORY_MINUTES = 240;
export const BAR_CAP = 20000;

const MINUTE = 60000;

export function minuteOf(ms) {
  return Math.floor(ms / MINUTE);
}

export class XpHistory {
  constructor(nowMs) {
    this.newestMinute = minuteOf(nowMs);
    this.bars = new Array(HISTORY_MINUTES).fill(0);
  }

  // reply: [[[[Y, M, D], [h, m]], xp], ...] as sent in the frontpage join reply.
  load(reply) {
    this.bars.fill(0);
    for (const [[[y, mo, d], [h, mi]], xp] of reply) {
      this.addAt(minuteOf(Date.UTC(y, mo - 1, d, h, mi)), xp);
    }
  }

  addAt(minute, xp) {
    const index = HISTORY_MINUTES - 1 - (this.newestMinute - minute);
    if (index < 0 || index >= HISTORY_MINUTES) return;
    this.bars[index] = Math.min(BAR_CAP, this.bars[index] + xp);
  }

  // Moves the window so that its newest bar is the minute of nowMs; returns whether it moved.
  advance(nowMs) {
    const shift = minuteOf(nowMs) - this.newestMinute;
    if (shift <= 0) return false;
    if (shift >= HISTORY_MINUTES) this.bars.fill(0);
    else this.bars = this.bars.slice(shift).concat(new Array(shift).fill(0));
    this.newestMinute += shift;
    return true;
  }

  addNow(nowMs, xp) {
    this.advance(nowMs);
    this.addAt(this.newestMinute, xp);
  }

  labels() {
    return this.bars.map((_, i) => {
      const t = new Date((this.newestMinute - (HISTORY_MINUTES - 1 - i)) * MINUTE);
      return `${String(t.getUTCHours()).padStart(2, "0")}:${String(t.getUTCMinutes()).padStart(2, "0")}`;
    });
  }
}
