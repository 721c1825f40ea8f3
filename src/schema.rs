//! The JSON Schema of the topology format, derived from [`crate::model::document`]: the
//! types the parser reads, so the schema cannot drift from what infra-lint accepts.
//!
//! The schema is a helper for editors (yaml-language-server) and for `check-jsonschema`:
//! it checks keys, types, enum values and ranges. What needs the whole file (references,
//! duplicate ids and links, fields that belong to another kind) stays in infra-lint.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use serde_json::Value;

use crate::model::Document;

/// Where the schema is published; editors and validators use it as the schema's identity.
pub const SCHEMA_ID: &str = "https://github.com/infra-lint/infra-lint/schema/topology-v1.json";

/// The JSON Schema of topology format v1, pretty-printed (without a final newline).
///
/// It is written in draft 7, the newest draft yaml-language-server (VS Code's YAML
/// extension) validates; check-jsonschema and other validators read it too.
pub fn json_schema() -> String {
    let generator = SchemaSettings::draft07()
        .for_deserialize()
        .with_transform(NumbersAsText)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Document>();
    schema.insert("$id".into(), SCHEMA_ID.into());
    let mut schema = schema.to_value();
    describe_values_with_their_field(&mut schema);
    // schemars orders the keywords for people: `$id`, `$schema`, `title` first.
    serde_json::to_string_pretty(&schema).expect("a schema is JSON")
}

/// Editors (yaml-language-server) show on a value the description of the most specific
/// schema it matches: on `kind: web_server`, the value's ("A web server."), never the
/// field's ("What it is."). Each field whose values are a fixed set gets its own copy
/// of the set, every value described as the field, then the value, so both show.
fn describe_values_with_their_field(schema: &mut Value) {
    let Some(defs) = schema
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    // The definitions that are a set of described constants.
    let fixed_set = |name: &str| -> Option<&Vec<Value>> {
        let branches = defs.get(name)?.get("oneOf")?.as_array()?;
        branches
            .iter()
            .all(|b| b.get("const").is_some())
            .then_some(branches)
    };
    let Some(out) = schema.get_mut("definitions").and_then(Value::as_object_mut) else {
        return;
    };
    for def in out.values_mut() {
        let Some(properties) = def.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for property in properties.values_mut() {
            let Some(field) = property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            for combinator in ["allOf", "anyOf"] {
                let Some(options) = property.get_mut(combinator).and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for option in options.iter_mut() {
                    let Some(name) = option
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/definitions/"))
                    else {
                        continue;
                    };
                    let Some(branches) = fixed_set(name) else {
                        continue;
                    };
                    let described: Vec<Value> = branches
                        .iter()
                        .map(|b| {
                            let mut b = b.clone();
                            let value = b["const"].as_str().unwrap_or_default().to_string();
                            let own = b
                                .get("description")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string();
                            b["description"] = Value::from(format!("{field}\n\n`{value}`: {own}"));
                            b
                        })
                        .collect();
                    *option = serde_json::json!({ "oneOf": described });
                }
            }
        }
    }
}

/// Lets a text field hold a plain number, as infra-lint does: where it wants text, it
/// reads a plain scalar as its text (`version: 8`, `rack: 1`), while a generic YAML
/// reader hands the validator a number. Fields with a fixed set of values (enums), a
/// date format or a pattern take text only, as infra-lint does.
#[derive(Clone)]
struct NumbersAsText;

impl Transform for NumbersAsText {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let fixed = ["const", "enum", "format", "pattern"]
            .iter()
            .any(|k| schema.get(*k).is_some());
        let types = match schema.get("type") {
            Some(Value::String(t)) => vec![Value::from(t.as_str())],
            Some(Value::Array(ts)) => ts.clone(),
            _ => return,
        };
        if fixed || !types.iter().any(|t| t == "string") {
            return;
        }
        // "number" covers "integer"; it goes right after "string".
        let mut widened = Vec::with_capacity(types.len() + 1);
        for t in types
            .into_iter()
            .filter(|t| t != "integer" && t != "number")
        {
            let text = t == "string";
            widened.push(t);
            if text {
                widened.push("number".into());
            }
        }
        schema.insert("type".into(), Value::Array(widened));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_json_with_id_and_title() {
        let schema: Value = serde_json::from_str(&json_schema()).expect("json");
        assert_eq!(schema["$id"], SCHEMA_ID);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert!(schema["title"].as_str().is_some_and(|t| !t.is_empty()));
    }

    #[test]
    fn text_fields_take_numbers_but_enums_and_dates_do_not() {
        let schema: Value = serde_json::from_str(&json_schema()).expect("json");
        let defs = &schema["definitions"];
        let version = &defs["Component"]["properties"]["version"]["type"];
        assert_eq!(version, &serde_json::json!(["string", "number", "null"]));
        let expires = &defs["Certificate"]["properties"]["expires"]["type"];
        assert_eq!(expires, &serde_json::json!(["string", "null"]));
        let kinds = defs["Kind"]["oneOf"].as_array().expect("oneOf");
        assert!(kinds.iter().all(|k| k["type"] == "string"));
    }

    /// An editor's hover on `kind: web_server` shows the most specific description:
    /// the value's. It must say what the field is too.
    #[test]
    fn a_fixed_value_is_described_with_its_field() {
        let schema: Value = serde_json::from_str(&json_schema()).expect("json");
        let defs = &schema["definitions"];
        let kind = &defs["Component"]["properties"]["kind"];
        assert_eq!(kind["description"], "What it is.");
        let values = kind["allOf"][0]["oneOf"]
            .as_array()
            .expect("the kinds inline");
        let web = values
            .iter()
            .find(|v| v["const"] == "web_server")
            .expect("web_server");
        assert_eq!(
            web["description"],
            "What it is.\n\n`web_server`: A web server."
        );
        // An optional one (anyOf with null) too, and every value of every such field.
        let protocol = &defs["Link"]["properties"]["protocol"]["anyOf"][0]["oneOf"];
        assert!(protocol.as_array().unwrap().iter().all(|v| {
            v["description"]
                .as_str()
                .unwrap()
                .starts_with("Default tcp.\n\n`")
        }));
        let text = json_schema();
        assert!(
            !text.contains("\"$ref\": \"#/definitions/Kind\""),
            "no field refers to the bare set"
        );
    }
}
