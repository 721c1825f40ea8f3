//! Wrappers that carry source locations and error recovery through serde.
//!
//! Both speak a small protocol with our Deserializer (a newtype struct with a reserved
//! name); any other serde Deserializer sees a plain newtype and yields the bare value,
//! with an empty span. That keeps the model types readable by `serde-saphyr` too,
//! which the differential tests rely on.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::source::Span;

pub(crate) const SPANNED: &str = "$infra_lint::Spanned";
pub(crate) const RECOVER: &str = "$infra_lint::Recover";
pub(crate) const RECOVERED_KEY: &str = "$recovered";
pub(crate) const COUNTED_IDS: &str = "$infra_lint::CountedIds";
pub(crate) const COUNTED_ELEMENTS: &str = "$infra_lint::CountedElements";

/// What the entries of a mapping count against while they are read (see
/// [`super::Limits::max_ids`] and [`super::Limits::max_elements`]), so that a file over
/// a bound is refused at the entry that passes it, before the rest of it is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// Ids of what the availability analysis does not handle (zones, certificates).
    Ids,
    /// Ids of what it does: components and hosts.
    Elements,
}

/// Deserializes a mapping whose entries count as `counted`: with our Deserializer, each
/// key read counts; any other sees a plain newtype around the mapping.
pub fn deserialize_counted<'de, D, V>(
    deserializer: D,
    counted: Counted,
    visitor: V,
) -> Result<V::Value, D::Error>
where
    D: Deserializer<'de>,
    V: Visitor<'de>,
{
    struct Newtype<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for Newtype<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            d.deserialize_map(self.0)
        }
    }

    let name = match counted {
        Counted::Ids => COUNTED_IDS,
        Counted::Elements => COUNTED_ELEMENTS,
    };
    deserializer.deserialize_newtype_struct(name, Newtype(visitor))
}

/// A value with the span of its YAML node and of the mapping key it sits under.
#[derive(Clone, Debug, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// The node's span.
    pub span: Span,
    /// The span of the key this value belongs to, or the node's span for a list item
    /// or a document root.
    pub key: Span,
}

impl<T> Spanned<T> {
    /// A value with a span (tests and synthetic values).
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned {
            value,
            span,
            key: span,
        }
    }
}

/// Spans are where a value was written, not what it is: equality ignores them, so a
/// model read by another YAML library compares equal.
impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                Ok(Spanned::new(T::deserialize(d)?, Span::default()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let missing = || de::Error::invalid_length(0, &"a value and its spans");
                let value = seq.next_element::<T>()?.ok_or_else(missing)?;
                let span = seq.next_element::<u64>()?.ok_or_else(missing)?;
                let key = seq.next_element::<u64>()?.ok_or_else(missing)?;
                let unpack = |p: u64| Span {
                    start: (p >> 32) as u32,
                    end: p as u32,
                };
                Ok(Spanned {
                    value,
                    span: unpack(span),
                    key: unpack(key),
                })
            }
        }

        deserializer.deserialize_newtype_struct(SPANNED, SpannedVisitor(PhantomData))
    }
}

/// A value that may have failed to parse: the error was recorded and its node skipped,
/// so the rest of the file is still read and checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Recover<T> {
    /// Parsed.
    Ok(T),
    /// Not parsed; the error is in the reader's error list.
    Failed,
}

impl<T> Recover<T> {
    /// The value, when it parsed.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Recover::Ok(v) => Some(v),
            Recover::Failed => None,
        }
    }

    /// The value by move, when it parsed.
    pub fn into_ok(self) -> Option<T> {
        match self {
            Recover::Ok(v) => Some(v),
            Recover::Failed => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Recover<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecoverVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for RecoverVisitor<T> {
            type Value = Recover<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                T::deserialize(d).map(Recover::Ok)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                map.next_key::<de::IgnoredAny>()?;
                match map.next_value::<T>() {
                    Ok(value) => Ok(Recover::Ok(value)),
                    // Only our Deserializer answers with the marker key, and only once it
                    // has recorded the error and skipped the node.
                    Err(e) => match map.next_key::<&str>() {
                        Ok(Some(RECOVERED_KEY)) => Ok(Recover::Failed),
                        _ => Err(e),
                    },
                }
            }
        }

        deserializer.deserialize_newtype_struct(RECOVER, RecoverVisitor(PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Recover<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}
