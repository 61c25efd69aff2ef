//! The pure core of childstat: the event contract, validation and indicator math.
//!
//! Nothing here does I/O, so all of it is testable without tokio, Kafka or DuckDB.

pub mod alerts;
pub mod batch;
pub mod calendar;
pub mod candidates;
pub mod caseload_sweep;
pub mod clocks;
pub mod contrib;
pub mod decode;
pub mod event;
pub mod indicator;
pub mod rank;
pub mod state;
pub mod state_codec;
pub mod suppress;
pub mod time;
pub mod zone;

pub use batch::{Accepted, Batch, Source};
pub use calendar::{Calendar, DayNum, Step};
pub use clocks::Clocks;
pub use contrib::{investigation_contribs, CaseloadContribs, Contribs, WorkerChange, WorkerState};
pub use decode::{decode, DeadLetterReason, DecodeLimits, Rejection};
pub use event::{Body, Event, EventType, Opened};
pub use indicator::{Better, Caseload, Indicator, IndicatorValue};
pub use state::{Applied, InvState};
pub use state_codec::{decode_inv_state, encode_inv_state, encode_inv_state_into, StateCodecError};
pub use time::{Dur, Ts};
pub use zone::{ZoneInfo, ZoneSet, CITYWIDE};
