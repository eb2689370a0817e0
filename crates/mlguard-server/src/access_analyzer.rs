//! IAM Access Analyzer's `ValidatePolicy` (restJson1, `POST
//! /policy/validation`, signing name `access-analyzer`), answered by
//! `mlguard-analyzer`'s checks. Shapes and limits from botocore's
//! `accessanalyzer` model: `policyDocument` and `policyType` required,
//! `policyType`, `locale` and `validatePolicyResourceType` checked against their
//! enums (a resource policy is judged for its resource type, a resource control
//! policy by the RCP rules), `maxResults`/`nextToken` in the query string paging
//! the findings (opaque tokens; one that names no page of this document is a
//! `ValidationException`).
//! Errors are the model's: `ValidationException` with `reason` and
//! `fieldList`, `AccessDeniedException`.

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use mlguard_analyzer::validate::{PolicyType, ResourceType, validate};
use serde_json::{Value, json};

use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::protocol::json;

const POLICY_TYPES: &[&str] = &[
    "IDENTITY_POLICY",
    "RESOURCE_POLICY",
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
];
const LOCALES: &[&str] = &[
    "DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW",
];

/// The most findings one page returns (and the default page size).
const MAX_PAGE: usize = 100;

/// What a page token says before it is encoded: the offset of the next page.
const TOKEN_PREFIX: &str = "mlguard-validate-policy:";

/// The token of the page that starts at finding `offset`.
fn page_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{offset}"))
}

/// The offset a token names, if it is one of ours.
fn page_offset(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix(TOKEN_PREFIX)?
        .parse()
        .ok()
}

fn bad_token() -> ApiError {
    invalid("nextToken", "Invalid pagination token".into())
}

fn invalid(field: &str, message: String) -> ApiError {
    let mut e = ApiError::bad_request("ValidationException", message.clone());
    e.extra = Some(
        json!({"reason": "fieldValidationFailed", "fieldList": [{"name": field, "message": message}]}),
    );
    e
}

/// Serves one operation (`operation` from the method and path).
pub async fn handle(
    ctx: &RequestContext,
    operation: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
    if operation != "ValidatePolicy" {
        return Err(ApiError::new(
            404,
            "UnknownOperationException",
            "The operation is not served by this mlguard.",
        ));
    }
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|_| {
            ApiError::bad_request(
                "SerializationException",
                "The request body is not valid JSON.",
            )
        })?
    };
    let field = |name: &str| request.get(name).filter(|v| !v.is_null());
    let text = |name: &str| -> Result<Option<&str>, ApiError> {
        match field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(
                "SerializationException",
                format!("{name} must be a string."),
            )),
        }
    };
    let document = text("policyDocument")?
        .ok_or_else(|| invalid("policyDocument", "policyDocument is required".into()))?;
    let policy_type = text("policyType")?
        .ok_or_else(|| invalid("policyType", "policyType is required".into()))?;
    if !POLICY_TYPES.contains(&policy_type) {
        return Err(invalid(
            "policyType",
            format!(
                "Invalid policy type: {policy_type}; must be one of {}",
                POLICY_TYPES.join(", ")
            ),
        ));
    }
    if let Some(l) = text("locale")?
        && !LOCALES.contains(&l)
    {
        return Err(invalid("locale", format!("Invalid locale: {l}")));
    }
    let resource_type = match text("validatePolicyResourceType")? {
        None => None,
        Some(r) => Some(ResourceType::from_aws_name(r).ok_or_else(|| {
            invalid(
                "validatePolicyResourceType",
                format!("Invalid resource type: {r}"),
            )
        })?),
    };
    let (mut max_results, mut start) = (MAX_PAGE, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "maxResults" => {
                max_results = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        invalid(
                            "maxResults",
                            format!("maxResults must be between 1 and {MAX_PAGE}"),
                        )
                    })?;
            }
            "nextToken" => start = Some(page_offset(&v).ok_or_else(bad_token)?),
            _ => {}
        }
    }
    ctx.authorize_identity("access-analyzer:ValidatePolicy", "*", &|_| {})?;
    // The resource type refines only a resource policy (the model: "Specify
    // a value ... only if the policy type is RESOURCE_POLICY").
    let kind = match (policy_type, resource_type) {
        ("IDENTITY_POLICY", _) => PolicyType::Identity,
        ("SERVICE_CONTROL_POLICY", _) => PolicyType::ServiceControl,
        ("RESOURCE_CONTROL_POLICY", _) => PolicyType::ResourceControl,
        (_, Some(t)) => PolicyType::ResourceOf(t),
        (_, None) => PolicyType::Resource,
    };
    // Validation is CPU work whose cost grows with the document: off the
    // async workers, so a large policy slows only its own request.
    let text = document.to_owned();
    let findings = tokio::task::spawn_blocking(move || {
        validate(&text, kind, mlguard_analyzer::Catalog::builtin())
    })
    .await
    .map_err(|_| ApiError::internal("InternalServerException"))?;
    // A token names a page this document has: past its findings (or at 0,
    // which no token names) it is not one of ours.
    let start = match start {
        None => 0,
        Some(n) if n > 0 && n < findings.len() => n,
        Some(_) => return Err(bad_token()),
    };
    let page: Vec<_> = findings.iter().skip(start).take(max_results).collect();
    let end = start.saturating_add(page.len());
    let response = if end < findings.len() {
        json!({"findings": page, "nextToken": page_token(end)})
    } else {
        json!({"findings": page})
    };
    Ok((json::ok(&ctx.request_id, &response)?, AuditInfo::default()))
}
