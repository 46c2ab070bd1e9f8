// The profile page (/users/:name): charts and live updates on top of the server-rendered
// page. Data comes from the GraphQL API and is refetched on every (re)join, as the
// original page does (spec §6.3); `new_pulse` events on users:<name> update it in place.
import { barChart, colour } from "./charts.js";
import { formatXp, levelText } from "./levels.js";
import { liveSocket } from "./live_socket.js";
import { byId, reveal } from "./page_helpers.js";
import { ProfileState, TOP_LANGUAGES, dayOfYearLabel, heatStep, isoDate, profileQuery } from "./profile_state.js";
import { levelItem, setXpBar } from "./xp_bar.js";

export function startProfilePage() {
  const header = byId("profile-username");
  if (!header) return;
  const username = header.dataset.name;
  const view = new ProfileView();
  let state = null;
  let pending = [];

  const refetch = async () => {
    pending = [];
    state = null;
    const fresh = await fetchProfile(username);
    if (!fresh) return;
    for (const payload of pending) fresh.applyPulse(payload);
    state = fresh;
    view.render(state);
  };

  const channel = liveSocket().channel(`users:${username}`, {});
  channel.on("new_pulse", (payload) => {
    if (!state) {
      pending.push(payload);
      return;
    }
    state.applyPulse(payload);
    view.render(state);
  });
  channel.join().receive("ok", () => {
    refetch().catch(() => {});
  });
}

async function fetchProfile(username) {
  const response = await fetch("/profile-graph", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(profileQuery(username, Date.now())),
  });
  if (!response.ok) return null;
  const body = await response.json();
  return body?.data?.profile ? new ProfileState(body.data.profile) : null;
}

class ProfileView {
  constructor() {
    this.weekChart = null;
    this.hoursChart = null;
  }

  render(state) {
    this.renderTotal(state);
    const languages = state.sorted(state.languages, state.recentLanguages);
    replaceList(byId("profile-languages"), "data-language", languages.slice(0, TOP_LANGUAGES));
    replaceList(byId("profile-other-languages"), "data-language", languages.slice(TOP_LANGUAGES));
    replaceList(byId("profile-machines"), "data-machine", state.sorted(state.machines, state.recentMachines));
    this.renderWeek(state);
    this.renderHours(state);
    renderYear(byId("year-chart"), state.dayOfYear);
  }

  renderTotal(state) {
    const total = byId("profile-total");
    if (!total) return;
    const xp = state.totalXp;
    const recent = state.recentXp;
    total.dataset.totalXp = String(xp);
    total.dataset.newXp = String(recent);
    const text = total.querySelector('[data-role="level-text"]');
    if (text) text.textContent = levelText(xp, recent);
    const bar = total.querySelector("svg.xp-bar");
    if (bar) setXpBar(bar, xp, recent);
  }

  renderWeek(state) {
    const canvas = byId("week-languages-chart");
    if (!canvas) return;
    const { days, series } = state.weekSeries(isoDate(new Date()));
    const datasets = series.map((s, i) => ({ label: s.language, data: s.data, backgroundColor: colour(i) }));
    if (!this.weekChart) {
      reveal(canvas);
      this.weekChart = barChart(canvas, { labels: days, datasets, stacked: true, legend: true });
    } else {
      this.weekChart.data.labels = days;
      this.weekChart.data.datasets = datasets;
      this.weekChart.update();
    }
  }

  renderHours(state) {
    const canvas = byId("hours-chart");
    if (!canvas) return;
    const labels = Array.from({ length: 24 }, (_, h) => String(h));
    const data = labels.map((h) => state.hours[h] ?? 0);
    if (!this.hoursChart) {
      reveal(canvas);
      this.hoursChart = barChart(canvas, { labels, datasets: [{ label: "XP", data, backgroundColor: colour(0) }] });
      // The table stays for screen readers (and for pages without JavaScript), out of sight.
      byId("hours-data")?.classList.add("visually-hidden");
    } else {
      this.hoursChart.data.datasets[0].data = data;
      this.hoursChart.update();
    }
  }
}

function replaceList(list, attribute, items) {
  if (!list) return;
  list.replaceChildren(...items.map((item) => levelItem(attribute, item)));
}

// The year as 366 cells (day of year, spec §5), shaded in five steps relative to the best day.
// The server renders the cells (and the month names around them); they are updated in place.
function renderYear(container, dayOfYear) {
  if (!container) return;
  const cells = container.querySelectorAll("span.day");
  if (cells.length !== 366) return;
  let max = 0;
  for (let d = 1; d <= 366; d++) max = Math.max(max, dayOfYear[d] ?? 0);
  cells.forEach((cell, i) => {
    const xp = dayOfYear[i + 1] ?? 0;
    cell.className = `day heat-${heatStep(xp, max)}`;
    cell.title = `${dayOfYearLabel(i + 1)}: ${formatXp(xp)} XP`;
  });
}
