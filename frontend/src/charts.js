// Chart.js, registered with only the pieces the pages use (keeps the bundle small).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// A fixed palette: the same language gets the same colour on every chart of a page.
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

export function colour(index) {
  return PALETTE[index % PALETTE.length];
}

export function barChart(canvas, { labels, datasets, stacked = false, legend = false }) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: legend } },
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
    },
  });
}
