//! ARNs: `arn:partition:service:region:account:resource`, split at the first five
//! colons (the resource part may contain more), and ARN patterns matched segment by
//! segment, as the `Resource` element and the `Arn*` condition operators do.

use crate::context::Context;
use crate::template::{Mode, Template};

/// The partitions AWS has. A resource ARN naming any other is malformed.
pub const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Splits an ARN into its six segments. `None` when it has fewer than five colons.
pub fn split_arn(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// A compiled ARN pattern: six templates, matched segment by segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern {
    segments: Box<[Template; 6]>,
}

impl ArnPattern {
    /// Compiles `text` as an ARN pattern, split at its first five colons as written.
    /// Policy variables are recognized only in the resource part (after the fifth
    /// colon), where AWS substitutes them; elsewhere `${...}` is literal text.
    /// `None` when it has fewer than six segments.
    pub(crate) fn new(text: &str, variables: bool) -> Option<ArnPattern> {
        let [a, b, c, d, e, resource] = split_arn(text)?;
        let fixed = |seg: &str| Template::new(seg, Mode::Like, false);
        let segments = Box::new([
            fixed(a),
            fixed(b),
            fixed(c),
            fixed(d),
            fixed(e),
            Template::new(resource, Mode::Like, variables),
        ]);
        Some(ArnPattern { segments })
    }

    /// Matches a request ARN, segment by segment, case-sensitively.
    pub(crate) fn matches(&self, arn: &str, context: &Context) -> bool {
        let Some(value) = split_arn(arn) else {
            return false;
        };
        self.segments
            .iter()
            .zip(value)
            .all(|(pattern, segment)| pattern.matches(segment, context, false))
    }

    /// True when the pattern uses a policy variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.segments.iter().any(Template::has_variables)
    }

    /// The template of segment `index` (0 = `arn`, 5 = resource).
    #[must_use]
    pub fn segment(&self, index: usize) -> Option<&Template> {
        self.segments.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ContextValue;

    fn m(p: &str, v: &str) -> bool {
        ArnPattern::new(p, true)
            .unwrap()
            .matches(v, &Context::new())
    }

    #[test]
    fn segments_do_not_bleed() {
        // The User Guide's ArnLike example: StringLike would match, ArnLike must not.
        assert!(!m(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(m(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"
        ));
        assert!(m(
            "arn:aws:logs:*:*:log-group:/aws/sagemaker/*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/sagemaker/x:log-stream:y"
        ));
        assert!(!m("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key"));
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket"));
        assert!(!m("arn:aws:s3:::*", "*"));
        assert!(ArnPattern::new("arn:aws:s3", true).is_none());
    }

    #[test]
    fn variables_with_colons_stay_in_their_segment() {
        let p = ArnPattern::new("arn:aws:s3:::bucket/${aws:username}/*", true).unwrap();
        let mut ctx = Context::new();
        ctx.insert("aws:username", ContextValue::string("David"));
        assert!(p.matches("arn:aws:s3:::bucket/David/x", &ctx));
        assert!(!p.matches("arn:aws:s3:::bucket/Adele/x", &ctx));
    }
}
