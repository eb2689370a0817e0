//! `mlguard serve`: the AWS wire protocols over mlguard's engines. A thin adapter:
//! requests are authenticated (SigV4), authorized (the policy engine), served by a
//! service over the crypto and store crates, and audited (CloudTrail format).
//!
//! Layout: [`http`] handles one request end to end; [`protocol`] shapes responses
//! and errors per wire protocol; [`kms`] is the first service; [`datadir`] and
//! [`tls`] prepare the data directory; [`audit`] owns the audit writer.

pub mod access_analyzer;
pub mod audit;
pub mod clock;
pub mod comprehend;
pub mod config;
pub mod context;
pub mod datadir;
pub mod error;
pub mod http;
pub mod iam;
pub mod identity;
pub mod kms;
pub mod paging;
pub mod protocol;
pub mod secrets;
pub mod sts;
pub mod tls;

use std::convert::Infallible;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

pub use config::ServeConfig;
use datadir::{DataDir, DataDirError};
use http::{ConnInfo, Services};

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory is unusable.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The configuration is refused.
    #[error("{0}")]
    Config(String),
    /// The listener failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The failure.
        source: std::io::Error,
    },
    /// A service failed to load its state.
    #[error("loading state: {0}")]
    State(String),
}

/// Prepares everything `serve` needs and returns it with the listener.
pub async fn start(
    config: ServeConfig,
) -> Result<
    (
        Arc<Services>,
        TcpListener,
        Option<Arc<rustls::ServerConfig>>,
        String,
    ),
    ServeError,
> {
    if (config.emulate || config.test_controls)
        && !config.listen.ip().is_loopback()
        && !config.allow_remote
    {
        let flag = if config.emulate {
            "--emulate accepts any credentials"
        } else {
            "--test-controls lets anyone move the clock and reset state"
        };
        return Err(ServeError::Config(format!(
            "{flag} and must not be reachable from other machines; \
             {} is not a loopback address (add --allow-remote to force it)",
            config.listen
        )));
    }
    if !config::valid_region(&config.region) {
        return Err(ServeError::Config(format!(
            "--region {:?} is not a region name (lowercase letters, digits and hyphens, like us-east-1)",
            config.region
        )));
    }
    let rotation_functions = config
        .rotation_functions
        .iter()
        .map(|spec| secrets::rotation::parse_spec(spec))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Config(format!("--rotation-function {e}")))?;
    let data = DataDir::open(&config.data_dir)?;
    let store = Arc::new(data.store);
    let root_key = Arc::new(data.root_key);
    let now = clock::system_now();

    let account_id = match store.meta("account_id").map_err(DataDirError::from)? {
        Some(existing) => {
            if let Some(wanted) = &config.account_id
                && *wanted != existing
            {
                return Err(ServeError::Config(format!(
                    "{} belongs to account {existing}; it cannot serve account {wanted} (use another --data-dir)",
                    config.data_dir.display()
                )));
            }
            existing
        }
        None => {
            let id = match &config.account_id {
                Some(id) => id.clone(),
                None if config.emulate => "123456789012".to_string(),
                None => datadir::new_account_id()?,
            };
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ServeError::Config(format!(
                    "account id `{id}` must be 12 digits"
                )));
            }
            store
                .set_meta("account_id", &id)
                .map_err(DataDirError::from)?;
            id
        }
    };

    let credentials = Arc::new(identity::Credentials::load(&store, &root_key)?);
    let root = match credentials.root() {
        Some(c) => c,
        None => {
            let (akid, secret) = match (
                std::env::var("MLGUARD_ROOT_ACCESS_KEY_ID"),
                std::env::var("MLGUARD_ROOT_SECRET_ACCESS_KEY"),
            ) {
                (Ok(a), Ok(s)) if !a.is_empty() && !s.is_empty() => (a, Zeroizing::new(s)),
                _ => (
                    datadir::new_access_key_id("AKIA")?,
                    datadir::new_secret_key()?,
                ),
            };
            credentials.add_root(&store, &root_key, &account_id, &akid, &secret, now)?;
            credentials
                .root()
                .ok_or_else(|| ServeError::Config("root credentials were not stored".into()))?
        }
    };
    let credentials_path = datadir::write_credentials(
        &config.data_dir,
        &root.access_key_id,
        &root.secret,
        &config.region,
    )?;

    let tls = if config.http {
        None
    } else {
        let mut names = config.tls_names.clone();
        names.push(config.listen.ip().to_string());
        Some(tls::server_config(&config.data_dir, &names)?)
    };
    let audit = audit::AuditSink::start(&config.data_dir, &store, &root_key)?;
    let clock = Arc::new(clock::Clock::default());
    let iam = Arc::new(
        iam::Iam::load(
            Arc::clone(&store),
            Arc::clone(&root_key),
            Arc::clone(&clock),
            account_id.clone(),
            Arc::clone(&credentials),
        )
        .map_err(|e| ServeError::State(e.to_string()))?,
    );
    let kms = Arc::new(
        kms::Kms::load(
            Arc::clone(&store),
            Arc::clone(&root_key),
            Arc::clone(&clock),
            Arc::clone(&iam),
        )
        .map_err(|e| ServeError::State(e.to_string()))?,
    );
    let sts = Arc::new(
        sts::Sts::load(
            Arc::clone(&store),
            Arc::clone(&root_key),
            Arc::clone(&clock),
            account_id.clone(),
            Arc::clone(&credentials),
            Arc::clone(&iam),
            config.emulate,
        )
        .map_err(|e| ServeError::State(e.to_string()))?,
    );
    let secrets = Arc::new(
        secrets::Secrets::load(
            Arc::clone(&store),
            Arc::clone(&kms),
            Arc::clone(&sts),
            Arc::clone(&clock),
            account_id.clone(),
            rotation_functions,
        )
        .map_err(|e| ServeError::State(e.to_string()))?,
    );
    let services = Arc::new(Services::new(
        account_id.clone(),
        config.region.clone(),
        http::Modes {
            emulate: config.emulate,
            controls: config.emulate || config.test_controls,
        },
        clock,
        credentials,
        http::Engines {
            kms,
            iam,
            sts,
            secrets,
            comprehend: Arc::new(comprehend::Comprehend::new(Arc::new(
                mlguard_pii::Detector::with_defaults(),
            ))),
        },
        audit,
        store,
        root_key,
    ));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: config.listen,
        source,
    })?;
    let scheme = if config.http { "http" } else { "https" };
    let endpoint = format!("{scheme}://{local}");
    // Rotation functions run on this machine: they reach the server over loopback.
    let reachable = if local.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], local.port()))
    } else {
        local
    };
    let weak = Arc::downgrade(&services);
    services.secrets.start(
        secrets::rotation::Endpoint {
            url: format!("{scheme}://{reachable}"),
            ca_bundle: (!config.http).then(|| config.data_dir.join("tls/ca.pem")),
        },
        Arc::new(move |event| {
            if let Some(services) = weak.upgrade() {
                services.audit.record(event);
            }
        }),
    );
    let mut banner = format!(
        "mlguard serving account {account_id} in {} at {endpoint}\n  data directory: {}\n  credentials:    {}\n",
        config.region,
        config.data_dir.display(),
        credentials_path.display()
    );
    if !config.http {
        banner.push_str(&format!(
            "  CA bundle:      {}\n",
            config.data_dir.join("tls/ca.pem").display()
        ));
    }
    banner.push_str(&format!(
        "try:\n  AWS_SHARED_CREDENTIALS_FILE={} {}aws --profile mlguard --endpoint-url {endpoint} kms create-key\n",
        credentials_path.display(),
        if config.http { String::new() } else { format!("AWS_CA_BUNDLE={} ", config.data_dir.join("tls/ca.pem").display()) }
    ));
    if config.test_controls && !config.emulate {
        banner.push_str("WARNING: --test-controls lets any client move the clock and wipe state. It is for test suites, never for production.\n");
    }
    if config.emulate {
        banner.push_str("WARNING: --emulate accepts any credentials as the account's root. It is for test suites, never for production.\n");
    }
    Ok((services, listener, tls, banner))
}

/// Serves until interrupted (SIGINT/SIGTERM).
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let interval = config.scheduler_interval;
    let (services, listener, tls, banner) = start(config).await?;
    println!("{banner}");
    run(services, listener, tls, interval, shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The accept loop, the scheduler, and a clean stop.
pub async fn run(
    services: Arc<Services>,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    scheduler_interval: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let scheduler = {
        let services = Arc::clone(&services);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(scheduler_interval);
            loop {
                tick.tick().await;
                let kms = Arc::clone(&services.kms);
                let sts = Arc::clone(&services.sts);
                let iam = Arc::clone(&services.iam);
                let secrets = Arc::clone(&services.secrets);
                match tokio::task::spawn_blocking(move || secrets.run_scheduled()).await {
                    Ok(Ok(purged)) if purged > 0 => {
                        tracing::info!(purged, "secrets past their recovery window deleted");
                    }
                    Ok(Err(e)) => tracing::error!("scheduler: {e}"),
                    _ => {}
                }
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || sts.expire()).await {
                    tracing::error!("scheduler: {e}");
                }
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || iam.persist_key_use()).await
                {
                    tracing::error!("scheduler: access keys' last use: {e}");
                }
                match tokio::task::spawn_blocking(move || kms.run_scheduled()).await {
                    Ok(Ok((deleted, rotated))) if deleted + rotated > 0 => {
                        tracing::info!(deleted, rotated, "scheduled KMS work done");
                    }
                    Ok(Err(e)) => tracing::error!("scheduler: {e}"),
                    _ => {}
                }
            }
        })
    };
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    // At most MAX_CONNECTIONS at once: past it, new connections wait in the
    // listen backlog instead of taking the process's last file descriptors.
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let (slot, (stream, peer)) = tokio::select! {
            accepted = async {
                let slot = Arc::clone(&slots).acquire_owned().await;
                (slot, listener.accept().await)
            } => match accepted {
                (Ok(slot), Ok(a)) => (slot, a),
                (Err(_), _) => break,
                (Ok(_), Err(e)) => {
                    // Out of descriptors (EMFILE) or a connection reset before
                    // it was taken: wait a moment rather than spin, and say so
                    // at most once a second.
                    accept_errors.failed(&e);
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let services = Arc::clone(&services);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match acceptor {
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    let tls_stream = match handshake.await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake with {peer}: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake with {peer}: timed out");
                            return;
                        }
                    };
                    let (_, session) = tls_stream.get_ref();
                    let version = session.protocol_version().map(|v| match v {
                        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
                        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
                        other => format!("{other:?}"),
                    });
                    let cipher = session
                        .negotiated_cipher_suite()
                        .map(|c| cipher_suite_name(c.suite()));
                    let conn = Arc::new(ConnInfo {
                        peer,
                        tls: Some((version.unwrap_or_default(), cipher.unwrap_or_default())),
                    });
                    serve_connection(TokioIo::new(tls_stream), services, conn).await;
                }
                None => {
                    // (hyper's header timeout starts with a request's first
                    // byte; a connection that never sends one ends here.)
                    let mut first = [0u8; 1];
                    if tokio::time::timeout(HEADER_TIMEOUT, stream.peek(&mut first))
                        .await
                        .is_err()
                    {
                        tracing::debug!("connection from {peer}: nothing sent");
                        return;
                    }
                    let conn = Arc::new(ConnInfo { peer, tls: None });
                    serve_connection(TokioIo::new(stream), services, conn).await;
                }
            }
        });
    }
    scheduler.abort();
    if let Err(e) = services.iam.persist_key_use() {
        tracing::error!("access keys' last use not saved: {e}");
    }
    services.audit.stop();
    tracing::info!("mlguard stopped");
}

async fn serve_connection<I>(io: I, services: Arc<Services>, conn: Arc<ConnInfo>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let services = Arc::clone(&services);
        let conn = Arc::clone(&conn);
        async move { Ok::<_, Infallible>(http::handle(services, conn, req).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A client must send a request's headers within HEADER_TIMEOUT of being
    // ready for one (idle keep-alive connections included), or be closed.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(HEADER_TIMEOUT)
        .keep_alive_timeout(HEADER_TIMEOUT);
    if let Err(e) = builder.serve_connection(io, service).await {
        tracing::debug!("connection: {e}");
    }
}

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 4_096;
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a connection may take to send a request's headers, or stay idle
/// between requests.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// The pause after a failed accept.
const ACCEPT_RETRY: std::time::Duration = std::time::Duration::from_millis(50);

/// Failed accepts, logged at most once a second with how many were not.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<std::time::Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    fn failed(&mut self, e: &std::io::Error) {
        let now = std::time::Instant::now();
        if self
            .last_logged
            .is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1))
        {
            self.unlogged += 1;
            return;
        }
        tracing::warn!(
            more_since_last = self.unlogged,
            "accept: {e} (retrying in {} ms)",
            ACCEPT_RETRY.as_millis()
        );
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}

/// A cipher suite as CloudTrail's `tlsDetails.cipherSuite` names it: the RFC 8446
/// name for TLS 1.3, OpenSSL's name for TLS 1.2.
fn cipher_suite_name(suite: rustls::CipherSuite) -> String {
    use rustls::CipherSuite as C;
    let name = match suite {
        C::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        C::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        C::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        other => return format!("{other:?}"),
    };
    name.to_owned()
}
