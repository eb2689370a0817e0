//! The `Condition` element: operators, their compiled values, and evaluation with
//! AWS's rules for missing keys, `...IfExists`, `Null` and the set qualifiers
//! `ForAllValues:` / `ForAnyValue:`.

use std::cmp::Ordering;
use std::fmt;

use crate::arn::ArnPattern;
use crate::context::Context;
use crate::json::Span;
use crate::template::{Mode, Template};
use crate::value::{Cidr, compare_numbers, decode_base64, parse_bool, parse_date, parse_ip};

/// A condition operator without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl BaseOperator {
    /// Every operator, in the User Guide's order.
    pub const ALL: [BaseOperator; 27] = {
        use BaseOperator::*;
        [
            StringEquals,
            StringNotEquals,
            StringEqualsIgnoreCase,
            StringNotEqualsIgnoreCase,
            StringLike,
            StringNotLike,
            NumericEquals,
            NumericNotEquals,
            NumericLessThan,
            NumericLessThanEquals,
            NumericGreaterThan,
            NumericGreaterThanEquals,
            DateEquals,
            DateNotEquals,
            DateLessThan,
            DateLessThanEquals,
            DateGreaterThan,
            DateGreaterThanEquals,
            Bool,
            BinaryEquals,
            IpAddress,
            NotIpAddress,
            ArnEquals,
            ArnLike,
            ArnNotEquals,
            ArnNotLike,
            Null,
        ]
    };

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        use BaseOperator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
        }
    }

    /// True for the negated operators (`StringNotEquals`, `NotIpAddress`, ...): they
    /// are the negation of their positive twin, and a missing key makes them true.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The family of the operator, which decides how values are read.
    pub fn family(self) -> Family {
        use BaseOperator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    fn from_name(name: &str) -> Option<BaseOperator> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Operator families: they share a value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOperator {
    /// Every request value must match (true when the key is missing or empty).
    ForAllValues,
    /// Some request value must match (false when the key is missing or empty).
    ForAnyValue,
}

/// A full condition operator: qualifier, base operator, `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// `ForAllValues:` / `ForAnyValue:`, if present.
    pub set: Option<SetOperator>,
    /// The operator proper.
    pub base: BaseOperator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringLikeIfExists`.
    /// `Null` takes no `IfExists`.
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let base = BaseOperator::from_name(name)?;
        if base == BaseOperator::Null && if_exists {
            return None;
        }
        Some(Operator {
            set,
            base,
            if_exists,
        })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            Some(SetOperator::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetOperator::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// A value of an `Arn*` condition. Variables may stand anywhere in it (a whole ARN
/// in `${aws:PrincipalArn}`, say), so one with variables is substituted first and
/// split into segments after.
#[derive(Debug, Clone, PartialEq)]
enum ArnValue {
    Static(Option<ArnPattern>),
    Dynamic(Template),
}

impl ArnValue {
    fn new(text: &str, variables: bool) -> ArnValue {
        let template = Template::new(text, Mode::Exact, variables);
        if template.has_variables() {
            ArnValue::Dynamic(template)
        } else {
            ArnValue::Static(ArnPattern::new(text, false))
        }
    }

    fn matches(&self, request: &str, context: &Context) -> bool {
        match self {
            ArnValue::Static(pattern) => pattern
                .as_ref()
                .is_some_and(|p| p.matches(request, context)),
            ArnValue::Dynamic(template) => template
                .render(context)
                .and_then(|text| ArnPattern::new(&text, false))
                .is_some_and(|p| p.matches(request, context)),
        }
    }
}

/// One condition: an operator applied to one key with one or more values.
/// The values are OR'ed; conditions within a statement are AND'ed.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// Where the operator name is in the source.
    pub operator_span: Span,
    /// The condition key as written.
    pub key: String,
    /// Where the key is in the source.
    pub key_span: Span,
    /// The values as written (JSON numbers and booleans as their text).
    pub values: Vec<String>,
    /// Where each value is in the source.
    pub value_spans: Vec<Span>,
    key_lower: Box<str>,
    compiled: Compiled,
}

/// Values compiled for their operator family. An entry that does not parse as its
/// type is `None`: it matches nothing (so a negated operator is true for it).
#[derive(Debug, Clone, PartialEq)]
enum Compiled {
    Strings(Vec<Template>),
    Numbers,
    Dates(Vec<Option<i128>>),
    Bools(Vec<Template>),
    Binary(Vec<Option<Vec<u8>>>),
    Ips(Vec<Option<Cidr>>),
    Arns(Vec<ArnValue>),
    Null(Vec<Option<bool>>),
}

impl Condition {
    /// Compiles a condition. `variables` enables policy variables (version 2012-10-17).
    pub(crate) fn new(
        operator: Operator,
        operator_span: Span,
        key: String,
        key_span: Span,
        values: Vec<(String, Span)>,
        variables: bool,
    ) -> Condition {
        use BaseOperator::*;
        let texts = || values.iter().map(|(v, _)| v.as_str());
        let compiled = match operator.base.family() {
            Family::String => {
                let mode = match operator.base {
                    StringLike | StringNotLike => Mode::Like,
                    _ => Mode::Exact,
                };
                Compiled::Strings(texts().map(|v| Template::new(v, mode, variables)).collect())
            }
            Family::Numeric => Compiled::Numbers,
            Family::Date => Compiled::Dates(texts().map(parse_date).collect()),
            Family::Bool => Compiled::Bools(
                texts()
                    .map(|v| Template::new(v, Mode::Exact, false))
                    .collect(),
            ),
            Family::Binary => Compiled::Binary(texts().map(decode_base64).collect()),
            Family::Ip => Compiled::Ips(texts().map(Cidr::parse).collect()),
            Family::Arn => Compiled::Arns(texts().map(|v| ArnValue::new(v, variables)).collect()),
            Family::Null => Compiled::Null(texts().map(parse_bool).collect()),
        };
        let key_lower = key.to_ascii_lowercase().into_boxed_str();
        let (values, value_spans) = values.into_iter().unzip();
        Condition {
            operator,
            operator_span,
            key,
            key_span,
            values,
            value_spans,
            key_lower,
            compiled,
        }
    }

    /// The key, lowercased.
    pub fn key_lowercase(&self) -> &str {
        &self.key_lower
    }

    /// Evaluates the condition against the request context.
    pub fn evaluate(&self, context: &Context) -> bool {
        let present = context
            .get_lowercase(&self.key_lower)
            .filter(|v| !v.is_empty());
        if let Compiled::Null(expect_null) = &self.compiled {
            let is_null = present.is_none();
            return expect_null.contains(&Some(is_null));
        }
        let negated = self.operator.base.is_negated();
        let Some(value) = present else {
            if self.operator.if_exists {
                return true;
            }
            return match self.operator.set {
                Some(SetOperator::ForAllValues) => true,
                Some(SetOperator::ForAnyValue) => false,
                None => negated,
            };
        };
        let single = |v: &str| self.positive(v, context) != negated;
        match self.operator.set {
            None => {
                // Without a qualifier a positive operator needs some request value to
                // match, and a negated one needs none to match its positive twin.
                let any = value.values().any(|v| self.positive(v, context));
                any != negated
            }
            Some(SetOperator::ForAllValues) => value.values().all(single),
            Some(SetOperator::ForAnyValue) => value.values().any(single),
        }
    }

    /// Whether one request value satisfies the positive form of the operator
    /// against any of the policy values.
    fn positive(&self, request: &str, context: &Context) -> bool {
        use BaseOperator::*;
        match &self.compiled {
            Compiled::Strings(templates) => match self.operator.base {
                StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                    templates.iter().any(|t| t.equals(request, context, true))
                }
                StringLike | StringNotLike => {
                    templates.iter().any(|t| t.matches(request, context, false))
                }
                _ => templates.iter().any(|t| t.equals(request, context, false)),
            },
            Compiled::Numbers => {
                let wanted: fn(Ordering) -> bool = match self.operator.base {
                    NumericLessThan => Ordering::is_lt,
                    NumericLessThanEquals => Ordering::is_le,
                    NumericGreaterThan => Ordering::is_gt,
                    NumericGreaterThanEquals => Ordering::is_ge,
                    _ => Ordering::is_eq,
                };
                self.values
                    .iter()
                    .any(|p| compare_numbers(request, p).is_some_and(wanted))
            }
            Compiled::Dates(dates) => {
                let Some(request) = parse_date(request) else {
                    return false;
                };
                let wanted: fn(Ordering) -> bool = match self.operator.base {
                    DateLessThan => Ordering::is_lt,
                    DateLessThanEquals => Ordering::is_le,
                    DateGreaterThan => Ordering::is_gt,
                    DateGreaterThanEquals => Ordering::is_ge,
                    _ => Ordering::is_eq,
                };
                dates.iter().flatten().any(|p| wanted(request.cmp(p)))
            }
            Compiled::Bools(templates) => {
                let Some(request) = parse_bool(request) else {
                    return false;
                };
                templates
                    .iter()
                    .any(|t| t.equals(if request { "true" } else { "false" }, context, true))
            }
            Compiled::Binary(blobs) => {
                let Some(request) = decode_base64(request) else {
                    return false;
                };
                blobs.iter().flatten().any(|b| *b == request)
            }
            Compiled::Ips(cidrs) => {
                let Some(ip) = parse_ip(request) else {
                    return false;
                };
                cidrs.iter().flatten().any(|c| c.contains(ip))
            }
            Compiled::Arns(patterns) => patterns.iter().any(|p| p.matches(request, context)),
            Compiled::Null(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{ContextType, ContextValue};

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition::new(
            Operator::parse(op).unwrap(),
            Span::default(),
            key.to_string(),
            Span::default(),
            values
                .iter()
                .map(|v| (v.to_string(), Span::default()))
                .collect(),
            true,
        )
    }

    fn ctx(key: &str, kind: ContextType, values: &[&str]) -> Context {
        let mut ctx = Context::new();
        ctx.insert(
            key,
            ContextValue::typed(kind, values.iter().copied()).unwrap(),
        );
        ctx
    }

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.set, Some(SetOperator::ForAnyValue));
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("StringEqual").is_none());
        assert!(Operator::parse("ForSomeValues:StringEquals").is_none());
        for base in BaseOperator::ALL {
            assert_eq!(Operator::parse(base.name()).map(|o| o.base), Some(base));
        }
    }

    #[test]
    fn missing_keys() {
        let empty = Context::new();
        assert!(!cond("StringEquals", "k:k", &["a"]).evaluate(&empty));
        assert!(cond("StringNotEquals", "k:k", &["a"]).evaluate(&empty));
        assert!(cond("StringEqualsIfExists", "k:k", &["a"]).evaluate(&empty));
        assert!(cond("ForAllValues:StringEquals", "k:k", &["a"]).evaluate(&empty));
        assert!(!cond("ForAnyValue:StringEquals", "k:k", &["a"]).evaluate(&empty));
        assert!(!cond("ForAnyValue:StringNotEquals", "k:k", &["a"]).evaluate(&empty));
        assert!(cond("Null", "k:k", &["true"]).evaluate(&empty));
        assert!(!cond("Null", "k:k", &["false"]).evaluate(&empty));
        let empty_list = ctx("k:k", ContextType::StringList, &[]);
        assert!(cond("Null", "k:k", &["true"]).evaluate(&empty_list));
        assert!(cond("ForAllValues:StringEquals", "k:k", &["a"]).evaluate(&empty_list));
    }

    #[test]
    fn set_operators() {
        let tags = ctx("aws:TagKeys", ContextType::StringList, &["a", "b"]);
        assert!(cond("ForAllValues:StringEquals", "aws:tagkeys", &["a", "b", "c"]).evaluate(&tags));
        assert!(!cond("ForAllValues:StringEquals", "aws:tagkeys", &["a"]).evaluate(&tags));
        assert!(cond("ForAnyValue:StringEquals", "aws:tagkeys", &["b", "z"]).evaluate(&tags));
        assert!(!cond("ForAnyValue:StringEquals", "aws:tagkeys", &["z"]).evaluate(&tags));
        assert!(cond("ForAllValues:StringNotEquals", "aws:tagkeys", &["z"]).evaluate(&tags));
        assert!(!cond("ForAllValues:StringNotEquals", "aws:tagkeys", &["a"]).evaluate(&tags));
        assert!(cond("ForAnyValue:StringNotEquals", "aws:tagkeys", &["a"]).evaluate(&tags));
    }

    #[test]
    fn typed_operators() {
        let n = ctx("s3:max-keys", ContextType::Numeric, &["10"]);
        assert!(cond("NumericLessThanEquals", "s3:max-keys", &["10"]).evaluate(&n));
        assert!(!cond("NumericLessThan", "s3:max-keys", &["10"]).evaluate(&n));
        assert!(cond("NumericNotEquals", "s3:max-keys", &["11"]).evaluate(&n));
        let d = ctx(
            "aws:CurrentTime",
            ContextType::Date,
            &["2020-04-01T12:00:00Z"],
        );
        assert!(
            cond(
                "DateGreaterThan",
                "aws:CurrentTime",
                &["2020-01-01T00:00:01Z"]
            )
            .evaluate(&d)
        );
        assert!(cond("DateLessThan", "aws:CurrentTime", &["1609459200"]).evaluate(&d));
        let b = ctx("aws:SecureTransport", ContextType::Boolean, &["false"]);
        assert!(cond("Bool", "aws:SecureTransport", &["false"]).evaluate(&b));
        assert!(!cond("Bool", "aws:SecureTransport", &["true"]).evaluate(&b));
        let ip = ctx("aws:SourceIp", ContextType::Ip, &["203.0.113.9"]);
        assert!(
            cond(
                "IpAddress",
                "aws:SourceIp",
                &["203.0.113.0/24", "2001:DB8:1234:5678::/64"]
            )
            .evaluate(&ip)
        );
        assert!(!cond("NotIpAddress", "aws:SourceIp", &["203.0.113.0/24"]).evaluate(&ip));
        let bin = ctx(
            "k:bin",
            ContextType::Binary,
            &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="],
        );
        assert!(cond("BinaryEquals", "k:bin", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="]).evaluate(&bin));
        let arn = ctx(
            "aws:SourceArn",
            ContextType::String,
            &["arn:aws:sns:us-east-1:123456789012:topic"],
        );
        assert!(
            cond(
                "ArnEquals",
                "aws:SourceArn",
                &["arn:aws:sns:*:123456789012:*"]
            )
            .evaluate(&arn)
        );
        assert!(
            cond(
                "ArnNotLike",
                "aws:SourceArn",
                &["arn:aws:sns:*:999999999999:*"]
            )
            .evaluate(&arn)
        );
    }

    #[test]
    fn negated_operators_and_all_of_several_values() {
        let acct = ctx("aws:PrincipalAccount", ContextType::String, &["111"]);
        assert!(!cond("StringNotEquals", "aws:PrincipalAccount", &["111", "222"]).evaluate(&acct));
        assert!(cond("StringNotEquals", "aws:PrincipalAccount", &["333", "222"]).evaluate(&acct));
    }

    #[test]
    fn unparseable_policy_values_match_nothing() {
        let n = ctx("s3:max-keys", ContextType::Numeric, &["10"]);
        assert!(!cond("NumericEquals", "s3:max-keys", &["ten"]).evaluate(&n));
        assert!(cond("NumericNotEquals", "s3:max-keys", &["ten"]).evaluate(&n));
    }
}
