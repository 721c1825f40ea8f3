//! Reading YAML into the model types: a serde Deserializer over `saphyr-parser` events.

mod de;
mod error;
pub(crate) mod scalar;
mod spanned;
mod split;
mod text;

pub use de::{
    Cursor, Limits, Mark, MarkKind, Marks, from_source, from_source_marked, from_source_stream,
};
pub use error::{Error, ErrorKind};
pub use spanned::{Counted, Recover, Spanned, deserialize_counted};
pub use text::Text;

#[cfg(test)]
mod tests;
