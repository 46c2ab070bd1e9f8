// Chart.js, registered with only the pieces the pages use (keeps the bundle small).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// A fixed palette: the same language gets the same colour on every chart of a page.
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

export function colour(index) {
  return PALETTE[index % PALETTE.length];
}

// Text and grid lines in the stylesheet's colours (app.css tokens), so the charts follow the
// light and the dark scheme like the rest of the page.
function themeColours(canvas) {
  const style = getComputedStyle(canvas);
  const muted = style.getPropertyValue("--muted").trim();
  const line = style.getPropertyValue("--line").trim();
  if (muted) Chart.defaults.color = muted;
  return line || undefined;
}

export function barChart(canvas, { labels, datasets, stacked = false, legend = false }) {
  const grid = { color: themeColours(canvas) };
  return new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: legend } },
      scales: { x: { stacked, grid }, y: { stacked, beginAtZero: true, grid } },
    },
  });
}
