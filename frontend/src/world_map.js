// The front page's world map: land shapes from the world-atlas package (Natural Earth 1:110m
// land, a TopoJSON asset of its own, fetched once and cached immutably) drawn as SVG paths
// with d3-geo, and a fading dot per pulse at its coordinates (spec §6.2).
import { geoGraticule10, geoNaturalEarth1, geoPath } from "d3-geo";
import { feature } from "topojson-client";

const SVG = "http://www.w3.org/2000/svg";
const DOT_LIFETIME_MS = 6000;
const MAX_DOTS = 200;

export class WorldMap {
  constructor(svg) {
    this.svg = svg;
    const box = svg.viewBox?.baseVal;
    const width = box?.width || 360;
    const height = box?.height || 180;
    this.projection = geoNaturalEarth1().fitExtent([[1, 1], [width - 1, height - 1]], { type: "Sphere" });
    const path = geoPath(this.projection);
    path.digits?.(1);
    this.path = path;
    this.dots = document.createElementNS(SVG, "g");
    svg.replaceChildren(shape("sphere", path({ type: "Sphere" })), shape("graticule", path(geoGraticule10())), this.dots);
  }

  // Adds the land from the TopoJSON at `url` (its single object "land") below the dots.
  async loadLand(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`map data: HTTP ${response.status}`);
    const topology = await response.json();
    this.svg.insertBefore(shape("land", this.path(feature(topology, topology.objects.land))), this.dots);
  }

  // A dot at the pulse's coordinates, sized by its XP, removed once its CSS animation faded it.
  addDot({ lat, lon }, amount) {
    if (typeof lat !== "number" || typeof lon !== "number") return;
    const point = this.projection([lon, lat]);
    if (!point) return;
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("class", "pulse-dot");
    dot.setAttribute("cx", point[0].toFixed(1));
    dot.setAttribute("cy", point[1].toFixed(1));
    dot.setAttribute("r", dotRadius(amount).toFixed(1));
    this.dots.append(dot);
    while (this.dots.childElementCount > MAX_DOTS) this.dots.firstElementChild.remove();
    setTimeout(() => dot.remove(), DOT_LIFETIME_MS);
  }
}

export function dotRadius(amount) {
  return Math.min(6, 1.5 + Math.log10(1 + Math.max(0, amount)));
}

function shape(cls, d) {
  const p = document.createElementNS(SVG, "path");
  p.setAttribute("class", cls);
  p.setAttribute("d", d ?? "");
  return p;
}
