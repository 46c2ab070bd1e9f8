// The front page (/): the last-4-hours XP chart from the frontpage join reply, a live feed
// of incoming pulses, a map dot per pulse with coordinates, and live totals per language,
// re-sorted as pulses arrive (spec §6.2, §7.1).
import { barChart, colour } from "./charts.js";
import { LanguageRanking } from "./language_ranking.js";
import { formatXp } from "./levels.js";
import { liveSocket } from "./live_socket.js";
import { byId, el, reveal } from "./page_helpers.js";
import { WorldMap } from "./world_map.js";
import { XpHistory } from "./xp_history.js";

const FEED_LENGTH = 20;
const SHIFT_CHECK_MS = 10000;

export function startFrontPage() {
  const history = new XpHistory(Date.now());
  const chart = historyChart(history);
  setInterval(() => {
    if (history.advance(Date.now())) chart.redraw();
  }, SHIFT_CHECK_MS);

  const svg = byId("world-map");
  if (svg) reveal(svg);
  const map = svg ? new WorldMap(svg) : null;
  if (map && svg.dataset.land) map.loadLand(svg.dataset.land).catch((e) => console.warn(e.message));

  const languages = new LanguageLists();
  const channel = liveSocket().channel("frontpage", {});
  channel.on("new_pulse", (payload) => {
    const xps = payload.xps ?? [];
    const amount = xps.reduce((sum, x) => sum + x.amount, 0);
    history.addNow(Date.now(), amount);
    chart.redraw();
    addToTotal(amount);
    languages.add(xps);
    addToFeed(xps);
    if (map && payload.coords) map.addDot(payload.coords, amount);
  });
  channel.join().receive("ok", (reply) => {
    history.advance(Date.now());
    history.load(reply?.xp_history ?? []);
    chart.redraw();
  });
}

function historyChart(history) {
  const canvas = byId("xp-history-chart");
  if (!canvas) return { redraw() {} };
  reveal(canvas);
  const chart = barChart(canvas, { labels: history.labels(), datasets: [{ label: "XP", data: history.bars, backgroundColor: colour(0) }] });
  return {
    redraw() {
      chart.data.labels = history.labels();
      chart.data.datasets[0].data = history.bars;
      chart.update();
    },
  };
}

function addToTotal(amount) {
  const total = document.querySelector('[data-role="total-xp"]');
  if (!total) return;
  const value = Number(total.dataset.xp ?? 0) + amount;
  total.dataset.xp = String(value);
  total.textContent = formatXp(value);
}

// "Last 24 hours" (every language) and "Most active languages" (the top 10), both from one
// ranking that starts from the server-rendered numbers.
class LanguageLists {
  constructor() {
    this.all = byId("frontpage-languages");
    this.top = byId("frontpage-most-active");
    const start = [...(this.all?.querySelectorAll("li[data-language]") ?? [])].map((li) => [li.dataset.language, Number(li.dataset.xp ?? 0)]);
    this.ranking = new LanguageRanking(start);
  }

  add(xps) {
    if (!this.all || xps.length === 0) return;
    for (const { language, amount } of xps) this.ranking.add(language, amount);
    const sorted = this.ranking.sorted();
    this.all.replaceChildren(...sorted.map(({ language, xp }) =>
      el("li", { "data-language": language, "data-xp": String(xp) },
        el("span", { class: "language-name" }, language), " ", el("span", { "data-role": "xp" }, formatXp(xp)), " XP")));
    if (this.top) {
      this.top.replaceChildren(...this.ranking.top().map(({ language, xp }) =>
        el("li", { "data-language": language }, el("span", { class: "language-name" }, language), " ",
          el("span", { class: "xp" }, `${formatXp(xp)} XP`))));
    }
    for (const list of [this.all, this.top]) list?.parentElement.querySelector(".hint")?.remove();
  }
}

function addToFeed(xps) {
  const feed = byId("pulse-feed");
  if (!feed || xps.length === 0) return;
  const text = xps.map(({ language, amount }) => `${language} +${formatXp(amount)}`).join(", ");
  feed.prepend(el("li", {}, text));
  while (feed.children.length > FEED_LENGTH) feed.lastElementChild.remove();
}
