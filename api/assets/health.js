// Pipeline health: is the data fresh, is the consumer keeping up with Kafka, and what
// was rejected or is waiting.

import { h, int, duration, fmt } from "./format.js";
import { get, unlessForbidden } from "./api.js";
import { alerts } from "./shared.js";

export const title = () => "Pipeline health";
export const usesWindow = false;

export function controls() {
  return h("h1", {}, "Pipeline health");
}

// Pipeline status is for operators: the public role is refused it, and sees why instead.
export async function load() {
  const [status, al] = await Promise.all([
    unlessForbidden(() => get("/api/v1/status"), () => null),
    alerts(),
  ]);
  return { status, alerts: al };
}

const COUNTERS = {
  consumed: "Messages consumed",
  applied: "Events applied",
  duplicate: "Duplicates dropped",
  held: "Held until their opening arrived",
  ignored_opening: "Repeated openings ignored",
};

// How far an event's occurred_at was behind the newest one applied before it.
const LATENESS = {
  lt_1h: "Under an hour behind",
  lt_1d: "1 to 24 hours behind",
  lt_7d: "1 to 7 days behind",
  ge_7d: "A week or more behind",
};

const REASONS = {
  too_large: "Message too large",
  malformed_json: "Not valid JSON",
  unsupported_version: "Unsupported event version",
  unknown_type: "Unknown event type",
  invalid_field: "A field is missing or invalid",
  unknown_zone: "Unknown zone",
  future_timestamp: "Timestamp in the future",
};

function restricted() {
  return h("section", { class: "panel info health-restricted", "aria-labelledby": "restricted-h" },
    h("h2", { id: "restricted-h" }, "Pipeline status needs a viewer token"),
    h("p", {}, "How fresh the figures are, consumer lag and rejected messages are for the staff who run ChildStat. ",
      "Your token reads the published figures, with small cells suppressed."),
    h("p", {}, h("a", { href: "#/overview" }, "Go to the zone overview.")));
}

export function render(d) {
  if (!d.status) return restricted();
  const st = d.status;
  const lag = st.consumer_lag;
  const orphans = Object.values(st.orphans_waiting ?? {}).reduce((a, b) => a + b, 0);
  const counters = Object.entries(st.counters ?? {}).map(([k, v]) => [COUNTERS[k] ?? k.replaceAll("_", " "), int(v)]);
  counters.push(["Waiting for their opening now", int(orphans)]);
  return [
    h("p", { class: "lede" }, "How current the figures are, whether the consumer keeps up with Kafka, and what was rejected."),
    st.ingest_problem
      ? h("section", { class: "panel breach-critical ingest-problem", role: "alert", "aria-labelledby": "problem-h" },
        h("h2", { id: "problem-h" }, "Ingest is not moving"),
        h("p", { dataset: { key: "health|problem" } }, st.ingest_problem),
        h("p", { class: "muted" }, "The figures shown stop at the last commit until this is resolved."))
      : null,
    h("div", { class: "cards health-cards" },
      stat("Kafka broker", st.broker_up ? "reachable" : "unreachable", st.broker_up ? null : "breach-critical", "health|broker",
        st.broker_up ? "The consumer can reach the broker." : "The consumer cannot reach the broker; figures are not updating."),
      stat("Freshness", st.freshness_seconds == null ? "no events yet" : `${duration(st.freshness_seconds)} behind`, null, "health|fresh",
        `How far the newest applied event is behind the clock.${st.newest_event ? ` Newest event: ${fmt.stamp(st.newest_event)}.` : ""}`),
      stat("Last commit", st.last_commit ? `${duration(st.last_commit.age_seconds)} ago` : "none yet", null, "health|commit",
        st.last_commit ? `Batch ${int(st.last_commit.batch_id)}, committed ${fmt.stamp(st.last_commit.committed_at)}.` : "Nothing has been committed yet."),
      stat("Consumer lag", lag.total == null ? "not measured yet" : int(lag.total), null, "health|lag",
        "Messages in Kafka not yet committed, over all partitions, read from the broker.")),
    h("div", { class: "health-grid" },
      h("section", { class: "panel", "aria-labelledby": "lag-h" },
        h("h2", { id: "lag-h" }, "Lag by partition"),
        lag.partitions.length
          ? table(["Partition", "Messages behind"], lag.partitions.map((p) => [p.partition, int(p.lag)]), "lag")
          : h("p", { class: "muted" }, "The broker has not answered yet."),
        h("p", { class: "muted" }, `Partitions assigned to this instance: ${int(st.assigned_partitions ?? 0)}.`)),
      h("section", { class: "panel", "aria-labelledby": "count-h" },
        h("h2", { id: "count-h" }, "Events since the database was created"),
        table(["", "Count"], counters, "counter")),
      h("section", { class: "panel", "aria-labelledby": "dlq-h" },
        h("h2", { id: "dlq-h" }, "Dead letters by reason"),
        reasons(st.dead_letters, REASONS, "dlq", "No message has been rejected.")),
      st.late_events?.length
        ? h("section", { class: "panel", "aria-labelledby": "late-h" },
          h("h2", { id: "late-h" }, "Events arriving out of order"),
          reasons(st.late_events, LATENESS, "late", "", Object.keys(LATENESS)))
        : null),
    alertSummary(d),
  ];
}

function stat(label, value, cls, key, help) {
  return h("article", { class: ["card", cls] },
    h("h2", {}, label),
    h("p", { class: "value", dataset: { key, val: value } }, value),
    h("p", { class: "desc" }, help));
}

function table(head, rows, key) {
  return h("table", { class: "grid-table compact" },
    h("thead", {}, h("tr", {}, head.map((x, i) => h("th", { scope: "col", class: i ? "num" : null }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {},
      h("th", { scope: "row" }, String(r[0])),
      h("td", { class: "num value", dataset: { key: `${key}|${r[0]}`, val: r[1] } }, r[1])))));
}

// Reasons with counts as bars: largest first, or in `order` when given.
function reasons(list, names, key, none, order = null) {
  const total = list.reduce((s, x) => s + x.count, 0);
  if (!total) return h("p", { class: "calm" }, none);
  const max = Math.max(...list.map((x) => x.count));
  return h("table", { class: "grid-table compact bars" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Reason"), h("th", { scope: "col", class: "num" }, "Messages"))),
    h("tbody", {}, [...list].sort(order ? (a, b) => order.indexOf(a.reason) - order.indexOf(b.reason) : (a, b) => b.count - a.count).map((x) => h("tr", {},
      h("th", { scope: "row" }, names[x.reason] ?? x.reason.replaceAll("_", " "), h("span", { class: "subtle" }, ` ${x.reason}`)),
      h("td", { class: "num" }, h("div", { class: "bar-cell" },
        h("span", { class: "track", "aria-hidden": "true" }, bar((100 * x.count) / max)),
        h("span", { class: "value", dataset: { key: `${key}|${x.reason}`, val: int(x.count) } }, int(x.count))))))));
}

function bar(percent) {
  const el = h("span", { class: "bar" });
  el.style.width = `${Math.max(2, Math.round(percent))}%`;
  return el;
}

// Indicator alerts are read on the overview, zone by zone; here only how many there are.
function alertSummary(d) {
  if (!d.alerts.available) return null;
  const count = (state) => d.alerts.states.filter((st) => st.state === state).length;
  const [firing, pending] = [count("firing"), count("pending")];
  return h("p", { class: firing ? "alert-line firing" : "alert-line" },
    firing || pending
      ? [`Indicator alerts: ${firing} firing and ${pending} pending, by zone. `, h("a", { href: "#/overview" }, "See them on the zone overview.")]
      : "No indicator alert is firing or pending.",
    d.alerts.evaluated_at ? h("span", { class: "subtle" }, ` Evaluated ${fmt.stamp(d.alerts.evaluated_at)}.`) : null);
}
