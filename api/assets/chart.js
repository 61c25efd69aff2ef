// Hand-written SVG line charts: one line per series, gaps where a value is null, and the
// last point drawn hollow with a dashed approach when its bucket is still filling. A point
// withheld for small-cell suppression is a gap too, and the text summary counts them.

import { s, formatNumber, formatValue, fmt, SUPPRESSED_TITLE } from "./format.js";

const W = 640;
const PAD = { top: 14, right: 16, bottom: 30, left: 58 };

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

// Counts start at zero; rates zoom in on their range (a compliance rate living between 90%
// and 98% would be a flat line on a 0-100% axis) but never beyond 0-100%.
function domain(ind, values) {
  if (!values.length) return [0, 1, 0.25];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (ind.format !== "rate" || lo < 0.2) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + (ind.format === "rate" ? 0.05 : 1);
  const step = niceStep(hi - lo, 4);
  const top = Math.ceil(hi / step) * step;
  return [Math.floor(lo / step) * step, ind.format === "rate" ? Math.min(1, top) : top, step];
}

// labels: bucket start dates; series: [{name, cls, points: [{value, numerator, denominator}|null]}]
// height is in the same units as the fixed width of 640, so it sets the aspect ratio.
export function lineChart({ ind, labels, series, partialLast = false, tick = "week", title, height: H = 220 }) {
  const all = series.flatMap((se) => se.points.map((p) => p?.value)).filter((v) => v !== null && v !== undefined);
  const [y0, y1, step] = domain(ind, all);
  const n = labels.length;
  const x = (i) => PAD.left + (n <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v) => PAD.top + (1 - (v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);

  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": summary(ind, title, labels, series),
  });
  const grid = s("g", { class: "grid" });
  for (let v = y0; v <= y1 + step / 2; v += step) {
    grid.append(
      s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s("text", { x: PAD.left - 8, y: y(v) + 5, "text-anchor": "end" }, formatNumber(ind, v)),
    );
  }
  svg.append(grid);

  const axis = s("g", { class: "axis" });
  for (const i of ticks(labels, tick)) {
    const label = tick === "month" ? fmt.month(labels[i]) : fmt.day(labels[i]);
    axis.append(s("text", { x: x(i), y: H - 8, "text-anchor": i === 0 ? "start" : "middle" }, label));
  }
  svg.append(axis);

  if (!all.length) {
    const hidden = series.some((se) => se.points.some((p) => p?.suppressed));
    svg.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, hidden ? SUPPRESSED_TITLE : "no values in this period"));
    return svg;
  }

  for (const se of series) {
    const g = s("g", { class: ["series", se.cls] });
    const lastIdx = partialLast ? n - 1 : n;
    let d = "";
    let pen = false;
    for (let i = 0; i < lastIdx; i++) {
      const v = se.points[i]?.value;
      if (v === null || v === undefined) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    g.append(s("path", { d, class: "line" }));
    if (partialLast && n >= 2) {
      const a = se.points[n - 2]?.value;
      const b = se.points[n - 1]?.value;
      if (a != null && b != null) {
        g.append(s("path", { d: `M${x(n - 2)},${y(a)}L${x(n - 1)},${y(b)}`, class: "line partial" }));
      }
    }
    se.points.forEach((p, i) => {
      if (p?.value === null || p?.value === undefined) return;
      const f = formatValue(ind, p);
      const when = tick === "month" ? fmt.month(labels[i]) + " " + labels[i].getFullYear() : `week of ${fmt.dayYear(labels[i])}`;
      const partial = partialLast && i === n - 1;
      const r = n > 20 ? 2.2 : 3.5;
      g.append(s("circle", { cx: x(i), cy: y(p.value), r: partial ? r + 1 : r, class: partial ? "partial" : null },
        s("title", {}, `${se.name}, ${when}${partial ? " (so far)" : ""}: ${f.text}${f.title ? ` (${f.title})` : ""}`)));
    });
    svg.append(g);
  }
  return svg;
}

// Which points get an axis label: for months, the first week of a month (every other
// month when there are many); for weeks, about six, counted back from the newest.
function ticks(labels, tick) {
  if (tick === "month") {
    const starts = labels.map((_, i) => i).filter((i) => i > 0 && labels[i].getMonth() !== labels[i - 1].getMonth());
    const every = Math.ceil(starts.length / 7);
    return starts.filter((_, k) => k % every === 0);
  }
  const every = Math.max(1, Math.ceil(labels.length / 6));
  const out = [];
  for (let i = labels.length - 1; i >= 0; i -= every) out.push(i);
  return out;
}

function summary(ind, title, labels, series) {
  const parts = series.map((se) => {
    const vals = se.points.map((p) => p?.value).filter((v) => v !== null && v !== undefined);
    const hidden = se.points.filter((p) => p?.suppressed).length;
    const note = hidden ? `${hidden} ${hidden === 1 ? "point" : "points"} suppressed` : "";
    if (!vals.length) return `${se.name}: ${note || "no values"}`;
    return `${se.name}: from ${formatNumber(ind, vals[0])} to ${formatNumber(ind, vals[vals.length - 1])}${note ? `, ${note}` : ""}`;
  });
  const span = labels.length ? `${fmt.dayYear(labels[0])} to ${fmt.dayYear(labels[labels.length - 1])}` : "";
  return `${title}, ${span}. ${parts.join("; ")}.`;
}
