//! The request side of an evaluation: who asks ([`Principal`]), and the condition
//! keys the request carries ([`Context`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use smallvec::SmallVec;

use crate::arn::split_arn;

/// AWS's `ContextKeyType` names, as the IAM policy simulator spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextType {
    /// `string`
    String,
    /// `stringList`
    StringList,
    /// `numeric`
    Numeric,
    /// `numericList`
    NumericList,
    /// `boolean`
    Boolean,
    /// `booleanList`
    BooleanList,
    /// `date`
    Date,
    /// `dateList`
    DateList,
    /// `ip`
    Ip,
    /// `ipList`
    IpList,
    /// `binary` (base64)
    Binary,
    /// `binaryList` (base64)
    BinaryList,
}

impl ContextType {
    const ALL: [(ContextType, &'static str); 12] = [
        (ContextType::String, "string"),
        (ContextType::StringList, "stringList"),
        (ContextType::Numeric, "numeric"),
        (ContextType::NumericList, "numericList"),
        (ContextType::Boolean, "boolean"),
        (ContextType::BooleanList, "booleanList"),
        (ContextType::Date, "date"),
        (ContextType::DateList, "dateList"),
        (ContextType::Ip, "ip"),
        (ContextType::IpList, "ipList"),
        (ContextType::Binary, "binary"),
        (ContextType::BinaryList, "binaryList"),
    ];

    /// AWS's name for the type.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .unwrap_or("string")
    }

    /// True for the `...List` types, whose keys are multivalued.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            ContextType::StringList
                | ContextType::NumericList
                | ContextType::BooleanList
                | ContextType::DateList
                | ContextType::IpList
                | ContextType::BinaryList
        )
    }

    /// The scalar type of a list type (or the type itself).
    pub fn element(self) -> ContextType {
        match self {
            ContextType::StringList => ContextType::String,
            ContextType::NumericList => ContextType::Numeric,
            ContextType::BooleanList => ContextType::Boolean,
            ContextType::DateList => ContextType::Date,
            ContextType::IpList => ContextType::Ip,
            ContextType::BinaryList => ContextType::Binary,
            scalar => scalar,
        }
    }
}

impl FromStr for ContextType {
    type Err = ContextError;

    /// Accepts AWS's names case-insensitively (`stringList`, `STRING_LIST` is not one).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(t, _)| *t)
            .ok_or_else(|| ContextError::UnknownType(s.to_string()))
    }
}

impl fmt::Display for ContextType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A context value that does not fit its declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// Not one of AWS's ContextKeyType names.
    #[error(
        "unknown context key type `{0}`; expected one of string, stringList, numeric, numericList, boolean, booleanList, date, dateList, ip, ipList, binary, binaryList"
    )]
    UnknownType(String),
    /// A value that does not parse as its type.
    #[error("`{value}` is not a valid {kind} value")]
    InvalidValue {
        /// The declared type.
        kind: ContextType,
        /// The offending value.
        value: String,
    },
    /// Several values for a scalar type.
    #[error("type {0} takes exactly one value")]
    NotAList(ContextType),
    /// Not a principal ARN mlguard understands.
    #[error("`{0}` is not a principal ARN (root, user, role, assumed-role or federated-user)")]
    InvalidPrincipal(String),
}

/// The value of one condition key in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextValue {
    kind: ContextType,
    values: SmallVec<[Box<str>; 1]>,
}

impl ContextValue {
    /// A single string value.
    pub fn string(value: impl Into<Box<str>>) -> Self {
        ContextValue {
            kind: ContextType::String,
            values: SmallVec::from_elem(value.into(), 1),
        }
    }

    /// A single boolean value.
    pub fn boolean(value: bool) -> Self {
        ContextValue {
            kind: ContextType::Boolean,
            values: SmallVec::from_elem(if value { "true" } else { "false" }.into(), 1),
        }
    }

    /// A multivalued string key (`aws:TagKeys`, `kms:EncryptionContextKeys`, ...).
    pub fn string_list<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Box<str>>,
    {
        ContextValue {
            kind: ContextType::StringList,
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// A value of the given type, validated: numbers, dates, IPs, booleans and
    /// base64 must parse, and scalar types take exactly one value.
    pub fn typed<I, S>(kind: ContextType, values: I) -> Result<Self, ContextError>
    where
        I: IntoIterator<Item = S>,
        S: Into<Box<str>>,
    {
        let values: SmallVec<[Box<str>; 1]> = values.into_iter().map(Into::into).collect();
        if !kind.is_list() && values.len() != 1 {
            return Err(ContextError::NotAList(kind));
        }
        for v in &values {
            if !crate::value::valid_for(kind.element(), v) {
                return Err(ContextError::InvalidValue {
                    kind,
                    value: v.to_string(),
                });
            }
        }
        Ok(ContextValue { kind, values })
    }

    /// The declared type.
    pub fn kind(&self) -> ContextType {
        self.kind
    }

    /// The values, as text.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| &**v)
    }

    /// True when a list type holds no values: AWS treats that like a missing key.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The condition keys of one request. Keys are case-insensitive.
///
/// Lookups happen for every condition evaluated, so the map uses foldhash (fast
/// on short keys, seeded per process so request-supplied keys cannot be chosen to
/// collide).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: HashMap<Box<str>, ContextValue, foldhash::fast::RandomState>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a key, replacing any earlier value.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.entries.insert(key.to_ascii_lowercase().into(), value);
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        self.entries.remove(key.to_ascii_lowercase().as_str())
    }

    /// Looks up a key given in lowercase (policies store their keys lowercased).
    pub fn get_lowercase(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(key)
    }

    /// Looks up a key in any case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.entries.get(key.to_ascii_lowercase().as_str())
        } else {
            self.entries.get(key)
        }
    }

    /// The value of a single-valued key, for policy variables. Multivalued keys
    /// cannot be variables, so they resolve to nothing.
    pub fn single_value(&self, key_lowercase: &str) -> Option<&str> {
        let value = self.entries.get(key_lowercase)?;
        if value.kind.is_list() {
            return None;
        }
        value.values.first().map(|v| &**v)
    }

    /// All keys and values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

/// What kind of identity makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User,
    /// A role session (`AssumeRole*`), with the ARN of its role.
    AssumedRole {
        /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`
        role_arn: String,
    },
    /// A federated user session (`GetFederationToken`).
    FederatedUser {
        /// The IAM user who federated, when known.
        user_arn: Option<String>,
    },
    /// An AWS service principal such as `sns.amazonaws.com`.
    Service,
    /// A web identity or SAML federated principal (the provider).
    WebIdentity,
    /// An unauthenticated caller.
    Anonymous,
}

/// The identity that makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The principal's ARN (a service or provider name for those kinds).
    pub arn: String,
    /// The account the principal belongs to.
    pub account: Option<String>,
    /// `arn:PARTITION:iam::ACCOUNT:root`, when the principal has an account.
    pub account_arn: Option<String>,
    /// What kind of identity it is.
    pub kind: PrincipalKind,
}

impl Principal {
    /// Reads a principal ARN: `...:iam::ACCOUNT:root`, `...:iam::ACCOUNT:user/...`,
    /// `...:iam::ACCOUNT:role/...` (a session of that role),
    /// `...:sts::ACCOUNT:assumed-role/ROLE/SESSION` or `...:sts::ACCOUNT:federated-user/NAME`.
    pub fn from_arn(arn: &str) -> Result<Principal, ContextError> {
        let invalid = || ContextError::InvalidPrincipal(arn.to_string());
        let [prefix, partition, service, region, account, resource] =
            split_arn(arn).ok_or_else(invalid)?;
        if prefix != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account)
        {
            return Err(invalid());
        }
        let account_arn = format!("arn:{partition}:iam::{account}:root");
        let kind = match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => PrincipalKind::Root,
            ("iam", Some(("user", name))) if !name.is_empty() => PrincipalKind::User,
            ("iam", Some(("role", name))) if !name.is_empty() => PrincipalKind::AssumedRole {
                role_arn: arn.to_string(),
            },
            ("sts", Some(("assumed-role", rest))) => match rest.split_once('/') {
                Some((role, session)) if !role.is_empty() && !session.is_empty() => {
                    PrincipalKind::AssumedRole {
                        role_arn: format!("arn:{partition}:iam::{account}:role/{role}"),
                    }
                }
                _ => return Err(invalid()),
            },
            ("sts", Some(("federated-user", name))) if !name.is_empty() => {
                PrincipalKind::FederatedUser { user_arn: None }
            }
            _ => return Err(invalid()),
        };
        Ok(Principal {
            arn: arn.to_string(),
            account: Some(account.to_string()),
            account_arn: Some(account_arn),
            kind,
        })
    }

    /// An AWS service principal, e.g. `sns.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal {
            arn: name.to_string(),
            account: None,
            account_arn: None,
            kind: PrincipalKind::Service,
        }
    }

    /// A web identity or SAML principal, by its provider.
    pub fn web_identity(provider: &str) -> Principal {
        Principal {
            arn: provider.to_string(),
            account: None,
            account_arn: None,
            kind: PrincipalKind::WebIdentity,
        }
    }

    /// An unauthenticated caller.
    pub fn anonymous() -> Principal {
        Principal {
            arn: "*".to_string(),
            account: None,
            account_arn: None,
            kind: PrincipalKind::Anonymous,
        }
    }

    /// Sets the role ARN of an assumed-role session whose role has a path.
    pub fn with_role_arn(mut self, role_arn: &str) -> Principal {
        if let PrincipalKind::AssumedRole { role_arn: r } = &mut self.kind {
            *r = role_arn.to_string();
        }
        self
    }

    /// Sets the IAM user behind a federated user session.
    pub fn with_federating_user(mut self, user_arn: &str) -> Principal {
        if let PrincipalKind::FederatedUser { user_arn: u } = &mut self.kind {
            *u = Some(user_arn.to_string());
        }
        self
    }

    /// True for the account's root user.
    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }
}

/// True for a 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut ctx = Context::new();
        ctx.insert("aws:SourceIp", ContextValue::string("1.2.3.4"));
        assert!(ctx.get("AWS:sourceip").is_some());
        assert!(ctx.get_lowercase("aws:sourceip").is_some());
    }

    #[test]
    fn lists_are_not_variables() {
        let mut ctx = Context::new();
        ctx.insert("aws:TagKeys", ContextValue::string_list(["a"]));
        assert_eq!(ctx.single_value("aws:tagkeys"), None);
    }

    #[test]
    fn typed_values_are_validated() {
        assert!(ContextValue::typed(ContextType::Ip, ["203.0.113.7"]).is_ok());
        assert!(ContextValue::typed(ContextType::Ip, ["nope"]).is_err());
        assert!(ContextValue::typed(ContextType::Numeric, ["1", "2"]).is_err());
        assert!(ContextValue::typed(ContextType::DateList, ["2020-01-01", "1577836800"]).is_ok());
        assert!("STRINGLIST".parse::<ContextType>().is_ok());
        assert!("list".parse::<ContextType>().is_err());
    }

    #[test]
    fn principals_from_arns() {
        let s = Principal::from_arn("arn:aws:sts::123456789012:assumed-role/Train/job-1").unwrap();
        assert_eq!(
            s.kind,
            PrincipalKind::AssumedRole {
                role_arn: "arn:aws:iam::123456789012:role/Train".into()
            }
        );
        assert_eq!(
            s.account_arn.as_deref(),
            Some("arn:aws:iam::123456789012:root")
        );
        assert!(
            Principal::from_arn("arn:aws:iam::123456789012:root")
                .unwrap()
                .is_root()
        );
        assert!(Principal::from_arn("arn:aws:iam::12345:user/x").is_err());
        assert!(Principal::from_arn("arn:aws:s3:::bucket").is_err());
    }
}
