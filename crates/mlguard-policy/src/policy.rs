//! The policy AST. It is also the compiled form: every pattern is preprocessed
//! when the policy is parsed, and every element keeps its source span, so the
//! evaluator runs without re-reading text and analyzers can point at lines.

use std::fmt;

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::json::{LineCol, Span, line_col};
use crate::template::Template;

/// A value with the source span it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is in the source.
    pub span: Span,
}

/// The policy language version (`Version` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// `2008-10-17`, also the meaning of a policy without `Version`: no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`
    Allow,
    /// `"Effect": "Deny"`
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// What a policy is attached to. It decides which elements are allowed and the
/// size limit (AWS's quotas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy: 6,144 characters without whitespace.
    Managed,
    /// An inline user policy: 2,048 characters without whitespace.
    UserInline,
    /// An inline group policy: 5,120 characters without whitespace.
    GroupInline,
    /// An inline role policy: 10,240 characters without whitespace.
    RoleInline,
    /// A permissions boundary (a managed policy): 6,144 characters without whitespace.
    Boundary,
    /// A session policy passed to AssumeRole or GetFederationToken: 2,048 characters.
    Session,
    /// An Organizations service control policy: 5,120 characters, whitespace included.
    ServiceControl,
    /// A role trust policy: 2,048 characters without whitespace (AWS's default quota).
    RoleTrust,
    /// A KMS key policy: 32,768 bytes.
    KeyPolicy,
    /// An S3 bucket policy: 20,480 bytes.
    BucketPolicy,
    /// A Secrets Manager resource policy: 20,480 characters.
    SecretPolicy,
    /// Any other resource-based policy (no size limit is applied).
    Resource,
    /// An identity policy read back from an account (an AWS managed policy,
    /// or any policy in `GetAccountAuthorizationDetails`): no quota applied,
    /// since AWS's own policies exceed the customer ones.
    AwsManaged,
}

/// The three shapes of policy the grammar distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyClass {
    /// Attached to an identity: no `Principal`, `Resource` required.
    Identity,
    /// A role's trust policy: `Principal` required, no `NotPrincipal`, no `Resource`.
    Trust,
    /// Attached to a resource: `Principal` and `Resource` required.
    Resource,
}

/// How a size limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    /// Characters, not counting whitespace (IAM).
    NonWhitespaceChars(usize),
    /// Characters, whitespace included.
    Chars(usize),
    /// UTF-8 bytes.
    Bytes(usize),
    /// No limit.
    None,
}

impl SizeLimit {
    /// The size of `text` as this limit counts it, and whether it fits.
    pub fn measure(self, text: &str) -> (usize, Option<usize>) {
        match self {
            SizeLimit::NonWhitespaceChars(max) => (
                text.chars().filter(|c| !c.is_whitespace()).count(),
                Some(max),
            ),
            SizeLimit::Chars(max) => (text.chars().count(), Some(max)),
            SizeLimit::Bytes(max) => (text.len(), Some(max)),
            SizeLimit::None => (text.len(), None),
        }
    }
}

impl PolicyKind {
    /// Every kind, for command lines and tests.
    pub const ALL: [PolicyKind; 13] = [
        PolicyKind::Managed,
        PolicyKind::UserInline,
        PolicyKind::GroupInline,
        PolicyKind::RoleInline,
        PolicyKind::Boundary,
        PolicyKind::Session,
        PolicyKind::ServiceControl,
        PolicyKind::RoleTrust,
        PolicyKind::KeyPolicy,
        PolicyKind::BucketPolicy,
        PolicyKind::SecretPolicy,
        PolicyKind::Resource,
        PolicyKind::AwsManaged,
    ];

    /// The grammar class of the kind.
    pub fn class(self) -> PolicyClass {
        match self {
            PolicyKind::Managed
            | PolicyKind::UserInline
            | PolicyKind::GroupInline
            | PolicyKind::RoleInline
            | PolicyKind::Boundary
            | PolicyKind::Session
            | PolicyKind::ServiceControl
            | PolicyKind::AwsManaged => PolicyClass::Identity,
            PolicyKind::RoleTrust => PolicyClass::Trust,
            PolicyKind::KeyPolicy
            | PolicyKind::BucketPolicy
            | PolicyKind::SecretPolicy
            | PolicyKind::Resource => PolicyClass::Resource,
        }
    }

    /// AWS's size quota for the kind.
    pub fn size_limit(self) -> SizeLimit {
        match self {
            PolicyKind::Managed | PolicyKind::Boundary => SizeLimit::NonWhitespaceChars(6_144),
            PolicyKind::UserInline | PolicyKind::Session | PolicyKind::RoleTrust => {
                SizeLimit::NonWhitespaceChars(2_048)
            }
            PolicyKind::GroupInline => SizeLimit::NonWhitespaceChars(5_120),
            PolicyKind::RoleInline => SizeLimit::NonWhitespaceChars(10_240),
            PolicyKind::ServiceControl => SizeLimit::Chars(5_120),
            PolicyKind::KeyPolicy => SizeLimit::Bytes(32_768),
            PolicyKind::BucketPolicy => SizeLimit::Bytes(20_480),
            PolicyKind::SecretPolicy => SizeLimit::Chars(20_480),
            PolicyKind::Resource | PolicyKind::AwsManaged => SizeLimit::None,
        }
    }

    /// True where IAM's `Sid` rule applies (letters and digits only).
    pub fn sid_is_alphanumeric(self) -> bool {
        self.class() != PolicyClass::Resource
    }

    /// A short name for command lines: `managed`, `user`, `group`, `role`, `boundary`,
    /// `session`, `scp`, `trust`, `key`, `bucket`, `secret`, `resource`, `aws-managed`.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Managed => "managed",
            PolicyKind::UserInline => "user",
            PolicyKind::GroupInline => "group",
            PolicyKind::RoleInline => "role",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Session => "session",
            PolicyKind::ServiceControl => "scp",
            PolicyKind::RoleTrust => "trust",
            PolicyKind::KeyPolicy => "key",
            PolicyKind::BucketPolicy => "bucket",
            PolicyKind::SecretPolicy => "secret",
            PolicyKind::Resource => "resource",
            PolicyKind::AwsManaged => "aws-managed",
        }
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown policy kind `{s}`; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A parsed, compiled IAM policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) source: Box<str>,
    pub(crate) kind: PolicyKind,
    /// The `Version` element, if present.
    pub version: Option<Spanned<Version>>,
    /// The `Id` element, if present.
    pub id: Option<Spanned<String>>,
    /// The statements, in source order.
    pub statements: Vec<Statement>,
    /// [`Policy::context_keys`], lower-cased, computed once at parse time.
    pub(crate) read_keys: Box<[Box<str>]>,
}

impl Policy {
    /// The policy text as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The effective language version (`2008-10-17` when `Version` is absent).
    pub fn language_version(&self) -> Version {
        self.version
            .as_ref()
            .map_or(Version::V2008_10_17, |v| v.value)
    }

    /// Line and column of a span's start.
    pub fn line_col(&self, span: Span) -> LineCol {
        line_col(&self.source, span.start)
    }

    /// The context keys the policy refers to, as `GetContextKeysForCustomPolicy`
    /// lists them: in document order, each once (keys are case-insensitive; the
    /// first spelling is kept), from the policy variables of resources and
    /// string/ARN condition values (version 2012-10-17 only) and the condition keys.
    pub fn context_keys(&self) -> Vec<&str> {
        let variables = self.language_version() == Version::V2012_10_17;
        fn add<'p>(key: &'p str, keys: &mut Vec<&'p str>) {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                keys.push(key);
            }
        }
        let mut keys: Vec<&str> = Vec::new();
        for statement in &self.statements {
            if variables && let Some(block) = &statement.resource {
                for item in &block.items {
                    for key in crate::template::variable_keys(&item.text) {
                        add(key, &mut keys);
                    }
                }
            }
            for condition in &statement.conditions {
                add(&condition.key, &mut keys);
                let templated = matches!(
                    condition.operator.base.family(),
                    crate::Family::String | crate::Family::Arn
                );
                if variables && templated {
                    for value in &condition.values {
                        for key in crate::template::variable_keys(value) {
                            add(key, &mut keys);
                        }
                    }
                }
            }
        }
        keys
    }

    /// The context keys evaluation can read ([`Policy::context_keys`]), lower-cased:
    /// a caller building a request context may leave out every other key.
    pub fn read_keys(&self) -> &[Box<str>] {
        &self.read_keys
    }

    /// True when evaluating the policy can read the request context: a statement
    /// has a condition, or a resource pattern uses a policy variable. When no
    /// policy of a request reads it, a caller may skip building the context:
    /// the decision is the same with an empty one.
    pub fn reads_context(&self) -> bool {
        self.statements.iter().any(|s| {
            !s.conditions.is_empty()
                || s.resource.as_ref().is_some_and(|r| {
                    r.items.iter().any(|item| match &item.pattern {
                        ResourcePattern::Arn(p) => p.has_variables(),
                        ResourcePattern::All | ResourcePattern::Nothing => false,
                    })
                })
        })
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The whole statement object.
    pub span: Span,
    /// `Sid`, if present.
    pub sid: Option<Spanned<String>>,
    /// `Effect`.
    pub effect: Spanned<Effect>,
    /// `Principal` or `NotPrincipal`, if present.
    pub principal: Option<PrincipalBlock>,
    /// `Action` or `NotAction`.
    pub action: ActionBlock,
    /// `Resource` or `NotResource`, if present.
    pub resource: Option<ResourceBlock>,
    /// The conditions, AND'ed.
    pub conditions: Vec<Condition>,
}

/// `Action` / `NotAction`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionBlock {
    /// True for `NotAction`.
    pub negated: bool,
    /// The element's key in the source.
    pub span: Span,
    /// The listed actions.
    pub items: Vec<ActionItem>,
}

/// One action pattern such as `s3:Get*`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItem {
    /// As written.
    pub text: String,
    /// Where it is.
    pub span: Span,
    pub(crate) pattern: ActionPattern,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ActionPattern {
    /// `*`
    All,
    /// `service:name-pattern`; the service lowercased, the name a case-insensitive glob.
    Service { service: Box<str>, name: Template },
}

impl ActionItem {
    /// The service prefix (lowercase), `None` for `*`.
    pub fn service(&self) -> Option<&str> {
        match &self.pattern {
            ActionPattern::All => None,
            ActionPattern::Service { service, .. } => Some(service),
        }
    }

    /// True when the pattern covers `action` (`service:Name`, any case).
    pub fn matches(&self, action: &str) -> bool {
        let (service, name) = action.split_once(':').unwrap_or(("", action));
        self.matches_parts(service, name)
    }

    pub(crate) fn matches_parts(&self, service: &str, name: &str) -> bool {
        match &self.pattern {
            ActionPattern::All => true,
            ActionPattern::Service {
                service: s,
                name: pattern,
            } => {
                s.eq_ignore_ascii_case(service)
                    && (pattern.is_match_all() || pattern.matches_without_variables(name, true))
            }
        }
    }
}

/// `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceBlock {
    /// True for `NotResource`.
    pub negated: bool,
    /// The element's key in the source.
    pub span: Span,
    /// The listed resources.
    pub items: Vec<ResourceItem>,
}

/// One resource pattern: `*` or an ARN pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceItem {
    /// As written.
    pub text: String,
    /// Where it is.
    pub span: Span,
    pub(crate) pattern: ResourcePattern,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResourcePattern {
    All,
    Arn(ArnPattern),
    /// Matches nothing (a pattern that could not be compiled).
    Nothing,
}

impl ResourceItem {
    /// True for `*`.
    pub fn is_wildcard(&self) -> bool {
        matches!(self.pattern, ResourcePattern::All)
    }

    /// The compiled ARN pattern, unless this is `*`.
    pub fn arn_pattern(&self) -> Option<&ArnPattern> {
        match &self.pattern {
            ResourcePattern::All | ResourcePattern::Nothing => None,
            ResourcePattern::Arn(p) => Some(p),
        }
    }
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalBlock {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// The element's key in the source.
    pub span: Span,
    /// The listed principals. `"Principal": "*"` is one `Aws` entry `*`.
    pub entries: Vec<PrincipalEntry>,
}

/// The principal types of the `Principal` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// `"*"` or `"AWS": ...`
    Aws,
    /// `"Service": ...`
    Service,
    /// `"Federated": ...`
    Federated,
    /// `"CanonicalUser": ...`
    CanonicalUser,
}

/// One principal named in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalEntry {
    /// Its type.
    pub kind: PrincipalType,
    /// As written.
    pub text: String,
    /// Where it is.
    pub span: Span,
    pub(crate) matcher: PrincipalMatcher,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalMatcher {
    /// `*`: everyone, anonymous included.
    Everyone,
    /// An account: its root user, and by delegation its identities.
    Account(Box<str>),
    /// An exact ARN of a user, role, session or federated user.
    Arn(Box<str>),
    /// A service, web identity provider or canonical user, compared exactly.
    Name(Box<str>),
}

impl PrincipalEntry {
    /// True for `*`.
    pub fn is_everyone(&self) -> bool {
        self.matcher == PrincipalMatcher::Everyone
    }

    /// The account id, when the entry names an account (`123456789012` or its root ARN).
    pub fn account(&self) -> Option<&str> {
        match &self.matcher {
            PrincipalMatcher::Account(a) => Some(a),
            _ => None,
        }
    }
}
