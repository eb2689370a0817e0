//! One HTTP request, end to end: internal routes, body limits, protocol detection,
//! SigV4 authentication, dispatch to a service, the audit event, the response.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use mlguard_audit::{Event, IdentityType, RedactedJson, Resource, UserIdentity};
use mlguard_crypto::RootKey;
use mlguard_sigv4::{HttpRequest, PayloadHash, SigV4Error, VerifyOptions};
use mlguard_store::Store;

use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::context::{PrincipalPolicies, RequestContext, TlsDetails};
use crate::error::ApiError;
use crate::iam::Iam;
use crate::identity::{CallerKind, Credentials};
use crate::kms::{AuditInfo, Kms};
use crate::protocol::{self, Protocol, json};
use crate::sts::Sts;

/// The largest request body accepted (KMS requests are a few kilobytes).
const MAX_BODY: usize = 8 << 20;
/// How long a request's body may take to arrive, all of it.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Keys whose values never reach the audit log, beyond the audit crate's defaults.
const SENSITIVE: &[&str] = &[
    "Signature",
    "Mac",
    "PrivateKeyCiphertextBlob",
    "SourceCiphertextBlob",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "TokenCode",
    "Base32StringSeed",
    "QRCodePNG",
    "RandomPassword",
];

/// The services behind the protocols.
pub struct Engines {
    /// KMS.
    pub kms: Arc<Kms>,
    /// IAM.
    pub iam: Arc<Iam>,
    /// STS.
    pub sts: Arc<Sts>,
    /// Secrets Manager.
    pub secrets: Arc<crate::secrets::Secrets>,
    /// Comprehend's PII operations.
    pub comprehend: Arc<crate::comprehend::Comprehend>,
}

/// (access key id, date, region, service): what a SigV4 signing key depends on.
type SigningScope = (String, String, String, String);

/// How far the server departs from AWS for test suites.
#[derive(Debug, Clone, Copy, Default)]
pub struct Modes {
    /// Any credentials act as root (`--emulate`).
    pub emulate: bool,
    /// The `/_mlguard/` controls are served (`--emulate` or `--test-controls`).
    pub controls: bool,
}

/// Everything a request may need.
pub struct Services {
    /// This server's account.
    pub account_id: String,
    /// This server's region.
    pub region: String,
    /// Emulation mode.
    pub emulate: bool,
    /// The reset, clock and scheduler controls are served (emulation or
    /// `--test-controls`).
    pub controls: bool,
    /// The clock.
    pub clock: Arc<Clock>,
    /// Accepted credentials.
    pub credentials: Arc<Credentials>,
    /// KMS.
    pub kms: Arc<Kms>,
    /// IAM.
    pub iam: Arc<Iam>,
    /// STS.
    pub sts: Arc<Sts>,
    /// Secrets Manager.
    pub secrets: Arc<crate::secrets::Secrets>,
    /// Comprehend's PII operations.
    pub comprehend: Arc<crate::comprehend::Comprehend>,
    /// The root's (empty) policies, shared by every root request.
    no_policies: Arc<PrincipalPolicies>,
    /// The audit trail.
    pub audit: AuditSink,
    /// The store.
    pub store: Arc<Store>,
    /// The root key.
    pub root_key: Arc<RootKey>,
    /// Signing keys by (access key, date, region, service): derived once a day.
    signing_keys: Mutex<HashMap<SigningScope, [u8; 32]>>,
}

impl Services {
    /// Assembles the services.
    #[expect(clippy::too_many_arguments, reason = "assembled once at start-up")]
    pub fn new(
        account_id: String,
        region: String,
        modes: Modes,
        clock: Arc<Clock>,
        credentials: Arc<Credentials>,
        engines: Engines,
        audit: AuditSink,
        store: Arc<Store>,
        root_key: Arc<RootKey>,
    ) -> Services {
        Services {
            account_id,
            region,
            emulate: modes.emulate,
            controls: modes.controls,
            clock,
            credentials,
            kms: engines.kms,
            iam: engines.iam,
            sts: engines.sts,
            secrets: engines.secrets,
            comprehend: engines.comprehend,
            no_policies: Arc::new(PrincipalPolicies::default()),
            audit,
            store,
            root_key,
            signing_keys: Mutex::new(HashMap::new()),
        }
    }
}

/// What the connection tells about a request.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The peer.
    pub peer: SocketAddr,
    /// TLS version and cipher, when TLS.
    pub tls: Option<(String, String)>,
}

fn plain(status: u16, body: &'static str) -> Response<Full<Bytes>> {
    protocol::response(status, "text/plain", "", body.as_bytes().to_vec())
}

fn new_request_id() -> String {
    mlguard_crypto::random::id_uuid()
        .unwrap_or_else(|_| "00000000-0000-4000-8000-000000000000".into())
}

/// Handles one request. Never fails: every error becomes a response.
pub async fn handle(
    services: Arc<Services>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if let Some(response) = internal_route(&services, &req) {
        return response;
    }
    let request_id = new_request_id();
    let (parts, body) = req.into_parts();
    // (From the headers and URL alone: an unread body's error has its shape too.)
    let protocol = Protocol::detect(&parts.headers, parts.uri.query());
    let read = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect());
    let body = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => {
            let error = ApiError::new(
                413,
                "RequestEntityTooLarge",
                format!("Request body exceeds {MAX_BODY} bytes."),
            );
            return protocol.error_response(&request_id, &error);
        }
        Err(_) => {
            let error = ApiError::new(
                408,
                "RequestTimeout",
                format!(
                    "The request body was not received within {} seconds.",
                    BODY_TIMEOUT.as_secs()
                ),
            );
            return protocol.error_response(&request_id, &error);
        }
    };
    let outcome = serve(&services, &conn, &parts, &body, protocol, &request_id).await;
    match outcome {
        Ok(response) => response,
        Err(error) => protocol.error_response(&request_id, &error),
    }
}

/// Health, and with test controls the reset, clock and scheduler controls.
fn internal_route(
    services: &Arc<Services>,
    req: &Request<Incoming>,
) -> Option<Response<Full<Bytes>>> {
    let path = req.uri().path();
    if path == "/_mlguard/health" && req.method() == Method::GET {
        return Some(plain(200, "ok\n"));
    }
    let controls = path.starts_with("/_mlguard/") || path == "/moto-api/reset";
    if !controls {
        return None;
    }
    if !services.controls {
        return Some(plain(
            404,
            "not found: test controls exist only with --emulate or --test-controls\n",
        ));
    }
    if req.method() != Method::POST {
        return Some(plain(405, "use POST\n"));
    }
    match path {
        "/_mlguard/reset" | "/moto-api/reset" => {
            // Service data only: the server's root credentials, audit signer and
            // metadata survive a reset, as the audit log itself does.
            if let Err(e) = services.store.wipe_kinds(RESET_KINDS) {
                tracing::error!("reset: {e}");
                return Some(plain(500, "reset failed\n"));
            }
            services.kms.reset();
            services.iam.reset();
            services.secrets.reset();
            services.credentials.clear_non_root();
            if let Ok(mut keys) = services.signing_keys.lock() {
                keys.clear();
            }
            services.clock.reset();
            Some(plain(200, "reset\n"))
        }
        "/_mlguard/clock" => {
            let advance = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("advance=")))
                .and_then(|v| v.parse::<i64>().ok());
            match advance {
                Some(secs) => {
                    services.clock.advance(secs);
                    Some(plain(200, "advanced\n"))
                }
                None => Some(plain(400, "use /_mlguard/clock?advance=SECONDS\n")),
            }
        }
        "/_mlguard/scheduler/run" => match services
            .sts
            .expire()
            .and_then(|_| services.iam.persist_key_use())
            .and_then(|_| services.secrets.run_scheduled())
            .and_then(|_| services.kms.run_scheduled())
        {
            Ok(_) => Some(plain(200, "ran\n")),
            Err(_) => Some(plain(500, "scheduler failed\n")),
        },
        _ => Some(plain(404, "not found\n")),
    }
}

/// An authenticated caller.
struct Authenticated {
    credential: Arc<crate::identity::Credential>,
    region: String,
    service: String,
}

/// Checks the request's SigV4 signature and finds its caller.
fn authenticate(
    services: &Services,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<Authenticated, SigV4Error> {
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let request = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
    };
    let auth = mlguard_sigv4::parse_auth(&request)?;
    // Another region is served as its own (keys, secrets are per region);
    // a scope that cannot be a region is refused, as AWS refuses it.
    if !crate::config::valid_region(&auth.region) {
        return Err(SigV4Error::WrongRegion {
            region: auth.region.clone(),
            expected: services.region.clone(),
            location: auth.location,
        });
    }
    let now = services.clock.now();
    if services.emulate {
        // Emulation accepts any well-formed credentials as the account's root.
        let credential = services
            .credentials
            .root()
            .ok_or_else(|| SigV4Error::unknown_access_key(auth.access_key_id.clone()))?;
        return Ok(Authenticated {
            credential,
            region: auth.region.clone(),
            service: auth.service.clone(),
        });
    }
    let credential = services
        .credentials
        .get(&auth.access_key_id)
        .ok_or_else(|| SigV4Error::unknown_access_key(auth.access_key_id.clone()))?;
    // Temporary credentials must come with their session token, and only until
    // they expire; long-term keys must come without one.
    match (&credential.caller.session, &auth.session_token) {
        (Some(session), Some(token)) => {
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                session.token.as_bytes(),
                token.as_bytes(),
            )
            .is_err()
            {
                return Err(SigV4Error::invalid_security_token());
            }
            if now >= session.expires {
                return Err(SigV4Error::expired_token());
            }
        }
        (None, None) => {}
        _ => return Err(SigV4Error::invalid_security_token()),
    }
    let cache_key = (
        auth.access_key_id.clone(),
        auth.scope_date.clone(),
        auth.region.clone(),
        auth.service.clone(),
    );
    let key = {
        let cached = services
            .signing_keys
            .lock()
            .ok()
            .and_then(|m| m.get(&cache_key).copied());
        match cached {
            Some(k) => k,
            None => {
                let k = mlguard_sigv4::signing_key(
                    &credential.secret,
                    &auth.scope_date,
                    &auth.region,
                    &auth.service,
                );
                if let Ok(mut m) = services.signing_keys.lock() {
                    if m.len() > 10_000 {
                        m.clear();
                    }
                    m.insert(cache_key, k);
                }
                k
            }
        }
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    let payload = if auth.service == "s3" {
        mlguard_sigv4::declared_payload_hash(&request)
            .map_or(PayloadHash::Computed(hash), PayloadHash::Declared)
    } else {
        PayloadHash::Computed(hash)
    };
    let options = VerifyOptions {
        now,
        max_skew_secs: Some(max_skew_secs(&auth.service)),
        expected_region: None,
        expected_service: None,
    };
    mlguard_sigv4::verify(&request, &auth, payload, &key, &options)?;
    if auth.service == "iam" && !may_call_iam(&credential.caller) {
        return Err(SigV4Error::invalid_security_token());
    }
    Ok(Authenticated {
        credential,
        region: auth.region.clone(),
        service: auth.service.clone(),
    })
}

/// GetSessionToken's credentials cannot call IAM unless the session was
/// authenticated with MFA; IAM answers them as it does an unknown token
/// (`InvalidClientTokenId`, "The security token included in the request is
/// invalid"). Assumed-role sessions and long-term keys are not limited here.
fn may_call_iam(caller: &crate::identity::Caller) -> bool {
    match &caller.session {
        Some(session) if caller.kind != crate::identity::CallerKind::AssumedRole => {
            session.mfa_authenticated_at.is_some()
        }
        _ => true,
    }
}

/// How far a request's signing time may be from the server's clock. The newer
/// JSON-protocol services (KMS, Secrets Manager) allow five minutes either way —
/// "(… - 5 min.)" in their errors, e.g. boto/botocore#3587 — and S3, IAM and STS
/// fifteen.
fn max_skew_secs(service: &str) -> u64 {
    match service {
        "kms" | "secretsmanager" => 5 * 60,
        _ => 15 * 60,
    }
}

/// An awsJson service: its SigV4 signing name, its `X-Amz-Target` prefix, and its
/// name in messages.
struct JsonService {
    service: &'static str,
    target_prefix: &'static str,
    title: &'static str,
}

/// The awsJson services served.
const JSON_SERVICES: &[JsonService] = &[
    JsonService {
        service: "kms",
        target_prefix: "TrentService",
        title: "KMS",
    },
    JsonService {
        service: "secretsmanager",
        target_prefix: "secretsmanager",
        title: "Secrets Manager",
    },
    JsonService {
        service: "comprehend",
        target_prefix: "Comprehend_20171127",
        title: "Comprehend",
    },
];

/// The awsJson service a request was signed for.
fn json_service_signed(signing_name: &str) -> Option<&'static JsonService> {
    JSON_SERVICES.iter().find(|s| s.service == signing_name)
}

/// Records that emulation's reset deletes: every service's data.
const RESET_KINDS: &[&str] = &["kms.", "iam.", "sts.", "secretsmanager."];

fn header(parts: &http::request::Parts, name: &str) -> String {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn serve(
    services: &Arc<Services>,
    conn: &ConnInfo,
    parts: &http::request::Parts,
    body: &Bytes,
    protocol: Protocol,
    request_id: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let family = protocol.sigv4_family();
    let auth = match authenticate(services, parts, body) {
        Ok(a) => a,
        Err(e) => {
            let error = ApiError::new(
                e.http_status(family),
                e.aws_code(family),
                e.aws_message(family),
            );
            record_unauthenticated(services, conn, parts, protocol, request_id, &error);
            return Err(error);
        }
    };
    let source_ip: IpAddr = conn.peer.ip();
    let user_agent = header(parts, "user-agent");
    let tls = conn.tls.as_ref().map(|(version, cipher)| TlsDetails {
        version: version.clone(),
        cipher_suite: cipher.clone(),
        host: header(parts, "host"),
    });
    let mut query = None;
    let (service, operation) = match (protocol, auth.service.as_str()) {
        (Protocol::Json, signed) if let Some(served) = json_service_signed(signed) => {
            match json::target(&parts.headers) {
                Some((prefix, op)) if prefix == served.target_prefix => {
                    (served.service, op.to_string())
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "UnknownOperationException",
                        format!(
                            "The X-Amz-Target header does not name a {} operation.",
                            served.title
                        ),
                    ));
                }
            }
        }
        (Protocol::RestJson, "access-analyzer") => {
            let op = match (parts.method.as_str(), parts.uri.path()) {
                ("POST", "/policy/validation") => "ValidatePolicy",
                _ => {
                    return Err(ApiError::new(
                        404,
                        "UnknownOperationException",
                        format!(
                            "{} {} is not an Access Analyzer operation this mlguard serves (ValidatePolicy).",
                            parts.method,
                            parts.uri.path()
                        ),
                    ));
                }
            };
            ("access-analyzer", op.to_string())
        }
        (Protocol::Query, svc @ ("iam" | "sts")) => {
            let mut params = mlguard_wire::query::QueryParams::parse(body);
            if let Some(q) = parts.uri.query() {
                params.extend_from(q.as_bytes());
            }
            let action = params.get("Action").unwrap_or_default().to_string();
            query = Some(params);
            (if svc == "iam" { "iam" } else { "sts" }, action)
        }
        (_, other) => {
            return Err(ApiError::bad_request(
                "UnknownServiceException",
                format!(
                    "Service '{other}' is not served by this mlguard (available: kms, iam, sts, secretsmanager, comprehend, access-analyzer)."
                ),
            ));
        }
    };
    let caller = Arc::clone(&auth.credential.caller);
    let policies = if caller.entity.is_some() {
        services
            .iam
            .policies_for(&auth.credential.access_key_id, &caller)
    } else {
        Arc::clone(&services.no_policies)
    };
    services.iam.note_key_use(
        &auth.credential.access_key_id,
        service,
        &auth.region,
        services.clock.now(),
    );
    let ctx = RequestContext {
        request_id: request_id.to_string(),
        caller,
        access_key_id: auth.credential.access_key_id.clone(),
        region: auth.region.clone(),
        source_ip,
        user_agent,
        secure_transport: conn.tls.is_some(),
        tls,
        now: services.clock.now(),
        protocol,
        operation: operation.clone(),
        policies,
    };
    let result = match (service, query) {
        ("kms", _) => services.kms.handle(&ctx, &operation, body).await,
        ("secretsmanager", _) => services.secrets.handle(&ctx, &operation, body).await,
        ("comprehend", _) => services.comprehend.handle(&ctx, &operation, body).await,
        ("access-analyzer", _) => {
            crate::access_analyzer::handle(&ctx, &operation, parts.uri.query(), body).await
        }
        ("iam", Some(params)) => services.iam.handle(&ctx, &operation, params).await,
        ("sts", Some(params)) => services.sts.handle(&ctx, &operation, params).await,
        _ => Err(ApiError::internal("InternalFailure")),
    };
    let (response, audit, error) = match result {
        Ok((response, audit)) => (Ok(response), audit, None),
        Err(error) => {
            let e = error.clone();
            (Err(error), AuditInfo::default(), Some(e))
        }
    };
    let source = format!("{service}.amazonaws.com");
    let request = Recorded {
        body,
        url_query: parts.uri.query(),
    };
    record(services, &ctx, &source, &request, audit, error.as_ref());
    response
}

/// What a request carried that its audit event records.
struct Recorded<'r> {
    body: &'r [u8],
    /// The URL's query string: the query protocol reads parameters there too.
    url_query: Option<&'r str>,
}

/// The caller of a request as CloudTrail's `userIdentity`.
pub(crate) fn identity_of(ctx: &RequestContext) -> UserIdentity {
    let caller = &ctx.caller;
    let mut identity = UserIdentity::new(match caller.kind {
        CallerKind::Root => IdentityType::Root,
        CallerKind::User => IdentityType::IamUser,
        CallerKind::AssumedRole => IdentityType::AssumedRole,
    });
    identity.principal_id = Some(caller.user_id.clone());
    identity.arn = Some(caller.arn.clone());
    identity.account_id = Some(caller.account_id.clone());
    identity.access_key_id = Some(ctx.access_key_id.clone());
    identity.user_name = caller.username.clone();
    identity
}

pub(crate) fn event_time(secs: i64) -> mlguard_audit::OffsetDateTime {
    mlguard_audit::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(mlguard_audit::OffsetDateTime::UNIX_EPOCH)
}

fn record(
    services: &Services,
    ctx: &RequestContext,
    source: &str,
    request: &Recorded<'_>,
    audit: AuditInfo,
    error: Option<&ApiError>,
) {
    let body = request.body;
    let mut event = Event::new(source, &ctx.operation, &ctx.region, identity_of(ctx));
    event.event_time = event_time(ctx.now);
    event.source_ip_address = ctx.source_ip.to_string();
    event.user_agent = ctx.user_agent.clone();
    event.request_id = ctx.request_id.clone();
    event.read_only = match (ctx.protocol, source) {
        (Protocol::Query, _) => crate::iam::is_read_only(&ctx.operation),
        (_, "secretsmanager.amazonaws.com") => crate::secrets::is_read_only(&ctx.operation),
        (_, "comprehend.amazonaws.com" | "access-analyzer.amazonaws.com") => true,
        _ => crate::kms::is_read_only(&ctx.operation),
    };
    event.recipient_account_id = services.account_id.clone();
    event.request_parameters = match ctx.protocol {
        Protocol::Query => {
            let params = query_parameters(body, request.url_query);
            serde_json::to_vec(&params)
                .ok()
                .and_then(|b| RedactedJson::from_request_body(&b, SENSITIVE, &[]))
        }
        _ if source == "access-analyzer.amazonaws.com" => {
            RedactedJson::from_request_body(body, SENSITIVE, &[])
        }
        _ if source == "comprehend.amazonaws.com" => {
            RedactedJson::from_request_body(body, crate::comprehend::SENSITIVE, &[])
        }
        _ if source == "secretsmanager.amazonaws.com" => RedactedJson::from_request_body(
            body,
            SENSITIVE,
            mlguard_wire::secretsmanager::MAP_MEMBERS,
        ),
        _ => RedactedJson::from_request_body(body, SENSITIVE, mlguard_wire::kms::MAP_MEMBERS),
    };
    event.response_elements = audit
        .response_elements
        .map(|r| RedactedJson::new(r, SENSITIVE));
    if !audit.resources.is_empty() {
        event.resources = Some(
            audit
                .resources
                .into_iter()
                .map(|(arn, kind, account)| Resource {
                    arn,
                    account_id: Some(account),
                    resource_type: Some(kind.to_string()),
                })
                .collect(),
        );
    }
    if let Some(e) = error {
        event.error_code = Some(e.code.clone());
        event.error_message = e.message.clone();
    }
    event.tls_details = ctx.tls.as_ref().map(|t| mlguard_audit::TlsDetails {
        tls_version: t.version.clone(),
        cipher_suite: t.cipher_suite.clone(),
        client_provided_host_header: Some(t.host.clone()),
    });
    services.audit.record(event);
}

/// Requests that fail authentication are audited too, with an unknown identity.
fn record_unauthenticated(
    services: &Services,
    conn: &ConnInfo,
    parts: &http::request::Parts,
    protocol: Protocol,
    request_id: &str,
    error: &ApiError,
) {
    let (source, name) = match protocol {
        Protocol::Json => match json::target(&parts.headers) {
            Some((prefix, op)) => match JSON_SERVICES.iter().find(|s| s.target_prefix == prefix) {
                Some(served) => (format!("{}.amazonaws.com", served.service), op.to_string()),
                None => ("unknown".to_string(), op.to_string()),
            },
            None => ("unknown".to_string(), "Unknown".to_string()),
        },
        _ => ("unknown".to_string(), "Unknown".to_string()),
    };
    let mut identity = UserIdentity::new(IdentityType::Unknown);
    identity.account_id = Some(services.account_id.clone());
    let mut event = Event::new(&source, &name, &services.region, identity);
    event.event_time = event_time(services.clock.now());
    event.source_ip_address = conn.peer.ip().to_string();
    event.user_agent = header(parts, "user-agent");
    event.request_id = request_id.to_string();
    event.error_code = Some(error.code.clone());
    event.error_message = error.message.clone();
    event.recipient_account_id = services.account_id.clone();
    services.audit.record(event);
}

/// An awsQuery form as CloudTrail shows it: `Tags.member.1.Key=a` becomes
/// `{"Tags": [{"Key": "a"}]}` (names are camelCased by the audit crate);
/// `Action` and `Version` are the event's name, not parameters.
fn query_parameters(body: &[u8], url_query: Option<&str>) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut root = Value::Object(Map::new());
    // The parameters as the operation read them ([`QueryParams`]): the
    // body's, then the URL's, a repeated key keeping its first value.
    let mut seen = std::collections::HashSet::new();
    let url = form_urlencoded::parse(url_query.unwrap_or_default().as_bytes());
    for (key, value) in form_urlencoded::parse(body).chain(url) {
        // (A presigned request's `X-Amz-*` are its signature, credential and
        // session token, not parameters: never recorded.)
        let signing = key
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
        if key == "Action" || key == "Version" || signing || !seen.insert(key.clone()) {
            continue;
        }
        let mut node = &mut root;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            // `member.N` / `entry.N` index a list.
            if (part == "member" || part == "entry")
                && let Some(index) = parts.peek().and_then(|n| n.parse::<usize>().ok())
            {
                parts.next();
                let list_last = parts.peek().is_none();
                if !node.is_array() {
                    *node = Value::Array(Vec::new());
                }
                let Value::Array(items) = node else { break };
                let i = index.saturating_sub(1).min(1_000);
                while items.len() <= i {
                    items.push(Value::Null);
                }
                let Some(slot) = items.get_mut(i) else { break };
                if list_last {
                    *slot = Value::String(value.to_string());
                    break;
                }
                node = slot;
                continue;
            }
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(map) = node else { break };
            if last {
                map.insert(part.to_string(), Value::String(value.to_string()));
                break;
            }
            node = map.entry(part.to_string()).or_insert(Value::Null);
        }
    }
    root
}
