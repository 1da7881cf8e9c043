//! The serving certificate: loaded from files (a mounted Secret) and hot-reloaded, or made in
//! memory with rcgen for local runs. TLS 1.2 and 1.3 only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::crypto::ring as provider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: no PEM certificate found")]
    NoCert { path: PathBuf },
    #[error("{path}: no usable PEM private key: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("certificate and key do not belong together: {0}")]
    Mismatch(String),
    #[error("generating a self-signed certificate: {0}")]
    SelfSigned(String),
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// A loaded certificate with its expiry.
pub struct LoadedCert {
    pub key: Arc<CertifiedKey>,
    pub not_after: i64,
}

/// Loads a PEM chain and key. The chain may hold intermediates after the leaf.
pub fn load_files(cert_path: &Path, key_path: &Path) -> Result<LoadedCert, TlsError> {
    let cert_pem = std::fs::read(cert_path).map_err(|source| TlsError::Read {
        path: cert_path.into(),
        source,
    })?;
    let key_pem = std::fs::read(key_path).map_err(|source| TlsError::Read {
        path: key_path.into(),
        source,
    })?;
    from_pem(&cert_pem, &key_pem, cert_path, key_path)
}

fn from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_path: &Path,
    key_path: &Path,
) -> Result<LoadedCert, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .filter_map(Result::ok)
        .collect();
    let leaf = chain.first().ok_or_else(|| TlsError::NoCert {
        path: cert_path.into(),
    })?;
    let not_after = not_after(leaf)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key {
        path: key_path.into(),
        reason: e.to_string(),
    })?;
    let certified = CertifiedKey::from_der(chain, key, &provider::default_provider())
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
    Ok(LoadedCert {
        key: Arc::new(certified),
        not_after,
    })
}

fn not_after(leaf: &CertificateDer<'_>) -> Result<i64, TlsError> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| TlsError::Mismatch(format!("unparsable certificate: {e}")))?;
    Ok(cert.validity().not_after.timestamp())
}

/// An in-memory self-signed certificate for the given DNS names / IPs (local runs only).
pub fn self_signed(names: &[String]) -> Result<LoadedCert, TlsError> {
    let ck = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| TlsError::SelfSigned(e.to_string()))?;
    let cert_pem = ck.cert.pem();
    let key_pem = ck.signing_key.serialize_pem();
    from_pem(
        cert_pem.as_bytes(),
        key_pem.as_bytes(),
        Path::new("<self-signed>"),
        Path::new("<self-signed>"),
    )
}

/// Serves whichever certificate is current; new handshakes see a reload at once, connections
/// already open keep theirs, so a rotation fails no request.
#[derive(Debug)]
pub struct ReloadingResolver {
    current: ArcSwap<CertifiedKey>,
}

impl ReloadingResolver {
    pub fn new(initial: Arc<CertifiedKey>) -> Arc<Self> {
        Arc::new(ReloadingResolver {
            current: ArcSwap::new(initial),
        })
    }

    pub fn swap(&self, key: Arc<CertifiedKey>) {
        self.current.store(key);
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// rustls server config: TLS 1.2 and 1.3 only, ring provider, the reloading resolver.
pub fn server_config(resolver: Arc<ReloadingResolver>) -> Result<rustls::ServerConfig, TlsError> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Polls the cert and key files and swaps in a new pair when their bytes change. Kubelet
/// rotates a mounted Secret by an atomic symlink swap of the directory, so re-reading the
/// paths sees old or new, and a half-read pair fails the key check and is retried next tick.
pub async fn watch_files(
    resolver: Arc<ReloadingResolver>,
    cert_path: PathBuf,
    key_path: PathBuf,
    interval: Duration,
    metrics: Arc<Metrics>,
) {
    let mut last = read_both(&cert_path, &key_path);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = read_both(&cert_path, &key_path);
        if now.is_none() || now == last {
            continue;
        }
        match load_files(&cert_path, &key_path) {
            Ok(loaded) => {
                resolver.swap(loaded.key);
                metrics.cert_expiry.set(loaded.not_after as f64);
                metrics.cert_reloads.inc();
                tracing::info!(cert = %cert_path.display(), not_after = loaded.not_after, "serving certificate reloaded");
                last = now;
            }
            Err(e) => {
                tracing::warn!(error = %e, "new certificate files not usable yet; keeping the current one")
            }
        }
    }
}

fn read_both(cert: &Path, key: &Path) -> Option<(Vec<u8>, Vec<u8>)> {
    Some((std::fs::read(cert).ok()?, std::fs::read(key).ok()?))
}
