//! From policy text to [`Policy`]: the IAM JSON grammar, AWS's per-kind rules and
//! size quotas, with every rejection naming the element and its line and column.

use std::collections::HashSet;
use std::fmt;

use crate::arn::{ArnPattern, PARTITIONS, split_arn};
use crate::condition::{Condition, Operator};
use crate::context::is_account_id;
use crate::json::{self, LineCol, Member, Node, Span, Value, line_col};
use crate::policy::{
    ActionBlock, ActionItem, ActionPattern, Effect, Policy, PolicyClass, PolicyKind,
    PrincipalBlock, PrincipalEntry, PrincipalMatcher, PrincipalType, ResourceBlock, ResourceItem,
    ResourcePattern, Spanned, Statement, Version,
};
use crate::template::{Mode, Template};

/// Why a policy was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not JSON.
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
    /// What is wrong, naming the element.
    pub message: String,
    /// Where, as a byte span of the source.
    pub span: Option<Span>,
    /// Where, as line and column.
    pub location: Option<LineCol>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(at) = self.location {
            write!(f, " at {at}")?;
        }
        Ok(())
    }
}

impl Policy {
    /// Parses and compiles a policy of the given kind.
    pub fn parse(text: &str, kind: PolicyKind) -> std::result::Result<Policy, ParseError> {
        let (size, limit) = kind.size_limit().measure(text);
        if let Some(limit) = limit.filter(|limit| size > *limit) {
            return Err(ParseError {
                kind: ParseErrorKind::TooLarge { size, limit },
                message: format!(
                    "policy of {size} characters exceeds the {limit}-character quota for a {} policy",
                    kind.name()
                ),
                span: None,
                location: None,
            });
        }
        let root = json::parse(text).map_err(|e| ParseError {
            kind: ParseErrorKind::Syntax,
            message: format!("policy is not valid JSON: {}", e.message),
            span: Some(Span {
                start: e.offset,
                end: e.offset,
            }),
            location: Some(line_col(text, e.offset)),
        })?;
        let parser = Parser { source: text, kind };
        parser.policy(&root)
    }
}

struct Parser<'s> {
    source: &'s str,
    kind: PolicyKind,
}

type Result<T> = std::result::Result<T, ParseError>;

impl<'s> Parser<'s> {
    fn error(&self, span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            kind: ParseErrorKind::Malformed,
            message: message.into(),
            span: Some(span),
            location: Some(line_col(self.source, span.start)),
        }
    }

    fn policy(&self, root: &Node<'_>) -> Result<Policy> {
        let Value::Object(members) = &root.value else {
            return Err(self.error(
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
                "Version" => version = Some(self.version(m)?),
                "Id" => id = Some(self.string(m, &m.value)?),
                "Statement" => statement = Some(m),
                other => {
                    return Err(self.error(
                        m.key_span,
                        format!("unknown policy element `{other}`; a policy has only `Version`, `Id` and `Statement`"),
                    ));
                }
            }
        }
        let Some(statement) = statement else {
            return Err(self.error(root.span, "policy has no `Statement` element"));
        };
        let variables = version
            .as_ref()
            .is_some_and(|v: &Spanned<Version>| v.value == Version::V2012_10_17);
        let nodes: Vec<&Node<'_>> = match &statement.value.value {
            Value::Object(_) => vec![&statement.value],
            Value::Array(items) if items.is_empty() => {
                return Err(self.error(
                    statement.key_span,
                    "`Statement` must contain at least one statement",
                ));
            }
            Value::Array(items) => items.iter().collect(),
            other => {
                return Err(self.error(
                    statement.value.span,
                    format!(
                        "`Statement` must be an object or an array of objects, not {}",
                        other.type_name()
                    ),
                ));
            }
        };
        let mut statements = Vec::with_capacity(nodes.len());
        let mut sids: HashSet<String> = HashSet::new();
        for node in nodes {
            let s = self.statement(node, variables)?;
            if let Some(sid) = &s.sid
                && !sid.value.is_empty()
                && !sids.insert(sid.value.clone())
            {
                return Err(self.error(
                    sid.span,
                    format!(
                        "duplicate `Sid` `{}`: statement ids must be unique within a policy",
                        sid.value
                    ),
                ));
            }
            statements.push(s);
        }
        Ok(Policy {
            source: self.source.into(),
            kind: self.kind,
            version,
            id,
            statements,
        })
    }

    fn version(&self, m: &Member<'_>) -> Result<Spanned<Version>> {
        let value = match &m.value.value {
            Value::String(s) if s == "2012-10-17" => Version::V2012_10_17,
            Value::String(s) if s == "2008-10-17" => Version::V2008_10_17,
            _ => {
                return Err(self.error(
                    m.value.span,
                    "`Version` must be \"2012-10-17\" or \"2008-10-17\"",
                ));
            }
        };
        Ok(Spanned {
            value,
            span: m.value.span,
        })
    }

    fn string(&self, m: &Member<'_>, node: &Node<'_>) -> Result<Spanned<String>> {
        match &node.value {
            Value::String(s) => Ok(Spanned {
                value: s.to_string(),
                span: node.span,
            }),
            other => Err(self.error(
                node.span,
                format!("`{}` must be a string, not {}", m.key, other.type_name()),
            )),
        }
    }

    /// A string or a non-empty array of strings (`Action`, `Resource`, principal lists).
    fn string_list<'n>(&self, m: &'n Member<'_>) -> Result<Vec<(&'n str, Span)>> {
        match &m.value.value {
            Value::String(s) => Ok(vec![(s, m.value.span)]),
            Value::Array(items) if items.is_empty() => Err(self.error(
                m.value.span,
                format!("`{}` must not be an empty array", m.key),
            )),
            Value::Array(items) => items
                .iter()
                .map(|item| match &item.value {
                    Value::String(s) => Ok((&**s, item.span)),
                    other => Err(self.error(
                        item.span,
                        format!(
                            "`{}` entries must be strings, not {}",
                            m.key,
                            other.type_name()
                        ),
                    )),
                })
                .collect(),
            other => Err(self.error(
                m.value.span,
                format!(
                    "`{}` must be a string or an array of strings, not {}",
                    m.key,
                    other.type_name()
                ),
            )),
        }
    }

    fn statement(&self, node: &Node<'_>, variables: bool) -> Result<Statement> {
        let Value::Object(members) = &node.value else {
            return Err(self.error(
                node.span,
                format!(
                    "a statement must be a JSON object, not {}",
                    node.value.type_name()
                ),
            ));
        };
        let mut sid = None;
        let mut effect = None;
        let mut principal: Option<PrincipalBlock> = None;
        let mut action: Option<ActionBlock> = None;
        let mut resource: Option<ResourceBlock> = None;
        let mut conditions = Vec::new();
        for m in members {
            match &*m.key {
                "Sid" => sid = Some(self.sid(m)?),
                "Effect" => effect = Some(self.effect(m)?),
                "Principal" | "NotPrincipal" => {
                    let negated = m.key == "NotPrincipal";
                    if let Some(previous) = &principal {
                        return Err(self.both(m, previous.negated, "Principal"));
                    }
                    principal = Some(self.principal(m, negated)?);
                }
                "Action" | "NotAction" => {
                    let negated = m.key == "NotAction";
                    if let Some(previous) = &action {
                        return Err(self.both(m, previous.negated, "Action"));
                    }
                    action = Some(self.action(m, negated)?);
                }
                "Resource" | "NotResource" => {
                    let negated = m.key == "NotResource";
                    if let Some(previous) = &resource {
                        return Err(self.both(m, previous.negated, "Resource"));
                    }
                    resource = Some(self.resource(m, negated, variables)?);
                }
                "Condition" => conditions = self.conditions(m, variables)?,
                other => {
                    return Err(self.error(
                        m.key_span,
                        format!(
                            "unknown statement element `{other}`; a statement has `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource` and `Condition`"
                        ),
                    ));
                }
            }
        }
        let Some(effect) = effect else {
            return Err(self.error(node.span, "statement has no `Effect`"));
        };
        let Some(action) = action else {
            return Err(self.error(node.span, "statement has no `Action` or `NotAction`"));
        };
        let class = self.kind.class();
        match (&principal, class) {
            (Some(p), PolicyClass::Identity) => {
                return Err(self.error(
                    p.span,
                    format!(
                        "`{}` is not allowed in an identity-based policy: the policy applies to the identity it is attached to",
                        if p.negated { "NotPrincipal" } else { "Principal" }
                    ),
                ));
            }
            (Some(p), PolicyClass::Trust) if p.negated => {
                return Err(self.error(
                    p.span,
                    "`NotPrincipal` is not allowed in a role trust policy",
                ));
            }
            (None, PolicyClass::Trust | PolicyClass::Resource) => {
                return Err(self.error(node.span, "statement has no `Principal`: a resource-based policy must name who it applies to"));
            }
            _ => {}
        }
        match (&resource, class) {
            (None, PolicyClass::Identity | PolicyClass::Resource) => {
                return Err(self.error(node.span, "statement has no `Resource` or `NotResource`"));
            }
            (Some(r), PolicyClass::Trust) => {
                return Err(self.error(
                    r.span,
                    format!(
                        "`{}` is not allowed in a role trust policy: the role is the resource",
                        if r.negated { "NotResource" } else { "Resource" }
                    ),
                ));
            }
            _ => {}
        }
        Ok(Statement {
            span: node.span,
            sid,
            effect,
            principal,
            action,
            resource,
            conditions,
        })
    }

    fn both(&self, m: &Member<'_>, previous_negated: bool, element: &str) -> ParseError {
        let message = if previous_negated == (m.key.starts_with("Not")) {
            format!("statement has `{}` twice", m.key)
        } else {
            format!("statement has both `{element}` and `Not{element}`; use one of them")
        };
        self.error(m.key_span, message)
    }

    fn sid(&self, m: &Member<'_>) -> Result<Spanned<String>> {
        let sid = self.string(m, &m.value)?;
        if self.kind.sid_is_alphanumeric() && !sid.value.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(self.error(
                sid.span,
                format!(
                    "`Sid` `{}` may contain only letters A-Z, a-z and digits 0-9 in an IAM policy",
                    sid.value
                ),
            ));
        }
        Ok(sid)
    }

    fn effect(&self, m: &Member<'_>) -> Result<Spanned<Effect>> {
        let value = match &m.value.value {
            Value::String(s) if s == "Allow" => Effect::Allow,
            Value::String(s) if s == "Deny" => Effect::Deny,
            Value::String(s) => {
                return Err(self.error(
                    m.value.span,
                    format!("`Effect` must be \"Allow\" or \"Deny\", not \"{s}\""),
                ));
            }
            other => {
                return Err(self.error(
                    m.value.span,
                    format!(
                        "`Effect` must be \"Allow\" or \"Deny\", not {}",
                        other.type_name()
                    ),
                ));
            }
        };
        Ok(Spanned {
            value,
            span: m.value.span,
        })
    }

    fn action(&self, m: &Member<'_>, negated: bool) -> Result<ActionBlock> {
        let items = self
            .string_list(m)?
            .into_iter()
            .map(|(text, span)| {
                Ok(ActionItem {
                    text: text.to_string(),
                    span,
                    pattern: self.action_pattern(text, span)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ActionBlock {
            negated,
            span: m.key_span,
            items,
        })
    }

    fn action_pattern(&self, text: &str, span: Span) -> Result<ActionPattern> {
        if text == "*" {
            return Ok(ActionPattern::All);
        }
        let Some((service, name)) = text.split_once(':') else {
            return Err(self.error(
                span,
                format!(
                    "action `{text}` must be `*` or prefixed by a service, as in `s3:GetObject`"
                ),
            ));
        };
        if service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            let reason = if service.contains(['*', '?']) {
                "must not contain wildcards"
            } else {
                "must be letters, digits and hyphens"
            };
            return Err(self.error(
                span,
                format!("service prefix `{service}` of action `{text}` {reason}"),
            ));
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_' | '.'))
        {
            return Err(self.error(
                span,
                format!(
                    "action name in `{text}` must be letters, digits and the wildcards `*` and `?`"
                ),
            ));
        }
        Ok(ActionPattern::Service {
            service: service.to_ascii_lowercase().into(),
            name: Template::new(name, Mode::Like, false),
        })
    }

    fn resource(&self, m: &Member<'_>, negated: bool, variables: bool) -> Result<ResourceBlock> {
        let items = self
            .string_list(m)?
            .into_iter()
            .map(|(text, span)| {
                Ok(ResourceItem {
                    text: text.to_string(),
                    span,
                    pattern: self.resource_pattern(text, span, variables)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ResourceBlock {
            negated,
            span: m.key_span,
            items,
        })
    }

    fn resource_pattern(&self, text: &str, span: Span, variables: bool) -> Result<ResourcePattern> {
        if text == "*" {
            return Ok(ResourcePattern::All);
        }
        let malformed = |why: &str| {
            self.error(
                span,
                format!("resource `{text}` is not `*` or a valid ARN: {why}"),
            )
        };
        let Some([prefix, partition, service, _region, _account, _resource]) = split_arn(text)
        else {
            return Err(malformed(
                "an ARN has the form arn:partition:service:region:account:resource",
            ));
        };
        if prefix != "arn" {
            return Err(malformed("an ARN starts with `arn:`"));
        }
        let partition_is_pattern = partition.contains(['*', '?']);
        if !partition_is_pattern && !PARTITIONS.contains(&partition) {
            return Err(malformed(&format!("`{partition}` is not an AWS partition")));
        }
        if service.is_empty() {
            return Err(malformed("the service segment is empty"));
        }
        if service.contains(['*', '?']) {
            return Err(malformed(
                "the service segment must be a service name, without wildcards",
            ));
        }
        let pattern = ArnPattern::new(text, variables)
            .ok_or_else(|| malformed("it has fewer than six segments"))?;
        Ok(ResourcePattern::Arn(pattern))
    }

    fn principal(&self, m: &Member<'_>, negated: bool) -> Result<PrincipalBlock> {
        let mut entries = Vec::new();
        match &m.value.value {
            Value::String(s) if s == "*" => entries.push(PrincipalEntry {
                kind: PrincipalType::Aws,
                text: "*".to_string(),
                span: m.value.span,
                matcher: PrincipalMatcher::Everyone,
            }),
            Value::String(s) => {
                return Err(self.error(
                    m.value.span,
                    format!(
                        "`{}` must be \"*\" or an object such as {{\"AWS\": \"...\"}}, not \"{s}\"",
                        m.key
                    ),
                ));
            }
            Value::Object(types) => {
                if types.is_empty() {
                    return Err(self.error(
                        m.value.span,
                        format!("`{}` must name at least one principal", m.key),
                    ));
                }
                for t in types {
                    let kind = match &*t.key {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        other => {
                            return Err(self.error(
                                t.key_span,
                                format!("unknown principal type `{other}`; expected `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                            ));
                        }
                    };
                    for (text, span) in self.string_list(t)? {
                        let matcher = self.principal_matcher(kind, text, span)?;
                        entries.push(PrincipalEntry {
                            kind,
                            text: text.to_string(),
                            span,
                            matcher,
                        });
                    }
                }
            }
            other => {
                return Err(self.error(
                    m.value.span,
                    format!(
                        "`{}` must be \"*\" or an object, not {}",
                        m.key,
                        other.type_name()
                    ),
                ));
            }
        }
        Ok(PrincipalBlock {
            negated,
            span: m.key_span,
            entries,
        })
    }

    fn principal_matcher(
        &self,
        kind: PrincipalType,
        text: &str,
        span: Span,
    ) -> Result<PrincipalMatcher> {
        let invalid = |why: &str| self.error(span, format!("invalid principal `{text}`: {why}"));
        if text.is_empty() || text.contains(char::is_whitespace) {
            return Err(invalid("it is empty or contains whitespace"));
        }
        if kind != PrincipalType::Aws {
            if text == "*" && kind == PrincipalType::Service {
                return Err(invalid("a service principal must name a service"));
            }
            return Ok(PrincipalMatcher::Name(text.into()));
        }
        if text == "*" {
            return Ok(PrincipalMatcher::Everyone);
        }
        if is_account_id(text) {
            return Ok(PrincipalMatcher::Account(text.into()));
        }
        if text.contains(['*', '?']) {
            return Err(invalid(
                "wildcards may not be used in a principal ARN; use `*` alone or a condition on `aws:PrincipalArn`",
            ));
        }
        let Some(["arn", partition, service, region, account, resource]) = split_arn(text) else {
            return Err(invalid(
                "expected `*`, a 12-digit account id, or an IAM or STS ARN",
            ));
        };
        if !PARTITIONS.contains(&partition) || !region.is_empty() || !is_account_id(account) {
            return Err(invalid(
                "expected `*`, a 12-digit account id, or an IAM or STS ARN",
            ));
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
            return Err(invalid(
                "expected `*`, a 12-digit account id, or an IAM or STS ARN",
            ));
        }
        if resource == "root" {
            return Ok(PrincipalMatcher::Account(account.into()));
        }
        Ok(PrincipalMatcher::Arn(text.into()))
    }

    fn conditions(&self, m: &Member<'_>, variables: bool) -> Result<Vec<Condition>> {
        let Value::Object(operators) = &m.value.value else {
            return Err(self.error(
                m.value.span,
                format!(
                    "`Condition` must be an object, not {}",
                    m.value.value.type_name()
                ),
            ));
        };
        let mut out = Vec::new();
        for op in operators {
            let Some(operator) = Operator::parse(&op.key) else {
                return Err(self.error(
                    op.key_span,
                    format!("unknown condition operator `{}`", op.key),
                ));
            };
            let Value::Object(keys) = &op.value.value else {
                return Err(self.error(
                    op.value.span,
                    format!(
                        "condition operator `{}` must map condition keys to values, not {}",
                        op.key,
                        op.value.value.type_name()
                    ),
                ));
            };
            if keys.is_empty() {
                return Err(self.error(
                    op.value.span,
                    format!("condition operator `{}` has no condition keys", op.key),
                ));
            }
            for key in keys {
                let valid_key = key
                    .key
                    .split_once(':')
                    .is_some_and(|(vendor, name)| !vendor.is_empty() && !name.is_empty());
                if !valid_key || key.key.contains(char::is_whitespace) {
                    return Err(self.error(
                        key.key_span,
                        format!("condition key `{}` must be prefixed by a service, as in `aws:SourceIp`", key.key),
                    ));
                }
                let values = self.condition_values(key)?;
                out.push(Condition::new(
                    operator,
                    op.key_span,
                    key.key.to_string(),
                    key.key_span,
                    values,
                    variables,
                ));
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
                other => Err(self.error(
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
            Value::Array(items) if items.is_empty() => Err(self.error(
                key.value.span,
                format!("condition key `{}` has an empty list of values", key.key),
            )),
            Value::Array(items) => items.iter().map(scalar).collect(),
            _ => Ok(vec![scalar(&key.value)?]),
        }
    }
}
