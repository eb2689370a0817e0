//! A small client for AWS's awsJson1_1 services (KMS first): credentials found the
//! way the AWS CLI finds them (environment, shared credentials and config files,
//! profiles), requests signed with SigV4, sent over HTTPS with keep-alive.
//!
//! It is what `mlguard encrypt`/`decrypt` and the benchmarks use, against mlguard
//! or real AWS. It deliberately does not do SSO or role assumption; export such
//! credentials to the environment first (`aws configure export-credentials`).

pub mod credentials;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mlguard_sigv4::{PayloadHash, SigningScope, authorization_header, signing_key};
use serde_json::Value;

pub use credentials::{Credentials, Profile, resolve};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error.
    #[error("{code}: {message}")]
    Service {
        /// HTTP status.
        status: u16,
        /// AWS error code.
        code: String,
        /// Message.
        message: String,
    },
    /// No credentials, region or endpoint could be found, or a file was unreadable.
    #[error("{0}")]
    Config(String),
    /// The connection failed.
    #[error("request to {endpoint} failed: {detail}")]
    Transport {
        /// Where.
        endpoint: String,
        /// What happened.
        detail: String,
    },
    /// The response was not what the protocol promises.
    #[error("malformed response: {0}")]
    Protocol(String),
}

/// Where and as whom to call.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host:port` (or `http://`).
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// The credentials.
    pub credentials: Credentials,
    /// Extra CA certificates (PEM), e.g. mlguard's `tls/ca.pem` (`AWS_CA_BUNDLE`).
    pub ca_bundle: Option<std::path::PathBuf>,
}

/// A scope date and its signing key.
type CachedKey = (String, zeroize::Zeroizing<[u8; 32]>);

/// An awsJson1_1 client for one service.
#[derive(Clone)]
pub struct JsonClient {
    http: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    connector: hyper_rustls::HttpsConnector<HttpConnector>,
    config: Arc<ClientConfig>,
    service: &'static str,
    target_prefix: &'static str,
    host: String,
    path: String,
    /// The day's signing key, derived once per scope date (it is the secret's
    /// HMAC chain over date, region and service, and changes only at midnight).
    signing_key: Arc<std::sync::Mutex<Option<CachedKey>>>,
}

fn tls_config(ca_bundle: Option<&Path>) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots_store());
    if let Some(path) = ca_bundle {
        let pem = std::fs::read(path)
            .map_err(|e| ClientError::Config(format!("CA bundle {}: {e}", path.display())))?;
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert
                .map_err(|e| ClientError::Config(format!("CA bundle {}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| ClientError::Config(format!("CA bundle {}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn webpki_roots_store() -> impl Iterator<Item = rustls::pki_types::TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS.iter().cloned()
}

impl JsonClient {
    /// A client for `service` (signing name, e.g. `kms`) whose operations are
    /// `target_prefix.Operation` (e.g. `TrentService`).
    pub fn new(
        config: ClientConfig,
        service: &'static str,
        target_prefix: &'static str,
    ) -> Result<JsonClient, ClientError> {
        let uri: http::Uri = config
            .endpoint
            .parse()
            .map_err(|e| ClientError::Config(format!("endpoint `{}`: {e}", config.endpoint)))?;
        let host = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .ok_or_else(|| {
                ClientError::Config(format!("endpoint `{}` has no host", config.endpoint))
            })?;
        let path = match uri.path() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        let tls = tls_config(config.ca_bundle.as_deref())?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(connector.clone());
        Ok(JsonClient {
            http,
            connector,
            config: Arc::new(config),
            service,
            target_prefix,
            signing_key: Arc::default(),
            host,
            path,
        })
    }

    /// Calls `operation` with a JSON body and returns the JSON response.
    pub async fn call(&self, operation: &str, body: &Value) -> Result<Value, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let response = self.call_raw(operation, bytes).await?;
        if response.is_empty() {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(&response).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Calls `operation` with a raw JSON body; returns the raw response body.
    pub async fn call_raw(&self, operation: &str, body: Vec<u8>) -> Result<Bytes, ClientError> {
        let request = self.signed_request(operation, body, now())?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| self.transport(e))?;
        self.read_response(response).await
    }

    /// Opens a bare connection (TCP, or TLS over it for an `https` endpoint) for
    /// a caller that writes [`JsonClient::signed_request_bytes`] itself: a load
    /// generator that must spend as little of the machine as it can.
    pub async fn connect_io(&self) -> Result<RawIo, ClientError> {
        Ok(hyper_util::rt::TokioIo::new(self.dial().await?))
    }

    /// A new TCP (or TLS) connection to the endpoint.
    async fn dial(&self) -> Result<HttpsStream, ClientError> {
        use tower_service::Service as _;
        let uri: http::Uri = self
            .config
            .endpoint
            .parse()
            .map_err(|e| ClientError::Config(format!("endpoint: {e}")))?;
        let mut connector = self.connector.clone();
        connector.call(uri).await.map_err(|e| self.transport(e))
    }

    /// The signed request for `operation` at `time` (unix seconds) as HTTP/1.1
    /// bytes, ready to write to a [`RawIo`]. A signature stays valid for five
    /// minutes, so a caller may send the same bytes again within that time.
    pub fn signed_request_bytes(
        &self,
        operation: &str,
        body: Vec<u8>,
        time: i64,
    ) -> Result<Vec<u8>, ClientError> {
        let request = self.signed_request(operation, body.clone(), time)?;
        let mut out = Vec::with_capacity(512 + body.len());
        out.extend_from_slice(format!("POST {} HTTP/1.1\r\n", self.path).as_bytes());
        for (name, value) in request.headers() {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn transport(&self, e: impl std::fmt::Display) -> ClientError {
        ClientError::Transport {
            endpoint: self.config.endpoint.clone(),
            detail: e.to_string(),
        }
    }

    async fn read_response(
        &self,
        response: http::Response<hyper::body::Incoming>,
    ) -> Result<Bytes, ClientError> {
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.transport(e))?
            .to_bytes();
        if status >= 300 {
            return Err(service_error(status, &body));
        }
        Ok(body)
    }

    fn signing_key_for(&self, scope_date: &str) -> [u8; 32] {
        let mut cache = self
            .signing_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((date, key)) = cache.as_ref()
            && date == scope_date
        {
            return **key;
        }
        let key = signing_key(
            &self.config.credentials.secret_access_key,
            scope_date,
            &self.config.region,
            self.service,
        );
        *cache = Some((scope_date.to_owned(), zeroize::Zeroizing::new(key)));
        key
    }

    /// Builds and signs the HTTP request for `operation` at `time` (unix seconds).
    pub fn signed_request(
        &self,
        operation: &str,
        body: Vec<u8>,
        time: i64,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        let creds = &self.config.credentials;
        let amz_date = mlguard_sigv4::amz_date(time);
        let target = format!("{}.{operation}", self.target_prefix);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
        let hash: [u8; 32] = digest
            .as_ref()
            .try_into()
            .map_err(|_| ClientError::Protocol("digest length".into()))?;
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("host", self.host.as_bytes()),
            ("x-amz-date", amz_date.as_bytes()),
            ("x-amz-target", target.as_bytes()),
            ("content-type", b"application/x-amz-json-1.1"),
        ];
        let mut signed: Vec<&str> = vec!["host", "x-amz-date", "x-amz-target", "content-type"];
        if let Some(token) = &creds.session_token {
            headers.push(("x-amz-security-token", token.as_bytes()));
            signed.push("x-amz-security-token");
        }
        let scope_date: String = amz_date.chars().take(8).collect();
        let key = self.signing_key_for(&scope_date);
        let view = mlguard_sigv4::HttpRequest {
            method: "POST",
            path: &self.path,
            query: "",
            headers: &headers,
        };
        let authorization = authorization_header(
            &view,
            &signed,
            PayloadHash::Computed(hash),
            &SigningScope {
                access_key_id: &creds.access_key_id,
                region: &self.config.region,
                service: self.service,
                time,
            },
            &key,
        );
        let uri = format!(
            "{}{}",
            self.config.endpoint.trim_end_matches('/'),
            if self.path == "/" { "/" } else { "" }
        );
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("host", &self.host)
            .header("x-amz-date", &amz_date)
            .header("x-amz-target", &target)
            .header("content-type", "application/x-amz-json-1.1")
            .header("authorization", authorization)
            .header(
                "user-agent",
                concat!("mlguard-client/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(token) = &creds.session_token {
            builder = builder.header("x-amz-security-token", token.as_str());
        }
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }
}

/// A TCP connection, with TLS over it for an `https` endpoint.
type HttpsStream = hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;

/// A bare connection from [`JsonClient::connect_io`], readable and writable with
/// tokio's `AsyncRead`/`AsyncWrite`.
pub type RawIo = hyper_util::rt::TokioIo<HttpsStream>;

fn service_error(status: u16, body: &[u8]) -> ClientError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = parsed
        .get("__type")
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        .unwrap_or_else(|| format!("HTTP{status}"));
    let message = parsed
        .get("message")
        .or_else(|| parsed.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    ClientError::Service {
        status,
        code,
        message,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

/// The KMS endpoint for a region, as the SDKs compute it (or `AWS_ENDPOINT_URL_KMS` /
/// `AWS_ENDPOINT_URL` when set).
pub fn default_endpoint(service_env: &str, service: &str, region: &str) -> String {
    std::env::var(format!("AWS_ENDPOINT_URL_{service_env}"))
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://{service}.{region}.{suffix}")
        })
}

/// POSTs a JSON body to `url` — HTTPS verified against the web PKI roots and
/// `ca_bundle`, or plain HTTP — and returns the response status. For webhooks
/// (Secrets Manager rotation functions served over HTTPS).
pub async fn post_json(
    url: &str,
    body: Vec<u8>,
    ca_bundle: Option<&Path>,
    timeout: std::time::Duration,
) -> Result<u16, ClientError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| ClientError::Config(format!("URL `{url}`: {e}")))?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(ca_bundle)?)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ClientError::Config(e.to_string()))?;
    let transport = |detail: String| ClientError::Transport {
        endpoint: url.to_string(),
        detail,
    };
    let response = tokio::time::timeout(timeout, client.request(request))
        .await
        .map_err(|_| transport("timed out".into()))?
        .map_err(|e| transport(e.to_string()))?;
    let status = response.status().as_u16();
    // Drain the body so the connection closes cleanly; its content is not used.
    let _ = tokio::time::timeout(timeout, response.into_body().collect()).await;
    Ok(status)
}
