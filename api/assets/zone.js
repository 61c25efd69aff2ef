// Zone detail: point-in-time cards, then a 12-week and a 1-year weekly trend for every
// indicator, the zone against citywide.

import { h, valueEl, fmt } from "./format.js";
import { get, enc } from "./api.js";
import { GROUPS, INDICATORS, WINDOW_LABELS } from "./catalogue.js";
import { zones, alerts, byName, zoneName, thresholdsNote, anySuppressed, SUPPRESSED_NOTE } from "./shared.js";
import { lineChart } from "./chart.js";
import { cell } from "./overview.js";
import { weekly, weekRange } from "./trends.js";

// History changes slowly; the cards refresh every time, the charts at most once a minute.
const HISTORY_TTL_MS = 60000;
let cache = { zone: null, at: 0, series: null, range: null };

export const title = (ctx) => `Zone detail${ctx.arg ? ` · ${ctx.arg}` : ""}`;

function chosen(ctx, list) {
  if (ctx.arg === "citywide" || list.some((z) => z.code === ctx.arg)) return ctx.arg;
  return list[0]?.code ?? "citywide";
}

export async function controls(ctx) {
  const list = await zones();
  const zone = chosen(ctx, list);
  const select = h("select", { id: "zone-pick", dataset: { focus: "zone-pick" } },
    h("option", { value: "citywide" }, "Citywide"),
    list.map((z) => h("option", { value: z.code }, `${z.name} (${z.code})`)));
  select.value = zone;
  select.addEventListener("change", () => ctx.update({}, select.value));
  const z = list.find((x) => x.code === zone);
  return [
    h("h1", {}, zoneName(list, zone), z ? h("span", { class: "subtle" }, ` ${z.code} · ${z.borough}`) : null),
    h("div", { class: "control-row" }, h("label", { for: "zone-pick" }, "Zone"), select),
  ];
}

// Rates and averages are charted against citywide; counts are not, since citywide's
// total would flatten the zone's own line to the floor.
const comparable = (ind) => ind.format !== "count";

export async function load(ctx) {
  const list = await zones();
  const zone = chosen(ctx, list);
  const [mine, city, al] = await Promise.all([
    get(`/api/v1/zones/${enc(zone)}/indicators?window=${enc(ctx.window)}`),
    get(`/api/v1/zones/citywide/indicators?window=${enc(ctx.window)}`),
    alerts(),
  ]);
  if (cache.zone !== zone || Date.now() - cache.at > HISTORY_TTL_MS) {
    const range = weekRange(new Date(), 53);
    const jobs = INDICATORS.flatMap((ind) => [
      { zone, indicator: ind.name },
      ...(comparable(ind) && zone !== "citywide" ? [{ zone: "citywide", indicator: ind.name }] : []),
    ]);
    cache = { zone, at: Date.now(), series: await weekly(jobs, range), range };
  }
  return { list, zone, mine: byName(mine), city: byName(city), asOf: mine.as_of, alerts: al, series: cache.series, window: ctx.window };
}

export function render(d) {
  const pit = INDICATORS.filter((i) => i.kind === "pit");
  return [
    h("p", { class: "lede" }, `Figures as of ${fmt.stamp(d.asOf)}. Counts and rates cover the ${WINDOW_LABELS[d.window]}.`),
    notes(d),
    h("section", { "aria-labelledby": "now-h" },
      h("h2", { id: "now-h" }, "Right now"),
      h("div", { class: "cards" }, pit.map((ind) => card(ind, d)))),
    GROUPS.map((g) => h("section", { class: "trend-group", "aria-labelledby": `g-${g.id}` },
      h("h2", { id: `g-${g.id}` }, g.label),
      h("div", { class: "panels" }, INDICATORS.filter((i) => i.group === g.id).map((ind) => panel(ind, d))))),
  ];
}

// Why no cell is marked, and what "suppressed" means, when either applies.
function notes(d) {
  const parts = [thresholdsNote(d.alerts), anySuppressed(d.mine, d.city) ? SUPPRESSED_NOTE : null].filter(Boolean);
  return parts.length ? h("p", { class: "legend muted thresholds-note" }, parts.join(" ")) : null;
}

function card(ind, d) {
  const showCity = d.zone !== "citywide";
  return h("article", { class: "card" },
    h("h3", {}, ind.label),
    cell(ind, d.mine[ind.name], d.zone, d.window, d.alerts.rules, "p", "card"),
    showCity ? h("p", { class: "vs" }, "Citywide ", valueEl("span", ind, d.city[ind.name], `card|city|${ind.name}`)) : null,
    h("p", { class: "desc" }, ind.description));
}

function panel(ind, d) {
  const own = d.series.get(`${d.zone}|${ind.name}`) ?? { labels: [], points: [] };
  const city = d.series.get(`citywide|${ind.name}`);
  const name = zoneName(d.list, d.zone);
  const series = (from) => [
    { name, cls: "zone-a", points: own.points.slice(from) },
    ...(city ? [{ name: "Citywide", cls: "city", points: city.points.slice(from) }] : []),
  ];
  const recent = Math.max(0, own.labels.length - 12);
  return h("article", { class: "panel trend", "aria-labelledby": `t-${ind.name}` },
    h("header", {},
      h("h3", { id: `t-${ind.name}` }, ind.label, ind.kind === "pit" ? h("span", { class: "now-tag" }, "now") : null),
      h("p", { class: "headline" },
        cell(ind, d.mine[ind.name], d.zone, d.window, d.alerts.rules, "span", "panel"),
        d.zone !== "citywide" ? h("span", { class: "vs" }, " · citywide ", valueEl("span", ind, d.city[ind.name], `panel|city|${ind.name}`)) : null),
      h("p", { class: "desc" }, ind.description)),
    h("div", { class: "chart-pair" },
      h("figure", {},
        h("figcaption", {}, "Last 12 weeks"),
        lineChart({ ind, labels: own.labels.slice(recent), series: series(recent), partialLast: true, tick: "week", title: `${ind.label}, last 12 weeks` })),
      h("figure", {},
        h("figcaption", {}, "Last year"),
        lineChart({ ind, labels: own.labels, series: series(0), partialLast: true, tick: "month", title: `${ind.label}, last year`, height: 180 }))),
    legend(name, Boolean(city)));
}

export function legend(name, withCity, nameB = null) {
  return h("p", { class: "chart-legend" },
    h("span", { class: "key zone-a" }, name),
    nameB ? h("span", { class: "key zone-b" }, nameB) : null,
    withCity ? h("span", { class: "key city" }, "Citywide") : null,
    h("span", { class: "key partial" }, "this week so far"));
}
