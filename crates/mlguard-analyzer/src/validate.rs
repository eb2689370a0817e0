//! Policy validation with IAM Access Analyzer's `ValidatePolicy` semantics:
//! findings of type ERROR, SECURITY_WARNING, WARNING and SUGGESTION, each with
//! an issue code, details, a learn-more link and the location in the policy
//! (a path of elements and a line/column span).
//!
//! Issue codes are Access Analyzer's where it has the check (IAM User Guide,
//! "IAM Access Analyzer policy check reference"); the checks it lacks and this
//! project needs carry codes of ours, marked in [`Check::ours`]:
//! `ALLOW_WITH_NOT_ACTION`, `ALLOW_WITH_NOT_RESOURCE`, `FULL_ADMIN_ACCESS`,
//! `WILDCARD_ACTION_ON_SENSITIVE_SERVICE`, `PUBLIC_PRINCIPAL_WITHOUT_CONDITION`
//! and `ACTION_RESOURCE_MISMATCH`.

use serde::Serialize;

use mlguard_policy::{Effect, Policy, PolicyKind, Span, Statement};

use crate::catalog::{Catalog, is_global_key, key_matches};

/// Access Analyzer's finding types, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingType {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl FindingType {
    /// As Access Analyzer spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Warning => "WARNING",
            FindingType::Suggestion => "SUGGESTION",
        }
    }
}

/// Which policy type the document is validated as (`policyType`, with
/// `validatePolicyResourceType` for resource policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    Identity,
    /// A resource policy of no particular resource type: the checks that
    /// apply to every resource policy.
    Resource,
    ServiceControl,
    /// A permissions boundary: validated as an identity policy.
    Boundary,
    /// A resource policy for one resource type.
    ResourceOf(ResourceType),
    /// An Organizations resource control policy.
    ResourceControl,
}

/// `validatePolicyResourceType`: the resource types Access Analyzer judges a
/// resource policy for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    S3Bucket,
    S3AccessPoint,
    S3MultiRegionAccessPoint,
    S3ObjectLambdaAccessPoint,
    /// A role's trust policy.
    RoleTrust,
    DynamoDbTable,
}

impl ResourceType {
    /// Every resource type, in the API model's order.
    pub const ALL: [ResourceType; 6] = [
        ResourceType::S3Bucket,
        ResourceType::S3AccessPoint,
        ResourceType::S3MultiRegionAccessPoint,
        ResourceType::S3ObjectLambdaAccessPoint,
        ResourceType::RoleTrust,
        ResourceType::DynamoDbTable,
    ];

    /// As the API spells it (`AWS::S3::Bucket`).
    #[must_use]
    pub fn aws_name(self) -> &'static str {
        match self {
            ResourceType::S3Bucket => "AWS::S3::Bucket",
            ResourceType::S3AccessPoint => "AWS::S3::AccessPoint",
            ResourceType::S3MultiRegionAccessPoint => "AWS::S3::MultiRegionAccessPoint",
            ResourceType::S3ObjectLambdaAccessPoint => "AWS::S3ObjectLambda::AccessPoint",
            ResourceType::RoleTrust => "AWS::IAM::AssumeRolePolicyDocument",
            ResourceType::DynamoDbTable => "AWS::DynamoDB::Table",
        }
    }

    /// The type the API name stands for.
    #[must_use]
    pub fn from_aws_name(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.aws_name() == name)
    }

    /// The services whose actions and ARNs a policy on this resource can name.
    fn services(self) -> &'static [&'static str] {
        match self {
            ResourceType::S3Bucket
            | ResourceType::S3AccessPoint
            | ResourceType::S3MultiRegionAccessPoint => &["s3"],
            ResourceType::S3ObjectLambdaAccessPoint => &["s3-object-lambda"],
            ResourceType::RoleTrust => &["sts"],
            ResourceType::DynamoDbTable => &["dynamodb"],
        }
    }
}

impl PolicyType {
    /// The kind IAM (or the owning service) parses the document as: what it
    /// refuses is reported as the refusal.
    fn kind(self) -> PolicyKind {
        match self {
            PolicyType::Identity => PolicyKind::Managed,
            PolicyType::Resource | PolicyType::ResourceControl => PolicyKind::Resource,
            PolicyType::ServiceControl => PolicyKind::ServiceControl,
            PolicyType::Boundary => PolicyKind::Boundary,
            PolicyType::ResourceOf(ResourceType::RoleTrust) => PolicyKind::RoleTrust,
            PolicyType::ResourceOf(_) => PolicyKind::Resource,
        }
    }

    /// A trust policy.
    fn trust(self) -> bool {
        self == PolicyType::ResourceOf(ResourceType::RoleTrust)
    }

    /// A resource policy (any resource type, trust policies included).
    fn resource(self) -> bool {
        matches!(self, PolicyType::Resource | PolicyType::ResourceOf(_))
    }
}

/// A position as Access Analyzer reports it: line from 1, column from 0,
/// offset in characters from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

/// `Location.span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SpanOut {
    pub start: Position,
    pub end: Position,
}

/// One element of `Location.path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PathElement {
    Index(usize),
    Key(String),
    Value(String),
}

/// `Location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: Vec<PathElement>,
    pub span: SpanOut,
}

/// One finding, in `ValidatePolicyFinding`'s shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub finding_details: String,
    pub finding_type: FindingType,
    pub issue_code: String,
    pub learn_more_link: String,
    pub locations: Vec<Location>,
}

/// A check's identity.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub code: &'static str,
    pub kind: FindingType,
    /// The anchor of Access Analyzer's reference, or `None` for our checks.
    anchor: Option<&'static str>,
}

impl Check {
    /// True for checks Access Analyzer does not have.
    #[must_use]
    pub fn ours(&self) -> bool {
        self.anchor.is_none()
    }
}

const REFERENCE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";
const OUR_DOC: &str = "https://github.com/mlguard/mlguard/blob/main/docs/policy-analyzer.md";

macro_rules! checks {
    ($($name:ident = $code:literal, $kind:ident, $anchor:expr;)*) => {
        $(pub const $name: Check = Check { code: $code, kind: FindingType::$kind, anchor: $anchor };)*
        /// Every check, for documentation and tests.
        pub const ALL_CHECKS: &[Check] = &[$($name),*];
    };
}

checks! {
    JSON_SYNTAX_ERROR = "JSON_SYNTAX_ERROR", Error, Some("error-json-syntax-error");
    INVALID_VERSION = "INVALID_VERSION", Error, Some("error-invalid-version");
    MISSING_STATEMENT = "MISSING_STATEMENT", Error, Some("error-missing-statement");
    MISSING_EFFECT = "MISSING_EFFECT", Error, Some("error-missing-effect");
    INVALID_EFFECT = "INVALID_EFFECT", Error, Some("error-invalid-effect");
    MISSING_ACTION = "MISSING_ACTION", Error, Some("error-missing-action");
    MISSING_RESOURCE = "MISSING_RESOURCE", Error, Some("error-missing-resource");
    MISSING_PRINCIPAL = "MISSING_PRINCIPAL", Error, Some("error-missing-principal");
    UNSUPPORTED_PRINCIPAL = "UNSUPPORTED_PRINCIPAL", Error, Some("error-unsupported-principal");
    UNIQUE_SIDS_REQUIRED = "UNIQUE_SIDS_REQUIRED", Error, Some("error-unique-sids-required");
    UNSUPPORTED_SID = "UNSUPPORTED_SID", Error, Some("error-unsupported-sid");
    INVALID_POLICY_ELEMENT = "INVALID_POLICY_ELEMENT", Error, Some("error-invalid-policy-element");
    INVALID_SERVICE_IN_ACTION = "INVALID_SERVICE_IN_ACTION", Error, Some("error-invalid-service-in-action");
    INVALID_ACTION = "INVALID_ACTION", Error, Some("error-invalid-action");
    INVALID_SERVICE_CONDITION_KEY = "INVALID_SERVICE_CONDITION_KEY", Error, Some("error-invalid-service-condition-key");
    INVALID_GLOBAL_CONDITION_KEY = "INVALID_GLOBAL_CONDITION_KEY", Error, Some("error-invalid-global-condition-key");
    INVALID_CONDITION_KEY_FORMAT = "INVALID_CONDITION_KEY_FORMAT", Error, Some("error-invalid-condition-key-format");
    INVALID_ARN_PREFIX = "INVALID_ARN_PREFIX", Error, Some("error-invalid-arn-prefix");
    MISSING_ARN_FIELD = "MISSING_ARN_FIELD", Error, Some("error-missing-arn-field");
    INVALID_ARN_SERVICE_CASE = "INVALID_ARN_SERVICE_CASE", Error, Some("error-invalid-arn-service-case");
    INVALID_ARN_ACCOUNT = "INVALID_ARN_ACCOUNT", Error, Some("error-invalid-arn-account");
    UNSUPPORTED_ACTION_FOR_CONDITION_KEY = "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", Error, Some("error-unsupported-action-for-condition-key");
    PASS_ROLE_WITH_STAR_IN_RESOURCE = "PASS_ROLE_WITH_STAR_IN_RESOURCE", SecurityWarning, Some("security-warning-pass-role-with-star-in-resource");
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", SecurityWarning, Some("security-warning-pass-role-with-star-in-action-and-resource");
    PASS_ROLE_WITH_NOT_RESOURCE = "PASS_ROLE_WITH_NOT_RESOURCE", SecurityWarning, Some("security-warning-pass-role-with-not-resource");
    ALLOW_WITH_NOT_PRINCIPAL = "ALLOW_WITH_NOT_PRINCIPAL", SecurityWarning, Some("security-warning-allow-with-not-principal");
    ALLOW_WITH_NOT_ACTION = "ALLOW_WITH_NOT_ACTION", SecurityWarning, None;
    ALLOW_WITH_NOT_RESOURCE = "ALLOW_WITH_NOT_RESOURCE", SecurityWarning, None;
    FULL_ADMIN_ACCESS = "FULL_ADMIN_ACCESS", SecurityWarning, None;
    WILDCARD_ACTION_ON_SENSITIVE_SERVICE = "WILDCARD_ACTION_ON_SENSITIVE_SERVICE", SecurityWarning, None;
    PUBLIC_PRINCIPAL_WITHOUT_CONDITION = "PUBLIC_PRINCIPAL_WITHOUT_CONDITION", SecurityWarning, None;
    MISSING_VERSION = "MISSING_VERSION", Warning, Some("general-warning-missing-version");
    ACTION_RESOURCE_MISMATCH = "ACTION_RESOURCE_MISMATCH", Warning, None;
    UNIQUE_SIDS_RECOMMENDED = "UNIQUE_SIDS_RECOMMENDED", Warning, Some("general-warning-unique-sids-recommended");
    EMPTY_ARRAY_ACTION = "EMPTY_ARRAY_ACTION", Suggestion, Some("suggestion-empty-array-action");
    EMPTY_ARRAY_RESOURCE = "EMPTY_ARRAY_RESOURCE", Suggestion, Some("suggestion-empty-array-resource");
    EMPTY_SID_VALUE = "EMPTY_SID_VALUE", Suggestion, Some("suggestion-empty-sid-value");
    REDUNDANT_ACTION = "REDUNDANT_ACTION", Suggestion, Some("suggestion-redundant-action");
    REDUNDANT_STATEMENT = "REDUNDANT_STATEMENT", Suggestion, Some("suggestion-redundant-statement");
    WILDCARD_IN_SERVICE_NAME = "WILDCARD_IN_SERVICE_NAME", Suggestion, Some("suggestion-wildcard-in-service-name");
    POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA = "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", Warning, Some("general-warning-policy-size-exceeds-identity-policy-quota");
    POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA = "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", Warning, Some("general-warning-policy-size-exceeds-resource-policy-quota");
    POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA = "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", Warning, Some("general-warning-policy-size-exceeds-role-trust-policy-quota");
    POLICY_SIZE_EXCEEDS_SCP_QUOTA = "POLICY_SIZE_EXCEEDS_SCP_QUOTA", Error, Some("error-policy-size-exceeds-scp-quota");
    POLICY_SIZE_EXCEEDS_RCP_QUOTA = "POLICY_SIZE_EXCEEDS_RCP_QUOTA", Error, Some("error-policy-size-exceeds-rcp-quota");
    ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE = "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", Error, Some("error-role-trust-policy-syntax-error-resource");
    ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL = "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", Error, Some("error-role-trust-policy-syntax-error-notprincipal");
    ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL = "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", Error, Some("error-role-trust-policy-unsupported-wildcard-in-principal");
    RCP_SYNTAX_ERROR_PRINCIPAL = "RCP_SYNTAX_ERROR_PRINCIPAL", Error, Some("error-rcp-syntax-error-principal");
    RCP_SYNTAX_ERROR_ALLOW = "RCP_SYNTAX_ERROR_ALLOW", Error, Some("error-rcp-syntax-error-allow");
    RCP_SYNTAX_ERROR_NOTACTION = "RCP_SYNTAX_ERROR_NOTACTION", Error, Some("error-rcp-syntax-error-notaction");
    RCP_SYNTAX_ERROR_ACTION = "RCP_SYNTAX_ERROR_ACTION", Error, Some("error-rcp-syntax-error-action");
    UNSUPPORTED_ACTION_IN_POLICY = "UNSUPPORTED_ACTION_IN_POLICY", Error, Some("error-unsupported-action-in-policy");
    UNSUPPORTED_RESOURCE_ARN_IN_POLICY = "UNSUPPORTED_RESOURCE_ARN_IN_POLICY", Error, Some("error-unsupported-resource-arn-in-policy");
}

/// The services whose resources a resource control policy can govern (AWS
/// Organizations, "List of AWS services that support RCPs": S3, STS, KMS,
/// SQS and Secrets Manager at launch; ECR and OpenSearch Serverless since
/// June 2025; Cognito and CloudWatch Logs since January 2026).
pub const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-idp",
    "cognito-identity",
    "logs",
];

/// Services where `service:*` grants control over identities, keys, secrets
/// or data: a wildcard there is a security warning, not style.
pub const SENSITIVE_SERVICES: &[&str] = &[
    "iam",
    "sts",
    "kms",
    "secretsmanager",
    "s3",
    "sagemaker",
    "organizations",
    "cloudtrail",
    "ssm",
    "ec2",
    "lambda",
];

/// Validates one policy document.
///
/// A document IAM (or the owning service) would refuse is reported with the
/// rule that refuses it; where the document is still interpretable (over a
/// size quota, without `Version`, a trust policy with elements trust
/// policies refuse) the other checks run on it too, as Access Analyzer's do.
#[must_use]
pub fn validate(text: &str, policy_type: PolicyType, catalog: &Catalog) -> Vec<Finding> {
    let mut v = Validator {
        text,
        source: None,
        inserted: Vec::new(),
        statement_array: true,
        findings: Vec::new(),
        catalog,
        policy_type,
    };
    v.size_quota();
    let strict = Policy::parse(text, policy_type.kind());
    match strict {
        Ok(policy) => v.policy(&policy),
        Err(e) if policy_type.trust() && TRUST_SHAPE_RULES.contains(&e.rule) => {
            // Still a trust policy to read: each statement with the resource
            // it implies, the refused elements reported where they are.
            if let Some((rewritten, inserted)) = trust_as_resource_policy(text, &mut v) {
                let parsed = Policy::parse(&rewritten, PolicyKind::Resource);
                v.inserted = inserted;
                v.source = Some(rewritten);
                match parsed {
                    Ok(policy) => v.policy(&policy),
                    Err(e) => v.refusal(&e),
                }
            }
        }
        Err(e) if matches!(e.rule, "TooLarge" | "VersionRequired") => {
            // The size is reported by `size_quota`, a missing Version by
            // `policy`; the rest is judged as the lenient kind reads it.
            let lenient = match policy_type.kind().class() {
                mlguard_policy::PolicyClass::Identity => PolicyKind::AwsManaged,
                _ => PolicyKind::Resource,
            };
            match Policy::parse(text, lenient) {
                Ok(policy) => v.policy(&policy),
                Err(other) => {
                    // Refused for another reason too: both are reported (a
                    // missing Version has no span; a 2008-10-17 one is kept).
                    if e.rule == "VersionRequired" && e.span.is_none_or(|s| s == Span::default()) {
                        v.refusal(&e);
                    }
                    v.refusal(&other);
                }
            }
        }
        Err(e) => v.refusal(&e),
    }
    v.findings.sort_by_key(|f| {
        (
            f.finding_type,
            f.locations.first().map(|l| l.span.start.offset),
        )
    });
    v.findings
}

/// Trust-policy refusals after which the document is still read: the size
/// (a raisable quota), the elements a trust policy does not take, and actions
/// other than STS's role-assuming ones (each then judged: unknown, or of
/// another service).
const TRUST_SHAPE_RULES: &[&str] = &[
    "TooLarge",
    "TrustAction",
    "TrustResource",
    "TrustNotResource",
    "TrustNotPrincipal",
    "PrincipalNotObject",
];

/// A trust policy rewritten as the resource policy it means: each statement
/// without `Resource`/`NotResource` gets `"Resource": "*"` (the role) inserted
/// after its `{`. Reports, on the way, the elements IAM refuses in a trust
/// policy. Returns the text and where (offset in it, length) text was
/// inserted; `None` when the text is not a JSON policy (the strict parse
/// already said why).
fn trust_as_resource_policy(
    text: &str,
    v: &mut Validator<'_>,
) -> Option<(String, Vec<(u32, u32)>)> {
    use mlguard_policy::json::{self, Value as J};
    let root = json::parse(text).ok()?;
    let J::Object(members) = &root.value else {
        return None;
    };
    let statement = members.iter().find(|m| m.key == "Statement")?;
    let (statements, array) = match &statement.value.value {
        J::Array(items) => (items.iter().collect::<Vec<_>>(), true),
        _ => (vec![&statement.value], false),
    };
    v.statement_array = array;
    let mut inserts: Vec<(u32, &str)> = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let J::Object(fields) = &st.value else {
            continue;
        };
        let mut base = vec![PathElement::Value("Statement".into())];
        if array {
            base.push(PathElement::Index(i));
        }
        let at = |key: &str| {
            let mut p = base.clone();
            p.push(PathElement::Value(key.into()));
            p
        };
        let mut has_resource = false;
        for f in fields {
            match f.key.as_ref() {
                "Resource" | "NotResource" => {
                    has_resource = true;
                    v.push(
                        ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE,
                        "Role trust policies apply to the role that they are attached to. You cannot specify a resource. Remove the Resource or NotResource element.".into(),
                        at(&f.key),
                        f.key_span,
                    );
                }
                "NotPrincipal" => v.push(
                    ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL,
                    "Role trust policies do not support NotPrincipal. Update the policy to use a Principal element instead.".into(),
                    at("NotPrincipal"),
                    f.key_span,
                ),
                "Principal" if matches!(&f.value.value, J::String(p) if p == "*") => v.push(
                    ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
                    "\"Principal:\" \"*\" is not supported in the principal element of a role trust policy. Replace the wildcard with a valid principal value.".into(),
                    at("Principal"),
                    f.value.span,
                ),
                _ => {}
            }
        }
        if !has_resource {
            let insert = if fields.is_empty() {
                "\"Resource\":\"*\""
            } else {
                "\"Resource\":\"*\","
            };
            inserts.push((st.span.start.saturating_add(1), insert));
        }
    }
    let mut out =
        String::with_capacity(text.len().saturating_add(inserts.len().saturating_mul(16)));
    let mut done = 0usize;
    let mut inserted = Vec::new();
    for (at, insert) in inserts {
        let at = usize::try_from(at).ok()?;
        out.push_str(text.get(done..at)?);
        inserted.push((
            u32::try_from(out.len()).ok()?,
            u32::try_from(insert.len()).ok()?,
        ));
        out.push_str(insert);
        done = at;
    }
    out.push_str(text.get(done..)?);
    Some((out, inserted))
}

/// An action a statement's item names: the item's index and text, the action
/// and its service.
type Expanded<'a> = (
    usize,
    String,
    &'a crate::catalog::Action,
    &'a crate::catalog::Service,
);

struct Validator<'a> {
    /// The document as given: positions are reported in it.
    text: &'a str,
    /// The text the policy was parsed from when it is not `text` (a trust
    /// policy read with the resources its statements imply).
    source: Option<String>,
    /// Where text was inserted into `source`: (offset in `source`, length).
    inserted: Vec<(u32, u32)>,
    /// Whether `Statement` is an array (paths index it only then).
    statement_array: bool,
    findings: Vec<Finding>,
    catalog: &'a Catalog,
    policy_type: PolicyType,
}

fn position(text: &str, byte: u32) -> Position {
    let byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    let before = text.get(..byte).unwrap_or(text);
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let column = before.get(line_start..).map_or(0, |s| s.chars().count());
    Position {
        line: u32::try_from(line.saturating_add(1)).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
        offset: u32::try_from(before.chars().count()).unwrap_or(u32::MAX),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i.saturating_add(1)];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev
                .get(j)
                .copied()
                .unwrap_or(0)
                .saturating_add(usize::from(!ca.eq_ignore_ascii_case(cb)));
            let del = prev
                .get(j.saturating_add(1))
                .copied()
                .unwrap_or(0)
                .saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(0).saturating_add(1);
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

impl Validator<'_> {
    fn push(&mut self, check: Check, details: String, path: Vec<PathElement>, span: Span) {
        self.push_at(check, details, vec![(path, span)]);
    }

    /// A finding with several locations (PassRole's action and resource).
    fn push_at(&mut self, check: Check, details: String, at: Vec<(Vec<PathElement>, Span)>) {
        let link = match check.anchor {
            Some(a) => format!("{REFERENCE}#access-analyzer-reference-policy-checks-{a}"),
            None => format!(
                "{OUR_DOC}#{}",
                check.code.to_ascii_lowercase().replace('_', "-")
            ),
        };
        let locations = at
            .into_iter()
            .map(|(path, span)| Location {
                path,
                span: SpanOut {
                    start: position(self.text, self.unshift(span.start)),
                    end: position(self.text, self.unshift(span.end)),
                },
            })
            .collect();
        self.findings.push(Finding {
            finding_details: details,
            finding_type: check.kind,
            issue_code: check.code.to_owned(),
            learn_more_link: link,
            locations,
        });
    }

    /// The text the policy's spans point into.
    fn src(&self) -> &str {
        self.source.as_deref().unwrap_or(self.text)
    }

    /// An offset in [`Validator::src`] as an offset in the document given.
    fn unshift(&self, offset: u32) -> u32 {
        let mut out = offset;
        for (at, len) in &self.inserted {
            if offset >= at.saturating_add(*len) {
                out = out.saturating_sub(*len);
            } else if offset > *at {
                out = out.saturating_sub(offset.saturating_sub(*at));
            }
        }
        out
    }

    /// Whether the element whose key ends at `key_end` holds an array (its
    /// value, up to its first item or the end, opens with `[`).
    fn is_array(&self, key_end: u32, first_item: Option<Span>) -> bool {
        let from = usize::try_from(key_end).unwrap_or(usize::MAX);
        let to = first_item.map_or(from.saturating_add(64), |s| {
            usize::try_from(s.start).unwrap_or(usize::MAX)
        });
        let src = self.src();
        src.get(from..to.min(src.len()))
            .is_some_and(|between| between.contains('['))
    }

    /// `{"value": "Statement"}`, with `{"index": i}` when `Statement` is an array.
    fn statement_path(&self, i: usize) -> Vec<PathElement> {
        let mut p = vec![PathElement::Value("Statement".into())];
        if self.statement_array {
            p.push(PathElement::Index(i));
        }
        p
    }

    /// The path of item `j` of `Action`/`NotAction` (indexed only in an array).
    fn action_item(&self, s: &Statement, j: usize) -> Vec<PathElement> {
        let key = if s.action.negated {
            "NotAction"
        } else {
            "Action"
        };
        let mut p = vec![PathElement::Value(key.into())];
        if self.is_array(s.action.span.end, s.action.items.first().map(|i| i.span)) {
            p.push(PathElement::Index(j));
        }
        p
    }

    /// The path of item `k` of `Resource`/`NotResource` (indexed only in an array).
    fn resource_item(&self, r: &mlguard_policy::ResourceBlock, k: usize) -> Vec<PathElement> {
        let key = if r.negated { "NotResource" } else { "Resource" };
        let mut p = vec![PathElement::Value(key.into())];
        if self.is_array(r.span.end, r.items.first().map(|i| i.span)) {
            p.push(PathElement::Index(k));
        }
        p
    }

    /// IAM would refuse the document; Access Analyzer reports why in its own
    /// terms.
    fn refusal(&mut self, e: &mlguard_policy::ParseError) {
        let span = e.span.unwrap_or(Span { start: 0, end: 0 });
        let within = usize::try_from(span.start)
            .ok()
            .and_then(|s| {
                self.src()
                    .get(s..usize::try_from(span.end).unwrap_or(s).max(s))
            })
            .unwrap_or("")
            .to_owned();
        let (check, details) = match e.rule {
            "InvalidJson" | "Syntax" => (JSON_SYNTAX_ERROR, format!("Fix the JSON syntax error: {}", e.message)),
            "VersionRequired" => (MISSING_VERSION, "We recommend that you specify the Version element to help you with debugging permission issues.".to_owned()),
            "InvalidVersion" => (INVALID_VERSION, format!("{} Use one of the following versions: 2012-10-17, 2008-10-17.", e.message)),
            "MissingStatement" | "EmptyStatement" => (MISSING_STATEMENT, "Add a statement to the policy".to_owned()),
            "MissingEffect" => (MISSING_EFFECT, "Add an Effect element to the policy statement with a value of Allow or Deny.".to_owned()),
            "InvalidEffect" => (INVALID_EFFECT, format!("{}. Use Allow or Deny.", e.message)),
            "MissingActions" if within.contains("Action") => (EMPTY_ARRAY_ACTION, "This statement includes no actions and does not affect the policy. Specify actions.".to_owned()),
            "MissingActions" => (MISSING_ACTION, "Add an Action or NotAction element to the policy statement.".to_owned()),
            "MissingResources" => (MISSING_RESOURCE, "Add a Resource or NotResource element to the policy statement.".to_owned()),
            "MissingPrincipal" | "EmptyPrincipal" => (MISSING_PRINCIPAL, "Add a Principal element to the policy statement.".to_owned()),
            "PrincipalInIdentity" => (UNSUPPORTED_PRINCIPAL, "The policy type IDENTITY_POLICY does not support the Principal element. Remove the Principal element.".to_owned()),
            "DuplicateSid" => (UNIQUE_SIDS_REQUIRED, "Duplicate statement IDs are not supported for this policy type. Update the Sid value.".to_owned()),
            "SidNotAlphanumeric" => (UNSUPPORTED_SID, "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]".to_owned()),
            "VendorWildcard" => (WILDCARD_IN_SERVICE_NAME, "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.".to_owned()),
            "ActionNoVendor" | "ActionColons" | "VendorInvalid" => (INVALID_ACTION, format!("{}.", e.message)),
            "ResourceNotArn" | "InvalidPartition" if !within.trim_matches('"').starts_with("arn:") => {
                (INVALID_ARN_PREFIX, "Add the required prefix (arn) to the resource ARN.".to_owned())
            }
            "ResourceNotArn" => (MISSING_ARN_FIELD, "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource".to_owned()),
            // Reported by `size_quota`, which knows the quota of the type.
            "TooLarge" => return,
            _ => (INVALID_POLICY_ELEMENT, format!("{}.", e.message)),
        };
        self.push(check, details, vec![], span);
    }

    /// The size quota of the policy type, as Access Analyzer reports it
    /// (IAM counts characters without whitespace; Organizations and the
    /// resource services count every character or byte).
    fn size_quota(&mut self) {
        use mlguard_policy::SizeLimit;
        let (limit, check) = match self.policy_type {
            PolicyType::Identity | PolicyType::Boundary => (
                SizeLimit::NonWhitespaceChars(6_144),
                POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA,
            ),
            PolicyType::ServiceControl => (SizeLimit::Chars(5_120), POLICY_SIZE_EXCEEDS_SCP_QUOTA),
            PolicyType::ResourceControl => (SizeLimit::Chars(5_120), POLICY_SIZE_EXCEEDS_RCP_QUOTA),
            PolicyType::ResourceOf(ResourceType::RoleTrust) => (
                SizeLimit::NonWhitespaceChars(2_048),
                POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA,
            ),
            PolicyType::ResourceOf(ResourceType::S3Bucket | ResourceType::DynamoDbTable) => (
                SizeLimit::Bytes(20_480),
                POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA,
            ),
            PolicyType::Resource | PolicyType::ResourceOf(_) => return,
        };
        let (size, Some(quota)) = limit.measure(self.text) else {
            return;
        };
        if size <= quota {
            return;
        }
        let details = match self.policy_type {
            PolicyType::Identity | PolicyType::Boundary => format!("The {size} characters in the identity policy, excluding whitespace, exceed the {quota} character maximum for inline and managed policies. We recommend that you use multiple granular policies."),
            PolicyType::ServiceControl => format!("The {size} characters in the service control policy (SCP) exceed the {quota} character maximum for SCPs. We recommend that you use multiple granular policies."),
            PolicyType::ResourceControl => format!("The {size} characters in the resource control policy (RCP) exceed the {quota} character maximum for RCPs. We recommend that you use multiple granular policies."),
            PolicyType::ResourceOf(ResourceType::RoleTrust) => "The characters in the role trust policy, excluding whitespace, exceed the character maximum. We recommend that you request a role trust policy length quota increase using Service Quotas and AWS Support Center. If the quotas have already been increased, then you can ignore this warning.".to_owned(),
            PolicyType::Resource | PolicyType::ResourceOf(_) => format!("The {size} characters in the resource policy exceed the {quota} character maximum for resource policies. We recommend that you use multiple granular policies."),
        };
        self.push(check, details, vec![], Span { start: 0, end: 0 });
    }

    fn policy(&mut self, p: &Policy) {
        if p.version.is_none() {
            self.push(
                MISSING_VERSION,
                "We recommend that you specify the Version element to help you with debugging permission issues.".into(),
                vec![],
                Span { start: 0, end: 1 },
            );
        }
        // A single statement object is not indexed in paths.
        if let Some(first) = p.statements.first() {
            let before = usize::try_from(first.span.start).unwrap_or(0);
            self.statement_array = self
                .src()
                .get(..before)
                .is_none_or(|b| !b.trim_end().ends_with(':'));
        }
        let mut sids: Vec<&str> = Vec::new();
        for (i, s) in p.statements.iter().enumerate() {
            let base = self.statement_path(i);
            let path = |rest: &[PathElement]| -> Vec<PathElement> {
                let mut v = base.clone();
                v.extend_from_slice(rest);
                v
            };
            if let Some(sid) = &s.sid {
                if sid.value.is_empty() {
                    self.push(
                        EMPTY_SID_VALUE,
                        "Add a value to the empty string in the Sid element.".into(),
                        path(&[PathElement::Value("Sid".into())]),
                        sid.span,
                    );
                } else if sids.contains(&sid.value.as_str()) {
                    self.push(
                        UNIQUE_SIDS_RECOMMENDED,
                        "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.".into(),
                        path(&[PathElement::Value("Sid".into())]),
                        sid.span,
                    );
                } else {
                    sids.push(&sid.value);
                }
            }
            self.statement(s, &path);
        }
        self.redundant_statements(p);
    }

    fn statement(&mut self, s: &Statement, path: &dyn Fn(&[PathElement]) -> Vec<PathElement>) {
        let allow = s.effect.value == Effect::Allow;
        // What a policy that grants nothing (an RCP, a guardrail) cannot
        // over-grant: the permissive-grant checks are for the others.
        let grants = allow && self.policy_type != PolicyType::ResourceControl;
        let action_paths: Vec<Vec<PathElement>> = (0..s.action.items.len())
            .map(|j| path(&self.action_item(s, j)))
            .collect();
        let action_path = |j: usize| action_paths.get(j).cloned().unwrap_or_default();
        let resource_key = if s.resource.as_ref().is_some_and(|r| r.negated) {
            "NotResource"
        } else {
            "Resource"
        };
        if s.action.items.is_empty() {
            self.push(EMPTY_ARRAY_ACTION, "This statement includes no actions and does not affect the policy. Specify actions.".into(), path(&[PathElement::Value("Action".into())]), s.action.span);
        }
        if let Some(r) = &s.resource
            && r.items.is_empty()
        {
            self.push(EMPTY_ARRAY_RESOURCE, "This statement includes no resources and does not affect the policy. Specify resources.".into(), path(&[PathElement::Value(resource_key.into())]), r.span);
        }
        if grants && s.action.negated {
            self.push(
                ALLOW_WITH_NOT_ACTION,
                "Using Allow with NotAction grants every action not listed, including actions of services added later. List the actions to allow instead.".into(),
                path(&[PathElement::Value("NotAction".into())]),
                s.action.span,
            );
        }
        if grants && let Some(r) = s.resource.as_ref().filter(|r| r.negated) {
            self.push(
                ALLOW_WITH_NOT_RESOURCE,
                "Using Allow with NotResource grants the actions on every resource not listed, including ones created later. List the resources to allow instead.".into(),
                path(&[PathElement::Value("NotResource".into())]),
                r.span,
            );
        }
        if grants && let Some(p) = s.principal.as_ref().filter(|p| p.negated) {
            if self.policy_type.trust() {
                self.push(
                    ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL,
                    "Role trust policies do not support NotPrincipal. Update the policy to use a Principal element instead.".into(),
                    path(&[PathElement::Value("NotPrincipal".into())]),
                    p.span,
                );
            }
            self.push(
                ALLOW_WITH_NOT_PRINCIPAL,
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.".into(),
                path(&[PathElement::Value("NotPrincipal".into())]),
                p.span,
            );
        }
        if grants
            && self.policy_type.resource()
            && s.conditions.is_empty()
            && let Some(p) = &s.principal
            && !p.negated
            && p.entries
                .iter()
                .any(|e| e.kind == mlguard_policy::PrincipalType::Aws && e.text == "*")
        {
            self.push(
                PUBLIC_PRINCIPAL_WITHOUT_CONDITION,
                "\"Principal\": \"*\" without a Condition grants access to anyone, in any account, including anonymous callers. Name the principals or add conditions (aws:PrincipalOrgID, aws:SourceVpce, aws:SecureTransport).".into(),
                path(&[PathElement::Value("Principal".into())]),
                p.span,
            );
        }
        if self.policy_type == PolicyType::ResourceControl {
            self.resource_control(s, path);
        }
        if let PolicyType::ResourceOf(t) = self.policy_type
            && !t.services().is_empty()
        {
            self.resource_type(s, t, path);
        }

        // Actions: existence, wildcards, redundancy, PassRole.
        let resources: Vec<&str> = s
            .resource
            .as_ref()
            .filter(|r| !r.negated)
            .map(|r| r.items.iter().map(|i| i.text.as_str()).collect())
            .unwrap_or_default();
        let star_resource = resources.iter().any(|r| r.contains('*'));
        let mut expanded: Vec<Expanded<'_>> = Vec::new();
        for (j, item) in s.action.items.iter().enumerate() {
            let text = item.text.as_str();
            if text == "*" {
                if grants && !s.action.negated {
                    self.push(
                        FULL_ADMIN_ACCESS,
                        "The action * allows every action of every service. Grant the actions the principal needs.".into(),
                        action_path(j),
                        item.span,
                    );
                    self.pass_role(s, item.span, true, star_resource, &action_path(j), path);
                }
                continue;
            }
            let Some((prefix, name)) = text.split_once(':') else {
                continue;
            };
            if has_wildcard(prefix) {
                self.push(
                    WILDCARD_IN_SERVICE_NAME,
                    "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.".into(),
                    action_path(j),
                    item.span,
                );
                continue;
            }
            let Some(svc) = self.catalog.service(prefix) else {
                if !self.catalog.is_known_prefix(prefix) {
                    let suggestion = self.nearest_prefix(prefix);
                    self.push(
                        INVALID_SERVICE_IN_ACTION,
                        format!("The service {prefix} specified in the action does not exist.{suggestion}"),
                        action_path(j),
                        item.span,
                    );
                }
                continue;
            };
            if name == "*"
                && grants
                && !s.action.negated
                && SENSITIVE_SERVICES.contains(&svc.prefix.as_str())
            {
                self.push(
                    WILDCARD_ACTION_ON_SENSITIVE_SERVICE,
                    format!("The action {text} allows every {} action, including permissions management. Grant the specific actions needed (for example s3:GetObject, not s3:*).", svc.name),
                    action_path(j),
                    item.span,
                );
            }
            let matched: Vec<&crate::catalog::Action> = self.catalog.expand(svc, name).collect();
            if matched.is_empty() {
                let best = svc
                    .actions
                    .values()
                    .min_by_key(|a| edit_distance(name, &a.name))
                    .filter(|a| edit_distance(name, &a.name) <= 3);
                let hint = best.map_or(String::new(), |a| {
                    format!(" Did you mean {}:{}?", svc.prefix, a.name)
                });
                self.push(
                    INVALID_ACTION,
                    format!("The action {text} does not exist.{hint}"),
                    action_path(j),
                    item.span,
                );
                continue;
            }
            if grants
                && !s.action.negated
                && matched
                    .iter()
                    .any(|a| a.name == "PassRole" && svc.prefix == "iam")
            {
                self.pass_role(
                    s,
                    item.span,
                    has_wildcard(name),
                    star_resource,
                    &action_path(j),
                    path,
                );
            }
            for a in matched {
                expanded.push((j, text.to_owned(), a, svc));
            }
        }
        self.redundant_actions(s, path);
        if !s.action.negated {
            if !self.policy_type.trust() {
                self.resource_mismatch(s, &expanded, &resources, path);
            }
            self.condition_keys(s, &expanded, path);
        } else {
            self.condition_keys(s, &[], path);
        }
        if let Some(r) = &s.resource
            && !self.policy_type.trust()
        {
            for (k, item) in r.items.iter().enumerate() {
                self.arn(&item.text, item.span, path(&self.resource_item(r, k)));
            }
        }
    }

    /// A resource control policy's rules (AWS Organizations, "RCP syntax"):
    /// every principal (`"*"`), no NotPrincipal, no NotAction, actions of the
    /// services RCPs support, and Allow only as `RCPFullAWSAccess` has it.
    fn resource_control(
        &mut self,
        s: &Statement,
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        let every_principal = s.principal.as_ref().is_some_and(|p| {
            !p.negated
                && !p.entries.is_empty()
                && p.entries
                    .iter()
                    .all(|e| e.kind == mlguard_policy::PrincipalType::Aws && e.text == "*")
        });
        if let Some(p) = &s.principal
            && !every_principal
        {
            let key = if p.negated {
                "NotPrincipal"
            } else {
                "Principal"
            };
            self.push(
                RCP_SYNTAX_ERROR_PRINCIPAL,
                "The Principal element contents are not valid. RCPs only support specifying all principals (\"*\") in the Principal element. The NotPrincipal element is not supported for RCPs.".into(),
                path(&[PathElement::Value(key.into())]),
                p.span,
            );
        }
        if s.action.negated {
            self.push(
                RCP_SYNTAX_ERROR_NOTACTION,
                "RCPs do not support the NotAction element. Update to use the Action element."
                    .into(),
                path(&[PathElement::Value("NotAction".into())]),
                s.action.span,
            );
        } else {
            for (j, item) in s.action.items.iter().enumerate() {
                let supported = item.text == "*"
                    || item
                        .service()
                        .is_some_and(|svc| RCP_SERVICES.contains(&svc));
                if !supported {
                    self.push(
                        RCP_SYNTAX_ERROR_ACTION,
                        "RCPs only support specifying select service prefixes in the Action element. Learn more here.".into(),
                        path(&self.action_item(s, j)),
                        item.span,
                    );
                }
            }
        }
        let every_resource = s
            .resource
            .as_ref()
            .is_some_and(|r| !r.negated && r.items.iter().all(|i| i.text == "*"));
        if s.effect.value == Effect::Allow
            && (!every_principal || !every_resource || !s.conditions.is_empty())
        {
            self.push(
                RCP_SYNTAX_ERROR_ALLOW,
                "RCPs only support specifying all principals (\"*\") in the Principal element, all resources (\"*\") in the Resource element, and no Condition element with an effect of Allow.".into(),
                path(&[PathElement::Value("Effect".into())]),
                s.effect.span,
            );
        }
    }

    /// A resource policy judged for its resource type: actions and resource
    /// ARNs of the service that owns the resource.
    fn resource_type(
        &mut self,
        s: &Statement,
        t: ResourceType,
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        let services = t.services();
        if !s.action.negated {
            for (j, item) in s.action.items.iter().enumerate() {
                let Some(svc) = item.service() else { continue };
                if has_wildcard(svc) || services.contains(&svc) {
                    continue;
                }
                self.push(
                    UNSUPPORTED_ACTION_IN_POLICY,
                    format!("The action {} is not supported for the resource-based policy attached to the resource type {}.", item.text, t.aws_name()),
                    path(&self.action_item(s, j)),
                    item.span,
                );
            }
        }
        if t == ResourceType::RoleTrust {
            return;
        }
        if let Some(r) = &s.resource {
            for (k, item) in r.items.iter().enumerate() {
                let service = item.text.split(':').nth(2).unwrap_or("");
                if !item.text.starts_with("arn:")
                    || has_wildcard(service)
                    || services.contains(&service)
                {
                    continue;
                }
                self.push(
                    UNSUPPORTED_RESOURCE_ARN_IN_POLICY,
                    format!("The resource ARN is not supported for the resource-based policy attached to the resource type {}.", t.aws_name()),
                    path(&self.resource_item(r, k)),
                    item.span,
                );
            }
        }
    }

    fn nearest_prefix(&self, prefix: &str) -> String {
        self.catalog
            .services()
            .map(|s| (edit_distance(prefix, &s.prefix), s.prefix.as_str()))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map_or(String::new(), |(_, p)| format!(" Did you mean {p}?"))
    }

    /// PassRole findings point at the action and at the resource that makes
    /// it broad, as Access Analyzer's two locations do.
    fn pass_role(
        &mut self,
        s: &Statement,
        span: Span,
        star_action: bool,
        star_resource: bool,
        action_path: &[PathElement],
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        let Some(r) = &s.resource else { return };
        let action_at = (action_path.to_vec(), span);
        if r.negated {
            self.push_at(
                PASS_ROLE_WITH_NOT_RESOURCE,
                "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.".into(),
                vec![action_at, (path(&[PathElement::Value("NotResource".into())]), r.span)],
            );
        } else if star_resource {
            let (check, details) = if star_action {
                (
                    PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
                    "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
                )
            } else {
                (
                    PASS_ROLE_WITH_STAR_IN_RESOURCE,
                    "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
                )
            };
            // Restricted by iam:PassedToService: AA's recommendation is met.
            let restricted = s
                .conditions
                .iter()
                .any(|c| c.key.eq_ignore_ascii_case("iam:PassedToService"));
            let starred = r
                .items
                .iter()
                .enumerate()
                .find(|(_, i)| i.text.contains('*'));
            if !restricted && let Some((k, item)) = starred {
                let resource_at = (path(&self.resource_item(r, k)), item.span);
                self.push_at(check, details.into(), vec![action_at, resource_at]);
            }
        }
    }

    fn redundant_actions(
        &mut self,
        s: &Statement,
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        let items = &s.action.items;
        let mut redundant = Vec::new();
        for (j, a) in items.iter().enumerate() {
            let covered = items.iter().enumerate().any(|(k, b)| {
                k != j
                    && (b.text != a.text || k < j)
                    && !has_wildcard_in_service(&a.text)
                    && b.matches(&a.text)
                    && (!has_wildcard(&a.text) || covers_pattern(&b.text, &a.text))
            });
            if covered {
                redundant.push(j);
            }
        }
        if !redundant.is_empty() {
            for j in &redundant {
                if let Some(item) = items.get(*j) {
                    self.push(
                        REDUNDANT_ACTION,
                        format!("The {} action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: {}.", redundant.len(), item.text),
                        path(&self.action_item(s, *j)),
                        item.span,
                    );
                }
            }
        }
    }

    fn resource_mismatch(
        &mut self,
        s: &Statement,
        expanded: &[Expanded<'_>],
        resources: &[&str],
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        if resources.is_empty() || resources.contains(&"*") {
            return;
        }
        // Group by action item: an item mismatches when none of the actions it
        // names can act on any listed resource.
        let mut by_item: std::collections::BTreeMap<usize, (String, bool, Vec<String>)> =
            std::collections::BTreeMap::new();
        for (j, text, a, svc) in expanded {
            let fits = if a.resources.is_empty() {
                false // the action supports only "*"
            } else {
                a.resources.iter().any(|r| {
                    svc.resources
                        .get(&r.name)
                        .is_some_and(|t| resources.iter().any(|res| t.may_match(res)))
                })
            };
            let entry = by_item
                .entry(*j)
                .or_insert_with(|| (text.clone(), false, Vec::new()));
            entry.1 |= fits;
            if !fits && entry.2.len() < 3 {
                let wants = if a.resources.is_empty() {
                    "\"*\"".to_owned()
                } else {
                    a.resources
                        .iter()
                        .filter_map(|r| svc.resources.get(&r.name).map(|t| t.arn.clone()))
                        .collect::<Vec<_>>()
                        .join(" or ")
                };
                entry
                    .2
                    .push(format!("{}:{} acts on {wants}", svc.prefix, a.name));
            }
        }
        for (j, (text, fits, examples)) in by_item {
            if fits {
                continue;
            }
            if let Some(item) = s.action.items.get(j) {
                self.push(
                    ACTION_RESOURCE_MISMATCH,
                    format!(
                        "The action {text} does not apply to any resource in this statement ({}), so the statement grants nothing for it: {}.",
                        resources.join(", "),
                        examples.join("; ")
                    ),
                    path(&self.action_item(s, j)),
                    item.span,
                );
            }
        }
    }

    fn condition_keys(
        &mut self,
        s: &Statement,
        expanded: &[Expanded<'_>],
        path: &dyn Fn(&[PathElement]) -> Vec<PathElement>,
    ) {
        for c in &s.conditions {
            let key = c.key.as_str();
            let p = path(&[
                PathElement::Value("Condition".into()),
                PathElement::Value(c.operator.to_string()),
                PathElement::Key(key.to_owned()),
            ]);
            let Some((prefix, _)) = key.split_once(':') else {
                self.push(
                    INVALID_CONDITION_KEY_FORMAT,
                    "The condition key format is not valid. Use the format service:keyname.".into(),
                    p,
                    c.key_span,
                );
                continue;
            };
            if prefix.eq_ignore_ascii_case("aws") {
                if !is_global_key(key) {
                    self.push(
                        INVALID_GLOBAL_CONDITION_KEY,
                        format!(
                            "The condition key {key} does not exist. Use a valid condition key."
                        ),
                        p,
                        c.key_span,
                    );
                }
                continue;
            }
            let Some(svc) = self.catalog.service(prefix) else {
                continue;
            };
            if svc.condition_type(key).is_none() {
                self.push(
                    INVALID_SERVICE_CONDITION_KEY,
                    format!("The condition key {key} does not exist in the service {}. Use a valid condition key.", svc.prefix),
                    p,
                    c.key_span,
                );
                continue;
            }
            if expanded.is_empty() {
                continue;
            }
            let applies = expanded.iter().any(|(_, _, a, asvc)| {
                a.conditions.iter().any(|k| key_matches(k, key))
                    || a.resources.iter().any(|r| {
                        asvc.resources
                            .get(&r.name)
                            .is_some_and(|t| t.conditions.iter().any(|k| key_matches(k, key)))
                    })
            });
            if !applies {
                let mut names: Vec<String> =
                    expanded.iter().map(|(_, t, _, _)| t.clone()).collect();
                names.dedup();
                self.push(
                    UNSUPPORTED_ACTION_FOR_CONDITION_KEY,
                    format!("The following actions: {} are not supported by the condition key {key}. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.", names.join(", ")),
                    p,
                    c.key_span,
                );
            }
        }
    }

    fn arn(&mut self, text: &str, span: Span, path: Vec<PathElement>) {
        if text == "*" || text.starts_with("${") {
            return;
        }
        if !text.starts_with("arn:") {
            self.push(
                INVALID_ARN_PREFIX,
                "Add the required prefix (arn) to the resource ARN.".into(),
                path,
                span,
            );
            return;
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        if parts.len() < 6 {
            self.push(
                MISSING_ARN_FIELD,
                "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource".into(),
                path,
                span,
            );
            return;
        }
        let (service, account) = (
            parts.get(2).copied().unwrap_or(""),
            parts.get(4).copied().unwrap_or(""),
        );
        if service.chars().any(|c| c.is_ascii_uppercase()) {
            self.push(INVALID_ARN_SERVICE_CASE, format!("Update the service name {service} in the resource ARN to use all lowercase letters."), path, span);
            return;
        }
        let account_ok = account.is_empty()
            || has_wildcard(account)
            || account.contains("${")
            || account == "aws"
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
        if !account_ok {
            self.push(
                INVALID_ARN_ACCOUNT,
                format!("The resource ARN account ID {account} is not valid. Provide a 12-digit account ID."),
                path,
                span,
            );
        }
    }

    fn redundant_statements(&mut self, p: &Policy) {
        let key = |s: &Statement| -> String {
            let mut actions: Vec<String> = s
                .action
                .items
                .iter()
                .map(|a| a.text.to_ascii_lowercase())
                .collect();
            actions.sort();
            let mut resources: Vec<String> = s
                .resource
                .as_ref()
                .map(|r| r.items.iter().map(|i| i.text.clone()).collect())
                .unwrap_or_default();
            resources.sort();
            let mut principals: Vec<String> = s
                .principal
                .as_ref()
                .map(|p| {
                    p.entries
                        .iter()
                        .map(|e| format!("{:?}:{}", e.kind, e.text))
                        .collect()
                })
                .unwrap_or_default();
            principals.sort();
            let mut conditions: Vec<String> = s
                .conditions
                .iter()
                .map(|c| {
                    format!(
                        "{}|{}|{}",
                        c.operator,
                        c.key.to_ascii_lowercase(),
                        c.values.join(",")
                    )
                })
                .collect();
            conditions.sort();
            format!(
                "{:?}|{}|{}|{}|{}|{}|{}|{}",
                s.effect.value,
                s.action.negated,
                actions.join(","),
                s.resource.as_ref().is_some_and(|r| r.negated),
                resources.join(","),
                s.principal.as_ref().is_some_and(|p| p.negated),
                principals.join(","),
                conditions.join(";")
            )
        };
        let keys: Vec<String> = p.statements.iter().map(key).collect();
        for (i, k) in keys.iter().enumerate() {
            if keys.iter().take(i).any(|earlier| earlier == k)
                && let Some(s) = p.statements.get(i)
            {
                self.push(
                    REDUNDANT_STATEMENT,
                    "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement.".into(),
                    self.statement_path(i),
                    s.span,
                );
            }
        }
    }
}

fn has_wildcard_in_service(action: &str) -> bool {
    action.split_once(':').is_some_and(|(p, _)| has_wildcard(p))
}

/// Whether action pattern `outer` covers every action `inner` can name (both
/// `service:glob`): true when `inner`'s text, wildcards read as literals, is
/// matched by `outer`, and `outer` ends in a star where `inner` has one.
fn covers_pattern(outer: &str, inner: &str) -> bool {
    let (o, i) = (outer.to_ascii_lowercase(), inner.to_ascii_lowercase());
    if o == i {
        return true;
    }
    // `s3:*` covers `s3:Get*`; `s3:Get*` covers `s3:GetObject*`.
    match o.strip_suffix('*') {
        Some(prefix) => !prefix.contains(['*', '?']) && i.starts_with(prefix),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn codes(text: &str, t: PolicyType) -> Vec<String> {
        validate(text, t, Catalog::builtin())
            .into_iter()
            .map(|f| f.issue_code)
            .collect()
    }

    #[test]
    fn positions_are_one_based_lines_zero_based_columns() {
        let p = position("{\n  \"a\": 1\n}", 4);
        assert_eq!((p.line, p.column, p.offset), (2, 2, 4));
    }

    #[test]
    fn every_check_has_a_distinct_code() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL_CHECKS {
            assert!(seen.insert(c.code), "{}", c.code);
        }
    }

    #[test]
    fn a_clean_least_privilege_policy_has_no_findings() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::training-data", "arn:aws:s3:::training-data/*"]},
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": "arn:aws:iam::111122223333:role/sagemaker-training",
             "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}]}"#;
        assert_eq!(codes(text, PolicyType::Identity), Vec::<String>::new());
    }
}
