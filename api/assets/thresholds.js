// Threshold breaches, judged exactly as the alert rules judge them: `value op threshold`,
// with a zone's own threshold where the rule names one. A rule is written for one window;
// for another window the same threshold still applies, unless a rule exists for that
// window, which then wins.

const OPS = {
  "<": (v, t) => v < t,
  "<=": (v, t) => v <= t,
  ">": (v, t) => v > t,
  ">=": (v, t) => v >= t,
};

const OP_WORDS = { "<": "below", "<=": "at or below", ">": "above", ">=": "at or above" };

export function opText(op) {
  return OP_WORDS[op] ?? op;
}

const rank = (severity) => (severity === "critical" ? 2 : 1);

export function thresholdFor(rule, zone) {
  const z = rule.zone_thresholds ?? {};
  return Object.prototype.hasOwnProperty.call(z, zone) ? z[zone] : rule.threshold;
}

// The most severe breach of `indicator`'s rules by `value` in `zone`, or null.
export function breach(rules, indicator, zone, value, window) {
  if (value === null || value === undefined || !rules?.length) return null;
  const mine = rules.filter((r) => r.indicator === indicator);
  if (!mine.length) return null;
  const exact = mine.filter((r) => r.window === window);
  let worst = null;
  for (const rule of exact.length ? exact : mine) {
    const test = OPS[rule.op];
    const threshold = thresholdFor(rule, zone);
    if (!test || threshold === null || threshold === undefined) continue;
    if (test(value, threshold) && (!worst || rank(rule.severity) > rank(worst.severity))) {
      worst = { rule, threshold, severity: rule.severity };
    }
  }
  return worst;
}

export function severityClass(severity) {
  return severity === "critical" ? "breach-critical" : "breach-warning";
}
