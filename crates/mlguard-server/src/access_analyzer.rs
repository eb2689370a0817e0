//! IAM Access Analyzer's `ValidatePolicy` (restJson1, `POST
//! /policy/validation`, signing name `access-analyzer`), answered by
//! `mlguard-analyzer`'s checks. Shapes and limits from botocore's
//! `accessanalyzer` model: `policyDocument` and `policyType` required,
//! `policyType`, `locale` and `validatePolicyResourceType` checked against their
//! enums, `maxResults`/`nextToken` in the query string paging the findings.
//! Errors are the model's: `ValidationException` with `reason` and
//! `fieldList`, `AccessDeniedException`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use mlguard_analyzer::validate::{PolicyType, validate};
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
const RESOURCE_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3::MultiRegionAccessPoint",
    "AWS::S3ObjectLambda::AccessPoint",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::DynamoDB::Table",
];

/// The most findings one page returns (and the default page size).
const MAX_PAGE: usize = 100;

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
    let resource_type = text("validatePolicyResourceType")?;
    if let Some(r) = resource_type
        && !RESOURCE_TYPES.contains(&r)
    {
        return Err(invalid(
            "validatePolicyResourceType",
            format!("Invalid resource type: {r}"),
        ));
    }
    let (mut max_results, mut start) = (MAX_PAGE, 0usize);
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
            "nextToken" => {
                start = v
                    .parse::<usize>()
                    .map_err(|_| invalid("nextToken", "Invalid pagination token".into()))?;
            }
            _ => {}
        }
    }
    ctx.authorize_identity("access-analyzer:ValidatePolicy", "*", &|_| {})?;
    let kind = match (policy_type, resource_type) {
        ("IDENTITY_POLICY", _) => PolicyType::Identity,
        ("SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY", _) => PolicyType::ServiceControl,
        _ => PolicyType::Resource,
    };
    // Validation is CPU work whose cost grows with the document: off the
    // async workers, so a large policy slows only its own request.
    let text = document.to_owned();
    let findings = tokio::task::spawn_blocking(move || {
        validate(&text, kind, mlguard_analyzer::Catalog::builtin())
    })
    .await
    .map_err(|_| ApiError::internal("InternalServerException"))?;
    let page: Vec<_> = findings.iter().skip(start).take(max_results).collect();
    let end = start.saturating_add(page.len());
    let response = if end < findings.len() {
        json!({"findings": page, "nextToken": end.to_string()})
    } else {
        json!({"findings": page})
    };
    Ok((json::ok(&ctx.request_id, &response)?, AuditInfo::default()))
}
