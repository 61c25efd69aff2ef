// Data more than one view needs: the zone list (fetched once) and the alert rules and
// states (fetched with every refresh, since a rule's state changes minute to minute).

import { get, optional } from "./api.js";

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

// {rules, states, available}: `available` is false on a server without the alerts route,
// so views can say that no thresholds are marked rather than imply none are breached.
// The server lists each alert rule with its per-zone states inside; the views want the
// rules and a flat list of states.
export async function alerts() {
  const body = await optional("/api/v1/alerts");
  if (!body) return { rules: [], states: [], available: false };
  const list = body.alerts ?? [];
  const states = list.flatMap((a) => (a.zones ?? []).map((z) => ({
    ...z, alert: a.name, indicator: a.indicator, severity: a.severity,
  })));
  return { rules: list, states, evaluated_at: body.evaluated_at, available: true };
}

// {name → value} for one zone's indicators response.
export function byName(resp) {
  const m = {};
  for (const v of resp?.indicators ?? []) m[v.name] = v;
  return m;
}
