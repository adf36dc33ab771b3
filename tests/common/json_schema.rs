//! Checks a JSON value against the subset of JSON Schema that docs/report.schema.json uses
//! ($ref, type, required, properties, additionalProperties, items, enum, const, anyOf, oneOf,
//! minimum), so the documented schema and the real output cannot drift apart.

use serde_json::Value;

pub struct Schema {
    root: Value,
}

impl Schema {
    pub fn load() -> Schema {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
        let text = std::fs::read_to_string(&path).expect("docs/report.schema.json");
        Schema {
            root: serde_json::from_str(&text).expect("the schema is JSON"),
        }
    }

    /// Errors of `value` against `#/$defs/<def>` (or the root schema for "").
    pub fn check(&self, def: &str, value: &Value) -> Vec<String> {
        let schema = if def.is_empty() {
            &self.root
        } else {
            &self.root["$defs"][def]
        };
        assert!(!schema.is_null(), "no definition {def}");
        let mut errors = Vec::new();
        self.walk(schema, value, "$", &mut errors);
        errors
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/$defs/").expect("local refs only");
                self.resolve(&self.root["$defs"][name])
            }
            None => schema,
        }
    }

    fn walk(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !allowed.iter().any(|t| type_matches(t, value)) {
                errors.push(format!("{at}: {value} is not {allowed:?}"));
                return;
            }
        }
        if let Some(c) = schema.get("const") {
            if c != value {
                errors.push(format!("{at}: {value} is not {c}"));
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            if !options.contains(value) {
                errors.push(format!("{at}: {value} not in {options:?}"));
            }
        }
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if value.as_f64().is_some_and(|v| v < min) {
                errors.push(format!("{at}: {value} < {min}"));
            }
        }
        for (keyword, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(Value::Array(options)) = schema.get(keyword) {
                let passing = options
                    .iter()
                    .filter(|o| {
                        let mut e = Vec::new();
                        self.walk(o, value, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                if passing == 0 || (exactly_one && passing > 1) {
                    errors.push(format!("{at}: {passing} of the {keyword} options match"));
                }
            }
        }
        if let Value::Object(obj) = value {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = schema.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(r) {
                        errors.push(format!("{at}: missing `{r}`"));
                    }
                }
            }
            for (k, v) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.walk(s, v, &format!("{at}.{k}"), errors),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{at}: `{k}` is not documented"))
                        }
                        Some(s @ Value::Object(_)) => self.walk(s, v, &format!("{at}.{k}"), errors),
                        _ => {}
                    },
                }
            }
        }
        if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
            for (i, v) in items.iter().enumerate() {
                self.walk(s, v, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}
