// Gathers what the session view shows into one shape: values for the two zones and
// citywide, ranks among all zones, 12-week trends, threshold breaches and case candidates.
// A frozen week comes from the session pack (/api/v1/session) and its snapshot; "live"
// from the current indicators, the comparison table and the history endpoint.
// A role that may not read the session pack (or the comparison) gets {restricted: "frozen"}
// (or "live") and the view explains instead of failing.

import { ApiError, get, pooled, enc, token, unlessForbidden } from "./api.js";
import { INDICATORS } from "./catalogue.js";
import { breach } from "./thresholds.js";
import { isoWeekMonday, isoWeekOf } from "./format.js";
import { weekly, weekRange } from "./trends.js";

// Rates and averages are charted against citywide; counts are not (see zone.js).
export const comparable = (ind) => ind.format !== "count";

export async function gather({ a, b, week, window, list, alerts: al }) {
  return week === "live" ? live(a, b, window, al) : frozen(a, b, week, window, list);
}

async function frozen(a, b, week, window, list) {
  const [pack, snapshot] = await Promise.all([
    unlessForbidden(() => get(`/api/v1/session?zones=${enc(`${a},${b}`)}&week=${enc(week)}`), () => null),
    get(`/api/v1/snapshots/${enc(week)}`),
  ]);
  if (!pack) return { restricted: "frozen" };
  const values = {};
  for (const [zone, windows] of Object.entries(pack.snapshot.values)) {
    values[zone] = Object.fromEntries((windows[window] ?? []).map((v) => [v.name, v]));
  }
  const trends = { labels: [], series: new Map(), partial: week === isoWeekOf(new Date()) };
  for (const [zone, byIndicator] of Object.entries(pack.trends)) {
    for (const [name, points] of Object.entries(byIndicator)) {
      trends.series.set(`${zone}|${name}`, points);
      if (!trends.labels.length) trends.labels = points.map((p) => mondayOfWeek(p.week));
    }
  }
  let candidates;
  if (pack.case_candidates) {
    candidates = { state: "ok", byZone: pack.case_candidates };
  } else {
    candidates = { state: token() ? "forbidden" : "none", note: pack.case_candidates_note };
  }
  return {
    values,
    source: { kind: "snapshot", takenAt: pack.snapshot.taken_at, asOf: pack.snapshot.as_of },
    ranks: snapshotRanks(snapshot.values, window, list.map((z) => z.code)),
    trends,
    breaches: pack.breaches,
    candidates,
  };
}

async function live(a, b, window, al) {
  const codes = [a, b];
  const cmp = await unlessForbidden(() => get(`/api/v1/compare?zones=${enc(codes.join(","))}&window=${enc(window)}`), () => null);
  if (!cmp) return { restricted: "live" };
  const values = {};
  const ranks = {};
  for (const row of cmp.indicators) {
    for (const [zone, v] of Object.entries(row.values)) {
      (values[zone] ??= {})[row.indicator] = { name: row.indicator, ...v };
      if (v.rank) (ranks[zone] ??= {})[row.indicator] = { rank: v.rank, of: v.of };
    }
  }
  const range = weekRange(new Date(), 12);
  const jobs = INDICATORS.flatMap((ind) => ["citywide", ...codes]
    .filter((z) => z !== "citywide" || comparable(ind))
    .map((zone) => ({ zone, indicator: ind.name })));
  const fetched = await weekly(jobs, range);
  const trends = { labels: [], series: new Map(), partial: true };
  for (const [k, v] of fetched) {
    trends.series.set(k, v.points);
    if (!trends.labels.length) trends.labels = v.labels;
  }
  const breaches = [];
  for (const zone of [...codes, "citywide"]) {
    for (const [name, v] of Object.entries(values[zone] ?? {})) {
      const hit = breach(al.rules, name, zone, v.value, window);
      if (hit) {
        breaches.push({ zone, alert: hit.rule.name, indicator: name, window, op: hit.rule.op,
          value: v.value, threshold: hit.threshold, severity: hit.severity });
      }
    }
  }
  return {
    values,
    source: { kind: "live", asOf: cmp.as_of },
    ranks,
    trends,
    breaches,
    candidates: await liveCandidates(codes),
  };
}

function mondayOfWeek(isoWeek) {
  const [y, w] = isoWeek.split("-W").map(Number);
  return isoWeekMonday(y, w);
}

// Standard competition ranking (1, 2, 2, 4) among the zones, as the comparison endpoint
// ranks: best first where a direction is better, else highest first.
function snapshotRanks(rows, window, codes) {
  const values = {};
  for (const r of rows) {
    if (r.window === window && codes.includes(r.zone)) (values[r.indicator] ??= []).push([r.zone, r.value]);
  }
  const out = {};
  for (const ind of INDICATORS) {
    const scored = (values[ind.name] ?? []).filter(([, v]) => v !== null && v !== undefined);
    const order = ind.better === "lower" ? (x, y) => x - y : (x, y) => y - x;
    const sorted = scored.map(([, v]) => v).sort(order);
    for (const [zone, v] of scored) (out[zone] ??= {})[ind.name] = { rank: sorted.indexOf(v) + 1, of: scored.length };
  }
  return out;
}

// Live case candidates: this week's, from each zone's candidates endpoint.
async function liveCandidates(codes) {
  const week = isoWeekOf(new Date());
  try {
    const bodies = await pooled(codes.map((z) => () => get(`/api/v1/zones/${enc(z)}/case-candidates?week=${enc(week)}`)));
    return { state: "ok", byZone: Object.fromEntries(codes.map((z, i) => [z, bodies[i]])) };
  } catch (e) {
    if (!(e instanceof ApiError) || !(e.signInNeeded || e.forbidden)) throw e;
    return { state: token() ? "forbidden" : "none", note: e.detail ?? e.message };
  }
}
