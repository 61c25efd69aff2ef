// Weekly history for trend charts, shared by the zone detail and session views.

import { get, pooled, enc } from "./api.js";
import { parseDate, ymd, isoWeekMonday } from "./format.js";

export function mondayOf(date) {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

// The `weeks` ISO weeks ending with the week containing `end` (a Date).
export function weekRange(end, weeks) {
  const to = new Date(end.getFullYear(), end.getMonth(), end.getDate());
  const from = mondayOf(to);
  from.setDate(from.getDate() - 7 * (weeks - 1));
  return { from: ymd(from), to: ymd(to) };
}

// The Sunday that ends an ISO week such as "2026-W47".
export function weekEnd(isoWeek) {
  const m = /^(\d{4})-W(\d{2})$/.exec(isoWeek);
  if (!m) return null;
  const d = isoWeekMonday(Number(m[1]), Number(m[2]));
  d.setDate(d.getDate() + 6);
  return d;
}

// jobs: [{zone, indicator}] → Map "zone|indicator" → {labels: [Date], points: [...]}
export async function weekly(jobs, range) {
  const results = await pooled(jobs.map(({ zone, indicator }) => () =>
    get(`/api/v1/zones/${enc(zone)}/indicators/${enc(indicator)}/history?from=${range.from}&to=${range.to}&step=week`)));
  const out = new Map();
  jobs.forEach(({ zone, indicator }, i) => {
    const pts = results[i]?.points ?? [];
    out.set(`${zone}|${indicator}`, { labels: pts.map((p) => parseDate(p.bucket_start)), points: pts });
  });
  return out;
}
