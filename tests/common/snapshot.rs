//! The stored-state digest lives in the fault harness, which compares every faulted run with
//! an uninterrupted one; the tests use the same.

#[allow(unused_imports)]
pub use childstat_faults::digest::{assert_same, digest};
