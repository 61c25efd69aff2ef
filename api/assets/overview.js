// Zone overview: every zone against citywide for the chosen window, with threshold
// breaches marked as the alert rules judge them.

import { h, valueEl, formatValue } from "./format.js";
import { get, pooled, enc } from "./api.js";
import { GROUPS, INDICATORS, WINDOW_LABELS, indicator } from "./catalogue.js";
import { zones, alerts, byName, zoneName, thresholdsNote, anySuppressed, SUPPRESSED_NOTE } from "./shared.js";
import { breach, severityClass, opText } from "./thresholds.js";

export const title = () => "Zone overview";

export async function controls(ctx) {
  const group = ctx.params.get("group") || "all";
  const options = [{ id: "all", label: "All indicators" }, ...GROUPS];
  return [
    h("h1", {}, "Zone overview"),
    h("div", { class: "segmented", role: "group", "aria-label": "Indicators to show" },
      options.map((g) => h("button", {
        type: "button", "aria-pressed": String(g.id === group), dataset: { focus: `group-${g.id}` },
        onclick: () => ctx.update({ group: g.id === "all" ? null : g.id }),
      }, g.label))),
  ];
}

export async function load(ctx) {
  const [list, al] = await Promise.all([zones(), alerts()]);
  const codes = ["citywide", ...list.map((z) => z.code)];
  const responses = await pooled(codes.map((c) => () =>
    get(`/api/v1/zones/${enc(c)}/indicators?window=${enc(ctx.window)}`)));
  const values = new Map(codes.map((c, i) => [c, byName(responses[i])]));
  return { list, alerts: al, values, asOf: responses[0]?.as_of, window: ctx.window };
}

export function render(data, ctx) {
  const group = ctx.params.get("group") || "all";
  const shown = INDICATORS.filter((i) => group === "all" || i.group === group);
  const sort = ctx.params.get("sort");
  const dir = ctx.params.get("dir") === "desc" ? -1 : 1;
  const rules = data.alerts.rules;

  let rows = data.list.map((z) => z.code);
  if (sort && shown.some((i) => i.name === sort)) {
    const val = (c) => data.values.get(c)?.[sort]?.value;
    rows = [...rows].sort((a, b) => {
      const [x, y] = [val(a), val(b)];
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      return (x - y) * dir;
    });
  }

  const groupsShown = GROUPS.filter((g) => shown.some((i) => i.group === g.id));
  const table = h("table", { class: "grid-table overview" },
    h("caption", { class: "sr-only" }, `Indicators by zone, ${WINDOW_LABELS[data.window]}`),
    h("thead", {},
      h("tr", { class: "group-row" },
        h("td", {}),
        groupsShown.map((g) => h("th", { scope: "colgroup", colspan: shown.filter((i) => i.group === g.id).length }, g.label))),
      h("tr", {},
        h("th", { scope: "col", class: "zone-col" }, "Zone"),
        shown.map((ind) => headerCell(ind, sort, dir, ctx)))),
    h("tbody", {},
      row("citywide", "Citywide", "all zones", shown, data, rules, true),
      rows.map((code) => {
        const z = data.list.find((x) => x.code === code);
        return row(code, z.name, z.borough, shown, data, rules, false);
      })));

  return [
    h("p", { class: "lede" },
      `Every zone against citywide. Counts and rates cover the ${WINDOW_LABELS[data.window]}; `,
      "figures marked “now” are as of this moment. Select a zone for its trends."),
    alertStrip(data),
    legend(data.alerts, anySuppressed(...data.values.values())),
    h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Zone overview table", dataset: { scroll: "overview", focus: "overview-table" } }, table),
  ];
}

function headerCell(ind, sort, dir, ctx) {
  const active = sort === ind.name;
  const next = active && dir === 1 ? "desc" : "asc";
  const ariaSort = active ? (dir === 1 ? "ascending" : "descending") : "none";
  return h("th", { scope: "col", "aria-sort": ariaSort, title: ind.description },
    h("button", {
      type: "button", class: "sort", dataset: { focus: `sort-${ind.name}` },
      "aria-label": `${ind.label}${ind.kind === "pit" ? " (now)" : ""}: sort ${next === "asc" ? "ascending" : "descending"}`,
      onclick: () => ctx.update({ sort: ind.name, dir: next }),
    },
    h("span", {}, ind.label),
    ind.kind === "pit" ? h("span", { class: "now-tag" }, "now") : null,
    h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (dir === 1 ? "▲" : "▼") : "")));
}

function row(code, name, borough, shown, data, rules, isCity) {
  const vals = data.values.get(code) ?? {};
  return h("tr", { class: isCity ? "city" : null },
    h("th", { scope: "row", class: "zone-col" },
      h("a", { href: `#/zone/${enc(code)}`, dataset: { focus: `zone-${code}` } },
        h("span", { class: "zone-name" }, name),
        h("span", { class: "zone-code" }, isCity ? borough : `${code} · ${borough}`))),
    shown.map((ind) => cell(ind, vals[ind.name], code, data.window, rules)));
}

export function cell(ind, v, zone, window, rules, tag = "td", keyPrefix = "ov") {
  const b = v && !v.suppressed ? breach(rules, ind.name, zone, v.value, window) : null;
  const el = valueEl(tag, ind, v, `${keyPrefix}|${zone}|${ind.name}`, { class: b ? ["num", severityClass(b.severity)] : "num" });
  if (b) {
    const f = formatValue(ind, { value: b.threshold, numerator: null, denominator: null });
    const why = `${opText(b.rule.op)} the ${f.text} threshold (${b.severity})`;
    el.title = [el.title, why].filter(Boolean).join(" — ");
    el.prepend(h("span", { class: "mark", "aria-hidden": "true" }, b.severity === "critical" ? "◆" : "▲"));
    el.append(h("span", { class: "sr-only" }, `, ${why}`));
  }
  return el;
}

// One line per alert rule with zones in breach. The table marks which zones; the names
// are listed only when few, so a widespread breach stays one readable line.
function alertStrip(data) {
  if (!data.alerts.available) return null;
  const lines = data.alerts.rules.map((rule) => {
    const zonesIn = (state) => data.alerts.states.filter((st) => st.alert === rule.name && st.state === state);
    return { rule, firing: zonesIn("firing"), pending: zonesIn("pending") };
  }).filter((l) => l.firing.length || l.pending.length);
  if (!lines.length) return h("p", { class: "alert-strip calm" }, "No alert is firing or pending.");
  const part = (list, state) => {
    if (!list.length) return null;
    const names = list.length <= 4
      ? [": ", list.map((st, i) => [i ? ", " : "", h("a", { href: `#/zone/${enc(st.zone)}` }, zoneName(data.list, st.zone))])]
      : null;
    return [h("span", { class: "state" }, `${state} in ${list.length} ${list.length === 1 ? "zone" : "zones"}`), names];
  };
  return h("section", { class: "alert-strip", "aria-label": "Alerts" },
    h("ul", {}, lines.map(({ rule, firing, pending }) => {
      const ind = indicator(rule.indicator);
      const t = formatValue(ind, { value: rule.threshold }).text;
      return h("li", { class: firing.length ? "firing" : "pending" },
        `${ind.label} ${opText(rule.op)} ${t} (${rule.severity}) — `,
        part(firing, "firing"), firing.length && pending.length ? "; " : null, part(pending, "pending"));
    })));
}

function legend(al, suppressed) {
  const note = thresholdsNote(al);
  const hidden = suppressed ? ` ${SUPPRESSED_NOTE}` : "";
  if (note) return h("p", { class: "legend muted thresholds-note" }, `${note}${hidden}`);
  return h("p", { class: "legend" },
    h("span", { class: "swatch breach-warning" }, h("span", { class: "mark", "aria-hidden": "true" }, "▲"), "warning"),
    h("span", { class: "swatch breach-critical" }, h("span", { class: "mark", "aria-hidden": "true" }, "◆"), "critical"),
    " Marked cells are past an alert threshold, judged as the alert rules judge them. ",
    `“—” means no cases in the denominator.${hidden}`);
}
