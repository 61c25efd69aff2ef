//! Small-cell suppression for aggregates published beyond management (docs/access.md).
//!
//! Primary: a count from 1 to [`SMALL_CELL_MAX`] is hidden, and so is every rate whose
//! numerator or denominator is; `caseload_max` also when the zone has 1 to 10 active CPS,
//! since it is then nearly one person's caseload. Zero is published.
//!
//! Complementary: the citywide cell is the sum of the zone cells, so a zone that is the only
//! one hidden in its row could be recovered as citywide minus the others. For every additive
//! part of a row whose citywide cell is published, once exactly one zone holds a hidden
//! non-zero amount, the visible zone with the smallest non-zero amount is hidden as well
//! (ties by zone order); with none left, the citywide cell is. Some parts are the same number
//! in two indicators (intakes are the repeat rate's denominator), so such cells are hidden
//! together, and the rules repeat until nothing changes.
//!
//! Every decision depends only on the data of the indicator's group ([`decided_with`]), so a
//! client asking for one indicator and a client asking for all see the same cells hidden.

use crate::indicator::{Indicator, IndicatorValue, Value};
use crate::zone::CITYWIDE;

/// Counts from 1 to this are hidden.
pub const SMALL_CELL_MAX: i64 = 10;

/// One indicator over one range (a rolling window at an instant, or one history bucket):
/// every zone's cell in one fixed zone order, shared by all rows passed together, and the
/// citywide cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub indicator: Indicator,
    pub zones: Vec<IndicatorValue>,
    pub citywide: IndicatorValue,
}

/// Indicators with a part that is the same number, zone by zone, by definition.
const LINKED: &[&[Indicator]] = &[
    // Both count investigations at `received_at`.
    &[Indicator::Intakes, Indicator::RepeatWithin12mRate],
    // The same members: investigations at their first determination.
    &[
        Indicator::IndicationRate,
        Indicator::SupervisoryReviewRate,
        Indicator::AllChildrenSeenRate,
    ],
    // `caseload_avg`'s denominator is `active_cps`.
    &[Indicator::ActiveCps, Indicator::CaseloadAvg],
];

/// Groups decided together: the linked sets, and `caseload_max` with the worker count its
/// primary rule reads.
const GROUPS: &[&[Indicator]] = &[
    &[Indicator::Intakes, Indicator::RepeatWithin12mRate],
    &[
        Indicator::IndicationRate,
        Indicator::SupervisoryReviewRate,
        Indicator::AllChildrenSeenRate,
    ],
    &[
        Indicator::ActiveCps,
        Indicator::CaseloadAvg,
        Indicator::CaseloadMax,
    ],
];

/// The indicators whose cells are decided together with `ind`'s, `ind` included. To
/// suppress one indicator alone (a history), pass rows for all of these over the same range.
pub fn decided_with(ind: Indicator) -> &'static [Indicator] {
    if let Some(g) = GROUPS.iter().find(|g| g.contains(&ind)) {
        return g;
    }
    let i = Indicator::ALL
        .iter()
        .position(|&x| x == ind)
        .expect("every indicator is in Indicator::ALL");
    &Indicator::ALL[i..=i]
}

fn small(v: Option<i64>) -> bool {
    matches!(v, Some(1..=SMALL_CELL_MAX))
}

/// The additive parts of a cell: the numerator, and the denominator where there is one.
fn parts(ind: Indicator) -> &'static [fn(&IndicatorValue) -> i64] {
    fn num(v: &IndicatorValue) -> i64 {
        v.numerator.unwrap_or(0)
    }
    fn den(v: &IndicatorValue) -> i64 {
        v.denominator.unwrap_or(0)
    }
    if ind.value() == Value::Rate || ind == Indicator::CaseloadAvg {
        &[num, den]
    } else {
        // Counts; and `caseload_max`, whose citywide is the largest zone value rather than
        // the sum, where a lone hidden zone could still be read off the citywide maximum.
        &[num]
    }
}

/// Hides the cells the rules call for, in place. Rows of indicators outside each other's
/// [`decided_with`] groups do not affect one another.
pub fn suppress(rows: &mut [Row]) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].indicator);
    // hidden[row][col]: columns are the zones in order, then citywide last.
    let mut hidden: Vec<Vec<bool>> = rows.iter().map(|r| primary(r, rows)).collect();
    loop {
        let mut changed = link(rows, &mut hidden);
        for &i in &order {
            changed |= complement(&rows[i], &mut hidden[i]);
        }
        if !changed {
            break;
        }
    }
    for (row, hid) in rows.iter_mut().zip(&hidden) {
        let cells = row
            .zones
            .iter_mut()
            .chain(std::iter::once(&mut row.citywide));
        for (cell, &h) in cells.zip(hid) {
            if h {
                hide(cell);
            }
        }
    }
}

fn hide(cell: &mut IndicatorValue) {
    cell.value = None;
    cell.numerator = None;
    cell.denominator = None;
    cell.suppressed = true;
}

fn cells(row: &Row) -> impl Iterator<Item = &IndicatorValue> {
    row.zones.iter().chain(std::iter::once(&row.citywide))
}

fn primary(row: &Row, rows: &[Row]) -> Vec<bool> {
    let workers = |col: usize| -> Option<i64> {
        let from = |ind: Indicator, part: fn(&IndicatorValue) -> Option<i64>| {
            rows.iter()
                .find(|r| r.indicator == ind)
                .and_then(|r| cells(r).nth(col))
                .and_then(part)
        };
        from(Indicator::ActiveCps, |v| v.numerator)
            .or_else(|| from(Indicator::CaseloadAvg, |v| v.denominator))
    };
    cells(row)
        .enumerate()
        .map(|(col, c)| {
            small(c.numerator)
                || small(c.denominator)
                || (row.indicator == Indicator::CaseloadMax && small(workers(col)))
        })
        .collect()
}

/// Makes linked cells hidden together. Returns whether anything changed.
fn link(rows: &[Row], hidden: &mut [Vec<bool>]) -> bool {
    let mut changed = false;
    for set in LINKED {
        let members: Vec<usize> = (0..rows.len())
            .filter(|&i| set.contains(&rows[i].indicator))
            .collect();
        let width = members.iter().map(|&i| hidden[i].len()).max().unwrap_or(0);
        for col in 0..width {
            if members.iter().any(|&i| hidden[i].get(col) == Some(&true)) {
                for &i in &members {
                    if let Some(h) = hidden[i].get_mut(col) {
                        changed |= !*h;
                        *h = true;
                    }
                }
            }
        }
    }
    changed
}

/// One pass of the complementary rule over one row. Returns whether anything changed.
fn complement(row: &Row, hidden: &mut [bool]) -> bool {
    let city = row.zones.len();
    let mut changed = false;
    for part in parts(row.indicator) {
        if hidden[city] {
            return changed;
        }
        let lone = row
            .zones
            .iter()
            .zip(hidden.iter())
            .filter(|(c, &h)| h && part(c) != 0)
            .count()
            == 1;
        if !lone {
            continue;
        }
        let partner = row
            .zones
            .iter()
            .enumerate()
            .filter(|(z, c)| !hidden[*z] && part(c) != 0)
            .min_by_key(|(z, c)| (part(c).unsigned_abs(), *z))
            .map(|(z, _)| z);
        hidden[partner.unwrap_or(city)] = true;
        changed = true;
    }
    changed
}

/// [`suppress`] over a table as the API reads one: each zone's full indicator list, and
/// citywide's under the code `citywide`, all over the same range. Entries may come in any
/// order. Without a citywide entry the total is taken as published (zero), which only ever
/// hides more.
pub fn suppress_table(table: &mut [(String, Vec<IndicatorValue>)]) {
    let city = table.iter().position(|(z, _)| z == CITYWIDE);
    let zones: Vec<usize> = (0..table.len()).filter(|&i| Some(i) != city).collect();
    let find = |vals: &[IndicatorValue], ind: Indicator| {
        vals.iter()
            .find(|v| v.name == ind.name())
            .cloned()
            .unwrap_or_else(|| IndicatorValue::from_sums(ind, 0, 0))
    };
    let mut rows: Vec<Row> = Indicator::ALL
        .iter()
        .map(|&ind| Row {
            indicator: ind,
            zones: zones.iter().map(|&z| find(&table[z].1, ind)).collect(),
            citywide: city.map_or_else(
                || IndicatorValue::from_sums(ind, 0, 0),
                |c| find(&table[c].1, ind),
            ),
        })
        .collect();
    suppress(&mut rows);
    for row in &rows {
        let cols = zones.iter().copied().map(Some).chain(std::iter::once(city));
        let cells = row.zones.iter().chain(std::iter::once(&row.citywide));
        for (t, cell) in cols.zip(cells) {
            let Some(t) = t else { continue };
            if let Some(v) = table[t].1.iter_mut().find(|v| v.name == cell.name) {
                if cell.suppressed {
                    hide(v);
                }
            }
        }
    }
}
