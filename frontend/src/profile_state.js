// What the profile page shows, as plain data: loaded from the GraphQL profile API (the
// query the original page sends, spec §9.3) and kept current by `new_pulse` events.
export const WEEK_DAYS = 14;
export const TOP_LANGUAGES = 10;
export const CHART_LANGUAGES = 8;

export function profileQuery(username, nowMs) {
  const recentSince = new Date(nowMs - 12 * 3600 * 1000).toISOString();
  const weekSince = isoDate(new Date(nowMs - WEEK_DAYS * 86400 * 1000));
  return {
    query: `query Profile($username: String!, $recent: Datetime!, $week: Date!) {
  profile(username: $username) {
    total_langs: languages { name xp }
    recent_langs: languages(since: $recent) { name xp }
    total_machines: machines { name xp }
    recent_machines: machines(since: $recent) { name xp }
    day_language_xps: dayLanguageXps(since: $week) { date language xp }
    day_of_year_xps: dayOfYearXps
    hour_of_day_xps: hourOfDayXps
  }
}`,
    variables: { username, recent: recentSince, week: weekSince },
  };
}

export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

function toMap(rows, key = "name") {
  const map = new Map();
  for (const row of rows ?? []) map.set(row[key], (map.get(row[key]) ?? 0) + row.xp);
  return map;
}

export class ProfileState {
  constructor(profile) {
    this.languages = toMap(profile.total_langs);
    this.recentLanguages = toMap(profile.recent_langs);
    this.machines = toMap(profile.total_machines);
    this.recentMachines = toMap(profile.recent_machines);
    this.dayLanguage = new Map(); // "YYYY-MM-DD" -> Map(language -> xp)
    for (const { date, language, xp } of profile.day_language_xps ?? []) this.addDayLanguage(date, language, xp);
    this.dayOfYear = { ...(profile.day_of_year_xps ?? {}) };
    this.hours = { ...(profile.hour_of_day_xps ?? {}) };
  }

  addDayLanguage(date, language, xp) {
    if (!this.dayLanguage.has(date)) this.dayLanguage.set(date, new Map());
    const day = this.dayLanguage.get(date);
    day.set(language, (day.get(language) ?? 0) + xp);
  }

  get totalXp() {
    let sum = 0;
    for (const xp of this.languages.values()) sum += xp;
    return sum;
  }

  get recentXp() {
    let sum = 0;
    for (const xp of this.recentLanguages.values()) sum += xp;
    return sum;
  }

  // payload: {xps:[{language, amount}], sent_at, sent_at_local: "YYYY-MM-DDTHH:MM:SS±hh:mm", machine}
  applyPulse(payload) {
    const local = String(payload.sent_at_local ?? "");
    const date = local.slice(0, 10);
    const hour = Number.parseInt(local.slice(11, 13), 10);
    let amount = 0;
    for (const { language, amount: xp } of payload.xps ?? []) {
      amount += xp;
      this.languages.set(language, (this.languages.get(language) ?? 0) + xp);
      this.recentLanguages.set(language, (this.recentLanguages.get(language) ?? 0) + xp);
      if (date.length === 10) this.addDayLanguage(date, language, xp);
    }
    if (payload.machine != null) {
      this.machines.set(payload.machine, (this.machines.get(payload.machine) ?? 0) + amount);
      this.recentMachines.set(payload.machine, (this.recentMachines.get(payload.machine) ?? 0) + amount);
    }
    if (!Number.isNaN(hour)) this.hours[hour] = (this.hours[hour] ?? 0) + amount;
    const doy = dayOfYear(date);
    if (doy) this.dayOfYear[doy] = (this.dayOfYear[doy] ?? 0) + amount;
  }

  // [{name, xp, recent}] sorted by XP, largest first (ties by name for a stable order).
  sorted(totals, recents) {
    return [...totals.entries()]
      .map(([name, xp]) => ({ name, xp, recent: recents.get(name) ?? 0 }))
      .sort((a, b) => b.xp - a.xp || (a.name < b.name ? -1 : 1));
  }

  // The last-14-days chart: one dataset per top language, one label per day ending today.
  weekSeries(todayIso) {
    const days = [];
    const end = new Date(`${todayIso}T00:00:00Z`).getTime();
    for (let i = WEEK_DAYS - 1; i >= 0; i--) days.push(isoDate(new Date(end - i * 86400 * 1000)));
    const perLanguage = new Map();
    for (const [date, languages] of this.dayLanguage) {
      if (!days.includes(date)) continue;
      for (const [language, xp] of languages) perLanguage.set(language, (perLanguage.get(language) ?? 0) + xp);
    }
    const top = [...perLanguage.entries()].sort((a, b) => b[1] - a[1]).slice(0, CHART_LANGUAGES).map(([l]) => l);
    return {
      days,
      series: top.map((language) => ({
        language,
        data: days.map((d) => this.dayLanguage.get(d)?.get(language) ?? 0),
      })),
    };
  }
}

// Day of year as the original computes it (spec §5): the date moved to the leap year 2000.
export function dayOfYear(isoDay) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay);
  if (!m) return 0;
  const start = Date.UTC(2000, 0, 1);
  return Math.round((Date.UTC(2000, Number(m[2]) - 1, Number(m[3])) - start) / 86400000) + 1;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH_START = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335]; // 2000

// "5 Mar" for day 65: the calendar cell's title (the server writes the same text).
export function dayOfYearLabel(day) {
  if (!(day >= 1 && day <= 366)) return "";
  let month = 11;
  while (MONTH_START[month] >= day) month--;
  return `${day - MONTH_START[month]} ${MONTHS[month]}`;
}

// The calendar's five shades relative to the best day (the server's heatStep).
export function heatStep(xp, max) {
  if (xp === 0 || max === 0) return 0;
  return Math.min(4, 1 + Math.floor((4 * xp) / (max + 1)));
}
