//! CloudFormation's template language resolved as far as it can be offline:
//! parameters with defaults, pseudo parameters, `Ref`, `Fn::GetAtt`,
//! `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::FindInMap`, `Fn::If` (when both
//! branches agree, or the condition is decidable), `Fn::Base64`; everything
//! else is *unknown*: a value that exists once the stack is deployed. YAML's
//! short forms (`!Ref`, `!GetAtt A.B`, `!Sub`, ...) become their long forms.
//!
//! An unknown value is a string carrying [`UNKNOWN`]; [`crate::model::Field::of`]
//! turns it into `Field::Unknown` so no check mistakes it for a real value.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// The marker of a value known only after deployment.
pub const UNKNOWN: &str = "\u{1}unknown\u{1}";

/// Whether a string is (or embeds) an unknown value.
pub fn is_unknown(s: &str) -> bool {
    s.contains(UNKNOWN)
}

fn unknown() -> Value {
    Value::String(UNKNOWN.to_owned())
}

/// Converts YAML (with CloudFormation's short-form tags) to JSON.
pub fn yaml_to_json(v: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(s) => Value::Array(s.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    _ => continue,
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = yaml_to_json(t.value);
            let (key, inner) = match name {
                "Ref" | "Condition" => (name.to_owned(), inner),
                "GetAtt" => {
                    let inner = match inner {
                        Value::String(s) => match s.split_once('.') {
                            Some((a, b)) => Value::Array(vec![a.into(), b.into()]),
                            None => Value::String(s),
                        },
                        other => other,
                    };
                    ("Fn::GetAtt".to_owned(), inner)
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut m = Map::new();
            m.insert(key, inner);
            Value::Object(m)
        }
    }
}

/// A template's names: parameters' defaults, resources' types and properties,
/// mappings and conditions.
pub struct Template<'t> {
    params: HashMap<&'t str, &'t Value>,
    resources: &'t Map<String, Value>,
    mappings: Option<&'t Map<String, Value>>,
    conditions: Option<&'t Map<String, Value>>,
    /// Resources' physical names, resolved once: names built from names
    /// (`${Next}${Next}`) would otherwise be resolved again at every use,
    /// doubling the work per level.
    names: std::cell::RefCell<HashMap<String, Value>>,
    /// Values resolved for the current [`Template::resolve`] call.
    work: std::cell::Cell<u32>,
}

/// The most values one [`Template::resolve`] call resolves; past it the rest
/// is unknown. Mappings whose values are lists of `Fn::FindInMap` into the
/// next mapping multiply at every level (8 copies over 12 levels are 8^12):
/// a 4 KB template must not take minutes and gigabytes.
const MAX_WORK: u32 = 100_000;

/// The longest string resolution builds; longer is unknown (a template
/// that multiplies names into each other).
const MAX_STRING: usize = 64 * 1024;

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'t> Template<'t> {
    pub fn new(doc: &'t Value) -> Template<'t> {
        let mut params = HashMap::new();
        if let Some(p) = doc.get("Parameters").and_then(Value::as_object) {
            for (name, def) in p {
                if let Some(d) = def.get("Default") {
                    params.insert(name.as_str(), d);
                }
            }
        }
        Template {
            params,
            resources: doc
                .get("Resources")
                .and_then(Value::as_object)
                .unwrap_or(&EMPTY),
            mappings: doc.get("Mappings").and_then(Value::as_object),
            conditions: doc.get("Conditions").and_then(Value::as_object),
            names: std::cell::RefCell::new(HashMap::new()),
            work: std::cell::Cell::new(0),
        }
    }

    /// The resource's type.
    pub fn type_of(&self, logical: &str) -> Option<&'t str> {
        self.resources.get(logical)?.get("Type")?.as_str()
    }

    fn property(&self, logical: &str, name: &str) -> Option<&'t Value> {
        self.resources.get(logical)?.get("Properties")?.get(name)
    }

    /// The physical name a resource's `Ref` returns where it is the name the
    /// template gives (or, without one, a stand-in made of the logical id).
    fn name_of(&self, logical: &str, depth: u8) -> Value {
        if let Some(v) = self.names.borrow().get(logical) {
            return v.clone();
        }
        // Marked unknown while it resolves: a name that refers to itself is
        // unknown, not a loop.
        self.names
            .borrow_mut()
            .insert(logical.to_owned(), unknown());
        let v = self.resolve_name(logical, depth);
        self.names
            .borrow_mut()
            .insert(logical.to_owned(), v.clone());
        v
    }

    fn resolve_name(&self, logical: &str, depth: u8) -> Value {
        let prop = match self.type_of(logical) {
            Some("AWS::S3::Bucket") => "BucketName",
            Some("AWS::IAM::Role") => "RoleName",
            Some("AWS::SecretsManager::Secret") => "Name",
            Some("AWS::SageMaker::NotebookInstance") => "NotebookInstanceName",
            Some("AWS::SageMaker::Model") => "ModelName",
            Some("AWS::SageMaker::EndpointConfig") => "EndpointConfigName",
            Some("AWS::IAM::ManagedPolicy") => "ManagedPolicyName",
            // Stands for the VPC's id: flow logs name it.
            Some("AWS::EC2::VPC") => return Value::String(logical.to_owned()),
            _ => return unknown(),
        };
        // A name known only once deployed (a parameter without a default)
        // stands as the logical id, so that the template's own references
        // to the resource still meet.
        match self
            .property(logical, prop)
            .map(|v| self.resolve_depth(v, depth + 1))
        {
            Some(Value::String(s)) if !is_unknown(&s) => Value::String(s),
            _ => Value::String(logical.to_owned()),
        }
    }

    fn ref_value(&self, name: &str, depth: u8) -> Value {
        match name {
            "AWS::AccountId" | "AWS::Region" | "AWS::StackName" | "AWS::StackId" => {
                Value::String(format!("${{{name}}}"))
            }
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::NoValue" => Value::Null,
            _ => {
                // CloudFormation takes a parameter's Default literally.
                if let Some(d) = self.params.get(name) {
                    return match d {
                        Value::String(_) | Value::Number(_) | Value::Bool(_) => (*d).clone(),
                        Value::Array(a) if a.iter().all(|x| x.is_string()) => (*d).clone(),
                        _ => unknown(),
                    };
                }
                if self.resources.contains_key(name) {
                    return self.name_of(name, depth);
                }
                unknown()
            }
        }
    }

    fn get_att(&self, logical: &str, attr: &str, depth: u8) -> Value {
        let name = self.name_of(logical, depth);
        let Some(n) = name.as_str().filter(|n| !is_unknown(n)) else {
            return unknown();
        };
        match (self.type_of(logical), attr) {
            (Some("AWS::S3::Bucket"), "Arn") => format!("arn:aws:s3:::{n}").into(),
            (Some("AWS::IAM::Role"), "Arn") => {
                format!("arn:aws:iam::${{AWS::AccountId}}:role/{n}").into()
            }
            (Some("AWS::IAM::Role"), "RoleId") => unknown(),
            _ => unknown(),
        }
    }

    /// Resolves a value's intrinsic functions.
    pub fn resolve(&self, v: &Value) -> Value {
        self.work.set(0);
        self.resolve_depth(v, 0)
    }

    fn resolve_depth(&self, v: &Value, depth: u8) -> Value {
        // Parameters and names refer to each other; a cycle is a template
        // CloudFormation refuses, and here it is simply unknown.
        let work = self.work.get();
        if depth > 32 || work >= MAX_WORK {
            return unknown();
        }
        self.work.set(work + 1);
        match v {
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.resolve_depth(x, depth + 1))
                    .filter(|x| !x.is_null())
                    .collect(),
            ),
            Value::Object(m) if m.len() == 1 => {
                let Some((k, arg)) = m.iter().next() else {
                    return Value::Object(Map::new());
                };
                match k.as_str() {
                    "Ref" => arg
                        .as_str()
                        .map_or_else(unknown, |n| self.ref_value(n, depth)),
                    "Fn::GetAtt" => {
                        let parts: Vec<&str> = match arg {
                            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                            Value::String(s) => s.splitn(2, '.').collect(),
                            _ => Vec::new(),
                        };
                        match parts.as_slice() {
                            [l, a] => self.get_att(l, a, depth),
                            _ => unknown(),
                        }
                    }
                    "Fn::Sub" => self.sub(arg, depth),
                    "Fn::Join" => self.join(arg, depth),
                    "Fn::Select" => self.select(arg, depth),
                    "Fn::FindInMap" => self.find_in_map(arg, depth),
                    "Fn::If" => self.if_(arg, depth),
                    "Fn::Base64" => self.resolve_depth(arg, depth + 1),
                    k if k.starts_with("Fn::") || k == "Condition" => unknown(),
                    _ => Value::Object(self.resolve_map(m, depth)),
                }
            }
            Value::Object(m) => Value::Object(self.resolve_map(m, depth)),
            other => other.clone(),
        }
    }

    fn resolve_map(&self, m: &Map<String, Value>, depth: u8) -> Map<String, Value> {
        m.iter()
            .map(|(k, v)| (k.clone(), self.resolve_depth(v, depth + 1)))
            .filter(|(_, v)| !v.is_null())
            .collect()
    }

    fn sub(&self, arg: &Value, depth: u8) -> Value {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(a) => match a.as_slice() {
                [Value::String(s), Value::Object(vars)] => (s.as_str(), Some(vars)),
                _ => return unknown(),
            },
            _ => return unknown(),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            out.push_str(before);
            let after = after.get(2..).unwrap_or_default();
            // `${!Literal}` writes `${Literal}`.
            if let Some(lit) = after.strip_prefix('!') {
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str("${");
                rest = after;
                continue;
            };
            let (name, tail) = after.split_at(end);
            rest = tail.get(1..).unwrap_or_default();
            let value = if let Some(v) = vars.and_then(|vars| vars.get(name)) {
                self.resolve_depth(v, depth + 1)
            } else if let Some((l, a)) = name.split_once('.') {
                self.get_att(l, a, depth)
            } else {
                self.ref_value(name, depth)
            };
            match value {
                Value::String(s) => out.push_str(&s),
                Value::Number(n) => out.push_str(&n.to_string()),
                _ => out.push_str(UNKNOWN),
            }
            if out.len() > MAX_STRING {
                return unknown();
            }
        }
        out.push_str(rest);
        Value::String(out)
    }

    fn join(&self, arg: &Value, depth: u8) -> Value {
        let Some(a) = arg.as_array() else {
            return unknown();
        };
        let (Some(delim), Some(list)) = (a.first(), a.get(1)) else {
            return unknown();
        };
        let delim = delim.as_str().unwrap_or_default();
        let list = self.resolve_depth(list, depth + 1);
        let Some(items) = list.as_array() else {
            return unknown();
        };
        let mut parts = Vec::with_capacity(items.len());
        for i in items {
            match i {
                Value::String(s) => parts.push(s.clone()),
                Value::Number(n) => parts.push(n.to_string()),
                _ => parts.push(UNKNOWN.to_owned()),
            }
        }
        let joined = parts.join(delim);
        if joined.len() > MAX_STRING {
            return unknown();
        }
        Value::String(joined)
    }

    fn select(&self, arg: &Value, depth: u8) -> Value {
        let Some(a) = arg.as_array() else {
            return unknown();
        };
        let (Some(i), Some(list)) = (a.first(), a.get(1)) else {
            return unknown();
        };
        let i = self.resolve_depth(i, depth + 1);
        let index = i
            .as_u64()
            .or_else(|| i.as_str().and_then(|s| s.parse().ok()));
        let list = self.resolve_depth(list, depth + 1);
        match (index, list.as_array()) {
            (Some(n), Some(items)) => usize::try_from(n)
                .ok()
                .and_then(|n| items.get(n))
                .cloned()
                .unwrap_or_else(unknown),
            _ => unknown(),
        }
    }

    fn find_in_map(&self, arg: &Value, depth: u8) -> Value {
        let Some(a) = arg.as_array() else {
            return unknown();
        };
        let keys: Vec<Value> = a.iter().map(|k| self.resolve_depth(k, depth + 1)).collect();
        let names: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        match (names.as_slice(), self.mappings) {
            ([m, k1, k2], Some(maps)) if !names.iter().any(|n| is_unknown(n)) => maps
                .get(*m)
                .and_then(|m| m.get(*k1))
                .and_then(|m| m.get(*k2))
                .map_or_else(unknown, |v| self.resolve_depth(v, depth + 1)),
            _ => unknown(),
        }
    }

    fn if_(&self, arg: &Value, depth: u8) -> Value {
        let Some(a) = arg.as_array() else {
            return unknown();
        };
        let (Some(cond), Some(yes), Some(no)) = (a.first(), a.get(1), a.get(2)) else {
            return unknown();
        };
        let yes = self.resolve_depth(yes, depth + 1);
        let no = self.resolve_depth(no, depth + 1);
        match cond.as_str().and_then(|c| self.condition(c, depth)) {
            Some(true) => yes,
            Some(false) => no,
            None if yes == no => yes,
            None => unknown(),
        }
    }

    /// Whether a named condition is known to be false: a resource that
    /// carries it is not created.
    #[must_use]
    pub fn is_false(&self, condition: &str) -> bool {
        self.condition(condition, 0) == Some(false)
    }

    /// A named condition's value, where its inputs are known.
    fn condition(&self, name: &str, depth: u8) -> Option<bool> {
        let c = self.conditions?.get(name)?;
        self.eval_condition(c, depth + 1)
    }

    fn eval_condition(&self, c: &Value, depth: u8) -> Option<bool> {
        if depth > 32 {
            return None;
        }
        let (k, arg) = c.as_object()?.iter().next()?;
        let args = arg.as_array();
        match k.as_str() {
            "Fn::Equals" => {
                let a = self.resolve_depth(args?.first()?, depth + 1);
                let b = self.resolve_depth(args?.get(1)?, depth + 1);
                let unknown_side = |v: &Value| v.as_str().is_some_and(is_unknown);
                if unknown_side(&a) || unknown_side(&b) {
                    None
                } else {
                    Some(a == b)
                }
            }
            "Fn::Not" => self.eval_condition(args?.first()?, depth + 1).map(|b| !b),
            "Fn::And" => args?.iter().try_fold(true, |acc, c| {
                Some(acc && self.eval_condition(c, depth + 1)?)
            }),
            "Fn::Or" => args?.iter().try_fold(false, |acc, c| {
                Some(acc || self.eval_condition(c, depth + 1)?)
            }),
            "Condition" => self.condition(arg.as_str()?, depth + 1),
            _ => None,
        }
    }
}
