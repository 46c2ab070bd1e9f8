// The front page (/): the last-4-hours XP chart from the frontpage join reply, a live feed
// of incoming pulses, a map dot per pulse with coordinates, and live totals (spec §6.2, §7.1).
import { barChart, colour } from "./charts.js";
import { formatXp } from "./levels.js";
import { liveSocket } from "./live_socket.js";
import { byId, el } from "./page_helpers.js";
import { XpHistory } from "./xp_history.js";

const FEED_LENGTH = 20;
const SHIFT_CHECK_MS = 10000;
const DOT_LIFETIME_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";

export function startFrontPage() {
  const history = new XpHistory(Date.now());
  const canvas = byId("xp-history-chart");
  const chart = canvas
    ? barChart(canvas, { labels: history.labels(), datasets: [{ label: "XP", data: history.bars, backgroundColor: colour(0) }] })
    : null;
  const redraw = () => {
    if (!chart) return;
    chart.data.labels = history.labels();
    chart.data.datasets[0].data = history.bars;
    chart.update();
  };
  setInterval(() => {
    if (history.advance(Date.now())) redraw();
  }, SHIFT_CHECK_MS);

  const channel = liveSocket().channel("frontpage", {});
  channel.on("new_pulse", (payload) => {
    const amount = (payload.xps ?? []).reduce((sum, x) => sum + x.amount, 0);
    history.addNow(Date.now(), amount);
    redraw();
    addToTotals(payload.xps ?? []);
    addToFeed(payload.xps ?? []);
    if (payload.coords) addMapDot(payload.coords, amount);
  });
  channel.join().receive("ok", (reply) => {
    history.advance(Date.now());
    history.load(reply?.xp_history ?? []);
    redraw();
  });
}

function addToTotals(xps) {
  const total = document.querySelector('[data-role="total-xp"]');
  if (total) {
    const value = Number(total.dataset.xp ?? 0) + xps.reduce((sum, x) => sum + x.amount, 0);
    total.dataset.xp = String(value);
    total.textContent = formatXp(value);
  }
  const list = byId("frontpage-languages");
  if (!list) return;
  for (const { language, amount } of xps) {
    const item = [...list.querySelectorAll("li[data-language]")].find((li) => li.dataset.language === language);
    if (!item) continue;
    const xp = item.querySelector('[data-role="xp"]');
    const value = Number(item.dataset.xp ?? 0) + amount;
    item.dataset.xp = String(value);
    if (xp) xp.textContent = formatXp(value);
  }
}

function addToFeed(xps) {
  const feed = byId("pulse-feed");
  if (!feed || xps.length === 0) return;
  const text = xps.map(({ language, amount }) => `${language} +${formatXp(amount)}`).join(", ");
  feed.prepend(el("li", {}, text));
  while (feed.children.length > FEED_LENGTH) feed.lastElementChild.remove();
}

// The map is an equirectangular SVG (viewBox 0 0 360 180): x = lon + 180, y = 90 - lat.
function addMapDot({ lat, lon }, amount) {
  const map = byId("world-map");
  if (!map || typeof lat !== "number" || typeof lon !== "number") return;
  const dot = document.createElementNS(SVG, "circle");
  dot.setAttribute("class", "pulse-dot");
  dot.setAttribute("cx", String(lon + 180));
  dot.setAttribute("cy", String(90 - lat));
  dot.setAttribute("r", String(Math.min(6, 1 + Math.log10(1 + amount))));
  map.append(dot);
  setTimeout(() => dot.remove(), DOT_LIFETIME_MS);
}
