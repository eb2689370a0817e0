//! The IAM policy language: parse, compile and evaluate AWS IAM policies exactly as
//! AWS does. Pure: no I/O, no async.
//!
//! ```
//! use mlguard_policy::{authorize, Context, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let policy = Policy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Effect": "Allow",
//!         "Action": "s3:GetObject",
//!         "Resource": "arn:aws:s3:::training-data/${aws:username}/*"
//!     }]
//! }"#, PolicyKind::Managed).unwrap();
//!
//! let principal = Principal::from_arn("arn:aws:iam::123456789012:user/ana").unwrap();
//! let mut context = Context::new();
//! context.insert("aws:username", ContextValue::string("ana"));
//! let request = Request {
//!     principal: &principal,
//!     action: "s3:GetObject",
//!     resource: "arn:aws:s3:::training-data/ana/part-0.parquet",
//!     resource_account: None,
//!     context: &context,
//! };
//! let policies = PolicySet { identity: &[&policy], ..PolicySet::default() };
//! assert_eq!(authorize(&policies, &request).decision, Decision::Allowed);
//! ```

pub mod arn;
pub mod authorize;
pub mod condition;
pub mod context;
pub mod evaluate;
pub mod json;
mod parse;
pub mod policy;
mod template;
mod value;

pub use authorize::{
    Decision, Evaluation, MatchedStatement, PolicySet, PolicySource, Request, Votes, authorize,
};
pub use condition::{BaseOperator, Condition, Family, Operator, SetOperator};
pub use context::{Context, ContextError, ContextType, ContextValue, Principal, PrincipalKind};
pub use evaluate::PrincipalLink;
pub use json::{LineCol, Span};
pub use parse::{ParseError, ParseErrorKind};
pub use policy::{
    ActionBlock, ActionItem, Effect, Policy, PolicyClass, PolicyKind, PrincipalBlock,
    PrincipalEntry, PrincipalType, ResourceBlock, ResourceItem, SizeLimit, Spanned, Statement,
    Version,
};
pub use template::{Template, Variable};
