// The indicators in plain words. Names and meanings follow the indicator definitions;
// `better` says which direction is good (null where neither is: a count of intakes is
// workload, not performance), and drives ranks and the arrows next to changes.

export const GROUPS = [
  { id: "timeliness", label: "Timeliness" },
  { id: "practice", label: "Practice" },
  { id: "outcomes", label: "Outcomes" },
  { id: "caseload", label: "Staffing and caseload" },
  { id: "volume", label: "Volume and flags" },
];

// format: "rate" (a share, shown as a percentage), "count" (an integer), "decimal" (one
// decimal place). kind: "flow" (counted over the chosen window) or "pit" (right now).
const LIST = [
  ["contact_24h_rate", "Contact within 24 hours", "timeliness", "rate", "flow", "higher",
    "Share of investigations whose 24-hour first-contact deadline fell due in the window and was met."],
  ["safety_assessment_7d_rate", "Safety assessment within 7 days", "timeliness", "rate", "flow", "higher",
    "Share of investigations whose 7-day safety-assessment deadline fell due in the window and was met."],
  ["determination_60d_rate", "Determination within 60 days", "timeliness", "rate", "flow", "higher",
    "Share of investigations whose 60-day determination deadline fell due in the window and was met."],
  ["overdue_contact", "Overdue first contact", "timeliness", "count", "pit", "lower",
    "Open investigations past their 24-hour contact deadline with no contact yet."],
  ["overdue_safety_assessment", "Overdue safety assessment", "timeliness", "count", "pit", "lower",
    "Open investigations past their 7-day safety-assessment deadline with no assessment yet."],
  ["overdue_determination", "Overdue determination", "timeliness", "count", "pit", "lower",
    "Open investigations past their 60-day determination deadline with no determination yet."],
  ["supervisory_review_rate", "Supervisory review before determination", "practice", "rate", "flow", "higher",
    "Share of investigations determined in the window that had a supervisory review at or before the determination."],
  ["all_children_seen_rate", "All children seen before determination", "practice", "rate", "flow", "higher",
    "Share of investigations determined in the window where every child in the household had been seen."],
  ["safety_conference_rate", "Child Safety Conference within 72 hours", "practice", "rate", "flow", "higher",
    "Share of emergency removals whose 72-hour conference deadline fell due in the window and was met."],
  ["indication_rate", "Indication rate", "outcomes", "rate", "flow", null,
    "Share of investigations determined in the window whose first finding was indicated."],
  ["repeat_within_12m_rate", "Repeat investigation within 12 months", "outcomes", "rate", "flow", "lower",
    "Share of new investigations whose family had another investigation in the previous 12 months."],
  ["children_removed", "Children removed", "outcomes", "count", "flow", null,
    "Children removed from their homes in the window."],
  ["active_cps", "Active caseworkers (CPS)", "caseload", "count", "pit", null,
    "Child Protective Specialists active in the zone right now."],
  ["active_supervisors", "Active supervisors", "caseload", "count", "pit", null,
    "Supervisors active in the zone right now."],
  ["caseload_avg", "Average caseload", "caseload", "decimal", "pit", "lower",
    "Open investigations per active caseworker, on average."],
  ["caseload_max", "Largest caseload", "caseload", "count", "pit", "lower",
    "The most open investigations held by one active caseworker."],
  ["cps_over_threshold", "Caseworkers over the caseload limit", "caseload", "count", "pit", "lower",
    "Active caseworkers holding more open investigations than the caseload threshold."],
  ["intakes", "New investigations", "volume", "count", "flow", null,
    "Reports received in the window (intakes)."],
  ["open_investigations", "Open investigations", "volume", "count", "pit", null,
    "Investigations open right now."],
  ["ecs_involved", "ECS involved", "volume", "count", "flow", null,
    "New investigations in the window that Emergency Children's Services (after hours) worked on."],
  ["heightened_oversight_open", "Open under heightened oversight", "volume", "count", "pit", null,
    "Open investigations of a child aged 3 or under with a fatality, serious-injury or sexual-abuse allegation."],
];

export const INDICATORS = LIST.map(([name, label, group, format, kind, better, description]) => ({
  name, label, group, format, kind, better, description,
}));

const BY_NAME = new Map(INDICATORS.map((i) => [i.name, i]));

// An indicator the server knows but this page does not yet: shown with its raw name rather
// than hidden, so a new indicator is never silently missing from the session.
export function indicator(name) {
  return BY_NAME.get(name) ?? {
    name, label: name.replaceAll("_", " "), group: "volume",
    format: name.endsWith("_rate") ? "rate" : "count", kind: "flow", better: null, description: "",
  };
}

// The catalogue order, then anything unknown in the order the server sent it.
export function ordered(names) {
  const known = INDICATORS.filter((i) => names.includes(i.name));
  const extra = names.filter((n) => !BY_NAME.has(n)).map(indicator);
  return [...known, ...extra];
}

export const WINDOWS = ["7d", "28d", "91d"];
export const WINDOW_LABELS = { "7d": "last 7 days", "28d": "last 28 days", "91d": "last 91 days" };
