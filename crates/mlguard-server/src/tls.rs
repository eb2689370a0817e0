//! TLS: a private CA and a server certificate generated into `DIR/tls/` on first
//! start, served with rustls on the aws-lc-rs provider. Clients trust
//! `DIR/tls/ca.pem` (`AWS_CA_BUNDLE`).
//!
//! The server certificate names `localhost`, `*.localhost`, `127.0.0.1`, `::1`, the
//! listen address and any `--tls-name`; it is re-issued from the same CA when a
//! name is missing, so clients keep trusting the CA across restarts.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::datadir::{DataDirError, write_private};

fn tls_err(what: &str, e: impl std::fmt::Display) -> DataDirError {
    DataDirError::Invalid(format!("TLS {what}: {e}"))
}

/// The CA's certificate parameters (also used to sign server certificates).
fn ca_params() -> Result<CertificateParams, DataDirError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err("CA", e))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "mlguard local CA");
    dn.push(DnType::OrganizationName, "mlguard");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    Ok(params)
}

/// Loads or creates the CA and server certificate, and builds the rustls config.
pub fn server_config(dir: &Path, names: &[String]) -> Result<Arc<ServerConfig>, DataDirError> {
    let tls = dir.join("tls");
    fs::create_dir_all(&tls).map_err(|e| tls_err("directory", e))?;
    let (ca_cert_path, ca_key_path) = (tls.join("ca.pem"), tls.join("ca.key"));
    let (cert_path, key_path) = (tls.join("server.pem"), tls.join("server.key"));

    if !ca_cert_path.exists() || !ca_key_path.exists() {
        let ca_key = KeyPair::generate().map_err(|e| tls_err("CA key", e))?;
        let cert = ca_params()?
            .self_signed(&ca_key)
            .map_err(|e| tls_err("CA", e))?;
        write_private(&ca_key_path, ca_key.serialize_pem().as_bytes())?;
        fs::write(&ca_cert_path, cert.pem()).map_err(|e| tls_err("CA", e))?;
        let _ = fs::remove_file(&cert_path);
    }

    let mut wanted: Vec<String> = ["localhost", "*.localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for n in names {
        if !wanted.contains(n) {
            wanted.push(n.clone());
        }
    }
    let names_file = tls.join("server.names");
    let current_names = fs::read_to_string(&names_file).unwrap_or_default();
    if !cert_path.exists() || !key_path.exists() || current_names != wanted.join("\n") {
        let ca_pem = fs::read_to_string(&ca_cert_path).map_err(|e| tls_err("CA", e))?;
        let ca_key =
            KeyPair::from_pem(&fs::read_to_string(&ca_key_path).map_err(|e| tls_err("CA key", e))?)
                .map_err(|e| tls_err("CA key", e))?;
        // The issuer needs only the CA's name and key: rebuilding its parameters gives
        // the same subject and key identifier as the certificate on disk.
        let issuer = Issuer::new(ca_params()?, &ca_key);
        let key = KeyPair::generate().map_err(|e| tls_err("server key", e))?;
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err("server", e))?;
        params.subject_alt_names = wanted
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => n
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|e| tls_err("name", e)),
            })
            .collect::<Result<_, _>>()?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "mlguard");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.not_after = rcgen::date_time_ymd(2044, 12, 31);
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| tls_err("server", e))?;
        write_private(&key_path, key.serialize_pem().as_bytes())?;
        fs::write(&cert_path, cert.pem() + &ca_pem).map_err(|e| tls_err("server", e))?;
        fs::write(&names_file, wanted.join("\n")).map_err(|e| tls_err("server", e))?;
    }

    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .map_err(|e| tls_err("certificate", e))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err("certificate", e))?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| tls_err("key", e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("config", e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err("config", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
