//! When reports arrive, in which zone, and about which family.

use crate::calendar;
use crate::dist::{self, SimRng};
use childstat_core::time::NANOS_PER_HOUR;
use childstat_core::{Dur, Ts};
use std::collections::VecDeque;

/// A non-homogeneous Poisson process, drawn one UTC hour at a time. New York offsets are
/// whole hours, so a UTC hour is always one local hour and shares its rate.
pub(crate) struct Arrivals {
    per_hour: f64,
    /// Start of the next hour to draw.
    next_hour: Ts,
    start: Ts,
    queue: VecDeque<Ts>,
    day: i32,
    day_factor: f64,
}

/// Give up looking for the next arrival after this many empty hours; only a rate of a few
/// reports a year gets near it, and it keeps `next` from spinning.
const MAX_EMPTY_HOURS: u32 = 24 * 366 * 5;

impl Arrivals {
    pub fn new(start: Ts, per_year: u32) -> Arrivals {
        let per_hour = f64::from(per_year) / (365.0 * 24.0) / calendar::mean_weight();
        Arrivals {
            per_hour,
            next_hour: Ts(start.0.div_euclid(NANOS_PER_HOUR) * NANOS_PER_HOUR),
            start,
            queue: VecDeque::new(),
            day: i32::MIN,
            day_factor: 1.0,
        }
    }

    /// The next arrival, without consuming it; `None` when the rate is zero.
    pub fn peek(&mut self, rng: &mut SimRng) -> Option<Ts> {
        let mut empty = 0;
        while self.queue.is_empty() {
            if self.per_hour <= 0.0 || empty > MAX_EMPTY_HOURS {
                return None;
            }
            self.draw_hour(rng);
            empty += 1;
        }
        self.queue.front().copied()
    }

    pub fn pop(&mut self) -> Option<Ts> {
        self.queue.pop_front()
    }

    fn draw_hour(&mut self, rng: &mut SimRng) {
        let hour = self.next_hour;
        self.next_hour = hour.plus(Dur(NANOS_PER_HOUR));
        let local = calendar::local(hour);
        if local.day_number != self.day {
            self.day = local.day_number;
            // Day-to-day overdispersion (a school-year start, a news story) plus rare surges.
            let surge = if dist::chance(rng, 1.0 / 60.0) {
                1.35
            } else {
                1.0
            };
            self.day_factor = (0.12 * dist::normal(rng) - 0.0072).exp() * surge / 1.006;
        }
        let rate = self.per_hour
            * calendar::hour_weight(&local)
            * calendar::season_weight(local.ordinal)
            * self.day_factor;
        let n = dist::poisson(rng, rate);
        let mut times: Vec<Ts> = (0..n)
            .map(|_| dist::floor_ms(Ts(hour.0 + (dist::unit(rng) * NANOS_PER_HOUR as f64) as i64)))
            .filter(|t| *t >= self.start)
            .collect();
        times.sort_unstable();
        self.queue.extend(times);
    }
}

/// A family known to the agency, for repeat reports.
#[derive(Clone, Debug)]
pub(crate) struct Family {
    pub id: String,
    pub children: u32,
    /// An earlier report was indicated: such families are more likely to be indicated again.
    pub indicated_before: bool,
}

/// Families reported in the last year, oldest first, so repeats can be drawn from them.
pub(crate) struct Families {
    prefix: String,
    next: u64,
    recent: VecDeque<(Ts, Family)>,
    repeat_share: f64,
}

const YEAR: Dur = Dur::days(365);

/// Children per household: skewed towards one to three.
const CHILDREN_WEIGHTS: [f64; 6] = [0.36, 0.28, 0.17, 0.10, 0.06, 0.03];

impl Families {
    pub fn new(seed: u64, repeat_share: f64) -> Families {
        Families {
            prefix: format!("F{seed}-"),
            next: 0,
            recent: VecDeque::new(),
            repeat_share,
        }
    }

    /// The family a report received at `t` is about: a repeat or a new one.
    pub fn pick(&mut self, rng: &mut SimRng, t: Ts) -> Family {
        while self
            .recent
            .front()
            .is_some_and(|(at, _)| *at <= t.minus(YEAR))
        {
            self.recent.pop_front();
        }
        // A repeat only counts if the earlier report is within 12 months, so the pool is
        // exactly last year's families. Re-reports cluster soon after the first one.
        if !self.recent.is_empty() && dist::chance(rng, self.repeat_share) {
            let age = dist::exponential(rng, 110.0).min(364.0);
            let cutoff = t.minus(dist::days(age));
            let i = match self.recent.partition_point(|(at, _)| *at < cutoff) {
                // No report is that old (the first year of a run): any recent family will do.
                // Taking the oldest instead made the run's first family a repeat of every
                // such report, thousands of investigations in one family.
                0 => dist::index(rng, self.recent.len()),
                i => i.min(self.recent.len() - 1),
            };
            if let Some((_, f)) = self.recent.get(i) {
                return f.clone();
            }
        }
        self.next += 1;
        let family = Family {
            id: format!("{}{}", self.prefix, self.next),
            children: dist::weighted(rng, &CHILDREN_WEIGHTS) as u32 + 1,
            indicated_before: false,
        };
        family
    }

    /// Records a report about `family` at `t`, with what it will eventually find.
    pub fn record(&mut self, t: Ts, mut family: Family, indicated: bool) {
        family.indicated_before |= indicated;
        self.recent.push_back((t, family));
    }
}
