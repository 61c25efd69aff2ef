// Data more than one view needs: the zone list (fetched once) and the alert rules and
// states (fetched with every refresh, since a rule's state changes minute to minute).

import { get, optional, unlessForbidden } from "./api.js";

let zoneList = null;

export async function zones() {
  if (!zoneList) zoneList = await get("/api/v1/zones");
  return zoneList;
}

export function zoneName(list, code) {
  if (code === "citywide") return "Citywide";
  const z = list.find((x) => x.code === code);
  return z ? z.name : code;
}

// {rules, states, available, restricted}: `available` is false on a server without the
// alerts route, so views can say that no thresholds are marked rather than imply none are
// breached; `restricted` is true when the caller's role may not read them (the public role
// reads suppressed aggregates only), so views show figures without marks and say why.
// The server lists each alert rule with its per-zone states inside; the views want the
// rules and a flat list of states.
export async function alerts() {
  const none = { rules: [], states: [], available: false, restricted: false };
  const body = await unlessForbidden(() => optional("/api/v1/alerts"), () => ({ restricted: true }));
  if (!body) return none;
  if (body.restricted) return { ...none, restricted: true };
  const list = body.alerts ?? [];
  const states = list.flatMap((a) => (a.zones ?? []).map((z) => ({
    ...z, alert: a.name, indicator: a.indicator, severity: a.severity,
  })));
  return { rules: list, states, evaluated_at: body.evaluated_at, available: true, restricted: false };
}

// The note for views that mark thresholds, when there are none to mark; null otherwise.
export function thresholdsNote(al) {
  if (al.restricted) {
    return "Alert thresholds are shared with management only, so no cells are marked here.";
  }
  if (!al.available) return "This server does not publish alert thresholds yet, so no cells are marked.";
  return null;
}

// Whether any value in a list of {name → value} maps was withheld for small-cell suppression.
export function anySuppressed(...maps) {
  return maps.some((m) => Object.values(m ?? {}).some((v) => v?.suppressed));
}

export const SUPPRESSED_NOTE = "“suppressed” marks a figure withheld because it rests on too few cases to publish safely.";

// {name → value} for one zone's indicators response.
export function byName(resp) {
  const m = {};
  for (const v of resp?.indicators ?? []) m[v.name] = v;
  return m;
}
