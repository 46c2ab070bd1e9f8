// The level progress bar: an SVG of two rects (XP before the recent window, recent XP).
// SVG attributes rather than inline styles, so a strict Content-Security-Policy holds and
// the server can render the same markup for pages without JavaScript.
import { levelText, splitProgress } from "./levels.js";

const SVG = "http://www.w3.org/2000/svg";

export function xpBar(total, recent) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "xp-bar");
  svg.setAttribute("viewBox", "0 0 100 4");
  svg.setAttribute("preserveAspectRatio", "none");
  for (const cls of ["old", "recent"]) {
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("class", cls);
    rect.setAttribute("height", "4");
    svg.append(rect);
  }
  setXpBar(svg, total, recent);
  return svg;
}

export function setXpBar(svg, total, recent) {
  const { old, recent: fresh } = splitProgress(total, recent);
  const [oldRect, recentRect] = svg.querySelectorAll("rect");
  oldRect.setAttribute("width", String(old));
  recentRect.setAttribute("x", String(old));
  recentRect.setAttribute("width", String(fresh));
  svg.setAttribute("aria-label", `${old + fresh} %`);
}

// <li data-language="X"><span data-role="level-text">X level 3 (…)</span><svg class="xp-bar">…</svg></li>
export function levelItem(attribute, { name, xp, recent }) {
  const li = document.createElement("li");
  li.setAttribute(attribute, name);
  const text = document.createElement("span");
  text.dataset.role = "level-text";
  text.textContent = levelText(xp, recent, `${name} level`);
  li.append(text, xpBar(xp, recent));
  return li;
}
