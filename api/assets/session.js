// The session view: two zones for the weekly accountability session, their frozen weekly
// snapshot against citywide, 12-week trends, and the case candidates for reviewers.

import { h, fmt, weekLabel, ordinal, formatValue } from "./format.js";
import { get, sentence } from "./api.js";
import { GROUPS, INDICATORS, WINDOW_LABELS, indicator } from "./catalogue.js";
import { zones, alerts, zoneName, thresholdsNote, anySuppressed, SUPPRESSED_NOTE } from "./shared.js";
import { lineChart } from "./chart.js";
import { cell } from "./overview.js";
import { legend } from "./zone.js";
import { gather, comparable } from "./session_data.js";
import { opText } from "./thresholds.js";

export const title = () => "Session";

async function choices(ctx) {
  const [list, snaps] = await Promise.all([zones(), get("/api/v1/snapshots")]);
  const weeks = snaps.map((s) => s.iso_week).sort().reverse();
  const asked = (ctx.params.get("zones") || "").split(",").filter((c) => list.some((z) => z.code === c));
  const a = asked[0] ?? list[0]?.code;
  const b = asked[1] ?? list.find((z) => z.code !== a)?.code;
  const w = ctx.params.get("week");
  const week = w === "live" || weeks.includes(w) ? w : (weeks[0] ?? "live");
  return { list, weeks, a, b, week };
}

export async function controls(ctx) {
  const c = await choices(ctx);
  const zoneSelect = (id, value, label) => {
    const sel = h("select", { id, dataset: { focus: id } },
      c.list.map((z) => h("option", { value: z.code }, `${z.name} (${z.code})`)));
    sel.value = value;
    return [h("label", { for: id }, label), sel];
  };
  const [la, sa] = zoneSelect("session-a", c.a, "First zone");
  const [lb, sb] = zoneSelect("session-b", c.b, "Second zone");
  const sw = h("select", { id: "session-week", dataset: { focus: "session-week" } },
    c.weeks.map((w) => h("option", { value: w }, weekLabel(w))),
    h("option", { value: "live" }, "Live (not frozen)"));
  sw.value = c.week;
  const apply = () => ctx.update({ zones: `${sa.value},${sb.value}`, week: sw.value });
  for (const el of [sa, sb, sw]) el.addEventListener("change", apply);
  return [
    h("h1", {}, `${zoneName(c.list, c.a)} and ${zoneName(c.list, c.b)}`),
    h("div", { class: "control-row" }, la, sa, lb, sb, h("label", { for: "session-week" }, "Week"), sw),
  ];
}

export async function load(ctx) {
  const c = await choices(ctx);
  const al = await alerts();
  const g = await gather({ ...c, window: ctx.window, alerts: al });
  return { ...c, ...g, alerts: al, window: ctx.window };
}

// A frozen week's point-in-time figures are end-of-week values, not "now".
const pitTag = (ind, frozen) => (ind.kind === "pit" ? h("span", { class: "now-tag" }, frozen ? "end of week" : "now") : null);

export function render(d, ctx) {
  if (d.restricted) return restricted(d, ctx);
  const [na, nb] = [zoneName(d.list, d.a), zoneName(d.list, d.b)];
  const frozen = d.source.kind === "snapshot";
  const suppressed = anySuppressed(...Object.values(d.values));
  return [
    h("p", { class: "lede" },
      frozen
        ? `Weekly snapshot for ${weekLabel(d.week)}, frozen ${fmt.stamp(d.source.takenAt)}. Counts and rates cover the ${WINDOW_LABELS[d.window]} to the end of that week; figures marked “end of week” are as it ended.`
        : `Live figures as of ${fmt.stamp(d.source.asOf)}, not frozen. Counts and rates cover the ${WINDOW_LABELS[d.window]}.`,
      suppressed ? ` ${SUPPRESSED_NOTE}` : null),
    h("section", { "aria-labelledby": "snap-h" },
      h("h2", { id: "snap-h" }, frozen ? "Snapshot against citywide" : "Now, against citywide"),
      h("div", { class: "table-scroll session-scroll", dataset: { scroll: "session" } }, snapshotTable(d, na, nb, frozen))),
    breachList(d, na, nb),
    h("section", { "aria-labelledby": "trend-h" },
      h("h2", { id: "trend-h" }, "12-week trends"),
      legend(na, true, nb),
      h("div", { class: "panels small" }, INDICATORS.map((ind) => trendPanel(ind, d, na, nb)))),
    candidates(d, na, nb),
  ];
}

// The session pack (frozen snapshot, breaches, case candidates) is for management; the
// public role is refused it and is offered the live comparison, which it reads suppressed.
function restricted(d, ctx) {
  const live = d.restricted === "frozen";
  return h("section", { class: "panel info session-restricted", "aria-labelledby": "restricted-h" },
    h("h2", { id: "restricted-h" }, "The session pack is for management"),
    h("p", {}, "The weekly session pack (the frozen snapshot, thresholds breached and case candidates) ",
      "is prepared for the ChildStat session and needs a viewer or reviewer token. ",
      "Your token reads the published figures, with small cells suppressed."),
    live
      ? h("p", {}, h("button", { type: "button", dataset: { focus: "session-live" }, onclick: () => ctx.update({ week: "live" }) },
        "Show live figures for these zones"))
      : h("p", {}, h("a", { href: "#/overview" }, "Go to the zone overview.")));
}

function snapshotTable(d, na, nb, frozen) {
  const cols = [d.a, d.b, "citywide"];
  return h("table", { class: "grid-table session-table" },
    h("caption", { class: "sr-only" }, `Indicators for ${na} and ${nb} against citywide`),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Indicator"),
      h("th", { scope: "col", class: "zone-a-head" }, na),
      h("th", { scope: "col", class: "zone-b-head" }, nb),
      h("th", { scope: "col" }, "Citywide"))),
    GROUPS.map((g) => h("tbody", {},
      h("tr", { class: "group-row" }, h("th", { scope: "colgroup", colspan: 4 }, g.label)),
      INDICATORS.filter((i) => i.group === g.id).map((ind) => h("tr", {},
        h("th", { scope: "row", class: "ind-col" },
          h("span", { class: "ind-label" }, ind.label, pitTag(ind, frozen)),
          h("span", { class: "desc" }, ind.description)),
        cols.map((z) => {
          const td = cell(ind, d.values[z]?.[ind.name], z, d.window, d.alerts.rules, "td", "session");
          const r = d.ranks?.[z]?.[ind.name];
          if (r && z !== "citywide") td.append(h("span", { class: "rank" }, `${ordinal(r.rank)} ${ind.better ? "best" : "highest"} of ${r.of}`));
          return td;
        }))))));
}

function breachList(d, na, nb) {
  if (d.alerts.restricted && !d.breaches.length) {
    return h("p", { class: "legend muted thresholds-note" }, thresholdsNote(d.alerts));
  }
  if (!d.alerts.available && !d.breaches.length) return null;
  const names = { [d.a]: na, [d.b]: nb, citywide: "Citywide" };
  return h("section", { "aria-labelledby": "breach-h" },
    h("h2", { id: "breach-h" }, "Past a threshold"),
    d.breaches.length
      ? h("ul", { class: "breaches" }, d.breaches.map((b) => {
        const ind = indicator(b.indicator);
        const v = formatValue(ind, { value: b.value }).text;
        const t = formatValue(ind, { value: b.threshold }).text;
        const op = b.op ?? d.alerts.rules.find((r) => r.name === b.alert)?.op;
        const where = op ? `${opText(op)} the ${t} threshold` : `threshold ${t}`;
        return h("li", { class: b.severity === "critical" ? "breach-critical" : "breach-warning" },
          h("strong", {}, names[b.zone] ?? b.zone),
          `: ${ind.label} is ${v}${ind.kind === "flow" && b.window ? ` over the ${WINDOW_LABELS[b.window]}` : ""}, ${where} (${b.severity}).`);
      }))
      : h("p", { class: "calm" }, "Neither zone is past an alert threshold."));
}

function trendPanel(ind, d, na, nb) {
  const get = (z) => d.trends.series.get(`${z}|${ind.name}`) ?? [];
  const series = [
    { name: na, cls: "zone-a", points: get(d.a) },
    { name: nb, cls: "zone-b", points: get(d.b) },
    ...(comparable(ind) ? [{ name: "Citywide", cls: "city", points: get("citywide") }] : []),
  ];
  return h("article", { class: "panel trend" },
    h("h3", { title: ind.description }, ind.label, pitTag(ind, d.source.kind === "snapshot")),
    lineChart({ ind, labels: d.trends.labels, series, partialLast: d.trends.partial, tick: "week", title: `${ind.label}, 12 weeks` }));
}

const CRITERIA = {
  overdue: "a task overdue",
  heightened_oversight: "heightened oversight",
  removal_without_conference: "removal without a safety conference",
  ecs_involved: "ECS involved",
};

function candidates(d, na, nb) {
  const head = h("h2", { id: "cand-h" }, "Case candidates");
  const wrap = (...body) => h("section", { "aria-labelledby": "cand-h", class: "candidates" }, head, ...body);
  const c = d.candidates;
  // Without a token (an instance with none configured) the server says why there are none.
  if (c.state === "none") {
    return wrap(h("p", { class: "muted" }, c.note
      ? sentence(c.note)
      : "Sign in as a reviewer to see the open investigations that meet the selection criteria."));
  }
  if (c.state === "forbidden") return wrap(h("p", { class: "muted" }, "Case candidates are shown to reviewers only, and your token does not carry that role."));
  return wrap(h("div", { class: "cand-grid" }, [[d.a, na], [d.b, nb]].map(([z, name]) => {
    const pack = c.byZone?.[z] ?? { candidates: [], total: 0 };
    const list = pack.candidates ?? [];
    const more = pack.total > list.length ? `; the first ${list.length} shown, most criteria met first, then the oldest` : "";
    return h("div", {},
      h("h3", {}, name, h("span", { class: "subtle" }, ` ${pack.total} meeting the criteria${more}`)),
      list.length ? candidateTable(list, z) : h("p", { class: "muted" }, "No open investigation meets the criteria."));
  })));
}

const CLOCKS = [["contact", "Contact"], ["safety_assessment", "Safety assessment"], ["determination", "Determination"]];

function candidateTable(list, zone) {
  return h("div", { class: "table-scroll", dataset: { scroll: `cand-${zone}` } }, h("table", { class: "grid-table cand-table" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Investigation"),
      h("th", { scope: "col" }, "Criteria met"),
      h("th", { scope: "col", class: "num" }, "Open (days)"),
      CLOCKS.map(([, label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, list.map((c) => h("tr", {},
      h("th", { scope: "row" }, h("code", {}, c.id)),
      h("td", {}, (c.criteria_met ?? []).map((x) => h("span", { class: "chip" }, CRITERIA[x] ?? String(x).replaceAll("_", " ")))),
      h("td", { class: "num" }, c.age_days == null ? "—" : Math.floor(c.age_days)),
      CLOCKS.map(([k]) => clockCell(c.clocks?.[k])))))));
}

const STATUS = { met: "met", met_late: "met late", overdue: "overdue", running: "running" };

function clockCell(clock) {
  if (!clock) return h("td", {}, "—");
  const title = `deadline ${fmt.stamp(clock.deadline)}${clock.done_at ? `, done ${fmt.stamp(clock.done_at)}` : ""}`;
  const cls = clock.status === "overdue" ? "breach-critical" : clock.status === "met_late" ? "breach-warning" : null;
  return h("td", { class: cls, title }, STATUS[clock.status] ?? String(clock.status));
}
