//! The one pass over the message. Keys the contract names land in their slots; every
//! other value is consumed without being kept.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON value as far as validation needs it. Arrays and objects are never valid for a
/// contract field, so only their kind is kept.
#[derive(Debug)]
pub(super) enum Raw<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl Raw<'_> {
    /// The value of an integral number. Floats past i128 saturate, which keeps them out
    /// of every range the contract allows and above 1 for `v`.
    pub(super) fn whole(&self) -> Option<i128> {
        match *self {
            Raw::Int(n) => Some(n),
            Raw::Float(x) if x.fract() == 0.0 => Some(x as i128),
            _ => None,
        }
    }
}

macro_rules! known_fields {
    ($($field:ident => $key:literal),+ $(,)?) => {
        /// One slot per field the contract names; `None` while the key has not been seen.
        #[derive(Default)]
        pub(super) struct Fields<'a> {
            $(pub(super) $field: Option<Raw<'a>>,)+
        }

        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum Known {
            $($field,)+
        }

        impl Known {
            fn from_key(key: &str) -> Option<Known> {
                match key {
                    $($key => Some(Known::$field),)+
                    _ => None,
                }
            }
        }

        impl<'a> Fields<'a> {
            fn slot(&mut self, known: Known) -> &mut Option<Raw<'a>> {
                match known {
                    $(Known::$field => &mut self.$field,)+
                }
            }
        }
    };
}

known_fields! {
    v => "v",
    event_id => "event_id",
    ty => "type",
    occurred_at => "occurred_at",
    recorded_at => "recorded_at",
    zone => "zone",
    investigation_id => "investigation_id",
    received_at => "received_at",
    family_id => "family_id",
    children => "children",
    worker_id => "worker_id",
    supervisor_id => "supervisor_id",
    heightened_oversight => "heightened_oversight",
    after_hours => "after_hours",
    kind => "kind",
    children_seen => "children_seen",
    by_ecs => "by_ecs",
    result => "result",
    emergency => "emergency",
    finding => "finding",
    role => "role",
    status => "status",
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut fields = Fields::default();
                while let Some(Key(known)) = map.next_key()? {
                    match known {
                        // A repeated key overwrites: last one wins.
                        Some(k) => *fields.slot(k) = Some(map.next_value()?),
                        None => map.next_value::<Skip>().map(drop)?,
                    }
                }
                Ok(fields)
            }
        }
        d.deserialize_map(FieldsVisitor)
    }
}

/// An object key, matched against the contract's names without allocating.
struct Key(Option<Known>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(Key(Known::from_key(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw<'de>, E> {
                Ok(Raw::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw<'de>, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Raw<'de>, E> {
                Ok(Raw::Int(i128::from(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Raw<'de>, E> {
                Ok(Raw::Int(i128::from(n)))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Raw<'de>, E> {
                Ok(Raw::Float(x))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Raw::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Raw::Object)
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

/// Consumes a value without keeping it. Unlike `serde::de::IgnoredAny` it decodes
/// strings, so a lone surrogate escape is malformed wherever it appears; serde_json's
/// skipping fast path would let it through in an ignored field.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}
