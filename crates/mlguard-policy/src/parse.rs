//! From policy text to [`Policy`]: the IAM JSON grammar, AWS's per-kind rules and
//! size quotas.
//!
//! AWS reports only the first problem it finds and checks in a fixed order; the
//! passes below follow that order so that mlguard answers the same message AWS
//! does (the order and messages are pinned by responses recorded against AWS in
//! `tests/data/parse/`):
//! 1. size quota; 2. JSON; 3. structure ("Syntax errors in policy."); 4. principal
//!    placement; 5. `Version` for managed policies; 6. "legacy parsing" (effect case,
//!    date values, truncated ARNs); 7. `Sid` rules; 8. actions present; 9. resources
//!    present; 10. resource ARN formats; 11. action formats; 12. principal values.
//!
//! Every error carries both AWS's exact message (what the server answers) and a
//! precise one naming the element and its line and column (what people read).

use std::collections::HashSet;
use std::fmt;

use crate::arn::{ArnPattern, PARTITIONS};
use crate::condition::{Condition, Family, Operator};
use crate::context::is_account_id;
use crate::json::{self, LineCol, Member, Node, Span, Value, line_col};
use crate::policy::{
    ActionBlock, ActionItem, ActionPattern, Effect, Policy, PolicyClass, PolicyKind,
    PrincipalBlock, PrincipalEntry, PrincipalMatcher, PrincipalType, ResourceBlock, ResourceItem,
    ResourcePattern, Spanned, Statement, Version,
};
use crate::template::{Mode, Template};
use crate::value::parse_date;

/// Why a policy was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not JSON (AWS: `MalformedPolicyDocument`).
    Syntax,
    /// JSON, but not a policy AWS accepts (AWS: `MalformedPolicyDocument`).
    Malformed,
    /// Over the size quota for its kind (IAM: `LimitExceeded`).
    TooLarge {
        /// The size as the quota counts it.
        size: usize,
        /// The quota.
        limit: usize,
    },
}

/// A rejected policy: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The class of problem.
    pub kind: ParseErrorKind,
    /// The message AWS answers for this problem in this kind of policy.
    pub aws_message: String,
    /// What is wrong, naming the element.
    pub message: String,
    /// Where, as a byte span of the source.
    pub span: Option<Span>,
    /// Where, as line and column.
    pub location: Option<LineCol>,
    /// Which rule rejected it, as a stable name (`VersionRequired`,
    /// `DuplicateSid`, `ResourceNotArn`, ...), for analyzers that report it
    /// in their own terms.
    pub rule: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = self.location {
            write!(f, "{at}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The problems AWS distinguishes, each with its message per kind of policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    InvalidJson,
    Syntax,
    InvalidVersion,
    EmptyStatement,
    MissingStatement,
    MissingEffect,
    InvalidEffect(String),
    VersionRequired,
    LegacyParsing,
    PrincipalInIdentity,
    MissingPrincipal,
    EmptyPrincipal,
    PrincipalNotObject,
    UnknownPrincipalType(String),
    InvalidPrincipal(PrincipalType, String),
    TrustResource,
    TrustNotResource,
    TrustNotPrincipal(Effect),
    TrustAction,
    SidNotAlphanumeric,
    DuplicateSid,
    MissingActions,
    MissingResources,
    ResourceNotArn(String),
    InvalidPartition {
        partition: String,
        normalized: String,
    },
    ResourceVendor,
    IamRegion(String),
    S3Region(String),
    IamPath,
    ActionNoVendor,
    ActionColons,
    VendorWildcard,
    VendorInvalid(String),
}

const SYNTAX: &str = "Syntax errors in policy.";

impl Reason {
    /// The stable name of the rule ([`ParseError::rule`]).
    fn name(&self) -> &'static str {
        match self {
            Reason::InvalidJson => "InvalidJson",
            Reason::Syntax => "Syntax",
            Reason::InvalidVersion => "InvalidVersion",
            Reason::EmptyStatement => "EmptyStatement",
            Reason::MissingStatement => "MissingStatement",
            Reason::MissingEffect => "MissingEffect",
            Reason::InvalidEffect(_) => "InvalidEffect",
            Reason::VersionRequired => "VersionRequired",
            Reason::LegacyParsing => "LegacyParsing",
            Reason::PrincipalInIdentity => "PrincipalInIdentity",
            Reason::MissingPrincipal => "MissingPrincipal",
            Reason::EmptyPrincipal => "EmptyPrincipal",
            Reason::PrincipalNotObject => "PrincipalNotObject",
            Reason::UnknownPrincipalType(_) => "UnknownPrincipalType",
            Reason::InvalidPrincipal(..) => "InvalidPrincipal",
            Reason::TrustResource => "TrustResource",
            Reason::TrustNotResource => "TrustNotResource",
            Reason::TrustNotPrincipal(_) => "TrustNotPrincipal",
            Reason::TrustAction => "TrustAction",
            Reason::SidNotAlphanumeric => "SidNotAlphanumeric",
            Reason::DuplicateSid => "DuplicateSid",
            Reason::MissingActions => "MissingActions",
            Reason::MissingResources => "MissingResources",
            Reason::ResourceNotArn(_) => "ResourceNotArn",
            Reason::InvalidPartition { .. } => "InvalidPartition",
            Reason::ResourceVendor => "ResourceVendor",
            Reason::IamRegion(_) => "IamRegion",
            Reason::S3Region(_) => "S3Region",
            Reason::IamPath => "IamPath",
            Reason::ActionNoVendor => "ActionNoVendor",
            Reason::ActionColons => "ActionColons",
            Reason::VendorWildcard => "VendorWildcard",
            Reason::VendorInvalid(_) => "VendorInvalid",
        }
    }

    /// AWS's message for this problem in a policy of `kind`.
    fn aws_message(&self, kind: PolicyKind) -> String {
        let trust = kind == PolicyKind::RoleTrust;
        let key = kind == PolicyKind::KeyPolicy;
        let bucket = kind == PolicyKind::BucketPolicy;
        let secret = kind == PolicyKind::SecretPolicy;
        let principal_label = |t: &PrincipalType| match t {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "SERVICE",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        };
        match self {
            Reason::InvalidJson if trust => "This policy contains invalid Json".into(),
            Reason::InvalidJson if bucket => "Policies must be valid JSON and the first byte must be '{'".into(),
            Reason::Syntax | Reason::InvalidJson if secret => "This resource policy contains a syntax error.".into(),
            Reason::InvalidJson | Reason::Syntax => SYNTAX.into(),
            Reason::InvalidVersion if trust || bucket => "The policy must contain a valid version string".into(),
            Reason::InvalidVersion => SYNTAX.into(),
            Reason::EmptyStatement if trust || bucket => "Could not parse the policy: Statement is empty!".into(),
            Reason::EmptyStatement => SYNTAX.into(),
            Reason::MissingStatement if bucket => "Missing required field Statement".into(),
            Reason::MissingStatement => Reason::EmptyStatement.aws_message(kind),
            Reason::MissingEffect if trust => "Missing required field Effect".into(),
            Reason::MissingEffect => SYNTAX.into(),
            Reason::InvalidEffect(e) if trust || bucket => format!("Invalid effect: {e}"),
            Reason::InvalidEffect(_) => SYNTAX.into(),
            Reason::VersionRequired => "Policy document must be version 2012-10-17 or greater.".into(),
            Reason::LegacyParsing => "The policy failed legacy parsing".into(),
            Reason::PrincipalInIdentity => "Policy document should not specify a principal.".into(),
            Reason::MissingPrincipal if key => "Policy contains a statement with no principal.".into(),
            Reason::MissingPrincipal => "Missing required field Principal".into(),
            Reason::EmptyPrincipal if trust => "Missing required field Principal cannot be empty!".into(),
            Reason::PrincipalNotObject if trust => "Principal must be a JSON object.".into(),
            Reason::InvalidPrincipal(..) | Reason::EmptyPrincipal | Reason::PrincipalNotObject
            | Reason::UnknownPrincipalType(_)
                if key =>
            {
                "Policy contains a statement with one or more invalid principals.".into()
            }
            Reason::InvalidPrincipal(..) | Reason::EmptyPrincipal | Reason::PrincipalNotObject
            | Reason::UnknownPrincipalType(_)
                if bucket =>
            {
                "Invalid principal in policy".into()
            }
            Reason::InvalidPrincipal(t, v) => format!("Invalid principal in policy: \"{}\":\"{v}\"", principal_label(t)),
            Reason::UnknownPrincipalType(t) => format!("Invalid principal in policy: \"{t}\""),
            Reason::EmptyPrincipal | Reason::PrincipalNotObject => "Invalid principal in policy".into(),
            Reason::TrustResource => "Has prohibited field Resource".into(),
            Reason::TrustNotResource => "AssumeRole policy must not contain resources.".into(),
            Reason::TrustNotPrincipal(Effect::Allow) => "Allow with NotPrincipal is not allowed.".into(),
            Reason::TrustNotPrincipal(Effect::Deny) => "AssumeRole policy must not contain NotPrincipal field.".into(),
            Reason::TrustAction => "AssumeRole policy may only specify STS AssumeRole actions.".into(),
            Reason::SidNotAlphanumeric => {
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
                    .into()
            }
            Reason::DuplicateSid if trust => "The Statement Ids in the policy are not unique".into(),
            Reason::DuplicateSid => "Statement IDs (SID) in a single policy must be unique.".into(),
            Reason::MissingActions if trust => "Missing required field Action".into(),
            Reason::MissingActions => "Policy statement must contain actions.".into(),
            Reason::MissingResources if bucket => "Statement is missing required element".into(),
            Reason::MissingResources => "Policy statement must contain resources.".into(),
            Reason::ResourceNotArn(v) => format!("Resource {v} must be in ARN format or \"*\"."),
            Reason::InvalidPartition { partition, normalized } => {
                format!("Partition \"{partition}\" is not valid for resource \"{normalized}\".")
            }
            Reason::ResourceVendor => "Resource vendor must be fully qualified and cannot contain regexes.".into(),
            Reason::IamRegion(rest) => {
                format!("IAM resource arn:<partition>:iam:<region>:{rest} cannot contain region information.")
            }
            Reason::S3Region(rest) => {
                format!("Resource arn:<partition>:s3:<region>:{rest} can not contain region information.")
            }
            Reason::IamPath => "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.".into(),
            Reason::ActionNoVendor => "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into(),
            Reason::ActionColons => "Actions/Condition can contain only one colon.".into(),
            Reason::VendorWildcard => "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards.".into(),
            Reason::VendorInvalid(v) => format!("Vendor {v} is not valid"),
        }
    }
}

impl Policy {
    /// Parses and compiles a policy of the given kind.
    pub fn parse(text: &str, kind: PolicyKind) -> std::result::Result<Policy, ParseError> {
        let (size, limit) = kind.size_limit().measure(text);
        if let Some(limit) = limit.filter(|limit| size > *limit) {
            let aws_message = match kind {
                PolicyKind::RoleTrust => format!("Cannot exceed quota for ACLSizePerRole: {limit}"),
                _ => format!("Cannot exceed quota for PolicySize: {limit}"),
            };
            return Err(ParseError {
                kind: ParseErrorKind::TooLarge { size, limit },
                aws_message,
                message: format!(
                    "policy of {size} characters exceeds the {limit}-character quota for a {} policy",
                    kind.name()
                ),
                span: None,
                location: None,
                rule: "TooLarge",
            });
        }
        let root = json::parse(text).map_err(|e| ParseError {
            kind: ParseErrorKind::Syntax,
            aws_message: Reason::InvalidJson.aws_message(kind),
            message: format!("policy is not valid JSON: {}", e.message),
            span: Some(Span {
                start: e.offset,
                end: e.offset,
            }),
            location: Some(line_col(text, e.offset)),
            rule: Reason::InvalidJson.name(),
        })?;
        let parser = Parser { source: text, kind };
        let raw = parser.structure(&root)?;
        parser.check(&raw)?;
        Ok(parser.compile(raw))
    }
}

type Result<T> = std::result::Result<T, ParseError>;

struct Parser<'s> {
    source: &'s str,
    kind: PolicyKind,
}

/// A statement after the structural pass: element types are right, nothing else
/// is checked yet.
struct RawStatement<'n> {
    span: Span,
    sid: Option<(&'n str, Span)>,
    effect: Option<(&'n str, Span)>,
    principal: Option<RawPrincipal<'n>>,
    action: Option<RawList<'n>>,
    resource: Option<RawList<'n>>,
    conditions: Vec<RawCondition<'n>>,
}

struct RawList<'n> {
    negated: bool,
    key_span: Span,
    items: Vec<(&'n str, Span)>,
}

/// One principal type of a `Principal` element and its values.
type RawPrincipalType<'n> = (PrincipalType, Span, Vec<(&'n str, Span)>);

struct RawPrincipal<'n> {
    negated: bool,
    key_span: Span,
    value_span: Span,
    /// `None` for `"*"`; otherwise the principal types with their values.
    entries: Option<Vec<RawPrincipalType<'n>>>,
}

struct RawCondition<'n> {
    operator: Operator,
    operator_span: Span,
    key: &'n str,
    key_span: Span,
    values: Vec<(String, Span)>,
}

struct RawPolicy<'n> {
    version: Option<Spanned<Version>>,
    id: Option<Spanned<String>>,
    statements: Vec<RawStatement<'n>>,
}

impl<'s> Parser<'s> {
    fn fail(&self, reason: Reason, span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            kind: ParseErrorKind::Malformed,
            aws_message: reason.aws_message(self.kind),
            message: message.into(),
            span: Some(span),
            location: Some(line_col(self.source, span.start)),
            rule: reason.name(),
        }
    }

    fn syntax(&self, span: Span, message: impl Into<String>) -> ParseError {
        self.fail(Reason::Syntax, span, message)
    }

    // ---- Pass 3: structure ------------------------------------------------------

    fn structure<'n>(&self, root: &'n Node<'n>) -> Result<RawPolicy<'n>> {
        let Value::Object(members) = &root.value else {
            return Err(self.syntax(
                root.span,
                format!(
                    "a policy must be a JSON object, not {}",
                    root.value.type_name()
                ),
            ));
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for m in members {
            match &*m.key {
                "Version" => {
                    let value = match &m.value.value {
                        Value::String(s) if s == "2012-10-17" => Version::V2012_10_17,
                        Value::String(s) if s == "2008-10-17" => Version::V2008_10_17,
                        _ => {
                            return Err(self.fail(
                                Reason::InvalidVersion,
                                m.value.span,
                                "`Version` must be \"2012-10-17\" or \"2008-10-17\"",
                            ));
                        }
                    };
                    version = Some(Spanned {
                        value,
                        span: m.value.span,
                    });
                }
                "Id" => match &m.value.value {
                    Value::String(s) => {
                        id = Some(Spanned {
                            value: s.to_string(),
                            span: m.value.span,
                        })
                    }
                    other => {
                        return Err(self.syntax(
                            m.value.span,
                            format!("`Id` must be a string, not {}", other.type_name()),
                        ));
                    }
                },
                "Statement" => statement = Some(m),
                other => {
                    return Err(self.syntax(
                        m.key_span,
                        format!("unknown policy element `{other}`; a policy has only `Version`, `Id` and `Statement`"),
                    ));
                }
            }
        }
        let Some(statement) = statement else {
            return Err(self.fail(
                Reason::MissingStatement,
                root.span,
                "policy has no `Statement` element",
            ));
        };
        let nodes: Vec<&Node<'_>> = match &statement.value.value {
            Value::Object(_) => vec![&statement.value],
            Value::Array(items) if items.is_empty() => {
                return Err(self.fail(
                    Reason::EmptyStatement,
                    statement.key_span,
                    "`Statement` must contain at least one statement",
                ));
            }
            Value::Array(items) => items.iter().collect(),
            other => {
                return Err(self.syntax(
                    statement.value.span,
                    format!(
                        "`Statement` must be an object or an array of objects, not {}",
                        other.type_name()
                    ),
                ));
            }
        };
        let statements = nodes
            .into_iter()
            .map(|n| self.raw_statement(n))
            .collect::<Result<Vec<_>>>()?;
        Ok(RawPolicy {
            version,
            id,
            statements,
        })
    }

    fn raw_statement<'n>(&self, node: &'n Node<'n>) -> Result<RawStatement<'n>> {
        let Value::Object(members) = &node.value else {
            return Err(self.syntax(
                node.span,
                format!(
                    "a statement must be a JSON object, not {}",
                    node.value.type_name()
                ),
            ));
        };
        let mut s = RawStatement {
            span: node.span,
            sid: None,
            effect: None,
            principal: None,
            action: None,
            resource: None,
            conditions: Vec::new(),
        };
        for m in members {
            match &*m.key {
                "Sid" => match &m.value.value {
                    Value::String(sid) => s.sid = Some((sid, m.value.span)),
                    other => {
                        return Err(self.syntax(
                            m.value.span,
                            format!("`Sid` must be a string, not {}", other.type_name()),
                        ));
                    }
                },
                "Effect" => match &m.value.value {
                    Value::String(e)
                        if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") =>
                    {
                        s.effect = Some((e, m.value.span));
                    }
                    Value::String(e) => {
                        return Err(self.fail(
                            Reason::InvalidEffect(e.to_string()),
                            m.value.span,
                            format!("`Effect` must be \"Allow\" or \"Deny\", not \"{e}\""),
                        ));
                    }
                    other => {
                        return Err(self.fail(
                            Reason::InvalidEffect(String::new()),
                            m.value.span,
                            format!(
                                "`Effect` must be \"Allow\" or \"Deny\", not {}",
                                other.type_name()
                            ),
                        ));
                    }
                },
                "Principal" | "NotPrincipal" => {
                    if s.principal.is_some() {
                        return Err(self.syntax(
                            m.key_span,
                            "statement has both `Principal` and `NotPrincipal`; use one",
                        ));
                    }
                    s.principal = Some(self.raw_principal(m)?);
                }
                "Action" | "NotAction" => {
                    if s.action.is_some() {
                        return Err(self.syntax(
                            m.key_span,
                            "statement has both `Action` and `NotAction`; use one",
                        ));
                    }
                    s.action = Some(self.raw_list(m)?);
                }
                "Resource" | "NotResource" => {
                    if s.resource.is_some() {
                        return Err(self.syntax(
                            m.key_span,
                            "statement has both `Resource` and `NotResource`; use one",
                        ));
                    }
                    s.resource = Some(self.raw_list(m)?);
                }
                "Condition" => s.conditions = self.raw_conditions(m)?,
                other => {
                    return Err(self.syntax(
                        m.key_span,
                        format!(
                            "unknown statement element `{other}`; a statement has `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource` and `Condition`"
                        ),
                    ));
                }
            }
        }
        if s.effect.is_none() {
            return Err(self.fail(
                Reason::MissingEffect,
                node.span,
                "statement has no `Effect`",
            ));
        }
        Ok(s)
    }

    /// A string or an array of strings.
    fn strings<'n>(&self, m: &'n Member<'n>) -> Result<Vec<(&'n str, Span)>> {
        match &m.value.value {
            Value::String(s) => Ok(vec![(&**s, m.value.span)]),
            Value::Array(items) => items
                .iter()
                .map(|item| match &item.value {
                    Value::String(s) => Ok((&**s, item.span)),
                    other => Err(self.syntax(
                        item.span,
                        format!(
                            "`{}` entries must be strings, not {}",
                            m.key,
                            other.type_name()
                        ),
                    )),
                })
                .collect(),
            other => Err(self.syntax(
                m.value.span,
                format!(
                    "`{}` must be a string or an array of strings, not {}",
                    m.key,
                    other.type_name()
                ),
            )),
        }
    }

    fn raw_list<'n>(&self, m: &'n Member<'n>) -> Result<RawList<'n>> {
        Ok(RawList {
            negated: m.key.starts_with("Not"),
            key_span: m.key_span,
            items: self.strings(m)?,
        })
    }

    fn raw_principal<'n>(&self, m: &'n Member<'n>) -> Result<RawPrincipal<'n>> {
        let negated = m.key == "NotPrincipal";
        let entries = match &m.value.value {
            Value::String(s) if s == "*" => None,
            Value::String(s) => {
                return Err(self.fail(
                    Reason::PrincipalNotObject,
                    m.value.span,
                    format!(
                        "`{}` must be \"*\" or an object such as {{\"AWS\": \"...\"}}, not \"{s}\"",
                        m.key
                    ),
                ));
            }
            Value::Object(types) => {
                let mut entries = Vec::new();
                for t in types {
                    let kind = match &*t.key {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        other => {
                            return Err(self.fail(
                                Reason::UnknownPrincipalType(other.to_string()),
                                t.key_span,
                                format!("unknown principal type `{other}`; expected `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                            ));
                        }
                    };
                    entries.push((kind, t.key_span, self.strings(t)?));
                }
                Some(entries)
            }
            other => {
                return Err(self.syntax(
                    m.value.span,
                    format!(
                        "`{}` must be \"*\" or an object, not {}",
                        m.key,
                        other.type_name()
                    ),
                ));
            }
        };
        Ok(RawPrincipal {
            negated,
            key_span: m.key_span,
            value_span: m.value.span,
            entries,
        })
    }

    fn raw_conditions<'n>(&self, m: &'n Member<'n>) -> Result<Vec<RawCondition<'n>>> {
        let Value::Object(operators) = &m.value.value else {
            return Err(self.syntax(
                m.value.span,
                format!(
                    "`Condition` must be an object, not {}",
                    m.value.value.type_name()
                ),
            ));
        };
        let mut out = Vec::new();
        for op in operators {
            let Value::Object(keys) = &op.value.value else {
                return Err(self.syntax(
                    op.value.span,
                    format!(
                        "condition operator `{}` must map condition keys to values, not {}",
                        op.key,
                        op.value.value.type_name()
                    ),
                ));
            };
            let Some(operator) = Operator::parse(&op.key) else {
                if keys.is_empty() {
                    // AWS accepts an unknown operator with nothing under it; it tests nothing.
                    continue;
                }
                return Err(self.syntax(
                    op.key_span,
                    format!("unknown condition operator `{}`", op.key),
                ));
            };
            for key in keys {
                out.push(RawCondition {
                    operator,
                    operator_span: op.key_span,
                    key: &key.key,
                    key_span: key.key_span,
                    values: self.condition_values(key)?,
                });
            }
        }
        Ok(out)
    }

    fn condition_values(&self, key: &Member<'_>) -> Result<Vec<(String, Span)>> {
        let scalar = |node: &Node<'_>| -> Result<(String, Span)> {
            match &node.value {
                Value::String(s) => Ok((s.to_string(), node.span)),
                Value::Number(n) => Ok((n.to_string(), node.span)),
                Value::Bool(b) => Ok((b.to_string(), node.span)),
                other => Err(self.syntax(
                    node.span,
                    format!(
                        "condition values of `{}` must be strings, numbers or booleans, not {}",
                        key.key,
                        other.type_name()
                    ),
                )),
            }
        };
        match &key.value.value {
            Value::Array(items) => items.iter().map(scalar).collect(),
            _ => Ok(vec![scalar(&key.value)?]),
        }
    }

    // ---- Passes 4 to 12 -----------------------------------------------------------

    fn check(&self, p: &RawPolicy<'_>) -> Result<()> {
        let class = self.kind.class();
        // 4. Principal placement, and what trust policies may not contain.
        for s in &p.statements {
            let effect = effect_of(s);
            match (&s.principal, class) {
                (Some(pr), PolicyClass::Identity) => {
                    return Err(self.fail(
                        Reason::PrincipalInIdentity,
                        pr.key_span,
                        "an identity-based policy must not have `Principal` or `NotPrincipal`: it applies to the identity it is attached to",
                    ));
                }
                (Some(pr), PolicyClass::Trust) if pr.entries.is_none() && !pr.negated => {
                    return Err(self.fail(
                        Reason::PrincipalNotObject,
                        pr.value_span,
                        "a role trust policy must name its principals in an object, e.g. {\"AWS\": \"*\"}",
                    ));
                }
                (Some(pr), PolicyClass::Trust) if pr.negated => {
                    return Err(self.fail(
                        Reason::TrustNotPrincipal(effect),
                        pr.key_span,
                        "`NotPrincipal` is not allowed in a role trust policy",
                    ));
                }
                (None, PolicyClass::Trust | PolicyClass::Resource) => {
                    return Err(self.fail(
                        Reason::MissingPrincipal,
                        s.span,
                        "statement has no `Principal`: a resource-based policy must name who it applies to",
                    ));
                }
                (Some(pr), PolicyClass::Trust | PolicyClass::Resource)
                    if pr
                        .entries
                        .as_ref()
                        .is_some_and(|e| e.iter().all(|(_, _, v)| v.is_empty())) =>
                {
                    return Err(self.fail(
                        Reason::EmptyPrincipal,
                        pr.value_span,
                        "`Principal` names no principal",
                    ));
                }
                _ => {}
            }
            if class == PolicyClass::Trust
                && let Some(r) = &s.resource
            {
                let (reason, name) = if r.negated {
                    (Reason::TrustNotResource, "NotResource")
                } else {
                    (Reason::TrustResource, "Resource")
                };
                return Err(self.fail(
                    reason,
                    r.key_span,
                    format!(
                        "`{name}` is not allowed in a role trust policy: the role is the resource"
                    ),
                ));
            }
        }
        // 5. Managed policies (and boundaries, which are managed policies) need 2012-10-17.
        if matches!(self.kind, PolicyKind::Managed | PolicyKind::Boundary)
            && p.version.as_ref().map(|v| v.value) != Some(Version::V2012_10_17)
        {
            let span = p.version.as_ref().map_or(Span::default(), |v| v.span);
            return Err(self.fail(
                Reason::VersionRequired,
                span,
                "a managed policy must declare \"Version\": \"2012-10-17\"",
            ));
        }
        // 6. Legacy parsing: effect case, date values, truncated ARNs.
        for s in &p.statements {
            if let Some((e, span)) = s.effect
                && e != "Allow"
                && e != "Deny"
            {
                return Err(self.fail(
                    Reason::LegacyParsing,
                    span,
                    format!("`Effect` is case-sensitive: write \"Allow\" or \"Deny\", not \"{e}\""),
                ));
            }
            for c in &s.conditions {
                if c.operator.base.family() == Family::Date
                    && let Some((v, span)) = c.values.iter().find(|(v, _)| parse_date(v).is_none())
                {
                    return Err(self.fail(
                            Reason::LegacyParsing,
                            *span,
                            format!("`{v}` is not a date for `{}`: use ISO 8601 (2026-01-31T12:00:00Z) or epoch seconds", c.operator),
                        ));
                }
            }
            if let Some(r) = &s.resource {
                for (text, span) in &r.items {
                    if truncated_arn(text) {
                        return Err(self.fail(
                            Reason::LegacyParsing,
                            *span,
                            format!("resource `{text}` is a malformed ARN: arn:partition:service:region:account:resource"),
                        ));
                    }
                }
            }
        }
        // 7. Sid rules.
        let mut sids = HashSet::new();
        for s in &p.statements {
            let Some((sid, span)) = s.sid else { continue };
            if self.kind.sid_is_alphanumeric() && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(self.fail(
                    Reason::SidNotAlphanumeric,
                    span,
                    format!("`Sid` `{sid}` may contain only the letters A-Z, a-z and digits 0-9 in an IAM policy"),
                ));
            }
            if !sid.is_empty() && !sids.insert(sid) {
                return Err(self.fail(
                    Reason::DuplicateSid,
                    span,
                    format!(
                        "duplicate `Sid` `{sid}`: statement ids must be unique within a policy"
                    ),
                ));
            }
        }
        // 8. Actions present (KMS accepts statements without; they match nothing).
        if self.kind != PolicyKind::KeyPolicy {
            for s in &p.statements {
                if s.action.as_ref().is_none_or(|a| a.items.is_empty()) {
                    let span = s.action.as_ref().map_or(s.span, |a| a.key_span);
                    return Err(self.fail(
                        Reason::MissingActions,
                        span,
                        "statement has no `Action` or `NotAction`",
                    ));
                }
            }
        }
        // 9. Resources present, where the kind needs them.
        if matches!(class, PolicyClass::Identity | PolicyClass::Resource)
            && self.kind != PolicyKind::KeyPolicy
        {
            for s in &p.statements {
                if s.resource.as_ref().is_none_or(|r| r.items.is_empty()) {
                    let span = s.resource.as_ref().map_or(s.span, |r| r.key_span);
                    return Err(self.fail(
                        Reason::MissingResources,
                        span,
                        "statement has no `Resource` or `NotResource`",
                    ));
                }
            }
        }
        // 10. Resource formats.
        for s in &p.statements {
            for (text, span) in s.resource.iter().flat_map(|r| r.items.iter()) {
                self.check_resource(text, *span)?;
            }
        }
        // 11. Action formats.
        for s in &p.statements {
            for (text, span) in s.action.iter().flat_map(|a| a.items.iter()) {
                self.check_action(text, *span)?;
                if class == PolicyClass::Trust && !is_assume_role_action(text) {
                    return Err(self.fail(
                        Reason::TrustAction,
                        *span,
                        format!("a role trust policy may only allow sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity and sts:SetContext, not `{text}`"),
                    ));
                }
            }
        }
        // 12. Principal values.
        for s in &p.statements {
            let Some(pr) = &s.principal else { continue };
            for (kind, _, values) in pr.entries.iter().flatten() {
                for (text, span) in values {
                    principal_matcher(*kind, text).map_err(|why| {
                        self.fail(
                            Reason::InvalidPrincipal(*kind, text.to_string()),
                            *span,
                            format!("invalid principal `{text}`: {why}"),
                        )
                    })?;
                }
            }
        }
        Ok(())
    }

    fn check_resource(&self, text: &str, span: Span) -> Result<()> {
        if text == "*" {
            return Ok(());
        }
        let segments: Vec<&str> = text.splitn(6, ':').collect();
        if segments.len() < 2 {
            return Err(self.fail(
                Reason::ResourceNotArn(text.to_string()),
                span,
                format!("resource `{text}` must be `*` or an ARN (arn:partition:service:region:account:resource)"),
            ));
        }
        let partition = segments.get(1).copied().unwrap_or_default();
        if !PARTITIONS.contains(&partition) && !partition.contains(['*', '?']) {
            let filled: Vec<&str> = (1..6)
                .map(|i| segments.get(i).copied().unwrap_or("*"))
                .collect();
            return Err(self.fail(
                Reason::InvalidPartition {
                    partition: partition.to_string(),
                    normalized: format!("arn:{}", filled.join(":")),
                },
                span,
                format!("`{partition}` in resource `{text}` is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"),
            ));
        }
        let service = segments.get(2).copied().unwrap_or_default();
        if service.is_empty() || service.contains(['*', '?']) {
            return Err(self.fail(
                Reason::ResourceVendor,
                span,
                format!(
                    "the service of resource `{text}` must be named exactly, without wildcards"
                ),
            ));
        }
        let region = segments.get(3).copied().unwrap_or_default();
        let rest = || segments.get(4..).map(|r| r.join(":")).unwrap_or_default();
        let region_given = !region.is_empty() && region != "*";
        match service {
            "iam" => {
                if region_given {
                    return Err(self.fail(
                        Reason::IamRegion(rest()),
                        span,
                        format!("IAM resource `{text}` must not name a region: IAM is global"),
                    ));
                }
                let path = segments.get(5).copied().unwrap_or("*");
                const IAM_TYPES: [&str; 13] = [
                    "user/",
                    "federated-user/",
                    "role/",
                    "group/",
                    "instance-profile/",
                    "mfa/",
                    "server-certificate/",
                    "policy/",
                    "sms-mfa/",
                    "saml-provider/",
                    "oidc-provider/",
                    "report/",
                    "access-report/",
                ];
                if path != "*" && path != "root" && !IAM_TYPES.iter().any(|t| path.starts_with(t)) {
                    return Err(self.fail(
                        Reason::IamPath,
                        span,
                        format!("IAM resource `{text}` must end in `*`, `root` or a resource type such as `user/NAME` or `role/NAME`"),
                    ));
                }
            }
            "s3" if region_given
                && !segments
                    .get(5)
                    .is_some_and(|r| r.starts_with("accesspoint/")) =>
            {
                return Err(self.fail(
                    Reason::S3Region(rest()),
                    span,
                    format!("S3 resource `{text}` must not name a region (only access points do)"),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn check_action(&self, text: &str, span: Span) -> Result<()> {
        if text == "*" {
            return Ok(());
        }
        let Some((vendor, name)) = text.split_once(':') else {
            return Err(self.fail(
                Reason::ActionNoVendor,
                span,
                format!(
                    "action `{text}` must be `*` or prefixed by a service, as in `s3:GetObject`"
                ),
            ));
        };
        if name.contains(':') {
            return Err(self.fail(
                Reason::ActionColons,
                span,
                format!("action `{text}` has more than one colon"),
            ));
        }
        if vendor.contains(['*', '?']) {
            return Err(self.fail(
                Reason::VendorWildcard,
                span,
                format!("the service prefix of action `{text}` must not contain wildcards"),
            ));
        }
        if vendor.is_empty()
            || !vendor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(self.fail(
                Reason::VendorInvalid(vendor.to_string()),
                span,
                format!("service prefix `{vendor}` of action `{text}` must be letters, digits, `-` and `.`"),
            ));
        }
        Ok(())
    }

    // ---- Compilation --------------------------------------------------------------

    fn compile(&self, raw: RawPolicy<'_>) -> Policy {
        let variables = raw
            .version
            .as_ref()
            .is_some_and(|v| v.value == Version::V2012_10_17);
        let statements = raw
            .statements
            .into_iter()
            .map(|s| self.compile_statement(s, variables))
            .collect();
        let mut policy = Policy {
            source: self.source.into(),
            kind: self.kind,
            version: raw.version,
            id: raw.id,
            statements,
            read_keys: Box::default(),
        };
        policy.read_keys = policy
            .context_keys()
            .into_iter()
            .map(|k| k.to_ascii_lowercase().into_boxed_str())
            .collect();
        policy
    }

    fn compile_statement(&self, s: RawStatement<'_>, variables: bool) -> Statement {
        let effect = effect_of(&s);
        let effect_span = s.effect.map_or(s.span, |(_, span)| span);
        let action = match s.action {
            Some(a) => ActionBlock {
                negated: a.negated,
                span: a.key_span,
                items: a
                    .items
                    .into_iter()
                    .map(|(text, span)| ActionItem {
                        text: text.to_string(),
                        span,
                        pattern: action_pattern(text),
                    })
                    .collect(),
            },
            // Only KMS key policies get here: a statement without actions matches nothing.
            None => ActionBlock {
                negated: false,
                span: s.span,
                items: Vec::new(),
            },
        };
        let resource = match s.resource {
            Some(r) => Some(ResourceBlock {
                negated: r.negated,
                span: r.key_span,
                items: r
                    .items
                    .into_iter()
                    .map(|(text, span)| ResourceItem {
                        text: text.to_string(),
                        span,
                        pattern: resource_pattern(text, variables),
                    })
                    .collect(),
            }),
            // Trust policies have no resource element: the role is the resource.
            None if self.kind.class() == PolicyClass::Trust => None,
            // A key policy statement without resources matches nothing.
            None => Some(ResourceBlock {
                negated: false,
                span: s.span,
                items: Vec::new(),
            }),
        };
        let principal = s.principal.map(|p| PrincipalBlock {
            negated: p.negated,
            span: p.key_span,
            entries: match p.entries {
                None => vec![PrincipalEntry {
                    kind: PrincipalType::Aws,
                    text: "*".to_string(),
                    span: p.value_span,
                    matcher: PrincipalMatcher::Everyone,
                }],
                Some(entries) => entries
                    .into_iter()
                    .flat_map(|(kind, _, values)| {
                        values.into_iter().filter_map(move |(text, span)| {
                            principal_matcher(kind, text)
                                .ok()
                                .map(|matcher| PrincipalEntry {
                                    kind,
                                    text: text.to_string(),
                                    span,
                                    matcher,
                                })
                        })
                    })
                    .collect(),
            },
        });
        let conditions = s
            .conditions
            .into_iter()
            .map(|c| {
                Condition::new(
                    c.operator,
                    c.operator_span,
                    c.key.to_string(),
                    c.key_span,
                    c.values,
                    variables,
                )
            })
            .collect();
        Statement {
            span: s.span,
            sid: s.sid.map(|(sid, span)| Spanned {
                value: sid.to_string(),
                span,
            }),
            effect: Spanned {
                value: effect,
                span: effect_span,
            },
            principal,
            action,
            resource,
            conditions,
        }
    }
}

/// The effect of a statement that passed the structural pass.
fn effect_of(s: &RawStatement<'_>) -> Effect {
    match s.effect {
        Some((e, _)) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
        _ => Effect::Allow,
    }
}

/// ARNs AWS's legacy parser rejects: in a known partition, an empty service
/// segment, or fewer than six segments with an empty one among them
/// (`arn:aws:s3::bucket`). Unknown partitions are reported later, as such.
fn truncated_arn(text: &str) -> bool {
    if text == "*" {
        return false;
    }
    let segments: Vec<&str> = text.splitn(6, ':').collect();
    if !segments.get(1).is_some_and(|p| PARTITIONS.contains(p)) {
        return false;
    }
    let empty_service = segments.get(2).is_some_and(|s| s.is_empty());
    empty_service || (segments.len() < 6 && text.contains("::"))
}

fn is_assume_role_action(text: &str) -> bool {
    let Some(name) = text
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("sts:"))
        .and_then(|_| text.get(4..))
    else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    lower.starts_with("assumerole")
        || matches!(
            lower.as_str(),
            "tagsession" | "setsourceidentity" | "setcontext"
        )
}

fn action_pattern(text: &str) -> ActionPattern {
    match text.split_once(':') {
        None => ActionPattern::All,
        Some((service, name)) => ActionPattern::Service {
            service: service.to_ascii_lowercase().into(),
            name: Template::new(name, Mode::Like, false),
        },
    }
}

/// Compiles a checked resource string. AWS reads the first segment as `arn`
/// whatever it says and fills missing trailing segments with `*`.
fn resource_pattern(text: &str, variables: bool) -> ResourcePattern {
    if text == "*" {
        return ResourcePattern::All;
    }
    let mut segments: Vec<&str> = text.splitn(6, ':').collect();
    if let Some(first) = segments.first_mut() {
        *first = "arn";
    }
    while segments.len() < 6 {
        segments.push("*");
    }
    let normalized = segments.join(":");
    // A variable spanning a colon before the resource part can leave fewer than six
    // segments; variables are not allowed there, so read the text literally.
    match ArnPattern::new(&normalized, variables).or_else(|| ArnPattern::new(&normalized, false)) {
        Some(p) => ResourcePattern::Arn(p),
        None => ResourcePattern::Nothing,
    }
}

/// Reads one principal value of a `Principal` element.
fn principal_matcher(
    kind: PrincipalType,
    text: &str,
) -> std::result::Result<PrincipalMatcher, &'static str> {
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err("a principal is not empty and has no whitespace");
    }
    if kind != PrincipalType::Aws {
        if text == "*" && kind != PrincipalType::Federated {
            return Err("a service or canonical user principal must be named");
        }
        return Ok(if text == "*" {
            PrincipalMatcher::Everyone
        } else {
            PrincipalMatcher::Name(text.into())
        });
    }
    if text == "*" {
        return Ok(PrincipalMatcher::Everyone);
    }
    if is_account_id(text) {
        return Ok(PrincipalMatcher::Account(text.into()));
    }
    if text.contains(['*', '?']) {
        return Err(
            "wildcards may not be used in a principal ARN; use `*` alone, or a condition on `aws:PrincipalArn`",
        );
    }
    let shape = "expected `*`, a 12-digit account id, or an IAM or STS ARN";
    let Some(["arn", partition, service, region, account, resource]) = crate::arn::split_arn(text)
    else {
        return Err(shape);
    };
    if !PARTITIONS.contains(&partition) || !region.is_empty() || !is_account_id(account) {
        return Err(shape);
    }
    let shape_ok = match service {
        "iam" => {
            resource == "root"
                || resource
                    .split_once('/')
                    .is_some_and(|(t, name)| matches!(t, "user" | "role") && !name.is_empty())
        }
        "sts" => resource.split_once('/').is_some_and(|(t, rest)| match t {
            "assumed-role" => rest
                .split_once('/')
                .is_some_and(|(r, s)| !r.is_empty() && !s.is_empty()),
            "federated-user" => !rest.is_empty(),
            _ => false,
        }),
        _ => false,
    };
    if !shape_ok {
        return Err(shape);
    }
    if resource == "root" {
        return Ok(PrincipalMatcher::Account(account.into()));
    }
    Ok(PrincipalMatcher::Arn(text.into()))
}
