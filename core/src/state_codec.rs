//! How a folded investigation state is stored: a tagged binary encoding.
//!
//! Every event rewrites its investigation's whole state, so the stored form is most of what
//! the writer writes: as JSON a state averaged 937 bytes against an event's 350, and DuckDB
//! spent a quarter of a replay compressing those strings at checkpoints. The binary form is
//! a format byte followed by postcard (varint integers, no field names), a fraction of the size
//! and several times faster to encode and decode.
//!
//! Postcard is not self-describing: fields are read by position and enum variants by index.
//! So a change to the fields or variant order of any type inside `InvState` changes the format,
//! and `golden_bytes_are_stable` fails. Such a change takes a new format byte, with the old one
//! still decoded. States written as JSON before the binary form existed start with `{`, which
//! is never a format byte, and are still read.

use crate::state::InvState;

/// The first byte of a state in the current binary format.
pub const FORMAT_V1: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StateCodecError {
    #[error("empty stored state")]
    Empty,
    #[error("unknown stored-state format byte {0:#04x}")]
    UnknownFormat(u8),
    #[error("stored state (format {format}) does not decode: {detail}")]
    Corrupt { format: u8, detail: String },
    #[error("stored state could not be encoded: {0}")]
    Encode(String),
}

/// The stored form of `state`.
pub fn encode_inv_state(state: &InvState) -> Result<Vec<u8>, StateCodecError> {
    let mut out = Vec::new();
    encode_inv_state_into(state, &mut out)?;
    Ok(out)
}

/// Appends the stored form of `state` to `out`, so a writer encoding many states reuses one
/// buffer.
pub fn encode_inv_state_into(state: &InvState, out: &mut Vec<u8>) -> Result<(), StateCodecError> {
    out.push(FORMAT_V1);
    *out = postcard::to_extend(state, std::mem::take(out))
        .map_err(|e| StateCodecError::Encode(e.to_string()))?;
    Ok(())
}

/// A state from its stored form: the binary format, or JSON from before it existed.
pub fn decode_inv_state(stored: &[u8]) -> Result<InvState, StateCodecError> {
    let corrupt = |format: u8, detail: String| StateCodecError::Corrupt { format, detail };
    match stored.first() {
        None => Err(StateCodecError::Empty),
        Some(b'{') => serde_json::from_slice(stored).map_err(|e| corrupt(b'{', e.to_string())),
        Some(&FORMAT_V1) => {
            let (state, rest) = postcard::take_from_bytes::<InvState>(&stored[1..])
                .map_err(|e| corrupt(FORMAT_V1, e.to_string()))?;
            if rest.is_empty() {
                Ok(state)
            } else {
                Err(corrupt(
                    FORMAT_V1,
                    format!("{} bytes left over after the state", rest.len()),
                ))
            }
        }
        Some(&other) => Err(StateCodecError::UnknownFormat(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Finding;
    use crate::state::{
        ContactFact, OpeningFact, OrderKey, PendingFact, RemovalFact, TransferFact,
    };
    use crate::time::Ts;

    fn key(t: i64, id: &str) -> OrderKey {
        OrderKey {
            occurred_at: Ts(t),
            recorded_at: Ts(t + 7),
            event_id: id.to_string(),
        }
    }

    /// A state with every field set, including negative and extreme times.
    fn rich() -> InvState {
        InvState {
            opening: Some(OpeningFact {
                event_id: "e-1".into(),
                occurred_at: Ts(1_641_322_106_800_000_000),
                recorded_at: Ts(1_641_322_329_711_000_000),
                zone: "Z08".into(),
                received_at: Ts(-5),
                family_id: "F13-8342".into(),
                children: 3,
                worker_id: "W9819793".into(),
                heightened_oversight: true,
                after_hours: false,
            }),
            ignored_openings: 2,
            transfers: vec![TransferFact {
                key: key(100, "e-2"),
                zone: "OSI".into(),
                worker_id: "W1".into(),
            }],
            contacts: vec![
                ContactFact {
                    occurred_at: Ts(i64::MIN),
                    children_seen: 0,
                    by_ecs: true,
                },
                ContactFact {
                    occurred_at: Ts(i64::MAX),
                    children_seen: u32::MAX,
                    by_ecs: false,
                },
            ],
            first_safety_assessment: Some(Ts(200)),
            first_supervisory_review: None,
            first_determination: Some((key(300, "e-3"), Finding::Indicated)),
            first_closed: Some(Ts(400)),
            removals: vec![RemovalFact {
                event_id: "e-4".into(),
                occurred_at: Ts(500),
                children: 1,
                emergency: true,
            }],
            safety_conferences: vec![Ts(600), Ts(601)],
            family_team_conferences: 4,
            pending: vec![PendingFact {
                zone: "Z01".into(),
                arrived_at: Ts(700),
            }],
        }
    }

    #[test]
    fn binary_round_trips_and_is_smaller_than_json() {
        for s in [rich(), InvState::default()] {
            let bytes = encode_inv_state(&s).expect("encode");
            assert_eq!(bytes[0], FORMAT_V1);
            assert_eq!(decode_inv_state(&bytes).expect("decode"), s);
            let json = serde_json::to_vec(&s).expect("json");
            assert!(
                bytes.len() * 3 < json.len(),
                "{} vs {}",
                bytes.len(),
                json.len()
            );
        }
    }

    #[test]
    fn json_from_before_the_binary_format_is_still_read() {
        let s = rich();
        let json = serde_json::to_vec(&s).expect("json");
        assert_eq!(decode_inv_state(&json).expect("decode"), s);
    }

    /// Pins the format: if this fails, a type inside `InvState` changed its fields or their
    /// order, and states already stored would no longer decode. Add a new format byte instead.
    #[test]
    fn golden_bytes_are_stable() {
        let got = encode_inv_state(&rich()).expect("encode");
        let hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, GOLDEN);
    }

    const GOLDEN: &str = concat!(
        "010103652d3180b0fa9cd2f092c72d80e7b985cffd92c72d035a303809084631332d383334320308",
        "573938313937393301000201c801d60103652d32034f534902573102ffffffffffffffffff010001",
        "feffffffffffffffff01ffffffff0f000190030001d804e60403652d3309696e6469636174656401",
        "a0060103652d34e807010102b009b2090401035a3031f80a",
    );

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        assert!(matches!(decode_inv_state(&[]), Err(StateCodecError::Empty)));
        assert!(matches!(
            decode_inv_state(&[9, 0]),
            Err(StateCodecError::UnknownFormat(9))
        ));
        let mut bytes = encode_inv_state(&rich()).expect("encode");
        bytes.push(0);
        assert!(matches!(
            decode_inv_state(&bytes),
            Err(StateCodecError::Corrupt { .. })
        ));
        bytes.pop();
        for len in 1..bytes.len() {
            assert!(decode_inv_state(&bytes[..len]).is_err(), "prefix of {len}");
        }
        assert!(decode_inv_state(b"{not json").is_err());
    }
}
