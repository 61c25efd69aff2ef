//! A fixed-size Bloom filter over the `id_hash` of every applied event: "certainly new" for
//! almost every fresh event id, so the duplicate check reads DuckDB only for the few the
//! filter cannot clear. Without it, every batch joined its ids against the whole
//! `raw_events.id_hash` column: 110 ms a batch on five years of history, growing with it.
//!
//! The filter never decides that an event is a duplicate: a hit is confirmed against the
//! stored event ids, so a false positive costs one query and never drops an event. Its size
//! is fixed, so memory does not grow with history; the false-positive rate does, slowly
//! (about 2 in 1,000 at 10 M events, 5% at 30 M), and only the query rate follows it.

use crate::error::Result;
use duckdb::Connection;

/// 2^27 bits: 16 MiB.
const BITS_LOG2: u32 = 27;
const WORDS: usize = (1 << BITS_LOG2) / 64;
/// Probes per id; optimal for about 13 M ids in 2^27 bits.
const PROBES: u32 = 7;

const ALL_HASHES: &str = "SELECT id_hash FROM raw_events";

pub struct SeenFilter {
    words: Vec<u64>,
}

impl SeenFilter {
    pub fn new() -> SeenFilter {
        SeenFilter {
            words: vec![0; WORDS],
        }
    }

    /// A filter holding every stored event's hash.
    pub fn load(conn: &Connection) -> Result<SeenFilter> {
        let mut f = SeenFilter::new();
        let mut stmt = conn.prepare(ALL_HASHES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f.insert(r.get::<_, u64>(0)?);
        }
        Ok(f)
    }

    /// Bit positions by double hashing: `id_hash` is already a 64-bit hash (xxh3), so its
    /// halves serve as the two independent hashes.
    fn positions(h: u64) -> impl Iterator<Item = usize> {
        let (a, b) = (h as u32 as u64, (h >> 32) | 1);
        let mask = (1u64 << BITS_LOG2) - 1;
        (0..u64::from(PROBES)).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) & mask) as usize)
    }

    pub fn insert(&mut self, h: u64) {
        for p in Self::positions(h) {
            self.words[p / 64] |= 1 << (p % 64);
        }
    }

    /// False means the hash was never inserted; true means it may have been.
    pub fn may_contain(&self, h: u64) -> bool {
        Self::positions(h).all(|p| self.words[p / 64] & (1 << (p % 64)) != 0)
    }

    pub fn bytes(&self) -> usize {
        self.words.len() * 8
    }
}

impl Default for SeenFilter {
    fn default() -> Self {
        SeenFilter::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::id_hash;

    #[test]
    fn inserted_ids_are_always_found() {
        let mut f = SeenFilter::new();
        let ids: Vec<String> = (0..50_000).map(|i| format!("evt-{i}")).collect();
        for id in &ids {
            f.insert(id_hash(id));
        }
        assert!(ids.iter().all(|id| f.may_contain(id_hash(id))));
    }

    #[test]
    fn unseen_ids_are_mostly_cleared() {
        let mut f = SeenFilter::new();
        for i in 0..1_000_000 {
            f.insert(id_hash(&format!("seen-{i}")));
        }
        let hits = (0..100_000)
            .filter(|i| f.may_contain(id_hash(&format!("new-{i}"))))
            .count();
        // Expected about 1 in 10^7 at this fill; a broken probe sequence gives thousands.
        assert!(hits < 10, "{hits} false positives in 100,000");
    }
}
