//! A free-form YAML value with spans, read by the project's own YAML reader (same
//! limits, same errors), for inputs whose shape is not ours: Compose files, manifests,
//! Threagile models.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::source::{SourceFile, Span};
use crate::yaml::{self, Limits, Spanned};

/// A YAML node and where it is written.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// The node's span.
    pub span: Span,
}

/// A YAML value: scalars resolved by the YAML 1.2 core schema.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `null`, `~` or nothing.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order, keys with their spans.
    Map(Vec<(Spanned<String>, Node)>),
}

impl Node {
    /// The string of a scalar (numbers and booleans as written in the core schema).
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The string, when the node is a string.
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when the node is one (or a string of digits).
    pub fn int(&self) -> Option<i64> {
        match &self.value {
            Value::Int(n) => Some(*n),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The boolean, when the node is one.
    pub fn bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> &[(Spanned<String>, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a list (none for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Whether the node is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether the node is a list.
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// Whether the node is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value under `key` in a mapping (the first one written).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }

    /// The entry under `key`, with its key's span.
    pub fn entry(&self, key: &str) -> Option<(&Spanned<String>, &Node)> {
        self.entries()
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(k, v)| (k, v))
    }

    /// The value at a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            span: spanned.span,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }

            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Value::Seq(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value::<Node>()?));
                }
                Ok(Value::Map(entries))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Duplicate keys in the mappings under `node` (YAML forbids them, and so do
/// Compose and kubectl): one error at each repeated key.
fn duplicates(node: &Node, errors: &mut Vec<yaml::Error>) {
    match &node.value {
        Value::Map(entries) => {
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            for (k, v) in entries {
                if !seen.insert(k.value.as_str()) {
                    errors.push(
                        yaml::Error::new(
                            yaml::ErrorKind::Duplicate,
                            format!("duplicate key `{}`", crate::finding::shorten(&k.value)),
                        )
                        .at(k.span)
                        .label("the second occurrence"),
                    );
                }
                duplicates(v, errors);
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| duplicates(i, errors)),
        _ => {}
    }
}

/// Reads the one YAML document of a file.
pub fn read_document(source: &SourceFile, limits: Limits) -> (Option<Node>, Vec<yaml::Error>) {
    let (node, mut errors) = yaml::from_source::<Node>(source, limits);
    if let Some(node) = &node {
        duplicates(node, &mut errors);
    }
    for e in &mut errors {
        // The reader's words are about topologies.
        if e.message.starts_with("the file is empty") {
            e.message = "the file is empty".into();
        }
    }
    (node, errors)
}

/// Reads every YAML document of a file (a manifest stream).
pub fn read_stream(source: &SourceFile, limits: Limits) -> (Vec<Node>, Vec<yaml::Error>) {
    let (nodes, mut errors) = yaml::from_source_stream::<Node>(source, limits);
    for node in &nodes {
        duplicates(node, &mut errors);
    }
    (nodes, errors)
}
