//! Amazon Comprehend's real-time PII operations, `DetectPiiEntities` and
//! `ContainsPiiEntities` (awsJson1_1, `Comprehend_20171127.*`), answered by the
//! `mlguard-pii` engine. Design and the evidence for each behaviour:
//! `docs/pii.md`.
//!
//! - Text: at most 100,000 UTF-8 bytes, else `TextSizeLimitExceededException`
//!   with AWS's message; empty text is the model's `ValidationException`.
//! - Languages: the model's enum is validated first; of its values AWS serves
//!   `en` and `es` for detection and only `en` for labels, and answers the rest
//!   with a `ValidationException` worded as its service does.
//! - Offsets are in characters (Unicode code points), `EndOffset` exclusive;
//!   scores are float32 values, as AWS returns them.
//! - Authorized as `comprehend:<Operation>` on `*` (the actions have no
//!   resource types); the text never reaches the audit log.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use mlguard_pii::{Detector, Finding, PiiType};
use mlguard_wire::comprehend as w;

use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::protocol::json;

/// AWS's limit on `Text`, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 100_000;

/// Texts above this many bytes are scanned off the async workers.
const INLINE_BYTES: usize = 16 * 1024;

/// The Comprehend PII service.
pub struct Comprehend {
    detector: Arc<Detector>,
}

/// Request members whose values are the caller's text: hidden in the audit log.
pub const SENSITIVE: &[&str] = &["Text"];

impl Comprehend {
    /// A service answering with `detector`.
    #[must_use]
    pub fn new(detector: Arc<Detector>) -> Comprehend {
        Comprehend { detector }
    }

    /// Serves one operation.
    pub async fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
        let id = ctx.request_id.clone();
        match operation {
            "DetectPiiEntities" => {
                let request: w::DetectPiiEntitiesRequest = json::decode(body)?;
                let (text, language) = (request.text, request.language_code);
                ctx.authorize_identity(&format!("comprehend:{operation}"), "*", &|_| {})?;
                let text = checked_text(text, language.as_deref(), &["en", "es"])?;
                let entities = self.entities(text).await?;
                let response = w::DetectPiiEntitiesResponse {
                    entities: Some(entities),
                };
                Ok((json::ok(&id, &response)?, AuditInfo::default()))
            }
            "ContainsPiiEntities" => {
                let request: w::ContainsPiiEntitiesRequest = json::decode(body)?;
                let (text, language) = (request.text, request.language_code);
                ctx.authorize_identity(&format!("comprehend:{operation}"), "*", &|_| {})?;
                let text = checked_text(text, language.as_deref(), &["en"])?;
                let entities = self.entities(text).await?;
                let response = w::ContainsPiiEntitiesResponse {
                    labels: Some(labels(&entities)),
                };
                Ok((json::ok(&id, &response)?, AuditInfo::default()))
            }
            other if w::MODEL_OPERATIONS.contains(&other) => Err(ApiError::bad_request(
                "NotImplemented",
                format!(
                    "mlguard does not serve Comprehend's {other}; it serves DetectPiiEntities and ContainsPiiEntities."
                ),
            )),
            other => Err(ApiError::bad_request(
                "UnknownOperationException",
                format!("Unknown operation {other}"),
            )),
        }
    }

    /// Detects in `text` (on the blocking pool when it is long) and converts
    /// the findings to Comprehend's entities.
    async fn entities(&self, text: String) -> Result<Vec<w::PiiEntity>, ApiError> {
        if text.len() <= INLINE_BYTES {
            return Ok(to_entities(&text, &self.detector.detect(&text)));
        }
        let detector = Arc::clone(&self.detector);
        tokio::task::spawn_blocking(move || to_entities(&text, &detector.detect(&text)))
            .await
            .map_err(|_| ApiError::internal("InternalServerException"))
    }
}

/// Validates `Text` and `LanguageCode` beyond the model: the size limit and the
/// languages the operation supports.
fn checked_text(
    text: Option<String>,
    language: Option<&str>,
    supported: &[&str],
) -> Result<String, ApiError> {
    let text = text.unwrap_or_default();
    if text.len() > MAX_TEXT_BYTES {
        return Err(ApiError::bad_request(
            "TextSizeLimitExceededException",
            format!(
                "Input text size exceeds limit. Max length of request text allowed is {MAX_TEXT_BYTES} bytes while in this request the text size is {} bytes",
                text.len()
            ),
        ));
    }
    let language = language.unwrap_or_default();
    if !supported.contains(&language) {
        // AWS's wording, without the space before "failed".
        return Err(ApiError::validation(format!(
            "Value '{language}' at 'languageCode'failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            supported.join(", ")
        )));
    }
    Ok(text)
}

/// Findings as Comprehend's entities: character offsets, float32 scores, and
/// only the types Comprehend reports.
fn to_entities(text: &str, found: &[Finding]) -> Vec<w::PiiEntity> {
    let mut out = Vec::with_capacity(found.len());
    // Findings are ordered by start: count characters once, walking forward.
    let mut byte = 0;
    let mut chars = 0usize;
    let mut advance = |to: usize| -> usize {
        if to > byte {
            chars += text.get(byte..to).map_or(0, |s| s.chars().count());
            byte = to;
        }
        chars
    };
    for f in found {
        let Some(t) = f.pii_type().filter(|t| t.is_comprehend()) else {
            continue;
        };
        let begin = advance(f.start);
        let end = advance(f.end);
        out.push(w::PiiEntity {
            score: Some(f64::from(f.score)),
            r#type: Some(t.as_str().to_owned()),
            begin_offset: Some(i32::try_from(begin).unwrap_or(i32::MAX)),
            end_offset: Some(i32::try_from(end).unwrap_or(i32::MAX)),
        });
    }
    out
}

/// One label per type found, scored by its most confident entity.
fn labels(entities: &[w::PiiEntity]) -> Vec<w::EntityLabel> {
    let mut best: Vec<(PiiType, f64)> = Vec::new();
    for e in entities {
        let Some(t) = e.r#type.as_deref().and_then(PiiType::from_name) else {
            continue;
        };
        let score = e.score.unwrap_or(0.0);
        match best.iter_mut().find(|(k, _)| *k == t) {
            Some((_, s)) => *s = s.max(score),
            None => best.push((t, score)),
        }
    }
    best.sort_by_key(|(t, _)| *t);
    best.into_iter()
        .map(|(t, score)| w::EntityLabel {
            name: Some(t.as_str().to_owned()),
            score: Some(score),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_characters_and_scores_float32() {
        let d = Detector::with_defaults();
        let text = "Grüße von Zoë: email zoe@example.com";
        let found = d.detect(text);
        let e = to_entities(text, &found);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].r#type.as_deref(), Some("EMAIL"));
        let begin = text.chars().position(|c| c == 'z').unwrap_or_default();
        assert_eq!(e[0].begin_offset, Some(i32::try_from(begin).unwrap_or(0)));
        assert_eq!(
            e[0].end_offset,
            Some(i32::try_from(text.chars().count()).unwrap_or(0))
        );
        assert_eq!(e[0].score, Some(f64::from(0.95f32)));
    }

    #[test]
    fn limits_and_languages() {
        let big = "a".repeat(MAX_TEXT_BYTES + 1);
        let e = checked_text(Some(big), Some("en"), &["en"]).unwrap_err();
        assert_eq!(e.code, "TextSizeLimitExceededException");
        assert!(
            e.message
                .as_deref()
                .unwrap_or_default()
                .contains("100000 bytes while in this request the text size is 100001 bytes")
        );
        assert!(checked_text(Some("a".repeat(MAX_TEXT_BYTES)), Some("en"), &["en"]).is_ok());
        let e = checked_text(Some("x".into()), Some("fr"), &["en", "es"]).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Value 'fr' at 'languageCode'failed to satisfy constraint: Member must satisfy enum value set: [en, es]"
            )
        );
    }
}
