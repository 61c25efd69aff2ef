// Building DOM and formatting values. Text always goes in through textContent, never as
// HTML, so a zone name or a server message can never inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", [v].flat(Infinity).filter(Boolean).join(" "));
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const INT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DEC = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const NULL_TITLE = "no cases in the denominator";
export const SUPPRESSED_TITLE = "suppressed: too few cases to publish safely";

export function int(n) {
  return n === null || n === undefined ? "—" : INT.format(n);
}

// One value as shown: its text, a tooltip with the parts, and whether it is missing.
export function formatValue(ind, v) {
  if (!v) return { text: "—", title: "no value", missing: true };
  if (v.suppressed) return { text: "suppressed", title: SUPPRESSED_TITLE, missing: true, suppressed: true };
  if (v.value === null || v.value === undefined) {
    const title = ind.format === "count" && ind.name !== "caseload_max" ? "no value" : NULL_TITLE;
    return { text: "—", title, missing: true };
  }
  if (ind.format === "rate") {
    return {
      text: `${DEC.format(v.value * 100)}%`,
      title: v.denominator != null ? `${int(v.numerator)} of ${int(v.denominator)}` : "",
    };
  }
  if (ind.format === "decimal") {
    return {
      text: DEC.format(v.value),
      title: v.denominator != null ? `${int(v.numerator)} open investigations ÷ ${int(v.denominator)} caseworkers` : "",
    };
  }
  return { text: INT.format(Math.round(v.value)), title: "" };
}

// A value in a chart axis or label: compact, same conventions.
export function formatNumber(ind, x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  if (ind.format === "rate") return `${Math.round(x * 1000) / 10}%`;
  if (ind.format === "decimal") return DEC.format(x);
  return INT.format(Math.round(x));
}

// A value cell (<td> or <span>) carrying a key, so the page can flash what changed.
export function valueEl(tag, ind, v, key, extra = {}) {
  const f = formatValue(ind, v);
  const cls = ["value", f.missing && "missing", f.suppressed && "suppressed", extra.class];
  return h(tag, { ...extra, class: cls, title: f.title || null, dataset: { key, val: f.text } }, f.text);
}

export function ordinal(n) {
  const rem100 = n % 100;
  const suffix = rem100 >= 11 && rem100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

const DAY = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric" });
const DAY_YEAR = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric" });
const MONTH = new Intl.DateTimeFormat("en-US", { month: "short" });
const TIME = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const STAMP = new Intl.DateTimeFormat("en-US", {
  month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

// Bucket starts are plain dates (YYYY-MM-DD): read them as local calendar dates, never as
// UTC midnights, which would show the previous day west of Greenwich.
export function parseDate(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(y, m - 1, d);
}

export function ymd(date) {
  const p = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}

export const fmt = {
  day: (d) => DAY.format(d),
  dayYear: (d) => DAY_YEAR.format(d),
  month: (d) => MONTH.format(d),
  time: (d) => TIME.format(d),
  stamp: (iso) => (iso ? STAMP.format(new Date(iso)) : "—"),
};

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${DEC.format(s / 3600)} h`;
  return `${DEC.format(s / 86400)} days`;
}

// ISO week label ("2026-W47") → "week of Nov 16, 2026" (its Monday).
export function weekLabel(isoWeek) {
  const m = /^(\d{4})-W(\d{2})$/.exec(isoWeek ?? "");
  if (!m) return isoWeek ?? "";
  const monday = isoWeekMonday(Number(m[1]), Number(m[2]));
  return `${isoWeek} (week of ${DAY_YEAR.format(monday)})`;
}

export function isoWeekMonday(year, week) {
  const jan4 = new Date(year, 0, 4);
  const dow = (jan4.getDay() + 6) % 7;
  return new Date(year, 0, 4 - dow + (week - 1) * 7);
}

export function isoWeekOf(date) {
  // The Thursday of the date's week decides the ISO year.
  const t = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  t.setDate(t.getDate() + 3 - ((t.getDay() + 6) % 7));
  const jan4 = new Date(t.getFullYear(), 0, 4);
  const week = 1 + Math.round(((t - jan4) / 86400000 - 3 + ((jan4.getDay() + 6) % 7)) / 7);
  return `${t.getFullYear()}-W${String(week).padStart(2, "0")}`;
}
